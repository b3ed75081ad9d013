"""REST API of traceability (量值溯源), mounted at ``/api/traceability``.

* ``GET chain/{kind}/{key}`` — an instrument's or standard's chain (key: id or natural key);
* ``GET verdicts`` — verdicts of the readable instruments, filtered and paged;
* ``GET coverage?by=`` — coverage summary (category, level, region, quantity, owner_kind);
* ``GET gaps`` — 量值传递空白 in the user's regions;
* ``GET whatif?standard=`` — instruments that lose traceability if standards are withdrawn.

Every figure comes from :mod:`jiliang.core.traceability`; scoping is the registry's.
"""

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import MAX_LIMIT

from . import services as sv
from .loader import get_engine, locked

router = Router(tags=["traceability"])

BY_CHOICES = ("category", "level", "region", "quantity", "owner_kind")
REGION_LEVELS = ("county", "city", "province")


def _asof(value: date | None) -> date:
    return value or timezone.localdate()


def _field_error(field: str, msg: str) -> FieldErrors:
    return FieldErrors.one(field, msg)


@router.get("/chain/{kind}/{key}")
def chain(request: HttpRequest, kind: str, key: str, asof: date | None = None):
    """The chain of one instrument or standard: verdict, links (graph), U at each level.

    Not wrapped in :func:`locked`: :func:`services.chain_dict` holds the lock only while it
    reads the engine, so the permission lookup and label queries of concurrent chain requests
    do not wait behind a what-if.
    """
    if kind not in sv.KINDS:
        raise _field_error("kind", "instrument | standard")
    pk, natural = sv.find_item(request.user, kind, key)
    label = natural if kind == "instrument" else ""
    return sv.chain_dict(get_engine(_asof(asof)), kind, pk, label)


class VerdictFilters(Schema):
    region: str = ""
    category: str = ""
    verdict: str = ""
    reason: str = ""
    asof: date | None = None
    limit: int = 50
    offset: int = 0


@router.get("/verdicts")
@locked
def verdicts(request: HttpRequest, filters: Query[VerdictFilters]):
    """Verdicts of the instruments the caller may read (paged, newest data)."""
    f = filters
    if not 1 <= f.limit <= MAX_LIMIT:
        raise _field_error("limit", f"1..{MAX_LIMIT}")
    if f.offset < 0:
        raise _field_error("offset", ">= 0")
    if f.verdict and f.verdict not in sv.VERDICT_NAMES:
        raise _field_error("verdict", " | ".join(sv.VERDICT_NAMES))
    if f.reason and f.reason not in sv.REASON_NAMES:
        raise _field_error("reason", "unknown reason code")
    if f.region and not f.region.isdigit():
        raise _field_error("region", "GB/T 2260 code prefix (digits)")
    engine = get_engine(_asof(f.asof))
    mask = sv.instrument_mask(engine, request.user, f.region)
    pos = sv.select(engine, mask, f.category, f.verdict, f.reason)
    page = pos[f.offset : f.offset + f.limit]
    return {
        "asof": engine.asof.isoformat(),
        "count": len(pos),
        "limit": f.limit,
        "offset": f.offset,
        "results": sv.verdict_rows(engine, page.tolist()),
    }


@router.get("/coverage")
@locked
def coverage(
    request: HttpRequest,
    by: str = "category",
    region: str = "",
    region_level: str = "county",
    asof: date | None = None,
):
    """Traceable share of the caller's instruments, grouped ``by``."""
    if by not in BY_CHOICES:
        raise _field_error("by", " | ".join(BY_CHOICES))
    if region_level not in REGION_LEVELS:
        raise _field_error("region_level", " | ".join(REGION_LEVELS))
    engine = get_engine(_asof(asof))
    mask = sv.instrument_mask(engine, request.user, region)
    out = sv.scoped_coverage(engine, mask, by, region_level)
    out["asof"] = engine.asof.isoformat()
    out["total"] = int(mask.sum())
    return out


@router.get("/gaps")
@locked
def gaps(request: HttpRequest, region: str = "", flat: bool = False, asof: date | None = None):
    """Quantity/range combinations no reachable standard or CMC serves (量值传递空白)."""
    engine = get_engine(_asof(asof))
    return {
        "asof": engine.asof.isoformat(),
        "gaps": sv.scoped_gaps(engine, request.user, region, flat),
    }


@router.get("/whatif")
@locked
def whatif(request: HttpRequest, standard: str, region: str = "", asof: date | None = None):
    """Instruments (of the caller's) that lose traceability if ``standard`` is withdrawn.

    ``standard``: comma-separated ids or codes of measurement standards (public records).
    """
    keys = [k.strip() for k in standard.split(",") if k.strip()]
    if not keys:
        raise _field_error("standard", "one or more standard ids or codes")
    ids = []
    for k in keys:
        try:
            ids.append(sv.find_item(request.user, "standard", k)[0])
        except Exception:  # Http404 → a field error naming the bad key
            raise _field_error("standard", f"unknown standard {k!r}") from None
    engine = get_engine(_asof(asof))
    mask = sv.instrument_mask(engine, request.user, region)
    out = sv.scoped_what_if(engine, request.user, ids, mask)
    out["asof"] = engine.asof.isoformat()
    return out
