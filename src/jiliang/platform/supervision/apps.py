from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "jiliang.platform.supervision"
    label = "supervision"
    verbose_name = _("法制计量监管")

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models, exempt_from_audit
        from jiliang.platform.ledger import service as ledger
        from jiliang.platform.registry.models import Instrument
        from jiliang.platform.registry.permissions import (
            POLICIES,
            Policy,
            exempt_from_policy,
            register_read_grant,
        )

        from . import (
            draw_log,
            signals,  # noqa: F401  (verification events → filings)
        )
        from . import models as s

        audit_models(
            s.Filing,
            s.Complaint,
            s.Draw,
            s.DrawResult,
            s.PrepackagedInspection,
            s.CreditEvent,
            s.CreditMark,
            s.VerificationRecord,
            s.NotificationSettings,
        )
        exempt_from_audit(
            "supervision.Notification",
            "a message derived from audited filings by the sweep; re-derived, never a fact",
        )
        exempt_from_audit(
            "supervision.DrawData",
            "the draw's secret seed and payload: the audited Draw carries their SHA-256",
        )
        exempt_from_audit(
            "supervision.CoverageSnapshot",
            "a cached count of audited filings for trend charts, rebuilt by the sweep",
        )
        for label, rule in (
            ("supervision.Notification", "each user reads only their own (recipient=user)"),
            ("supervision.NotificationSettings", "each user reads and sets only their own"),
            ("supervision.DrawData", "secret until publication; read by draws.py/draw_log only"),
            ("supervision.DrawResult", "read and written through its Draw (Draw's policy)"),
            ("supervision.CoverageSnapshot", "counts for the region's regulator (coverage page)"),
        ):
            exempt_from_policy(label, rule)
        # the assigned institution reads the filing it verifies; only the owner writes it
        POLICIES[s.Filing] = Policy(
            False, ("instrument__owner_id", "assigned_to_id"), ("instrument__region__code",)
        )
        POLICIES[s.Complaint] = Policy(
            False, ("instrument__owner_id",), ("instrument__region__code",)
        )
        POLICIES[s.PrepackagedInspection] = Policy(
            False, ("organisation_id",), ("organisation__region__code",)
        )
        POLICIES[s.CreditEvent] = Policy(
            False, ("organisation_id",), ("organisation__region__code",)
        )
        POLICIES[s.Draw] = Policy(True, (), ("region__code",))
        POLICIES[s.CreditMark] = Policy(True, ("organisation_id",), ("organisation__region__code",))
        POLICIES[s.VerificationRecord] = Policy(
            False,
            ("event__instrument__owner_id", "event__performed_by_id"),
            ("event__instrument__region__code",),
        )
        # a lab reads the instruments it is assigned to verify (not all of its region's)
        from .access import assigned_instruments

        register_read_grant(Instrument, assigned_instruments)
        from jiliang.platform.registry.views import register_home_panel

        from .home import home_panel

        register_home_panel(home_panel)  # each role's supervision figures on the home page
        ledger.register_leaf_source(draw_log.logged_leaf_count, draw_log.audit_draws)
        self._lock_filed_instruments()
        self._register_overdue_filter()

    @staticmethod
    def _register_overdue_filter() -> None:
        from jiliang.platform.registry.models import Instrument
        from jiliang.platform.registry.resources import SpecialFilter, register_filter

        from .services import OVERDUE_DEFINITION, overdue_instruments

        register_filter(
            Instrument,
            "overdue",
            SpecialFilter(_("超期未检"), overdue_instruments, OVERDUE_DEFINITION),
        )

    @staticmethod
    def _lock_filed_instruments() -> None:
        """A filed instrument's owner no longer changes what decides its compulsory
        verification (region, use, category, status, owner) nor deletes it: its regulator does."""
        from jiliang.platform.registry.authority import Lock, Rel, register_lock
        from jiliang.platform.registry.models import Instrument

        from .services import is_filed

        register_lock(
            Instrument,
            Lock(
                fields=frozenset({"region", "use", "category", "status", "owner"}),
                applies=is_filed,
                holders=frozenset({Rel.OWNER}),
                reason="the instrument is filed for compulsory verification (强检备案): "
                "ask its regulator to change this",
            ),
        )
