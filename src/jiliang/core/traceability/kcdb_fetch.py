"""Online fetch of CMCs from the BIPM KCDB API v3 search endpoints (standard library only).

The KCDB API (no authentication; JSON in, JSON out) answers ``POST`` requests on its search
endpoints under ``https://www.bipm.org/api/kcdb`` (OpenAPI description at
``https://www.bipm.org/api/kcdb/v3/api-docs``). The paths, request fields and paging fields below
are those used by the MSL-KCDB client of the New Zealand NMI (github.com/MSLNZ/msl-kcdb,
``src/msl/kcdb/kcdb.py``, ``general_physics.py``, ``chemistry_biology.py``):

* ``cmc/searchData/physics`` — ``metrologyAreaLabel`` (``M``, ``EM``, ``L``, ``T``, ``TF``,
  ``PR``, ``AUV``), optional ``branchLabel``, ``physicsCode``;
* ``cmc/searchData/chemistryAndBiology`` — ``metrologyAreaLabel`` ``QM``;
* ``cmc/searchData/radiation`` — ``metrologyAreaLabel`` ``RI``;
* every body: ``page`` (0-based), ``pageSize`` (1…10 000), ``showTable``, optional ``countries``
  (ISO 3166 alpha-2 labels, ``["CN"]``), ``keywords``;
* every answer: ``pageNumber``, ``pageSize``, ``numberOfElements``, ``totalElements``,
  ``totalPages``, ``versionApiKcdb`` and ``data`` (the CMC documents :mod:`.kcdb` reads).

:func:`fetch_pages` walks the pages (each request bounded by ``timeout``, the walk by
``max_pages``); :func:`save_pages` writes them verbatim as ``{"kcdbFetch": {...}, "pages":
[...]}`` with an atomic rename, a file :func:`.kcdb.parse_kcdb` reads like a saved search result.
Any HTTP error, network failure, timeout or malformed page raises :class:`KCDBFetchError`
before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from jiliang import __version__
from jiliang.core.ledger.store import write_atomic

DEFAULT_BASE_URL = "https://www.bipm.org/api/kcdb"
ENDPOINTS = {
    "physics": "cmc/searchData/physics",
    "chemistry": "cmc/searchData/chemistryAndBiology",
    "radiation": "cmc/searchData/radiation",
}
#: the API's largest page (MSL-KCDB ``KCDB.MAX_PAGE_SIZE``)
MAX_PAGE_SIZE = 10_000
_AREA = re.compile(r"[A-Z]{1,5}")
_COUNTRY = re.compile(r"[A-Z]{2}")


class KCDBFetchError(RuntimeError):
    """The KCDB server could not be read, or answered something that is not a search page."""


@dataclass(frozen=True)
class KCDBQuery:
    """One search: ``domain`` (physics | chemistry | radiation), the KCDB metrology area label,
    optional country labels, keywords (Elasticsearch syntax) and physics branch label."""

    area: str
    domain: str = "physics"
    countries: tuple[str, ...] = ()
    keywords: str = ""
    branch: str = ""

    def __post_init__(self) -> None:
        # Checked before any request, each error naming its field.
        if self.domain not in ENDPOINTS:
            raise ValueError(f"domain: {self.domain!r} is not one of {', '.join(ENDPOINTS)}")
        if not _AREA.fullmatch(self.area):
            raise ValueError(f"area: {self.area!r} is not a KCDB metrology area label (e.g. EM)")
        for country in self.countries:
            if not _COUNTRY.fullmatch(country):
                raise ValueError(f"country: {country!r} is not a two-letter label (e.g. CN)")
        if self.branch and self.domain != "physics":
            raise ValueError("branch: only physics searches have branches")

    def criteria(self) -> dict[str, Any]:
        """The search fields of the request body (without paging)."""
        body: dict[str, Any] = {"metrologyAreaLabel": self.area}
        if self.countries:
            body["countries"] = list(self.countries)
        if self.keywords:
            body["keywords"] = self.keywords
        if self.branch:
            body["branchLabel"] = self.branch
        return body

    def body(self, page: int, page_size: int) -> dict[str, Any]:
        """JSON body of the request for ``page`` (0-based) of ``page_size`` documents."""
        return {"page": page, "pageSize": page_size, "showTable": False, **self.criteria()}


def endpoint_url(query: KCDBQuery, base_url: str = DEFAULT_BASE_URL) -> str:
    """The search endpoint of ``query``'s domain under ``base_url`` (http or https only)."""
    scheme = urlsplit(base_url).scheme
    if scheme not in ("http", "https"):
        # urlopen would also read file:// and ftp:// URLs; a CMC source is a web API.
        raise ValueError(f"base_url: {base_url!r} is not an http(s) URL")
    return f"{base_url.rstrip('/')}/{ENDPOINTS[query.domain]}"


