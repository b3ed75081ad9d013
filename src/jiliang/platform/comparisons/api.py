"""Comparisons API (计量比对/能力验证): the campaign life cycle, sealed results, scores, flags.

Lists answer ``{count, limit, offset, items}`` like the registry. Refusals are 403 naming the
field, bad input 422 naming the field, a step out of order 409 naming ``status``; campaigns a
user may not read are 404. Until close every result is sealed: only its commitment digest is
returned (a participant also sees its own value).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import page as _page
from jiliang.platform.common.requests import change_reason, current_user
from jiliang.platform.common.uploads import check_upload
from jiliang.platform.params import Limit, Offset, SaneDate
from jiliang.platform.registry.models import Organisation
from jiliang.platform.registry.permissions import readable

from . import services
from .access import campaigns_for, record_of, submission_view
from .models import Campaign, Flag, Score, Submission

router = Router(tags=["comparisons"])


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class CampaignIn(_Strict):
    code: str = Field(..., min_length=1, max_length=40)
    title: str = Field(..., min_length=1, max_length=200)
    kind: str = "pt"
    pilot: str = Field(..., description="credit code of the pilot institution")
    measurand: str = Field(..., min_length=1, max_length=200)
    unit: str = Field(..., description=r"D-SI unit, e.g. \milli\gram\kilogram\tothe{-1}")
    artefact: str = ""
    protocol_document: str = ""
    deadline: dt.datetime
    assigned_source: str = "consensus"
    assigned_value: float | None = None
    assigned_uncertainty: float | None = Field(None, description="standard uncertainty u(x_pt)")
    sigma_source: str = "robust_sd"
    sigma_pt: float | None = None
    score: str = "z"
    fallback: str = "lcs"


class CampaignOut(Schema):
    code: str
    title: str
    kind: str
    pilot: str
    measurand: str
    unit: str
    artefact: str
    protocol_document: str
    deadline: dt.datetime
    status: str
    assigned_source: str
    sigma_source: str
    score: str
    participants: list[str]
    reference_value: float | None
    reference_uncertainty: float | None
    analysis: dict[str, Any] | None


class InviteIn(_Strict):
    organisation: str = Field(..., description="credit code")


class ResultIn(_Strict):
    value: float
    expanded_uncertainty: float = Field(..., description="expanded uncertainty U, in unit")
    k: float = 2.0
    unit: str | None = Field(None, description="D-SI unit (default: the campaign's)")


class SubmissionOut(Schema):
    participant: str
    organisation: str
    digest: str
    submitted_at: dt.datetime
    sealed: bool
    value: float | None
    expanded_uncertainty: float | None
    k: float | None
    unit: str | None
    salt: str | None = None


class ScoreOut(Schema):
    participant: str
    x: float
    expanded_uncertainty: float
    z: float | None
    z_class: str
    z_prime: float | None
    z_prime_class: str
    zeta: float | None
    zeta_class: str
    en: float | None
    en_class: str
    d: float | None
    U_d: float | None
    included: bool
    performance: str


class FlagOut(Schema):
    id: int
    campaign: str
    organisation: str
    region: str
    reason: str
    created_at: dt.datetime


class CirculationIn(_Strict):
    holder: str
    received_on: SaneDate
    shipped_on: SaneDate | None = None
    note: str = Field("", max_length=300)


def _campaign(request: HttpRequest, code: str) -> Campaign:
    c = campaigns_for(current_user(request)).select_related("pilot").filter(code=code).first()
    if c is None:
        raise HttpError(404, f"campaign {code} not found")
    return c


def _org(code: str, field: str) -> Organisation:
    org = Organisation.objects.filter(code=code).select_related("region").first()
    if org is None:
        raise FieldErrors({field: [f"{field}: unknown organisation {code!r}"]})
    return org


def _participant_codes(c: Campaign) -> list[str]:
    """Participants' credit codes: from the list's prefetch, else one query."""
    if "participants" in getattr(c, "_prefetched_objects_cache", {}):
        return [p.organisation.code for p in c.participants.all()]
    return list(c.participants.order_by("id").values_list("organisation__code", flat=True))


def _out(c: Campaign) -> dict[str, Any]:
    return {
        "code": c.code,
        "title": c.title,
        "kind": c.kind,
        "pilot": c.pilot.code,
        "measurand": c.measurand,
        "unit": c.unit,
        "artefact": c.artefact,
        "protocol_document": c.protocol_document,
        "deadline": c.deadline,
        "status": c.status,
        "assigned_source": c.assigned_source,
        "sigma_source": c.sigma_source,
        "score": c.score,
        "participants": _participant_codes(c),
        "reference_value": c.reference_value,
        "reference_uncertainty": c.reference_uncertainty,
        "analysis": c.analysis,
    }


def _step(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except services.WorkflowError as exc:
        raise HttpError(409, str(exc)) from None


def _score_out(s: Score) -> dict[str, Any]:
    return {
        "participant": s.participant.organisation.code,
        **{
            f: getattr(s, f)
            for f in (
                "x",
                "expanded_uncertainty",
                "z",
                "z_class",
                "z_prime",
                "z_prime_class",
                "zeta",
                "zeta_class",
                "en",
                "en_class",
                "d",
                "U_d",
                "included",
                "performance",
            )
        },
    }


def _flag_out(f: Flag) -> dict[str, Any]:
    return {
        "id": f.pk,
        "campaign": f.campaign.code,
        "organisation": f.organisation.code,
        "region": f.organisation.region.code,
        "reason": f.reason,
        "created_at": f.created_at,
    }


class CampaignPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CampaignOut]


class FlagPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[FlagOut]


@router.get("/campaigns", response=CampaignPage)
def list_campaigns(
    request: HttpRequest, status: str | None = None, limit: Limit = 50, offset: Offset = 0
):
    qs = (
        campaigns_for(current_user(request))
        .select_related("pilot")
        .prefetch_related("participants__organisation")
    )
    if status:
        qs = qs.filter(status=status)
    return _page(qs, limit, offset, _out)


@router.post("/campaigns", response={201: CampaignOut})
def create_campaign(request: HttpRequest, payload: CampaignIn):
    data = payload.dict()
    data["pilot"] = _org(data["pilot"], "pilot")
    c = services.create_campaign(current_user(request), change_reason(request), **data)
    return Status(201, _out(c))


@router.get("/campaigns/{code}", response=CampaignOut)
def get_campaign(request: HttpRequest, code: str):
    return _out(_campaign(request, code))


@router.post("/campaigns/{code}/participants", response={201: CampaignOut})
def invite(request: HttpRequest, code: str, payload: InviteIn):
    c = _campaign(request, code)
    _step(services.invite, current_user(request), c, _org(payload.organisation, "organisation"))
    return Status(201, _out(c))


@router.post("/campaigns/{code}/open", response=CampaignOut)
def open_campaign(request: HttpRequest, code: str):
    return _out(_step(services.open_campaign, current_user(request), _campaign(request, code)))


@router.post("/campaigns/{code}/submissions", response={201: SubmissionOut})
def submit(request: HttpRequest, code: str, payload: ResultIn):
    c = _campaign(request, code)
    user = current_user(request)
    sub = _step(
        services.submit,
        user,
        c,
        payload.value,
        payload.expanded_uncertainty,
        payload.k,
        payload.unit,
        change_reason(request),
    )
    return Status(201, submission_view(user, c, sub))


@router.get("/campaigns/{code}/submissions", response=list[SubmissionOut])
def list_submissions(request: HttpRequest, code: str):
    c = _campaign(request, code)
    user = current_user(request)
    subs = Submission.objects.filter(participant__campaign=c).select_related(
        "participant__organisation", "reveal"
    )
    return [submission_view(user, c, s) for s in subs]


@router.post("/campaigns/{code}/close", response=CampaignOut)
def close(request: HttpRequest, code: str):
    return _out(
        _step(
            services.close, current_user(request), _campaign(request, code), change_reason(request)
        )
    )


@router.post("/campaigns/{code}/analyse", response=CampaignOut)
def analyse(request: HttpRequest, code: str):
    c = _campaign(request, code)
    return _out(_step(services.analyse, current_user(request), c, change_reason(request)))


@router.post("/campaigns/{code}/report", response=CampaignOut)
def report(request: HttpRequest, code: str):
    return _out(
        _step(
            services.report, current_user(request), _campaign(request, code), change_reason(request)
        )
    )


@router.get("/campaigns/{code}/scores", response=list[ScoreOut])
def scores(request: HttpRequest, code: str):
    c = _campaign(request, code)
    return [_score_out(s) for s in c.scores.select_related("participant__organisation")]


@router.get("/campaigns/{code}/report.pdf")
def report_pdf(request: HttpRequest, code: str):
    """The comparison report (比对报告) as a PDF in the request's language (zh or en): details,
    method, reference value with u, scores / degrees of equivalence, chart, commitments and
    their log leaves. Read like the scores; 409 naming ``status`` before the analysis."""
    from django.http import HttpResponse
    from django.utils import translation

    from . import report as reports

    c = _campaign(request, code)
    if c.status not in (Campaign.Status.ANALYSED, Campaign.Status.REPORTED):
        raise HttpError(
            409, f"status: campaign {c.code} is {c.status}; the report needs analysed or reported"
        )
    with translation.override(translation.get_language_from_request(request)):
        body = reports.to_pdf(c)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="comparison-report-{c.pk}.pdf"'
    return response


@router.post("/campaigns/{code}/circulation", response={201: dict})
def circulation(request: HttpRequest, code: str, payload: CirculationIn):
    c = _campaign(request, code)
    rec = services.record_circulation(
        current_user(request),
        c,
        _org(payload.holder, "holder"),
        payload.received_on,
        payload.shipped_on,
        payload.note,
        change_reason(request),
    )
    return Status(
        201,
        {
            "holder": rec.holder.code,
            "received_on": rec.received_on.isoformat(),
            "shipped_on": rec.shipped_on.isoformat() if rec.shipped_on else None,
            "note": rec.note,
        },
    )


@router.get("/flags", response=FlagPage)
def list_flags(request: HttpRequest, limit: Limit = 50, offset: Offset = 0):
    """Unsatisfactory results: a regulator sees its area's, a lab its own."""
    qs = readable(current_user(request), Flag).select_related("campaign", "organisation__region")
    return _page(qs, limit, offset, _flag_out)


