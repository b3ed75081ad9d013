"""Issue 18 item 1: saving an edit form unchanged changes nothing, in both languages.

The Chinese UI filled ``<input type="date">`` as ``2018/11/09``; the browser rejects that, shows the
field empty and the unchanged save erased the date. Here every registry edit form is rendered,
its HTML parsed as a browser would submit it (an input the browser's date widget cannot read is
submitted empty), posted back, and the record compared field by field.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.forms.models import model_to_dict

from jiliang.platform.registry import models as m
from jiliang.platform.registry.resources import RESOURCES

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FormFields(HTMLParser):
    """The name → value pairs a browser would submit for the page's form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button"}:
            value = a.get("value") or ""
            if a.get("type") == "date" and value and not ISO.match(value):
                value = ""  # what the browser's date input does with a non-ISO value
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = "on"
            else:
                self.data[name] = value
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _records(world) -> dict:
    std = world.standards["lab_hz"]
    std.certificate_no = "CERT-1"
    std.certificate_valid_from = dt.date(2018, 11, 9)
    std.certificate_valid_to = dt.date(2023, 11, 8)
    std.save()
    inst = world.instruments["hz"]
    inst.installed_on = dt.date(2018, 11, 9)
    inst.save()
    return {
        m.Region: world.regions["330106"],
        m.Organisation: world.orgs["ent_hz"],
        m.Scope: m.Scope.objects.first(),
        m.Person: world.people["lab_hz"],
        m.Qualification: m.Qualification.objects.first(),
        m.MeasurementStandard: std,
        m.Instrument: inst,
        m.CalibrationEvent: world.events["hz"],
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_edit_form_saved_unchanged_changes_nothing(client, world, language):
    client.force_login(world.users["admin"])
    client.cookies["django_language"] = language
    records = _records(world)
    checked = 0
    for resource in RESOURCES:
        obj = records.get(resource.model)
        if obj is None:
            continue
        obj.refresh_from_db()
        before = model_to_dict(obj)
        url = f"/r/{resource.slug}/{obj.pk}/edit/"
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200, url
        parser = FormFields()
        parser.feed(page.content.decode())
        data = {k: v for k, v in parser.data.items() if k != "csrfmiddlewaretoken"}
        r = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
        assert r.status_code == 302, (url, r.content.decode()[:2000])
        obj.refresh_from_db()
        after = model_to_dict(obj)
        assert after == before, resource.slug
        checked += 1
    assert checked == len(records)
