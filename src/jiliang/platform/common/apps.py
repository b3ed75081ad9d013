"""How a platform app plugs itself in (应用注册): its pages, its API and its menu links.

An app whose ``AppConfig`` subclasses :class:`PlatformApp` and names ``url_prefix``,
``api_prefix`` and ``menu`` needs no edit anywhere else: the root URLconf includes
``<app>.urls`` at ``url_prefix``, the API mounts ``<app>.api.router`` at ``/api/<api_prefix>``
and the menu shows its links, in ``INSTALLED_APPS`` order — adding an app is its folder and one
line in ``INSTALLED_APPS`` (docs/architecture.md, "A new app").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import AppConfig, apps


@dataclass(frozen=True)
class MenuLink:
    """A menu entry an app contributes.

    ``reads`` decides who sees it: ``"everyone"``, ``"region"`` (users with a region to
    supervise or read) or a model label (``"energy.EnergyUnit"``: the user's read policy gives
    them some of its records); ``login`` also requires a signed-in user (for pages behind
    ``login_required``).
    """

    key: str
    label: object  # a lazy translation
    url_name: str
    reads: str
    login: bool = False


class PlatformApp(AppConfig):
    """An ``AppConfig`` that declares where the app's pages and API live and its menu links."""

    #: pages at ``/<url_prefix>`` from ``<name>.urls`` (``None``: the app has no pages)
    url_prefix: str | None = None
    #: API at ``/api/<api_prefix>`` from ``<name>.api.router`` (``None``: no API)
    api_prefix: str | None = None
    menu: tuple[MenuLink, ...] = ()
    # Django picks an app's config as the one AppConfig subclass in its apps.py; this base class,
    # imported there, must not count as a candidate, while each subclass must.
    default = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True


def platform_apps() -> list[PlatformApp]:
    """The installed platform apps that declare themselves, in ``INSTALLED_APPS`` order."""
    return [a for a in apps.get_app_configs() if isinstance(a, PlatformApp)]
