"""Public transparency-log API: checkpoint, verifier key, proofs, tiles and entry lookups.

Everything here is public (anonymous GET): the point of a transparency log is that anyone can
hold the operator to it. Signing a checkpoint on demand needs an administrator.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from ninja.errors import HttpError

from jiliang.core.ledger import LeafNotFoundError, LedgerError, leaf_hash
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.models import AuditEntry

from . import service

router = Router(tags=["ledger"])

#: leaf indices and tree sizes: non-negative and within the store's 64-bit counters
MAX_INDEX = 2**63 - 1
_Index = Annotated[int, Query(ge=0, le=MAX_INDEX)]
#: C2SP tlog tiles: levels 0..63 (tile height 8 covers any 64-bit tree), width 1..256
_TileLevel = Annotated[int, Path(ge=0, le=63)]
_PathIndex = Annotated[int, Path(ge=0, le=MAX_INDEX)]
_TileWidth = Annotated[int, Query(ge=1, le=256)]


def _log():
    log, _signer = service.ensure_log()
    return log


def _text(body: bytes | str, content_type: str = "text/plain; charset=utf-8") -> HttpResponse:
    return HttpResponse(body, content_type=content_type)


@router.get("/checkpoint", summary="Latest signed checkpoint (C2SP signed note)")
def checkpoint(request: HttpRequest):
    log = _log()
    try:
        note = log.latest_checkpoint()
    finally:
        log.close()
    if note is None:
        raise HttpError(404, "no checkpoint has been signed yet")
    return _text(note)


@router.post("/checkpoint", summary="Sign a checkpoint of the current tree now (admin)")
def sign_checkpoint(request: HttpRequest):
    user = request.auth if getattr(request.auth, "is_authenticated", False) else request.user
    if role_of(user) is not Role.ADMIN:
        raise HttpError(403, "only an administrator may sign checkpoints on demand")
    service.sync(sign=False)
    return _text(service.sign_checkpoint())


@router.get("/vkey", summary="The log's verifier key (C2SP note vkey)")
def vkey(request: HttpRequest):
    return _text(service.verifier_key() + "\n")


@router.get("/proof/inclusion", summary="Inclusion proof by leaf index or leaf hash (hex)")
def inclusion(
    request: HttpRequest,
    index: _Index | None = None,
    leaf_hash_hex: str | None = None,
    size: _Index | None = None,
):
    log = _log()
    try:
        if index is None:
            if not leaf_hash_hex:
                raise HttpError(422, "give index or leaf_hash_hex")
            try:
                wanted = bytes.fromhex(leaf_hash_hex)
            except ValueError:
                raise HttpError(422, "leaf_hash_hex: not a hexadecimal string") from None
            try:
                index = log.index_of(wanted)
            except LeafNotFoundError as exc:
                raise HttpError(404, str(exc)) from None
        try:
            proof = log.inclusion_proof_file(index, size)
        except LedgerError as exc:
            raise HttpError(422, str(exc)) from None
    finally:
        log.close()
    return proof.to_dict()


@router.get("/proof/consistency", summary="Consistency proof between two tree sizes")
def consistency(request: HttpRequest, old: _Index, new: _Index | None = None):
    log = _log()
    try:
        try:
            return log.consistency_proof_file(old, new).to_dict()
        except LedgerError as exc:
            raise HttpError(422, str(exc)) from None
    finally:
        log.close()


@router.get("/tile/{level}/{index}", summary="C2SP tlog tile (full); append ?width=W for partial")
def tile(
    request: HttpRequest, level: _TileLevel, index: _PathIndex, width: _TileWidth | None = None
):
    log = _log()
    try:
        try:
            data = log.tile(level, index, width)
        except LedgerError as exc:
            raise HttpError(404, str(exc)) from None
    finally:
        log.close()
    return _text(data, "application/octet-stream")


@router.get("/entry/{index}", summary="The logged payload of one leaf (kind, id, digest)")
def entry(request: HttpRequest, index: _PathIndex):
    log = _log()
    try:
        try:
            data = log.entry(index)
        except LedgerError as exc:
            raise HttpError(404, str(exc)) from None
    finally:
        log.close()
    return _text(data, "application/octet-stream")


@router.get("/audit-entry/{entry_id}", summary="Leaf of an audit entry with its inclusion proof")
def audit_entry(request: HttpRequest, entry_id: int):
    """Public: the entry's logged payload (kind, id, content digest — no content) and its proof."""
    entry_row = AuditEntry.objects.filter(pk=entry_id).first()
    if entry_row is None or entry_row.ledger_index is None:
        raise HttpError(404, "audit entry not logged (yet)")
    log = _log()
    try:
        proof = log.inclusion_proof_file(entry_row.ledger_index)
    finally:
        log.close()
    return {
        "entry": entry_id,
        "payload": service.audit_payload(entry_row).decode(),
        "leaf_hash_hex": leaf_hash(service.audit_payload(entry_row)).hex(),
        "proof": proof.to_dict(),
    }
