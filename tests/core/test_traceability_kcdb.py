"""BIPM KCDB API v3 search results → CMC records; malformed input raises, nothing returned.

The documents follow the field names of the KCDB API v3 search responses (``data`` list of
CMC documents with ``kcdbCode``, ``nmiCode``, ``quantityValue``, ``cmcBaseUnit`` and
``cmcUncertaintyBaseUnit`` blocks of ``lowerLimit``/``upperLimit``/``unit``,
``coverageFactor``); the values are invented for the test.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from jiliang.core.traceability import (
    CalibrationEvent,
    Instrument,
    KCDBFormatError,
    Organisation,
    Records,
    TraceabilityEngine,
    Verdict,
    parse_kcdb,
)


def doc(**over):
    base = {
        "id": 101,
        "kcdbCode": "APMP-M-CN-00000001-1",
        "nmiCode": "NIM",
        "quantityValue": "Pressure, gauge",
        "cmcBaseUnit": {"lowerLimit": 1e3, "upperLimit": 7e6, "unit": "Pa"},
        "cmcUncertaintyBaseUnit": {"lowerLimit": 0.8, "upperLimit": 35.0, "unit": "Pa"},
        "coverageFactor": 2,
        "uncertaintyMode": "Absolute",
    }
    base.update(over)
    return base


def result(*docs):
    return json.dumps(
        {"versionApiKcdb": "1.0.9", "pageNumber": 0, "pageSize": 100, "data": list(docs)}
    )


def test_parse_search_result():
    relative = doc(
        kcdbCode="APMP-EM-CN-00000002-1",
        quantityValue="DC voltage",
        cmcBaseUnit={"lowerLimit": 1.0, "upperLimit": 1000.0, "unit": "V"},
        cmcUncertaintyBaseUnit={"lowerLimit": 2.0, "upperLimit": 5.0, "unit": "%"},
        uncertaintyMode="Relative",
        coverageFactor=None,
    )
    cmcs = parse_kcdb(result(doc(), relative))
    p, v = cmcs
    assert (p.id, p.provider, p.quantity, p.unit) == (
        "APMP-M-CN-00000001-1",
        "NIM",
        "pressure",
        r"\pascal",
    )
    assert (p.low, p.high, p.U, p.k) == (1e3, 7e6, 0.8, 2.0)
    # 2 % at the smallest magnitude of the range (1 V) → 0.02 V
    assert (v.quantity, v.unit, v.U, v.k) == ("voltage", r"\volt", pytest.approx(0.02), 2.0)


def test_bare_list_bytes_and_path(tmp_path):
    path = tmp_path / "kcdb.json"
    path.write_text(result(doc()), encoding="utf-8")
    assert parse_kcdb(path)[0].U == 0.8
    assert parse_kcdb(result(doc()).encode())[0].provider == "NIM"
    assert parse_kcdb([doc()])[0].high == 7e6


def test_fetched_pages_file():
    """The file an online fetch saves: raw pages, documents taken in page order."""
    second = doc(kcdbCode="APMP-M-CN-00000002-1")
    fetched = {
        "kcdbFetch": {"url": "https://www.bipm.org/api/kcdb/cmc/searchData/physics"},
        "pages": [json.loads(result(doc())), json.loads(result(second))],
    }
    cmcs = parse_kcdb(json.dumps(fetched))
    assert [c.id for c in cmcs] == ["APMP-M-CN-00000001-1", "APMP-M-CN-00000002-1"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"items": []}), "no 'data'"),
        (json.dumps({"data": {}}), "not a list"),
        (json.dumps({"pages": {}}), "'pages' is not a list"),
        (json.dumps({"pages": [json.loads(result(doc())), {"x": 1}]}), "page 1: no 'data'"),
        (json.dumps({"pages": [json.loads(result(doc())), json.loads(result(3))]}), "document 1"),
        (result(doc(), 3), "document 1: not an object"),
        (result(doc(nmiCode=None)), "no 'nmiCode'"),
        (result(doc(kcdbCode=None, id=None)), "no 'kcdbCode'"),
        (result(doc(quantityValue="")), "quantityValue"),
        (result(doc(cmcBaseUnit=None, cmc=None)), "cmcBaseUnit"),
        (
            result(doc(cmcBaseUnit={"lowerLimit": "x", "upperLimit": 2, "unit": "Pa"})),
            "not numbers",
        ),
        (result(doc(cmcBaseUnit={"lowerLimit": 9, "upperLimit": 2, "unit": "Pa"})), "lower limit"),
        (
            result(doc(cmcUncertaintyBaseUnit={"lowerLimit": 0, "upperLimit": 0, "unit": "Pa"})),
            "positive",
        ),
        (result(doc(coverageFactor=-1)), "coverageFactor"),
    ],
)
def test_malformed_input_raises_clear_error(bad, message):
    with pytest.raises(KCDBFormatError, match=message):
        parse_kcdb(bad)


def test_imported_cmc_terminates_a_chain():
    cmc = parse_kcdb(result(doc()))[0]
    inst = Instrument("G", "pressure_gauge", "pressure", r"\pascal", 1e4, 1e6, 100.0, "E", "500105")
    ev = CalibrationEvent(
        "C", "instrument", "G", (), "NIM", date(2025, 3, 1), date(2026, 3, 1), U=10.0
    )
    recs = Records(
        organisations=(
            Organisation("NIM", "nmi", "110000"),
            Organisation("E", "enterprise", "500105"),
        ),
        cmcs=(cmc,),
        instruments=(inst,),
        events=(ev,),
    )
    res = TraceabilityEngine(recs, date(2025, 9, 1)).result("G")
    assert (res.verdict, res.length) == (Verdict.TRACEABLE, 1)
