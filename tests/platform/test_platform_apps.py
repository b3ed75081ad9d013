"""Apps plug themselves in (issue 12: "a new app is its folder and one line in INSTALLED_APPS"):
each PlatformApp's pages, API router and menu links come from its AppConfig alone."""

from __future__ import annotations

from django.apps import apps
from django.urls import reverse

from jiliang.platform import menu
from jiliang.platform.api import api
from jiliang.platform.common.apps import PlatformApp, platform_apps

DOMAIN_APPS = {
    "traceability",
    "comparisons",
    "specifications",
    "indicators",
    "monitoring",
    "intervals",
    "risk",
    "energy",
}


def test_domain_apps_are_platform_apps_with_their_own_config():
    # Django picked each app's own config, not the PlatformApp base nor a bare AppConfig: the
    # base class imported into apps.py must not count as a candidate
    found = {a.label: a for a in platform_apps()}
    assert set(found) == DOMAIN_APPS
    for label, config in found.items():
        assert type(config) is not PlatformApp and type(config).__module__.endswith(".apps")
        assert apps.get_app_config(label) is config


def test_declared_pages_api_and_menu_are_mounted():
    prefixes = {path for path, _router in api._routers}
    entries = {e.key: e for e in menu.entries()}
    for config in platform_apps():
        assert f"/{config.api_prefix}" in prefixes, config.label
        for link in config.menu:
            url = reverse(link.url_name)
            assert url.startswith(f"/{config.url_prefix}"), (link.key, url)
            assert entries[link.key].url == url
