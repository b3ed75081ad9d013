from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, PlatformApp


class RiskConfig(PlatformApp):
    name = "jiliang.platform.risk"
    label = "risk"
    verbose_name = _("计量风险预警")
    url_prefix = "risk/"
    api_prefix = "risk"
    menu = (MenuLink("risk", _("计量风险预警"), "risk:page", "region"),)

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.registry.permissions import exempt_from_policy

        from . import models

        audit_models(models.EarlyWarning, models.Emergency, models.EmergencyAction)
        region = "risk.services: supervisors of the region read (_in_read_region); regulators act"
        for label in ("risk.EarlyWarning", "risk.Emergency", "risk.EmergencyAction"):
            exempt_from_policy(label, region)
