"""Recorded English names (``name_en``) are what English pages show (issue 12: "``name_en`` data
is never shown in the English UI"); Chinese pages and the stored name stay Chinese."""

from __future__ import annotations

from django.utils import translation

from jiliang.platform.registry import models as m


def test_str_and_display_name_follow_the_language(world):
    region = world.regions["330100"]
    region.name_en = "Hangzhou"
    region.save()
    with translation.override("en"):
        assert str(region) == "Hangzhou (330100)" and region.display_name == "Hangzhou"
    with translation.override("zh-hans"):
        assert str(region) == "杭州市 (330100)" and region.display_name == "杭州市"
    # without an English name the Chinese one is shown on English pages too
    with translation.override("en"):
        assert world.regions["330200"].display_name == "宁波市"


def test_english_pages_show_the_english_names(client, world):
    org = world.orgs["ent_hz"]
    m.Organisation.objects.filter(pk=org.pk).update(name="杭州某超市", name_en="Hangzhou Market")
    client.force_login(world.users["regulator"])
    english = client.get("/r/instruments/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/r/instruments/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Hangzhou Market" in english and "杭州某超市" not in english
    assert "杭州某超市" in chinese and "Hangzhou Market" not in chinese
