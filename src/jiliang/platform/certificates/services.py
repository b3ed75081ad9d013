"""Certificate workflow: draft → review → issued (signed, logged); amend; withdraw; verify.

Every step is a function that checks who may do it, changes one certificate in one transaction,
and (for issue and withdrawal) appends the certificate's canonical hash to the transparency log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiliang.core.dcc import (
    DccError,
    build_dcc,
    canonical_hash,
    parse_dcc,
    validate,
)
from jiliang.core.dcc.records import (
    CalibrationRecord,
    Contact,
    Equipment,
    Identification,
    Item,
    Person,
    Quantity,
    Result,
)
from jiliang.core.dcc.sign import make_test_pki, sign_dcc, verify_dcc
from jiliang.platform.audit.context import acting_as
from jiliang.platform.ledger import service as ledger
from jiliang.platform.ledger.service import RecordAudit
from jiliang.platform.registry.models import CalibrationEvent, Organisation
from jiliang.platform.registry.permissions import can_write

from .models import Certificate


class WorkflowError(ValueError):
    """A step that is not allowed now (wrong state, same person reviewing)."""


class NotAllowed(WorkflowError):
    """The user may not take this step for this laboratory's certificates."""


# -- keys ------------------------------------------------------------------------------------


def pki_dir() -> Path:
    return Path(settings.JILIANG_PKI_DIR)


def signing_material(org: Organisation) -> tuple[bytes, bytes]:
    """The lab's signing key and certificate chain (PEM).

    Operators put a real key and certificate at ``PKI_DIR/<credit code>/key.pem|cert.pem`` and
    their CA in ``PKI_DIR/trust/``. Without them a self-contained test CA and lab certificate are
    generated once (demo and tests), and the CA is added to the trust anchors.
    """
    folder = pki_dir() / org.code
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    if not key_path.exists():
        pki = make_test_pki("ec", lab_name=org.name_en or org.code, days=3650)
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pki.lab_key)
        cert_path.write_bytes(pki.lab_cert)
        trust = pki_dir() / "trust"
        trust.mkdir(parents=True, exist_ok=True)
        (trust / f"{org.code}-ca.pem").write_bytes(pki.ca_cert)
    return key_path.read_bytes(), cert_path.read_bytes()


def trust_anchors() -> list[x509.Certificate]:
    anchors = []
    for path in sorted((pki_dir() / "trust").glob("*.pem")):
        anchors.extend(x509.load_pem_x509_certificates(path.read_bytes()))
    return anchors


# -- building --------------------------------------------------------------------------------


def _both(zh: str, en: str | None = None) -> dict[str, str]:
    return {"zh": zh, "en": en or zh}


def _contact(org: Organisation) -> Contact:
    return Contact(name=_both(org.name, org.name_en), city=org.region.name, country_code="CN")


