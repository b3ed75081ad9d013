"""Comparisons and proficiency testing in the platform (issue 15): life cycle, sealing, scores.

The proficiency-testing data are ISO 13528:2022 Annex E.4 (mercury in animal feed, Tables
E.6/E.7): assigned value x_pt = 0.044 mg/kg from a reference laboratory with U(x_pt) = 0.0082
mg/kg (k = 2), σ_pt = 0.0066 mg/kg; the printed z, z′, ζ and Eₙ of six participants are checked
to the printed two decimals, and the stored scores are checked to equal what
``jiliang.core.comparisons.pt`` computes for the same data.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from jiliang.core.comparisons import keycomparison as kc
from jiliang.core.comparisons import pt
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.comparisons import services
from jiliang.platform.comparisons.models import Campaign, Flag, Reveal, Score, Submission

from .comparisons_helpers import (
    AFTER,
    BEFORE,
    DEADLINE,
    E4,
    E4_SIGMA,
    E4_U_PT,
    E4_XPT,
    MGKG,
    _errors,
    campaign_body,
    close_and_analyse,
    open_campaign,
    submit,
    submit_all,
)


# ---------------------------------------------------------------------------- life cycle
def test_pt_lifecycle_scores_are_iso_13528_e4_and_the_cores(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    out = close_and_analyse(client, world, campaign, clock)
    assert out["status"] == "analysed"
    assert out["reference_value"] == E4_XPT and out["reference_uncertainty"] == E4_U_PT
    # ISO 13528:2022 E.4: u(x_pt) = 0.0041 > 0.3σ_pt = 0.00198 → z′ recommended (9.2.1)
    assert out["analysis"]["u_check"]["negligible"] is False
    assert out["analysis"]["u_check"]["recommended_score"] == "z′"
    rows = {
        s["participant"]: s
        for s in client.get(
            f"/api/comparisons/campaigns/{campaign.code}/scores", **world.auth("lab")
        ).json()
    }
    for code, _x, _u, _k, z, zp, zeta, en in E4:  # printed values, ISO 13528:2022 Table E.7
        s = rows[labs[code].code]
        assert round(s["z"], 2) == pytest.approx(z, abs=0.011)
        assert round(s["z_prime"], 2) == pytest.approx(zp, abs=0.011)
        assert round(s["zeta"], 2) == pytest.approx(zeta, abs=0.011)
        assert round(s["en"], 2) == pytest.approx(en, abs=0.011)
    # the stored scores are exactly the core's for the same data
    x = np.array([r[1] for r in E4])
    big_u = np.array([r[2] for r in E4])
    k = np.array([r[3] for r in E4])
    av = pt.AssignedValue(E4_XPT, E4_U_PT, "reference_lab")
    sig = pt.SigmaPT.fitness_for_purpose(E4_SIGMA)
    core = {
        "z": pt.z_scores(x, av, sig),
        "z_prime": pt.z_prime_scores(x, av, sig),
        "zeta": pt.zeta_scores(x, big_u / k, av),
        "en": pt.en_scores(x, big_u, av),
    }
    for i, (code, *_rest) in enumerate(E4):
        s = rows[labs[code].code]
        for key, scores in core.items():
            assert s[key] == pytest.approx(float(scores.values[i]), rel=1e-12, abs=1e-15)
            assert s[f"{key}_class"] == scores.labels()[i]
    # |z| ≥ 3: L04 (−4.70), L12 (−3.05), L23 (−4.62) unsatisfactory; the rest satisfactory
    bad = {s["participant"] for s in rows.values() if s["performance"] == "unsatisfactory"}
    assert bad == {labs["L04"].code, labs["L12"].code, labs["L23"].code}
    assert Flag.objects.filter(campaign=campaign).count() == 3
    r = client.post(f"/api/comparisons/campaigns/{campaign.code}/report", **world.auth("lab"))
    assert r.json()["status"] == "reported"


def test_key_comparison_stores_the_cores_kcrv_and_doe(client, world, labs, clock):
    # CCQM-K30 lead in wine (Hearn et al. 2008, Metrologia 45 08001) values of six NMIs; the
    # reference and DoE must equal core.keycomparison.evaluate_key_comparison on the same data
    data = [
        (2.893, 0.044, 2.13),
        (2.936, 0.025, 2.0),
        (2.94, 0.033, 2.0),
        (2.96, 0.08, 2.4),
        (3.0, 0.1, 2.0),
        (1.62, 0.088, 2.0),
    ]
    campaign = open_campaign(
        client,
        world,
        labs,
        code="KC-PB",
        kind="key",
        assigned_source="consensus",
        assigned_value=None,
        assigned_uncertainty=None,
        sigma_source="robust_sd",
        sigma_pt=None,
        fallback="lcs",
    )
    for (code, *_), (x, big_u, k) in zip(E4, data, strict=True):
        assert submit(client, world, campaign.code, code, x, big_u, k).status_code == 201
    out = close_and_analyse(client, world, campaign, clock)
    res = kc.evaluate_key_comparison(
        [d[0] for d in data], [d[1] / d[2] for d in data], [labs[r[0]].code for r in E4]
    )
    assert out["reference_value"] == pytest.approx(res.reference.value, rel=1e-12)
    assert out["reference_uncertainty"] == pytest.approx(res.reference.u, rel=1e-12)
    assert out["analysis"]["consistent"] is False and out["analysis"]["fallback"] == "lcs"
    stored = {s.participant.organisation.code: s for s in Score.objects.filter(campaign=campaign)}
    for i, lab in enumerate(res.doe.labs):
        assert stored[lab].d == pytest.approx(res.doe.d[i], rel=1e-12)
        assert stored[lab].U_d == pytest.approx(res.doe.U[i], rel=1e-12)
        assert stored[lab].included == res.doe.included[i]
    # 1.62 mg/kg is far from the others: excluded from the LCS and flagged (|d| > U(d))
    assert stored[labs["L01"].code].included is False
    assert stored[labs["L01"].code].performance == "unsatisfactory"


# ---------------------------------------------------------------------------- sealing
def test_results_are_sealed_until_close(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    url = f"/api/comparisons/campaigns/{campaign.code}/submissions"
    for who in ("lab", "admin", "regulator", "L12"):  # the pilot, operator, regulator, a peer
        rows = {r["participant"]: r for r in client.get(url, **world.auth(who)).json()}
        other = rows[labs["L04"].code]
        assert other["value"] is None and other["expanded_uncertainty"] is None
        assert len(other["digest"]) == 64 and other["sealed"] is True
    own = {r["participant"]: r for r in client.get(url, **world.auth("L04")).json()}
    assert own[labs["L04"].code]["value"] == 0.013  # the participant sees its own
    # the pilot's page shows digests, not values
    client.force_login(world.users["lab"])
    page = client.get(f"/comparisons/{campaign.code}/").content.decode()
    assert (
        "0.0239" not in page
        and Submission.objects.get(participant__organisation=labs["L12"]).digest in page
    )
    # the logged audit entry of a submission holds the digest, never the value or the salt
    sub = Submission.objects.get(participant__organisation=labs["L12"])
    entries = AuditEntry.objects.filter(model="comparisons.submission", object_id=str(sub.pk))
    assert entries.count() == 1
    text = json.dumps(entries[0].after)
    assert entries[0].after["digest"] == sub.digest
    assert "0.0239" not in text and sub.salt not in text and "value" not in entries[0].after
    # the transparency-log leaf is the entry's hash only (jiliang/audit-entry/v1)
    from jiliang.platform.ledger.service import audit_payload

    leaf = audit_payload(entries[0])
    assert b"0.0239" not in leaf and sub.digest.encode() not in leaf
    # after close: everyone who reads the campaign sees values, salts, and can verify them
    clock.now = AFTER
    assert (
        client.post(
            f"/api/comparisons/campaigns/{campaign.code}/close", **world.auth("lab")
        ).status_code
        == 200
    )
    rows = {r["participant"]: r for r in client.get(url, **world.auth("regulator")).json()}
    opened = rows[labs["L12"].code]
    assert opened["value"] == 0.0239 and opened["salt"] == sub.salt
    canonical = services.canonical_result(
        campaign, sub.participant, {**opened, "unit": opened["unit"]}
    )
    assert services.commitment(canonical, opened["salt"]) == opened["digest"]
    assert Reveal.objects.filter(submission__participant__campaign=campaign).count() == 6


def test_value_changed_behind_the_platform_breaks_the_commitment(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    Submission.objects.filter(participant__organisation=labs["L04"]).update(
        value=0.044, value_m=0.044
    )
    clock.now = AFTER
    client.post(f"/api/comparisons/campaigns/{campaign.code}/close", **world.auth("lab"))
    r = client.post(f"/api/comparisons/campaigns/{campaign.code}/analyse", **world.auth("lab"))
    assert r.status_code == 409 and "commitment" in r.json()["detail"]
    assert not Score.objects.filter(campaign=campaign).exists()


def test_audit_of_rows_is_clean_after_a_campaign(client, world, labs, clock):
    from jiliang.platform.comparisons import models as cm
    from jiliang.platform.ledger.service import audit_rows

    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    close_and_analyse(client, world, campaign, clock)
    report = audit_rows([cm.Campaign, cm.Participant, cm.Submission, cm.Reveal, cm.Score, cm.Flag])
    assert report.checked > 20 and report.ok, report.problems


# ---------------------------------------------------------------------------- deadline
def test_submission_after_the_deadline_is_refused_naming_submitted_at(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    clock.now = DEADLINE
    r = submit(client, world, campaign.code, "L04", 0.013, 0.003)
    assert r.status_code == 422
    msg = _errors(r)["submitted_at"]
    assert "deadline" in msg and DEADLINE.isoformat() in msg
    assert not Submission.objects.exists()


def test_close_before_the_deadline_is_refused(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    r = client.post(f"/api/comparisons/campaigns/{campaign.code}/close", **world.auth("lab"))
    assert r.status_code == 422 and "deadline" in _errors(r)
    campaign.refresh_from_db()
    assert campaign.status == "open"


def test_analysis_before_close_is_a_workflow_error(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    r = client.post(f"/api/comparisons/campaigns/{campaign.code}/analyse", **world.auth("lab"))
    assert r.status_code == 409 and r.json()["detail"].startswith("status:")


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": 0.013, "expanded_uncertainty": -0.003}, "expanded_uncertainty"),
        ({"value": 0.013, "expanded_uncertainty": 0.0}, "expanded_uncertainty"),
        ({"value": 0.013, "expanded_uncertainty": 0.003, "k": 0}, "k"),
        ({"value": 0.013, "expanded_uncertainty": 0.003, "unit": r"\metre"}, "unit"),
        ({"value": 0.013, "expanded_uncertainty": 0.003, "unit": "mg/kg"}, "unit"),
    ],
)
def test_bad_results_are_refused_naming_the_field(client, world, labs, clock, body, field):
    campaign = open_campaign(client, world, labs)
    before = AuditEntry.objects.count()
    r = client.post(
        f"/api/comparisons/campaigns/{campaign.code}/submissions",
        body,
        "application/json",
        **world.auth("L04"),
    )
    assert r.status_code == 422
    assert field in _errors(r) and _errors(r)[field].startswith(field)
    assert not Submission.objects.exists() and AuditEntry.objects.count() == before


def test_too_few_results_for_algorithm_a_is_the_cores_error(client, world, labs, clock):
    campaign = open_campaign(
        client,
        world,
        labs,
        code="PT-2",
        assigned_source="consensus",
        assigned_value=None,
        assigned_uncertainty=None,
        sigma_source="robust_sd",
        sigma_pt=None,
    )
    for code, x, big_u, k, *_ in E4[:2]:
        assert submit(client, world, campaign.code, code, x, big_u, k).status_code == 201
    clock.now = AFTER
    client.post(f"/api/comparisons/campaigns/{campaign.code}/close", **world.auth("lab"))
    r = client.post(f"/api/comparisons/campaigns/{campaign.code}/analyse", **world.auth("lab"))
    assert r.status_code == 422
    # ISO 13528:2022 Algorithm A needs ≥ 3 results: the core's PTError on "values", passed on
    with pytest.raises(pt.PTError) as core:
        pt.algorithm_a([0.013, 0.0239])
    assert _errors(r) == {"values": str(core.value)}
    campaign.refresh_from_db()
    assert campaign.status == "closed" and not Score.objects.exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"unit": "mg/kg"}, "unit"),
        ({"sigma_pt": -1.0}, "sigma_pt"),
        ({"sigma_pt": None}, "sigma_pt"),
        ({"assigned_value": None}, "assigned_value"),
        ({"kind": "guess"}, "kind"),
        ({"pilot": "91330106000000099X"}, "pilot"),
    ],
)
def test_bad_campaign_settings_are_refused(client, world, over, field):
    r = client.post(
        "/api/comparisons/campaigns",
        campaign_body(world, **over),
        "application/json",
        **world.auth("lab"),
    )
    assert r.status_code == 422 and field in _errors(r)
    assert not Campaign.objects.exists()


# ---------------------------------------------------------------------------- permissions
def test_enterprise_cannot_create_nor_read_a_campaign(client, world, labs, clock):
    body = campaign_body(world)
    r = client.post(
        "/api/comparisons/campaigns", body, "application/json", **world.auth("enterprise")
    )
    assert r.status_code == 403
    # nor may it pilot one itself: an enterprise is not a metrology institution
    r = client.post(
        "/api/comparisons/campaigns",
        campaign_body(world, pilot=world.orgs["ent_hz"].code),
        "application/json",
        **world.auth("enterprise"),
    )
    assert r.status_code == 403
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    url = f"/api/comparisons/campaigns/{campaign.code}"
    assert client.get(url, **world.auth("enterprise")).status_code == 404
    assert client.get(f"{url}/submissions", **world.auth("enterprise")).status_code == 404
    assert client.get(f"{url}/submissions", **world.auth("anon")).status_code == 404


def test_only_participants_submit_and_only_their_own(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    # lab_nb's staff is not a participant (the world's "lab" user is the pilot's staff)
    r = submit(client, world, campaign.code, "lab", 0.05, 0.01)
    assert r.status_code == 403 and _errors(r) == {
        "participant": "only staff of a participating organisation submit its own result"
    }
    assert submit(client, world, campaign.code, "L04", 0.013, 0.003).status_code == 201
    assert submit(client, world, campaign.code, "L12", 0.0239, 0.0036).status_code == 201
    # L12's submission changed only L12's record; L04's commitment stands
    subs = {s.participant.organisation_id: s for s in Submission.objects.all()}
    assert subs[labs["L04"].pk].value == 0.013 and subs[labs["L12"].pk].value == 0.0239
    assert subs[labs["L04"].pk].submitted_by == world.users["L04"]
    # the body cannot name another participant: unknown fields are refused
    r = client.post(
        f"/api/comparisons/campaigns/{campaign.code}/submissions",
        {"value": 1, "expanded_uncertainty": 1, "participant": labs["L04"].code},
        "application/json",
        **world.auth("L12"),
    )
    assert r.status_code == 422
    # the regulator may not analyse; the pilot's staff may
    clock.now = AFTER
    client.post(f"/api/comparisons/campaigns/{campaign.code}/close", **world.auth("regulator"))
    r = client.post(
        f"/api/comparisons/campaigns/{campaign.code}/analyse", **world.auth("regulator")
    )
    assert r.status_code == 403


# ---------------------------------------------------------------------------- consequences
def test_flags_reach_the_regulator_of_the_region_and_the_labs_record(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    close_and_analyse(client, world, campaign, clock)
    flagged = {labs[c].code for c in ("L04", "L12", "L23")}
    province = client.get("/api/comparisons/flags", **world.auth("regulator")).json()
    assert province["count"] == 3 and {f["organisation"] for f in province["items"]} == flagged
    # Ningbo's regulator sees only L12 (the flagged lab in Haishu 330203)
    nb = client.get("/api/comparisons/flags", **world.auth("regulator_nb")).json()
    assert [f["organisation"] for f in nb["items"]] == [labs["L12"].code]
    assert "z = -3.05" in nb["items"][0]["reason"]
    assert client.get("/api/comparisons/flags", **world.auth("enterprise")).json()["count"] == 0
    rec = client.get(
        f"/api/comparisons/organisations/{labs['L04'].code}/record", **world.auth("regulator")
    ).json()
    assert [f["campaign"] for f in rec["flags"]] == [campaign.code] and rec["evidence"] == []
    rec = client.get(
        f"/api/comparisons/organisations/{labs['L01'].code}/record", **world.auth("L01")
    ).json()
    assert rec["flags"] == [] and rec["evidence"][0]["performance"] == "satisfactory"
    assert rec["evidence"][0]["value"] == pytest.approx((0.053 - 0.044) / 0.0066, rel=1e-12)


# ---------------------------------------------------------------------------- page
@pytest.mark.parametrize(
    ("lang", "heading", "verdict"),
    [
        ("zh-hans", "评价结果", "不满意"),
        ("en", "Scores", "unsatisfactory"),
    ],
)
def test_campaign_page_scores_table_and_chart(client, world, labs, clock, lang, heading, verdict):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    close_and_analyse(client, world, campaign, clock)
    client.force_login(world.users["regulator"])
    client.cookies["django_language"] = lang
    resp = client.get(f"/comparisons/{campaign.code}/", HTTP_ACCEPT_LANGUAGE=lang)
    page = resp.content.decode()
    assert resp.status_code == 200 and heading in page and verdict in page
    assert 'id="scores"' in page and 'id="chart-scores"' in page
    nonce = resp.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in page and "echarts.min.js" in page
    chart = json.loads(page.split('id="score-chart" type="application/json">')[1].split("<")[0])
    assert chart["values"][0] == pytest.approx((0.013 - 0.044) / 0.0066, rel=1e-12)
    assert client.get("/comparisons/").status_code == 200


# ---------------------------------------------------------------------------- CSV import
def _csv(client, world, who, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile("results.csv", text.encode("utf-8-sig"), "text/csv")
    return client.post("/api/comparisons/import", {"file": f}, **world.auth(who))


def test_csv_import_of_own_results_in_two_campaigns(client, world, labs, clock):
    a = open_campaign(client, world, labs)
    b = open_campaign(client, world, labs, code="PT-HG-2026-B")
    text = (
        "campaign,value,expanded_uncertainty,k,unit\n"
        f"{a.code},0.013,0.003,2,\n"
        f"{b.code},13,3,2,\\micro\\gram\\kilogram\\tothe{{-1}}\n"
    )
    r = _csv(client, world, "L04", text)
    assert r.status_code == 201, r.content
    assert [row["value"] for row in r.json()] == [0.013, 13.0]
    sub_b = Submission.objects.get(participant__campaign=b)
    assert sub_b.participant.organisation == labs["L04"]
    assert sub_b.value_m == pytest.approx(0.013, rel=1e-12)  # 13 µg/kg = 0.013 mg/kg


def test_csv_import_lists_every_bad_row_and_writes_nothing(client, world, labs, clock):
    a = open_campaign(client, world, labs)
    before = AuditEntry.objects.count()
    text = (
        "campaign,value,expanded_uncertainty,k,unit\n"
        f"{a.code},0.013,0.003,2,\n"  # good, but the file fails: not written either
        f"{a.code},0.013,-0.003,2,\n"
        f"{a.code},0.013,0.003,2,\\metre\n"
        "NO-SUCH,1,1,2,\n"
        f"{a.code},abc,0.003,2,\n"
    )
    r = _csv(client, world, "L04", text)
    assert r.status_code == 422
    msgs = [d["msg"] for d in r.json()["detail"]]
    assert msgs[0] == "row 3: expanded_uncertainty: U must be > 0, got -0.003"
    assert msgs[1].startswith("row 4: unit: \\metre cannot be used")
    assert msgs[2] == "row 5: campaign: unknown campaign 'NO-SUCH'"
    assert msgs[3].startswith("row 6: value: must be a number")
    assert len(msgs) == 4
    assert not Submission.objects.exists() and AuditEntry.objects.count() == before
    # a lab that does not participate: refused per row, nothing written
    r = _csv(client, world, "lab", f"campaign,value,expanded_uncertainty\n{a.code},1,1\n")
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"].startswith("row 2: participant: only staff")
    r = _csv(client, world, "L04", "campaign;value\nx;1\n")
    assert r.status_code == 422 and "header" in r.json()["detail"][0]["msg"]


# ---------------------------------------------------------------------------- more rights
def test_regulator_creates_only_for_a_pilot_in_its_area(client, world):
    # lab_hz is in Xihu (330106): Ningbo's regulator has no authority, the province's has
    r = client.post(
        "/api/comparisons/campaigns",
        campaign_body(world),
        "application/json",
        **world.auth("regulator_nb"),
    )
    assert r.status_code == 403 and "pilot" in _errors(r)
    r = client.post(
        "/api/comparisons/campaigns",
        campaign_body(world),
        "application/json",
        **world.auth("regulator"),
    )
    assert r.status_code == 201 and r.json()["status"] == "draft"
    entry = AuditEntry.objects.get(model="comparisons.campaign")
    assert entry.username == "regulator" and entry.after["code"] == "PT-HG-2026"


def test_admin_pages_never_show_a_sealed_value(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    sub = Submission.objects.get(participant__organisation=labs["L12"])
    client.force_login(world.users["admin"])
    for url in (
        "/admin/comparisons/submission/",
        f"/admin/comparisons/submission/{sub.pk}/change/",
    ):
        page = client.get(url).content.decode()
        assert sub.digest in page and "0.0239" not in page and "0.0036" not in page


def test_artefact_circulation(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    url = f"/api/comparisons/campaigns/{campaign.code}/circulation"
    body = {"holder": labs["L04"].code, "received_on": "2026-11-01", "shipped_on": "2026-11-05"}
    r = client.post(url, body, "application/json", **world.auth("L04"))  # the holder itself
    assert r.status_code == 201 and r.json()["shipped_on"] == "2026-11-05"
    client.force_login(world.users["lab"])
    page = client.get(f"/comparisons/{campaign.code}/").content.decode()
    row = page.split('id="circulation"')[1].split("</table>")[0]
    assert "lab L04" in row and "2026-11-01" in row and "2026-11-05" in row
    bad = {**body, "shipped_on": "2026-10-01"}
    r = client.post(url, bad, "application/json", **world.auth("lab"))
    assert r.status_code == 422 and "shipped_on" in _errors(r)
    r = client.post(
        url, {**body, "holder": world.orgs["ent_hz"].code}, "application/json", **world.auth("lab")
    )
    assert r.status_code == 422 and "holder" in _errors(r)
    # a participant may not record another participant's custody
    r = client.post(
        url, {**body, "holder": labs["L12"].code}, "application/json", **world.auth("L04")
    )
    assert r.status_code == 403


def test_csv_import_of_an_oversized_field_is_a_422_naming_the_row(client, world, labs, clock):
    a = open_campaign(client, world, labs)
    text = f"campaign,value,expanded_uncertainty\n{a.code},1,1\n{a.code},{'9' * 200_000},1\n"
    r = _csv(client, world, "L04", text)
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"].startswith("row 3: file: field larger than field limit")
    assert not Submission.objects.exists()


def test_key_comparison_of_one_result_is_the_cores_error_on_x(client, world, labs, clock):
    campaign = open_campaign(client, world, labs, code="KC-1", kind="key")
    assert submit(client, world, campaign.code, "L04", 2.893, 0.044).status_code == 201
    clock.now = AFTER
    client.post(f"/api/comparisons/campaigns/{campaign.code}/close", **world.auth("lab"))
    r = client.post(f"/api/comparisons/campaigns/{campaign.code}/analyse", **world.auth("lab"))
    assert r.status_code == 422
    assert _errors(r) == {"x": "x: at least 2 labs are needed, got 1"}
    assert not Score.objects.exists()


@pytest.mark.parametrize(
    ("lang", "flags", "evidence"),
    [
        ("zh-hans", "不满意结果", "满意结果（能力证据）"),
        ("en", "Unsatisfactory results", "evidence"),
    ],
)
def test_lab_page_shows_its_flags_and_evidence(client, world, labs, clock, lang, flags, evidence):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    close_and_analyse(client, world, campaign, clock)
    client.force_login(world.users["regulator"])
    client.cookies["django_language"] = lang
    bad = client.get(f"/r/organisations/{labs['L04'].pk}/").content.decode()
    panel = bad.split('id="comparison-panel"')[1].split("</section>")[0]
    assert flags in panel and campaign.code in panel and "-4.70" in panel.replace("−", "-")
    good = client.get(f"/r/organisations/{labs['L01'].pk}/").content.decode()
    panel = good.split('id="comparison-panel"')[1].split("</section>")[0]
    assert evidence in panel and "z = 1.36" in panel and flags not in panel
    # a lab that never took part: no panel
    other = client.get(f"/r/organisations/{world.orgs['ent_hz'].pk}/").content.decode()
    assert 'id="comparison-panel"' not in other


def test_campaign_list_shape_and_scope(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    page = client.get("/api/comparisons/campaigns?limit=1", **world.auth("L12")).json()
    assert page["count"] == 1 and page["limit"] == 1 and page["offset"] == 0
    item = page["items"][0]
    assert item["code"] == campaign.code and item["status"] == "open"
    assert item["participants"] == [labs[r[0]].code for r in E4]
    # Ningbo's regulator reads it (participants in Haishu), the enterprise and anonymous do not
    assert (
        client.get("/api/comparisons/campaigns", **world.auth("regulator_nb")).json()["count"] == 1
    )
    assert client.get("/api/comparisons/campaigns", **world.auth("enterprise")).json()["count"] == 0
    assert client.get("/api/comparisons/campaigns").json()["count"] == 0
    r = client.get("/api/comparisons/campaigns?offset=-1", **world.auth("lab"))
    assert r.status_code == 422


def test_commitment_is_salted_and_a_resubmission_logs_only_the_new_digest(
    client, world, labs, clock
):
    import hashlib

    campaign = open_campaign(client, world, labs)
    first = submit(client, world, campaign.code, "L04", 0.013, 0.003).json()["digest"]
    clock.now = BEFORE + dt.timedelta(minutes=5)
    again = submit(client, world, campaign.code, "L04", 0.013, 0.003).json()["digest"]
    # the same result committed twice: different digests (fresh 256-bit salt), so a guessed
    # value cannot be checked against the log by hashing candidates
    assert first != again
    sub = Submission.objects.get()
    canonical = services.canonical_result(
        campaign,
        sub.participant,
        {"value": 0.013, "expanded_uncertainty": 0.003, "k": 2.0, "unit": MGKG},
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() != again
    assert services.commitment(canonical, sub.salt) == again == sub.digest
    entries = list(AuditEntry.objects.filter(model="comparisons.submission").order_by("id"))
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changed_fields == ["digest", "submitted_at"]
    assert entries[1].before["digest"] == first and entries[1].after["digest"] == again
