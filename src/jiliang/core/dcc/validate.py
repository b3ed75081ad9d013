"""DCC validation: XSD of the document's own ``schemaVersion`` + D-SI unit syntax + semantics.

Every problem carries the XPath of the element at fault (lxml's ``getpath`` form, the same form
libxml2 uses in XSD error messages), so a report can point a user at the exact spot.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from jiliang.core.dcc.errors import MalformedXmlError, SchemaUnavailable, UnsafeXmlError
from jiliang.core.dcc.hashing import DS_NS, signature_problems, strip_signatures
from jiliang.core.dcc.safexml import XmlSource, hidden_markup, parse_xml
from jiliang.core.dcc.schemas import DCC_NS, SI_NS, get_schema
from jiliang.core.units import UnitError, parse_dsi

NS = {"dcc": DCC_NS, "si": SI_NS}
ROOT_TAG = f"{{{DCC_NS}}}digitalCalibrationCertificate"

# Elements whose text is one D-SI unit, or a whitespace-separated list of them.
_UNIT_XPATH = etree.XPath(
    "//si:unit | //si:listUnit | //si:unitPhase | //si:unitXMLList | //si:unitPhaseXMLList",
    namespaces=NS,
)
_POSITIVE_XPATH = etree.XPath(
    "//si:uncertainty | //si:uncertaintyXMLList | //si:stdUncertainty | //si:stdUncertaintyXMLList",
    namespaces=NS,
)
_K_XPATH = etree.XPath("//si:coverageFactor | //si:coverageFactorXMLList", namespaces=NS)
_P_XPATH = etree.XPath("//si:coverageProbability | //si:coverageProbabilityXMLList", namespaces=NS)
_CORE = "dcc:administrativeData/dcc:coreData/"
_VERSION_RE = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True)
class Problem:
    """One finding. ``kind``: xml, schema, schema-unavailable, unit or semantic."""

    kind: str
    xpath: str
    message: str
    line: int | None = None


@dataclass
class ValidationReport:
    """Outcome of :func:`validate`; ``valid`` only when every check ran and none failed."""

    schema_version: str | None
    schema_checked: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.schema_checked and not self.problems

    @property
    def verdict(self) -> str:
        """``valid``, ``invalid`` or ``cannot-validate``.

        ``cannot-validate`` when the only problem is that the XSD of the document's own
        ``schemaVersion`` is not installed: nothing wrong was found, but the document was not
        judged either, so it must not be reported as invalid (nor as valid). Any other problem
        (XML, D-SI unit, semantic) makes it ``invalid`` even when the schema is missing.
        """
        if self.valid:
            return "valid"
        if self.problems and all(p.kind == "schema-unavailable" for p in self.problems):
            return "cannot-validate"
        return "invalid"

    def add(self, kind: str, xpath: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(kind, xpath, message, line))

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "verdict": self.verdict,
            "schema_version": self.schema_version,
            "schema_checked": self.schema_checked,
            "problems": [asdict(p) for p in self.problems],
        }

    def summary(self) -> str:
        if self.verdict == "cannot-validate":
            head = f"CANNOT VALIDATE: schema for DCC {self.schema_version} not installed"
            lines = [f"{head} (install it: jiliang dcc schemas fetch {self.schema_version})"]
        else:
            head = "VALID" if self.valid else "INVALID"
            lines = [f"{head} (DCC schemaVersion {self.schema_version})"]
        lines += [f"  [{p.kind}] {p.xpath}: {p.message}" for p in self.problems]
        return "\n".join(lines)


@lru_cache(maxsize=4096)
def _unit_error(token: str) -> str | None:
    # Units repeat heavily within and across certificates; parse each distinct string once.
    try:
        parse_dsi(token)
    except UnitError as exc:
        return str(exc)
    return None


def validate(
    source: XmlSource | etree._ElementTree,
    *,
    schema_dirs: Iterable[Path | str] | None = None,
) -> ValidationReport:
    """Validate a DCC and return a report (never raises for bad documents)."""
    if isinstance(source, etree._ElementTree):
        tree = source
    else:
        try:
            tree = parse_xml(source)
        except (UnsafeXmlError, MalformedXmlError) as exc:
            report = ValidationReport(schema_version=None)
            report.add("xml", "/", str(exc))
            return report
    root = tree.getroot()
    version = root.get("schemaVersion")
    report = ValidationReport(schema_version=version)
    if root.tag != ROOT_TAG:
        report.add("schema", tree.getpath(root), f"root element is {root.tag}, expected {ROOT_TAG}")
        return report
    # Before the XSD: for 3.1.x every ds:Signature is stripped before schema validation, so
    # content hidden in a second or nested one would otherwise never be judged.
    hidden = hidden_markup(tree)
    if hidden:
        report.add("xml", "/", hidden)
    for problem in signature_problems(root):
        report.add("xml", "/", problem)
    _check_schema(tree, version, schema_dirs, report)
    check_units(tree, report)
    check_semantics(tree, report)
    return report


def _check_schema(
    tree: etree._ElementTree,
    version: str | None,
    schema_dirs: Iterable[Path | str] | None,
    report: ValidationReport,
) -> None:
    if not version:
        report.add("schema", "/*", "attribute schemaVersion is missing on the root element")
        return
    if not _VERSION_RE.fullmatch(version):
        # A malformed version is a fault of the document, not a schema the server lacks.
        report.add("schema", "/*/@schemaVersion", f"schemaVersion {version!r} is not x.y.z")
        return
    try:
        schema = get_schema(version, schema_dirs)
    except SchemaUnavailable as exc:
        report.add("schema-unavailable", "/*/@schemaVersion", str(exc))
        return
    report.schema_checked = True
    if _signature_outside_schema(tree, version):
        # DCC 3.1.x has no place for ds:Signature (3.2.0 added it at the end of the root). An
        # enveloped signature is checked by sign.verify_dcc; the XSD judges the certificate
        # content. It is the root's last child, so the XPaths of everything else are unchanged.
        tree = strip_signatures(tree.getroot()).getroottree()
    if not schema.validate(tree):
        for err in schema.error_log:
            report.add("schema", err.path or "/", err.message, err.line)


def _signature_outside_schema(tree: etree._ElementTree, version: str) -> bool:
    try:
        before_320 = tuple(int(p) for p in version.split(".")) < (3, 2, 0)
    except ValueError:
        return False
    return before_320 and tree.getroot().find(f"{{{DS_NS}}}Signature") is not None


def check_units(tree: etree._ElementTree, report: ValidationReport) -> None:
    """Every si:unit (and list/phase variant) must parse as D-SI."""
    for el in _UNIT_XPATH(tree):
        tokens = (el.text or "").split()
        if not tokens:
            report.add("unit", tree.getpath(el), "empty D-SI unit")
        for token in tokens:
            error = _unit_error(token)
            if error:
                report.add("unit", tree.getpath(el), f"{token!r} is not a D-SI unit: {error}")


def _numbers(el: etree._Element, tree: etree._ElementTree, report: ValidationReport) -> list[float]:
    values = []
    for token in (el.text or "").split():
        try:
            values.append(float(token))
        except ValueError:
            report.add("semantic", tree.getpath(el), f"{token!r} is not a number")
    return values


def check_semantics(tree: etree._ElementTree, report: ValidationReport) -> None:
    """Dates ordered; uncertainties > 0; coverage factor >= 1; coverage probability in (0, 1]."""
    root = tree.getroot()
    dates: dict[str, tuple[etree._Element, dt.date]] = {}
    for name in ("receiptDate", "beginPerformanceDate", "endPerformanceDate"):
        el = root.find(f"{_CORE}dcc:{name}", NS)
        if el is None:
            continue
        try:
            dates[name] = (el, dt.date.fromisoformat((el.text or "").strip()[:10]))
        except ValueError:
            report.add("semantic", tree.getpath(el), f"{el.text!r} is not an ISO date")
    for earlier, later in (
        ("beginPerformanceDate", "endPerformanceDate"),
        ("receiptDate", "endPerformanceDate"),
    ):
        if earlier in dates and later in dates and dates[earlier][1] > dates[later][1]:
            report.add(
                "semantic",
                tree.getpath(dates[later][0]),
                f"{later} {dates[later][1]} is before {earlier} {dates[earlier][1]}",
            )
    for el in _POSITIVE_XPATH(tree):
        if any(v <= 0 for v in _numbers(el, tree, report)):
            report.add("semantic", tree.getpath(el), f"uncertainty must be > 0, got {el.text!r}")
    for el in _K_XPATH(tree):
        if any(v < 1 for v in _numbers(el, tree, report)):
            report.add(
                "semantic", tree.getpath(el), f"coverage factor must be >= 1, got {el.text!r}"
            )
    for el in _P_XPATH(tree):
        if any(not 0 < v <= 1 for v in _numbers(el, tree, report)):
            report.add(
                "semantic",
                tree.getpath(el),
                f"coverage probability must be in (0, 1], got {el.text!r}",
            )
