"""The batch path of interval advice (one streamed query → numpy grouping → the core's batch
functions) gives the per-class answer (row-by-row :func:`stream_histories` per class, then the
core's per-class A3/S2), on the ``world`` fixture with hand-made histories: S2 cases (one and
several resubmission times), A3 cases, a compulsory class on its catalogue period and the
insufficient-data reasons.

The published anchor is the NCSL 2019 Symposium interval tutorial, asset 1 (see
``test_intervals.py``): R(365 d) = 15/20 for the exponential model, τ = 365·ln 0.95 / ln 0.75.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import numpy as np
import pytest

from jiliang.core.identifiers import make_lifetime_id
from jiliang.platform.intervals import services
from jiliang.platform.intervals.api import class_out
from jiliang.platform.intervals.history import (
    ClassKey,
    group_columns,
    history_for,
    load_histories,
    read_columns,
    scoped_events,
    stream_histories,
)
from jiliang.platform.registry import models as m

from .test_intervals import event, instrument, ncsl_asset, wrenches  # noqa: F401 (fixtures)

D = dt.date

#: (interval days, found in tolerance) per instrument of the MIX-1 class: three resubmission
#: times with more failures at the longer ones, so S2 fits the two-parameter models too
MIX = [
    [(180, True), (365, True), (540, False), (365, True)],
    [(180, True), (365, False), (540, True), (180, True)],
    [(365, True), (540, False), (180, True), (365, True)],
    [(540, True), (365, True), (180, True), (540, False)],
    [(365, True), (180, True), (365, True), (540, False)],
]


@pytest.fixture
def mixed(world):
    """MIX-1 wrenches of ent_hz (20 pairs) and a compulsory price scale of ent_hz (2 pairs)."""
    for i, pairs in enumerate(MIX):
        inst = instrument(world, "ent_hz", "330106", 200 + i, model_name="MIX-1")
        day = D(2010, 1, 1) + dt.timedelta(days=i)
        event(world, inst, day, "pass")
        for length, ok in pairs:
            day += dt.timedelta(days=length)
            event(world, inst, day, "pass" if ok else "fail")
    scale = m.Instrument.objects.create(
        lifetime_id=make_lifetime_id("330106", "EPS", 2020, 77),
        category="electronic_price_scale",
        name="scale",
        model_name="PS-1",
        quantity="mass",
        unit=r"\kilogram",
        owner=world.orgs["ent_hz"],
        region=world.regions["330106"],
        use="trade_settlement",
    )
    for on, conf in [(D(2022, 1, 1), "pass"), (D(2023, 1, 1), "pass"), (D(2024, 1, 1), "fail")]:
        event(world, scale, on, conf)
    # one event only: no interval, not compulsory → no current interval at all
    event(
        world, instrument(world, "ent_hz", "330106", 300, model_name="ONE"), D(2024, 1, 1), "pass"
    )


def _same_history(a, b) -> None:
    assert a.key == b.key
    assert a.pairs() == b.pairs()
    assert (a.instruments, a.events, a.compulsory, a.skipped) == (
        b.instruments,
        b.events,
        b.compulsory,
        b.skipped,
    )


def _close(x, y) -> bool:
    """Equal, or both numbers within the batch core's documented 1e-6 relative."""
    if x is None or y is None:
        return x is y
    return x == pytest.approx(y, rel=1e-6, abs=2e-6)


def _same_advice(batch: services.ClassAdvice, one: services.ClassAdvice) -> None:
    assert (batch.key, batch.method, batch.insufficient, batch.current) == (
        one.key,
        one.method,
        one.insufficient,
        one.current,
    )
    assert (batch.n, batch.n_in_tolerance, batch.observed_reliability) == (
        one.n,
        one.n_in_tolerance,
        one.observed_reliability,
    )
    assert _close(batch.recommended_days, one.recommended_days)
    assert _close(batch.confidence, one.confidence)
    assert (batch.a3 is None) == (one.a3 is None)
    if one.a3 is not None:
        assert (batch.a3.insufficient, batch.a3.changed, batch.a3.n) == (
            one.a3.insufficient,
            one.a3.changed,
            one.a3.n,
        )
        assert _close(batch.a3.interval_days, one.a3.interval_days)
    assert (batch.s2.model, batch.s2.insufficient) == (one.s2.model, one.s2.insufficient)
    for name in ("interval_days", "interval_low", "interval_high"):
        assert _close(getattr(batch.s2, name), getattr(one.s2, name)), name


