"""Logins, passwords, sessions and response headers.

Password guessing is cut off by django-axes (5 failures of one username from one address lock
that pair out for 30 minutes, OWASP ASVS 4.0 §2.2.1 "anti-automation"); every failure is kept
in axes' AccessFailureLog. Passwords pass Django's four standard validators everywhere, the CLI
included (ASVS §2.1). Cookies and headers follow Django's deployment checklist; the
Content-Security-Policy allows scripts and styles from 'self' only (CSP Level 3).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from typer.testing import CliRunner

from jiliang.platform.accounts.services import UserSetupError, create_user

from .conftest import PASSWORD

LOGIN_URLS = ["/login/", "/admin/login/"]


def _login(client, url: str, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=ip, follow=False
    )


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --------------------------------------------------------------------- lockout (django-axes)


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, world, url):
    """The brute-force fault: 50 guesses, then the right password — locked out, not let in."""
    for _ in range(50):
        r = _login(client, url, "admin", "wrong-guess")
        assert r.status_code in (200, 429) and not _logged_in(client)
    r = _login(client, url, "admin", PASSWORD)
    assert r.status_code == 429 and not _logged_in(client)
    assert 'id="locked-out"' in r.content.decode()
    # the 6th attempt is refused before the password backend hashes anything
    assert AccessAttempt.objects.get(username="admin").failures_since_start >= 5


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_lockout_after_five_failures_not_before(client, world, url):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, url, "admin", "wrong-guess").status_code == 200
    assert _login(client, url, "admin", PASSWORD).status_code == 302  # 4 failures: still allowed
    assert _logged_in(client)
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, url, "admin", "wrong-guess")  # the success reset the count: 5 new ones
    assert _login(client, url, "admin", PASSWORD).status_code == 429


def test_lockout_is_per_username_and_address(client, world):
    """Locked: this username from this address. Others keep working (no lock-out-everyone DoS
    from one address, no lock-out-the-user from everywhere)."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "/login/", "regulator", "wrong-guess")
    assert _login(client, "/login/", "regulator", PASSWORD).status_code == 429
    assert _login(client, "/login/", "enterprise", PASSWORD).status_code == 302
    client.logout()
    assert _login(client, "/login/", "regulator", PASSWORD, ip="198.51.100.9").status_code == 302


