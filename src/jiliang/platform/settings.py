"""Django settings, read from the environment.

| variable | meaning | default |
|---|---|---|
| ``JILIANG_DATABASE_URL`` | ``postgres://…`` or ``sqlite:///path`` | SQLite in the data dir |
| ``JILIANG_SECRET_KEY`` | Django secret key | random per data dir (stored there, 0600) |
| ``JILIANG_DATA_DIR`` | data directory | ``./jiliang-data`` |
| ``JILIANG_DEBUG`` | ``1`` for debug mode | off |
| ``JILIANG_ALLOWED_HOSTS`` | comma-separated host names | ``localhost,127.0.0.1,[::1]`` |
| ``JILIANG_SECURE`` | ``1`` behind HTTPS: secure cookies, HSTS, SSL redirect | off |
| ``JILIANG_EMAIL_URL`` | ``smtp://user:pass@host:port`` | file backend (outbox) |
| ``JILIANG_PUBLIC_URL`` | base URL printed on labels and certificates | ``http://127.0.0.1:8000`` |
| ``JILIANG_PKI_AUTO_ENROL`` | ``1`` (demo, tests): enrol labs under a throw-away test CA | off |
| ``JILIANG_PKI_DIR`` | signing keys, certificates, trust anchors | ``DATA_DIR/pki`` |
| ``JILIANG_KEY_PASSPHRASE_FILE`` | file (outside the data dir) holding the passphrase of \
the PKI's private keys; or ``JILIANG_KEY_PASSPHRASE`` | — (keys unencrypted: demo, tests, \
or a PKI dir outside the data dir only) |
| ``JILIANG_PUBLIC_CACHE_SECONDS`` | longest a public verification page is answered from memory \
(``jiliang.platform.public_cache``; ``0`` turns the cache off) | ``5`` |

Django settings (not environment variables) that a deployment's settings module may add:

| setting | meaning | default |
|---|---|---|
| ``SUPERVISION_GRACE_DAYS`` | days a filing stays overdue before the sweep escalates it \
to regulators; overrides the core rule table | ``escalation_grace_days`` of the core's \
``supervision`` table (``jiliang/core/legal/data/supervision-rules.yaml``) |
"""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from jiliang.config import data_dir

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The secret key from the environment, else one generated once and kept in the data dir.

    A key kept beside the data survives restarts (sessions stay valid) without ever being
    committed to the repository.
    """
    if key := os.environ.get("JILIANG_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        os.replace(tmp, path)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_flag("JILIANG_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("JILIANG_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
PUBLIC_URL = os.environ.get("JILIANG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # failed-login lockout (username + IP) and its attempt/failure logs, in the admin
    "axes",
    # /api/docs served from ninja's own static files: no CDN, no inline script (strict CSP)
    "ninja",
    "jiliang.platform.accounts",
    "jiliang.platform.audit",
    "jiliang.platform.registry",
    "jiliang.platform.supervision",
    "jiliang.platform.ledger",
    "jiliang.platform.calibration",
    "jiliang.platform.certificates",
    "jiliang.platform.traceability",
    "jiliang.platform.comparisons",
    "jiliang.platform.specifications",
    "jiliang.platform.indicators",
    "jiliang.platform.monitoring",
    "jiliang.platform.intervals",
    "jiliang.platform.risk",
    "jiliang.platform.energy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jiliang.platform.input_guard.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jiliang.platform.accounts.headers.ContentSecurityPolicyMiddleware",
    "jiliang.platform.audit.middleware.AuditContextMiddleware",
    # last, as django-axes requires: turns a locked-out login into the lockout page (429)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jiliang.platform.urls"
WSGI_APPLICATION = "jiliang.platform.wsgi.application"
ASGI_APPLICATION = "jiliang.platform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiliang.platform.accounts.context.role",
                "jiliang.platform.menu.context",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("JILIANG_DATABASE_URL")
    if not url:
        url = f"sqlite:///{DATA_DIR / 'jiliang.sqlite3'}"
    # persistent connections on both backends: opening SQLite (and running its PRAGMAs) cost
    # 2–3 ms on every request of a real server; health checks drop a connection that died
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while the writer commits; IMMEDIATE transactions avoid
        # "database is locked" upgrades from read to write lock under concurrent requests.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# the lockout check first (it refuses a locked-out username+IP before any password is hashed),
# then the ordinary user/password backend
AUTHENTICATION_BACKENDS = [
    "jiliang.platform.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: 5 failures of one username from one IP lock that pair out for 30 minutes; each
# failure is kept in axes' AccessFailureLog (admin), the lockout count in AccessAttempt.
AXES_FAILURE_LIMIT = int(os.environ.get("JILIANG_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=float(os.environ.get("JILIANG_LOGIN_COOLOFF_MINUTES", 30))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "jiliang.platform.accounts.backends.lockout_response"
# the client address is REMOTE_ADDR only: X-Forwarded-For is whatever the client sends, and
# trusting it would let one client rotate "addresses" past the lockout
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the app directories too, so a fresh checkout needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"

SECURE = _env_flag("JILIANG_SECURE")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31_536_000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # sent on top-level links, not on cross-site sub-requests
CSRF_COOKIE_SAMESITE = "Lax"
# a failed CSRF check gets the styled, translated 403 page (JSON under /api/)
CSRF_FAILURE_VIEW = "jiliang.platform.errors.csrf_failure"
# Cross-Origin-Opener-Policy (SecurityMiddleware): no cross-origin window keeps a handle on ours
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = [f"{urlparse(PUBLIC_URL).scheme}://{urlparse(PUBLIC_URL).netloc}"] + [
    o for o in os.environ.get("JILIANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

if email_url := os.environ.get("JILIANG_EMAIL_URL"):
    _email = urlparse(email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = _email.username or ""
    EMAIL_HOST_PASSWORD = _email.password or ""
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JILIANG_LOG_LEVEL", "WARNING")},
}

# Transparency log (jiliang.core.ledger): where it lives, its origin line (also its key name),
# and whether every committed audit entry is appended at once (else: `jiliang ledger sync`).
JILIANG_LEDGER_DIR = Path(os.environ.get("JILIANG_LEDGER_DIR", DATA_DIR / "ledger"))
JILIANG_LEDGER_ORIGIN = os.environ.get("JILIANG_LEDGER_ORIGIN", "jiliang.local/log")
JILIANG_LEDGER_AUTO_SYNC = _env_flag("JILIANG_LEDGER_AUTO_SYNC", default=True)


def _public_cache_seconds() -> float:
    raw = os.environ.get("JILIANG_PUBLIC_CACHE_SECONDS", "5")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ImproperlyConfigured(
            f"JILIANG_PUBLIC_CACHE_SECONDS must be a number of seconds from 0 to 3600, not {raw!r}"
        )
    return value


# The public verification page's micro-cache (jiliang.platform.public_cache): keyed by the log's
# version, so a status change is seen at once; this bounds clock-dependent checks and edits
# made behind the platform's back.
JILIANG_PUBLIC_CACHE_SECONDS = _public_cache_seconds()

# Laboratory signing keys/certificates and trust anchors for digital calibration certificates.
JILIANG_PKI_DIR = Path(os.environ.get("JILIANG_PKI_DIR", DATA_DIR / "pki"))
# Demo and tests only: enrol a lab under a throw-away test CA on its first signature. Off in
# production, where an operator enrols every lab (`jiliang pki`, docs/security.md).
JILIANG_PKI_AUTO_ENROL = _env_flag("JILIANG_PKI_AUTO_ENROL", default=False)


def _key_passphrase() -> tuple[str | None, Path | None]:
    """The passphrase that encrypts the PKI's private keys at rest, read once at start.

    From ``JILIANG_KEY_PASSPHRASE_FILE`` (a file outside the data directory, e.g. a systemd
    credential; a trailing newline is dropped) or ``JILIANG_KEY_PASSPHRASE``, never both: a
    disk-and-database insider then finds only encrypted keys (docs/security.md).
    """
    file = os.environ.get("JILIANG_KEY_PASSPHRASE_FILE") or None
    value = os.environ.get("JILIANG_KEY_PASSPHRASE") or None
    if file and value:
        raise ImproperlyConfigured(
            "JILIANG_KEY_PASSPHRASE and JILIANG_KEY_PASSPHRASE_FILE are both set: set only one"
        )
    if file is None:
        return value, None
    path = Path(file).expanduser().resolve()
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImproperlyConfigured(
            f"JILIANG_KEY_PASSPHRASE_FILE: cannot read {path} ({exc})"
        ) from exc
    if not 1 <= len(value.encode("utf-8")) <= 1023:  # the limits of PKCS #8 encryption
        raise ImproperlyConfigured(
            f"JILIANG_KEY_PASSPHRASE_FILE: {path} must hold a passphrase of 1 to 1023 bytes"
        )
    return value, path


JILIANG_KEY_PASSPHRASE, JILIANG_KEY_PASSPHRASE_FILE = _key_passphrase()

# Limits on one budget evaluation requested over the web (jiliang.core.uncertainty).
JILIANG_BUDGET_MAX_TRIALS = int(os.environ.get("JILIANG_BUDGET_MAX_TRIALS", 2_000_000))
JILIANG_BUDGET_MAX_INPUTS = int(os.environ.get("JILIANG_BUDGET_MAX_INPUTS", 200))
JILIANG_BUDGET_MAX_SECONDS = float(os.environ.get("JILIANG_BUDGET_MAX_SECONDS", 10))
JILIANG_BUDGET_WORKERS = int(os.environ.get("JILIANG_BUDGET_WORKERS", 1))
# a traceability engine rebuild slower than this (seconds) runs in the background while requests
# keep the previous engine (a 10⁶-instrument region takes 35–45 s to rebuild)
JILIANG_TRACEABILITY_SYNC_BUILD_S = float(os.environ.get("JILIANG_TRACEABILITY_SYNC_BUILD_S", 2))

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
