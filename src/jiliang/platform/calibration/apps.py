from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalibrationConfig(AppConfig):
    name = "jiliang.platform.calibration"
    label = "calibration"
    verbose_name = _("校准与不确定度")

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.registry.permissions import POLICIES, Policy
        from jiliang.platform.registry.views import register_detail_panel

        from . import models, views

        audit_models(models.UncertaintyBudget)
        POLICIES[models.UncertaintyBudget] = Policy(
            False,
            ("owner_id", "event__instrument__owner_id", "event__standard__owner_id"),
            ("owner__region__code",),
        )
        register_detail_panel(views.event_budget_panel)
