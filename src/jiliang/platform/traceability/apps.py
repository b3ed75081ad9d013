from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, PlatformApp


class TraceabilityConfig(PlatformApp):
    name = "jiliang.platform.traceability"
    label = "traceability"
    verbose_name = _("量值溯源")
    url_prefix = "traceability/"
    api_prefix = "traceability"
    menu = (
        MenuLink(
            "traceability",
            _("量值溯源"),
            "traceability:dashboard",
            "registry.Instrument",
            login=True,
        ),
    )

    def ready(self) -> None:
        from jiliang.platform.registry.views import register_detail_panel

        from . import views

        register_detail_panel(views.chain_panel)
