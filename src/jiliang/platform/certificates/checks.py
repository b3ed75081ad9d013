"""Start-up checks of the laboratories' signing keys at rest (issue 17, "Signing keys").

``manage.py check`` (and ``runserver``, ``migrate``) report them as ``jiliang.pki.E001`` (a key
the service cannot or must not sign with) and ``jiliang.pki.W001`` (a weaker setup: the
passphrase file in the data directory, a short passphrase). ``jiliang serve`` runs no system
checks, so a serving process also writes them to its log on its first request.
"""

from __future__ import annotations

import logging

from django.core import checks

from . import pki

logger = logging.getLogger(__name__)

_HINT = (
    "See docs/security.md, 'Keys at rest are encrypted', and docs/operations.md, 'Signing keys'."
)


def check_signing_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Django system check: unencrypted keys in the data directory, missing/wrong passphrase."""
    try:
        problems = pki.key_problems()
    except (OSError, pki.PkiError) as exc:  # an unreadable PKI directory is itself the finding
        problems = [("error", f"cannot inspect the signing keys in {pki.pki_dir()}: {exc}")]
    return [
        checks.Error(text, hint=_HINT, id="jiliang.pki.E001")
        if level == "error"
        else checks.Warning(text, hint=_HINT, id="jiliang.pki.W001")
        for level, text in problems
    ]


_startup_checked = False


def log_key_problems_once(sender=None, **kwargs) -> None:
    """First request of a process (``request_started``): log the key problems, once."""
    global _startup_checked
    if _startup_checked:
        return
    _startup_checked = True
    try:
        problems = pki.key_problems()
    except Exception:  # a start-up diagnostic must never fail a request
        logger.exception("signing key check failed")
        return
    for level, text in problems:
        logger.log(logging.CRITICAL if level == "error" else logging.WARNING, "%s", text)
