"""Build → validate → parse round trip, record loading, and import of PTB's examples."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import DccStructureError, RecordError
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.parse import parse_dcc
from jiliang.core.dcc.records import Quantity, record_from_mapping
from jiliang.core.dcc.validate import validate

SHARED = Path(
    os.environ.get("JILIANG_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared")
)
XSD = SHARED / "dcc" / "xsd"
EXAMPLES = SHARED / "dcc" / "examples"
needs_shared = pytest.mark.skipif(
    not (XSD / "dcc_v3.1.2.xsd").is_file(),
    reason=f"PTB DCC reference files not found at {SHARED / 'dcc'} (set JILIANG_SHARED_DIR)",
)
NS = {"dcc": "https://ptb.de/dcc", "si": "https://ptb.de/si"}


@needs_shared
def test_built_dcc_validates() -> None:
    report = validate(build_dcc(example_record()), schema_dirs=[XSD])
    assert report.problems == []
    assert report.valid and report.schema_version == "3.1.2"


def test_core_data_as_required() -> None:
    root = etree.fromstring(build_dcc(example_record("JL-1")))
    core = root.find("dcc:administrativeData/dcc:coreData", NS)
    assert core.findtext("dcc:countryCodeISO3166_1", namespaces=NS) == "CN"
    assert [e.text for e in core.findall("dcc:usedLangCodeISO639_1", NS)] == ["zh", "en"]
    assert core.findtext("dcc:mandatoryLangCodeISO639_1", namespaces=NS) == "zh"
    assert core.findtext("dcc:uniqueIdentifier", namespaces=NS) == "JL-1"
    statements = root.findall("dcc:administrativeData/dcc:statements/dcc:statement", NS)
    assert [s.get("refType") for s in statements] == [
        "basic_traceability",
        "basic_decisionRule",
        "basic_conformity",
    ]
    assert statements[0].findtext("dcc:traceable", namespaces=NS) == "true"
    kinds = {etree.QName(e).localname for e in root.iterfind(".//dcc:result//dcc:quantity/*", NS)}
    assert {"real", "list", "hybrid", "realListXMLList"} <= kinds


def test_round_trip_values_units_uncertainties() -> None:
    record = example_record()
    parsed = parse_dcc(build_dcc(record))
    assert parsed.certificate_id == record.certificate_id
    assert (parsed.begin_date, parsed.end_date) == (dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    assert parsed.laboratory.name["zh"] == "某省计量测试研究院"
    assert parsed.items[0].identifications[0].value == "SN-2025-0042"
    ref, err, res, heat = parsed.quantities()
    assert ref.kind == "hybrid" and ref.values == [273.16, 323.15, 373.15]
    assert ref.alternatives[0].unit == r"\degreecelsius"
    assert ref.alternatives[0].values == [0.01, 50.0, 100.0]
    assert err.values == [0.012, -0.018, 0.025] and err.unit == r"\kelvin"
    assert err.uncertainty.expanded == [0.02, 0.02, 0.03]
    assert err.uncertainty.coverage_factor == [2.0]
    assert err.uncertainty.coverage_probability == [0.95]
    assert err.conformity == ["pass", "pass", "pass"]
    assert res.kind == "list" and res.values == [100.0, 119.4]
    assert res.uncertainty.expanded == [0.002, 0.002]
    assert heat.kind == "real" and heat.unit == r"\milli\kelvin\milli\watt\tothe{-1}"
    assert parsed.measurements[0].conditions[0].quantities[0].values == [23.1]
    assert parsed.measurements[0].equipment[0]["en"] == "Standard platinum resistance thermometer"


def test_record_from_mapping_and_field_errors() -> None:
    data = {
        "certificate_id": "JL-9",
        "begin_date": "2026-01-05",
        "end_date": "2026-01-06",
        "items": [
            {
                "name": {"zh": "砝码", "en": "Weight"},
                "manufacturer": "X",
                "identifications": [{"issuer": "manufacturer", "value": "42"}],
            }
        ],
        "laboratory": {"name": "Lab", "email": "a@b", "city": "Beijing"},
        "resp_persons": [{"name": "王五", "main_signer": True}],
        "customer": {"name": "Customer", "country_code": "CN"},
        "traceability": {"zh": "溯源至国家基准", "en": "Traceable to the national standard"},
        "results": [
            {
                "name": "Mass",
                "quantities": [
                    {
                        "name": "m",
                        "values": 1.0000123,
                        "unit": "\\kilogram",
                        "expanded_uncertainty": 1e-7,
                    }
                ],
            }
        ],
    }
    record = record_from_mapping(data)
    assert record.begin_date == dt.date(2026, 1, 5)
    assert record.results[0].quantities[0].expanded_uncertainty == 1e-7
    parsed = parse_dcc(build_dcc(record))
    assert parsed.quantities()[0].values == [1.0000123]
    with pytest.raises(RecordError, match=r"record.begin_date: '2026-13-01' is not an ISO date"):
        record_from_mapping({**data, "begin_date": "2026-13-01"})
    with pytest.raises(RecordError, match=r"record: unknown field\(s\) colour"):
        record_from_mapping({**data, "colour": "red"})
    bad = {
        **data,
        "results": [{"name": "M", "quantities": [{"name": "m", "values": "x", "unit": "u"}]}],
    }
    with pytest.raises(RecordError, match=r"record.results\[0\].quantities\[0\].values"):
        record_from_mapping(bad)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "kg"}, r"results\[0\]\.quantities\[0\]\.unit: 'kg' is not a D-SI unit"),
        ({"expanded_uncertainty": -1.0}, r"expanded_uncertainty: must be > 0"),
        ({"coverage_factor": 0.5}, r"coverage_factor: must be >= 1"),
        ({"form": "real"}, r"form: 'real' needs exactly one value"),
    ],
)
def test_build_rejects_bad_quantities(change: dict, message: str) -> None:
    record = example_record()
    first = record.results[0].quantities[1]
    record.results[0].quantities[0] = dataclasses.replace(first, **change)
    with pytest.raises(RecordError, match=message):
        build_dcc(record)


def test_build_rejects_reversed_dates() -> None:
    record = dataclasses.replace(example_record(), end_date=dt.date(2026, 1, 1))
    with pytest.raises(RecordError, match="end_date 2026-01-01 is before begin_date"):
        build_dcc(record)


def test_list_uncertainty_count_must_match() -> None:
    record = example_record()
    record.results[0].quantities = [
        Quantity("q", [1.0, 2.0, 3.0], r"\metre", expanded_uncertainty=[0.1, 0.2])
    ]
    with pytest.raises(RecordError, match="2 values for 3 values"):
        build_dcc(record)


@needs_shared
def test_import_ptb_examples() -> None:
    simplified = parse_dcc(EXAMPLES / "dcc_gp_temperature_simplified_v12_dcc3.1.1.xml")
    assert simplified.certificate_id == "GP_DCC_temperature_minimal_1.2"
    assert simplified.begin_date == dt.date(1957, 8, 13)
    ref, _measured, error = simplified.quantities()
    assert ref.values == [306.248, 373.121, 448.253, 523.319, 593.154]
    assert ref.alternatives[0].values[0] == 33.098
    assert error.uncertainty.expanded == [0.061] and error.uncertainty.coverage_factor == [2.0]
    assert error.conformity == ["pass"]

    signed = parse_dcc(EXAMPLES / "dcc_gp_temperature_typical_v12_dcc3.2.0_signed_xades.xml")
    assert signed.signed and signed.schema_version == "3.2.0"
    assert signed.certificate_id == "GP_DCC_temperature_typical_1.2"

    sphere = parse_dcc(EXAMPLES / "siliziumkugel_dcc_v3.0.0.xml")
    assert sphere.schema_version == "3.0.0"
    masses = [q for q in sphere.quantities() if q.unit == r"\kilogram"]
    assert masses[0].values == [1.00007841]
    assert masses[0].uncertainty.expanded == [5e-08]
    assert masses[0].label == "1 kg + 78,41 mg"


def test_import_requires_unique_identifier() -> None:
    xml = (
        b'<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc" schemaVersion="3.1.2">'
        b"<dcc:administrativeData><dcc:coreData/></dcc:administrativeData>"
        b"</dcc:digitalCalibrationCertificate>"
    )
    with pytest.raises(DccStructureError, match="dcc:uniqueIdentifier missing"):
        parse_dcc(xml)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=6
    ),
    u=st.floats(min_value=1e-300, max_value=1e300),
    k=st.floats(min_value=1.0, max_value=10.0),
)
def test_round_trip_exact_for_any_float(values: list[float], u: float, k: float) -> None:
    record = example_record()
    record.results[0].quantities = [
        Quantity("q", values, r"\metre", expanded_uncertainty=u, coverage_factor=k)
    ]
    (q,) = parse_dcc(build_dcc(record)).quantities()
    assert q.values == values
    assert q.uncertainty.expanded == [u] and q.uncertainty.coverage_factor == [k]
