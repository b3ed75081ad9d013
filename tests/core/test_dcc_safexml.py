"""Hardened parsing: XXE, billion laughs, oversized and too-deep documents are refused."""

from __future__ import annotations

import pytest

from jiliang.core.dcc.errors import MalformedXmlError, UnsafeXmlError
from jiliang.core.dcc.safexml import parse_xml
from jiliang.core.dcc.validate import validate

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<r>&x;</r>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>"""


def test_plain_xml_parses() -> None:
    tree = parse_xml(b"<a><b>1</b></a>")
    assert tree.getroot().findtext("b") == "1"


def test_xxe_rejected() -> None:
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        parse_xml(XXE)


def test_billion_laughs_rejected() -> None:
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        parse_xml(BILLION_LAUGHS)


def test_doctype_in_utf16_rejected_after_parse() -> None:
    # The byte pre-scan cannot see an UTF-16 DOCTYPE; the docinfo check after parsing must.
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r><r/>'.encode("utf-16")
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        parse_xml(data)


def test_oversized_rejected_bytes_and_file(tmp_path) -> None:
    data = b"<a>" + b"x" * 2000 + b"</a>"
    with pytest.raises(UnsafeXmlError, match="exceeds the limit of 1000 bytes"):
        parse_xml(data, max_bytes=1000)
    path = tmp_path / "big.xml"
    path.write_bytes(data)
    with pytest.raises(UnsafeXmlError, match=r"big\.xml"):
        parse_xml(path, max_bytes=1000)


def test_too_deep_rejected_and_limit_is_exact() -> None:
    ok = "<a>" * 10 + "</a>" * 10
    assert parse_xml(ok, max_depth=10).getroot().tag == "a"
    deep = "<a>" * 11 + "</a>" * 11
    with pytest.raises(UnsafeXmlError, match="deeper than 10"):
        parse_xml(deep, max_depth=10)


def test_default_depth_limit() -> None:
    with pytest.raises(UnsafeXmlError):
        parse_xml("<a>" * 500 + "</a>" * 500)


def test_malformed() -> None:
    with pytest.raises(MalformedXmlError, match="not well-formed"):
        parse_xml(b"<a><b></a>")


def test_validate_reports_unsafe_input_instead_of_raising() -> None:
    report = validate(XXE)
    assert not report.valid
    assert [p.kind for p in report.problems] == ["xml"]
    assert "DOCTYPE" in report.problems[0].message
