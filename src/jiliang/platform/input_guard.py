"""Request guard: input no database can store is refused before any view sees it."""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpRequest, JsonResponse

#: JSON bodies larger than this are not scanned here (uploads have their own limits)
SCAN_LIMIT = 2 * 1024 * 1024
_NUL_JSON = b"\\u0000"


class RejectNulMiddleware:
    """400 for a NUL character (U+0000) in the path, the query or a JSON body.

    PostgreSQL text cannot hold NUL: a filter or field carrying one raised a database error (a
    500, and an aborted transaction) where SQLite stored it silently. Nothing a user means to
    send contains one, so it is refused for every endpoint alike, naming where it was.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        where = self._nul(request)
        if where is not None:
            return JsonResponse(
                {"detail": [{"loc": [where], "msg": "NUL characters (U+0000) are not accepted"}]},
                status=400,
            )
        return self.get_response(request)

    @staticmethod
    def _nul(request: HttpRequest) -> str | None:
        if "\x00" in request.path or "%00" in request.META.get("PATH_INFO", ""):
            return "path"
        if "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return "query"
        if request.content_type == "application/json":
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if 0 < length <= SCAN_LIMIT and _NUL_JSON in request.body:
                return "body"
        form = request.method == "POST" and request.content_type in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }
        if form and any("\x00" in v for _name, values in request.POST.lists() for v in values):
            return "body"
        return None
