"""``jiliang dcc`` end to end with typer's CliRunner: exit codes 0 valid, 1 invalid, 2 usage."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jiliang.cli.dcc import app
from jiliang.core.dcc.sign import make_test_pki

SHARED = Path(
    os.environ.get("JILIANG_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared")
)
XSD = SHARED / "dcc" / "xsd"
pytestmark = pytest.mark.skipif(
    not (XSD / "dcc_v3.1.2.xsd").is_file(),
    reason=f"PTB DCC reference files not found at {SHARED / 'dcc'} (set JILIANG_SHARED_DIR)",
)
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    pki = make_test_pki("ec")
    for name, data in (
        ("ca.pem", pki.ca_cert),
        ("lab.pem", pki.lab_cert),
        ("key.pem", pki.lab_key),
    ):
        (d / name).write_bytes(data)
    assert run("example-record", "-o", d / "record.json").exit_code == 0
    record = json.loads((d / "record.json").read_text(encoding="utf-8"))
    (d / "record.yaml").write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    return {p.name: p for p in d.iterdir()} | {"dir": d}


def test_build_validate_sign_verify_hash(files) -> None:
    d = files["dir"]
    built = run("build", files["record.yaml"], "-o", d / "dcc.xml")
    assert built.exit_code == 0, built.output
    valid = run("validate", d / "dcc.xml", "--schema-dir", XSD, "--json")
    assert valid.exit_code == 0, valid.output
    assert json.loads(valid.output)["valid"] is True
    signed = run("sign", d / "dcc.xml", "--key", files["key.pem"], "--cert", files["lab.pem"],
                 "-o", d / "signed.xml")  # fmt: skip
    assert signed.exit_code == 0, signed.output
    # A signed 3.1.2 DCC still validates (the signature is judged by verify, not the XSD).
    assert run("validate", d / "signed.xml", "--schema-dir", XSD).exit_code == 0
    verified = run("verify", d / "signed.xml", "--trust", files["ca.pem"], "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["integrity_ok"] is True
    h1, h2 = run("hash", d / "dcc.xml"), run("hash", d / "signed.xml")
    assert h1.exit_code == 0 and len(h1.output.strip()) == 64
    assert h1.output == h2.output  # identity unchanged by signing
    assert built.output.strip().endswith(h1.output.strip())


def test_verify_failures_exit_1(files) -> None:
    d = files["dir"]
    run("build", files["record.json"], "-o", d / "a.xml")
    run(
        "sign",
        d / "a.xml",
        "--key",
        files["key.pem"],
        "--cert",
        files["lab.pem"],
        "-o",
        d / "s.xml",
    )
    untrusted = run("verify", d / "s.xml")
    assert untrusted.exit_code == 1 and "no trust anchors configured" in untrusted.output
    tampered = d / "t.xml"
    tampered.write_bytes((d / "s.xml").read_bytes().replace(b"0.012", b"0.011"))
    result = run("verify", tampered, "--trust", files["ca.pem"])
    assert result.exit_code == 1 and "Digest mismatch" in result.output


def test_validate_invalid_exit_1_with_xpath(files) -> None:
    d = files["dir"]
    bad = d / "bad.xml"
    run("build", files["record.json"], "-o", bad)
    bad.write_bytes(bad.read_bytes().replace(b"\\ohm", b"\\ohmm"))
    result = run("validate", bad, "--schema-dir", XSD, "--json")
    assert result.exit_code == 1
    problems = json.loads(result.output)["problems"]
    # The resistance is an si:list of two si:real, each with its own (now bad) unit.
    assert [p["kind"] for p in problems] == ["unit", "unit"]
    assert problems[0]["xpath"].endswith("si:realList/si:real[1]/si:unit")
    assert problems[1]["xpath"].endswith("si:realList/si:real[2]/si:unit")


def test_usage_errors_exit_2(files, tmp_path) -> None:
    assert run("validate", tmp_path / "missing.xml").exit_code == 2
    assert (
        run("verify", files["dir"] / "record.json", "--trust", tmp_path / "nope.pem").exit_code == 2
    )
    assert run("sign", files["record.json"]).exit_code == 2  # missing --key/--cert/-o
    (tmp_path / "r.json").write_text("{not json", encoding="utf-8")
    assert run("build", tmp_path / "r.json", "-o", tmp_path / "o.xml").exit_code == 2


def test_build_bad_record_exit_1(tmp_path) -> None:
    (tmp_path / "r.json").write_text('{"certificate_id": "X"}', encoding="utf-8")
    result = run("build", tmp_path / "r.json", "-o", tmp_path / "o.xml")
    assert result.exit_code == 1
    assert not (tmp_path / "o.xml").exists()


def test_import_json(files) -> None:
    d = files["dir"]
    run("build", files["record.json"], "-o", d / "i.xml")
    result = run("import", d / "i.xml", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["certificate_id"] == "JL-2026-000123"
    assert data["begin_date"] == "2026-03-02"
    errors = data["measurements"][0]["results"][0]["quantities"][1]
    assert errors["values"] == [0.012, -0.018, 0.025]
    assert errors["uncertainty"]["expanded"] == [0.02, 0.02, 0.03]


# PTB pins schemaVersion by pattern in each DCC XSD (dcc_v3.1.2.xsd, attribute schemaVersion),
# so a document can only be judged by the XSD of its own version: when that one is missing the
# verdict is "cannot validate" (exit 3), never INVALID.


def test_missing_schema_of_the_documents_version_is_cannot_validate_exit_3(files) -> None:
    d = files["dir"]
    run("build", files["record.json"], "-o", d / "v330.xml")
    doc = d / "v330.xml"
    doc.write_bytes(doc.read_bytes().replace(b'schemaVersion="3.1.2"', b'schemaVersion="3.3.0"'))
    result = run("validate", doc, "--schema-dir", XSD)
    assert result.exit_code == 3, result.output
    assert "CANNOT VALIDATE: schema for DCC 3.3.0 not installed" in result.output
    assert "INVALID" not in result.output
    data = json.loads(run("validate", doc, "--schema-dir", XSD, "--json").output)
    assert (data["verdict"], data["valid"]) == ("cannot-validate", False)
    # A real fault found by the checks that did run still makes it INVALID (exit 1).
    doc.write_bytes(doc.read_bytes().replace(b"\\ohm", b"\\ohmm"))
    result = run("validate", doc, "--schema-dir", XSD)
    assert result.exit_code == 1 and result.output.startswith("INVALID")


def test_malformed_schema_version_is_invalid_not_cannot_validate(files) -> None:
    d = files["dir"]
    doc = d / "badversion.xml"
    run("build", files["record.json"], "-o", doc)
    doc.write_bytes(doc.read_bytes().replace(b'schemaVersion="3.1.2"', b'schemaVersion="3.x"'))
    result = run("validate", doc, "--schema-dir", XSD, "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["problems"][0]["kind"] == "schema"


def test_validate_help_documents_exit_code_3() -> None:
    result = run("validate", "--help")
    assert result.exit_code == 0 and "3 cannot validate" in " ".join(result.output.split())


def test_schemas_list_names_missing_versions_in_use() -> None:
    result = run("schemas", "list", "--schema-dir", XSD)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"3.1.2  {XSD}")
    assert "not installed: 3.2.0, 3.2.1, 3.3.0" in result.output


def test_schemas_fetch_follows_ptb_imports_without_network(tmp_path, monkeypatch) -> None:
    """``schemas fetch`` follows every ptb.de schemaLocation (D-SI 2.2.0 imports a QUDT XSD, see
    SI_Format_v2.2.0.xsd) and the offline resolver then finds each file. The network is
    replaced by a fake serving minimal XSDs."""
    from jiliang.core.dcc import schemas

    xs = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'
    served = {
        "https://ptb.de/dcc/v3.3.0/dcc.xsd": (
            f'<xs:schema {xs} targetNamespace="https://ptb.de/dcc"><xs:import '
            'namespace="https://ptb.de/si" schemaLocation="https://ptb.de/si/v2.2.0/SI_Format.xsd"/>'
            '<xs:element name="digitalCalibrationCertificate"/></xs:schema>'
        ),
        "https://ptb.de/si/v2.2.0/SI_Format.xsd": (
            f'<xs:schema {xs} targetNamespace="https://ptb.de/si"><xs:import '
            'namespace="http://qudt.org/vocab/" '
            'schemaLocation="https://www.ptb.de/si/v2.2.0/qudt/quantitykind.xsd"/></xs:schema>'
        ),
        "https://www.ptb.de/si/v2.2.0/qudt/quantitykind.xsd": (
            f'<xs:schema {xs} targetNamespace="http://qudt.org/vocab/"/>'
        ),
    }
    asked: list[str] = []

    def fake_get(url: str, timeout: float, version: str) -> bytes:
        asked.append(url)
        return served[url].encode()

    monkeypatch.setattr(schemas, "_http_get", fake_get)
    result = run("schemas", "fetch", "3.3.0", "--dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert asked == list(served)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "SI_Format_v2.2.0.xsd",
        "dcc_v3.3.0.xsd",
        "ptb.de_si_v2.2.0_qudt_quantitykind.xsd",
    ]
    assert schemas.get_schema("3.3.0", [tmp_path]) is not None  # compiles offline
    # A failed download installs nothing and exits 1.
    result = run("schemas", "fetch", "9.9.9", "--dir", tmp_path / "none")
    assert result.exit_code == 1 and not (tmp_path / "none").exists()
