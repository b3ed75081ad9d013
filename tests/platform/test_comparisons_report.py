"""The comparison report (比对报告) PDF (issue 15): printed from what the analysis stored.

The PT case is ISO 13528:2022 E.4 (Table E.7), so the printed z scores are the standard's
(L04 −4.70, L01 1.36); the key comparison is the CCQM-K30 data of test_comparisons. Each
sealed submission's commitment digest must appear in the report.
"""

from __future__ import annotations

import io

from pypdf import PdfReader

from jiliang.platform.comparisons.models import Submission

from .comparisons_helpers import (
    E4,
    close_and_analyse,
    open_campaign,
    submit,
    submit_all,
)


def _pdf(client, world, code, lang="zh-hans", role="lab"):
    return client.get(
        f"/api/comparisons/campaigns/{code}/report.pdf",
        HTTP_ACCEPT_LANGUAGE=lang,
        **world.auth(role),
    )


def _text(response) -> str:
    pages = PdfReader(io.BytesIO(response.content)).pages
    return "".join("".join(p.extract_text() for p in pages).split())


def test_pt_report_prints_the_stored_scores_and_every_commitment(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    assert _pdf(client, world, campaign.code).status_code == 409  # not analysed yet
    close_and_analyse(client, world, campaign, clock)
    response = _pdf(client, world, campaign.code)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = _text(response)
    assert "比对报告" in text and campaign.code in text and "ISO13528:2022" in text
    for printed in ("-4.70", "-3.05", "-4.62", "-1.06", "0.00", "1.36"):  # Table E.7 z
        assert printed in text
    digests = list(
        Submission.objects.filter(participant__campaign=campaign).values_list("digest", flat=True)
    )
    assert len(digests) == len(E4) and all(d in text for d in digests)
    english = _text(_pdf(client, world, campaign.code, lang="en"))
    assert "Comparisonreport" in english and "比对报告" not in english
    # the same analysis gives the same bytes (reproducible report)
    assert _pdf(client, world, campaign.code).content == response.content


def test_key_comparison_report_prints_reference_and_consistency(client, world, labs, clock):
    data = [(2.893, 0.044, 2.13), (2.936, 0.025, 2.0), (2.94, 0.033, 2.0)]
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
    for (code, *_), (x, big_u, k) in zip(E4, data, strict=False):
        assert submit(client, world, campaign.code, code, x, big_u, k).status_code == 201
    out = close_and_analyse(client, world, campaign, clock)
    text = _text(_pdf(client, world, campaign.code, lang="en"))
    assert "χ²consistencytest" in text and "Referencevaluemethod" in text
    assert f"{out['reference_value']:.6g}" in text


def test_report_is_read_like_the_scores(client, world, labs, clock):
    campaign = open_campaign(client, world, labs)
    submit_all(client, world, campaign)
    close_and_analyse(client, world, campaign, clock)
    scores = client.get(
        f"/api/comparisons/campaigns/{campaign.code}/scores", **world.auth("enterprise")
    )
    assert _pdf(client, world, campaign.code, role="enterprise").status_code == scores.status_code
    assert _pdf(client, world, "NO-SUCH").status_code == 404
