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
        from jiliang.platform.registry.views import register_detail_panel

        from . import models, services, views

        audit_models(models.Certificate)
        POLICIES[models.Certificate] = Policy(
            False,
            ("event__performed_by_id", "event__instrument__owner_id", "event__standard__owner_id"),
            ("event__performed_by__region__code", "event__instrument__region__code"),
        )
        register_detail_panel(views.event_certificates_panel)
        ledger.register_leaf_source(services.logged_leaf_count, services.audit_certificates)
