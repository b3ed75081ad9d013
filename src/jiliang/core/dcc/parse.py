"""Import any DCC (3.x; PTB examples included) into plain dataclasses the platform can store.

The importer is tolerant — it reads what is there and leaves absent optional parts empty — but
it is not a validator: run :func:`jiliang.core.dcc.validate.validate` for that. Missing
mandatory core data (the unique identifier) raises :class:`DccStructureError` with its XPath.
It reads exactly what is signed and hashed: a document where that could differ (a comment inside
a value, a second or nested ``ds:Signature``) raises :class:`UnsafeXmlError` instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lxml import etree

from jiliang.core.dcc.errors import DccStructureError, UnsafeXmlError
from jiliang.core.dcc.hashing import signature_problems
from jiliang.core.dcc.safexml import XmlSource, hidden_markup, parse_xml
from jiliang.core.dcc.schemas import DCC_NS, SI_NS

NS = {"dcc": DCC_NS, "si": SI_NS}
_D = f"{{{DCC_NS}}}"
_S = f"{{{SI_NS}}}"


@dataclass
class Uncertainty:
    """Expanded uncertainty U (one per value, or one for all), k, p, distribution."""

    expanded: list[float]
    coverage_factor: list[float]
    coverage_probability: list[float]
    distribution: str | None = None


@dataclass
class ParsedQuantity:
    name: dict[str, str]
    kind: str  # real | list | realList | realListXMLList | hybrid | constant | noQuantity | ...
    values: list[float] = field(default_factory=list)
    unit: str | None = None
    units: list[str] = field(default_factory=list)  # per value where a list carries several
    uncertainty: Uncertainty | None = None
    alternatives: list[ParsedQuantity] = field(default_factory=list)  # other si:hybrid members
    conformity: list[str] = field(default_factory=list)
    label: str | None = None
    text: dict[str, str] = field(default_factory=dict)  # dcc:noQuantity content
    ref_type: str | None = None
    xpath: str = ""


@dataclass
class ParsedIdentification:
    issuer: str
    value: str
    name: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedItem:
    name: dict[str, str]
    manufacturer: dict[str, str]
    model: str | None
    identifications: list[ParsedIdentification]


@dataclass
class ParsedContact:
    name: dict[str, str]
    email: str | None = None
    city: str | None = None
    country_code: str | None = None


@dataclass
class ParsedStatement:
    ref_type: str | None
    declaration: dict[str, str]
    traceable: bool | None = None
    conformity: str | None = None
    norms: list[str] = field(default_factory=list)


@dataclass
class ParsedResult:
    name: dict[str, str]
    ref_type: str | None
    quantities: list[ParsedQuantity]


@dataclass
class ParsedMeasurement:
    name: dict[str, str]
    methods: list[dict[str, str]]
    equipment: list[dict[str, str]]
    conditions: list[ParsedResult]
    results: list[ParsedResult]


@dataclass
class ParsedDcc:
    """A DCC as plain data; ``quantities()`` flattens every result quantity."""

    certificate_id: str
    schema_version: str | None
    country: str | None
    languages: list[str]
    mandatory_languages: list[str]
    begin_date: dt.date | None
    end_date: dt.date | None
    receipt_date: dt.date | None
    performance_location: str | None
    software: list[str]
    items: list[ParsedItem]
    laboratory: ParsedContact | None
    resp_persons: list[str]
    customer: ParsedContact | None
    statements: list[ParsedStatement]
    measurements: list[ParsedMeasurement]
    signed: bool = False

    def quantities(self) -> list[ParsedQuantity]:
        return [q for m in self.measurements for r in m.results for q in r.quantities]


def _text(el: etree._Element | None) -> dict[str, str]:
    """dcc:textType → {lang: text}; content without a lang is keyed ''."""
    if el is None:
        return {}
    out: dict[str, str] = {}
    for c in el.findall(_D + "content"):
        out.setdefault(c.get("lang", ""), (c.text or "").strip())
    return out


def _s(el: etree._Element, path: str) -> str | None:
    found = el.find(path, NS)
    return None if found is None or found.text is None else found.text.strip()


def _date(el: etree._Element, path: str) -> dt.date | None:
    text = _s(el, path)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise DccStructureError(f"{path}: {text!r} is not an ISO date") from exc


def _floats(el: etree._Element | None, tree: etree._ElementTree) -> list[float]:
    if el is None or not el.text:
        return []
    try:
        return [float(t) for t in el.text.split()]
    except ValueError as exc:
        raise DccStructureError(f"{tree.getpath(el)}: {el.text!r} is not numeric") from exc


def _uncertainty(el: etree._Element, tree: etree._ElementTree) -> Uncertainty | None:
    for suffix in ("", "XMLList"):
        unc = el.find(_S + "expandedUnc" + suffix)
        if unc is not None:
            return Uncertainty(
                expanded=_floats(unc.find(_S + "uncertainty" + suffix), tree),
                coverage_factor=_floats(unc.find(_S + "coverageFactor" + suffix), tree),
                coverage_probability=_floats(unc.find(_S + "coverageProbability" + suffix), tree),
                distribution=_s(unc, "si:distribution" + suffix),
            )
    return None


def _merge_unc(parts: list[Uncertainty | None]) -> Uncertainty | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    return Uncertainty(
        expanded=[v for p in present for v in p.expanded],
        coverage_factor=[v for p in present for v in p.coverage_factor],
        coverage_probability=[v for p in present for v in p.coverage_probability],
        distribution=present[0].distribution,
    )


def _si(el: etree._Element, tree: etree._ElementTree, name: dict[str, str]) -> ParsedQuantity:
    """One D-SI element (si:real, si:list, si:hybrid, …) → ParsedQuantity."""
    kind = etree.QName(el).localname
    q = ParsedQuantity(name=name, kind=kind, xpath=tree.getpath(el))
    if kind in ("real", "constant"):
        q.values = _floats(el.find(_S + "value"), tree)
        q.unit = _s(el, "si:unit")
        q.label = _s(el, "si:label")
        q.uncertainty = _uncertainty(el, tree)
        if kind == "constant" and el.find(_S + "uncertainty") is not None:
            q.uncertainty = Uncertainty(_floats(el.find(_S + "uncertainty"), tree), [], [])
    elif kind == "realListXMLList":
        q.values = _floats(el.find(_S + "valueXMLList"), tree)
        q.units = (_s(el, "si:unitXMLList") or "").split()
        q.unit = q.units[0] if len(set(q.units)) == 1 else None
        q.uncertainty = _uncertainty(el, tree)
    elif kind in ("list", "realList"):
        reals = el.findall(".//" + _S + "real")
        list_unit = _s(el, ".//si:listUnit")
        q.values = [v for r in reals for v in _floats(r.find(_S + "value"), tree)]
        q.units = [_s(r, "si:unit") or list_unit or "" for r in reals]
        q.unit = q.units[0] if q.units and len(set(q.units)) == 1 else list_unit
        q.uncertainty = _merge_unc([_uncertainty(r, tree) for r in reals])
    elif kind == "hybrid":
        members = [_si(child, tree, name) for child in el if isinstance(child.tag, str)]
        if members:
            first = members[0]
            q.values, q.unit, q.units = first.values, first.unit, first.units
            q.uncertainty = _merge_unc([m.uncertainty for m in members])
            q.alternatives = members[1:]
    return q


def _quantity(el: etree._Element, tree: etree._ElementTree) -> ParsedQuantity:
    name = _text(el.find(_D + "name"))
    no_q = el.find(_D + "noQuantity")
    if no_q is not None:
        q = ParsedQuantity(name=name, kind="noQuantity", xpath=tree.getpath(no_q))
        q.text = _text(no_q)
    else:
        si = next((c for c in el if isinstance(c.tag, str) and c.tag.startswith(_S)), None)
        q = _si(si, tree, name) if si is not None else ParsedQuantity(name=name, kind="unknown")
    q.ref_type = el.get("refType")
    for meta in el.iterfind("dcc:measurementMetaData/dcc:metaData", NS):
        status = _s(meta, "dcc:conformity") or _s(meta, "dcc:conformityXMLList")
        if status:
            q.conformity.extend(status.split())
    return q


def _quantities(data: etree._Element | None, tree: etree._ElementTree) -> list[ParsedQuantity]:
    """Quantities in a dcc:data, descending into dcc:list but not into metadata."""
    if data is None:
        return []
    out = []
    for child in data:
        if child.tag == _D + "quantity":
            out.append(_quantity(child, tree))
        elif child.tag == _D + "list":
            out.extend(_quantities(child, tree))
    return out


def _contact(el: etree._Element | None) -> ParsedContact | None:
    if el is None:
        return None
    return ParsedContact(
        name=_text(el.find(_D + "name")),
        email=_s(el, "dcc:eMail"),
        city=_s(el, "dcc:location/dcc:city"),
        country_code=_s(el, "dcc:location/dcc:countryCode"),
    )


def _identifications(el: etree._Element) -> list[ParsedIdentification]:
    return [
        ParsedIdentification(
            _s(i, "dcc:issuer") or "", _s(i, "dcc:value") or "", _text(i.find(_D + "name"))
        )
        for i in el.iterfind("dcc:identifications/dcc:identification", NS)
    ]


def _statement(el: etree._Element) -> ParsedStatement:
    traceable = _s(el, "dcc:traceable")
    return ParsedStatement(
        ref_type=el.get("refType"),
        declaration=_text(el.find(_D + "declaration")),
        traceable=None if traceable is None else traceable == "true",
        conformity=_s(el, "dcc:conformity"),
        norms=[n.text or "" for n in el.findall(_D + "norm")],
    )


def _measurement(el: etree._Element, tree: etree._ElementTree) -> ParsedMeasurement:
    def named(path: str) -> list[dict[str, str]]:
        return [_text(x.find(_D + "name")) for x in el.iterfind(path, NS)]

    return ParsedMeasurement(
        name=_text(el.find(_D + "name")),
        methods=named("dcc:usedMethods/dcc:usedMethod"),
        equipment=named("dcc:measuringEquipments/dcc:measuringEquipment"),
        conditions=[
            ParsedResult(
                _text(c.find(_D + "name")), c.get("refType"), _quantities(c.find(_D + "data"), tree)
            )
            for c in el.iterfind("dcc:influenceConditions/dcc:influenceCondition", NS)
        ],
        results=[
            ParsedResult(
                _text(r.find(_D + "name")), r.get("refType"), _quantities(r.find(_D + "data"), tree)
            )
            for r in el.iterfind("dcc:results/dcc:result", NS)
        ],
    )


def parse_dcc(source: XmlSource | etree._ElementTree) -> ParsedDcc:
    """Read a DCC (bytes, text, path or parsed tree) into a :class:`ParsedDcc`."""
    tree = source if isinstance(source, etree._ElementTree) else parse_xml(source)
    root = tree.getroot()
    if root.tag != _D + "digitalCalibrationCertificate":
        raise DccStructureError(f"/{root.tag}: not a dcc:digitalCalibrationCertificate")
    # Read only what the signature and the canonical hash cover: no comment may split a value
    # (parse_xml refuses it; a caller's tree is checked here) and no content may hide in a
    # second or nested ds:Signature.
    hidden = hidden_markup(tree) if isinstance(source, etree._ElementTree) else None
    problems = ([hidden] if hidden else []) + signature_problems(root)
    if problems:
        raise UnsafeXmlError("; ".join(problems))
    admin = root.find(_D + "administrativeData")
    if admin is None:
        raise DccStructureError("/dcc:digitalCalibrationCertificate/dcc:administrativeData missing")
    core = admin.find(_D + "coreData")
    uid = _s(admin, "dcc:coreData/dcc:uniqueIdentifier") if core is not None else None
    if not uid:
        raise DccStructureError(
            "/dcc:digitalCalibrationCertificate/dcc:administrativeData/dcc:coreData/"
            "dcc:uniqueIdentifier missing or empty"
        )
    return ParsedDcc(
        certificate_id=uid,
        schema_version=root.get("schemaVersion"),
        country=_s(core, "dcc:countryCodeISO3166_1"),
        languages=[e.text or "" for e in core.findall(_D + "usedLangCodeISO639_1")],
        mandatory_languages=[e.text or "" for e in core.findall(_D + "mandatoryLangCodeISO639_1")],
        begin_date=_date(core, "dcc:beginPerformanceDate"),
        end_date=_date(core, "dcc:endPerformanceDate"),
        receipt_date=_date(core, "dcc:receiptDate"),
        performance_location=_s(core, "dcc:performanceLocation"),
        software=[
            " ".join(
                filter(
                    None,
                    [next(iter(_text(s.find(_D + "name")).values()), ""), _s(s, "dcc:release")],
                )
            )
            for s in admin.iterfind("dcc:dccSoftware/dcc:software", NS)
        ],
        items=[
            ParsedItem(
                name=_text(i.find(_D + "name")),
                manufacturer=_text(i.find("dcc:manufacturer/dcc:name", NS)),
                model=_s(i, "dcc:model"),
                identifications=_identifications(i),
            )
            for i in admin.iterfind("dcc:items/dcc:item", NS)
        ],
        laboratory=_contact(admin.find("dcc:calibrationLaboratory/dcc:contact", NS)),
        resp_persons=[
            next(iter(_text(p.find("dcc:person/dcc:name", NS)).values()), "")
            for p in admin.iterfind("dcc:respPersons/dcc:respPerson", NS)
        ],
        customer=_contact(admin.find(_D + "customer")),
        statements=[_statement(s) for s in admin.iterfind("dcc:statements/dcc:statement", NS)],
        measurements=[
            _measurement(m, tree)
            for m in root.iterfind("dcc:measurementResults/dcc:measurementResult", NS)
        ],
        signed=root.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None,
    )
