"""The public verification page's micro-cache (issue 17, "public verification under load").

Unit tests drive :class:`PublicPageCache` with a stand-in WSGI app that counts its calls; the
integration tests put it in front of the real Django application and a signed certificate, and
check that a withdrawal (a log append) is seen by the very next request.
"""

from __future__ import annotations

import io
import re
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from jiliang.platform.public_cache import MARKER, STATUS_HEADER, PublicPageCache

from .certs_helpers import call, isolate, issued, needs_xsd


class FakeApp:
    """A WSGI app answering ``/page`` (shareable) with a CSP nonce in header and body."""

    def __init__(self, *, cookie: bool = False, status: str = "200 OK", mark: bool = True):
        self.calls, self.cookie, self.status, self.mark = 0, cookie, status, mark

    def __call__(self, environ, start_response):
        self.calls += 1
        nonce = f"nonce{self.calls:017d}"  # 22 characters, as secrets.token_urlsafe(16)
        body = f"<script nonce='{nonce}'>call {self.calls} {environ['PATH_INFO']}</script>"
        headers = [
            ("Content-Type", "text/html"),
            ("Content-Security-Policy", f"script-src 'self' 'nonce-{nonce}'"),
        ]
        if self.mark:
            headers.append((MARKER, "1"))
        if self.cookie:
            headers.append(("Set-Cookie", "csrftoken=abc"))
        start_response(self.status, headers)
        return [body.encode()]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def get(app, path: str = "/page", **environ) -> tuple[str, dict[str, str], bytes]:
    env: dict = {"PATH_INFO": path, "REQUEST_METHOD": "GET", **environ}
    setup_testing_defaults(env)
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(env, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def state(tmp_path):
    path = tmp_path / "state"
    path.write_text('{"size": 1}')
    return path


def cache(app, state, clock=None, **kwargs) -> PublicPageCache:
    return PublicPageCache(app, ledger_state=state, seconds=5, clock=clock or Clock(), **kwargs)


def test_second_anonymous_get_is_served_from_memory_with_a_fresh_nonce(state):
    app = FakeApp()
    front = cache(app, state)
    s1, h1, b1 = get(front)
    s2, h2, b2 = get(front)
    assert (s1, s2) == ("200 OK", "200 OK") and app.calls == 1
    assert (h1[STATUS_HEADER], h2[STATUS_HEADER]) == ("miss", "hit")
    assert MARKER not in h1 and MARKER not in h2  # the internal marker never leaves the server
    nonce1 = re.search(r"nonce-([\w-]+)'", h1["Content-Security-Policy"]).group(1)
    nonce2 = re.search(r"nonce-([\w-]+)'", h2["Content-Security-Policy"]).group(1)
    assert nonce1 != nonce2 and len(nonce2) == len(nonce1)
    assert f"nonce='{nonce2}'".encode() in b2 and nonce1.encode() not in b2
    assert b2.replace(nonce2.encode(), nonce1.encode()) == b1


def test_a_log_append_makes_the_next_request_miss(state):
    app = FakeApp()
    front = cache(app, state)
    get(front)
    state.write_text('{"size": 2, "entries_bytes": 10}')  # what every append does (new file)
    _, headers, body = get(front)
    assert headers[STATUS_HEADER] == "miss" and app.calls == 2 and b"call 2" in body


def test_entries_expire_after_the_configured_seconds(state):
    app, clock = FakeApp(), Clock()
    front = cache(app, state, clock)
    get(front)
    clock.now += 4.9
    assert get(front)[1][STATUS_HEADER] == "hit"
    clock.now += 0.2
    assert get(front)[1][STATUS_HEADER] == "miss" and app.calls == 2


@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_COOKIE": "sessionid=abc"},  # a logged-in visitor gets their own page
        {"HTTP_COOKIE": "csrftoken=x; messages=abc"},  # a flash message is the visitor's own
        {"REQUEST_METHOD": "POST"},  # an uploaded file is checked every time
        {"REQUEST_METHOD": "HEAD"},
    ],
)
def test_requests_that_are_a_visitors_own_always_reach_django(state, environ):
    app = FakeApp()
    front = cache(app, state)
    for _ in range(2):
        _, headers, _ = get(front, **environ)
        assert MARKER not in headers and STATUS_HEADER not in headers
    assert app.calls == 2


def test_language_host_and_query_are_part_of_the_key(state):
    app = FakeApp()
    front = cache(app, state)
    variants = [
        {},
        {"HTTP_COOKIE": "django_language=en"},
        {"HTTP_COOKIE": "csrftoken=x; django_language=en"},
        {"HTTP_ACCEPT_LANGUAGE": "en"},
        {"HTTP_HOST": "verify.example"},
        {"QUERY_STRING": "number=X"},
    ]
    for environ in variants:
        get(front, **environ)
    # the two English-cookie variants share a key: the CSRF cookie does not change the page
    assert app.calls == len(variants) - 1
    for environ in variants:
        assert get(front, **environ)[1][STATUS_HEADER] == "hit"


