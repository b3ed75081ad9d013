"""Tampering that once fooled verification: a comment inside a signed value, content hidden in a
second or nested ``ds:Signature`` (signature wrapping), a malformed signature.

References: W3C XML-DSig 1.1 §4.4.3.2 (``URI=""`` selects the document without comments, so a
comment is invisible to the signature) and §6.6.4 (enveloped-signature transform removes only
the signature that holds it); W3C Exclusive XML Canonicalization 1.0 (comments omitted);
McIntosh & Austel, "XML signature element wrapping attacks and countermeasures" (SWS 2005).
"""

from __future__ import annotations

import re

import pytest
from lxml import etree
from typer.testing import CliRunner

from jiliang.cli.dcc import app
from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import UnsafeXmlError
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.hashing import canonical_bytes, canonical_hash
from jiliang.core.dcc.parse import parse_dcc
from jiliang.core.dcc.sign import make_test_pki, sign_dcc, verify_dcc
from jiliang.core.dcc.validate import validate

DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(scope="module")
def pki():
    return make_test_pki("ec")


@pytest.fixture(scope="module")
def signed(pki) -> bytes:
    return sign_dcc(build_dcc(example_record()), pki.lab_key, pki.lab_cert)


def first_result_value(xml: bytes) -> bytes:
    """The text of the first si:value inside a measurement result (a reported value)."""
    results = xml.index(b"<dcc:results>")
    return re.search(rb"<si:value>([^<]+)</si:value>", xml[results:]).group(1)


def split_value(xml: bytes, marker: bytes) -> tuple[bytes, bytes]:
    """Insert ``marker`` after the first character of the first result value (once)."""
    value = first_result_value(xml)
    start = xml.index(b"<si:value>" + value, xml.index(b"<dcc:results>"))
    old = b"<si:value>" + value + b"</si:value>"
    new = b"<si:value>" + value[:1] + marker + value[1:] + b"</si:value>"
    return value, xml[:start] + xml[start:].replace(old, new, 1)


def test_comment_splitting_a_signed_value_is_refused_everywhere(pki, signed) -> None:
    value, tampered = split_value(signed, b"<!---->")
    assert len(value) > 1 and tampered != signed
    # Before the fix: signature valid, hash identical, parse_dcc read only the first digit.
    report = verify_dcc(tampered, pki.ca_cert)
    assert not report.valid and not report.integrity_ok
    assert any("comment inside the text of" in p for p in report.integrity_problems)
    assert any("si:value" in p for p in report.integrity_problems)
    with pytest.raises(UnsafeXmlError, match="comment inside the text"):
        parse_dcc(tampered)
    with pytest.raises(UnsafeXmlError, match="comment inside the text"):
        canonical_hash(tampered)
    assert [p.kind for p in validate(tampered).problems] == ["xml"]


def test_comment_splitting_a_value_in_a_parsed_tree_is_refused(signed) -> None:
    _value, tampered = split_value(signed, b"<!-- x -->")
    tree = etree.ElementTree(etree.fromstring(tampered))  # a caller's own parse, not parse_xml
    with pytest.raises(UnsafeXmlError, match="comment inside the text"):
        parse_dcc(tree)
    with pytest.raises(UnsafeXmlError, match="comment inside the text"):
        canonical_bytes(tree)
    assert not validate(tree).valid


def test_jiliang_dcc_import_refuses_a_comment_split_value(tmp_path, signed) -> None:
    _value, tampered = split_value(signed, b"<!---->")
    path = tmp_path / "t.xml"
    path.write_bytes(tampered)
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "comment inside the text" in result.output


def test_processing_instruction_inside_a_value_is_refused(pki, signed) -> None:
    _value, tampered = split_value(signed, b"<?x y?>")
    report = verify_dcc(tampered, pki.ca_cert)
    assert not report.valid
    assert any("processing instruction" in p for p in report.integrity_problems)
    with pytest.raises(UnsafeXmlError, match="processing instruction"):
        parse_dcc(tampered)


def test_comment_between_elements_stays_harmless(pki, signed) -> None:
    # PTB's examples carry licence comments between elements; they change neither reading,
    # hash nor signature, so they remain accepted.
    commented = signed.replace(
        b"<dcc:administrativeData>", b"<!-- licence --><dcc:administrativeData>", 1
    )
    assert commented != signed
    report = verify_dcc(commented, pki.ca_cert)
    assert report.valid, report.summary()
    assert canonical_hash(commented) == canonical_hash(signed) == report.signed_hash
    assert parse_dcc(commented).quantities()[0].values == parse_dcc(signed).quantities()[0].values


def test_signed_hash_is_the_canonical_hash_of_what_is_read(pki, signed) -> None:
    report = verify_dcc(signed, pki.ca_cert)
    assert report.valid and report.signed_hash == canonical_hash(signed)
    assert report.signer_attributes == {"O": ["jiliang test"], "CN": ["jiliang test lab"]}


NESTED = (
    b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
    b"<dcc:hidden>999.9</dcc:hidden></ds:Signature>"
)


def test_content_hidden_in_a_nested_signature_is_refused(pki, signed) -> None:
    tampered = signed.replace(b"</dcc:results>", NESTED + b"</dcc:results>", 1)
    assert tampered != signed
    # Before the fix: same canonical hash (all signatures stripped), and signxml's own schema
    # check raised lxml's DocumentInvalid out of verify_dcc (a 500 on the public API).
    report = verify_dcc(tampered, pki.ca_cert)
    assert report.signed and not report.integrity_ok and not report.valid
    assert any("signature wrapping refused" in p for p in report.integrity_problems)
    with pytest.raises(UnsafeXmlError, match="signature wrapping"):
        canonical_hash(tampered)
    with pytest.raises(UnsafeXmlError, match="signature wrapping"):
        parse_dcc(tampered)
    assert any("signature wrapping" in p.message for p in validate(tampered).problems)


def test_second_enveloped_signature_is_refused(pki, signed) -> None:
    root = etree.fromstring(signed)
    root.append(etree.fromstring(etree.tostring(root.find(f"{{{DS}}}Signature"))))
    report = verify_dcc(etree.tostring(root), pki.ca_cert)
    assert not report.valid
    assert report.integrity_problems[0].startswith("2 ds:Signature elements")


def test_signature_moved_into_the_content_is_refused(pki, signed) -> None:
    root = etree.fromstring(signed)
    sig = root.find(f"{{{DS}}}Signature")
    root.remove(sig)
    root.find("{https://ptb.de/dcc}administrativeData").append(sig)
    report = verify_dcc(etree.tostring(root), pki.ca_cert)
    assert not report.valid
    assert any("is not a child of the root element" in p for p in report.integrity_problems)


def test_malformed_signature_is_a_report_not_an_exception(pki, signed) -> None:
    root = etree.fromstring(signed)
    sig = root.find(f"{{{DS}}}Signature")
    signed_info = sig.find(f"{{{DS}}}SignedInfo")
    signed_info.insert(0, etree.Element("{https://ptb.de/dcc}junk"))
    report = verify_dcc(etree.tostring(root), pki.ca_cert)
    assert report.signed and not report.valid and report.integrity_problems


def test_unparseable_file_is_a_report_not_an_exception(pki) -> None:
    report = verify_dcc(b"<dcc:x", pki.ca_cert)
    assert not report.valid and report.integrity_problems[0].startswith("document refused:")