def record_for_event(event: CalibrationEvent, number: str, prepared_by: str) -> CalibrationRecord:
    """The plain DCC record of a calibration event (the input of ``core.dcc.build_dcc``)."""
    item_obj = event.item
    if event.instrument_id:
        inst = event.instrument
        item = Item(
            name=_both(inst.name),
            manufacturer=inst.manufacturer or "-",
            model=inst.model_name or None,
            identifications=[
                Identification("owner", inst.lifetime_id, _both("器具识别编码", "lifetime ID")),
                *(
                    [
                        Identification(
                            "manufacturer", inst.serial, _both("出厂编号", "serial number")
                        )
                    ]
                    if inst.serial
                    else []
                ),
            ],
        )
        customer = inst.owner
    else:
        code = getattr(item_obj, "code", None) or getattr(item_obj, "gbw_number", "")
        item = Item(
            name=_both(item_obj.name),
            manufacturer="-",
            identifications=[Identification("owner", code, _both("编号", "code"))],
        )
        customer = getattr(item_obj, "owner", None) or getattr(item_obj, "producer", None)
    standards = list(event.standards_used.select_related("owner"))
    trace = "；".join(
        f"{s.name}（{s.code}，U={s.uncertainty:g} {s.unit}，k={s.k:g}）" for s in standards
    )
    results = []
    if event.result_value is not None:
        results.append(
            Result(
                name=_both("测量结果", "Measurement result"),
                quantities=[
                    Quantity(
                        name=_both("测得值", "measured value"),
                        values=event.result_value,
                        unit=event.unit,
                        expanded_uncertainty=event.result_uncertainty,
                        coverage_factor=event.k,
                        conformity=None if event.conformity == "none" else event.conformity,
                    )
                ],
            )
        )
    decision = None
    if event.conformity != "none":
        decision = _both(
            "按简单接受规则（ILAC-G8:09/2019 §4.2.1）判定符合性",
            "Conformity decided by simple acceptance (ILAC-G8:09/2019 §4.2.1)",
        )
    return CalibrationRecord(
        certificate_id=number,
        begin_date=event.performed_on,
        end_date=event.performed_on,
        items=[item],
        laboratory=_contact(event.performed_by),
        resp_persons=[Person(name=prepared_by, role="prepared", main_signer=True)],
        customer=_contact(customer) if customer else _contact(event.performed_by),
        results=results,
        traceability=_both(
            f"测量结果溯源至国际单位制（SI），所用计量标准：{trace or '无记录'}",
            f"The results are traceable to the SI through: {trace or 'none recorded'}",
        ),
        decision_rule=decision,
        laboratory_code=event.performed_by.code,
        statements=[],
        equipment=[
            Equipment(
                name=_both(s.name),
                identifications=[Identification("owner", s.code)],
                certificate_id=s.certificate_no,
            )
            for s in standards
        ],
    )


def _validation(xml: bytes) -> dict:
    return validate(xml).to_dict()


def _next_number(event: CalibrationEvent) -> str:
    taken = Certificate.objects.filter(event=event).count()
    return event.certificate_no if taken == 0 else f"{event.certificate_no}-A{taken}"


# -- workflow --------------------------------------------------------------------------------


def _require(user, event: CalibrationEvent) -> None:
    if not can_write(user, event):
        raise NotAllowed("only the performing laboratory may prepare or issue its certificates")


def create_draft(event: CalibrationEvent, user, replaces: Certificate | None = None) -> Certificate:
    """Build the DCC from the event as a draft (an amendment when ``replaces`` is given)."""
    _require(user, event)
    if (
        replaces is None
        and Certificate.objects.filter(event=event)
        .exclude(status__in=[Certificate.Status.WITHDRAWN])
        .exists()
    ):
        raise WorkflowError("this event already has a certificate; amend it instead")
    number = _next_number(event)
    try:
        xml = build_dcc(record_for_event(event, number, user.get_username()))
    except DccError as exc:
        raise WorkflowError(f"the event cannot be expressed as a DCC: {exc}") from None
    cert = Certificate(
        number=number,
        event=event,
        xml=xml.decode(),
        replaces=replaces,
        prepared_by=user,
        validation=_validation(xml),
    )
    with transaction.atomic(), acting_as(user, "certificate drafted"):
        cert.save()
    return cert


def submit(cert: Certificate, user) -> Certificate:
    _require(user, cert.event)
    if cert.status != Certificate.Status.DRAFT:
        raise WorkflowError(f"only a draft can be submitted (status: {cert.status})")
    cert.status = Certificate.Status.IN_REVIEW
    with transaction.atomic(), acting_as(user, "submitted for review"):
        cert.save()
    return cert


