"""Error responses: styled, translated pages for people, JSON for the API.

Wired in ``urls.py`` (``handler400/403/404/500``) and ``settings.CSRF_FAILURE_VIEW``. A page
says what happened in the reader's language and links home; it never shows the exception text
of a 404 (model names, lookups) or anything of a 500/400 (tracebacks, settings), and a CSRF
failure gets a plain explanation instead of Django's internal reason. A 403 shows the refusal
reason the view gave (``PermissionDenied(_("您无权修改此记录"))``: written for the user).
Under ``/api/`` every error is ``{"detail": …}`` JSON, as the API's own errors are.

400 and 500 pages are rendered without the request's context processors: a failing database
must not fail the error page too (the menu and role need queries).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

#: how much of a refusal reason a 403 page shows (the rest is cut: a reason is a sentence)
REASON_MAX = 300


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _json(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _bare(template: str, status: int) -> HttpResponse:
    return HttpResponse(loader.render_to_string(template, {"bare": True}), status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """400 (also a ``SuspiciousOperation`` such as a disallowed host): nothing of the cause."""
    if _is_api(request):
        return _json(400, "Bad Request")
    return _bare("400.html", 400)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """403 with the view's refusal reason, if it gave one."""
    if _is_api(request):
        return _json(403, "Forbidden")
    reason = str(exception) if exception is not None and exception.args else ""
    if len(reason) > REASON_MAX:
        reason = reason[: REASON_MAX - 1] + "…"
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404: the same page whether the record does not exist or is out of the reader's scope."""
    if _is_api(request):
        return _json(404, "Not Found")
    return render(request, "404.html", {}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: no detail at all (the log has it)."""
    if _is_api(request):
        return _json(500, "Internal Server Error")
    return _bare("500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 for a failed CSRF check (an expired form, cookies blocked): what to do, not why."""
    if _is_api(request):
        return _json(403, "CSRF check failed")
    message = _("表单已过期或浏览器未发送安全令牌（Cookie）。请返回、刷新页面后重试。")
    return render(request, "403.html", {"reason": message, "csrf": True}, status=403)
