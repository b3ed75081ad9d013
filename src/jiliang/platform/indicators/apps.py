from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "jiliang.platform.indicators"
    label = "indicators"
    verbose_name = _("规划指标")

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.registry.permissions import POLICIES, Policy

        from . import models

        audit_models(models.ManualValue, models.IndicatorSnapshot, models.PlanTask)
        # regulators and inspectors read their region's rows (admins all); nobody else
        POLICIES[models.ManualValue] = Policy(False, (), ("region__code",))
        POLICIES[models.IndicatorSnapshot] = Policy(False, (), ("region__code",))
        POLICIES[models.PlanTask] = Policy(False, (), ("region__code",))
