r"""Quantities and codes as people read them (issue 18, items 2 and 3).

Units as symbols (kg, µm/m, ℃/°C) with the Chinese legal name on Chinese pages, values and U
per GUM 7.2.6 in a unit suited to the magnitude (the ``metrology`` template tags over
``core.presentation``); every choice and catalogue code through its translated label; one
English translation per Chinese source string. The crawl renders the main pages in Chinese on
the shared fixture and looks for internal codes and D-SI text in what a reader sees.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.template import Context, Template
from django.utils import translation

from jiliang.core.legal.catalogue import default_catalogue
from jiliang.platform.registry import models as m
from jiliang.platform.registry.resources import RESOURCES
from jiliang.platform.traceability import loader

from .conftest import hz_verification

ROOT = Path(__file__).resolve().parents[2]
PO = "src/jiliang/platform/locale/en/LC_MESSAGES/django.po"


def _render(source: str, lang: str = "zh-hans", **context) -> str:
    with translation.override(lang):
        return Template("{% load metrology %}" + source).render(Context(context))


class _Text(HTMLParser):
    """The text a reader sees: character data outside <script>/<style>, no attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def visible_part(html: str, marker: str, end: str = "</table>") -> str:
    """The visible text from ``marker`` up to the next ``end`` (a table's end by default)."""
    part = html[html.index(marker) :]
    return visible_text(part[: part.index(end)])


def hz_detail_page(client, world, lang: str) -> str:
    """The Hangzhou scale's detail page as the admin reads it in ``lang``."""
    client.force_login(world.users["admin"])
    hz = world.instruments["hz"]
    return client.get(f"/r/instruments/{hz.pk}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


# -- the tags ---------------------------------------------------------------------------------
def test_quantity_prefix_suited_to_the_magnitude():
    assert _render(r"{% quantity v u %}", v=5.4e-6, u=r"\kilogram") == (
        '<span class="qty" title="毫克">5.4 mg</span>'
    )
    assert _render(r"{% quantity v u %}", "en", v=5.4e-6, u=r"\kilogram") == (
        '<span class="qty">5.4 mg</span>'
    )
    # a U alone: two significant digits
    assert ">1.0 g<" in _render(r"{% quantity v u uncertainty=True %}", v=0.001, u=r"\kilogram")


def test_measured_per_gum_7_2_6():
    out = _render(
        r"{% measured v U u k=2 %}", "en", v=0.0020000000000000018, U=0.00052, u=r"\mega\pascal"
    )
    assert ">0.00200 MPa, U = 0.00052 MPa (k = 2)<" in out
    out = _render(r"{% measured v U u %}", v=0.0020000000000000018, U=0.00052, u=r"\mega\pascal")
    assert ">0.00200 MPa，U = 0.00052 MPa<" in out
    assert "0.0020000000000000018" not in out


def test_celsius_and_microstrain_symbols():
    assert ">20.000 ℃，U = 0.050 ℃<" in _render(
        r"{% measured v U u %}", v=20.0, U=0.05, u=r"\degreecelsius"
    )
    assert ">20.000 °C, U = 0.050 °C<" in _render(
        r"{% measured v U u %}", "en", v=20.0, U=0.05, u=r"\degreecelsius"
    )
    assert _render("{{ u|unit_label }}", u=r"\micro\metre\metre\tothe{-1}") == "µm/m（微米每米）"
    assert _render("{{ u|unit_label }}", "en", u=r"\micro\metre\metre\tothe{-1}") == "µm/m"
    assert _render("{{ u|unit_symbol }}", u=r"\degreecelsius") == "℃"
    assert _render("{{ u|unit_label }}", u=r"\kilogram") == "kg（千克）"


def test_range_missing_values_and_bad_units():
    assert ">0 – 200 mg<" in _render("{% quantity_range a b u %}", a=0, b=0.0002, u=r"\kilogram")
    assert _render("{% quantity v u %}", v=None, u=r"\kilogram") == "—"
    # a stored unit the core cannot read still renders (as stored), never a 500
    assert _render("{% quantity v u %}", v=1.5, u=r"\notaunit") == r"1.5 \notaunit"
    assert _render("{{ c|category_name }}", c="electronic_price_scale") == "电子计价秤"
    assert _render("{{ c|category_name }}", "en", c="electronic_price_scale") == (
        "Electronic price-computing scale"
    )
    assert _render("{{ c|category_name }}", c="home-made gadget") == "home-made gadget"


# -- pages ------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _fresh_engine():
    loader.clear_cache()
    yield
    loader.clear_cache()


@pytest.mark.parametrize(
    ("lang", "category", "unit_row"),
    [("zh-hans", "电子计价秤", "kg（千克）"), ("en", "Electronic price-computing scale", "kg")],
)
def test_instrument_detail(client, world, lang, category, unit_row):
    html = hz_detail_page(client, world, lang)
    fields = visible_part(html, '<table class="fields">')
    assert category in fields and "electronic_price_scale" not in fields
    assert unit_row in fields
    assert "±10 g" in fields  # MPE 0.01 kg
    assert "0 kg" in fields and "30 kg" in fields
    text = visible_text(html)
    assert "\\kilogram" not in text and "SI:" not in text
    assert "trade_settlement" not in text
    # the change history names fields by their labels, not their columns
    history = visible_text(html[html.index('class="grid history"') :])
    assert "accuracy_class" not in history and "mpe_si" not in history
    assert ("最大允许误差 MPE" if lang == "zh-hans" else "MPE") in history


def test_calibration_detail_rounds_the_result_to_its_U(client, world):
    client.force_login(world.users["admin"])
    event = world.events["hz"]  # 10.0 kg, U = 0.002 kg
    text = visible_text(client.get(f"/r/calibrations/{event.pk}/").content.decode())
    assert "10.0000 kg" in text and "0.0020 kg" in text


def test_reference_material_and_standard_lists(client, world):
    m.ReferenceMaterial.objects.create(
        gbw_number="GBW08601",
        name="solution",
        quantity="concentration",
        certified_value=0.0020000000000000018,
        uncertainty=0.00052,
        unit=r"\mega\pascal",  # any unit: what matters is the writing
        producer=world.orgs["nmi"],
        expiry=dt.date(2030, 1, 1),
    )
    client.force_login(world.users["admin"])
    text = visible_text(client.get("/r/reference-materials/").content.decode())
    assert "0.00200 MPa" in text and "0.00052 MPa" in text
    assert "0.0020000000000000018" not in text
    text = visible_text(client.get("/r/standards/").content.decode())
    assert "1.0 mg" in text  # the primary standard's U, 1e-6 kg
    assert "\\kilogram" not in text


@pytest.mark.parametrize(
    ("lang", "level", "U"),
    [("zh-hans", "社会公用计量标准", "1.0 g"), ("en", "Social public standard", "1.0 g")],
)
def test_chain_table(client, world, lang, level, U):
    table = visible_part(hz_detail_page(client, world, lang), 'id="trace-links"')
    assert level in table  # the lab's working standard, level "public"
    assert U in table  # its U of 1e-3 kg (stored in SI), not "0.0010"
    assert "0.0010" not in table
    assert "crm" not in table.split() and "instrument" not in table.split()


# -- the crawl --------------------------------------------------------------------------------
def _internal_codes() -> set[str]:
    """Choice values and catalogue codes that are identifiers, not words (snake_case)."""
    codes: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("jiliang."):
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "choices", None) or []:
                if isinstance(value, str) and "_" in value:
                    codes.add(value)
    codes |= {code for code in default_catalogue().items if "_" in code}
    # the core's risk levels and factors, credit events, traceability series
    codes |= {"medium_high", "overdue_days", "tamper_alarms", "credit_grade", "not_traceable"}
    codes |= {"verification_failure", "overdue_instrument", "spot_check_fail", "self_commitment"}
    return codes