def issue(cert: Certificate, reviewer) -> Certificate:
    """Second-person review: sign with the lab's key, log the canonical hash, mark issued."""
    _require(reviewer, cert.event)
    if cert.status != Certificate.Status.IN_REVIEW:
        raise WorkflowError(f"only a certificate in review can be issued (status: {cert.status})")
    if cert.prepared_by_id == reviewer.pk:
        raise WorkflowError("the reviewer must be a second person, not the one who prepared it")
    key, chain = signing_material(cert.event.performed_by)
    signed = sign_dcc(cert.xml.encode(), key, chain)
    digest = canonical_hash(signed)
    with transaction.atomic(), acting_as(reviewer, "reviewed and issued"):
        cert.xml = signed.decode()
        cert.canonical_hash = digest
        cert.reviewed_by = reviewer
        cert.issued_at = timezone.now()
        cert.status = Certificate.Status.ISSUED
        cert.ledger_index = ledger.append_payload(
            ledger.leaf_payload("certificate", cert.number, digest)
        )
        cert.save()
        if cert.replaces_id:
            old = cert.replaces
            old.status = Certificate.Status.SUPERSEDED
            old.save()
    return cert


def amend(cert: Certificate, user) -> Certificate:
    if cert.status != Certificate.Status.ISSUED:
        raise WorkflowError("only an issued certificate can be amended")
    return create_draft(cert.event, user, replaces=cert)


def withdraw(cert: Certificate, user, reason: str) -> Certificate:
    _require(user, cert.event)
    if cert.status != Certificate.Status.ISSUED:
        raise WorkflowError("only an issued certificate can be withdrawn")
    if not reason.strip():
        raise WorkflowError("reason: give the reason for the withdrawal")
    with transaction.atomic(), acting_as(user, reason):
        cert.status = Certificate.Status.WITHDRAWN
        cert.withdrawn_at = timezone.now()
        cert.withdrawal_reason = reason[:500]
        cert.withdrawal_ledger_index = ledger.append_payload(
            ledger.leaf_payload("certificate-withdrawal", cert.number, cert.canonical_hash)
        )
        cert.save()
    return cert


# -- verification ----------------------------------------------------------------------------


@dataclass
class Verification:
    """What the public page shows about a certificate (stored, uploaded, or both)."""

    number: str | None
    certificate: Certificate | None
    schema: dict | None
    signature: dict | None
    canonical_hash: str | None
    current: bool | None
    inclusion: dict | None
    problems: list[str]


def verify(xml: bytes | None = None, number: str | None = None) -> Verification:
    """Verify an uploaded DCC and/or a certificate number against the platform's records."""
    problems: list[str] = []
    cert = (
        Certificate.objects.select_related("event").filter(number=number).first()
        if number
        else None
    )
    digest = schema = signature = None
    if xml is not None:
        schema = validate(xml).to_dict()
        try:
            digest = canonical_hash(xml)
        except DccError as exc:
            problems.append(f"not a readable DCC: {exc}")
        else:
            signature = verify_dcc(xml, trust_anchors()).to_dict()
            by_hash = Certificate.objects.filter(canonical_hash=digest).first()
            if by_hash is None:
                problems.append("no certificate with this content was issued here")
            elif cert is not None and by_hash.pk != cert.pk:
                problems.append("the file is a different certificate than the number given")
            cert = cert or by_hash
            if number is None:
                try:
                    number = parse_dcc(xml).certificate_id
                except DccError:
                    number = None
    elif cert is not None and cert.canonical_hash:
        digest = cert.canonical_hash
        schema = cert.validation
        signature = verify_dcc(cert.xml.encode(), trust_anchors()).to_dict()
    if number and cert is None:
        problems.append(f"no certificate numbered {number}")
    inclusion = (
        ledger.inclusion(cert.ledger_index) if cert and cert.ledger_index is not None else None
    )
    return Verification(
        number=number,
        certificate=cert,
        schema=schema,
        signature=signature,
        canonical_hash=digest,
        current=cert.is_current if cert else None,
        inclusion=inclusion,
        problems=problems,
    )


# -- ledger hooks ----------------------------------------------------------------------------


def logged_leaf_count() -> int:
    issued = Certificate.objects.filter(ledger_index__isnull=False).count()
    withdrawn = Certificate.objects.filter(withdrawal_ledger_index__isnull=False).count()
    return issued + withdrawn


