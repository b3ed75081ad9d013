"""Certificate workflow: draft → review → issued (signed, logged); amend; withdraw; verify.

Every step is a function that checks who may do it, changes one certificate in one transaction,
and (for issue and withdrawal) appends the certificate's canonical hash to the transparency log.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from types import EllipsisType

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
from jiliang.core.dcc.schemas import install_hint
from jiliang.core.dcc.sign import sign_dcc, verify_dcc
from jiliang.core.identifiers import (
    IdentifierError,
    certificate_lookup_key,
    normalise_certificate_no,
)
from jiliang.core.ledger import Log
from jiliang.platform.audit.context import acting_as
from jiliang.platform.ledger import service as ledger
from jiliang.platform.ledger.service import RecordAudit
from jiliang.platform.registry.authority import authors
from jiliang.platform.registry.models import CalibrationEvent, Organisation

from . import pki
from .models import Certificate
from .templatetags.dcc_problems import problem_kind

logger = logging.getLogger(__name__)


class WorkflowError(ValueError):
    """A step that is not allowed now (wrong state, same person reviewing).

    Its message is shown to the user as is: written in Chinese and translated through Django
    i18n into the request's language (English in certificates/translations_en.py).
    """


class NotAllowed(WorkflowError):
    """The user may not take this step for this laboratory's certificates."""


def _status_label(status: str | None) -> str:
    """A certificate status as users read it: its translated label (the code if it has none).

    Messages name the label, never the stored code ("已签发", not "issued"); the API keeps the
    code in its own ``status`` fields.
    """
    try:
        return str(Certificate.Status(status).label)
    except ValueError:
        return str(status)


# -- keys ------------------------------------------------------------------------------------


def pki_dir() -> Path:
    return pki.pki_dir()


class SigningUnavailable(WorkflowError):
    """The laboratory cannot sign now: no enrolled certificate, or it expired or was revoked."""


def signing_material(org: Organisation) -> tuple[bytes, bytes]:
    """The lab's signing key and certificate chain (PEM), as enrolled by an operator.

    Production: an operator enrols each laboratory (``jiliang pki``, docs/security.md); a lab
    without an enrolled, unexpired, unrevoked certificate cannot issue. Only with
    ``JILIANG_PKI_AUTO_ENROL`` (demo and tests) is a throw-away test CA created and the lab
    enrolled under it on first use.
    """
    try:
        if not pki.is_enrolled(org.code) and settings.JILIANG_PKI_AUTO_ENROL:
            pki.auto_enrol(org.code, org.name_en or org.name)
        return pki.signing_material(org.code)
    except pki.PkiError as exc:
        raise SigningUnavailable(str(exc)) from None


def trust_anchors() -> pki.TrustStore:
    """The configured trust anchors with the operator's revocations (for ``verify_dcc``)."""
    return pki.trust_store()


# -- building --------------------------------------------------------------------------------


def _both(zh: str, en: str | None = None) -> dict[str, str]:
    return {"zh": zh, "en": en or zh}


def _contact(org: Organisation) -> Contact:
    return Contact(name=_both(org.name, org.name_en), city=org.region.name, country_code="CN")


def _decision_statement(event: CalibrationEvent):
    """The decision rule the verdict actually came from (never a boilerplate claim)."""
    if event.conformity == "none":
        return None
    decision = event.decision()
    if decision is None:
        return _both(
            "符合性结论由实验室依据检定/校准规程给出，未记录判定规则",
            "Conformity stated by the laboratory under the verification or calibration "
            "procedure; no decision rule was recorded",
        )
    rule = decision.rule
    lo, hi = decision.acceptance_lower, decision.acceptance_upper
    zh = {
        "simple acceptance": "简单接受规则（w = 0）",
        "shared risk": "风险共担规则（w = 0）",
        "guarded acceptance": f"保护带接受规则（w = {rule.r:g}·U）",
        "guarded rejection": f"保护带拒绝规则（w = {rule.r:g}·U）",
        "non-binary": f"非二元判定规则（w = {rule.r:g}·U）",
    }[rule.kind.value]
    limits = f"[{lo:.6g}, {hi:.6g}] {event.si_unit}"
    return _both(
        f"按 ILAC-G8:09/2019 §4.2 {zh}判定符合性，接受区间 {limits}，结论：{decision.verdict.zh}",
        f"Conformity decided by the ILAC-G8:09/2019 §4.2 {rule.description} rule, acceptance "
        f"interval {limits}: {decision.verdict.value}",
    )


