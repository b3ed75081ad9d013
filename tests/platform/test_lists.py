"""Issue 18 item 8: every list is paginated, exports all filtered (readable) rows as CSV/XLSX,
and every "overdue" count is the same number with its definition beside it."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import itertools
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from jiliang.core.identifiers import make_lifetime_id
from jiliang.platform import lists
from jiliang.platform.registry import models as m
from jiliang.platform.registry.resources import BY_SLUG, RESOURCES
from jiliang.platform.supervision.models import Filing
from jiliang.platform.supervision.services import (
    NOT_ON_TIME_DEFINITION,
    OVERDUE_DEFINITION,
    sync_filing,
)

from .conftest import hz_failed_verification

SEQ = itertools.count(500)  # lifetime ID serials, unique across calls
COUNT = re.compile(r'<span class="count">共 (\d+) 条</span>')


def _meters(world, n: int, owner="ent_hz", region="330106", name=None) -> list[m.Instrument]:
    return [
        m.Instrument.objects.create(
            lifetime_id=make_lifetime_id(region, "WTM", 2024, next(SEQ)),
            category="water_meter",
            name=name or f"meter {i:03d}",
            quantity="volume",
            unit=r"\litre",
            owner=world.orgs[owner],
            region=world.regions[region],
            compulsory=True,
            use="trade_settlement",
        )
        for i in range(n)
    ]


def _file(inst: m.Instrument) -> Filing:
    """File ``inst`` under compulsory management (water meters: DN 20)."""
    params = {"dn_mm": 20} if inst.category == "water_meter" else {}
    return sync_filing(
        Filing(instrument=inst, item_code=inst.category, use=inst.use, params=params)
    )


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "a BOM, so Excel opens the Chinese as UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == lists.XLSX_TYPE
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def _count(page: str) -> int:
    found = COUNT.search(page)
    assert found, "the list shows its total count"
    return int(found.group(1))


# ------------------------------------------------------------------ pagination


def test_pagination_keeps_filters_and_counts_everything(client, world):
    _meters(world, lists.PAGE_SIZE + 5)
    client.force_login(world.users["enterprise"])
    first = client.get("/r/instruments/?category=water_meter").content.decode()
    assert _count(first) == lists.PAGE_SIZE + 5
    assert first.count("meter ") == lists.PAGE_SIZE  # one page of rows, not all
    assert "第 1 / 2 页" in first
    links = {html.unescape(h) for h in re.findall(r'href="(\?[^"]*)" rel="next"', first)}
    assert links == {"?category=water_meter&page=2"}

    second = client.get("/r/instruments/?category=water_meter&page=2").content.decode()
    assert second.count("meter ") == 5
    assert _count(second) == lists.PAGE_SIZE + 5
    prev = {html.unescape(h) for h in re.findall(r'href="(\?[^"]*)" rel="prev"', second)}
    assert prev == {"?category=water_meter&page=1"}
    # the export links carry the filters and not the page: they export every filtered row
    exports = {html.unescape(h) for h in re.findall(r'href="(\?[^"]*format=[^"]*)"', second)}
    assert exports == {"?category=water_meter&format=csv", "?category=water_meter&format=xlsx"}


def test_a_page_with_two_lists_pages_each_on_its_own(client, world):
    meters = _meters(world, lists.PAGE_SIZE + 1)
    for inst in meters:  # never verified: overdue
        _file(inst)
    client.force_login(world.users["admin"])
    page = client.get("/s/due/?soon_page=3").content.decode()
    assert '<span id="n-overdue">51</span>' in page
    nexts = {html.unescape(h) for h in re.findall(r'href="(\?[^"]*)" rel="next"', page)}
    # the overdue list's next page keeps the other list where it was
    assert nexts == {"?soon_page=3&page=2"}
    # each list's export drops its own page (it exports every row) and names the list
    assert 'href="?format=csv&amp;list=soon"' in page
    assert 'href="?soon_page=3&amp;format=csv"' in page
    rows = _csv(client.get("/s/due/?format=csv"))
    assert len(rows) == 1 + lists.PAGE_SIZE + 1
    assert _csv(client.get("/s/due/?format=csv&list=soon")) == [rows[0]]  # header only


# ------------------------------------------------------------------ export


def test_export_has_every_filtered_row_and_only_readable_ones(client, world):
    mine = _meters(world, lists.PAGE_SIZE + 5)
    theirs = _meters(world, 3, owner="ent_nb", region="330203", name="other meter")
    client.force_login(world.users["enterprise"])
    rows = _csv(client.get("/r/instruments/?category=water_meter&format=csv"))
    header, data = rows[0], rows[1:]
    fields = BY_SLUG["instruments"].columns
    assert header == [str(m.Instrument._meta.get_field(c).verbose_name) for c in fields]
    assert header[0] == "器具识别编码"  # translated (the page's language), not field names
    assert {r[0] for r in data} == {i.lifetime_id for i in mine}  # all pages, none of theirs
    assert data[0][5] == "在用" and data[0][6] == "✔"  # values as displayed
    sheet = _xlsx(client.get("/r/instruments/?category=water_meter&format=xlsx"))
    assert sheet[0] == tuple(header)
    assert {r[0] for r in sheet[1:]} == {i.lifetime_id for i in mine}
    # the other city's regulator reads only its own region's
    client.force_login(world.users["regulator_nb"])
    data = _csv(client.get("/r/instruments/?category=water_meter&format=csv"))[1:]
    assert {r[0] for r in data} == {i.lifetime_id for i in theirs}
    # anonymous users read no instruments: an empty export, not someone else's rows
    client.logout()
    assert _csv(client.get("/r/instruments/?format=csv"))[1:] == []


def test_supervision_export_is_scoped_like_its_page(client, world):
    for inst in world.instruments.values():
        _file(inst)
    client.force_login(world.users["enterprise"])
    data = _csv(client.get("/s/?format=csv"))
    assert data[0][0] == "器具识别编码"
    assert {r[0] for r in data[1:]} == {world.instruments["hz"].lifetime_id}
    sheet = _xlsx(client.get("/s/?format=xlsx"))
    assert {r[0] for r in sheet[1:]} == {world.instruments["hz"].lifetime_id}
    # the credit list: a city's regulator exports its city's enterprises only
    client.force_login(world.users["regulator_nb"])
    data = _csv(client.get("/s/credit/?format=csv"))
    assert [r[1] for r in data[1:]] == [world.orgs["ent_nb"].code]
    assert data[1][3] == "—"  # never on the serious-violation list, as the page shows


def test_export_headers_follow_the_language(client, world):
    client.force_login(world.users["admin"])
    rows = _csv(client.get("/s/?format=csv", HTTP_ACCEPT_LANGUAGE="en"))
    with translation.override("en"):
        assert rows[0][0] == str(gettext_lazy("器具识别编码")) != "器具识别编码"


def test_formula_cells_are_escaped_in_csv_and_xlsx(client, world):
    _meters(world, 1, name='=HYPERLINK("http://evil.example","x")')
    _meters(world, 1, name="@SUM(A1)")
    client.force_login(world.users["enterprise"])
    names = {r[1] for r in _csv(client.get("/r/instruments/?category=water_meter&format=csv"))}
    assert '\'=HYPERLINK("http://evil.example","x")' in names
    assert not any(n.startswith(("=", "@")) for n in names)
    sheet = _xlsx(client.get("/r/instruments/?category=water_meter&format=xlsx"))
    cells = {r[1] for r in sheet[1:]}
    assert '\'=HYPERLINK("http://evil.example","x")' in cells


def test_cells_numbers_dates_and_formulas():
    assert lists.safe_text(lists.display(-3.5)) == -3.5  # a number is not a formula
    assert lists.safe_text(lists.display("-3.5")) == "'-3.5"  # text that looks like one is
    assert lists.safe_text("+1") == "'+1" and lists.safe_text("\tx") == "'\tx"
    assert lists.display(dt.date(2026, 1, 2)) == "2026-01-02"
    assert lists.display(None) == "" and lists.display(float("nan")) == "nan"


def test_unknown_format_is_a_400_naming_the_parameter(client, world):
    client.force_login(world.users["admin"])
    response = client.get("/r/instruments/?format=pdf")
    assert response.status_code == 400
    assert "format" in response.content.decode()


LIST_URLS = [
    *(f"/r/{r.slug}/" for r in RESOURCES),
    "/s/",
    "/s/due/",
    "/s/assigned/",
    "/s/notifications/",
    "/s/draws/",
    "/s/prepackaged/",
    "/s/credit/",
    "/s/commitments/",
    "/budgets/",
    "/traceability/",
]


@pytest.mark.parametrize("url", LIST_URLS)
def test_every_list_pages_and_exports(client, world, url):
    client.force_login(world.users["admin"])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'class="pager"' in text and "format=csv" in text and "format=xlsx" in text
    rows = _csv(client.get(url + "?format=csv"))
    assert rows and all(rows[0]), "a translated header for every column"
    sheet = _xlsx(client.get(url + "?format=xlsx"))
    assert [str(c) for c in sheet[0]] == rows[0]
    assert len(sheet) == len(rows)


# ------------------------------------------------------------------ one "overdue"


def test_overdue_is_one_number_with_its_definition_everywhere(client, world):
    hz_failed_verification(world)  # hz's last verification failed: overdue
    never = _meters(world, 3)  # never verified: overdue
    for inst in [*world.instruments.values(), *never]:
        _file(inst)
    # a filed, never-verified instrument taken out of use: "not on time", not "overdue"
    m.Instrument.objects.filter(pk=never[0].pk).update(status="suspended")
    definition = str(OVERDUE_DEFINITION)

    client.force_login(world.users["admin"])
    home = client.get("/").content.decode()
    card = re.search(r'id="overdue-card"[^>]*><span class="n">(\d+)</span>', home)
    assert card and definition in home
    listed = client.get("/r/instruments/?overdue=true").content.decode()
    assert definition in listed
    due = client.get("/s/due/").content.decode()
    n_due = int(re.search(r'<span id="n-overdue">(\d+)</span>', due).group(1))
    assert definition in due
    dash = client.get("/s/dashboard/").content.decode()
    n_dash = int(re.search(r'id="dashboard-overdue"[^>]*><span class="n">(\d+)</span>', dash)[1])
    assert definition in dash and str(NOT_ON_TIME_DEFINITION) in dash
    api = client.get("/api/registry/instruments?overdue=true").json()["count"]

    # hz failed, 2 of the 3 water meters are in use and never verified (nb is in date)
    assert int(card.group(1)) == _count(listed) == n_due == n_dash == api == 3
    # the coverage's "not on time" counts the suspended one too: another word, another number
    not_on_time = int(re.search(r'id="not-on-time">(\d+)<', dash).group(1))
    assert not_on_time == 4


def test_traceability_broken_chains_export_all_in_scope(client, world):
    nb = world.instruments["nb"].lifetime_id  # lab_nb has no authorisation: a broken chain
    client.force_login(world.users["admin"])
    page = client.get("/traceability/").content.decode()
    rows = _csv(client.get("/traceability/?format=csv"))
    assert nb in page and nb in {r[0] for r in rows[1:]}
    assert len(rows) - 1 == int(re.search(r"断链器具 \((\d+)\)", page).group(1))
    # Hangzhou's inspector does not read Ningbo's instruments: not in the export either
    client.force_login(world.users["inspector"])
    assert nb not in {r[0] for r in _csv(client.get("/traceability/?format=csv"))[1:]}
