"""Schema cache and validation against PTB's XSDs and examples (../shared/dcc, never copied)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from jiliang.core.dcc.errors import SchemaUnavailable
from jiliang.core.dcc.schemas import get_schema
from jiliang.core.dcc.validate import validate

SHARED = Path(
    os.environ.get("JILIANG_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared")
)
DCC = SHARED / "dcc"
XSD = DCC / "xsd"
EXAMPLES = DCC / "examples"
SIMPLIFIED = EXAMPLES / "dcc_gp_temperature_simplified_v12_dcc3.1.1.xml"
SIGNED = EXAMPLES / "dcc_gp_temperature_typical_v12_dcc3.2.0_signed_xades.xml"
SPHERE = EXAMPLES / "siliziumkugel_dcc_v3.0.0.xml"

pytestmark = pytest.mark.skipif(
    not (XSD / "dcc_v3.1.2.xsd").is_file(),
    reason=f"PTB DCC reference files not found at {DCC} (set JILIANG_SHARED_DIR)",
)


def as_312(path: Path) -> etree._ElementTree:
    tree = etree.parse(str(path))
    tree.getroot().set("schemaVersion", "3.1.2")
    return tree


def test_si_import_resolved_offline_and_cached() -> None:
    schema = get_schema("3.1.2", [XSD])
    assert get_schema("3.1.2", [XSD]) is schema
    # The D-SI types are really loaded: an si:real without si:unit fails the XSD.
    tree = as_312(SIMPLIFIED)
    unit = tree.getroot().find(".//{https://ptb.de/si}real/{https://ptb.de/si}unit")
    unit.getparent().remove(unit)
    assert not schema.validate(tree)
    assert "unit" in str(schema.error_log.last_error)


def test_ptb_311_example_valid_against_312() -> None:
    report = validate(etree.tostring(as_312(SIMPLIFIED)), schema_dirs=[XSD])
    assert report.problems == []
    assert report.schema_checked and report.valid


def test_ptb_311_example_as_is_lacks_its_schema() -> None:
    report = validate(SIMPLIFIED, schema_dirs=[XSD])
    assert not report.valid and not report.schema_checked
    assert [(p.kind, p.xpath) for p in report.problems] == [
        ("schema-unavailable", "/*/@schemaVersion")
    ]


@pytest.mark.parametrize(("path", "version"), [(SIGNED, "3.2.0"), (SPHERE, "3.0.0")])
def test_versions_without_local_schema_reported_precisely(path: Path, version: str) -> None:
    report = validate(path, schema_dirs=[XSD])
    assert not report.valid
    assert report.schema_version == version
    (problem,) = [p for p in report.problems if p.kind == "schema-unavailable"]
    assert f"'{version}'" in problem.message
    assert str(XSD / f"dcc_v{version}.xsd") in problem.message
    # Unit and semantic checks still ran and found nothing wrong in PTB's files.
    assert [p for p in report.problems if p.kind != "schema-unavailable"] == []


def test_schema_unavailable_names_version_and_places(tmp_path) -> None:
    with pytest.raises(SchemaUnavailable) as info:
        get_schema("9.9.9", [tmp_path, XSD])
    assert info.value.version == "9.9.9"
    assert info.value.places == [str(tmp_path / "dcc_v9.9.9.xsd"), str(XSD / "dcc_v9.9.9.xsd")]


def test_missing_si_import_is_reported(tmp_path) -> None:
    (tmp_path / "dcc_v3.1.2.xsd").write_bytes((XSD / "dcc_v3.1.2.xsd").read_bytes())
    with pytest.raises(SchemaUnavailable, match=r"https://ptb.de/si/v2.1.0/SI_Format.xsd"):
        get_schema("3.1.2", [tmp_path])


def test_env_schema_dir_is_default(monkeypatch) -> None:
    monkeypatch.setenv("JILIANG_DCC_SCHEMA_DIR", str(XSD))
    assert validate(etree.tostring(as_312(SIMPLIFIED))).valid


def _problems(tree: etree._ElementTree) -> list[tuple[str, str]]:
    report = validate(etree.tostring(tree), schema_dirs=[XSD])
    return [(p.kind, p.xpath) for p in report.problems]


def test_bad_unit_reported_with_xpath() -> None:
    tree = as_312(SIMPLIFIED)
    el = tree.getroot().find(".//{https://ptb.de/si}unitXMLList")
    el.text = r"\kelvinn"
    assert _problems(tree) == [("unit", tree.getpath(el))]


def test_semantic_problems_reported_with_xpaths() -> None:
    tree = as_312(SIMPLIFIED)
    root = tree.getroot()
    si = "{https://ptb.de/si}"
    end = root.find(".//{https://ptb.de/dcc}endPerformanceDate")
    end.text = "1957-08-12"  # before begin (1957-08-13)
    unc = root.find(f".//{si}uncertaintyXMLList")
    unc.text = "0"
    k = root.find(f".//{si}coverageFactorXMLList")
    k.text = "0.5"
    problems = _problems(tree)
    assert ("semantic", tree.getpath(end)) in problems
    assert ("semantic", tree.getpath(unc)) in problems
    assert ("semantic", tree.getpath(k)) in problems
    # k < 1 is also an XSD facet violation (kValueType), reported by the schema.
    assert ("schema", tree.getpath(k)) in problems


def test_schema_error_has_xpath_and_line() -> None:
    tree = as_312(SIMPLIFIED)
    core = tree.getroot().find(".//{https://ptb.de/dcc}coreData")
    core.remove(core.find("{https://ptb.de/dcc}uniqueIdentifier"))
    report = validate(etree.tostring(tree), schema_dirs=[XSD])
    (problem,) = report.problems
    assert problem.kind == "schema"
    assert problem.xpath.endswith("dcc:coreData/dcc:identifications")
    assert "uniqueIdentifier" in problem.message
    assert problem.line and problem.line > 1


def test_wrong_root() -> None:
    report = validate(b"<foo/>", schema_dirs=[XSD])
    assert not report.valid and report.problems[0].message.startswith("root element is foo")
