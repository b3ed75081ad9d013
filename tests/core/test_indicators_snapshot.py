"""Indicator snapshots: canonical JSON, digest stability and change, future date (issue 16)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from jiliang.core.indicators.snapshot import Figure, Snapshot, canonical_number, make_snapshot

TODAY = dt.date(2026, 6, 30)
AS_OF = dt.date(2025, 12, 31)
Q_COV = "强检计量器具检定覆盖率 = 按期检定的在用强检器具 / 在用强检器具 × 100 %"


def _figures(coverage: float = 96.8, standards: int = 1234) -> dict[str, Figure]:
    return {
        "cq.verification_coverage": Figure(coverage, "%", Q_COV, 5000),
        "cq.public_standards": Figure(standards, "count", "public standards", standards),
    }


def test_canonical_bytes_are_exact():
    snap = make_snapshot(AS_OF, "500000", _figures(), today=TODAY)
    expected = (
        '{"as_of":"2025-12-31","figures":{'
        '"cq.public_standards":{"query":"public standards","record_count":1234,'
        '"unit":"count","value":"1234"},'
        '"cq.verification_coverage":{"query":"' + Q_COV + '","record_count":5000,'
        '"unit":"%","value":"96.8"}},'
        '"region":"500000","schema":"jiliang/indicator-snapshot/v1"}'
    ).encode()
    assert snap.canonical() == expected
    assert snap.digest == hashlib.sha256(expected).hexdigest()


def test_same_date_same_digest_regardless_of_order_and_spelling():
    a = make_snapshot(AS_OF, "500000", _figures(), today=TODAY)
    figs = _figures()
    b = make_snapshot(AS_OF, "500000", dict(reversed(list(figs.items()))), today=TODAY)
    assert a.digest == b.digest
    # 1234 and 1234.0 are the same number and give the same digest.
    c = make_snapshot(AS_OF, "500000", _figures(standards=1234), today=TODAY)
    d_figs = _figures()
    d_figs["cq.public_standards"] = Figure(1234.0, "count", "public standards", 1234)
    assert c.digest == make_snapshot(AS_OF, "500000", d_figs, today=TODAY).digest


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.__setitem__("cq.verification_coverage", Figure(96.80000001, "%", Q_COV, 5000)),
        lambda f: f.__setitem__("cq.verification_coverage", Figure(96.8, "%", Q_COV, 5001)),
        lambda f: f.__setitem__("cq.verification_coverage", Figure(96.8, "%", Q_COV + " ", 5000)),
        lambda f: f.__setitem__("cq.verification_coverage", Figure(None, "%", Q_COV, 5000)),
        lambda f: f.pop("cq.public_standards"),
    ],
)
def test_any_change_changes_the_digest(change):
    base = make_snapshot(AS_OF, "500000", _figures(), today=TODAY).digest
    figs = _figures()
    change(figs)
    assert make_snapshot(AS_OF, "500000", figs, today=TODAY).digest != base
    assert make_snapshot(dt.date(2025, 12, 30), "500000", _figures(), today=TODAY).digest != base
    assert make_snapshot(AS_OF, "500100", _figures(), today=TODAY).digest != base


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (96.8, "96.8"),
        (96.80, "96.8"),
        (1.0, "1"),
        (1, "1"),
        (1e-7, "0.0000001"),
        (-0.0, "0"),
        (1e21, "1000000000000000000000"),
        (0.1 + 0.2, "0.30000000000000004"),
        (2**60, str(2**60)),
    ],
)
def test_canonical_numbers(value, text):
    assert canonical_number(value) == text


def test_round_trip():
    snap = make_snapshot(AS_OF, "500000", _figures(), today=TODAY)
    back = Snapshot.from_canonical(snap.canonical())
    assert back.digest == snap.digest
    assert back.figures["cq.verification_coverage"].value == 96.8
    assert back.figures["cq.public_standards"].value == 1234


def test_future_date_is_refused_naming_as_of():
    with pytest.raises(ValueError, match=r"^as_of: 2026-07-01 is in the future"):
        make_snapshot(dt.date(2026, 7, 1), "500000", _figures(), today=TODAY)
    make_snapshot(TODAY, "500000", _figures(), today=TODAY)  # today itself is fine
    with pytest.raises(ValueError, match="as_of"):
        make_snapshot(dt.date.today() + dt.timedelta(days=2), "500000", _figures())


def test_bad_figures_name_the_field():
    with pytest.raises(ValueError, match=r"figures\['x'\]\.value: nan is not finite"):
        make_snapshot(AS_OF, "500000", {"x": Figure(float("nan"), "%", "q", 1)}, today=TODAY)
    with pytest.raises(ValueError, match=r"figures\['x'\]\.record_count"):
        make_snapshot(AS_OF, "500000", {"x": Figure(1.0, "%", "q", -1)}, today=TODAY)
    with pytest.raises(ValueError, match="region"):
        make_snapshot(AS_OF, "50", _figures(), today=TODAY)
