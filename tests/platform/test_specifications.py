"""The technical specifications registry (计量技术规范体系, issue 16 §27).

Real editions seeded here (numbers, titles and dates from the publishers' records as listed by
chinesestandard.net, "JJG 162: Evolution and historical versions" and "JJG 539-2016 Basic data"):

* JJG 162-2009 冷水水表, implemented 2009-04-30; JJG 162-2019 冷水水表 (cold potable water
  meters), issued 2019-12-31, implemented 2020-03-31, replaces JJG 162-2009;
* JJG 539-2016 数字指示秤 (digital indicating weighing instruments), issued 2016-11-30,
  implemented 2017-05-30, replaces JJG 539-1997;
* JJG 596-2012 电子式交流电能表 (number only, for normalisation).

The catalogue (SAMR 2020 No. 42, src/jiliang/core/legal/data/catalogue-samr-2020-42.yaml) names
JJG 539-2016 for both ``electronic_price_scale`` and ``truck_scale``. Local numbers ``JJF(浙) …``
are hypothetical test records (no real Zhejiang document is implied).
"""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.legal.specifications import (
    SpecificationNumberError,
    normalise_spec_number,
    parse_spec_number,
)
from jiliang.platform.accounts.models import ApiToken
from jiliang.platform.accounts.services import create_user
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.indicators import queries
from jiliang.platform.specifications import services
from jiliang.platform.specifications.models import AppliedSpecification, Specification

from .conftest import PASSWORD, file_scales

API = "/api/specifications"
JSON = "application/json"


@pytest.fixture
def nmi(world):
    """A member of the national metrology institute's staff (drafts national documents)."""
    user = create_user("nmi", PASSWORD, "lab_staff", organisation=world.orgs["nmi"].code)
    world.tokens["nmi"] = ApiToken.issue(user, "test")[1]
    return user


def post(client, world, role, body, path="", **headers):
    return client.post(f"{API}{path}", body, content_type=JSON, **world.auth(role), **headers)


def patch(client, world, role, pk, body):
    return client.patch(f"{API}/{pk}", body, content_type=JSON, **world.auth(role))


def fields_of(response) -> set[str]:
    return {d["loc"][-1] for d in response.json()["detail"]}


WATER_2009 = {
    "number": "JJG 162-2009",
    "title": "冷水水表",
    "title_en": "Cold water meters",
    "kind": "national_regulation",
    "status": "in_force",
    "effective_on": "2009-04-30",
    "catalogue_items": ["water_meter"],
    "quantities": ["volume"],
}
WATER_2019 = {
    **WATER_2009,
    "number": "JJG 162-2019",
    "title_en": "Cold potable water meters",
    "effective_on": "2020-03-31",
    "replaces": "JJG 162-2009",
}


def local(number: str, **extra) -> dict:
    return {
        "number": number,
        "title": "地方规范（测试）",
        "kind": "local_specification",
        "region": "330000",
        "status": "in_force",
        "effective_on": "2021-01-01",
        **extra,
    }


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ＪＪＧ５９６－２０１２", "JJG 596-2012"),  # fullwidth, folded by NFKC
        ("jjg596—2012", "JJG 596-2012"),  # lower case, em dash, no space
        ("  JJG  162 - 2019 ", "JJG 162-2019"),
        ("JJF1059.1–2012", "JJF 1059.1-2012"),  # part number, en dash
        ("JJF（浙） 12-2020", "JJF(浙) 12-2020"),  # fullwidth parentheses
    ],
)
def test_numbers_are_normalised(typed, stored):
    assert normalise_spec_number(typed) == stored


@pytest.mark.parametrize(
    "bad", ["JJG 596", "GB 17167-2006", "JJG 596-12", "JJG 596-2012\u200b", "JJГ 596-2012", ""]
)
def test_bad_numbers_name_the_field(bad):
    with pytest.raises(SpecificationNumberError, match=r"^number"):
        normalise_spec_number(bad)


def test_local_tag_gives_the_province():
    assert parse_spec_number("JJF(吉) 7-2021").province_prefix == "22"
    assert parse_spec_number("JJG(铁道) 123-2015").province_prefix is None
    assert parse_spec_number("JJG 596-2012").is_regulation


# --------------------------------------------------------------------------- permissions


