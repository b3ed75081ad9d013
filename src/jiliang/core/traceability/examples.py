"""A small hand-built pressure chain (示例溯源链) for docs, demos and tests.

NIM (NMI, CMC) holds primary standard P0; the provincial institute PROV holds public standard
S1, calibrated by NIM against P0; enterprise ENT's gauge I1 (0–1 MPa, MPE 100 Pa) is
calibrated by PROV against S1. At ASOF everything is valid: I1 → S1 → P0, U 20 → 5 → 0.5 Pa.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from .records import (
    CMC,
    CalibrationEvent,
    Instrument,
    Organisation,
    Records,
    ReferenceMaterial,
    Scope,
    Standard,
)

PA = r"\pascal"
ASOF = date(2025, 9, 1)

NIM = Organisation("NIM", "nmi", "110000")
PROV = Organisation(
    "PROV",
    "statutory",
    "500000",
    (Scope("pressure", PA, 0.0, 1e7, 5.0, date(2020, 1, 1), date(2030, 1, 1)),),
)
LAB = Organisation(
    "LAB",
    "calibration_lab",
    "500100",
    (Scope("pressure", PA, 0.0, 1e5, 20.0, date(2020, 1, 1), date(2030, 1, 1)),),
)
ENT = Organisation("ENT", "enterprise", "500105")
NIM_CMC = CMC("CMC-P", "NIM", "pressure", PA, 0.0, 1e8, 1.0)
P0 = Standard("P0", "primary", "pressure", PA, 0.0, 1e8, 0.5, "NIM")
S1 = Standard("S1", "public", "pressure", r"\kilo\pascal", 0.0, 1e7, 5.0, "PROV")
I1 = Instrument("I1", "pressure_gauge", "pressure", PA, 0.0, 1e6, 100.0, "ENT", "500105")
E_S1 = CalibrationEvent(
    "E-S1", "standard", "S1", ("P0",), "NIM", date(2025, 1, 10), date(2026, 1, 10), U=5.0
)
E_I1 = CalibrationEvent(
    "E-I1", "instrument", "I1", ("S1",), "PROV", date(2025, 6, 1), date(2026, 6, 1), U=20.0
)
GBW = ReferenceMaterial("RM1", "GBW08601", "concentration", r"\one", 0.01, 1e-4, date(2027, 1, 1))


def world(**changes) -> Records:
    """The healthy world, with record tuples replaced by keyword (e.g. ``events=(...)``)."""
    base = Records(
        organisations=(NIM, PROV, LAB, ENT),
        cmcs=(NIM_CMC,),
        standards=(P0, S1),
        instruments=(I1,),
        reference_materials=(GBW,),
        events=(E_S1, E_I1),
    )
    return replace(base, **changes)
