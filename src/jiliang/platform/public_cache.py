"""A micro-cache in front of Django for the public verification page (公开核验页缓存).

The QR code on every certificate opens ``/dcc/<number>``; after a recall or a press report that
page is what thousands of phones ask for at once. Rendering it costs ~10 ms of CPU (the stored
certificate's checks, the log-derived status, the template), so on 2 cores it cannot answer 50
concurrent clients in 50 ms. This WSGI wrapper stores the rendered page and answers repeats
without entering Django.

What makes a cached answer still true:

* **Only what is the same for everyone is stored.** A view opts in with :func:`cacheable`; the
  wrapper stores a response only if it is a ``200`` to an anonymous ``GET`` (no cookie but the
  CSRF and language cookies), sets no cookie, and is at most :data:`MAX_BODY` bytes. Public pages
  therefore carry no CSRF token (the verification form is CSRF-exempt: it changes nothing).
* **The key is everything the page depends on:** path and query, host and scheme (absolute links
  in the page), the language cookie and ``Accept-Language`` (the page's language), and the
  transparency log's version — the ``state`` file that every append replaces atomically
  (:mod:`jiliang.core.ledger.store`). A certificate's public status is derived from its log
  leaves, so issuing, amending or withdrawing it appends to the log and the next request misses.
* **Time bounds the rest.** An entry lives at most ``JILIANG_PUBLIC_CACHE_SECONDS`` (default 5 s,
  ``0`` disables the cache): the checks that depend on the clock (a signing certificate's
  validity) and a database edit made behind the platform's back (which the page then reports as
  a failed check) are seen at most that late.
* **Each answer gets a fresh CSP nonce**: the stored nonce is replaced in the header and the body,
  so no two responses share one.

Memory is bounded: at most :data:`MAX_ENTRIES` pages (least recently used dropped first).
``X-Jiliang-Cache: hit`` / ``miss`` tells operators and tests which path answered.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

#: Response header a view sets (via :func:`cacheable`) to let the wrapper store its answer; it is
#: removed before the response leaves the server.
MARKER = "X-Jiliang-Public-Cache"
#: Header telling which path answered: ``hit`` (from the cache) or ``miss`` (rendered by Django).
STATUS_HEADER = "X-Jiliang-Cache"
MAX_ENTRIES = 1024
MAX_BODY = 256 * 1024  # bytes
#: Cookies an anonymous visitor may carry and still get the shared page (the language cookie is
#: part of the key; the CSRF cookie does not change a page without CSRF tokens).
ANONYMOUS_COOKIES = frozenset({"csrftoken", "django_language"})


def cacheable(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``view``'s anonymous 200 answers as shareable by :class:`PublicPageCache`."""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "GET" and not request.user.is_authenticated:
            response[MARKER] = "1"
        return response

    wrapped.__name__ = getattr(view, "__name__", "cacheable_view")
    wrapped.__doc__ = view.__doc__
    wrapped.__wrapped__ = view  # type: ignore[attr-defined]
    return wrapped


@dataclass(frozen=True)
class _Entry:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    nonce: str | None
    expires: float  # time.monotonic() seconds


def _csp_nonce(headers: Iterable[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "content-security-policy":
            start = value.find("'nonce-")
            if start >= 0:
                end = value.find("'", start + 7)
                return value[start + 7 : end] if end > 0 else None
    return None


class PublicPageCache:
    """WSGI middleware serving :func:`cacheable` pages from memory (see the module docstring).

    ``ledger_state`` is the log's ``state`` file (its stat is the log version); ``seconds`` the
    longest an entry is served; ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        *,
        ledger_state: Path | None,
        seconds: float,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.ledger_state = ledger_state
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    # -- key ---------------------------------------------------------------------------------

    def _log_version(self) -> tuple[int, int, int] | None:
        if self.ledger_state is None:
            return None
        try:
            st = os.stat(self.ledger_state)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _key(self, environ: dict) -> tuple | None:
        """The cache key of an anonymous GET, or ``None`` when the request must reach Django."""
        if environ.get("REQUEST_METHOD") != "GET" or self.seconds <= 0:
            return None
        language = ""
        raw = environ.get("HTTP_COOKIE")
        if raw:
            cookie = SimpleCookie()
            try:
                cookie.load(raw)
            except Exception:  # a malformed cookie header: let Django answer it
                return None
            if not ANONYMOUS_COOKIES.issuperset(cookie):
                return None  # a session (or a flash message) makes the page the visitor's own
            if "django_language" in cookie:
                language = cookie["django_language"].value
        return (
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_X_FORWARDED_PROTO", ""),
            language,
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            self._log_version(),
        )

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.app(environ, self._stripping(start_response))
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry.expires > now:
                    self._entries.move_to_end(key)
                else:
                    del self._entries[key]
                    entry = None
        if entry is not None:
            return self._replay(entry, start_response)
        return self._render(key, now, environ, start_response)

    def _replay(self, entry: _Entry, start_response: Callable) -> Iterable[bytes]:
        headers, body = list(entry.headers), entry.body
        if entry.nonce:
            fresh = secrets.token_urlsafe(16)
            body = body.replace(entry.nonce.encode(), fresh.encode())
            headers = [(n, v.replace(entry.nonce, fresh)) for n, v in headers]
        headers.append((STATUS_HEADER, "hit"))
        start_response(entry.status, headers)
        return [body]

    def _render(self, key: tuple, now: float, environ: dict, start_response: Callable):
        captured: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            captured["exc_info"] = exc_info
            return lambda data: captured.setdefault("written", []).append(data)

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        body = b"".join(captured.get("written", [])) + body
        status, headers = captured["status"], captured["headers"]
        shareable = any(n.lower() == MARKER.lower() for n, _ in headers)
        headers = [(n, v) for n, v in headers if n.lower() != MARKER.lower()]
        if (
            shareable
            and status.startswith("200")
            and len(body) <= MAX_BODY
            and not any(n.lower() == "set-cookie" for n, _ in headers)
        ):
            entry = _Entry(status, tuple(headers), body, _csp_nonce(headers), now + self.seconds)
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        start_response(status, [*headers, (STATUS_HEADER, "miss")], captured["exc_info"])
        return [body]

    @staticmethod
    def _stripping(start_response: Callable) -> Callable:
        """``start_response`` without the internal marker header."""

        def strip(status, headers, exc_info=None):
            return start_response(
                status, [(n, v) for n, v in headers if n.lower() != MARKER.lower()], exc_info
            )

        return strip

    def clear(self) -> None:
        """Forget every stored page."""
        with self._lock:
            self._entries.clear()


def wrap(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """``app`` behind a :class:`PublicPageCache` configured from the Django settings."""
    from django.conf import settings

    seconds = float(getattr(settings, "JILIANG_PUBLIC_CACHE_SECONDS", 5.0))
    if seconds <= 0:
        return app
    return PublicPageCache(
        app, ledger_state=Path(settings.JILIANG_LEDGER_DIR) / "state", seconds=seconds
    )