def test_nmi_registers_a_national_regulation_and_number_is_normalised(client, world, nmi):
    r = post(client, world, "nmi", {**WATER_2009, "number": "jjg162—2009"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"] == "JJG 162-2009" and body["status"] == "in_force"
    listed = client.get(API).json()  # public read, the registry's list shape
    assert (listed["count"], listed["limit"], listed["offset"]) == (1, 50, 0)
    assert listed["items"][0]["number"] == "JJG 162-2009"
    assert client.get(f"{API}/{body['id']}").json()["title"] == "冷水水表"


@pytest.mark.parametrize("role", ["regulator", "lab", "enterprise", "inspector"])
def test_only_the_national_authority_writes_national_documents(client, world, role):
    r = post(client, world, role, WATER_2009)
    assert r.status_code == 403 and fields_of(r) == {"kind"}
    assert not Specification.objects.exists()


def test_anonymous_write_is_401(client, world):
    assert post(client, world, "anon", WATER_2009).status_code == 401


def test_local_documents_by_the_provincial_regulator_only(client, world, nmi):
    assert post(client, world, "regulator_nb", local("JJF(浙) 1-2021")).status_code == 403
    assert post(client, world, "nmi", local("JJF(浙) 1-2021")).status_code == 403
    r = post(client, world, "regulator", local("JJF(浙) 1-2021"))
    assert r.status_code == 201, r.content
    assert r.json()["region"] == "330000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (local("JJG(浙) 2-2021"), "number"),  # a JJG is a regulation, not a specification
        (local("JJF 2-2021"), "number"),  # no province tag
        (local("JJF(苏) 2-2021"), "region"),  # 苏 is Jiangsu (32), the region 330000
        (local("JJF(浙) 2-2021", region="330100"), "region"),  # a city
        (local("JJF(浙) 2-2021", effective_on=None), "effective_on"),
        (local("JJF(浙) 2-2021", status="withdrawn"), "withdrawn_on"),
        (local("JJF(浙) 2-2021", status="withdrawn", withdrawn_on="2020-12-31"), "withdrawn_on"),
        (local("JJF(浙) 2-2021", catalogue_items=["no_such_item"]), "catalogue_items"),
        (local("JJF(浙) 2-2021", quantities=["colour"]), "quantities"),
    ],
)
def test_inconsistent_records_are_422_naming_the_field(client, world, body, field):
    r = post(client, world, "regulator", body)
    assert r.status_code == 422, r.content
    assert field in fields_of(r)
    assert (
        not Specification.objects.exists()
        and not AuditEntry.objects.filter(model="specifications.specification").exists()
    )


def test_duplicate_number_is_422(client, world):
    assert post(client, world, "regulator", local("JJF(浙) 3-2021")).status_code == 201
    r = post(client, world, "regulator", local("jjf(浙)3-2021"))
    assert r.status_code == 422 and fields_of(r) == {"number"}


# --------------------------------------------------------------------------- replacement


def test_replacement_withdraws_the_old_edition_in_one_audited_change(client, world, nmi):
    old = post(client, world, "nmi", WATER_2009).json()
    r = post(client, world, "nmi", WATER_2019, HTTP_X_CHANGE_REASON="JJG 162-2019 发布")
    assert r.status_code == 201, r.content
    new = r.json()
    assert new["replaces"] == "JJG 162-2009"
    after = client.get(f"{API}/{old['id']}").json()
    assert after["status"] == "withdrawn" and after["withdrawn_on"] == "2020-03-31"
    assert after["replaced_by"] == ["JJG 162-2019"]
    entries = AuditEntry.objects.filter(
        model="specifications.specification", reason="JJG 162-2019 发布"
    )
    assert sorted((e.object_id, e.action) for e in entries) == sorted(
        [(str(new["id"]), "create"), (str(old["id"]), "update")]
    )
    # in force on each side of the switch-over date (the withdrawal date is the first day out)
    day_before = services.in_force_on(dt.date(2020, 3, 30)).values_list("number", flat=True)
    on_the_day = services.in_force_on(dt.date(2020, 3, 31)).values_list("number", flat=True)
    assert list(day_before) == ["JJG 162-2009"] and list(on_the_day) == ["JJG 162-2019"]


def test_failed_withdrawal_of_the_old_edition_leaves_nothing_written(world, nmi, monkeypatch):
    spec = Specification(number="JJG 162-2009", title="冷水水表", kind="national_regulation")
    spec.status, spec.effective_on = "in_force", dt.date(2009, 4, 30)
    services.save_specification(nmi, spec)
    entries = AuditEntry.objects.count()
    real_save = Specification.save

    def failing_save(self, *args, **kwargs):
        if self.number == "JJG 162-2009":
            raise RuntimeError("disk full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Specification, "save", failing_save)
    new = Specification(number="JJG 162-2019", title="冷水水表", kind="national_regulation")
    new.status, new.effective_on, new.replaces = "in_force", dt.date(2020, 3, 31), spec
    with pytest.raises(RuntimeError):
        services.save_specification(nmi, new)
    assert list(Specification.objects.values_list("number", "status")) == [
        ("JJG 162-2009", "in_force")
    ]
    assert AuditEntry.objects.count() == entries


def test_cycles_in_replaces_are_refused(client, world, nmi):
    a = post(client, world, "nmi", WATER_2009).json()
    b = post(client, world, "nmi", WATER_2019).json()
    r = patch(client, world, "nmi", a["id"], {"replaces": "JJG 162-2019"})
    assert r.status_code == 422 and fields_of(r) == {"replaces"}
    r = patch(client, world, "nmi", b["id"], {"replaces": "JJG 162-2019"})
    assert r.status_code == 422 and fields_of(r) == {"replaces"}
    assert client.get(f"{API}/{a['id']}").json()["replaces"] is None


def test_withdraw_endpoint_checks_the_dates(client, world):
    spec = post(client, world, "regulator", local("JJF(浙) 4-2021")).json()
    r = post(client, world, "regulator", {"on": "2020-06-01"}, f"/{spec['id']}/withdraw")
    assert r.status_code == 422 and fields_of(r) == {"withdrawn_on"}
    assert (
        post(
            client, world, "regulator_nb", {"on": "2024-06-01"}, f"/{spec['id']}/withdraw"
        ).status_code
        == 403
    )
    r = post(client, world, "regulator", {"on": "2024-06-01"}, f"/{spec['id']}/withdraw")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert r.json()["withdrawn_on"] == "2024-06-01"


# --------------------------------------------------------------------------- impact


@pytest.fixture
def scales_editions(world, nmi):
    """JJG 539-1997 (governing price scales only — a test assumption; its effective date is a
    stand-in, not taken from a source) replaced by JJG 539-2016 (both catalogue items)."""
    old = Specification(
        number="JJG 539-1997",
        title="数字指示秤",
        kind="national_regulation",
        status="in_force",
        effective_on=dt.date(1998, 1, 1),
        catalogue_items=["electronic_price_scale"],
        quantities=["mass"],
    )
    services.save_specification(nmi, old)
    new = Specification(
        number="JJG 539-2016",
        title="数字指示秤",
        title_en="Digital indicating weighing instruments",
        kind="national_regulation",
        status="in_force",
        effective_on=dt.date(2017, 5, 30),
        replaces=old,
        catalogue_items=["electronic_price_scale", "truck_scale"],
        quantities=["mass"],
    )
    services.save_specification(nmi, new)
    return old, new


def test_impact_of_a_revision_counts_instruments_standards_and_institutions(
    client, world, scales_editions
):
    _old, new = scales_editions
    file_scales(world)
    r = client.get(f"{API}/{new.pk}/impact?as_of=2026-03-01", **world.auth("regulator"))
    assert r.status_code == 200
    body = r.json()
    # the world's two scales (Xihu and Haishu), both filed; STD-HZ served JD-HZ-1
    assert body["instruments"] == 2
    assert body["instruments_by_category"] == [{"key": "electronic_price_scale", "count": 2}]
    assert body["filings"] == 2
    assert body["standards"] == 1 and body["standards_by_level"] == [{"key": "public", "count": 1}]
    # lab_hz's authorisation for electronic price scales (2020-01-01..2030-12-31)
    assert body["institutions"] == [
        {"code": world.orgs["lab_hz"].code, "name": "lab_hz", "scopes": 1}
    ]
    assert body["revision"]["replaces"] == "JJG 539-1997"
    assert body["revision"]["withdrawn_on"] == "2017-05-30"
    assert body["revision"]["categories_added"] == ["truck_scale"]
    assert body["revision"]["categories_dropped"] == []
    # the public sees no instruments or filings (not public records), still the institutions
    anon = client.get(f"{API}/{new.pk}/impact?as_of=2026-03-01").json()
    assert (anon["instruments"], anon["filings"], len(anon["institutions"])) == (0, 0, 1)
    # Ningbo's regulator sees its own scale only
    nb = client.get(f"{API}/{new.pk}/impact?as_of=2026-03-01", **world.auth("regulator_nb"))
    assert nb.json()["instruments"] == 1


def test_verification_links_to_the_edition_in_force(client, world, scales_editions):
    _old, new = scales_editions
    body = {"event": "JD-HZ-1", "specification": "JJG 539-1997"}
    r = post(client, world, "lab", body, "/applied")  # performed 2026-01-10: 1997 withdrawn
    assert r.status_code == 422 and fields_of(r) == {"specification"}
    body["specification"] = "jjg539-2016"
    assert post(client, world, "enterprise", body, "/applied").status_code == 403
    r = post(client, world, "lab", body, "/applied")
    assert r.status_code == 201 and r.json()["specification"] == "JJG 539-2016"
    assert client.get(f"{API}/applied?event=JD-HZ-1", **world.auth("lab")).json() == {
        "event": "JD-HZ-1",
        "specification": "JJG 539-2016",
    }
    assert client.get(f"{API}/applied?event=JD-HZ-1").status_code == 404  # events not public
    assert services.impact(new, dt.date(2026, 3, 1))["verifications"] == 1
    # the verification's registry page names the specification it applied
    event = world.events["hz"]
    client.force_login(world.users["lab"])
    page = client.get(f"/r/calibrations/{event.pk}/").content.decode()
    assert 'id="specification-panel"' in page and "JJG 539-2016" in page
    link = AppliedSpecification.objects.get()
    assert AuditEntry.objects.filter(
        model="specifications.appliedspecification", object_id=str(link.pk), action="create"
    ).exists()


# --------------------------------------------------------------------------- indicator


def test_local_specifications_indicator_counts_records_in_force(client, world):
    for number, extra in [
        ("JJF(浙) 10-2021", {}),
        ("JJG(浙) 11-2022", {"kind": "local_regulation", "effective_on": "2022-07-01"}),
        (
            "JJF(浙) 12-2019",
            {"status": "withdrawn", "effective_on": "2019-01-01", "withdrawn_on": "2023-01-01"},
        ),
        ("JJF(浙) 13-2026", {"status": "draft", "effective_on": None}),
    ]:
        assert post(client, world, "regulator", local(number, **extra)).status_code == 201
    result = queries.QUERIES["local_specifications"]("33", dt.date(2026, 3, 1))
    assert (result.value, result.record_count, result.no_records) == (2, 2, False)
    assert sorted(result.records.values_list("number", flat=True)) == [
        "JJF(浙) 10-2021",
        "JJG(浙) 11-2022",
    ]
    # on 2022-01-01: JJF 10 and the 2019 edition (withdrawn only from 2023), not JJG 11 yet
    assert queries.local_specifications("33", dt.date(2022, 1, 1)).value == 2
    assert queries.local_specifications("3302", dt.date(2026, 3, 1)).value == 0
    assert "地方计量检定规程" in result.description


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize(
    ("lang", "heading"), [("zh-hans", "计量技术规范"), ("en", "Technical specifications")]
)
def test_list_and_detail_pages_in_both_languages(client, world, scales_editions, lang, heading):
    _old, new = scales_editions
    client.cookies["django_language"] = lang
    page = client.get("/specifications/", HTTP_ACCEPT_LANGUAGE=lang)
    assert page.status_code == 200
    text = page.content.decode()
    assert heading in text and "JJG 539-2016" in text and "JJG 539-1997" in text
    detail = client.get(f"/specifications/{new.pk}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert "JJG 539-1997" in detail and "truck_scale" in detail
    if lang == "en":
        assert "Digital indicating weighing instruments" in detail and "Revision impact" in detail
    filtered = client.get("/specifications/?status=withdrawn").content.decode()
    assert "JJG 539-1997" in filtered and "JJG 539-2016" not in filtered
    export = client.get("/specifications/?format=csv")
    csv = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = csv.splitlines()
    assert len(rows) == 3 and rows[1].startswith("JJG 539-1997,")
    assert rows[2].startswith("JJG 539-2016,") and rows[2].endswith(",2017-05-30,,JJG 539-1997")


def test_admin_add_goes_through_the_rules_and_the_replacement(client, world):
    """The admin form is validated by the service's rules and saves through it."""
    old = Specification(
        number="JJG 162-2009",
        title="冷水水表",
        kind="national_regulation",
        status="in_force",
        effective_on=dt.date(2009, 4, 30),
    )
    services.save_specification(world.users["admin"], old)
    client.force_login(world.users["admin"])
    form = {
        "number": "jjg162－2019",
        "title": "冷水水表",
        "title_en": "",
        "kind": "national_regulation",
        "status": "in_force",
        "effective_on": "2020-03-31",
        "replaces": str(old.pk),
        "catalogue_items": '["water_meter"]',
        "instrument_categories": "[]",
        "quantities": "[]",
        "change_reason": "admin entry",
    }
    bad = client.post("/admin/specifications/specification/add/", {**form, "status": "withdrawn"})
    assert bad.status_code == 200 and "withdrawn_on" in bad.content.decode()
    r = client.post("/admin/specifications/specification/add/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    new = Specification.objects.get(number="JJG 162-2019")
    old.refresh_from_db()
    assert (old.status, old.withdrawn_on) == ("withdrawn", dt.date(2020, 3, 31))
    assert AuditEntry.objects.filter(
        model="specifications.specification", object_id=str(new.pk), reason="admin entry"
    ).exists()
