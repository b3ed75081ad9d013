from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "jiliang.platform.certificates"
    label = "certificates"
    verbose_name = _("数字校准证书")

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models
        from jiliang.platform.ledger import service as ledger
        from jiliang.platform.registry.permissions import POLICIES, Policy
        from jiliang.platform.registry.views import register_detail_panel, register_home_panel

        from . import home, models, services, views

        audit_models(models.Certificate)
        POLICIES[models.Certificate] = Policy(
            False,
            ("event__performed_by_id", "event__instrument__owner_id", "event__standard__owner_id"),
            ("event__performed_by__region__code", "event__instrument__region__code"),
        )
        register_detail_panel(views.event_certificates_panel)
        register_home_panel(home.home_panel)  # a lab's certificates on its home page
        ledger.register_leaf_source(services.logged_leaf_count, services.audit_certificates)
        # signing keys at rest (unencrypted in the data dir, no or a wrong passphrase): named at
        # `check`/`runserver` and in the log of a serving process's first request
        from django.core import checks as django_checks
        from django.core.signals import request_started

        from . import checks

        django_checks.register(checks.check_signing_keys, "jiliang")
        request_started.connect(checks.log_key_problems_once, dispatch_uid="jiliang-pki-keys")
