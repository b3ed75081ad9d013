from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TraceabilityConfig(AppConfig):
    name = "jiliang.platform.traceability"
    label = "traceability"
    verbose_name = _("量值溯源")

    def ready(self) -> None:
        from jiliang.platform.registry.views import register_detail_panel

        from . import views

        register_detail_panel(views.chain_panel)
