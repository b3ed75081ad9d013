"""CalibrationRecord → DCC 3.1.2 XML (namespace https://ptb.de/dcc, D-SI 2.1.0).

Element order follows the 3.1.2 XSD sequences exactly; anything optional and absent from the
record is simply omitted. Numbers are written with ``repr`` so a float survives the round trip
build → parse unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

import jiliang
from jiliang.core.dcc.errors import RecordError
from jiliang.core.dcc.records import (
    CalibrationRecord,
    Condition,
    Contact,
    Equipment,
    Identification,
    Item,
    Quantity,
    QuantityValues,
    Statement,
    Text,
)
from jiliang.core.dcc.schemas import DCC_NS, SI_NS
from jiliang.core.units import UnitError, parse_dsi

SCHEMA_VERSION = "3.1.2"
_D = f"{{{DCC_NS}}}"
_S = f"{{{SI_NS}}}"
NSMAP = {"dcc": DCC_NS, "si": SI_NS, "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _num(value: float) -> str:
    return repr(float(value))


def _text(parent: etree._Element, tag: str, text: Text) -> etree._Element:
    """A dcc:textType / richContentType: one dcc:content per language."""
    el = _sub(parent, _D + tag)
    if isinstance(text, str):
        _sub(el, _D + "content", text)
    else:
        if not text:
            raise RecordError(f"{tag}: empty multilingual text")
        for lang, value in text.items():
            _sub(el, _D + "content", value, lang=lang)
    return el


def _identifications(parent: etree._Element, idents: Sequence[Identification]) -> None:
    box = _sub(parent, _D + "identifications")
    for ident in idents:
        el = _sub(box, _D + "identification")
        _sub(el, _D + "issuer", ident.issuer)
        _sub(el, _D + "value", ident.value)
        if ident.name is not None:
            _text(el, "name", ident.name)


def _location(parent: etree._Element, contact: Contact) -> None:
    loc = _sub(parent, _D + "location")
    for tag, value in (
        ("city", contact.city),
        ("countryCode", contact.country_code),
        ("postCode", contact.post_code),
        ("street", contact.street),
        ("streetNo", contact.street_no),
    ):
        if value:
            _sub(loc, _D + tag, value)
    if contact.further is not None:
        _text(loc, "further", contact.further)
    if len(loc) == 0:
        raise RecordError("contact location: give at least a city or country_code")


def _contact(parent: etree._Element, tag: str, contact: Contact) -> etree._Element:
    el = _sub(parent, _D + tag)
    _text(el, "name", contact.name)
    _sub(el, _D + "eMail", contact.email)
    if contact.phone:
        _sub(el, _D + "phone", contact.phone)
    _location(el, contact)
    return el


def _core(admin: etree._Element, rec: CalibrationRecord) -> None:
    core = _sub(admin, _D + "coreData")
    _sub(core, _D + "countryCodeISO3166_1", rec.country)
    for lang in rec.languages:
        _sub(core, _D + "usedLangCodeISO639_1", lang)
    for lang in rec.mandatory_languages:
        _sub(core, _D + "mandatoryLangCodeISO639_1", lang)
    if not rec.certificate_id.strip():
        raise RecordError("certificate_id: must not be empty")
    _sub(core, _D + "uniqueIdentifier", rec.certificate_id)
    if rec.receipt_date:
        _sub(core, _D + "receiptDate", rec.receipt_date.isoformat())
    if rec.begin_date > rec.end_date:
        raise RecordError(f"end_date {rec.end_date} is before begin_date {rec.begin_date}")
    _sub(core, _D + "beginPerformanceDate", rec.begin_date.isoformat())
    _sub(core, _D + "endPerformanceDate", rec.end_date.isoformat())
    _sub(core, _D + "performanceLocation", rec.performance_location)


def _items(admin: etree._Element, items: Sequence[Item]) -> None:
    if not items:
        raise RecordError("items: at least one calibration item is required")
    box = _sub(admin, _D + "items")
    for item in items:
        el = _sub(box, _D + "item")
        _text(el, "name", item.name)
        if item.description is not None:
            _text(el, "description", item.description)
        manufacturer = _sub(el, _D + "manufacturer")
        _text(manufacturer, "name", item.manufacturer)
        if item.model:
            _sub(el, _D + "model", item.model)
        if not item.identifications:
            raise RecordError("items[].identifications: at least one identification is required")
        _identifications(el, item.identifications)


def _statement(parent: etree._Element, st: Statement) -> None:
    el = _sub(parent, _D + "statement", refType=st.ref_type)
    if st.traceable is not None:
        _sub(el, _D + "traceable", "true" if st.traceable else "false")
    for norm in st.norms:
        _sub(el, _D + "norm", norm)
    _text(el, "declaration", st.declaration)
    if st.conformity:
        _sub(el, _D + "conformity", st.conformity)


def _admin(root: etree._Element, rec: CalibrationRecord) -> None:
    admin = _sub(root, _D + "administrativeData")
    software = _sub(_sub(admin, _D + "dccSoftware"), _D + "software")
    _text(software, "name", rec.software_name)
    _sub(software, _D + "release", rec.software_release or jiliang.__version__)
    _core(admin, rec)
    _items(admin, rec.items)
    lab = _sub(admin, _D + "calibrationLaboratory")
    if rec.laboratory_code:
        _sub(lab, _D + "calibrationLaboratoryCode", rec.laboratory_code)
    _contact(lab, "contact", rec.laboratory)
    if not rec.resp_persons:
        raise RecordError("resp_persons: at least one responsible person is required")
    persons = _sub(admin, _D + "respPersons")
    for person in rec.resp_persons:
        el = _sub(persons, _D + "respPerson")
        _text(_sub(el, _D + "person"), "name", person.name)
        if person.role:
            _sub(el, _D + "role", person.role)
        if person.main_signer:
            _sub(el, _D + "mainSigner", "true")
    _contact(admin, "customer", rec.customer)
    statements = _sub(admin, _D + "statements")
    _statement(statements, Statement("basic_traceability", rec.traceability, traceable=True))
    if rec.decision_rule is not None:
        _statement(statements, Statement("basic_decisionRule", rec.decision_rule))
    for st in rec.statements:
        _statement(statements, st)


def _as_list(values: float | list[float]) -> list[float]:
    return list(values) if isinstance(values, list) else [values]


def _check_unit(unit: str, where: str) -> None:
    try:
        parse_dsi(unit)
    except UnitError as exc:
        raise RecordError(f"{where}.unit: {unit!r} is not a D-SI unit ({exc})") from exc


def _expanded(parent: etree._Element, q: Quantity, n: int, where: str, xml_list: bool) -> None:
    if q.expanded_uncertainty is None:
        return
    unc = _as_list(q.expanded_uncertainty)
    if len(unc) not in (1, n):
        raise RecordError(f"{where}.expanded_uncertainty: {len(unc)} values for {n} values")
    if any(u <= 0 for u in unc):
        raise RecordError(f"{where}.expanded_uncertainty: must be > 0")
    if q.coverage_factor < 1:
        raise RecordError(f"{where}.coverage_factor: must be >= 1, got {q.coverage_factor}")
    if not 0 < q.coverage_probability <= 1:
        raise RecordError(f"{where}.coverage_probability: must be in (0, 1]")
    suffix = "XMLList" if xml_list else ""
    box = _sub(parent, _S + "expandedUnc" + suffix)
    _sub(box, _S + "uncertainty" + suffix, " ".join(_num(u) for u in unc))
    _sub(box, _S + "coverageFactor" + suffix, _num(q.coverage_factor))
    _sub(box, _S + "coverageProbability" + suffix, _num(q.coverage_probability))
    if q.distribution:
        _sub(box, _S + "distribution" + suffix, q.distribution)


def _real(parent: etree._Element, value: float, unit: str | None, q: Quantity | None, where: str):
    el = _sub(parent, _S + "real")
    _sub(el, _S + "value", _num(value))
    if unit is not None:
        _sub(el, _S + "unit", unit)
    if q is not None:
        _expanded(el, q, 1, where, xml_list=False)
    return el


def _xml_list(parent: etree._Element, values: list[float], unit: str, q: Quantity | None, where):
    el = _sub(parent, _S + "realListXMLList")
    _sub(el, _S + "valueXMLList", " ".join(_num(v) for v in values))
    _sub(el, _S + "unitXMLList", unit)
    if q is not None:
        _expanded(el, q, len(values), where, xml_list=True)
    return el


def _si_list(parent: etree._Element, q: Quantity, where: str) -> None:
    values = _as_list(q.values)
    unc = _as_list(q.expanded_uncertainty) if q.expanded_uncertainty is not None else None
    real_list = _sub(_sub(parent, _S + "list"), _S + "realList")
    for i, value in enumerate(values):
        single = None
        if unc is not None:
            u = unc[i] if len(unc) == len(values) else unc[0]
            single = Quantity(
                q.name, value, q.unit, u, q.coverage_factor, q.coverage_probability, q.distribution
            )
        _real(real_list, value, q.unit, single, f"{where}.values[{i}]")


def _si_value(parent: etree._Element, q: Quantity, where: str) -> None:
    """Write the D-SI element for ``q`` (optionally wrapped in si:hybrid)."""
    _check_unit(q.unit, where)
    values = _as_list(q.values)
    if not values:
        raise RecordError(f"{where}.values: no value")
    form = q.form
    if form == "auto":
        form = "real" if not isinstance(q.values, list) else "xmllist"
    if form not in ("real", "list", "xmllist"):
        raise RecordError(f"{where}.form: {q.form!r} is not auto, real, list or xmllist")
    if form == "real" and len(values) != 1:
        raise RecordError(f"{where}.form: 'real' needs exactly one value, got {len(values)}")
    target = parent
    if q.alternatives:
        target = _sub(parent, _S + "hybrid")
        if form == "list":
            raise RecordError(f"{where}.form: si:hybrid alternatives need form real or xmllist")
    if form == "real":
        _real(target, values[0], q.unit, q, where)
    elif form == "xmllist":
        _xml_list(target, values, q.unit, q, where)
    else:
        _si_list(target, q, where)
    for j, alt in enumerate(q.alternatives):
        _alternative(target, alt, form, len(values), f"{where}.alternatives[{j}]")


def _alternative(hybrid: etree._Element, alt: QuantityValues, form: str, n: int, where: str):
    _check_unit(alt.unit, where)
    values = _as_list(alt.values)
    if len(values) != n:
        raise RecordError(f"{where}.values: {len(values)} values, the quantity has {n}")
    if form == "real":
        _real(hybrid, values[0], alt.unit, None, where)
    else:
        _xml_list(hybrid, values, alt.unit, None, where)


def _quantity(parent: etree._Element, q: Quantity, where: str) -> None:
    el = _sub(parent, _D + "quantity", refType=q.ref_type)
    _text(el, "name", q.name)
    _si_value(el, q, where)
    if q.conformity is not None:
        meta = _sub(
            _sub(el, _D + "measurementMetaData"), _D + "metaData", refType="basic_conformity"
        )
        _text(_sub(meta, _D + "declaration"), "name", {"zh": "符合性", "en": "Conformity"})
        if isinstance(q.conformity, list):
            _sub(meta, _D + "conformityXMLList", " ".join(q.conformity))
        else:
            _sub(meta, _D + "conformity", q.conformity)


def _equipment(parent: etree._Element, equipment: Sequence[Equipment]) -> None:
    box = _sub(parent, _D + "measuringEquipments")
    for eq in equipment:
        el = _sub(box, _D + "measuringEquipment", refType=eq.ref_type)
        _text(el, "name", eq.name)
        if eq.certificate_id:
            cert = _sub(el, _D + "certificate")
            _text(cert, "referral", {"zh": "校准证书", "en": "Calibration certificate"})
            _sub(cert, _D + "referralID", eq.certificate_id)
            _sub(cert, _D + "procedure", "SHA-256")
            _sub(cert, _D + "value", eq.certificate_sha256 or "")
        if eq.identifications:
            _identifications(el, eq.identifications)


def _data(parent: etree._Element, quantities: Sequence[Quantity], where: str) -> None:
    """A dcc:data block holding ``quantities`` (at least one)."""
    if not quantities:
        raise RecordError(f"{where}.quantities: at least one quantity is required")
    data = _sub(parent, _D + "data")
    for j, q in enumerate(quantities):
        _quantity(data, q, f"{where}.quantities[{j}]")


def _conditions(parent: etree._Element, conditions: Sequence[Condition]) -> None:
    box = _sub(parent, _D + "influenceConditions")
    for i, cond in enumerate(conditions):
        el = _sub(box, _D + "influenceCondition", refType=cond.ref_type)
        _text(el, "name", cond.name)
        if cond.description is not None:
            _text(el, "description", cond.description)
        _data(el, cond.quantities, f"conditions[{i}]")


def _measurement(root: etree._Element, rec: CalibrationRecord) -> None:
    mr = _sub(_sub(root, _D + "measurementResults"), _D + "measurementResult")
    _text(mr, "name", rec.measurement_name)
    if rec.methods:
        methods = _sub(mr, _D + "usedMethods")
        for m in rec.methods:
            el = _sub(methods, _D + "usedMethod", refType=m.ref_type)
            _text(el, "name", m.name)
            if m.norm:
                _sub(el, _D + "norm", m.norm)
    if rec.equipment:
        _equipment(mr, rec.equipment)
    if rec.conditions:
        _conditions(mr, rec.conditions)
    if not rec.results:
        raise RecordError("results: at least one result is required")
    results = _sub(mr, _D + "results")
    for i, res in enumerate(rec.results):
        el = _sub(results, _D + "result", refType=res.ref_type)
        _text(el, "name", res.name)
        _data(el, res.quantities, f"results[{i}]")


def build_element(record: CalibrationRecord) -> etree._Element:
    """Build the DCC root element for ``record`` (raises :class:`RecordError` on bad fields)."""
    root = etree.Element(_D + "digitalCalibrationCertificate", nsmap=NSMAP)
    root.set("schemaVersion", SCHEMA_VERSION)
    root.set(
        f"{{{NSMAP['xsi']}}}schemaLocation",
        f"{DCC_NS} https://ptb.de/dcc/v{SCHEMA_VERSION}/dcc.xsd",
    )
    _admin(root, record)
    _measurement(root, record)
    return root


def build_dcc(record: CalibrationRecord, *, pretty: bool = True) -> bytes:
    """Serialise ``record`` as DCC 3.1.2 XML bytes (UTF-8, with XML declaration)."""
    return etree.tostring(
        build_element(record), xml_declaration=True, encoding="UTF-8", pretty_print=pretty
    )
