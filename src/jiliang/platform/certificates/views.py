"""Certificate pages: the event panel, a certificate's page with its workflow, downloads, and the
public verification page (no login) that the QR code on every certificate points to."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jiliang.core.dcc.errors import RenderError
from jiliang.core.dcc.render import render_pdf
from jiliang.platform.common.uploads import UploadTooLarge, check_upload
from jiliang.platform.public_cache import cacheable
from jiliang.platform.registry.authority import authors
from jiliang.platform.registry.models import CalibrationEvent
from jiliang.platform.registry.permissions import readable

from . import services
from .models import Certificate
from .results import certificate_results


def event_certificates_panel(request: HttpRequest, obj) -> str | None:
    if not isinstance(obj, CalibrationEvent):
        return None
    certs = readable(request.user, Certificate).filter(event=obj).order_by("id")
    return render_to_string(
        "certificates/event_panel.html",
        {
            "certificates": certs,
            "event": obj,
            "can_draft": authors(request.user, obj)
            and not certs.exclude(status=Certificate.Status.WITHDRAWN).exists(),
        },
        request=request,
    )


def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cert = get_object_or_404(readable(request.user, Certificate).select_related("event"), pk=pk)
    check = services.verify(number=cert.number) if cert.canonical_hash else None
    return render(
        request,
        "certificates/detail.html",
        {
            "cert": cert,
            "check": check,
            "can_act": authors(request.user, cert.event),
            # from the certificate's own DCC (signed once issued), not from the event's row
            "results": certificate_results(cert.xml, cert.event.kind),
        },
    )


@login_required
@require_POST
def draft(request: HttpRequest, event_pk: int) -> HttpResponse:
    event = get_object_or_404(readable(request.user, CalibrationEvent), pk=event_pk)
    try:
        cert = services.create_draft(event, request.user)
    except services.WorkflowError as exc:
        raise PermissionDenied(str(exc)) from None
    return redirect("certificates:detail", pk=cert.pk)


@login_required
@require_POST
def action(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    cert = get_object_or_404(readable(request.user, Certificate), pk=pk)
    steps = {
        "submit": lambda: services.submit(cert, request.user),
        "issue": lambda: services.issue(cert, request.user),
        "amend": lambda: services.amend(cert, request.user),
        "withdraw": lambda: services.withdraw(cert, request.user, request.POST.get("reason", "")),
    }
    if step not in steps:
        raise PermissionDenied(step)
    try:
        result = steps[step]()
    except services.WorkflowError as exc:
        return render(
            request,
            "certificates/detail.html",
            {
                "cert": cert,
                "error": str(exc),
                "can_act": True,
                "results": certificate_results(cert.xml, cert.event.kind),
            },
            status=409,
        )
    return redirect("certificates:detail", pk=result.pk)


def download_xml(request: HttpRequest, pk: int) -> HttpResponse:
    cert = get_object_or_404(readable(request.user, Certificate), pk=pk)
    response = HttpResponse(cert.xml.encode(), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{cert.number}.xml"'
    return response


def download_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    cert = get_object_or_404(readable(request.user, Certificate), pk=pk)
    from django.conf import settings

    try:
        pdf = render_pdf(
            cert.xml.encode(),
            url_base=settings.PUBLIC_URL,
            # not issued yet: every page is marked, so a draft is never taken for a certificate
            draft=cert.status in (Certificate.Status.DRAFT, Certificate.Status.IN_REVIEW),
            default_kind=cert.event.kind,
        )
    except RenderError:
        # no CJK font on this server: a configuration fault, temporary from the user's side
        # (503 with a page that says so and links the XML), not a crash
        return render(
            request, "certificates/pdf_unavailable.html", {"certificate": cert}, status=503
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.number}.pdf"'
    return response


# CSRF-exempt: checking a certificate changes nothing, and a page without a per-visitor token is
# one page for every anonymous visitor, which the public cache can answer (public_cache.py).
@csrf_exempt
@cacheable
def public_verify(request: HttpRequest, number: str | None = None) -> HttpResponse:
    """No login: enter a number, follow the QR code, or upload a DCC XML file."""
    number = number or request.GET.get("number") or request.POST.get("number") or None
    upload = request.FILES.get("file")
    result = error = results = results_warning = None
    copy_differs = False
    try:
        check_upload(upload)
    except UploadTooLarge as exc:
        error = exc.message
    if error is not None:
        pass
    elif upload is not None or number:
        data = upload.read() if upload else None
        result = services.verify(xml=data, number=number)
        if result.certificate is not None:
            # the results of what was verified: the presented copy, else the stored certificate
            shown = data if data is not None else result.certificate.xml
            results = certificate_results(shown, result.certificate.event.kind)
            if not result.valid:
                results_warning = _("此证书未通过核验：以下结果不可信赖。")
            # a certificate of that number exists here, but the presented copy is not it
            copy_differs = data is not None and (
                result.canonical_hash is None
                or result.canonical_hash != result.certificate.canonical_hash
            )
    # An unknown number and a draft's number get the same 404: drafts stay inside their lab.
    not_found = result is not None and upload is None and result.certificate is None
    return render(
        request,
        "certificates/verify.html",
        {
            "result": result,
            "error": error,
            "number": number or "",
            "results": results,
            "results_warning": results_warning,
            "copy_differs": copy_differs,
        },
        status=400 if error else 404 if not_found else 200,
    )
