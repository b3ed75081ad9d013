"""Draw commitments and reveals logged in the transparency log, checked on the public page."""

from __future__ import annotations

import base64
import hashlib
import json

from jiliang.core.ledger import Ed25519Verifier, leaf_hash, open_checkpoint, verify_inclusion
from jiliang.platform.ledger import service as ledger
from jiliang.platform.supervision import draw_log
from jiliang.platform.supervision.models import Draw


def _expected_payload(kind: str, statement: dict) -> bytes:
    """The documented leaf format, rebuilt here independently of draw_log."""
    cj = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(cj.encode()).hexdigest()
    return f"jiliang/{kind}/v1\n{statement['draw']}\n{digest}\n".encode()


def _check_leaf(leaf: dict, payload: bytes) -> None:
    """The leaf's proof verifies against its signed checkpoint, for this very payload."""
    inc = leaf["inclusion"]
    assert leaf["matches"] and inc["verified"] and inc["index"] == leaf["index"]
    head = open_checkpoint(
        inc["checkpoint"].encode(), Ed25519Verifier.from_vkey(ledger.verifier_key())
    ).checkpoint
    hashes = [base64.b64decode(h) for h in inc["proof"]["hashes"]]  # proof file: base64
    assert base64.b64decode(inc["proof"]["leaf_hash"]) == leaf_hash(payload)
    verify_inclusion(leaf_hash(payload), leaf["index"], head.size, hashes, head.root)


def test_commit_and_reveal_are_logged_with_proofs(client, pools, sv):
    world = pools
    r = sv.commit_draw(client, world)
    assert r.status_code == 201
    pk, commitment = r.json()["id"], r.json()["commitment"]
    record = client.get(f"/api/supervision/draws/{pk}").json()  # anonymous
    (leaf,) = record["ledger"]
    statement = {
        "draw": pk,
        "algorithm": "jiliang-draw-v2",
        "commitment": commitment,
        "pools_sha256": record["pools_sha256"],
    }
    assert leaf["kind"] == "draw-commitment" and leaf["statement"] == statement
    _check_leaf(leaf, _expected_payload("draw-commitment", statement))
    assert Draw.objects.get(pk=pk).commitment_leaf == leaf["index"]
    sv.api(client, world, "regulator", "post", f"draws/{pk}/run")
    sv.api(client, world, "regulator", "post", f"draws/{pk}/reveal")
    d = Draw.objects.get(pk=pk)
    assert d.reveal_leaf is not None and d.reveal_leaf > d.commitment_leaf
    published = json.loads(client.get(f"/s/draws/{pk}.json").content)
    reveal = next(x for x in published["ledger"] if x["kind"] == "draw-reveal")
    assert reveal["statement"]["seed_hex"] == published["seed_hex"]
    assert reveal["statement"]["commitment"] == commitment
    _check_leaf(reveal, _expected_payload("draw-reveal", reveal["statement"]))
    page = client.get(f"/s/draws/{pk}/").content.decode()
    for kind, index in (("draw-commitment", d.commitment_leaf), ("draw-reveal", d.reveal_leaf)):
        cell = page.split(f'id="leaf-{kind}">')[1].split("</td>")[0]
        assert cell.startswith("✔") and f"叶 {index} " in cell
    summary = sv.api(client, world, "regulator", "get", "draws").json()[0]
    assert (summary["commitment_leaf"], summary["reveal_leaf"]) == (
        d.commitment_leaf,
        d.reveal_leaf,
    )


def test_rewritten_row_no_longer_matches_its_leaf(client, pools, sv):
    pk = sv.commit_draw(client, pools).json()["id"]
    assert draw_log.audit_draws().ok
    Draw.objects.filter(pk=pk).update(pools_sha256="0" * 64)  # behind the platform's back
    page = client.get(f"/s/draws/{pk}/").content.decode()
    assert page.split('id="leaf-draw-commitment">')[1].startswith("✘")
    report = draw_log.audit_draws()
    assert [p["kind"] for p in report.problems] == ["LEAF_MISMATCH"]


def test_draw_leaves_are_counted_by_the_log_sync(client, pools, sv):
    """Registered as a leaf source: after a sync every leaf of the log is referenced by a row,
    so the sync does not mistake the draw leaves for crash orphans."""
    pk = sv.commit_draw(client, pools).json()["id"]
    sv.api(client, pools, "regulator", "post", f"draws/{pk}/run")
    sv.api(client, pools, "regulator", "post", f"draws/{pk}/reveal")
    result = ledger.sync()
    assert result.size == ledger._referenced_leaves()
    assert draw_log.logged_leaf_count() == 2
