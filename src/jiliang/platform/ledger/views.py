"""The public log page: current checkpoint, verifier key and a proof checker."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jiliang.core.ledger import (
    Ed25519Verifier,
    LeafNotFoundError,
    LedgerError,
    leaf_hash,
    open_checkpoint,
    verify_inclusion,
)

from . import service


def check_leaf(log, note: bytes, vkey: str, index: int | None, leaf_hex: str) -> dict:
    """Prove leaf ``index`` (or the leaf with hash ``leaf_hex``) against the signed checkpoint."""
    signed = open_checkpoint(note, Ed25519Verifier.from_vkey(vkey))
    head = signed.checkpoint
    if index is None:
        index = log.index_of(bytes.fromhex(leaf_hex))
    proof = log.inclusion_proof_file(index, head.size)
    verify_inclusion(proof.leaf_hash, index, head.size, list(proof.hashes), head.root)
    return {
        "index": index,
        "size": head.size,
        "leaf_hash": proof.leaf_hash.hex(),
        "hashes": [h.hex() for h in proof.hashes],
        "payload": log.entry(index).decode(),
    }


def log_page(request: HttpRequest) -> HttpResponse:
    log, _signer = service.ensure_log()
    try:
        note = log.latest_checkpoint()
        vkey = service.verifier_key()
        context = {"note": note.decode() if note else "", "vkey": vkey, "size": log.size}
        index_text = request.GET.get("index", "").strip()
        leaf_hex = request.GET.get("leaf_hash", "").strip().lower()
        if (index_text or leaf_hex) and note:
            try:
                index = int(index_text) if index_text else None
                if leaf_hex:
                    bytes.fromhex(leaf_hex)
                context["check"] = check_leaf(log, note, vkey, index, leaf_hex)
            except ValueError:
                context["check_error"] = _("序号须为整数，叶哈希须为十六进制")
            except LeafNotFoundError:
                context["check_error"] = _("日志中没有该叶")
            except LedgerError as exc:
                context["check_error"] = str(exc)
        context["query"] = {"index": index_text, "leaf_hash": leaf_hex}
    finally:
        log.close()
    return render(request, "ledger/log.html", context)


def payload_hash(payload: bytes) -> str:
    return leaf_hash(payload).hex()
