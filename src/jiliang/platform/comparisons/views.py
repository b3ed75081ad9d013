"""Campaign pages: the list and one page per campaign with its scores table and chart."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from jiliang.platform import lists

from .access import campaigns_for, record_of, submission_view
from .models import Campaign, Submission

#: the core's performance classes (ISO 13528:2022 9.4.1), as the pages show them
PERFORMANCE = {
    "satisfactory": _("满意"),
    "questionable": _("有问题"),
    "unsatisfactory": _("不满意"),
    "": "—",
}


def _score_rows(scores) -> list[dict]:
    return [
        {
            "organisation": s.participant.organisation,
            "x": s.x,
            "U": s.expanded_uncertainty,
            "z": s.z,
            "z_class": PERFORMANCE[s.z_class],
            "z_prime": s.z_prime,
            "z_prime_class": PERFORMANCE[s.z_prime_class],
            "zeta": s.zeta,
            "zeta_class": PERFORMANCE[s.zeta_class],
            "en": s.en,
            "en_class": PERFORMANCE[s.en_class],
            "d": s.d,
            "U_d": s.U_d,
            "included": s.included,
            "performance": PERFORMANCE[s.performance],
            "bad": s.performance == "unsatisfactory",
        }
        for s in scores
    ]


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = campaigns_for(request.user).select_related("pilot").order_by("-pk")
    listing = lists.paginate(request, campaigns)
    return render(
        request,
        "comparisons/campaign_list.html",
        {"campaigns": listing.page.object_list, "listing": listing},
    )


@login_required
def campaign_detail(request: HttpRequest, code: str) -> HttpResponse:
    campaign = get_object_or_404(campaigns_for(request.user).select_related("pilot"), code=code)
    subs = Submission.objects.filter(participant__campaign=campaign).select_related(
        "participant__organisation", "reveal"
    )
    submissions = [submission_view(request.user, campaign, s) for s in subs]
    scores = list(campaign.scores.select_related("participant__organisation"))
    key = "en" if campaign.kind != Campaign.Kind.PT else campaign.score
    label = dict(Campaign.Score.choices)[key]
    chart = {
        "score": label,
        "labels": [s.participant.organisation.name for s in scores],
        "values": [getattr(s, key) for s in scores],
        "limits": [1.0] if key == "en" else [2.0, 3.0],
    }
    return render(
        request,
        "comparisons/campaign_detail.html",
        {
            "campaign": campaign,
            "participants": campaign.participants.select_related("organisation"),
            "submissions": submissions,
            "scores": _score_rows(scores),
            "score_label": label,
            "circulation": campaign.circulation.select_related("holder"),
            "chart_json": chart,
            "is_pt": campaign.kind == Campaign.Kind.PT,
        },
    )


def organisation_panel(request: HttpRequest, obj) -> str | None:
    """On an organisation's registry page: its comparison record (flags and evidence), shown
    only when the user can read some of its participations."""
    from jiliang.platform.registry.models import Organisation

    if not isinstance(obj, Organisation) or not request.user.is_authenticated:
        return None
    rec = record_of(request.user, obj)
    if not rec["participations"] and not rec["flags"]:
        return None
    return render_to_string("comparisons/organisation_panel.html", rec, request=request)
