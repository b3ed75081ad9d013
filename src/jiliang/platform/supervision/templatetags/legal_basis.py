"""``{% legal_basis filing %}``: the rule a filing's schedule rests on, in the page's language.

The core's schedule stores its explanation as an English sentence (``status_reason``: "verified
2026-01-10; next verification by 2027-01-10 — electronic_price_scale [SAMR 2020 No. 42]:
periodic verification every 12 months (JJG 539-2016)"). A page writes the same facts from the
core's structured rule — item, edition, mode, period, JJG — through gettext; the stored
sentence is shown only when the rule cannot be resolved (its text is then the core's error).
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from jiliang.core.legal.catalogue import Mode, ResolvedRule
from jiliang.platform.registry.templatetags.metrology import category_label

register = template.Library()


def rule_text(rule: ResolvedRule) -> str:
    """``电子计价秤（SAMR 2020 No. 42）：周期检定，检定周期 12 个月（JJG 539-2016）``."""
    variant = rule.variant
    if variant is None or not rule.compulsory:
        what = _("不属于强制检定")
    elif variant.mode is Mode.PERIODIC:
        what = _("周期检定，检定周期 %(months)s 个月（%(jjg)s）") % {
            "months": variant.period_months,
            "jjg": variant.jjg,
        }
    elif variant.mode is Mode.INITIAL_FIXED_LIFE:
        what = _("首次强制检定，使用寿命 %(months)s 个月，到期轮换（%(jjg)s）") % {
            "months": variant.service_life_months,
            "jjg": variant.jjg,
        }
    else:
        what = _("首次强制检定，失准报废（%(jjg)s）") % {"jjg": variant.jjg}
    return _("%(item)s（%(edition)s）：%(rule)s") % {
        "item": category_label(rule.item.code),
        "edition": rule.edition,
        "rule": what,
    }


@register.simple_tag
def legal_basis(filing) -> str:
    """The rule of ``filing`` (a supervision ``Filing``) as a sentence in the page's language."""
    from jiliang.platform.supervision.services import catalogue

    try:
        rule = catalogue().resolve(
            filing.item_code, filing.use, filing.params or {}, on=filing.status_as_of
        )
    except (KeyError, ValueError):
        return filing.status_reason
    return rule_text(rule)
