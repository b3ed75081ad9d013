"""The main walk end to end: record → build → validate → sign → validate → verify → render → parse.

Checks the hand-offs between modules that the per-module tests do not: a *signed* 3.1.2 DCC still
passes the 3.1.2 XSD (which has no slot for ds:Signature), the XML attached to the PDF is the
signed file and still verifies, and the canonical hash is the same at every stage.
Reference files: PTB's DCC 3.1.2 / D-SI 2.1.0 XSDs in ../shared/dcc/xsd (never copied).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import RenderError
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.hashing import canonical_hash
from jiliang.core.dcc.parse import parse_dcc
from jiliang.core.dcc.sign import make_test_pki, sign_dcc, verify_dcc
from jiliang.core.dcc.validate import validate

SHARED = Path(
    os.environ.get("JILIANG_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared")
)
XSD = SHARED / "dcc" / "xsd"

pytestmark = pytest.mark.skipif(
    not (XSD / "dcc_v3.1.2.xsd").is_file(),
    reason=f"PTB DCC schemas not found at {XSD} (set JILIANG_SHARED_DIR)",
)


def test_signed_dcc_validates_verifies_renders_and_parses() -> None:
    record = example_record("JL-RT-0001")
    xml = build_dcc(record)
    assert validate(xml, schema_dirs=[XSD]).valid
    pki = make_test_pki("ec")
    signed = sign_dcc(xml, pki.lab_key, pki.lab_cert)

    report = validate(signed, schema_dirs=[XSD])
    assert report.problems == [] and report.valid
    assert verify_dcc(signed, pki.ca_cert).valid
    assert canonical_hash(signed) == canonical_hash(xml)

    parsed = parse_dcc(signed)
    assert parsed.signed and parsed.certificate_id == "JL-RT-0001"
    error = next(q for q in parsed.quantities() if q.name.get("en") == "Error of indication")
    # Values and U from example_record() survive build → sign → parse exactly (repr round trip).
    assert error.values == [0.012, -0.018, 0.025]
    assert error.uncertainty.expanded == [0.02, 0.02, 0.03]

    try:
        from jiliang.core.dcc.render import attached_xml, register_cjk_font, render_pdf

        register_cjk_font()
    except (ImportError, RenderError) as exc:  # no pypdf / CJK font: PDF tested elsewhere
        pytest.skip(f"PDF rendering unavailable: {exc}")
    pdf = render_pdf(signed, url_base="https://verify.example.cn")
    assert attached_xml(pdf) == signed
    assert verify_dcc(attached_xml(pdf), pki.ca_cert).valid


def test_signature_on_a_312_dcc_is_not_an_xsd_blind_spot() -> None:
    """Stripping ds:Signature for the 3.1.2 XSD must not hide invalid content before it."""
    pki = make_test_pki("ec")
    signed = sign_dcc(build_dcc(example_record()), pki.lab_key, pki.lab_cert)
    broken = signed.replace(b"<dcc:countryCodeISO3166_1>CN<", b"<dcc:countryCodeISO3166_1>cn<")
    assert broken != signed
    report = validate(broken, schema_dirs=[XSD])
    assert not report.valid
    assert [p.xpath for p in report.problems if p.kind == "schema"] == [
        "/dcc:digitalCalibrationCertificate/dcc:administrativeData/dcc:coreData/"
        "dcc:countryCodeISO3166_1"
    ]
    assert not verify_dcc(broken, pki.ca_cert).valid
