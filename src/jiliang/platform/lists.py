"""What every HTML list page shares: pagination, CSV/XLSX export and the definition of its count.

A list view builds its rows (a queryset already scoped by :func:`registry.permissions.readable`,
or a list), then::

    columns = (Column(gettext_lazy("名称"), lambda o: o.name), ...)
    if (resp := export_response(request, rows, columns, "instruments")) is not None:
        return resp                                    # ?format=csv / ?format=xlsx: every row
    listing = paginate(request, rows)                  # ?page=: 50 a page
    render(..., {"listing": listing, ...})             # {% include "lists/_pager.html" %}

The export takes **all** rows that match the page's filters (never just the page) from the same
scoped rows, so a user exports exactly what they could page through. Cells are the values as
displayed (choice labels, names), dates ISO 8601, and text that a spreadsheet would run as a
formula (``= + - @``, tab, CR first) is prefixed with ``'``.

A page with two lists (e.g. overdue and due soon) names them: ``paginate(..., name="soon")``
pages with ``?soon_page=`` and exports with ``?list=soon&format=csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape as _escape
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise, cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

#: rows on one page of every HTML list
PAGE_SIZE = 50
#: rows read from the database at a time while exporting (bounded memory for 10⁶ rows)
CHUNK = 2000
FORMATS = ("csv", "xlsx")
#: first characters that make Excel/LibreOffice evaluate a cell (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """One exported column: a (translated) header and how to get the displayed value of a row."""

    header: str | Promise
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Listing:
    """One page of a list and the links around it (what ``lists/_pager.html`` renders)."""

    page: Page
    #: the query string of the other filters (no page, no format): kept by every link
    querystring: str
    page_param: str
    #: what the count means, shown next to it ("" when the filters say it all)
    definition: str | Promise = ""
    name: str = ""

    @property
    def count(self) -> int:
        return self.page.paginator.count

    def _url(self, **extra: str) -> str:
        parts = [self.querystring] if self.querystring else []
        parts += [f"{k}={v}" for k, v in extra.items()]
        return "?" + "&".join(parts)

    def page_url(self, number: int) -> str:
        return self._url(**{self.page_param: str(number)})

    @property
    def previous_url(self) -> str:
        return self.page_url(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self.page_url(self.page.next_page_number()) if self.page.has_next() else ""

    @property
    def first_url(self) -> str:
        return self.page_url(1)

    @property
    def last_url(self) -> str:
        return self.page_url(self.page.paginator.num_pages)

    def export_url(self, fmt: str) -> str:
        extra = {"format": fmt}
        if self.name:
            extra["list"] = self.name
        return self._url(**extra)

    @property
    def csv_url(self) -> str:
        return self.export_url("csv")

    @property
    def xlsx_url(self) -> str:
        return self.export_url("xlsx")


def escape_cell(value: Any) -> str:
    """``value`` as HTML text: escaped (``& < > " '``) unless it is already safe HTML.

    The same result as :func:`django.utils.html.conditional_escape` (lazy translations are
    resolved first, ``__html__`` is trusted, the rest goes through ``html.escape``), as a plain
    function: Django's ``escape`` is wrapped by ``keep_lazy``, which inspects every argument,
    and a list page escapes ~400 cells.
    """
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape(str(value))


def table_body(
    rows: Iterable[tuple[str | None, Sequence[Any]]], *, columns: int, empty: str
) -> SafeString:
    """The ``<tr>`` rows of a list table, each ``(link or None, cells)``; the first cell links.

    Built in Python rather than by a template loop: a page is 50 rows × ~7 cells, and the
    template engine's per-cell lookups were half of a list page's time. Every cell is escaped
    (:func:`escape_cell`, what ``conditional_escape`` does without its lazy-argument wrapper:
    ~1 ms of a 50-row page).
    """
    out = []
    for link, cells in rows:
        tds = [escape_cell(c) for c in cells]
        if link is not None and tds:
            tds[0] = f'<a href="{_escape(link)}">{tds[0]}</a>'
        out.append("<tr>" + "".join(["<td>" + td + "</td>" for td in tds]) + "</tr>")
    if not out:
        out.append(format_html('<tr><td colspan="{}">{}</td></tr>', columns, empty))
    return mark_safe("\n".join(out))  # every part above is escaped


#: a count of at least this many rows may be reused for up to :data:`COUNT_TTL` seconds
COUNT_CACHE_MIN = 5_000
#: seconds a large count is reused (bounds how stale it is after a write in another process)
COUNT_TTL = 10.0
#: ``(database, model, SQL, params) → (count, expiry on time.monotonic(), generation)``
_COUNTS: dict[tuple, tuple[int, float, int]] = {}
_COUNTS_LOCK = threading.Lock()
#: per model label, bumped on every save/delete in this process (a write ends its reuse)
_GENERATION: dict[str, int] = {}


def _bump_generation(sender, **kwargs) -> None:
    label = getattr(getattr(sender, "_meta", None), "label", None)
    if label is not None:
        _GENERATION[label] = _GENERATION.get(label, 0) + 1


post_save.connect(_bump_generation, dispatch_uid="jiliang.lists.counts.save")
post_delete.connect(_bump_generation, dispatch_uid="jiliang.lists.counts.delete")


def list_count(rows) -> int:
    """How many ``rows`` (queryset or sequence) a list has: ``COUNT(*)``, reused for a while
    when large.

    A page runs the same count as every other page of the same scope and filters (a
    regulator's 20 000 instruments: an index scan of every row, ~1.5 ms on SQLite, the largest
    query of the page). A count of at least :data:`COUNT_CACHE_MIN` rows is kept for
    :data:`COUNT_TTL` s under its SQL and parameters — the same query text gives the same
    answer to whoever runs it, so nothing is shared that the reader could not count — and is
    dropped at once when this process saves or deletes a row of the model. A write in another
    process (or ``bulk_create``/``update``, which send no signals) shows within ``COUNT_TTL``.
    Small counts (every test, most filtered lists) are always exact.
    """
    if not isinstance(rows, models.QuerySet):
        return len(rows)
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:
        return 0
    label = rows.model._meta.label
    key = (rows.db, label, sql, repr(params))
    generation = _GENERATION.get(label, 0)
    now = time.monotonic()
    hit = _COUNTS.get(key)
    if hit is not None and hit[1] > now and hit[2] == generation:
        return hit[0]
    count = rows.count()
    if count >= COUNT_CACHE_MIN:
        with _COUNTS_LOCK:
            if len(_COUNTS) > 1000:  # bounded: drop the expired ones (then everything)
                for k in [k for k, v in _COUNTS.items() if v[1] <= now] or list(_COUNTS):
                    del _COUNTS[k]
            _COUNTS[key] = (count, now + COUNT_TTL, generation)
    return count


class _ReusedCountPaginator(Paginator):
    """Django's paginator counting through :func:`list_count` (``paginate(reuse_count=True)``)."""

    @cached_property
    def count(self) -> int:
        return list_count(self.object_list)


def _other_params(request: HttpRequest, drop: Iterable[str]) -> str:
    query = request.GET.copy()
    for key in (*drop, "format", "list"):
        query.pop(key, None)
    return query.urlencode()


def paginate(
    request: HttpRequest,
    rows,
    *,
    name: str = "",
    per_page: int = PAGE_SIZE,
    definition: str | Promise = "",
    reuse_count: bool = False,
) -> Listing:
    """Page ``rows`` (queryset or sequence) by ``?page=`` (``?<name>_page=`` for a named list).

    A page number out of range or not a number shows the nearest page (never a 404: a stale
    link after a filter change still lands somewhere). The links keep every other parameter
    (filters, search, the page of the page's other lists). ``reuse_count``: count through
    :func:`list_count` (a large count reused for a few seconds) — for the busiest lists.
    """
    param = f"{name}_page" if name else "page"
    if isinstance(rows, models.QuerySet) and not rows.ordered:
        rows = rows.order_by("pk")  # a stable order, or pages overlap (and Django warns)
    paginator = _ReusedCountPaginator if reuse_count else Paginator
    page = paginator(rows, per_page).get_page(request.GET.get(param))
    return Listing(page, _other_params(request, [param]), param, definition, name)


def requested_format(request: HttpRequest, name: str = "") -> str | None:
    """``"csv"``/``"xlsx"`` when the request asks to export the list ``name`` (else None)."""
    fmt = request.GET.get("format", "")
    if not fmt or request.GET.get("list", "") != name:
        return None
    return fmt


def display(value: Any) -> Any:
    """A cell as the page shows it: numbers stay numbers, dates ISO 8601, the rest text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def safe_text(value: Any) -> Any:
    """``value`` with a ``'`` before text a spreadsheet would evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cells(row: Any, columns: Sequence[Column]) -> list:
    return [safe_text(display(c.value(row))) for c in columns]


def _iterate(rows) -> Iterator:
    if isinstance(rows, models.QuerySet):
        if not rows.ordered:
            rows = rows.order_by("pk")
        return rows.iterator(chunk_size=CHUNK)
    return iter(rows)


class _Echo:
    """A file-like that hands back what ``csv.writer`` writes (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_response(rows, columns: Sequence[Column], filename: str) -> StreamingHttpResponse:
    """UTF-8 CSV with a BOM (so Excel reads Chinese), streamed row by row."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([str(c.header) for c in columns])
        for row in _iterate(rows):
            yield writer.writerow(_cells(row, columns))

    resp = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return resp


def xlsx_response(rows, columns: Sequence[Column], filename: str) -> HttpResponse:
    """An XLSX workbook written by openpyxl in write-only mode (rows are not kept in memory)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet(filename[:31])
    sheet.append([str(c.header) for c in columns])
    for row in _iterate(rows):
        cells = _cells(row, columns)
        # control characters are not allowed in XLSX text (openpyxl raises): drop them
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in cells])
    out = io.BytesIO()
    book.save(out)
    resp = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    resp["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return resp


def export_response(
    request: HttpRequest,
    rows,
    columns: Sequence[Column] | Callable[[], Sequence[Column]],
    filename: str,
    *,
    name: str = "",
) -> HttpResponse | None:
    """The CSV/XLSX export of **all** ``rows`` if the request asks for list ``name``, else None.

    ``rows`` must already be scoped to what the user may read and filtered like the page;
    ``rows`` and ``columns`` may be callables so a page builds them only when exporting.
    ``?format=`` other than csv/xlsx is a 400 naming the parameter.
    """
    fmt = requested_format(request, name)
    if fmt is None:
        return None
    if fmt not in FORMATS:
        return HttpResponseBadRequest(
            _("format：须为 %(formats)s 之一") % {"formats": ", ".join(FORMATS)},
            content_type="text/plain; charset=utf-8",
        )
    if callable(rows):
        rows = rows()
    if callable(columns):
        columns = columns()
    stamp = timezone.localdate().isoformat()
    full = f"{filename}-{name}-{stamp}" if name else f"{filename}-{stamp}"
    if fmt == "csv":
        return csv_response(rows, columns, full)
    return xlsx_response(rows, columns, full)
