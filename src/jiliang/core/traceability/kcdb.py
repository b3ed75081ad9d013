"""BIPM KCDB API v3 search results → :class:`.records.CMC` (国际互认校准测量能力导入).

Reads the JSON the KCDB API returns from its search endpoints (``/api/kcdb/cmc/searchData/…``:
an object with ``data`` — a list of CMC documents — plus paging fields), a bare list of
such documents, or the ``{"kcdbFetch": …, "pages": [search result, …]}`` file
:mod:`.kcdb_fetch` saves (documents numbered across pages). Per document we use
``kcdbCode`` (or ``id``), ``nmiCode``, ``quantityValue`` (physics) or ``analyteValue``
(chemistry), the range ``cmcBaseUnit`` (else ``cmc``) and the uncertainty
``cmcUncertaintyBaseUnit`` (else ``cmcUncertainty``), each ``{lowerLimit, upperLimit, unit}``,
and ``coverageFactor``.

The best (smallest) uncertainty over the range becomes ``U``. A relative uncertainty
(``uncertaintyMode`` "Relative" or a "%" unit) is turned absolute at the smallest non-zero
magnitude of the range, the most favourable point. All or nothing: the first malformed
document raises :class:`KCDBFormatError` naming it, and nothing is returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

from .records import CMC

#: KCDB base-unit symbols → D-SI
_DSI = {
    "m": r"\metre",
    "kg": r"\kilogram",
    "g": r"\gram",
    "s": r"\second",
    "A": r"\ampere",
    "K": r"\kelvin",
    "mol": r"\mole",
    "cd": r"\candela",
    "Hz": r"\hertz",
    "N": r"\newton",
    "Pa": r"\pascal",
    "J": r"\joule",
    "W": r"\watt",
    "V": r"\volt",
    "Ω": r"\ohm",
    "ohm": r"\ohm",
    "C": r"\coulomb",
    "F": r"\farad",
    "H": r"\henry",
    "S": r"\siemens",
    "m3": r"\metre\tothe{3}",
    "m^3": r"\metre\tothe{3}",
    "m³": r"\metre\tothe{3}",
    "m3/s": r"\metre\tothe{3}\per\second",
    "m/s": r"\metre\per\second",
    "L": r"\litre",
    "dB": r"\decibel",
    "°C": r"\degreecelsius",
}
#: KCDB quantity phrases → registry quantity names (first keyword found wins)
_QUANTITY_WORDS = (
    ("sound pressure", "sound_pressure_level"),
    ("pressure", "pressure"),
    ("mass", "mass"),
    ("force", "force"),
    ("temperature", "temperature"),
    ("voltage", "voltage"),
    ("current", "current"),
    ("resistance", "resistance"),
    ("frequency", "frequency"),
    ("time", "time"),
    ("volume", "volume"),
    ("flow", "flow"),
    ("energy", "electrical_energy"),
    ("speed", "speed"),
    ("velocity", "speed"),
    ("length", "length"),
    ("fraction", "concentration"),
    ("concentration", "concentration"),
)
_RELATIVE_UNITS = frozenset({"%", "1"})


class KCDBFormatError(ValueError):
    """The file is not a KCDB search result, or a document in it lacks what a CMC needs."""


def default_quantity(kcdb_quantity: str) -> str:
    """Registry quantity name for a KCDB quantity phrase (lower-cased phrase if unmapped)."""
    text = kcdb_quantity.lower()
    for word, name in _QUANTITY_WORDS:
        if word in text:
            return name
    return text.strip()


def parse_kcdb(
    source: str | bytes | Path | Mapping | list,
    quantity_map: Callable[[str], str] = default_quantity,
) -> list[CMC]:
    """Parse KCDB search results into CMC records; raises :class:`KCDBFormatError`."""
    if isinstance(source, Path):
        source = source.read_bytes()
    if isinstance(source, str | bytes):
        try:
            source = json.loads(source)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise KCDBFormatError(f"not JSON: {exc}") from exc
        except RecursionError:  # "[[[[…" nested past the decoder's stack: not a KCDB answer
            raise KCDBFormatError("not JSON: nested too deeply") from None
    if isinstance(source, Mapping):
        if "data" in source:
            source = source["data"]
        elif "pages" in source:
            source = _join_pages(source["pages"])
        else:
            raise KCDBFormatError("no 'data' list: not a KCDB search result")
    if not isinstance(source, list):
        raise KCDBFormatError("'data' is not a list")
    return [_cmc(n, doc, quantity_map) for n, doc in enumerate(source)]


def _join_pages(pages: object) -> list:
    """The documents of a fetched file's ``pages`` (each a search result), in page order."""
    if not isinstance(pages, list):
        raise KCDBFormatError("'pages' is not a list")
    docs: list = []
    for n, page in enumerate(pages):
        if not isinstance(page, Mapping) or not isinstance(page.get("data"), list):
            raise KCDBFormatError(f"page {n}: no 'data' list: not a KCDB search result")
        docs.extend(page["data"])
    return docs