@pytest.mark.parametrize(
    "app",
    [FakeApp(cookie=True), FakeApp(status="404 Not Found"), FakeApp(mark=False)],
    ids=["sets-a-cookie", "not-200", "view-did-not-opt-in"],
)
def test_only_shareable_200_answers_are_stored(state, app):
    front = cache(app, state)
    get(front)
    get(front)
    assert app.calls == 2


def test_memory_is_bounded(state):
    app = FakeApp()
    front = cache(app, state, max_entries=3)
    for i in range(5):
        get(front, f"/p{i}")
    assert len(front._entries) == 3
    get(front, "/p0")  # dropped first (least recently used)
    assert app.calls == 6


def test_zero_seconds_turns_the_cache_off(state):
    app = FakeApp()
    front = PublicPageCache(app, ledger_state=state, seconds=0)
    get(front)
    get(front)
    assert app.calls == 2


def test_the_setting_is_validated(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import jiliang.platform.settings as settings_module

    monkeypatch.setenv("JILIANG_PUBLIC_CACHE_SECONDS", "soon")
    with pytest.raises(ImproperlyConfigured, match=r"JILIANG_PUBLIC_CACHE_SECONDS.*'soon'"):
        importlib.reload(settings_module)
    monkeypatch.delenv("JILIANG_PUBLIC_CACHE_SECONDS")
    importlib.reload(settings_module)


# -- in front of the real application ----------------------------------------------------------


@pytest.fixture
def isolated(settings, tmp_path, monkeypatch):
    isolate(settings, tmp_path, monkeypatch)
    return settings


def django_get(front, path: str, **environ) -> tuple[str, dict[str, str], str]:
    environ.setdefault("HTTP_HOST", "testserver")
    environ.setdefault("SERVER_NAME", "testserver")
    environ.setdefault("wsgi.input", io.BytesIO())
    # as django.test.Client does around each request (and it reconnects them after its own):
    # the request signals must not close the test's connection
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        status, headers, body = get(front, path, **environ)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return status, headers, body.decode()


@needs_xsd
def test_verify_page_is_cached_and_a_withdrawal_shows_on_the_next_request(
    isolated, client, world, reviewer
):
    cert = issued(client, world)
    front = PublicPageCache(
        WSGIHandler(), ledger_state=isolated.JILIANG_LEDGER_DIR / "state", seconds=60
    )
    s1, h1, page1 = django_get(front, f"/dcc/{cert.number}")
    s2, h2, page2 = django_get(front, f"/dcc/{cert.number}")
    assert (s1, s2) == ("200 OK", "200 OK")
    assert (h1[STATUS_HEADER], h2[STATUS_HEADER]) == ("miss", "hit")
    assert "Set-Cookie" not in h1 and "csrfmiddlewaretoken" not in page1
    assert cert.number in page2
    english = django_get(front, f"/dcc/{cert.number}", HTTP_ACCEPT_LANGUAGE="en")
    assert english[1][STATUS_HEADER] == "miss" and 'lang="en"' in english[2]

    r = call(client, world, "lab", "post", f"/{cert.pk}/withdraw", {"reason": "wrong load"})
    assert r.status_code == 200, r.content
    status3, h3, page3 = django_get(front, f"/dcc/{cert.number}")
    assert status3 == "200 OK" and h3[STATUS_HEADER] == "miss"  # the withdrawal appended to the log
    assert "已撤回" in page3 and "已撤回" not in page1


@needs_xsd
def test_a_logged_in_visitor_is_never_served_the_shared_page(isolated, client, world, reviewer):
    cert = issued(client, world)
    front = PublicPageCache(
        WSGIHandler(), ledger_state=isolated.JILIANG_LEDGER_DIR / "state", seconds=60
    )
    django_get(front, f"/dcc/{cert.number}")
    client.force_login(world.users["lab"])
    session = client.cookies["sessionid"].value
    _, headers, page = django_get(front, f"/dcc/{cert.number}", HTTP_COOKIE=f"sessionid={session}")
    assert STATUS_HEADER not in headers
    assert world.users["lab"].username in page  # the page names who is logged in


def test_language_form_posts_without_a_token_and_the_verify_upload_too(db, client):
    # both are CSRF-exempt by design: they change nothing an attacker could use
    strict = client.__class__(enforce_csrf_checks=True)
    r = strict.post("/i18n/setlang/", {"language": "en", "next": "/verify/"})
    assert r.status_code == 302 and strict.cookies["django_language"].value == "en"
    r = strict.post("/verify/", {"number": "NOPE-1"})
    assert r.status_code == 404
