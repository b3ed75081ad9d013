"""Catalogue of instruments under compulsory management (实施强制管理的计量器具目录).

Loaded from the ``catalogue`` rule table (SAMR announcement 2020 No. 42 by default). Each item
has a regime — type approval (型式批准), compulsory verification (强制检定) or both — and one or
more *variants* selected by the instrument's parameters (e.g. water meter nominal diameter DN in
mm), each with a verification mode:

* ``initial_scrap`` — initial verification only, scrap on failure (只做首次强制检定，失准报废);
* ``initial_fixed_life`` — initial verification only, fixed service life in months, replaced on
  expiry (限期使用，到期轮换);
* ``periodic`` — periodic verification (周期检定) with the period of its JJG, in months.

Verification is compulsory only for the uses listed on the item (Metrology Law art. 9: trade
settlement 贸易结算, safety protection 安全防护, medical care 医疗卫生, environmental monitoring
环境监测).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jiliang.core.legal.rules import RuleBook, RuleError, RuleTable


class Regime(enum.StrEnum):
    """How the state manages the item (监管方式)."""

    TYPE_APPROVAL = "type_approval"
    COMPULSORY_VERIFICATION = "compulsory_verification"
    BOTH = "type_approval_and_verification"

    @property
    def verification(self) -> bool:
        return self is not Regime.TYPE_APPROVAL


class Mode(enum.StrEnum):
    """Form of compulsory verification (强制检定方式)."""

    INITIAL_SCRAP = "initial_scrap"
    INITIAL_FIXED_LIFE = "initial_fixed_life"
    PERIODIC = "periodic"


class Use(enum.StrEnum):
    """Use of the instrument as filed (使用用途), Metrology Law art. 9."""

    TRADE_SETTLEMENT = "trade_settlement"
    SAFETY_PROTECTION = "safety_protection"
    MEDICAL_CARE = "medical_care"
    ENVIRONMENTAL_MONITORING = "environmental_monitoring"
    OTHER = "other"


_OPS = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "in": lambda a, b: a in b,
}


@dataclass(frozen=True)
class Variant:
    """One verification rule of an item, applicable when ``when`` holds on the parameters."""

    id: str
    mode: Mode
    period_months: int | None
    service_life_months: int | None
    jjg: str
    when: Mapping[str, Mapping[str, Any]]

    def matches(self, params: Mapping[str, Any], item_code: str) -> bool:
        """True when every condition holds; ValueError naming the missing parameter."""
        for name, conditions in self.when.items():
            if name not in params or params[name] is None:
                raise ValueError(
                    f"instrument parameter {name!r} is required to choose the rule for "
                    f"{item_code!r} (conditions: {dict(conditions)})"
                )
            for op, bound in conditions.items():
                if not _OPS[op](params[name], bound):
                    return False
        return True

    def describe(self) -> str:
        """Short English statement of the rule, for explanations."""
        if self.mode is Mode.PERIODIC:
            return f"periodic verification every {self.period_months} months ({self.jjg})"
        if self.mode is Mode.INITIAL_FIXED_LIFE:
            return (
                f"initial verification only, service life {self.service_life_months} months, "
                f"replace on expiry ({self.jjg})"
            )
        return f"initial verification only, scrap on failure ({self.jjg})"


@dataclass(frozen=True)
class CatalogueItem:
    """An item of the catalogue (目录条目)."""

    code: str
    name_zh: str
    name_en: str
    regime: Regime
    compulsory_uses: frozenset[Use]
    jjg: str
    variants: tuple[Variant, ...]
    confirmed: bool
    note: str = ""
    compulsory_from: dt.date | None = None
    overridden_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolvedRule:
    """The rule that applies to one filed instrument, with the reason."""

    item: CatalogueItem
    variant: Variant | None
    compulsory: bool
    reason: str
    edition: str

    def describe(self) -> str:
        text = f"{self.item.code} [{self.edition}]: "
        text += self.variant.describe() if self.variant else "no compulsory verification"
        if self.item.overridden_by:
            text += f"; overridden by {', '.join(self.item.overridden_by)}"
        return text


_VALID_OPS = frozenset(_OPS)


def _variant(raw: Mapping[str, Any], item: Mapping[str, Any]) -> Variant:
    where = f"catalogue item {item['code']!r} variant {raw.get('id')!r}"
    try:
        mode = Mode(raw["mode"])
    except (KeyError, ValueError) as exc:
        raise RuleError(f"{where}: field 'mode' must be one of {[m.value for m in Mode]}") from exc
    period = raw.get("period_months")
    life = raw.get("service_life_months")
    if mode is Mode.PERIODIC and not (isinstance(period, int) and period > 0):
        raise RuleError(f"{where}: periodic mode needs a positive integer 'period_months'")
    if mode is Mode.INITIAL_FIXED_LIFE and not (isinstance(life, int) and life > 0):
        raise RuleError(f"{where}: fixed-life mode needs a positive integer 'service_life_months'")
    when = raw.get("when") or {}
    for name, conds in when.items():
        bad = set(conds) - _VALID_OPS
        if bad:
            raise RuleError(
                f"{where}: condition on {name!r} uses unknown operator(s) {sorted(bad)}"
            )
    return Variant(
        id=str(raw.get("id", "default")),
        mode=mode,
        period_months=period,
        service_life_months=life,
        jjg=str(raw.get("jjg", item.get("jjg", ""))),
        when=when,
    )


def _item(raw: Mapping[str, Any]) -> CatalogueItem:
    where = f"catalogue item {raw.get('code')!r}"
    for f in ("code", "name_zh", "name_en", "regime", "compulsory_uses", "variants"):
        if f not in raw:
            raise RuleError(f"{where}: missing field {f!r}")
    try:
        regime = Regime(raw["regime"])
        uses = frozenset(Use(u) for u in raw["compulsory_uses"])
    except ValueError as exc:
        raise RuleError(f"{where}: {exc}") from exc
    cf = raw.get("compulsory_from")
    return CatalogueItem(
        code=str(raw["code"]),
        name_zh=str(raw["name_zh"]),
        name_en=str(raw["name_en"]),
        regime=regime,
        compulsory_uses=uses,
        jjg=str(raw.get("jjg", "")),
        variants=tuple(_variant(v, raw) for v in raw["variants"]),
        confirmed=bool(raw.get("confirmed", False)),
        note=str(raw.get("note", "")).strip(),
        compulsory_from=dt.date.fromisoformat(str(cf)) if cf else None,
        overridden_by=tuple(raw.get("overridden_by", ())),
    )


def _check_override_not_longer(base: CatalogueItem, merged: CatalogueItem) -> None:
    """A bureau may tighten national rules, never relax them (shorter periods/lives only)."""
    old = {v.id: v for v in base.variants}
    for v in merged.variants:
        b = old[v.id]
        for attr in ("period_months", "service_life_months"):
            new_val, base_val = getattr(v, attr), getattr(b, attr)
            if new_val is not None and base_val is not None and new_val > base_val:
                raise RuleError(
                    f"override {', '.join(merged.overridden_by)} lengthens {attr} of "
                    f"{merged.code}/{v.id} from {base_val} to {new_val}; only shorter is allowed"
                )
        if v.mode != b.mode:
            raise RuleError(f"override changes the mode of {merged.code}/{v.id}; not allowed")


class Catalogue:
    """The catalogue in force on a date, with overrides applied."""

    def __init__(self, table: RuleTable, base: RuleTable | None = None) -> None:
        self.table = table
        self.items: dict[str, CatalogueItem] = {}
        base_items = {e["code"]: _item(e) for e in base.entries} if base else {}
        for raw in table.entries:
            item = _item(raw)
            if item.overridden_by and item.code in base_items:
                _check_override_not_longer(base_items[item.code], item)
            self.items[item.code] = item
        self.due_soon_days = int(table.meta.get("due_soon_days", 30))

    @classmethod
    def from_rulebook(
        cls, book: RuleBook | None = None, as_of: dt.date | None = None, edition: str | None = None
    ) -> Catalogue:
        """Build from a :class:`RuleBook` (default: shipped tables) as of a date."""
        book = book or RuleBook.default()
        return cls(book.table("catalogue", as_of, edition), book.base("catalogue", as_of, edition))

    def __contains__(self, code: object) -> bool:
        return code in self.items

    def __len__(self) -> int:
        return len(self.items)

    def item(self, code: str) -> CatalogueItem:
        """Item by code; KeyError naming the code and the edition."""
        try:
            return self.items[code]
        except KeyError:
            raise KeyError(f"item_code {code!r} is not in catalogue {self.table.edition}") from None

    def is_compulsory(self, code: str, use: Use | str, on: dt.date | None = None) -> bool:
        """Is verification of an instrument of item ``code`` used for ``use`` compulsory?

        Decided by the item's regime and compulsory uses alone (no filing parameters needed);
        codes outside the catalogue and unknown uses are not compulsory.
        """
        item = self.items.get(code)
        if item is None or not item.regime.verification:
            return False
        try:
            use = Use(use)
        except ValueError:
            return False
        if item.compulsory_from and on and on < item.compulsory_from:
            return False
        return use in item.compulsory_uses

    def verification_codes(self) -> list[str]:
        """Codes of the items subject to compulsory verification (not type approval only)."""
        return sorted(c for c, it in self.items.items() if it.regime.verification)

    def resolve(
        self,
        code: str,
        use: Use | str,
        params: Mapping[str, Any] | None = None,
        on: dt.date | None = None,
    ) -> ResolvedRule:
        """The rule for an instrument of item ``code`` filed with ``use`` and ``params``."""
        item = self.item(code)
        try:
            use = Use(use)
        except ValueError:
            raise ValueError(f"use {use!r} must be one of {[u.value for u in Use]}") from None
        edition = self.table.label
        if not item.regime.verification:
            return ResolvedRule(item, None, False, "type approval only", edition)
        if use not in item.compulsory_uses:
            allowed = ", ".join(sorted(u.value for u in item.compulsory_uses))
            return ResolvedRule(
                item, None, False, f"use {use.value} is not compulsory (only {allowed})", edition
            )
        if item.compulsory_from and on and on < item.compulsory_from:
            return ResolvedRule(
                item, None, False, f"compulsory only from {item.compulsory_from}", edition
            )
        params = params or {}
        for v in item.variants:
            if v.matches(params, code):
                return ResolvedRule(item, v, True, f"compulsory for {use.value}", edition)
        raise ValueError(f"no rule of {code!r} matches parameters {dict(params)}")


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The shipped catalogue in force today (cached; bureau overrides load through RuleBook)."""
    return Catalogue.from_rulebook()
