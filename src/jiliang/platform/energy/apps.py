from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, PlatformApp


class EnergyConfig(PlatformApp):
    name = "jiliang.platform.energy"
    label = "energy"
    verbose_name = _("重点用能单位能源计量")
    url_prefix = "energy/"
    api_prefix = "energy"
    menu = (MenuLink("energy", _("能源计量"), "energy:list", "energy.EnergyUnit", login=True),)

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.registry.permissions import POLICIES, Policy

        from . import models

        audit_models(models.EnergyUnit, models.Survey, models.SurveyLine)
        # not public: a unit's metering is read by its own staff and the supervisors of its
        # region (regulators, inspectors), like an instrument; writes are decided in services
        POLICIES[models.EnergyUnit] = Policy(False, ("organisation_id",), ("region__code",))
        POLICIES[models.Survey] = Policy(False, ("unit__organisation_id",), ("unit__region__code",))
        POLICIES[models.SurveyLine] = Policy(
            False, ("survey__unit__organisation_id",), ("survey__unit__region__code",)
        )
