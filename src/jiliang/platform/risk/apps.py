from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "jiliang.platform.risk"
    label = "risk"
    verbose_name = _("计量风险预警")

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models

        from . import models

        audit_models(models.EarlyWarning, models.Emergency, models.EmergencyAction)
