"""Verifiable double-random draws (双随机、一公开: random objects, random inspectors, public).

Protocol
--------
1. Freeze the pools — check items (检查事项), object pool (检查对象名录库) and inspector pool
   (执法检查人员名录库) — and the parameters, including ``params.algorithm``; publish
   ``pools_sha256`` and the *commitment* ``SHA-256(seed)`` before drawing (log both in the
   transparency log where it exists). The algorithm is part of the hashed pools, so it cannot be
   chosen after the fact.
2. Draw with the committed algorithm (below) from the seed and the frozen pools. New draws use
   ``jiliang-draw-v2``; frozen pools that name no algorithm predate v2 and are drawn (and
   verified) with ``jiliang-draw-v1``.
3. Reveal the seed with the record; anyone re-runs :func:`verify` (``jiliang draw verify``).

Common to both algorithms
-------------------------
``cj(x)`` is canonical JSON: keys sorted, separators ``,`` and ``:``, UTF-8, no ASCII escaping.
``D = hex(SHA-256(cj(pools)))`` and ``H(x) = HMAC-SHA256(key=seed, msg=cj(x))``.

* Items are processed in ascending ``id``. The candidates of an item are the objects whose
  ``items`` list names it (objects without ``items`` are subject to every item).
* Sample size: with ``weight_by_risk`` the candidates are split by ``risk_class`` and
  ``ceil(rate[class] × count)`` are taken from each class; otherwise ``ceil(ratio × count)``
  (``ratio`` of the item), computed as ``ceil(rate × count − 1e-12)`` in IEEE doubles so that
  binary noise (0.07 × 100 = 7.000000000000001) does not add a unit. Ceiling so a non-empty
  pool with a positive rate is never skipped.
* Recusal (回避): the eligible inspectors of an object are those not in the object's
  organisation and not listing the object id or its organisation among their conflicts. The
  inspector ids are sorted ascending (``N`` of them). If any drawn object (of any item) has fewer
  eligible inspectors than ``inspectors_per_object`` (``m``), the whole draw is refused
  (:class:`DrawRefused`) and nothing is drawn.

Algorithm ``jiliang-draw-v1``
-----------------------------
* Objects: every candidate ``o`` gets the score ``H(["object", D, item_id, o.id])``; the ``k``
  lowest scores (compared as bytes) are drawn, in ascending score order. This is a uniform
  sample without replacement for anyone who does not know the seed.
* Inspectors for a drawn (item, object): for ``j = 0, 1, 2, …`` take
  ``r = int(H(["inspector", D, item_id, object_id, j]), big-endian) mod N``; accept the
  inspector at index ``r`` if eligible and not yet taken, until ``m`` are taken.

Algorithm ``jiliang-draw-v2``
-----------------------------
v1 computes one HMAC per candidate (10⁵ objects × 6 items ≈ 3–5 s in Python); v2 computes two
per item and takes its random numbers from a SHAKE-256 key stream, so the draw is vectorised.

* Streams: ``S(tag, item) = SHAKE-256(H([tag, D, item_id]))`` read as consecutive unsigned 64-bit
  big-endian integers ``S[0], S[1], …`` (``tag`` is ``"object"`` or ``"inspector"``).
* Objects: the object at 0-based index ``p`` of ``pools.objects`` gets the score
  ``S("object", item)[p]``; among the item's candidates (per risk class when weighted) the ``k``
  with the lowest ``(score, p)`` are drawn, listed in ascending ``(score, p)``.
* Inspectors: the item's drawn objects, in draw order, consume ``S("inspector", item)`` from
  ``S[0]`` on, in rounds: in each round every object that still has fewer than ``m`` inspectors,
  in draw order, takes the next word ``w`` and tries the inspector at index ``w mod N``
  (bias < N / 2⁶⁴), accepted if eligible and not yet taken for that object. Rounds repeat until
  every object has ``m``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import heapq
import json
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jiliang.core.legal.rules import RuleBook

ALGORITHM_V1 = "jiliang-draw-v1"
ALGORITHM_V2 = "jiliang-draw-v2"
#: algorithm of new draws; every algorithm listed in ALGORITHMS still verifies
ALGORITHM = ALGORITHM_V2
ALGORITHMS = (ALGORITHM_V1, ALGORITHM_V2)
MIN_INSPECTORS = 2
MIN_SEED_BYTES = 16


class DrawRefused(ValueError):
    """The draw cannot be made as specified; nothing was drawn."""


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, compact separators, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_seed() -> bytes:
    """A fresh 32-byte seed from the OS CSPRNG."""
    return secrets.token_bytes(32)


def commitment(seed: bytes) -> str:
    """Hex SHA-256 of the seed: published before the draw, checked after the reveal."""
    return hashlib.sha256(seed).hexdigest()


def default_risk_rates(book: RuleBook | None = None, as_of: dt.date | None = None) -> dict:
    """Draw rates per credit-risk class from the ``draw`` rule table (configurable as data)."""
    table = (book or RuleBook.default()).table("draw", as_of)
    return {e["risk_class"]: float(e["rate"]) for e in table.entries}


def risk_class_of_grade(book: RuleBook | None = None, as_of: dt.date | None = None) -> dict:
    """Metrology-credit grade → draw risk class, from the ``credit_grades`` of the ``draw``
    table's entries. Every grade of the ``credit`` table must be listed under exactly one class
    (ValueError naming the grade otherwise), so no entity is left without a class."""
    book = book or RuleBook.default()
    table = book.table("draw", as_of)
    out: dict[str, str] = {}
    for e in table.entries:
        for grade in e.get("credit_grades") or ():
            if grade in out:
                raise ValueError(
                    f"draw table {table.edition!r}: credit grade {grade!r} is listed under "
                    f"{out[grade]!r} and {e['risk_class']!r}"
                )
            out[str(grade)] = str(e["risk_class"])
    grades = [g["grade"] for g in book.table("credit", as_of).meta.get("grades", ())]
    missing = [g for g in grades if g not in out]
    if missing:
        raise ValueError(f"draw table {table.edition!r}: credit grade(s) {missing} have no class")
    return out


def escalated_class(
    risk_class: str,
    tamper_alarms: int,
    book: RuleBook | None = None,
    as_of: dt.date | None = None,
) -> str:
    """The draw risk class of an object with ``tamper_alarms`` unresolved tamper alarms.

    With any such alarm the object moves up to the ``draw`` table's ``tamper_alarm_class`` (never
    down: a class already sampled at a higher rate stays); without one, or when the table names no
    class, ``risk_class`` is returned unchanged. ValueError names an unknown class.
    """
    book = book or RuleBook.default()
    rates = default_risk_rates(book, as_of)
    if risk_class not in rates:
        raise ValueError(f"risk_class {risk_class!r} is not one of {sorted(rates)}")
    target = book.table("draw", as_of).meta.get("tamper_alarm_class")
    if tamper_alarms <= 0 or not target:
        return risk_class
    if target not in rates:
        raise ValueError(f"draw table: tamper_alarm_class {target!r} is not one of {sorted(rates)}")
    return target if rates[target] > rates[risk_class] else risk_class


def _require(d: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in d or d[name] in (None, ""):
        raise ValueError(f"{where}: field {name!r} is required")
    return d[name]


def _unique_ids(rows: list[dict], where: str) -> None:
    ids = [r.get("id") for r in rows]
    for i, rid in enumerate(ids):
        if not isinstance(rid, str) or not rid:
            raise ValueError(f"{where}[{i}]: field 'id' is required and must be a string")
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(x for x in ids if x in seen or seen.add(x))
        raise ValueError(f"{where}: duplicate id {dup!r}")


def normalise_pools(pools: Mapping[str, Any]) -> dict[str, Any]:
    """Validate pools and return the frozen form that is hashed and stored in the record.

    Fields: ``items`` [{id, name?, ratio, key?}], ``objects`` [{id, org, items?, risk_class?}],
    ``inspectors`` [{id, org, conflicts?}], ``params`` {inspectors_per_object,
    weight_by_risk, risk_rates, algorithm?}. Extra fields are kept (they are part of what was
    frozen). A missing ``algorithm`` is not filled in, so pools frozen before v2 hash as they did.
    """
    if not isinstance(pools, Mapping):
        raise ValueError("pools must be a JSON object")
    out = {k: pools[k] for k in pools}
    for name in ("items", "objects", "inspectors"):
        rows = pools.get(name)
        # dict, not Mapping: the ABC check costs ~0.1 s over 10⁵ rows and JSON yields dicts
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError(f"pools: field {name!r} must be a list of objects")
        out[name] = list(rows)  # rows are read, never mutated
        _unique_ids(out[name], name)
    params = dict(pools.get("params") or {})
    m = params.setdefault("inspectors_per_object", MIN_INSPECTORS)
    if not isinstance(m, int) or m < MIN_INSPECTORS:
        raise ValueError(f"params.inspectors_per_object must be an integer ≥ {MIN_INSPECTORS}")
    params.setdefault("weight_by_risk", False)
    if "algorithm" in params and params["algorithm"] not in ALGORITHMS:
        raise ValueError(f"params.algorithm must be one of {list(ALGORITHMS)}")
    if params["weight_by_risk"]:
        rates = params.get("risk_rates") or default_risk_rates()
        for cls, rate in rates.items():
            if not 0 <= float(rate) <= 1:
                raise ValueError(f"params.risk_rates[{cls!r}] must be within [0, 1]")
        params["risk_rates"] = {k: float(v) for k, v in rates.items()}
    out["params"] = params
    item_ids = {i["id"] for i in out["items"]}
    for i, it in enumerate(out["items"]):
        if not params["weight_by_risk"]:
            ratio = _require(it, "ratio", f"items[{i}]")
            if not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
                raise ValueError(f"items[{i}]: field 'ratio' must be a number within [0, 1]")
    classes = params.get("risk_rates") if params["weight_by_risk"] else None
    for i, o in enumerate(out["objects"]):
        if not o.get("org"):
            raise ValueError(f"objects[{i}]: field 'org' is required")
        if o.get("items") and not item_ids.issuperset(o["items"]):
            unknown = sorted(set(o["items"]) - item_ids)
            raise ValueError(f"objects[{i}]: unknown item id(s) {unknown}")
        if classes is not None and o.get("risk_class") not in classes:
            raise ValueError(f"objects[{i}]: field 'risk_class' must be one of {sorted(classes)}")
    for i, p in enumerate(out["inspectors"]):
        _require(p, "org", f"inspectors[{i}]")
    return out


_encode_str = json.encoder.encode_basestring  # what canonical_json does to one str


class _Keyed:
    """HMAC-SHA256 (RFC 2104) with the key pads absorbed once per draw.

    The draw scores every candidate, so ``H`` is the hot loop (10⁵ calls must stay well under
    a second); the pads and the canonical-JSON prefix are hashed once and the states copied.
    """

    def __init__(self, seed: bytes) -> None:
        key = hashlib.sha256(seed).digest() if len(seed) > 64 else seed
        key = key.ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def scorer(self, *prefix: str) -> _Scorer:
        return _Scorer(self, canonical_json(list(prefix))[:-1] + b",")  # '["a","b",' left open


class _Scorer:
    """``H(prefix + [last])`` for a fixed prefix."""

    def __init__(self, keyed: _Keyed, head: bytes) -> None:
        self._inner = keyed.inner.copy()
        self._inner.update(head)
        self._outer = keyed.outer

    def extend(self, value: str) -> _Scorer:
        """The scorer for the prefix with ``value`` appended."""
        new = copy.copy(self)
        new._inner = self._inner.copy()
        new._inner.update(_encode_str(value).encode() + b",")
        return new

    def scores(self, values: list[str]) -> list[bytes]:
        """``score`` over many strings, with lookups hoisted out of the loop (hot path)."""
        inner_copy, outer_copy, enc = self._inner.copy, self._outer.copy, _encode_str
        out = []
        for v in values:
            inner = inner_copy()
            inner.update(enc(v).encode() + b"]")
            outer = outer_copy()
            outer.update(inner.digest())
            out.append(outer.digest())
        return out

    def score(self, last: str | int) -> bytes:
        tail = _encode_str(last) if isinstance(last, str) else str(int(last))
        inner = self._inner.copy()
        inner.update(tail.encode() + b"]")
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def _sample_size(count: int, rate: float) -> int:
    return min(count, math.ceil(rate * count - 1e-12)) if count else 0


def _draw_objects(keyed: _Keyed, digest: str, item: dict, candidates: list[dict], params: dict):
    scorer = keyed.scorer("object", digest, item["id"])
    if params["weight_by_risk"]:
        groups: dict[str, list[dict]] = {}
        for o in candidates:
            groups.setdefault(o["risk_class"], []).append(o)
        quotas = [(g, _sample_size(len(g), params["risk_rates"][c])) for c, g in groups.items()]
    else:
        quotas = [(candidates, _sample_size(len(candidates), float(item["ratio"])))]
    chosen: list[tuple[bytes, dict]] = []
    for group, k in quotas:
        scored = list(zip(scorer.scores([o["id"] for o in group]), group, strict=True))
        # scores are distinct 32-byte digests, so the dicts in the tuples are never compared
        chosen.extend(heapq.nsmallest(k, scored) if 10 * k < len(scored) else sorted(scored)[:k])
    chosen.sort(key=lambda t: t[0])
    return [o for _, o in chosen]


_NONE: frozenset[str] = frozenset()


def _excluded(obj: dict, by_org: dict, by_conflict: dict) -> frozenset[str] | set[str]:
    """Inspectors who must recuse themselves for ``obj`` (same org, or a declared conflict)."""
    same_org = by_org.get(obj["org"], _NONE)
    conflicts = by_conflict.get(obj["id"], _NONE) | by_conflict.get(obj["org"], _NONE)
    return same_org | conflicts if conflicts else same_org  # no copy in the common case


def _draw_inspectors(scorer: _Scorer, all_ids, excluded, m) -> list[str]:
    taken: list[str] = []
    j = 0
    while len(taken) < m:
        r = int.from_bytes(scorer.score(j), "big") % len(all_ids)
        cand = all_ids[r]
        if cand not in excluded and cand not in taken:
            taken.append(cand)
        j += 1
    return taken


def pools_digest(frozen: Mapping[str, Any]) -> str:
    """``D``: hex SHA-256 of the canonical JSON of the frozen pools."""
    return hashlib.sha256(canonical_json(frozen)).hexdigest()


def committed_algorithm(frozen: Mapping[str, Any]) -> str:
    """The algorithm frozen pools commit to: ``params.algorithm``, or v1 for pools frozen
    before the algorithm was part of them."""
    return (frozen.get("params") or {}).get("algorithm") or ALGORITHM_V1


def compute_selections(
    seed: bytes, frozen: dict[str, Any], digest: str | None = None
) -> list[dict[str, Any]]:
    """Run the committed algorithm on normalised pools; raises :class:`DrawRefused`."""
    if len(seed) < MIN_SEED_BYTES:
        raise ValueError(f"seed must have at least {MIN_SEED_BYTES} bytes, got {len(seed)}")
    algorithm = committed_algorithm(frozen)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"params.algorithm must be one of {list(ALGORITHMS)}")
    digest = digest or pools_digest(frozen)
    selections = _selections_v2 if algorithm == ALGORITHM_V2 else _selections_v1
    return selections(_Keyed(seed), frozen, digest)


@dataclass(frozen=True)
class _Recusal:
    """Inspector ids sorted ascending and who must recuse themselves (same org, conflicts)."""

    all_ids: list[str]
    by_org: dict[str, set[str]]
    by_conflict: dict[str, set[str]]

    @classmethod
    def of(cls, inspectors: list[dict]) -> _Recusal:
        by_org: dict[str, set[str]] = {}
        by_conflict: dict[str, set[str]] = {}
        for p in inspectors:
            by_org.setdefault(p["org"], set()).add(p["id"])
            for c in p.get("conflicts") or ():
                by_conflict.setdefault(c, set()).add(p["id"])
        return cls(sorted(p["id"] for p in inspectors), by_org, by_conflict)

    def excluded(self, obj: dict) -> frozenset[str] | set[str]:
        return _excluded(obj, self.by_org, self.by_conflict)

    def refuse_if_short(self, drawn: list[tuple[str, str, int]], m: int) -> None:
        """Refuse the whole draw if a drawn (item id, object id, n excluded) has < m eligible."""
        n = len(self.all_ids)
        short = [f"{i}/{o}: {n - ex} eligible" for i, o, ex in drawn if n - ex < m]
        if short:
            raise DrawRefused(
                f"too few inspectors after recusal (need {m} per object) for "
                f"{len(short)} drawn object(s): {'; '.join(short[:10])} — nothing drawn"
            )


def _selections_v1(keyed: _Keyed, frozen: dict[str, Any], digest: str) -> list[dict[str, Any]]:
    """``jiliang-draw-v1`` (one HMAC per candidate); kept so v1 records still verify."""
    params = frozen["params"]
    m = params["inspectors_per_object"]
    recusal = _Recusal.of(frozen["inspectors"])
    drawn: list[tuple[dict, dict, frozenset[str] | set[str]]] = []
    for item in sorted(frozen["items"], key=lambda i: i["id"]):
        candidates = [
            o for o in frozen["objects"] if not o.get("items") or item["id"] in o["items"]
        ]
        for obj in _draw_objects(keyed, digest, item, candidates, params):
            drawn.append((item, obj, recusal.excluded(obj)))
    recusal.refuse_if_short([(i["id"], o["id"], len(ex)) for i, o, ex in drawn], m)
    inspector_scorers = {
        item["id"]: keyed.scorer("inspector", digest, item["id"]) for item in frozen["items"]
    }
    return [
        {
            "item_id": item["id"],
            "object_id": obj["id"],
            "risk_class": obj.get("risk_class"),
            "inspectors": _draw_inspectors(
                inspector_scorers[item["id"]].extend(obj["id"]), recusal.all_ids, ex, m
            ),
        }
        for item, obj, ex in drawn
    ]


class _Stream:
    """``S(tag, item)``: SHAKE-256 of an HMAC key read as big-endian uint64 words, on demand."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._words = np.empty(0, dtype=np.uint64)

    def words(self, start: int, count: int) -> np.ndarray:
        """Words ``S[start:start + count]``."""
        stop = start + count
        if stop > self._words.size:
            # SHAKE output is recomputed from its start: doubling keeps the total work linear
            n = max(stop, 2 * self._words.size)
            raw = hashlib.shake_256(self._key).digest(8 * n)
            self._words = np.frombuffer(raw, dtype=">u8").astype(np.uint64)
        return self._words[start:stop]


