"""``{{ problem.kind|problem_kind }}``: a DCC validation problem's kind in the page's language.

The core (``jiliang.core.dcc.validate``, no Django there) reports each problem with a machine
``kind`` and an English ``message`` naming the element and the schema's wording; the message is
kept as the core wrote it (it quotes XSD and D-SI terms a translator could not do better), and
the page puts a translated label for the kind in front of it, so a Chinese reader knows what
sort of check failed.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

#: every ``kind`` :class:`jiliang.core.dcc.validate.Problem` documents
KIND_LABELS = {
    "xml": _("XML 格式错误"),
    "schema": _("不符合 XSD"),
    "schema-unavailable": _("XSD 未安装"),
    "unit": _("D-SI 单位错误"),
    "semantic": _("语义错误"),
}


@register.filter
def problem_kind(kind: str) -> str:
    """The label of ``kind``; an unknown kind (a newer core) is shown as it is."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind
