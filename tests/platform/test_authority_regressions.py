"""Issue 11's reproductions of "ownership is not authority", each as a named test.

Each was a successful write on the demo before the authority model (``registry/authority.py``);
each must now be refused with the field named, and nothing written.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jiliang.core.identifiers import make_lifetime_id
from jiliang.platform.accounts.services import create_user
from jiliang.platform.registry import models as m
from jiliang.platform.supervision.models import Filing
from jiliang.platform.supervision.services import sync_filing

from .conftest import PASSWORD


def api(client, world, role, method, path, body=None):
    kwargs = world.auth(role)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/registry/{path}", **kwargs)


def denied_fields(response) -> set[str]:
    assert response.status_code == 403, response.content
    return {d["loc"][-1] for d in response.json()["detail"]}


@pytest.fixture
def filed(world):
    inst = world.instruments["hz"]
    m.CalibrationEvent.objects.filter(instrument=inst).update(due_on=dt.date(2026, 2, 1))
    return sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))


def test_enterprise_cannot_verify_its_own_compulsory_instrument(client, world, filed):
    status = filed.status
    body = {
        "certificate_no": "SELF-1",
        "kind": "verification",
        "instrument": world.instruments["hz"].lifetime_id,
        "performed_by": world.orgs["ent_hz"].code,
        "performed_on": "2026-11-01",
        "issued_on": "2026-11-01",
        "due_on": "2029-11-01",
        "unit": r"\kilogram",
        "conformity": "pass",
    }
    r = api(client, world, "enterprise", "post", "calibrations", body)
    assert "kind" in denied_fields(r)
    assert not m.CalibrationEvent.objects.filter(certificate_no="SELF-1").exists()
    filed.refresh_from_db()
    assert filed.status == status and filed.verified_by == world.orgs["lab_hz"]


def test_enterprise_cannot_claim_a_lab_performed_its_verification(client, world):
    body = {
        "certificate_no": "FAKE-1",
        "kind": "verification",
        "instrument": world.instruments["hz"].lifetime_id,
        "performed_by": world.orgs["lab_hz"].code,
        "performed_on": "2026-11-01",
        "issued_on": "2026-11-01",
        "unit": r"\kilogram",
    }
    r = api(client, world, "enterprise", "post", "calibrations", body)
    assert r.status_code == 403
    assert not m.CalibrationEvent.objects.filter(certificate_no="FAKE-1").exists()


def test_internal_calibration_of_non_compulsory_instrument_is_allowed_and_closes_nothing(
    client, world, filed
):
    own = m.Instrument.objects.create(
        lifetime_id=make_lifetime_id("330106", "EPS", 2024, 5),
        category="electronic_price_scale",
        name="workshop scale",
        quantity="mass",
        unit=r"\kilogram",
        owner=world.orgs["ent_hz"],
        region=world.regions["330106"],
        use="other",  # not a compulsory use: no compulsory verification
    )
    assert own.compulsory is False
    body = {
        "certificate_no": "INT-1",
        "kind": "calibration",
        "instrument": own.lifetime_id,
        "performed_by": world.orgs["ent_hz"].code,
        "performed_on": "2026-11-01",
        "issued_on": "2026-11-01",
        "unit": r"\kilogram",
    }
    r = api(client, world, "enterprise", "post", "calibrations", body)
    assert r.status_code == 201
    client.force_login(world.users["enterprise"])
    page = client.get(f"/r/calibrations/{r.json()['id']}/").content.decode()
    assert 'id="internal-calibration"' in page  # shown as such, never as a verification
    # the same on the compulsory (filed) instrument is refused: it is verified, not self-calibrated
    body |= {"certificate_no": "INT-2", "instrument": world.instruments["hz"].lifetime_id}
    assert "instrument" in denied_fields(
        api(client, world, "enterprise", "post", "calibrations", body)
    )


@pytest.mark.parametrize("role", ["enterprise", "lab"])
@pytest.mark.parametrize(
    "change",
    [{"kind": "nmi"}, {"region": "330203"}, {"name": "中国计量科学研究院"}],
    ids=["kind", "region", "name"],
)
def test_organisation_cannot_rewrite_its_identity(client, world, role, change):
    org = world.orgs["ent_hz" if role == "enterprise" else "lab_hz"]
    r = api(client, world, role, "patch", f"organisations/{org.pk}", change)
    assert set(change) <= denied_fields(r)
    org.refresh_from_db()
    assert org.kind in {"enterprise", "authorised"} and org.region.code == "330106"
    # contact data stays theirs to edit
    r = api(client, world, role, "patch", f"organisations/{org.pk}", {"address": "文三路 1 号"})
    assert r.status_code == 200


def test_filed_instrument_cannot_leave_its_regulator(client, world, filed):
    pk = world.instruments["hz"].pk
    r = api(client, world, "enterprise", "patch", f"instruments/{pk}", {"compulsory": False})
    assert r.status_code == 422  # derived from the catalogue: not an input at all
    r = api(client, world, "enterprise", "patch", f"instruments/{pk}", {"region": "330203"})
    assert "region" in denied_fields(r)
    r = api(client, world, "enterprise", "patch", f"instruments/{pk}", {"use": "other"})
    assert "use" in denied_fields(r)
    assert api(client, world, "regulator", "get", f"instruments/{pk}").status_code == 200
    assert api(client, world, "inspector", "get", f"instruments/{pk}").status_code == 200
    # the regulator may move it within its area (and compulsory follows the use)
    r = api(client, world, "regulator", "patch", f"instruments/{pk}", {"use": "other"})
    assert r.status_code == 200 and r.json()["compulsory"] is False
    r = api(client, world, "regulator_nb", "patch", f"instruments/{pk}", {"status": "retired"})
    assert r.status_code == 404


def test_enterprise_cannot_mint_a_cmc_or_an_authorisation(client, world):
    cmc = {
        "provider": world.orgs["ent_hz"].code,
        "quantity": "mass",
        "unit": r"\kilogram",
        "range_low": 0,
        "range_high": 1,
        "uncertainty": 0.0001,
    }
    assert api(client, world, "enterprise", "post", "cmcs", cmc).status_code == 403
    scope = {
        "organisation": world.orgs["ent_hz"].code,
        "kind": "authorisation",
        "quantity": "mass",
        "instrument_category": "electronic_price_scale",
        "unit": r"\kilogram",
        "range_low": 0,
        "range_high": 50,
        "valid_from": "2026-01-01",
        "valid_to": "2030-01-01",
    }
    assert api(client, world, "enterprise", "post", "scopes", scope).status_code == 403
    assert not m.CMC.objects.exists()
    assert not m.Scope.objects.filter(organisation=world.orgs["ent_hz"]).exists()


def test_only_an_nmi_publishes_cmcs(client, world):
    nmi = create_user("nmi", PASSWORD, "lab_staff", organisation=world.orgs["nmi"].code)
    from jiliang.platform.accounts.models import ApiToken

    token = ApiToken.issue(nmi, "t")[1]
    body = {
        "provider": world.orgs["nmi"].code,
        "quantity": "mass",
        "unit": r"\kilogram",
        "range_low": 0,
        "range_high": 1,
        "uncertainty": 1e-6,
    }
    r = client.post(
        "/api/registry/cmcs",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 201, r.content
    body["provider"] = world.orgs["lab_hz"].code
    assert api(client, world, "lab", "post", "cmcs", body).status_code == 403
    assert "provider" in denied_fields(api(client, world, "admin", "post", "cmcs", body))


def test_lab_cannot_qualify_its_own_metrologist(client, world):
    body = {
        "person": world.people["lab_hz"].pk,
        "kind": "metrologist_1",
        "number": "SELF-Q",
        "valid_from": "2026-01-01",
        "valid_to": "2031-01-01",
    }
    assert api(client, world, "lab", "post", "qualifications", body).status_code == 403
    assert api(client, world, "regulator", "post", "qualifications", body).status_code == 201


def test_lab_cannot_declare_a_primary_standard(client, world):
    body = {
        "code": "STD-FAKE",
        "name": "self-made primary",
        "level": "primary",
        "quantity": "mass",
        "unit": r"\kilogram",
        "range_low": 0,
        "range_high": 1,
        "uncertainty": 1e-9,
        "owner": world.orgs["lab_hz"].code,
    }
    assert "level" in denied_fields(api(client, world, "lab", "post", "standards", body))
    body["level"] = "department"
    body["certificate_no"] = "SELF-CERT"
    assert "certificate_no" in denied_fields(api(client, world, "lab", "post", "standards", body))
    assert not m.MeasurementStandard.objects.filter(code="STD-FAKE").exists()


def test_performer_must_work_for_the_performing_organisation(client, world):
    body = {
        "certificate_no": "JD-X",
        "kind": "verification",
        "instrument": world.instruments["hz"].lifetime_id,
        "performed_by": world.orgs["lab_hz"].code,
        "performed_by_person": world.people["lab_nb"].pk,  # works for lab_nb
        "performed_on": "2026-05-01",
        "issued_on": "2026-05-01",
        "unit": r"\kilogram",
    }
    r = api(client, world, "lab", "post", "calibrations", body)
    assert "performed_by_person" in denied_fields(r)


def test_verification_needs_a_qualified_verifier_and_a_valid_authorisation(client, world):
    body = {
        "certificate_no": "JD-Y",
        "kind": "verification",
        "instrument": world.instruments["hz"].lifetime_id,
        "performed_by": world.orgs["lab_hz"].code,
        "performed_on": "2026-05-01",
        "issued_on": "2026-05-01",
        "unit": r"\kilogram",
    }
    assert "performed_by_person" in denied_fields(
        api(client, world, "lab", "post", "calibrations", body)
    )
    trainee = m.Person.objects.create(name="trainee", organisation=world.orgs["lab_hz"])
    body["performed_by_person"] = trainee.pk
    assert "performed_by_person" in denied_fields(
        api(client, world, "lab", "post", "calibrations", body)
    )
    body["performed_by_person"] = world.people["lab_hz"].pk
    body["performed_on"] = body["issued_on"] = "2031-05-01"  # authorisation expired 2030-12-31
    assert "performed_by" in denied_fields(api(client, world, "lab", "post", "calibrations", body))
    body["performed_on"] = body["issued_on"] = "2026-05-01"
    assert api(client, world, "lab", "post", "calibrations", body).status_code == 201


def test_records_are_withdrawn_not_deleted(client, world):
    pk = world.events["hz"].pk
    assert api(client, world, "lab", "delete", f"calibrations/{pk}").status_code == 403
    r = api(client, world, "regulator", "patch", f"calibrations/{pk}", {"withdrawn": True})
    assert r.status_code == 200 and r.json()["withdrawn"] is True


def test_forms_show_only_the_fields_the_user_may_set(client, world):
    client.force_login(world.users["enterprise"])
    page = client.get(f"/r/organisations/{world.orgs['ent_hz'].pk}/edit/").content.decode()
    assert 'name="address"' in page and 'name="name_en"' in page
    assert 'name="kind"' not in page and 'name="region"' not in page and 'name="code"' not in page
    r = client.post(f"/r/organisations/{world.orgs['ent_hz'].pk}/edit/", {"kind": "nmi"})
    assert r.status_code == 403
    assert client.get("/r/cmcs/new/").status_code == 403


def test_admin_site_writes_only_for_the_operator(client, world):
    staff = create_user("staff", PASSWORD, "regulator", region="330000")
    staff.is_staff = True
    staff.save()
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(Permission.objects.filter(codename__endswith="organisation"))
    client.force_login(staff)
    url = f"/admin/registry/organisation/{world.orgs['ent_hz'].pk}/change/"
    r = client.post(url, {"name": "x", "kind": "nmi"})
    assert r.status_code == 403
    assert m.Organisation.objects.get(pk=world.orgs["ent_hz"].pk).kind == "enterprise"
    assert client.get(url).status_code == 200  # staff may still look