def _verification_statements(event: CalibrationEvent) -> list:
    """For a verification (检定): the statement that says so, carrying the verdict, so the signed
    DCC itself decides its form (检定证书 or 检定结果通知书, ``core.dcc.summary``)."""
    from jiliang.core.dcc.records import Statement
    from jiliang.core.dcc.summary import VERIFICATION_REF_TYPE

    if event.kind != CalibrationEvent.Kind.VERIFICATION:
        return []
    # only pass / fail are verdicts of a verification; anything else is stated without one
    verdict = event.conformity if event.conformity in ("pass", "fail") else None
    conclusion = {
        "pass": ("合格", "conforms"),
        "fail": ("不合格", "does not conform"),
        None: ("未作出合格判定", "no conformity verdict was reached"),
    }[verdict]
    return [
        Statement(
            VERIFICATION_REF_TYPE,
            _both(
                f"本证书记录依据检定规程进行的检定，检定结论：{conclusion[0]}",
                "This certificate records a verification under the verification regulation; "
                f"the item {conclusion[1]}",
            ),
            conformity=verdict,
        )
    ]


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
    decision = _decision_statement(event)
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
        statements=_verification_statements(event),
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
    if not authors(user, event):
        raise NotAllowed(_("只有执行检定/校准的实验室可以编制或签发其证书"))


def create_draft(event: CalibrationEvent, user, replaces: Certificate | None = None) -> Certificate:
    """Build the DCC from the event as a draft (an amendment when ``replaces`` is given)."""
    _require(user, event)
    if (
        replaces is None
        and Certificate.objects.filter(event=event)
        .exclude(status__in=[Certificate.Status.WITHDRAWN])
        .exists()
    ):
        raise WorkflowError(_("该检定/校准记录已有证书；请更正该证书"))
    number = _next_number(event)
    try:
        xml = build_dcc(record_for_event(event, number, user.get_username()))
    except DccError as exc:
        raise WorkflowError(
            _("该检定/校准记录无法表示为 DCC：%(error)s") % {"error": exc}
        ) from None
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
        raise WorkflowError(
            _("只有草稿可以提交核验（当前状态：%(status)s）")
            % {"status": _status_label(cert.status)}
        )
    cert.status = Certificate.Status.IN_REVIEW
    with transaction.atomic(), acting_as(user, "submitted for review"):
        cert.save()
    return cert


class SchemaMissing(WorkflowError):
    """Operator error: the XSD a certificate must be validated against is not installed."""


def _issuable(xml: bytes) -> dict:
    """The validation report of ``xml`` if it may be issued; else why not (WorkflowError).

    Only a certificate valid against the XSD of its own schemaVersion and D-SI is issued: a
    signature must never vouch for a document nobody checked. A missing XSD is the operator's
    to fix (logged with the places looked at); the message names the remedy, not server paths.
    """
    report = validate(xml)
    missing = [p for p in report.problems if p.kind == "schema-unavailable"]
    if missing:
        logger.error("certificate cannot be issued: %s", missing[0].message)
        # the remedy itself is the core's (no Django there): an operator's instructions
        raise SchemaMissing(
            _("证书无法签发：%(hint)s") % {"hint": install_hint(report.schema_version or "?")}
        )
    if not report.valid:
        shown = "; ".join(
            f"[{problem_kind(p.kind)}] {p.xpath}: {p.message}" for p in report.problems[:5]
        )
        more = len(report.problems) - 5
        if more > 0:
            shown += _("（另有 %(more)d 项）") % {"more": more}
        raise WorkflowError(
            _("证书不符合要求（XSD、D-SI 单位、语义），无法签发：%(problems)s")
            % {"problems": shown}
        )
    return report.to_dict()