def _candidates(objects: list[dict], item_ids: list[str]) -> dict[str, np.ndarray]:
    """Ascending indices into ``objects`` of each item's candidates (one pass over objects)."""
    per_item: dict[str, list[int]] = {i: [] for i in item_ids}
    everywhere: list[int] = []
    for p, o in enumerate(objects):
        its = o.get("items")
        if not its:
            everywhere.append(p)
            continue
        for it in its:
            per_item[it].append(p)
    every = np.array(everywhere, dtype=np.int64)
    out = {}
    for i, ps in per_item.items():
        own = np.array(ps, dtype=np.int64)  # ascending; an item listed twice repeats its index
        own = own[np.diff(own, prepend=-1) != 0]
        out[i] = np.union1d(own, every) if every.size else own
    return out


def _lowest(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` lowest scores, ties by index (stable sort), ascending."""
    return np.argsort(scores, kind="stable")[:k]


def _draw_objects_v2(
    stream: _Stream,
    cand: np.ndarray,
    ratio: float,
    classes: np.ndarray | None,
    rates: list[float],
) -> np.ndarray:
    """Indices of an item's drawn objects in draw order (ascending score, then index).

    ``cand``: ascending candidate indices; ``classes``: risk-class code per object (None: not
    weighted, ``ratio`` applies); ``rates[code]``: the draw rate of a class.
    """
    scores = stream.words(0, int(cand[-1]) + 1)[cand]  # ``cand`` ascending: ties by index
    if classes is None:
        return cand[_lowest(scores, _sample_size(cand.size, ratio))]
    cls = classes[cand]
    picked = []
    for code in np.unique(cls):
        group = np.flatnonzero(cls == code)
        picked.append(group[_lowest(scores[group], _sample_size(group.size, rates[code]))])
    chosen = np.sort(np.concatenate(picked))
    return cand[chosen[np.argsort(scores[chosen], kind="stable")]]


def _draw_inspectors_v2(
    stream: _Stream, insp_org: np.ndarray, obj_org: np.ndarray, conflicts: np.ndarray, m: int
) -> np.ndarray:
    """Inspector indices (one row of ``m`` per drawn object) by rounds of rejection sampling.

    ``insp_org``: org code per inspector (sorted by id); ``obj_org``: org code per drawn object
    in draw order; ``conflicts``: ``row × N + inspector`` of declared conflicts.
    """
    n, k = insp_org.size, obj_org.size
    taken = np.full((k, m), -1, dtype=np.int64)
    count = np.zeros(k, dtype=np.int64)
    pending = np.arange(k)
    start = 0
    while pending.size:  # terminates: every drawn object has ≥ m eligible (checked before)
        r = (stream.words(start, pending.size) % np.uint64(n)).astype(np.int64)
        start += pending.size
        ok = (insp_org[r] != obj_org[pending]) & (taken[pending] != r[:, None]).all(axis=1)
        if conflicts.size:
            ok &= ~np.isin(pending * n + r, conflicts)
        rows = pending[ok]
        taken[rows, count[rows]] = r[ok]
        count[rows] += 1
        pending = pending[count[pending] < m]
    return taken


def _selections_v2(keyed: _Keyed, frozen: dict[str, Any], digest: str) -> list[dict[str, Any]]:
    """``jiliang-draw-v2``: two HMACs per item, scores and trials from SHAKE-256 key streams."""
    params = frozen["params"]
    m = params["inspectors_per_object"]
    objects = frozen["objects"]
    recusal = _Recusal.of(frozen["inspectors"])
    items = sorted(frozen["items"], key=lambda i: i["id"])
    members = _candidates(objects, [i["id"] for i in items])
    classes: np.ndarray | None = None
    rates: list[float] = []
    if params["weight_by_risk"]:
        codes: dict[str, int] = {}
        classes = np.fromiter(
            (codes.setdefault(o["risk_class"], len(codes)) for o in objects),
            dtype=np.int64,
            count=len(objects),
        )
        rates = [params["risk_rates"][name] for name in codes]
    object_scorer = keyed.scorer("object", digest)
    drawn: list[tuple[dict, list[int]]] = []
    n_excluded: dict[int, int] = {}  # object index → inspectors recused (objects recur per item)
    for item in items:
        cand = members[item["id"]]
        rows: list[int] = []
        if cand.size:
            stream = _Stream(object_scorer.score(item["id"]))
            ratio = 0.0 if classes is not None else float(item["ratio"])
            rows = _draw_objects_v2(stream, cand, ratio, classes, rates).tolist()
        drawn.append((item, rows))
        for p in rows:
            if p not in n_excluded:
                n_excluded[p] = len(recusal.excluded(objects[p]))
    recusal.refuse_if_short(
        [(item["id"], objects[p]["id"], n_excluded[p]) for item, rows in drawn for p in rows], m
    )
    ids = recusal.all_ids
    position = {pid: j for j, pid in enumerate(ids)}
    org_of = {p["id"]: p["org"] for p in frozen["inspectors"]}
    orgs: dict[str, int] = {}
    insp_org = np.array([orgs.setdefault(org_of[pid], len(orgs)) for pid in ids], dtype=np.int64)
    inspector_scorer = keyed.scorer("inspector", digest)
    out: list[dict[str, Any]] = []
    for item, rows in drawn:
        if not rows:
            continue
        # -1: an organisation no inspector belongs to
        obj_org = np.array([orgs.get(objects[p]["org"], -1) for p in rows], dtype=np.int64)
        conflicts: list[int] = []
        for t, p in enumerate(rows if recusal.by_conflict else ()):
            obj = objects[p]
            clash = recusal.by_conflict.get(obj["id"], _NONE) | recusal.by_conflict.get(
                obj["org"], _NONE
            )
            conflicts.extend(t * len(ids) + position[pid] for pid in clash)
        taken = _draw_inspectors_v2(
            _Stream(inspector_scorer.score(item["id"])),
            insp_org,
            obj_org,
            np.unique(np.array(conflicts, dtype=np.int64)),
            m,
        )
        out.extend(
            {
                "item_id": item["id"],
                "object_id": objects[p]["id"],
                "risk_class": objects[p].get("risk_class"),
                "inspectors": [ids[j] for j in js],
            }
            for p, js in zip(rows, taken.tolist(), strict=True)
        )
    return out


@dataclass(frozen=True)
class DrawRecord:
    """Everything needed to publish and re-check a draw."""

    commitment: str
    pools: dict[str, Any]
    pools_sha256: str
    selections: list[dict[str, Any]]
    seed_hex: str | None = None
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())
    algorithm: str = ALGORITHM

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "commitment": self.commitment,
            "seed_hex": self.seed_hex,
            "pools_sha256": self.pools_sha256,
            "created_at": self.created_at,
            "pools": self.pools,
            "selections": self.selections,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DrawRecord:
        where = "draw record"
        return cls(
            commitment=_require(d, "commitment", where),
            pools=_require(d, "pools", where),
            pools_sha256=_require(d, "pools_sha256", where),
            selections=list(d.get("selections") or []),
            seed_hex=d.get("seed_hex"),
            created_at=str(d.get("created_at", "")),
            algorithm=str(d.get("algorithm", "")),
        )


def run_draw(pools: Mapping[str, Any], seed: bytes, reveal: bool = True) -> DrawRecord:
    """Draw from ``pools`` with ``seed``; ``reveal=False`` keeps the seed out of the record.

    Pools that name no ``params.algorithm`` are frozen with the current :data:`ALGORITHM`, so
    the record commits to the algorithm it was drawn with.
    """
    frozen = normalise_pools(pools)
    frozen["params"].setdefault("algorithm", ALGORITHM)  # normalise_pools copied params
    digest = pools_digest(frozen)
    selections = compute_selections(seed, frozen, digest)
    return DrawRecord(
        commitment=commitment(seed),
        pools=frozen,
        pools_sha256=digest,
        selections=selections,
        seed_hex=seed.hex() if reveal else None,
        algorithm=committed_algorithm(frozen),
    )


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of :func:`verify`: ``ok`` and the list of problems found.

    ``verifiable`` is False when the draw could not be checked at all (the seed is withheld and
    nothing else is wrong): neither a pass nor a mismatch.
    """

    ok: bool
    problems: tuple[str, ...]
    verifiable: bool = True


_COMMITMENT_RE = re.compile(r"[0-9a-f]{64}")


def verify(
    record: DrawRecord | Mapping[str, Any], expected_commitment: str | None = None
) -> VerifyReport:
    """Recompute a revealed draw with the algorithm its pools commit to; compare with the record.

    ``expected_commitment``: the SHA-256(seed) published *before* the draw (hex). A record is
    self-consistent by construction for whoever made it, so without this pin a fresh record
    drawn under another seed would pass; with it, the record must carry that commitment.
    ValueError if it is not 64 hex digits.
    """
    rec = record if isinstance(record, DrawRecord) else DrawRecord.from_dict(record)
    problems: list[str] = []
    if expected_commitment is not None:
        pinned = expected_commitment.strip().lower()
        if not _COMMITMENT_RE.fullmatch(pinned):
            raise ValueError("the published commitment must be 64 hexadecimal digits (SHA-256)")
        if str(rec.commitment).lower() != pinned:
            problems.append(
                f"record's commitment {rec.commitment} is not the published commitment {pinned}"
            )
    if rec.algorithm not in ALGORITHMS:
        return VerifyReport(False, (*problems, f"unknown algorithm {rec.algorithm!r}"))
    if not rec.seed_hex:
        if problems:  # already known not to be the published draw
            return VerifyReport(False, (*problems, "seed not revealed"))
        return VerifyReport(False, ("seed not revealed",), verifiable=False)
    try:
        seed = bytes.fromhex(rec.seed_hex)
    except ValueError:
        return VerifyReport(False, ("seed_hex is not hexadecimal",))
    if commitment(seed) != rec.commitment:
        problems.append("SHA-256(seed) does not match the published commitment")
    try:
        # normalising frozen pools is the identity, so D is hashed once and reused
        frozen = normalise_pools(rec.pools)
        digest = pools_digest(frozen)
        if digest != rec.pools_sha256:
            problems.append("pools_sha256 does not match the recorded pools")
        if committed_algorithm(frozen) != rec.algorithm:
            problems.append(
                f"record names algorithm {rec.algorithm!r} but the pools commit to "
                f"{committed_algorithm(frozen)!r}"
            )
        again = compute_selections(seed, frozen, digest)
    except ValueError as exc:
        return VerifyReport(False, (*problems, f"recomputation refused: {exc}"))
    if again != rec.selections:
        diff = sum(a != b for a, b in zip(again, rec.selections, strict=False))
        diff += abs(len(again) - len(rec.selections))
        problems.append(f"selections differ from the recomputation ({diff} row(s))")
    return VerifyReport(not problems, tuple(problems))