def _pages(world) -> list[str]:
    pages = ["/", "/traceability/", "/budgets/", "/s/", "/s/due/", "/s/dashboard/", "/s/draws/"]
    pages += ["/s/credit/", "/s/prepackaged/", "/s/notifications/", "/s/assigned/"]
    pages += ["/s/commitments/", "/s/draws/new/", "/s/import/", "/log/", "/verify/"]
    pages += [f"/v/{world.instruments['hz'].uuid}/", "/budgets/new/", "/s/filings/new/"]
    pages += [f"/s/credit/{world.orgs['ent_hz'].code}/"]
    for resource in RESOURCES:
        pages.append(f"/r/{resource.slug}/")
        obj = resource.model.objects.first()
        if obj is not None:
            pages.append(f"/r/{resource.slug}/{obj.pk}/")
    return pages


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_no_internal_codes_or_dsi_text_on_the_pages(client, world, lang):
    from jiliang.platform.supervision.models import Filing
    from jiliang.platform.supervision.services import sync_filing

    inst = world.instruments["hz"]
    filing = sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))
    m.ReferenceMaterial.objects.create(  # a value with binary noise, as a sum leaves it
        gbw_number="GBW08602",
        name="noisy",
        quantity="mass",
        certified_value=0.1 + 0.2,
        uncertainty=5.4e-6,
        unit=r"\kilogram",
        producer=world.orgs["nmi"],
        expiry=dt.date(2030, 1, 1),
    )
    client.force_login(world.users["admin"])
    codes = _internal_codes()
    assert {"electronic_price_scale", "trade_settlement"} <= codes
    word = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+")
    dsi = re.compile(r"\\(?:kilo|milli|micro|mega)?(?:gram|kilogram|metre|pascal|second|litre)")
    noise = re.compile(r"\d\.\d{13,}")
    pages = [*_pages(world), f"/s/filings/{filing.pk}/"]
    found: dict[str, set[str]] = {}
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        leaks = {w for w in word.findall(text) if w in codes}
        leaks |= set(dsi.findall(text))
        leaks |= set(noise.findall(text))  # an unrounded float: 0.0020000000000000018
        if leaks:
            found[url] = leaks
    assert found == {}


