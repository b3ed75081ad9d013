from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, PlatformApp


class SpecificationsConfig(PlatformApp):
    name = "jiliang.platform.specifications"
    label = "specifications"
    verbose_name = _("计量技术规范")
    url_prefix = "specifications/"
    api_prefix = "specifications"
    menu = (MenuLink("specifications", _("技术规范"), "specifications:list", "everyone"),)

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.registry.permissions import POLICIES, Policy
        from jiliang.platform.registry.views import register_detail_panel

        from . import models, views

        audit_models(models.Specification, models.AppliedSpecification)
        # the registry of specifications is public (issued documents); a link to the event that
        # applied one is read like the event itself
        POLICIES[models.Specification] = Policy(True, (), ("region__code",))
        POLICIES[models.AppliedSpecification] = Policy(
            False,
            ("event__performed_by_id", "event__instrument__owner_id", "event__standard__owner_id"),
            ("event__instrument__region__code", "event__performed_by__region__code"),
        )
        register_detail_panel(views.event_specification_panel)  # on a verification's page