def issue(cert: Certificate, reviewer) -> Certificate:
    """Second-person review: validate, sign with the lab's key, check the signature verifies for
    the lab, log the canonical hash, mark issued."""
    _require(reviewer, cert.event)
    if cert.status != Certificate.Status.IN_REVIEW:
        raise WorkflowError(
            _("只有待核验的证书可以签发（当前状态：%(status)s）")
            % {"status": _status_label(cert.status)}
        )
    if cert.prepared_by_id == reviewer.pk:
        raise WorkflowError(_("核验人必须是编制人以外的另一人"))
    validation = _issuable(cert.xml.encode())
    lab = cert.event.performed_by
    key, chain = signing_material(lab)
    signed = sign_dcc(cert.xml.encode(), key, chain)
    digest = canonical_hash(signed)
    # Issue only what the public page will call valid: a signature that does not verify, or a
    # certificate that does not name this laboratory, would be refused there.
    check = verify_dcc(signed, trust_anchors())
    reasons = check.integrity_problems + check.trust_problems
    if check.valid:
        reasons = [r for r in [entitlement_problem(check.signer_attributes, lab)] if r]
    if reasons:
        logger.error("signature of %s does not verify: %s", cert.number, "; ".join(reasons))
        raise SigningUnavailable(
            _("实验室的签名未通过验证，未签发任何证书：%(reason)s") % {"reason": reasons[0]}
        )
    with transaction.atomic(), acting_as(reviewer, "reviewed and issued"):
        cert.validation = validation
        cert.xml = signed.decode()
        cert.canonical_hash = digest
        cert.reviewed_by = reviewer
        cert.issued_at = timezone.now()
        cert.status = Certificate.Status.ISSUED
        # the signer certificate and the signature itself are logged with the hash: a later
        # re-signing (same content or edited, same key or not) is then a signature the log
        # does not hold
        cert.ledger_index = ledger.append_payload(
            ledger.signed_leaf_payload("certificate", cert.number, digest, signer_identity(signed))
        )
        cert.save()
        if cert.replaces_id:
            old = cert.replaces
            old.status = Certificate.Status.SUPERSEDED
            # the log, not the column, says the old version is superseded
            ledger.append_payload(
                ledger.leaf_payload(SUPERSEDED_KIND, old.number, old.canonical_hash)
            )
            old.save()
    return cert


def amend(cert: Certificate, user) -> Certificate:
    if cert.status != Certificate.Status.ISSUED:
        raise WorkflowError(_("只有已签发的证书可以更正"))
    pending = Certificate.objects.filter(replaces=cert).first()
    if pending is not None:  # one amendment at a time (it was an IntegrityError, a 500)
        raise WorkflowError(
            _("更正 %(number)s（%(status)s）已在进行中：请继续完成，或先将其撤回")
            % {"number": pending.number, "status": _status_label(pending.status)}
        )
    return create_draft(cert.event, user, replaces=cert)


def withdraw(cert: Certificate, user, reason: str) -> Certificate:
    _require(user, cert.event)
    if cert.status != Certificate.Status.ISSUED:
        raise WorkflowError(_("只有已签发的证书可以撤回"))
    if not reason.strip():
        raise WorkflowError(_("reason：请填写撤回原因"))
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


#: Statuses anyone may see; drafts and certificates in review exist only inside their lab.
PUBLIC_STATUSES = (
    Certificate.Status.ISSUED,
    Certificate.Status.SUPERSEDED,
    Certificate.Status.WITHDRAWN,
    Certificate.Status.EXTERNAL,
    Certificate.Status.UNVERIFIED,
)
_EXTERNAL = (Certificate.Status.EXTERNAL, Certificate.Status.UNVERIFIED)
# An absolute file-system path (two or more segments) not inside a URL or an XPath step.
_PATH = re.compile(r"(?<![\w:/.*@\]])/(?:[\w.+-]+/)+[\w.+-]*")


def public_certificates():
    """Certificates the public verification may find (never a draft or one in review)."""
    return Certificate.objects.filter(status__in=PUBLIC_STATUSES)


def entitlement_problem(attributes: dict[str, list[str]], org: Organisation) -> str | None:
    """Why a signer with certificate subject ``attributes`` may not sign for ``org`` (in the
    active language), or None.

    The platform's enrolment writes the laboratory's unified social credit code as
    organizationIdentifier (X.520 2.5.4.97) and its name as O. A code decides when present
    (``NTRCN-<code>`` in the ETSI EN 319 412-1 §5.1.4 form counts); without one the O must be
    the organisation's name. Anything else — another organisation's code, a test CA's O,
    a bare CN — is not entitled, however trusted the chain.
    """
    ids = attributes.get("organizationIdentifier", []) + attributes.get("serialNumber", [])
    if any(v == org.code or v.endswith(f"-{org.code}") for v in ids):
        return None
    names = {n for n in (org.name, org.name_en) if n}
    names |= {n[:64] for n in names}  # enrolment truncates O to X.520's 64 characters
    if not attributes.get("organizationIdentifier") and set(attributes.get("O", [])) & names:
        return None
    who = ", ".join(f"{k}={'/'.join(v)}" for k, v in attributes.items()) or _("未署名的签名人")
    return _(
        "签名人（%(who)s）无权代表 %(name)s（%(code)s）签名：其证书既未载明该统一社会信用代码，"
        "也未载明该机构名称"
    ) % {"who": who, "name": org.name, "code": org.code}


def _leaf_kind(cert: Certificate) -> str:
    return "certificate-external" if cert.status in _EXTERNAL else "certificate"


