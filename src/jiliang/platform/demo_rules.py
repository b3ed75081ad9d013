"""Verification rules of demo instruments, read from the catalogue — never copied into the demo.

The registry demo writes each instrument's verification history (dates, due dates) and the
supervision demo files the same instrument with catalogue parameters (water meter DN, gas meter
G size, sphygmomanometer type). Both ask this module, so the history follows the rule the filing
is scheduled by: a DN 40 water meter gets its 48-month service life and a G 25 gas meter its
36-month period from :meth:`jiliang.core.legal.catalogue.Catalogue.resolve`, not one number per
item.

Parameters are chosen from the instrument's key (its lifetime id) by hash rather than drawn from
the demo's random stream, so both builders agree without passing state and the registry demo's
stream (hence its rows) does not depend on which items have parameters.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jiliang.core.legal.catalogue import Catalogue, Mode, Use, default_catalogue

#: catalogue parameters of the demo's items and the values they are chosen from (named by the
#: catalogue's ``when`` conditions; water meter DN in mm, gas meter G size in m³/h)
PARAM_CHOICES: dict[str, tuple[str, tuple[Any, ...]]] = {
    "water_meter": ("dn_mm", (15, 20, 25, 40, 50, 80, 100)),
    "gas_meter": ("g_size", (1.6, 2.5, 4, 6, 10, 16, 25, 40)),
    "sphygmomanometer": ("type", ("automatic", "mercury", "aneroid")),
}


def filing_use(use: str) -> str:
    """The use an instrument of the demo is filed with (``other`` is filed as trade
    settlement, so every demo instrument of a catalogue item is under compulsory verification)."""
    return use if use != Use.OTHER else Use.TRADE_SETTLEMENT.value


def demo_params(item_code: str, key: str) -> dict[str, Any]:
    """Catalogue parameters of the demo instrument ``key`` (lifetime id) of ``item_code``.

    Deterministic: the value at ``SHA-256(item_code:key) mod n`` of the item's choices; items
    without conditions get ``{}``.
    """
    if item_code not in PARAM_CHOICES:
        return {}
    name, choices = PARAM_CHOICES[item_code]
    digest = hashlib.sha256(f"{item_code}:{key}".encode()).digest()
    return {name: choices[int.from_bytes(digest[:8], "big") % len(choices)]}


@dataclass(frozen=True)
class DemoRule:
    """What the catalogue says for one demo instrument.

    ``months``: the verification period (``periodic``) or the service life from the initial
    verification (fixed life), in months; ``None`` for initial verification with scrap on
    failure or no compulsory verification (no due date).
    """

    months: int | None
    periodic: bool
    variant: str | None


@functools.lru_cache(maxsize=256)
def _rule(catalogue: Catalogue, item_code: str, use: str, params: tuple) -> DemoRule:
    resolved = catalogue.resolve(item_code, filing_use(use), dict(params))
    v = resolved.variant
    if v is None:
        return DemoRule(None, False, None)
    if v.mode is Mode.PERIODIC:
        return DemoRule(v.period_months, True, v.id)
    return DemoRule(v.service_life_months, False, v.id)  # None for initial_scrap


def demo_rule(
    item_code: str,
    use: str,
    params: Mapping[str, Any],
    catalogue: Catalogue | None = None,
) -> DemoRule:
    """The catalogue's rule for a demo instrument (default: the catalogue the platform uses)."""
    cat = catalogue or default_catalogue()
    return _rule(cat, item_code, str(use), tuple(sorted(params.items())))
