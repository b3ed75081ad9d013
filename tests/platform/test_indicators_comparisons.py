"""The comparison/PT participation indicator (计量比对和能力验证参加数) from the comparisons app's
records: a participation counts once its result was submitted on or before the date."""

from __future__ import annotations

import datetime as dt

from jiliang.platform.comparisons.models import Campaign, Participant, Submission
from jiliang.platform.indicators import queries, services


def _participation(campaign, org, submitted: dt.datetime | None) -> None:
    p = Participant.objects.create(campaign=campaign, organisation=org)
    if submitted is not None:
        Submission.objects.create(
            participant=p,
            value=1.0,
            expanded_uncertainty=0.1,
            unit=r"\gram",
            value_m=1.0,
            expanded_uncertainty_m=0.1,
            salt="00",
            digest="0" * 64,
            submitted_at=submitted,
        )


def test_participations_counted_by_region_and_date(world):
    when = dt.datetime(2026, 2, 10, 23, 30, tzinfo=dt.UTC)
    pt = Campaign.objects.create(
        code="PT-1",
        title="mass PT",
        pilot=world.orgs["nmi"],
        measurand="mass",
        unit=r"\gram",
        deadline=when,
    )
    key = Campaign.objects.create(
        code="KC-1",
        title="mass KC",
        kind="key",
        pilot=world.orgs["nmi"],
        measurand="mass",
        unit=r"\gram",
        deadline=when,
    )
    _participation(pt, world.orgs["lab_hz"], when)  # Hangzhou, 10 Feb
    _participation(key, world.orgs["lab_hz"], when + dt.timedelta(days=5))  # Hangzhou, 15 Feb
    _participation(pt, world.orgs["lab_nb"], when)  # Ningbo, 10 Feb
    _participation(key, world.orgs["lab_nb"], None)  # invited, no result: not counted
    province = queries.comparison_participation("33", dt.date(2026, 3, 1))
    assert (province.value, province.record_count, province.no_records) == (3, 3, False)
    assert queries.comparison_participation("33", dt.date(2026, 2, 10)).value == 2
    assert queries.comparison_participation("33", dt.date(2026, 2, 9)).value == 0
    assert queries.comparison_participation("3302", dt.date(2026, 3, 1)).value == 1
    # the national definition (confirmed: false, no target) shows it for the province
    rows, _ = services.rows_for(world.regions["330000"], dt.date(2026, 3, 1))
    row = next(r for r in rows if r.definition.id == "cn.comparison_participation")
    assert row.result.value == 3 and row.definition.confirmed is False
    ranked = services.compare_children(
        world.regions["330000"], "comparison_participation", dt.date(2026, 3, 1)
    )
    assert [(x.code, x.value) for x in ranked] == [("330100", 2), ("330200", 1)]