#: Leaf kinds of a certificate's life in the log (see :func:`log_status`).
ISSUE_KINDS = ("certificate", "certificate-external")
WITHDRAWAL_KIND = "certificate-withdrawal"
SUPERSEDED_KIND = "certificate-superseded"
#: The status column each status derived from the log must agree with.
_COLUMN_FOR = {
    "issued": (Certificate.Status.ISSUED,),
    "external": _EXTERNAL,
    "superseded": (Certificate.Status.SUPERSEDED,),
    "withdrawn": (Certificate.Status.WITHDRAWN,),
}


def signer_identity(xml: bytes) -> dict[str, str] | None:
    """What the log records of a DCC's signature: signer certificate serial (lower-case hex),
    SHA-256 of its DER and SHA-256 of the ``ds:SignatureValue`` (hex); None when unsigned.

    The same end-entity choice as ``verify_dcc`` (``core.dcc.sign._leaf``), so the serial is the
    one its report shows. The signature value is logged too because re-signing with the very
    same key and certificate gives another value (ECDSA and the XAdES signing time).
    """
    import hashlib

    from cryptography.hazmat.primitives import hashes

    from jiliang.core.dcc import parse_xml
    from jiliang.core.dcc.sign import DS, _embedded_certs, _leaf

    try:
        root = parse_xml(xml).getroot()
        sig = next(root.iter(f"{{{DS}}}Signature"), None)
        if sig is None:
            return None
        value = sig.find(f"{{{DS}}}SignatureValue")
        certs = _embedded_certs(sig)
    except (DccError, ValueError):
        return None
    if value is None or not certs:
        return None
    leaf = _leaf(certs)
    return {
        "signer-serial": format(leaf.serial_number, "x"),
        "signer-sha256": leaf.fingerprint(hashes.SHA256()).hex(),
        "signature-sha256": hashlib.sha256(
            "".join((value.text or "").split()).encode()
        ).hexdigest(),
    }


@dataclass
class LogStatus:
    """A certificate's public status as its log leaves say (never the mutable column).

    ``status``: issued / external / superseded / withdrawn, None when its issue leaf is not in
    the log. ``problems``: why the leaves do not vouch for the stored certificate, each a
    verdict reason in the UI language that names what failed (transparency log, signature,
    status).
    """

    status: str | None
    problems: list[str] = field(default_factory=list)
    logged_signer: dict[str, str] | None = None


def _issue_leaf_matches(
    log: Log, index: int | None, number: str, digest: str | None
) -> ledger.ParsedLeaf | None:
    """The parsed issue leaf at ``index`` if it logs ``number`` (and ``digest``), else None."""
    if index is None or not 0 <= index < log.size:
        return None
    leaf = ledger.parse_leaf(log.entry(index))
    if leaf is None or leaf.kind not in ISSUE_KINDS or leaf.record_id != number:
        return None
    if digest is not None and leaf.digest != digest:
        return None
    return leaf


def _leaf_status(log: Log, cert: Certificate, leaf: ledger.ParsedLeaf) -> str:
    """issued / external / withdrawn / superseded from the leaves after the issue ``leaf``."""
    if ledger.find_leaf(log, ledger.leaf_payload(WITHDRAWAL_KIND, cert.number, leaf.digest)):
        return "withdrawn"
    if ledger.find_leaf(log, ledger.leaf_payload(SUPERSEDED_KIND, cert.number, leaf.digest)):
        return "superseded"
    # amendments issued before superseded leaves existed: the replacement's issue leaf
    # (``replaced_by``: one-to-one, so at most one; loaded with ``cert`` by :func:`verify`)
    new = getattr(cert, "replaced_by", None)
    if (
        new is not None
        and new.ledger_index is not None
        and _issue_leaf_matches(log, new.ledger_index, new.number, new.canonical_hash)
    ):
        return "superseded"
    return "external" if leaf.kind == "certificate-external" else "issued"