@router.get("/organisations/{code}/record")
def organisation_record(request: HttpRequest, code: str):
    """A lab's comparison record: unsatisfactory flags and satisfactory results as evidence."""
    user = current_user(request)
    org = readable(user, Organisation).filter(code=code).first()
    if org is None:
        raise HttpError(404, f"organisation {code} not found")
    rec = record_of(user, org)
    return {
        "organisation": org.code,
        "participations": rec["participations"],
        "flags": [_flag_out(f) for f in rec["flags"]],
        "evidence": rec["evidence"],
    }


#: largest results file accepted by the import
MAX_IMPORT = 1024 * 1024
#: most result rows one import may hold
MAX_IMPORT_ROWS = 1000
IMPORT_COLUMNS = ("campaign", "value", "expanded_uncertainty", "k", "unit")


def _row_errors(n: int, exc: Exception) -> list[str]:
    if isinstance(exc, FieldErrors):
        return [f"row {n}: {msg}" for msgs in exc.errors.values() for msg in msgs]
    if isinstance(exc, services.Denied):
        return [f"row {n}: {k}: {v}" for k, v in exc.errors.items()]
    return [f"row {n}: {exc}"]


@router.post("/import", response={201: list[SubmissionOut]})
def import_results(request: HttpRequest, file: File[UploadedFile]):
    """Import the caller's organisation's results from a CSV spreadsheet (UTF-8, header row).

    Columns ``campaign,value,expanded_uncertainty,k,unit`` (``k`` default 2, ``unit`` default the
    campaign's): each row is the caller's organisation's result in that campaign, submitted with
    exactly the rights and checks of ``POST campaigns/{code}/submissions``. Every row is checked;
    if any fails, the answer is a 422 listing each bad row (``row N: field: message``) and
    nothing is written.
    """
    user = current_user(request)
    check_upload(file, limit=MAX_IMPORT)
    try:
        text = file.read(MAX_IMPORT + 1).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldErrors({"file": ["file: not UTF-8 text"]}) from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise FieldErrors({"file": [f"row 1: file: {exc}"]}) from None
    missing = [c for c in ("campaign", "value", "expanded_uncertainty") if c not in header]
    unknown = [h for h in header if h not in IMPORT_COLUMNS]
    if missing or unknown:
        raise FieldErrors(
            {
                "file": [
                    f"file: header must be {','.join(IMPORT_COLUMNS)}"
                    + (f"; missing {', '.join(missing)}" if missing else "")
                    + (f"; unknown {', '.join(unknown)}" if unknown else "")
                ]
            }
        )
    reader.fieldnames = header
    errors: list[str] = []
    out: list[dict[str, Any]] = []
    readable_campaigns = campaigns_for(user)
    with transaction.atomic():
        rows = enumerate(reader, start=2)
        n = 1
        while True:
            try:
                n, row = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:  # a field over the csv module's limit, a NUL byte, …
                errors.append(f"row {n + 1}: file: {exc}")
                break
            if n - 1 > MAX_IMPORT_ROWS:
                errors.append(f"row {n}: file: more than {MAX_IMPORT_ROWS} result rows")
                break
            code = (row.get("campaign") or "").strip()
            campaign = readable_campaigns.filter(code=code).first()
            if campaign is None:
                errors.append(f"row {n}: campaign: unknown campaign {code!r}")
                continue
            try:
                sub = services.submit(
                    user,
                    campaign,
                    (row.get("value") or "").strip() or None,
                    (row.get("expanded_uncertainty") or "").strip() or None,
                    (row.get("k") or "").strip() or 2.0,
                    (row.get("unit") or "").strip() or None,
                    "result imported",
                )
            except (FieldErrors, services.Denied, services.WorkflowError) as exc:
                errors += _row_errors(n, exc)
                continue
            out.append(submission_view(user, campaign, sub))
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise FieldErrors({"file": errors})
    if not out:
        raise FieldErrors({"file": ["file: no result rows"]})
    return Status(201, out)
