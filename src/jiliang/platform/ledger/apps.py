from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "jiliang.platform.ledger"
    label = "ledger"
    verbose_name = _("透明日志")

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks
        from django.core.signals import request_started

        from jiliang.platform.audit.signals import entry_recorded

        from . import service

        # a database restored behind its log: named at `check`/`runserver` and first request
        checks.register(service.check_log_position, "jiliang")
        request_started.connect(service.check_log_position_once, dispatch_uid="jiliang-ledger-pos")
        if settings.JILIANG_LEDGER_AUTO_SYNC:
            entry_recorded.connect(service.on_entry_recorded, dispatch_uid="jiliang-ledger-sync")
