from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, PlatformApp


class ComparisonsConfig(PlatformApp):
    name = "jiliang.platform.comparisons"
    label = "comparisons"
    verbose_name = _("计量比对与能力验证")
    url_prefix = "comparisons/"
    api_prefix = "comparisons"
    menu = (
        MenuLink(
            "comparisons",
            _("计量比对"),
            "comparisons:campaigns",
            "comparisons.Campaign",
            login=True,
        ),
    )

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.registry.permissions import POLICIES, Policy, exempt_from_policy
        from jiliang.platform.registry.views import register_detail_panel

        from . import models, views

        audit_models(
            models.Campaign,
            models.Participant,
            models.Reveal,
            models.Score,
            models.Flag,
            models.Circulation,
        )
        # the sealed result stays out of the trail: only its commitment digest is logged
        audit_models(models.Submission, ignore=models.SEALED_FIELDS)
        POLICIES[models.Campaign] = Policy(
            False,
            ("pilot_id", "participants__organisation_id"),
            ("pilot__region__code", "participants__organisation__region__code"),
        )
        POLICIES[models.Flag] = Policy(False, ("organisation_id",), ("organisation__region__code",))
        # read only through their campaign (Campaign's policy, comparisons.api._campaign); the
        # sealing rule of services decides who sees a submission before the deadline
        for name in ("Participant", "Submission", "Reveal", "Score", "Circulation"):
            exempt_from_policy(
                f"comparisons.{name}", "read through its campaign; writes by the pilot/services"
            )
        register_detail_panel(views.organisation_panel)  # flags and evidence on a lab's page
