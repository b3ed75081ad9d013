"""Reason codes (溯源失效原因) and the engine's configuration.

Each code has an English and a Chinese sentence. A code either *breaks* the chain
(NOT_TRACEABLE) or leaves it *unknown* (missing data: UNKNOWN). The enum order is the priority
used when one link has several problems: the first code listed is reported first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Verdict(StrEnum):
    """Verdict on an item's chain at the evaluation date."""

    TRACEABLE = "TRACEABLE"
    NOT_TRACEABLE = "NOT_TRACEABLE"
    UNKNOWN = "UNKNOWN"


class Reason(IntEnum):
    """Why a link fails; the integer value is its priority and its bit in the engine's masks."""

    MISSING_DATE = 0
    DANGLING_REFERENCE = 1
    CYCLE = 2
    DEPTH_EXCEEDED = 3
    NO_CALIBRATION = 4
    CERT_WITHDRAWN = 5
    CERT_EXPIRED = 6
    STANDARD_INACTIVE = 7
    UNIT_MISMATCH = 8
    NOT_AUTHORISED = 9
    STANDARD_NOT_IN_CALIBRATION = 10
    UNCERTAINTY_SHRINKS = 11
    CAPABILITY_RATIO = 12

    @property
    def breaks(self) -> bool:
        """True if the code makes the chain NOT_TRACEABLE (else the verdict is UNKNOWN)."""
        return self not in _UNKNOWN_CODES

    @property
    def bit(self) -> int:
        return 1 << int(self)

    def sentence(self, lang: str = "en") -> str:
        """A human sentence for the code (``lang`` "en" or "zh")."""
        en, zh = _SENTENCES[self]
        return zh if lang.startswith("zh") else en


_UNKNOWN_CODES = frozenset({Reason.MISSING_DATE, Reason.DANGLING_REFERENCE, Reason.DEPTH_EXCEEDED})
#: bit mask of the codes that break a chain
BREAK_MASK = sum(r.bit for r in Reason if r.breaks)
#: bit mask of the codes that leave it unknown
UNKNOWN_MASK = sum(r.bit for r in Reason if not r.breaks)

_SENTENCES: dict[Reason, tuple[str, str]] = {
    Reason.MISSING_DATE: (
        "A date needed to judge the link is missing.",
        "缺少判定所需的日期。",
    ),
    Reason.DANGLING_REFERENCE: (
        "The calibration cites a standard, reference material or organisation that is not "
        "in the registry, or cites none.",
        "检定/校准记录引用的计量标准、标准物质或机构不存在或未引用。",
    ),
    Reason.CYCLE: (
        "The chain loops back on itself.",
        "溯源链出现循环。",
    ),
    Reason.DEPTH_EXCEEDED: (
        "The chain is longer than the configured maximum depth.",
        "溯源链超过设定的最大层级。",
    ),
    Reason.NO_CALIBRATION: (
        "No calibration on or before the evaluation date.",
        "评价日期前没有检定/校准记录。",
    ),
    Reason.CERT_WITHDRAWN: (
        "The certificate was withdrawn.",
        "证书已撤回。",
    ),
    Reason.CERT_EXPIRED: (
        "The certificate had expired on the evaluation date.",
        "证书在评价日期已过有效期。",
    ),
    Reason.STANDARD_INACTIVE: (
        "The standard is suspended or retired.",
        "计量标准已暂停或撤销。",
    ),
    Reason.UNIT_MISMATCH: (
        "The standard and the item measure different quantities or units of another dimension.",
        "计量标准与被测对象的量或单位量纲不一致。",
    ),
    Reason.NOT_AUTHORISED: (
        "The calibrating organisation's scope or CMC does not cover the quantity and point on "
        "that date, or it claims a smaller uncertainty than its CMC.",
        "校准机构的授权/认可范围或校准测量能力不覆盖该量和测量点，或声称的不确定度优于其能力。",
    ),
    Reason.STANDARD_NOT_IN_CALIBRATION: (
        "The reference standard's own calibration had expired on the date it was used.",
        "使用时参考标准自身的检定/校准已过期。",
    ),
    Reason.UNCERTAINTY_SHRINKS: (
        "The uncertainty of the lower link is smaller than that of the standard above it.",
        "下级的不确定度小于上级计量标准的不确定度。",
    ),
    Reason.CAPABILITY_RATIO: (
        "The calibration uncertainty is too large for the instrument's maximum permissible "
        "error (U ≤ MPE/3, JJF 1094, or the configured TUR).",
        "校准不确定度相对最大允许误差过大（JJF 1094：U ≤ MPE/3，或设定的 TUR）。",
    ),
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One reason attached to one link (``node`` is ``"kind:id"`` of the calibrated item)."""

    reason: Reason
    node: str
    event_id: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "reason": self.reason.name,
            "node": self.node,
            "event_id": self.event_id,
            "detail": self.detail,
            "message": self.reason.sentence("en"),
            "message_zh": self.reason.sentence("zh"),
        }


@dataclass(frozen=True, slots=True)
class Config:
    """Engine settings.

    ``min_capability_ratio`` is MPE/U required of a link to an instrument: 3 per JJF 1094
    (U ≤ MPE/3); set 4 for a TUR ≥ 4 policy, 0 to switch the check off. ``max_depth`` bounds a
    chain so bad data cannot recurse forever. ``flat`` lets national/primary standards and NMI
    CMCs anywhere serve a region in the gap finder (扁平化).
    """

    min_capability_ratio: float = 3.0
    max_depth: int = 32
    flat: bool = False


def first_reason(mask: int) -> Reason | None:
    """The highest-priority reason set in a bit mask, or ``None``."""
    if not mask:
        return None
    return Reason((mask & -mask).bit_length() - 1)
