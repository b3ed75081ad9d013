"""Draw commitments and reveals as leaves of the transparency log (双随机、一公开).

When a draw is committed its *commitment statement* is logged; when the seed is revealed, its
*reveal statement*. A statement is a small JSON object anyone can rebuild from the published
draw record; the leaf is :func:`jiliang.platform.ledger.service.leaf_payload` of
(kind, draw id, SHA-256 of the statement's canonical JSON)::

    draw-commitment  {"algorithm", "commitment", "draw", "pools_sha256"}
    draw-reveal      {"commitment", "draw", "seed_hex", "selections_sha256"}

So the log fixes the commitment and the frozen pools before the draw (the regulator cannot
re-roll the seed or the pools unseen), and the reveal after it. The public draw page checks each
leaf against the row and an inclusion proof against the latest signed checkpoint.
"""

from __future__ import annotations

import hashlib

from jiliang.core.ledger import leaf_hash
from jiliang.core.legal import draw as core
from jiliang.platform.ledger import service as ledger
from jiliang.platform.ledger.service import RecordAudit

from .models import Draw, DrawData

COMMITMENT = "draw-commitment"
REVEAL = "draw-reveal"


def commitment_statement(d: Draw) -> dict:
    return {
        "draw": d.pk,
        "algorithm": committed_algorithm(d),
        "commitment": d.commitment,
        "pools_sha256": d.pools_sha256,
    }


def committed_algorithm(d: Draw) -> str:
    """The draw algorithm ``d``'s frozen pools commit to (v1 for pools that predate v2); only
    that JSON key is read, not the pools."""
    name = DrawData.objects.filter(draw=d).values_list("pools__params__algorithm", flat=True)
    return core.committed_algorithm({"params": {"algorithm": name.first()}})


def reveal_statement(d: Draw) -> dict:
    return {
        "draw": d.pk,
        "commitment": d.commitment,
        "seed_hex": d.seed_hex,
        "selections_sha256": d.selections_sha256,
    }


STATEMENTS = {COMMITMENT: commitment_statement, REVEAL: reveal_statement}
FIELDS = {COMMITMENT: "commitment_leaf", REVEAL: "reveal_leaf"}


def payload(kind: str, statement: dict) -> bytes:
    """The logged bytes of a statement (its digest, not the statement itself)."""
    digest = hashlib.sha256(core.canonical_json(statement)).hexdigest()
    return ledger.leaf_payload(kind, statement["draw"], digest)


def log(d: Draw, kind: str) -> int:
    """Append the ``kind`` statement of ``d`` and set its leaf index on ``d`` (caller saves)."""
    index = ledger.append_payload(payload(kind, STATEMENTS[kind](d)))
    setattr(d, FIELDS[kind], index)
    return index


def leaves(d: Draw, proofs: bool = True) -> list[dict]:
    """The draw's logged leaves: statement, whether the log holds exactly it, inclusion proof."""
    logged = [(k, getattr(d, f)) for k, f in FIELDS.items() if getattr(d, f) is not None]
    if not logged:
        return []
    out = []
    log_, _signer = ledger.ensure_log()
    try:
        size = log_.size
        for kind, index in logged:
            statement = STATEMENTS[kind](d)
            data = payload(kind, statement)
            out.append(
                {
                    "kind": kind,
                    "index": index,
                    "statement": statement,
                    "statement_json": core.canonical_json(statement).decode(),
                    "payload": data.decode(),
                    # the row still says what was logged (a rewritten row would not)
                    "matches": index < size and log_.leaf_hash(index) == leaf_hash(data),
                }
            )
    finally:
        log_.close()
    if proofs:
        for leaf in out:
            leaf["inclusion"] = ledger.inclusion(leaf["index"])
    return out


# -- ledger hooks (register_leaf_source) ---------------------------------------------------


def logged_leaf_count() -> int:
    return (
        Draw.objects.filter(commitment_leaf__isnull=False).count()
        + Draw.objects.filter(reveal_leaf__isnull=False).count()
    )


def audit_draws() -> RecordAudit:
    """Recompute every logged draw statement and compare it with the log's leaf."""
    report = RecordAudit()
    rows = Draw.objects.filter(commitment_leaf__isnull=False).order_by("pk")
    for d in rows.iterator(500):
        for leaf in leaves(d, proofs=False):
            report.checked += 1
            if not leaf["matches"]:
                report.add(
                    "LEAF_MISMATCH",
                    d.pk,
                    f"{leaf['kind']} statement differs from logged leaf {leaf['index']}",
                    object=f"draw:{d.pk}",
                )
    return report