def log_status(
    cert: Certificate,
    digest: str | None,
    xml: bytes | None = None,
    *,
    signer: dict[str, str] | EllipsisType | None = ...,
    log: Log | None = None,
) -> LogStatus:
    """Derive ``cert``'s status from its leaves: the issue leaf at its index, then a withdrawal
    or superseded leaf for the same number and hash, each found through the log's leaf-hash
    index (one lookup each, no scan). ``xml``: the signed DCC whose signature is compared with
    the logged signer (v2 leaves; v1 leaves logged no signer and are not compared); or
    ``signer``: that DCC's :func:`signer_identity`, already computed. ``log``: an open log to
    read (left open); without one it is opened and closed here.
    """
    if cert.ledger_index is None:
        return LogStatus(None, [_("透明日志：证书不在透明日志中")])
    own = log is None
    if log is None:
        log, _signer = ledger.ensure_log()
    try:
        leaf = _issue_leaf_matches(log, cert.ledger_index, cert.number, digest)
        if leaf is None:
            return LogStatus(None, [_("透明日志：内容的规范化哈希与透明日志中记录的不一致")])
        result = LogStatus(None)
        if leaf.version >= 2:
            result.logged_signer = dict(leaf.extras)
            if signer is ...:
                signer = signer_identity(xml) if xml is not None else None
            actual = signer
            if actual != leaf.extras:
                logged = leaf.extras.get("signer-serial", "?")
                shown = (actual or {}).get("signer-serial", _("无签名"))
                result.problems.append(
                    _(
                        "签名：此签名不是透明日志记录的签名（签发后被重新签名？）：日志记录的"
                        "签名人证书序列号为 %(logged)s，此签名的为 %(shown)s"
                    )
                    % {"logged": logged, "shown": shown}
                )
        result.status = _leaf_status(log, cert, leaf)
    finally:
        if own:
            log.close()
    if cert.status not in _COLUMN_FOR[result.status]:
        result.problems.append(
            _(
                "状态：状态栏记载为“%(column)s”，但证书的日志叶表明为“%(logged)s”：该记录在"
                "平台之外被修改过"
            )
            % {"column": _status_label(cert.status), "logged": _status_label(result.status)}
        )
    elif result.status == "external":
        # the log says "third-party, not withdrawn"; whether its signature was verified at
        # import (external / unverified) is re-checked from the signature on every request
        result.status = cert.status
    return result


def checked_checkpoint(inclusion: dict | None) -> dict | None:
    """The signed checkpoint a verification checked against: tree size, root hash (hex, and
    base64 as in the note) and its timestamp line if the checkpoint carries one."""
    from jiliang.core.ledger import LedgerError
    from jiliang.core.ledger.checkpoint import Checkpoint

    note = (inclusion or {}).get("checkpoint")
    if not note:
        return None
    try:
        body = Checkpoint.from_text(note.split("\n\n", 1)[0] + "\n")
    except (LedgerError, ValueError):
        return None
    import base64

    stamp = next(
        (e.split(" ", 1)[-1] for e in body.extensions if e.lower().startswith("timestamp")), None
    )
    return {
        "origin": body.origin,
        "size": body.size,
        "root_hash": body.root.hex(),
        "root_base64": base64.b64encode(body.root).decode(),
        "timestamp": stamp,
    }


def _scrub(text: str) -> str:
    """A message fit for the public: server file paths replaced."""
    return _PATH.sub("[…]", text)


def _public_schema(report: dict | None) -> dict | None:
    if report is None:
        return None
    problems = []
    for p in report.get("problems", []):
        message = p.get("message", "")
        if p.get("kind") == "schema-unavailable":
            message = _("本服务器未安装 DCC schemaVersion %(version)s 的 XSD，因此无法检查格式") % {
                "version": report.get("schema_version")
            }
        problems.append({**p, "message": _scrub(message)})
    return {**report, "problems": problems}


def _public_signature(report: dict | None) -> dict | None:
    if report is None:
        return None
    return {
        **report,
        "integrity_problems": [_scrub(p) for p in report.get("integrity_problems", [])],
        "trust_problems": [_scrub(p) for p in report.get("trust_problems", [])],
    }


@dataclass
class Verification:
    """What the public page shows about a certificate (stored, uploaded, or both).

    ``valid`` is the verdict: true only when every check holds (``reasons`` is empty).
    ``issuer`` is the organisation the certificate may be shown as issued by — None for an
    unverified external certificate, which shows only who registered it.
    """

    number: str | None
    certificate: Certificate | None
    schema: dict | None
    signature: dict | None
    canonical_hash: str | None
    current: bool | None
    inclusion: dict | None
    problems: list[str]
    valid: bool = False
    reasons: list[str] = field(default_factory=list)
    issuer: str | None = None
    registered_by: str | None = None
    replaced_by: str | None = None
    #: the status the log leaves give (None: not in the log), and the checkpoint checked
    log_status: str | None = None
    checkpoint: dict | None = None
    logged_signer: dict | None = None

    @property
    def status_label(self) -> str | None:
        """The status to show: the log's (translated), the column's only without a log status."""
        if self.certificate is None:
            return None
        if self.log_status is None:
            return self.certificate.get_status_display()
        return str(Certificate.Status(self.log_status).label)


