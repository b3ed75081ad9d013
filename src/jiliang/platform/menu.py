"""The site menu: one table of entries, each with the permission predicate that decides it.

Each entry's predicate is the check its view makes (or the read policy its page lists), never a
role list of its own: a registry list is offered when :func:`registry.permissions.can_read_any`
says the role can read that model at all, a supervision page when the supervision access
functions its view calls let the user in. So a menu never links to a page that answers 403 or
404, nor to a list that is empty by policy (``tests/platform/test_menu_roles.py`` crawls every
link for every role).

Rendered by the :func:`context` processor as ``menu.main`` (the top bar) and
``menu.supervision`` (the supervision pages' sub-menu).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, platform_apps

Predicate = Callable[[object], bool]


@dataclass(frozen=True)
class Entry:
    """One menu link: ``url_name``/``args`` reversed, shown when ``allowed(user)``."""

    key: str
    label: object  # a lazy translation (or a name that needs none, such as "CMC")
    url_name: str
    allowed: Predicate
    args: tuple = ()
    group: str = "main"

    @property
    def url(self) -> str:
        return _reverse(self.url_name, self.args, get_script_prefix())


@lru_cache(maxsize=256)
def _reverse(url_name: str, args: tuple, prefix: str) -> str:
    """``reverse`` once per entry (and script prefix): ~20 entries on every page."""
    return reverse(url_name, args=args)


def _everyone(user) -> bool:
    return True


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def _reads(model_label: str, login: bool = False) -> Predicate:
    """The user's read policy gives them some records of the model (and, for pages behind
    ``login_required``, they are signed in)."""

    def allowed(user) -> bool:
        from django.apps import apps

        from jiliang.platform.registry.permissions import can_read_any

        if login and not _signed_in(user):
            return False
        return can_read_any(user, apps.get_model(model_label))

    allowed.__name__ = f"reads_{model_label.replace('.', '_')}"
    return allowed


def _reads_region(user) -> bool:
    """The supervision dashboard's and credit list's check: a region to supervise or read."""
    from jiliang.platform.supervision.access import reads_region

    return _signed_in(user) and reads_region(user) is not None


def _works_assignments(user) -> bool:
    """The institution portal's check (承检任务)."""
    from jiliang.platform.supervision.verifications import works_assignments

    return _signed_in(user) and works_assignments(user)


def _allowed(link: MenuLink) -> Predicate:
    if link.reads == "everyone":
        return _everyone
    if link.reads == "region":
        return _reads_region
    return _reads(link.reads, link.login)


def _app_links() -> list[Entry]:
    """The links the platform apps declare (``PlatformApp.menu``), in ``INSTALLED_APPS`` order."""
    return [
        Entry(link.key, link.label, link.url_name, _allowed(link))
        for app in platform_apps()
        for link in app.menu
    ]


def _registry(slug: str, label, model_label: str) -> Entry:
    return Entry(slug, label, "registry:list", _reads(model_label), args=(slug,))


@cache
def entries() -> tuple[Entry, ...]:
    """Every menu entry, in display order."""
    sup = "supervision"
    return (
        _registry("instruments", _("计量器具"), "registry.Instrument"),
        _registry("standards", _("计量标准"), "registry.MeasurementStandard"),
        _registry("organisations", _("机构"), "registry.Organisation"),
        _registry("calibrations", _("检定/校准记录"), "registry.CalibrationEvent"),
        _registry("reference-materials", _("标准物质"), "registry.ReferenceMaterial"),
        _registry("cmcs", "CMC", "registry.CMC"),
        Entry(
            "budgets",
            _("不确定度预算"),
            "calibration:budgets",
            _reads("calibration.UncertaintyBudget"),
        ),
        Entry("verify", _("证书核验"), "certificates:verify", _everyone),
        Entry("log", _("透明日志"), "ledger:log", _everyone),
        Entry(
            "supervision", _("强检监管"), "supervision:portal", _reads("supervision.Filing", True)
        ),
        Entry("commitments", _("诚信计量公示"), "supervision:commitments", _everyone),
        *_app_links(),
        Entry("api", "API", "api:openapi-view", _everyone),
        # the supervision pages' sub-menu
        Entry(
            "portal",
            _("我的备案"),
            "supervision:portal",
            _reads("supervision.Filing", True),
            group=sup,
        ),
        Entry(
            "due", _("超期与到期"), "supervision:due", _reads("supervision.Filing", True), group=sup
        ),
        Entry("notifications", _("通知"), "supervision:notifications", _signed_in, group=sup),
        Entry(
            "assigned",
            _("承检任务"),
            "supervision:assigned",
            _works_assignments,
            group=sup,
        ),
        Entry(
            "dashboard",
            _("监管看板"),
            "supervision:dashboard",
            _reads_region,
            group=sup,
        ),
        Entry("draws", _("双随机抽查"), "supervision:draws", _everyone, group=sup),
        Entry(
            "inspections",
            _("定量包装商品"),
            "supervision:inspections",
            _reads("supervision.PrepackagedInspection", True),
            group=sup,
        ),
        Entry("credit", _("诚信计量"), "supervision:credit", _reads_region, group=sup),
        Entry("commitments", _("诚信计量公示"), "supervision:commitments", _everyone, group=sup),
    )


def visible(user, group: str = "main") -> list[Entry]:
    """The entries of ``group`` that ``user`` may open, in order."""
    return [e for e in entries() if e.group == group and e.allowed(user)]


def _links(request, group: str) -> list[dict]:
    path = request.path
    out = [
        {"key": e.key, "label": e.label, "url": e.url, "active": False}
        for e in visible(getattr(request, "user", None), group)
    ]
    # the current page's entry: the longest link that the path starts with (/s/due/, not /s/)
    current = max(
        (o for o in out if path.startswith(o["url"])), key=lambda o: len(o["url"]), default=None
    )
    if current is not None:
        current["active"] = True
    return out


def context(request) -> dict:
    """Template context processor: ``menu.main`` and ``menu.supervision`` (computed on use)."""
    return {
        "menu": SimpleLazyObject(
            lambda: {"main": _links(request, "main"), "supervision": _links(request, "supervision")}
        )
    }
