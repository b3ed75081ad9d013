"""Verifiable double-random draws (双随机、一公开)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import math
import random

import pytest

from jiliang.core.legal.draw import (
    ALGORITHM,
    ALGORITHM_V1,
    ALGORITHM_V2,
    ALGORITHMS,
    DrawRefused,
    commitment,
    default_risk_rates,
    normalise_pools,
    pools_digest,
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
    rec = run_draw(_pools(algorithm=ALGORITHM_V1), SEED)
    assert rec.algorithm == ALGORITHM_V1
    expected = _reference_draw(SEED, rec.pools)
    assert [(s["item_id"], s["object_id"], s["inspectors"]) for s in rec.selections] == expected
    # ceil(10 % × 100 fuel candidates) + ceil(10 % × 200 scale candidates)
    assert len(rec.selections) == 10 + 20


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_record_commits_to_seed_and_verifies(algorithm):
    rec = run_draw(_pools(algorithm=algorithm), SEED)
    assert rec.algorithm == rec.pools["params"]["algorithm"] == algorithm
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


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_recusal_same_org_and_declared_conflicts(algorithm):
    pools = _pools(n_objects=60, n_inspectors=6, ratio=1.0, algorithm=algorithm)
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


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_too_few_inspectors_after_recusal_refuses_everything(algorithm):
    pools = _pools(n_objects=20, n_inspectors=3, ratio=1.0, algorithm=algorithm)
    for p in pools["inspectors"]:
        p["conflicts"] = ["ORG3"]
    pools["inspectors"][0]["conflicts"] = []
    pools["inspectors"][1]["conflicts"] = []
    pools["inspectors"][1]["org"] = "ORG3"  # only I00 is left for ORG3's object
    with pytest.raises(
        DrawRefused, match=r"too few inspectors after recusal.*E0003.*nothing drawn"
    ):
        run_draw(pools, SEED)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_weighting_by_risk_class_uses_configured_rates(algorithm):
    pools = _pools(n_objects=400, weight_by_risk=True, algorithm=algorithm)
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
        (lambda p: p["params"].update(algorithm="v3"), "params.algorithm must be one of"),
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


# -- jiliang-draw-v2 ----------------------------------------------------------------------------


def _reference_v2(seed: bytes, pools: dict) -> list[tuple[str, str, list[str]]]:
    """Independent, loop-by-loop re-implementation of the documented jiliang-draw-v2."""

    def cj(x):
        return json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    d = hashlib.sha256(cj(pools)).hexdigest()

    class Words:
        """S(tag, item): SHAKE-256(H([tag, D, item])) as big-endian 64-bit words."""

        def __init__(self, tag, item_id):
            self.key = hmac.new(seed, cj([tag, d, item_id]), hashlib.sha256).digest()
            self.buf = b""

        def __getitem__(self, i):
            while len(self.buf) < 8 * (i + 1):
                self.buf = hashlib.shake_256(self.key).digest(max(64, 2 * len(self.buf)))
            return int.from_bytes(self.buf[8 * i : 8 * i + 8], "big")

    params = pools["params"]
    m = params["inspectors_per_object"]
    objects = pools["objects"]
    ids = sorted(p["id"] for p in pools["inspectors"])

    def excluded(o):
        return {
            p["id"]
            for p in pools["inspectors"]
            if p["org"] == o["org"] or {o["id"], o["org"]} & set(p.get("conflicts") or [])
        }

    def size(count, rate):
        return min(count, math.ceil(rate * count - 1e-12))

    drawn = []
    for item in sorted(pools["items"], key=lambda i: i["id"]):
        s = Words("object", item["id"])
        cands = [p for p, o in enumerate(objects) if not o.get("items") or item["id"] in o["items"]]
        if params["weight_by_risk"]:
            groups = {}
            for p in cands:
                groups.setdefault(objects[p]["risk_class"], []).append(p)
            quotas = [(g, params["risk_rates"][c]) for c, g in groups.items()]
        else:
            quotas = [(cands, item["ratio"])]
        chosen = []
        for group, rate in quotas:
            chosen += sorted(group, key=lambda p: (s[p], p))[: size(len(group), rate)]
        drawn.append((item["id"], sorted(chosen, key=lambda p: (s[p], p))))
    for _, chosen in drawn:
        for p in chosen:
            if len(ids) - len(excluded(objects[p])) < m:
                raise DrawRefused("too few inspectors after recusal")
    out = []
    for item_id, chosen in drawn:
        s = Words("inspector", item_id)
        got = {p: [] for p in chosen}
        c = 0
        while any(len(g) < m for g in got.values()):
            for p in chosen:  # one round: every unfinished object, in draw order
                if len(got[p]) < m:
                    pid = ids[s[c] % len(ids)]
                    c += 1
                    if pid not in excluded(objects[p]) and pid not in got[p]:
                        got[p].append(pid)
        out += [(item_id, objects[p]["id"], got[p]) for p in chosen]
    return out


def _random_pools(rng: random.Random) -> dict:
    """Random pools: objects with and without items (some listed twice), weighted or not,
    conflicts on object ids and organisations, sometimes too few inspectors."""
    items = [f"K{j}" for j in range(rng.randint(1, 4))]
    n_orgs = rng.randint(1, 30)
    objects = []
    for i in rng.sample(range(10_000), rng.randint(1, 250)):  # pool order is not id order
        o = {"id": f"O{i}", "org": f"G{rng.randrange(n_orgs)}", "risk_class": rng.choice("abc")}
        if rng.random() < 0.8:
            o["items"] = rng.sample(items, rng.randint(1, len(items)))
            if rng.random() < 0.1:
                o["items"].append(o["items"][0])
        objects.append(o)
    inspectors = []
    for j in range(rng.randint(2, 14)):
        p = {"id": f"P{rng.randrange(1000):03d}-{j}", "org": f"G{rng.randrange(n_orgs + 4)}"}
        if rng.random() < 0.4:
            p["conflicts"] = [rng.choice(objects)["id"], f"G{rng.randrange(n_orgs)}"]
        inspectors.append(p)
    weighted = rng.random() < 0.4
    params = {"inspectors_per_object": rng.choice([2, 2, 3]), "weight_by_risk": weighted}
    if weighted:
        params["risk_rates"] = {"a": rng.random(), "b": rng.choice([0.0, 1.0]), "c": 0.05}
    return {
        "items": [{"id": k, "ratio": rng.choice([0.0, 0.07, rng.random(), 1.0])} for k in items],
        "objects": objects,
        "inspectors": inspectors,
        "params": params,
    }


@pytest.mark.parametrize("case", range(60))
def test_v2_matches_an_independent_implementation_on_random_pools(case):
    rng = random.Random(case)
    pools = _random_pools(rng)
    seed = rng.randbytes(32)
    try:
        rec = run_draw(pools, seed)
    except DrawRefused:
        frozen = normalise_pools(pools)
        frozen["params"]["algorithm"] = ALGORITHM_V2
        with pytest.raises(DrawRefused):
            _reference_v2(seed, frozen)
        return
    assert rec.algorithm == ALGORITHM == ALGORITHM_V2
    got = [(s["item_id"], s["object_id"], s["inspectors"]) for s in rec.selections]
    assert got == _reference_v2(seed, rec.pools)
    assert verify(rec).ok


def test_v2_inspector_rounds_extend_the_key_stream():
    """Two eligible inspectors out of 300: hundreds of rounds, far past the first SHAKE block."""
    pools = {
        "items": [{"id": "x", "ratio": 1.0}],
        "objects": [{"id": f"O{i}", "org": "A"} for i in range(3)],
        "inspectors": [{"id": f"I{j:03d}", "org": "A" if j > 1 else "B"} for j in range(300)],
    }
    rec = run_draw(pools, SEED)
    assert {tuple(s["inspectors"]) for s in rec.selections} <= {("I000", "I001"), ("I001", "I000")}
    got = [(s["item_id"], s["object_id"], s["inspectors"]) for s in rec.selections]
    assert got == _reference_v2(SEED, rec.pools)


def test_v1_records_without_a_committed_algorithm_still_verify():
    """A record made before v2 existed: its pools name no algorithm and it says v1."""
    pools = _pools()
    frozen = normalise_pools(pools)
    assert "algorithm" not in frozen["params"]  # normalising does not add one (hash unchanged)
    risk = {o["id"]: o["risk_class"] for o in frozen["objects"]}
    legacy = {
        "algorithm": ALGORITHM_V1,
        "commitment": commitment(SEED),
        "seed_hex": SEED.hex(),
        "pools_sha256": pools_digest(frozen),
        "pools": frozen,
        "selections": [
            {"item_id": i, "object_id": o, "risk_class": risk[o], "inspectors": ins}
            for i, o, ins in _reference_draw(SEED, frozen)
        ],
    }
    assert verify(legacy).ok
    # claiming the other algorithm is caught: the pools (hashed) commit to v1
    report = verify({**legacy, "algorithm": ALGORITHM_V2})
    assert not report.ok and any("pools commit to 'jiliang-draw-v1'" in p for p in report.problems)


def test_record_cannot_switch_algorithm_after_the_draw():
    d = run_draw(_pools(), SEED).to_dict()
    d["algorithm"] = ALGORITHM_V1
    report = verify(d)
    assert not report.ok
    assert any("pools commit to 'jiliang-draw-v2'" in p for p in report.problems)


def test_tamper_alarm_escalates_the_class_but_never_lowers_it():
    from jiliang.core.legal.draw import escalated_class

    # shipped table (draw-risk-rates.yaml): tamper_alarm_class high, the highest rate
    assert escalated_class("low", 0) == "low"
    assert escalated_class("low", 1) == "high"
    assert escalated_class("medium_high", 3) == "high"
    assert escalated_class("high", 1) == "high"
    with pytest.raises(ValueError, match="risk_class"):
        escalated_class("nonsense", 1)
