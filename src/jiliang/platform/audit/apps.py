from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "jiliang.platform.audit"
    label = "audit"
    verbose_name = _("审计追踪")

    def ready(self) -> None:
        """Accounts are records like any other: who may do what is evidence too.

        A user promoted to superuser, added to a group or given a token in SQL must show in
        ``jiliang ledger audit --records`` exactly like an edited instrument. Secrets are logged
        as digests only; the bookkeeping columns Django and the token check rewrite in place
        (``last_login``, ``last_used``) are left out.
        """
        from django.apps import apps

        from .signals import account_options, audit_models

        for label, opts in account_options().items():
            audit_models(
                apps.get_model(label),
                secret=tuple(opts.secret),
                ignore=tuple(opts.ignore),
                m2m=opts.m2m,
            )