def _post(url: str, body: dict, timeout: float, page: int) -> object:
    """One request → decoded JSON; every failure as :class:`KCDBFetchError` naming the page."""
    request = Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"jiliang/{__version__}",
        },
    )
    where = f"KCDB page {page} ({url})"
    try:
        # the scheme was checked in endpoint_url: no file:// or ftp:// reads
        with urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except HTTPError as exc:
        raise KCDBFetchError(f"{where}: HTTP {exc.code} {exc.reason}{_excerpt(exc)}") from exc
    except TimeoutError as exc:
        raise KCDBFetchError(f"{where}: no answer within {timeout:g} s") from exc
    except URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise KCDBFetchError(f"{where}: no answer within {timeout:g} s") from exc
        raise KCDBFetchError(f"{where}: {exc.reason}") from exc
    except OSError as exc:  # connection reset mid-body and the like
        raise KCDBFetchError(f"{where}: {exc}") from exc
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KCDBFetchError(f"{where}: not JSON ({exc})") from exc


def _excerpt(exc: HTTPError) -> str:
    """The start of an error body: the KCDB answers bad requests with a generic HTML page."""
    try:
        text = exc.read(300).decode("utf-8", "replace")
    except OSError:
        return ""
    text = " ".join(text.split())[:200]
    return f": {text}" if text else ""


def fetch_pages(
    query: KCDBQuery,
    base_url: str = DEFAULT_BASE_URL,
    page_size: int = 1000,
    timeout: float = 30.0,
    max_pages: int = 200,
    progress: Callable[[int, int | None], None] | None = None,
) -> list[dict]:
    """Every page of ``query``'s results, as the server sent them.

    ``timeout`` (s) bounds each request; ``max_pages`` bounds the walk, so a server that keeps
    announcing more pages cannot keep us looping. ``progress(page, total_pages)`` is called after
    each page. Raises :class:`KCDBFetchError` on the first bad page (nothing is returned).
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size: {page_size} is not in 1..{MAX_PAGE_SIZE}")
    if timeout <= 0:
        raise ValueError(f"timeout: {timeout} s must be positive")
    url = endpoint_url(query, base_url)
    pages: list[dict] = []
    total: int | None = None
    page = 0
    while total is None or page < total:
        if page >= max_pages:
            raise KCDBFetchError(
                f"KCDB search has more than {max_pages} pages of {page_size}: narrow it "
                "(area, country, keywords) or raise the page limit"
            )
        data = _post(url, query.body(page, page_size), timeout, page)
        _check_page(data, page)
        pages.append(data)
        announced = data.get("totalPages")
        if isinstance(announced, int) and not isinstance(announced, bool) and announced >= 0:
            total = announced
        elif len(data["data"]) < page_size:
            total = page + 1  # no paging fields: a short page is the last one
        if progress is not None:
            progress(page, total)
        if not data["data"]:
            break  # an empty page ends the walk whatever the counters say
        page += 1
    return pages


def _check_page(data: object, page: int) -> None:
    where = f"KCDB page {page}"
    if not isinstance(data, Mapping):
        raise KCDBFetchError(f"{where}: not a JSON object")
    if not isinstance(data.get("data"), list):
        raise KCDBFetchError(f"{where}: no 'data' list: not a KCDB search result")
    number = data.get("pageNumber")
    if isinstance(number, int) and number != page:
        # A server that ignores ``page`` would hand us page 0 again and again.
        raise KCDBFetchError(f"{where}: the server answered page {number}")


def save_pages(path: Path, query: KCDBQuery, base_url: str, pages: list[dict]) -> Path:
    """Write the fetched pages verbatim with what was asked, atomically (temp file + rename)."""
    document = {
        "kcdbFetch": {
            "url": endpoint_url(query, base_url),
            "request": query.criteria(),
            "fetchedAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "pages": len(pages),
            "documents": sum(len(p["data"]) for p in pages),
        },
        "pages": pages,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(document, ensure_ascii=False).encode(), durable=True)
    return path


def fetch_kcdb(
    query: KCDBQuery,
    path: Path,
    base_url: str = DEFAULT_BASE_URL,
    page_size: int = 1000,
    timeout: float = 30.0,
    max_pages: int = 200,
) -> Path:
    """Fetch every page of ``query`` and save them to ``path`` (nothing written on failure)."""
    pages = fetch_pages(query, base_url, page_size, timeout, max_pages)
    return save_pages(path, query, base_url, pages)