def _reasons(
    cert: Certificate | None,
    digest: str | None,
    schema: dict | None,
    signature: dict | None,
    inclusion: dict | None,
    logged: LogStatus | None = None,
) -> list[str]:
    """Every reason the verdict is not "valid" (empty: valid); ``logged``: :func:`log_status`."""
    if cert is None:
        return [_("本平台未签发过具有此编号或内容的证书")]
    reasons = []
    org = cert.event.performed_by
    if cert.status == Certificate.Status.UNVERIFIED:
        reasons.append(
            _(
                "未核实的外部证书：由实验室登记，但没有受信任且有权代表其所称签发机构的签名人的"
                "有效签名"
            )
        )
    if not signature or not signature.get("valid"):
        reasons.append(_("签名：无效（完整性或信任检查未通过）"))
    elif signature.get("signed_hash") != digest:
        reasons.append(_("签名：签名未覆盖所显示的内容"))
    elif cert.status != Certificate.Status.UNVERIFIED:
        problem = entitlement_problem(signature.get("signer_attributes") or {}, org)
        if problem:
            reasons.append(_("签名人：%(problem)s") % {"problem": problem})
    if not schema or not schema.get("valid"):
        reasons.append(_("格式：不符合其 schemaVersion 的 XSD 与 D-SI"))
    if digest is None:
        reasons.append(_("规范化哈希：无法计算内容的哈希"))
    elif digest != cert.canonical_hash:
        reasons.append(_("规范化哈希：内容与本平台签发的证书不一致"))
    elif logged is not None:
        # each already says what failed (transparency log, signature, status)
        reasons.extend(logged.problems)
    if not inclusion or not inclusion.get("verified"):
        reasons.append(_("透明日志：没有经过验证的包含证明"))
    if logged is not None and logged.status is not None:
        if logged.status in ("superseded", "withdrawn"):
            reasons.append(
                _("状态：不是现行版本（%(status)s，依据透明日志）")
                % {"status": _status_label(logged.status)}
            )
        elif logged.status == Certificate.Status.UNVERIFIED:
            reasons.append(
                _("状态：不是现行版本（%(status)s）") % {"status": _status_label(logged.status)}
            )
    elif not cert.is_current:
        reasons.append(
            _("状态：不是现行版本（%(status)s）") % {"status": _status_label(cert.status)}
        )
    return reasons


@dataclass(frozen=True)
class ContentChecks:
    """What a DCC's bytes alone decide: schema report, signature report (both as dicts), its
    canonical hash (None: not hashable, ``digest_error`` says why) and the signer identity the
    log compares (:func:`signer_identity`)."""

    schema: dict
    signature: dict
    digest: str | None
    digest_error: str | None
    signer: dict[str, str] | None


#: Seconds a cached :class:`ContentChecks` is reused; also bounds how late a time-dependent
#: change the key does not capture (an XSD installed, the clock passing a validity date not
#: seen by the cap in :func:`content_checks`) shows.
CHECKS_TTL_S = 300.0
#: Cached content checks (about 10 kB each): enough for every certificate a busy page serves.
CHECKS_MAX = 1024
_checks: OrderedDict[tuple[str, str, str], tuple[float, ContentChecks]] = OrderedDict()
_checks_lock = threading.Lock()


def _compute_checks(xml: bytes) -> ContentChecks:
    schema = validate(xml).to_dict()
    signature = verify_dcc(xml, trust_anchors()).to_dict()
    try:
        digest, error = canonical_hash(xml), None
    except DccError as exc:
        digest, error = None, str(exc)
    return ContentChecks(schema, signature, digest, error, signer_identity(xml))


def _expiry(checks: ContentChecks, now: float) -> float:
    """When (epoch s) ``checks`` stop holding: the TTL, or sooner the signing certificate's
    notAfter (past it the signature is expired) or, before it, its notBefore."""
    import datetime as dt

    until = now + CHECKS_TTL_S
    for key in ("not_before", "not_after"):
        value = checks.signature.get(key)
        try:
            edge = dt.datetime.fromisoformat(value).timestamp() if value else None
        except ValueError:
            edge = None
        if edge is not None and edge > now:
            until = min(until, edge)
    return until


