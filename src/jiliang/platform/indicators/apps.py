from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, PlatformApp


class IndicatorsConfig(PlatformApp):
    name = "jiliang.platform.indicators"
    label = "indicators"
    verbose_name = _("规划指标")
    url_prefix = "indicators/"
    api_prefix = "indicators"
    menu = (MenuLink("indicators", _("规划指标"), "indicators:dashboard", "region"),)

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.registry.permissions import POLICIES, Policy

        from . import models

        audit_models(models.ManualValue, models.IndicatorSnapshot, models.PlanTask)
        # regulators and inspectors read their region's rows (admins all); nobody else
        POLICIES[models.ManualValue] = Policy(False, (), ("region__code",))
        POLICIES[models.IndicatorSnapshot] = Policy(False, (), ("region__code",))
        POLICIES[models.PlanTask] = Policy(False, (), ("region__code",))