# -- translations -----------------------------------------------------------------------------
def _tables() -> dict[str, dict[str, str]]:
    """msgid → {table file: English} over every translation table, duplicates in one dict too."""
    seen: dict[str, dict[str, str]] = {}
    paths = [ROOT / "scripts/translations_en.py"]
    paths += sorted((ROOT / "src/jiliang/platform").glob("*/translations_en.py"))
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)):
                continue
            if not any(getattr(t, "id", "") == "EN" for t in node.targets):
                continue
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(key, ast.Constant):
                    english = ast.literal_eval(value)
                    where = seen.setdefault(key.value, {})
                    label = str(path.relative_to(ROOT))
                    if label in where and where[label] != english:
                        label += " (again)"
                    where[label] = english
    return seen


def test_one_english_translation_per_chinese_string():
    tables = _tables()
    conflicts = {k: v for k, v in tables.items() if len(set(v.values())) > 1}
    assert conflicts == {}
    assert set(tables["不确定度预算"].values()) == {"Uncertainty budget"}


def test_catalogue_holds_the_tables_translation():
    """The compiled catalogue says what the tables say (a stale msgstr must not survive)."""
    tables = _tables()
    with translation.override("en"):
        for msgid in ("不确定度预算", "透明日志", "计量器具"):
            (english,) = set(tables[msgid].values())
            assert translation.gettext(msgid) == english


def test_every_catalogue_translation_comes_from_a_table():
    """No msgstr but the tables': a msgmerge guess (参考值计算方法 → "In the reference", from
    参与参考值计算) once lost its fuzzy flag on a second ``scripts/i18n`` run and shipped."""
    (_header, *entries) = (ROOT / PO).read_text(encoding="utf-8").split("\n\n")
    tables = {k: next(iter(v.values())) for k, v in _tables().items()}
    wrong = {}
    for entry in entries:
        single = re.search(r'^msgid "(.+)"\nmsgstr "(.+)"$', entry, re.M)
        if single and "#, fuzzy" not in entry:
            msgid, msgstr = single.groups()
            if msgid not in tables or tables[msgid].replace('"', '\\"') != msgstr:
                wrong[msgid] = msgstr
    assert wrong == {}


@pytest.mark.parametrize(
    ("lang", "basis"),
    [
        ("zh-hans", "电子计价秤（"),
        ("en", "Electronic price-computing scale ("),
    ],
)
def test_filing_legal_basis_in_the_pages_language(client, world, lang, basis):
    from jiliang.platform.supervision.models import Filing
    from jiliang.platform.supervision.services import sync_filing

    inst = world.instruments["hz"]
    filing = sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))
    client.force_login(world.users["admin"])
    html = client.get(f"/s/filings/{filing.pk}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    cell = visible_part(html, 'id="legal-basis"', "</td>")
    assert basis in cell and "JJG 539-2016" in cell
    if lang == "en":
        assert "Periodic verification every 12 months" in cell
    else:
        assert "周期检定，检定周期 12 个月" in cell and "periodic" not in cell


def test_budget_page_writes_y_and_U_per_gum_7_2_6(client, world):
    """GUM H.1 end gauge: y = 50 000 838 nm, u_c = 32 nm (JCGM 100 Annex H.1), as 2 digits."""
    import json

    import yaml

    spec = yaml.safe_load((ROOT / "examples/budgets/gum_h1_end_gauge.yaml").read_text("utf-8"))
    body = {
        "title": "H.1",
        "spec": spec,
        "method": "lpu",
        "event": world.events["hz"].certificate_no,
    }
    response = client.post(
        "/api/uncertainty/budgets",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth("lab"),
    )
    assert response.status_code == 201, response.content
    client.force_login(world.users["lab"])
    html = client.get(f"/budgets/{response.json()['id']}/").content.decode()
    summary = visible_part(html, 'id="summary"')
    assert "32 nm" in summary  # u_c, two significant digits
    assert re.search(r"50000838 nm", summary)  # y to the units place of U (≈ 64–68 nm)
    table = visible_part(html, 'id="contributions"')
    assert "正态" in table or "t 分布" in table  # distributions by name, not "normal"
    assert not {"normal", "rectangular", "t"} & set(table.split())


def test_risk_and_credit_codes_are_named(client, world):
    """A failed verification: the risk list and the credit page name its factor and event."""
    from jiliang.platform.supervision.models import Filing
    from jiliang.platform.supervision.services import sync_filing

    inst = world.instruments["hz"]
    hz_verification(world, "JD-HZ-FAIL", dt.date.today() - dt.timedelta(days=30), "fail")
    sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))
    client.force_login(world.users["admin"])
    risk = client.get("/s/dashboard/").content.decode()
    risk = visible_part(risk, 'id="risk"')
    assert "近三年检定不合格次数" in risk and "failures" not in risk
    credit = visible_text(client.get(f"/s/credit/{world.orgs['ent_hz'].code}/").content.decode())
    assert "检定不合格" in credit and "verification_failure" not in credit
