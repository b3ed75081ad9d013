"""Certificates API: the workflow, downloads, and public verification (no login)."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from jiliang.platform.common.requests import current_user
from jiliang.platform.common.uploads import check_upload
from jiliang.platform.params import Limit, Offset
from jiliang.platform.registry.models import CalibrationEvent
from jiliang.platform.registry.permissions import readable

from . import services
from .models import Certificate

router = Router(tags=["certificates"])


class CertificateOut(Schema):
    id: int
    number: str
    event: str
    status: str
    replaces: str | None
    canonical_hash: str
    ledger_index: int | None
    valid_schema: bool | None


class DraftIn(Schema):
    event: str  # certificate number of the calibration event


class WithdrawIn(Schema):
    reason: str


def _out(cert: Certificate) -> dict:
    return {
        "id": cert.pk,
        "number": cert.number,
        "event": cert.event.certificate_no,
        "status": cert.status,
        "replaces": cert.replaces.number if cert.replaces_id else None,
        "canonical_hash": cert.canonical_hash,
        "ledger_index": cert.ledger_index,
        "valid_schema": (cert.validation or {}).get("valid"),
    }


def _get(request, pk: int) -> Certificate:
    cert = (
        readable(current_user(request), Certificate).select_related("event").filter(pk=pk).first()
    )
    if cert is None:
        raise HttpError(404, _("未找到证书 %(pk)s") % {"pk": pk})
    return cert


def _step(fn, *args):
    try:
        return _out(fn(*args))
    except services.NotAllowed as exc:
        raise HttpError(403, str(exc)) from None
    except services.WorkflowError as exc:
        raise HttpError(409, str(exc)) from None


@router.get("", response=list[CertificateOut])
def list_certificates(
    request: HttpRequest, status: str | None = None, limit: Limit = 50, offset: Offset = 0
):
    qs = readable(current_user(request), Certificate).select_related("event", "replaces")
    if status:
        qs = qs.filter(status=status)
    return [_out(c) for c in qs[offset : offset + limit]]


@router.post("/drafts", response={201: CertificateOut})
def create_draft(request: HttpRequest, payload: DraftIn):
    user = current_user(request)
    event = readable(user, CalibrationEvent).filter(certificate_no=payload.event).first()
    if event is None:
        raise HttpError(422, _("event：未知的检定/校准记录“%(event)s”") % {"event": payload.event})
    return Status(201, _step(services.create_draft, event, user))


@router.post("/{pk}/submit", response=CertificateOut)
def submit(request: HttpRequest, pk: int):
    return _step(services.submit, _get(request, pk), current_user(request))


@router.post("/{pk}/issue", response=CertificateOut)
def issue(request: HttpRequest, pk: int):
    return _step(services.issue, _get(request, pk), current_user(request))


@router.post("/{pk}/amend", response={201: CertificateOut})
def amend(request: HttpRequest, pk: int):
    return Status(201, _step(services.amend, _get(request, pk), current_user(request)))


@router.post("/{pk}/withdraw", response=CertificateOut)
def withdraw(request: HttpRequest, pk: int, payload: WithdrawIn):
    return _step(services.withdraw, _get(request, pk), current_user(request), payload.reason)


@router.post(
    "/import",
    response={201: CertificateOut},
    summary="Register a third-party DCC as the calibration of one of your standards",
)
def import_external(
    request: HttpRequest, file: File[UploadedFile], standard: Form[str], laboratory: Form[str]
):
    from jiliang.platform.registry.models import MeasurementStandard, Organisation

    user = current_user(request)
    check_upload(file)
    std = readable(user, MeasurementStandard).filter(code=standard).first()
    if std is None:
        raise HttpError(422, _("standard：未知的计量标准“%(code)s”") % {"code": standard})
    lab = Organisation.objects.filter(code=laboratory).first()
    if lab is None:
        raise HttpError(422, _("laboratory：未知的机构“%(code)s”") % {"code": laboratory})
    return Status(201, _step(services.import_external, file.read(), std, lab, user))


def _verification(result: services.Verification) -> dict:
    """The public verdict: ``valid`` only when every check holds, else ``reasons`` say why."""
    cert = result.certificate
    return {
        "number": result.number,
        "valid": result.valid,
        "reasons": result.reasons,
        "found": cert is not None,
        # the status the log leaves give; the column's only when the log holds no status
        "status": (result.log_status or cert.status) if cert else None,
        "recorded_status": cert.status if cert else None,
        "current": result.current,
        "replaced_by": result.replaced_by,
        # None for an unverified external certificate: never shown as the issuer it names
        "issued_by": result.issuer,
        "registered_by": result.registered_by,
        "canonical_hash": result.canonical_hash,
        "schema": result.schema,
        "signature": result.signature,
        "inclusion": result.inclusion,
        "checkpoint": result.checkpoint,
        "logged_signer": result.logged_signer,
        "problems": result.problems,
    }


@router.get("/verify/{number}", auth=None, summary="Public: verify a certificate by number")
def verify_number(request: HttpRequest, number: str):
    result = services.verify(number=number)
    if result.certificate is None:  # unknown, or a draft: the same answer, so no draft leaks
        raise HttpError(404, _("没有编号为 %(number)s 的证书") % {"number": number})
    return _verification(result)


@router.post("/verify", auth=None, summary="Public: verify an uploaded DCC XML file")
def verify_upload(request: HttpRequest, file: File[UploadedFile], number: Form[str | None] = None):
    check_upload(file)
    return _verification(services.verify(xml=file.read(), number=number))


@router.get("/{pk}", response=CertificateOut)
def get_certificate(request: HttpRequest, pk: int):
    return _out(_get(request, pk))


@router.get("/{pk}/xml")
def get_xml(request: HttpRequest, pk: int):
    return HttpResponse(_get(request, pk).xml.encode(), content_type="application/xml")