def test_forwarded_for_header_does_not_dodge_the_lockout(client, world):
    """X-Forwarded-For is the client's own claim: rotating it must not reset the count."""
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/",
            {"username": "admin", "password": "wrong-guess"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    r = client.post(
        "/login/",
        {"username": "admin", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="10.0.0.99",
    )
    assert r.status_code == 429 and not _logged_in(client)


def test_lockout_ends_after_the_cool_off(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "/login/", "admin", "wrong-guess")
    assert _login(client, "/login/", "admin", PASSWORD).status_code == 429
    assert dt.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert _login(client, "/login/", "admin", PASSWORD).status_code == 302


def test_every_failed_login_is_logged_and_shown_in_admin(client, world):
    """Audit of failed logins: one AccessFailureLog row per failure (username, address, path),
    readable by administrators in the admin."""
    for _ in range(3):
        _login(client, "/login/", "enterprise", "wrong-guess")
    _login(client, "/admin/login/", "nobody-such", "wrong-guess")
    rows = AccessFailureLog.objects.order_by("attempt_time")
    assert [(r.username, r.ip_address) for r in rows] == [("enterprise", "203.0.113.7")] * 3 + [
        ("nobody-such", "203.0.113.7")
    ]
    assert rows.last().path_info == "/admin/login/"
    client.force_login(world.users["admin"])
    page = client.get("/admin/axes/accessfailurelog/")
    assert page.status_code == 200 and "nobody-such" in page.content.decode()
    assert client.get("/admin/axes/accessattempt/").status_code == 200


def test_test_client_login_still_works(client, world):
    """client.login() authenticates without a request; the lockout backend passes it on."""
    assert client.login(username="regulator", password=PASSWORD)
    assert not client.login(username="regulator", password="wrong-guess")


def test_no_password_login_in_the_api(client, world):
    """The API authenticates by bearer token only (256-bit random, stored as SHA-256): there is
    no password endpoint to guess against, and a wrong token is a 401, never anonymous."""
    from jiliang.platform.api import api

    paths = {p for p in api.get_openapi_schema()["paths"]}
    assert not any(re.search(r"login|token|password|auth", p) for p in paths), paths
    r = client.post("/api/supervision/draws", {}, HTTP_AUTHORIZATION="Bearer jl_guess")
    assert r.status_code == 401


# --------------------------------------------------------------------- password validators


def test_auth_password_validators_are_the_standard_four():
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]


@pytest.mark.parametrize("weak", ["1", "12345678", "password", "regulator2"])
def test_create_user_rejects_a_weak_password_naming_the_field(world, weak):
    with pytest.raises(UserSetupError, match=r"^password: "):
        create_user("regulator2", weak, "regulator", region="330000")
    assert not get_user_model().objects.filter(username="regulator2").exists()


def test_createuser_cli_rejects_password_1(world):
    """The reported fault: ``jiliang createuser`` accepted the password "1"."""
    from jiliang.cli import app

    result = CliRunner().invoke(
        app, ["createuser", "weakling", "--role", "admin", "--password", "1"]
    )
    assert result.exit_code == 2, result.output
    assert "password:" in result.output
    assert not get_user_model().objects.filter(username="weakling").exists()
    result = CliRunner().invoke(
        app, ["createuser", "strong", "--role", "admin", "--password", "correct-horse-battery-9"]
    )
    assert result.exit_code == 0, result.output
    assert get_user_model().objects.filter(username="strong").exists()


# --------------------------------------------------------------------- cookies and headers


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(d.strip().split(" ", 1) for d in header.split(";"))


def test_session_and_csrf_cookies_are_httponly_and_samesite(client, world):
    r = _login(client, "/login/", "regulator", PASSWORD)
    assert r.status_code == 302
    session = r.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"
    # secure cookies follow the production switch (JILIANG_SECURE=1, test_settings'
    # test_check_deploy_is_clean_with_production_settings checks them with check --deploy)
    assert settings.SESSION_COOKIE_SECURE == settings.CSRF_COOKIE_SECURE == settings.SECURE


@pytest.mark.parametrize("url", ["/", "/login/", "/s/draws/", "/api/docs", "/admin/login/"])
def test_security_headers_present(client, world, url):
    r = client.get(url)
    assert r.status_code == 200
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = _csp(r)
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    for directive in ("script-src", "style-src"):
        sources = csp[directive].split()
        assert sources[0] == "'self'" and all(
            s == "'self'" or s.startswith("'nonce-") for s in sources
        ), csp[directive]
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources


def test_csp_nonce_is_fresh_per_response(client, world):
    first, second = (_csp(client.get("/"))["script-src"] for _ in range(2))
    assert first != second


INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


def _strict_csp_safe(response) -> None:
    """Every inline <script> carries this response's nonce; no on*= handler, no style=."""
    html = response.content.decode()
    nonce = _csp(response)["script-src"].split("'nonce-")[1].rstrip("'")
    for attrs in SCRIPT_TAG.findall(html):
        if "src=" in attrs or "application/json" in attrs:
            continue
        assert f'nonce="{nonce}"' in attrs, attrs
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)
    assert not STYLE_ATTR.search(html), STYLE_ATTR.search(html).group(0)


@pytest.mark.parametrize(
    "role,url",
    [
        ("anon", "/"),
        ("anon", "/login/"),
        ("regulator", "/s/dashboard/"),
        ("regulator", "/traceability/"),
        ("regulator", "instrument"),
    ],
)
def test_pages_render_under_the_strict_csp(client, world, role, url):
    """Pages with charts (inline data scripts) and the chain panel render and need nothing the
    policy forbids."""
    if role != "anon":
        client.force_login(world.users[role])
    if url == "instrument":
        url = f"/r/instruments/{world.instruments['hz'].pk}/"
    r = client.get(url)
    assert r.status_code == 200
    _strict_csp_safe(r)
    assert "jiliang/site.js" in r.content.decode()  # the data-autosubmit/data-print handlers


def test_no_template_needs_unsafe_inline():
    """Every project template: inline <script> only with the nonce, no on…= handlers, no style=
    attributes (a strict CSP would silently break them)."""
    from pathlib import Path

    import jiliang.platform

    root = Path(jiliang.platform.__file__).parent
    bad = []
    for path in sorted(root.rglob("templates/**/*.html")):
        html = path.read_text(encoding="utf-8")
        for attrs in SCRIPT_TAG.findall(html):
            if "src=" not in attrs and "nonce=" not in attrs and "json" not in attrs:
                bad.append(f"{path.relative_to(root)}: <script{attrs}>")
        bad += [f"{path.relative_to(root)}: {m}" for m in INLINE_HANDLER.findall(html)]
        bad += [f"{path.relative_to(root)}: {m}" for m in STYLE_ATTR.findall(html)]
    assert bad == []


def test_lockout_page_in_english(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "/login/", "admin", "wrong-guess")
    r = client.post(
        "/login/",
        {"username": "admin", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    text = r.content.decode()
    assert r.status_code == 429 and "Login temporarily locked" in text
    assert "5 failed logins in a row" in text and "Try again in 30 minutes" in text
