"""Texts of supervision notifications, in the reader's language.

A :class:`~.models.Notification` stores a message key and its parameters, not a finished
sentence: the in-app list renders it in the language of the request that shows it, the e-mail
digest in the recipient's chosen notification language (:class:`~.models.NotificationSettings`,
default ``settings.LANGUAGE_CODE``). The Chinese rendering is also kept in ``message`` for
search and the admin.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Filing, Notification, NotificationSettings

#: message key → text; parameters: lifetime_id, name, day (ISO date), owner
TEXTS = {
    "due_soon": _("%(lifetime_id)s %(name)s：强制检定即将到期（%(day)s）"),
    "overdue": _("%(lifetime_id)s %(name)s：超期未检（应于 %(day)s 检定）"),
    "overdue_unverified": _("%(lifetime_id)s %(name)s：超期未检（应于启用前检定）"),
    "must_replace": _("%(lifetime_id)s %(name)s：应轮换/报废（%(day)s）"),
    "escalation": _("%(lifetime_id)s %(name)s（%(owner)s）：超期超过宽限期，移送监管"),
}


def message_fields(f: Filing, kind: str) -> dict:
    """``message_key``, ``params`` and the source-language ``message`` of a new notification."""
    inst = f.instrument
    day = f.deadline
    key = "overdue_unverified" if kind == "overdue" and day is None else kind
    params = {
        "lifetime_id": inst.lifetime_id,
        "name": inst.name,
        "day": day.isoformat() if day else "-",
        "owner": inst.owner.name,
    }
    with translation.override(settings.LANGUAGE_CODE):
        message = _format(key, params)
    return {"message_key": key, "params": params, "message": message[:400]}


def _format(key: str, params: dict) -> str:
    return str(TEXTS[key]) % params


def render(n: Notification, language: str | None = None) -> str:
    """The notification's text in ``language`` (default: the active language)."""
    if n.message_key not in TEXTS:
        return n.message  # written before message keys existed
    if language is None:
        return _format(n.message_key, n.params)
    with translation.override(language):
        return _format(n.message_key, n.params)


def settings_of(user) -> NotificationSettings:
    """The user's notification settings (unsaved defaults if they never chose)."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user, language=settings.LANGUAGE_CODE, email=True)


def send_digest(user, items: list[Notification]) -> int:
    """One e-mail listing ``items`` in the user's notification language; 1 if sent, else 0."""
    prefs = settings_of(user)
    if not user.email or not prefs.email or not items:
        return 0
    with translation.override(prefs.language):
        subject = ngettext(
            "[jiliang] 强制检定提醒（%(n)s 条）", "[jiliang] 强制检定提醒（%(n)s 条）", len(items)
        ) % {"n": len(items)}
        body = "\n".join(render(n) for n in items)
    return send_mail(subject, body, None, [user.email], fail_silently=True)