def _cmc(n: int, doc: object, quantity_map: Callable[[str], str]) -> CMC:
    if not isinstance(doc, Mapping):
        raise KCDBFormatError(f"document {n}: not an object")
    ident = doc.get("kcdbCode") or doc.get("id")
    where = f"document {n} ({ident})"
    if not ident:
        raise KCDBFormatError(f"document {n}: no 'kcdbCode' or 'id'")
    provider = doc.get("nmiCode")
    if not provider:
        raise KCDBFormatError(f"{where}: no 'nmiCode'")
    phrase = doc.get("quantityValue") or doc.get("analyteValue")
    if not phrase:
        raise KCDBFormatError(f"{where}: no 'quantityValue' or 'analyteValue'")
    rng = _limits(doc, ("cmcBaseUnit", "cmc"), where)
    unc = _limits(doc, ("cmcUncertaintyBaseUnit", "cmcUncertainty"), where)
    low, high = rng[0], rng[1]
    if low > high:
        raise KCDBFormatError(f"{where}: range lower limit {low} > upper limit {high}")
    best = min(unc[0], unc[1])
    if best <= 0:
        raise KCDBFormatError(f"{where}: uncertainty must be positive, got {best}")
    relative = doc.get("uncertaintyMode") == "Relative" or unc[2] in _RELATIVE_UNITS
    if relative:
        scale = 0.01 if unc[2] == "%" else 1.0
        magnitudes = [abs(v) for v in (low, high) if v]
        if not magnitudes:
            raise KCDBFormatError(f"{where}: relative uncertainty over a zero range")
        best = best * scale * min(magnitudes)
    k = doc.get("coverageFactor") or 2.0
    if not isinstance(k, int | float) or k <= 0:
        raise KCDBFormatError(f"{where}: bad coverageFactor {k!r}")
    return CMC(
        id=str(ident),
        provider=str(provider),
        quantity=quantity_map(str(phrase)),
        unit=_DSI.get(rng[2], rng[2]),
        low=low,
        high=high,
        U=float(best),
        k=float(k),
    )


def _limits(doc: Mapping, fields: tuple[str, ...], where: str) -> tuple[float, float, str]:
    """``(lower, upper, unit)`` from the first present field; one missing limit copies the other."""
    block = next((doc[f] for f in fields if isinstance(doc.get(f), Mapping)), None)
    if block is None:
        raise KCDBFormatError(f"{where}: none of {', '.join(fields)}")
    lo, hi = block.get("lowerLimit"), block.get("upperLimit")
    lo = hi if lo is None else lo
    hi = lo if hi is None else hi
    try:
        lo_f, hi_f = float(lo), float(hi)
    except (TypeError, ValueError) as exc:
        raise KCDBFormatError(
            f"{where}: {fields[0]} limits {lo!r}, {hi!r} are not numbers"
        ) from exc
    if lo_f != lo_f or hi_f != hi_f:
        raise KCDBFormatError(f"{where}: {fields[0]} limits are NaN")
    return lo_f, hi_f, str(block.get("unit") or "")