def content_checks(xml: bytes) -> ContentChecks:
    """Schema validation, XAdES signature verification and canonical hash of ``xml``, cached.

    Verifying a signature and validating against the XSD cost ~10 ms a request; the results
    depend only on the bytes, the trust anchors with their revocations, the installed schemas
    and the time. They are kept per SHA-256 of the exact bytes (so any change to a copy — a
    tampered value, a comment, a new signature — is checked afresh) and per trust state
    (:func:`pki.trust_state`: an added anchor or a revocation applies at once), for at most
    :data:`CHECKS_TTL_S` and never past the signer certificate's validity. What the log and
    the database say (status, withdrawal, the logged signer) is not cached: it is read on
    every request. Callers get copies, so nothing they do changes the cache.
    """
    import copy
    import hashlib
    import time

    from jiliang.core.dcc.schemas import default_schema_dirs

    key = (
        hashlib.sha256(xml).hexdigest(),
        pki.trust_state(),
        "\0".join(str(d) for d in default_schema_dirs()),
    )
    now = time.time()
    with _checks_lock:
        hit = _checks.get(key)
        if hit is not None and hit[0] > now:
            _checks.move_to_end(key)
            return copy.deepcopy(hit[1])
    checks = _compute_checks(xml)  # outside the lock: other requests go on meanwhile
    with _checks_lock:
        _checks[key] = (_expiry(checks, now), checks)
        _checks.move_to_end(key)
        while len(_checks) > CHECKS_MAX:
            _checks.popitem(last=False)
    return copy.deepcopy(checks)


def clear_content_checks() -> None:
    """Forget every cached :func:`content_checks` result (tests, after replacing schemas)."""
    with _checks_lock:
        _checks.clear()


def verify(xml: bytes | None = None, number: str | None = None) -> Verification:
    """Verify an uploaded DCC and/or a certificate number against the platform's records.

    Never raises for a hostile or broken file: every failure becomes a reason. Drafts and
    certificates in review are not found (as for an unknown number).
    """
    problems: list[str] = []
    public = public_certificates().select_related(
        "event__performed_by", "event__standard__owner", "replaced_by"
    )
    # a typed or scanned number is looked up NFKC-folded, invisible characters dropped: a
    # look-alike ("JD-1\u200b2") finds the real record rather than nothing (or a twin)
    cert = public.filter(number=certificate_lookup_key(number)).first() if number else None
    digest = schema = signature = None
    checks: ContentChecks | None = None
    if xml is not None:
        checks = content_checks(xml)
        schema, signature, digest = checks.schema, checks.signature, checks.digest
        if digest is None:
            problems.append(_("不是可读取的 DCC：%(error)s") % {"error": checks.digest_error})
        else:
            by_hash = public.filter(canonical_hash=digest).first()
            if number is None:
                try:
                    number = parse_dcc(xml).certificate_id
                except DccError:
                    number = None
            # the certificate the copy claims to be (the number given, else its own): a copy
            # that differs from it is reported as such, not as an unknown number
            named = cert or (
                public.filter(number=certificate_lookup_key(number)).first() if number else None
            )
            if by_hash is None and named is not None:
                # the very sentence of the page's copy-differs notice (one translation)
                problems.append(
                    _(
                        "编号为 %(number)s 的证书确实存在，但此副本与签发的版本不一致（已被篡改，"
                        "或不是签发的版本）。"
                    )
                    % {"number": named.number}
                )
            elif by_hash is None:
                problems.append(_("本平台未签发过具有此内容的证书"))
            elif cert is not None and by_hash.pk != cert.pk:
                problems.append(_("文件与所给编号不是同一份证书"))
            cert = cert or by_hash or named
    elif cert is not None:
        checks = content_checks(cert.xml.encode())
        schema, signature, digest = checks.schema, checks.signature, checks.digest
        if digest is None:
            problems.append(
                _("存储的证书不是可读取的 DCC：%(error)s") % {"error": checks.digest_error}
            )
    if number and cert is None:
        problems.append(_("没有编号为 %(number)s 的证书") % {"number": number})
    # one log handle kept by this thread for every read below (opening a log costs ~5 ms)
    log = ledger.reader() if cert is not None and cert.ledger_index is not None else None
    inclusion = ledger.inclusion(cert.ledger_index, log=log) if log is not None else None
    logged = None
    if cert is not None and digest is not None and digest == cert.canonical_hash:
        # ``checks`` is of the very bytes hashed to ``digest``: its signer is this signature's
        logged = log_status(cert, digest, signer=checks.signer if checks else None, log=log)
    reasons = _reasons(cert, digest, schema, signature, inclusion, logged)
    current = None
    if cert is not None:
        current = (
            logged.status in ("issued", "external") and not logged.problems and cert.is_current
            if logged is not None and logged.status is not None
            else cert.is_current
        )
    replacement = getattr(cert, "replaced_by", None) if cert else None
    unverified = cert is not None and cert.status == Certificate.Status.UNVERIFIED
    standard = cert.event.standard if cert and cert.event.standard_id else None
    return Verification(
        number=number,
        certificate=cert,
        schema=_public_schema(schema),
        signature=_public_signature(signature),
        canonical_hash=digest,
        current=current,
        inclusion=inclusion,
        problems=[_scrub(p) for p in problems],
        valid=not reasons,
        reasons=[_scrub(r) for r in reasons],
        issuer=cert.event.performed_by.name if cert and not unverified else None,
        registered_by=(
            standard.owner.name if unverified and standard and standard.owner_id else None
        ),
        replaced_by=(
            replacement.number
            if replacement is not None and replacement.status in PUBLIC_STATUSES
            else None
        ),
        log_status=logged.status if logged else None,
        checkpoint=checked_checkpoint(inclusion),
        logged_signer=logged.logged_signer if logged else None,
    )