def audit_certificates() -> RecordAudit:
    """Recompute every logged certificate's canonical hash and compare with row and log."""
    from jiliang.core.ledger import leaf_hash

    report = RecordAudit()
    log, _signer = ledger.ensure_log()
    try:
        for cert in Certificate.objects.filter(ledger_index__isnull=False).iterator(500):
            report.checked += 1
            if canonical_hash(cert.xml.encode()) != cert.canonical_hash:
                report.add(
                    "CONTENT_CHANGED",
                    cert.pk,
                    "certificate XML no longer matches its hash",
                    object=f"certificate:{cert.number}",
                )
            kind = "certificate-external" if cert.status == "external" else "certificate"
            payload = ledger.leaf_payload(kind, cert.number, cert.canonical_hash)
            if cert.ledger_index >= log.size or log.leaf_hash(cert.ledger_index) != leaf_hash(
                payload
            ):
                report.add(
                    "LEAF_MISMATCH",
                    cert.pk,
                    "certificate hash differs from its logged leaf",
                    object=f"certificate:{cert.number}",
                )
    finally:
        log.close()
    return report


# -- third-party certificates ----------------------------------------------------------------


def import_external(xml: bytes, standard, laboratory: Organisation, user) -> Certificate:
    """Register a third-party DCC as the calibration of one of the user's standards.

    The certificate's first result quantity with a D-SI unit becomes the event's result (value,
    U, k); its dates become the event's dates. Everything happens in one transaction, and the
    certificate is stored verbatim (status ``external``) with its canonical hash logged, so the
    traceability engine can cite it.
    """
    from jiliang.core.dcc import parse_xml
    from jiliang.core.units import UnitError, parse_dsi

    if not can_write(user, standard):
        raise NotAllowed("only the owner of the standard may register its calibrations")
    try:
        parse_xml(xml)
        parsed = parse_dcc(xml)
        digest = canonical_hash(xml)
    except DccError as exc:
        raise WorkflowError(f"file: not a readable DCC: {exc}") from None
    if Certificate.objects.filter(number=parsed.certificate_id).exists():
        raise WorkflowError(f"certificate {parsed.certificate_id} is already registered")
    usable = []
    for q in parsed.quantities():
        try:
            if q.values and q.unit:
                parse_dsi(q.unit)
                usable.append(q)
        except UnitError:
            continue
    # The result a standard is calibrated for carries an uncertainty; prefer such a quantity.
    with_u = [q for q in usable if q.uncertainty and q.uncertainty.expanded]
    quantity = (with_u or usable or [None])[0]
    if parsed.begin_date is None:
        raise WorkflowError("file: the DCC has no beginPerformanceDate")
    event = CalibrationEvent(
        certificate_no=parsed.certificate_id,
        kind="calibration",
        standard=standard,
        performed_by=laboratory,
        performed_on=parsed.begin_date,
        issued_on=parsed.end_date or parsed.begin_date,
        unit=quantity.unit if quantity else standard.unit,
        result_value=quantity.values[0] if quantity else None,
        result_uncertainty=(
            quantity.uncertainty.expanded[0]
            if quantity and quantity.uncertainty and quantity.uncertainty.expanded
            else None
        ),
        k=(
            quantity.uncertainty.coverage_factor[0]
            if quantity and quantity.uncertainty and quantity.uncertainty.coverage_factor
            else 2.0
        ),
    )
    from django.core.exceptions import ValidationError

    try:
        event.full_clean()
    except ValidationError as exc:
        raise WorkflowError(
            f"the DCC does not make a valid calibration record: {exc.message_dict}"
        ) from None
    with transaction.atomic(), acting_as(user, "third-party DCC imported"):
        event.save()
        cert = Certificate(
            number=parsed.certificate_id,
            event=event,
            status=Certificate.Status.EXTERNAL,
            xml=xml.decode("utf-8"),
            canonical_hash=digest,
            prepared_by=user,
            validation=validate(xml).to_dict(),
        )
        cert.ledger_index = ledger.append_payload(
            ledger.leaf_payload("certificate-external", cert.number, digest)
        )
        cert.save()
    return cert
