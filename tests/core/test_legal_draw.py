"""Verifiable double-random draws (双随机、一公开)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import math

import pytest

from jiliang.core.legal.draw import (
    DrawRefused,
    commitment,
    default_risk_rates,
    run_draw,
    verify,
)

SEED = bytes(range(32))


def _pools(n_objects=200, n_inspectors=12, ratio=0.1, **params):
    return {
        "items": [
            {"id": "scale", "name": "电子计价秤计量检查", "ratio": ratio},
            {"id": "fuel", "name": "加油机计量检查", "ratio": ratio, "key": True},
        ],
        "objects": [
            {
                "id": f"E{i:04d}",
                "org": f"ORG{i % 50}",
                "items": ["scale"] if i % 2 else ["scale", "fuel"],
                "risk_class": ["high", "medium_high", "medium", "low"][i % 4],
            }
            for i in range(n_objects)
        ],
        "inspectors": [
            {"id": f"I{j:02d}", "org": f"BUREAU{j % 3}", "conflicts": [f"ORG{j}"]}
            for j in range(n_inspectors)
        ],
        "params": {"inspectors_per_object": 2, **params},
    }


def _reference_draw(seed: bytes, pools: dict) -> list[tuple[str, str, list[str]]]:
    """Independent re-implementation of the documented jiliang-draw-v1 (unweighted)."""

    def cj(x):
        return json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def h(x):
        return hmac.new(seed, cj(x), hashlib.sha256).digest()

    d = hashlib.sha256(cj(pools)).hexdigest()
    ids = sorted(p["id"] for p in pools["inspectors"])
    out = []
    for item in sorted(pools["items"], key=lambda i: i["id"]):
        cands = [o for o in pools["objects"] if not o.get("items") or item["id"] in o["items"]]
        k = math.ceil(item["ratio"] * len(cands))
        for o in sorted(cands, key=lambda o: h(["object", d, item["id"], o["id"]]))[:k]:
            bad = {
                p["id"]
                for p in pools["inspectors"]
                if p["org"] == o["org"] or {o["id"], o["org"]} & set(p.get("conflicts", []))
            }
            got, j = [], 0
            while len(got) < 2:
                r = int.from_bytes(h(["inspector", d, item["id"], o["id"], j]), "big") % len(ids)
                if ids[r] not in bad and ids[r] not in got:
                    got.append(ids[r])
                j += 1
            out.append((item["id"], o["id"], got))
    return out


def test_draw_matches_an_independent_implementation_of_the_documented_algorithm():
    rec = run_draw(_pools(), SEED)
    expected = _reference_draw(SEED, rec.pools)
    assert [(s["item_id"], s["object_id"], s["inspectors"]) for s in rec.selections] == expected
    # ceil(10 % × 100 fuel candidates) + ceil(10 % × 200 scale candidates)
    assert len(rec.selections) == 10 + 20


def test_record_commits_to_seed_and_verifies():
    rec = run_draw(_pools(), SEED)
    assert rec.commitment == hashlib.sha256(SEED).hexdigest() == commitment(SEED)
    assert verify(rec).ok
    as_json = json.loads(json.dumps(rec.to_dict(), ensure_ascii=False))
    assert verify(as_json).ok


def test_different_seed_gives_a_different_draw():
    a = run_draw(_pools(), SEED).selections
    b = run_draw(_pools(), bytes(32)).selections
    assert a != b


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda d: d["selections"][0].update(object_id="E9999"), "selections differ"),
        (lambda d: d.update(seed_hex=bytes(32).hex()), "does not match the published commitment"),
        (lambda d: d["pools"]["objects"].pop(), "pools_sha256 does not match"),
        (lambda d: d.update(seed_hex=None), "seed not revealed"),
        (lambda d: d.update(algorithm="v0"), "unknown algorithm"),
    ],
)
def test_verify_detects_tampering(tamper, problem):
    d = copy.deepcopy(run_draw(_pools(), SEED).to_dict())
    tamper(d)
    report = verify(d)
    assert not report.ok
    assert any(problem in p for p in report.problems)


def test_recusal_same_org_and_declared_conflicts():
    pools = _pools(n_objects=60, n_inspectors=6, ratio=1.0)
    pools["inspectors"][0]["org"] = "ORG7"  # same organisation as E0007, E0057
    pools["inspectors"][1]["conflicts"] = ["E0010"]
    rec = run_draw(pools, SEED)
    for s in rec.selections:
        obj = next(o for o in pools["objects"] if o["id"] == s["object_id"])
        assert len(s["inspectors"]) == len(set(s["inspectors"])) == 2
        for pid in s["inspectors"]:
            insp = next(p for p in pools["inspectors"] if p["id"] == pid)
            assert insp["org"] != obj["org"]
            assert obj["id"] not in insp["conflicts"] and obj["org"] not in insp["conflicts"]


def test_too_few_inspectors_after_recusal_refuses_everything():
    pools = _pools(n_objects=20, n_inspectors=3, ratio=1.0)
    for p in pools["inspectors"]:
        p["conflicts"] = ["ORG3"]
    pools["inspectors"][0]["conflicts"] = []
    pools["inspectors"][1]["conflicts"] = []
    pools["inspectors"][1]["org"] = "ORG3"  # only I00 is left for ORG3's object
    with pytest.raises(
        DrawRefused, match=r"too few inspectors after recusal.*E0003.*nothing drawn"
    ):
        run_draw(pools, SEED)


def test_weighting_by_risk_class_uses_configured_rates():
    pools = _pools(n_objects=400, weight_by_risk=True)
    rec = run_draw(pools, SEED)
    rates = default_risk_rates()
    assert rates == {"high": 0.30, "medium_high": 0.10, "medium": 0.02, "low": 0.01}
    for item in ("scale", "fuel"):
        for cls, rate in rates.items():
            pool = [o for o in pools["objects"] if item in o["items"] and o["risk_class"] == cls]
            got = sum(1 for s in rec.selections if s["item_id"] == item and s["risk_class"] == cls)
            assert got == math.ceil(rate * len(pool)), (item, cls)
    custom = _pools(n_objects=400, weight_by_risk=True, risk_rates={"high": 1, "low": 0})
    with pytest.raises(ValueError, match="risk_class' must be one of"):
        run_draw(custom, SEED)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p["objects"].append(dict(p["objects"][0])), "duplicate id 'E0000'"),
        (lambda p: p["objects"][0].pop("org"), r"objects\[0\]: field 'org' is required"),
        (lambda p: p["items"][0].update(ratio=1.5), "ratio' must be a number within"),
        (lambda p: p["params"].update(inspectors_per_object=1), "≥ 2"),
        (lambda p: p["objects"][1].update(items=["nope"]), "unknown item id"),
        (lambda p: p.pop("inspectors"), "'inspectors' must be a list"),
    ],
)
def test_bad_pools_are_rejected_naming_the_field(mutate, message):
    pools = _pools()
    mutate(pools)
    with pytest.raises(ValueError, match=message):
        run_draw(pools, SEED)


def test_short_seed_is_rejected():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        run_draw(_pools(), b"short")


def test_draw_is_roughly_uniform_over_objects():
    # 200 draws of 1 in 10 objects: each object should be picked about 20 times
    pools = {
        "items": [{"id": "x", "ratio": 0.1}],
        "objects": [{"id": f"O{i}", "org": "A"} for i in range(10)],
        "inspectors": [{"id": f"I{j}", "org": "B"} for j in range(2)],
    }
    counts = {f"O{i}": 0 for i in range(10)}
    for k in range(200):
        sel = run_draw(pools, hashlib.sha256(str(k).encode()).digest()).selections
        counts[sel[0]["object_id"]] += 1
    chi2 = sum((c - 20) ** 2 / 20 for c in counts.values())
    assert chi2 < 27.9  # χ²(9) 99.9 % quantile


def test_sample_size_ignores_binary_noise():
    # 0.07 × 100 = 7.000000000000001 in IEEE doubles; the documented size is 7, not 8
    pools = {
        "items": [{"id": "x", "ratio": 0.07}],
        "objects": [{"id": f"O{i}", "org": "A"} for i in range(100)],
        "inspectors": [{"id": f"I{j}", "org": "B"} for j in range(2)],
    }
    assert len(run_draw(pools, SEED).selections) == 7