# -- ledger hooks ----------------------------------------------------------------------------


def logged_leaf_count() -> int:
    issued = Certificate.objects.filter(ledger_index__isnull=False).count()
    withdrawn = Certificate.objects.filter(withdrawal_ledger_index__isnull=False).count()
    # each issued amendment also logged a superseded leaf for the version it replaces
    superseded = Certificate.objects.filter(
        replaces__isnull=False, ledger_index__isnull=False
    ).count()
    return issued + withdrawn + superseded


def audit_certificates() -> RecordAudit:
    """Recompute every logged certificate's canonical hash and compare with row and log."""
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
            leaf = _issue_leaf_matches(log, cert.ledger_index, cert.number, cert.canonical_hash)
            if leaf is None or leaf.kind != _leaf_kind(cert):
                report.add(
                    "LEAF_MISMATCH",
                    cert.pk,
                    "certificate hash differs from its logged leaf",
                    object=f"certificate:{cert.number}",
                )
                continue
            if leaf.version >= 2 and signer_identity(cert.xml.encode()) != leaf.extras:
                report.add(
                    "SIGNATURE_CHANGED",
                    cert.pk,
                    "the certificate's signature is not the one logged at issue (re-signed)",
                    object=f"certificate:{cert.number}",
                )
            logged = _leaf_status(log, cert, leaf)
            if cert.status not in _COLUMN_FOR[logged]:
                report.add(
                    "STATUS_MISMATCH",
                    cert.pk,
                    f"status column {cert.status}, the certificate's leaves say {logged}",
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
    certificate is stored verbatim with its canonical hash logged, so the traceability engine can
    cite it. Status ``external`` only when its signature verifies, chains to a trust anchor and
    the signer is entitled to sign for ``laboratory``; otherwise ``unverified`` — the public
    page then shows it as registered by the importing lab, never as ``laboratory``'s.
    """
    from jiliang.core.dcc import parse_xml
    from jiliang.core.units import UnitError, parse_dsi

    if not authors(user, standard):
        raise NotAllowed(_("只有计量标准的所有者可以登记其校准证书"))
    try:
        parse_xml(xml)
        parsed = parse_dcc(xml)
        digest = canonical_hash(xml)
    except DccError as exc:
        raise WorkflowError(_("file：不是可读取的 DCC：%(error)s") % {"error": exc}) from None
    try:
        parsed.certificate_id = normalise_certificate_no(parsed.certificate_id)
    except IdentifierError as exc:
        raise WorkflowError(_("file：证书编号：%(error)s") % {"error": exc}) from None
    if Certificate.objects.filter(number=parsed.certificate_id).exists():
        raise WorkflowError(_("证书 %(number)s 已登记") % {"number": parsed.certificate_id})
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
        raise WorkflowError(_("file：DCC 中没有 beginPerformanceDate"))
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
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise WorkflowError(
            _("该 DCC 不能构成有效的校准记录：%(errors)s") % {"errors": fields}
        ) from None
    check = verify_dcc(xml, trust_anchors())
    verified = (
        check.valid
        and check.signed_hash == digest
        and entitlement_problem(check.signer_attributes, laboratory) is None
    )
    status = Certificate.Status.EXTERNAL if verified else Certificate.Status.UNVERIFIED
    with transaction.atomic(), acting_as(user, f"third-party DCC imported ({status})"):
        event.save()
        cert = Certificate(
            number=parsed.certificate_id,
            event=event,
            status=status,
            xml=xml.decode("utf-8"),
            canonical_hash=digest,
            prepared_by=user,
            validation=validate(xml).to_dict(),
        )
        # a signed import logs its signer too (unsigned: the v1 leaf, nothing to compare)
        cert.ledger_index = ledger.append_payload(
            ledger.signed_leaf_payload(
                "certificate-external", cert.number, digest, signer_identity(xml)
            )
        )
        cert.save()
    return cert