def test_batch_platform_answer_equals_the_per_class_answer(world, wrenches, ncsl_asset, mixed):  # noqa: F811
    admin = world.users["admin"]
    events = scoped_events(admin)
    for group_by in ("owner", "region"):
        batch = load_histories(events, group_by)
        streamed = list(stream_histories(events, group_by))
        assert [h.key for h in batch] == [h.key for h in streamed]  # same classes, same order
        for a, b in zip(batch, streamed, strict=True):
            _same_history(a, b)
    histories = load_histories(events, "owner")
    advice = {a.key: a for a in services.advise_many(histories)}
    per_class = {}
    for h in histories:
        one = services.advise(history_for(events, h.key))
        _same_advice(advice[h.key], one)
        per_class[h.key] = one

    ent = world.orgs["ent_hz"].code
    cases = {
        ClassKey("torque_wrench", "NCSL-1", "ACME", "owner", ent): "S2/exponential",
        ClassKey("torque_wrench", "MIX-1", "ACME", "owner", ent): "S2/",
        ClassKey("torque_wrench", "TW-1", "ACME", "owner", ent): "A3",
        ClassKey("electronic_price_scale", "PS-1", "", "owner", ent): "A3",
    }
    for key, method in cases.items():
        assert advice[key].method.startswith(method), key
    # NCSL 2019 asset 1: τ = 365·ln 0.95 / ln 0.75 d (exponential MLE R(365) = 15/20)
    ncsl = advice[ClassKey("torque_wrench", "NCSL-1", "ACME", "owner", ent)]
    assert ncsl.recommended_days == pytest.approx(365 * math.log(0.95) / math.log(0.75), 1e-4)
    mix = advice[ClassKey("torque_wrench", "MIX-1", "ACME", "owner", ent)]
    assert (mix.n, mix.n_in_tolerance, len(mix.s2.fits)) == (20, 15, 4)
    assert all(f.params for f in mix.s2.fits)  # three times: every model was fitted
    scale = advice[ClassKey("electronic_price_scale", "PS-1", "", "owner", ent)]
    assert scale.current == services.CurrentInterval(365.2425, "catalogue", 12, "JJG 539-2016")
    # insufficient data: the reasons, word for word, from both paths
    assert advice[ClassKey("electronic_price_scale", "", "", "owner", ent)].insufficient == (
        "S2: intervals: 0 calibration events, S2 needs ≥ 10; "
        "A3: n: no calibrations at the current interval to test"
    )
    assert advice[ClassKey("torque_wrench", "ONE", "ACME", "owner", ent)].insufficient == (
        "S2: intervals: 0 calibration events, S2 needs ≥ 10; "
        "A3: current_interval: no recorded interval and no catalogue period"
    )
    # the two-process core gives the one-process answer
    parallel = services.advise_parallel(histories, workers=2)
    assert [a.key for a in parallel] == [h.key for h in histories]
    for a in parallel:
        _same_advice(a, per_class[a.key])


def test_api_and_regulator_export_give_the_per_class_answer(world, ncsl_asset, mixed, client):  # noqa: F811
    events = scoped_events(world.users["admin"])
    r = client.get("/api/intervals/classes?category=torque_wrench&limit=500", **world.auth("admin"))
    items = {i["key"]: i for i in r.json()["items"]}
    assert len(items) == 3  # NCSL-1, MIX-1, ONE
    for token, item in items.items():
        one = class_out(services.advise(history_for(events, ClassKey.from_token(token))))
        assert item.keys() == one.keys()
        for name, value in one.items():
            assert _close(item[name], value) if isinstance(value, float) else item[name] == value
    client.force_login(world.users["regulator"])
    r = client.get("/intervals/?category=torque_wrench&format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    by_model = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_model) == {"NCSL-1", "MIX-1"}  # 0.75 < 0.95; ONE has no interval
    for model, row in by_model.items():
        key = ClassKey("torque_wrench", model, "ACME", "owner", world.orgs["ent_hz"].code)
        one = services.advise(history_for(events, key))
        assert row["建议间隔（天）"] == str(round(one.recommended_days, 1))
        assert row["方法"] == one.method


def test_read_columns_is_one_query_and_empty_scopes(
    world,
    wrenches,  # noqa: F811
    django_assert_num_queries,
):
    events = scoped_events(world.users["admin"])
    with django_assert_num_queries(1):
        cols = read_columns(events, "region")
    live = m.CalibrationEvent.objects.filter(instrument__isnull=False, withdrawn=False)
    assert cols.events == live.count() == 13  # 11 live wrench events + JD-HZ-1, JD-NB-1
    # verdicts as integers computed in SQL: pass 1, fail 0, anything else −1 (wrench A's "none")
    for code, conformity in [(1, "pass"), (0, "fail")]:
        assert int((cols.verdict == code).sum()) == live.filter(conformity=conformity).count()
    assert int((cols.verdict == -1).sum()) == 1
    # day numbers: differences are days (wrench A: 2020-01-01 → 2020-12-31 → 2022-01-05)
    a = np.sort(cols.day[cols.instrument == wrenches["A"].pk])
    assert np.diff(a).tolist() == [365, 370, 147]
    assert load_histories(events.none(), "owner") == []
    assert group_columns(read_columns(events.filter(pk__lt=0)), "owner") == []
    with pytest.raises(ValueError, match="group_by"):
        read_columns(events, "maker")
    with pytest.raises(ValueError, match="workers"):
        services.advise_parallel([], workers=0)
