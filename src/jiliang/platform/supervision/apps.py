from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "jiliang.platform.supervision"
    label = "supervision"
    verbose_name = _("法制计量监管")

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.registry.permissions import POLICIES, Policy

        from . import models as s
        from . import signals  # noqa: F401  (verification events → filings)

        audit_models(
            s.Filing,
            s.Complaint,
            s.Draw,
            s.DrawResult,
            s.PrepackagedInspection,
            s.CreditEvent,
        )
        POLICIES[s.Filing] = Policy(False, ("instrument__owner_id",), ("instrument__region__code",))
        POLICIES[s.Complaint] = Policy(
            False, ("instrument__owner_id",), ("instrument__region__code",)
        )
        POLICIES[s.PrepackagedInspection] = Policy(
            False, ("organisation_id",), ("organisation__region__code",)
        )
        POLICIES[s.CreditEvent] = Policy(
            False, ("organisation_id",), ("organisation__region__code",)
        )
        POLICIES[s.Draw] = Policy(True, (), ("region__code",))
