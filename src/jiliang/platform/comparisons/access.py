"""Who reads what of a campaign (比对信息的可见范围), and the sealed view of results.

Campaigns are read by the operator, the pilot's and participants' staff, and regulators and
inspectors whose area holds the pilot or a participant (``readable(user, Campaign)``). Results
are sealed until close: before it, every reader — the pilot, regulators and the operator
included — sees only each submission's commitment digest and time; a participant also sees its
own value.
"""

from __future__ import annotations

from typing import Any

from jiliang.platform.registry.permissions import readable, user_organisation_id

from .models import Campaign, Flag, Score, Submission


def campaigns_for(user):
    """Campaigns ``user`` may read."""
    return readable(user, Campaign)


def submission_view(user, campaign: Campaign, sub: Submission) -> dict[str, Any]:
    """A submission as ``user`` may see it: the digest always, the value only when unsealed
    (after close) or to the participant's own staff."""
    org = sub.participant.organisation
    out: dict[str, Any] = {
        "participant": org.code,
        "organisation": org.name,
        "digest": sub.digest,
        "submitted_at": sub.submitted_at,
        "sealed": campaign.sealed,
        "value": None,
        "expanded_uncertainty": None,
        "k": None,
        "unit": None,
    }
    own = user_organisation_id(user) == org.pk
    if not campaign.sealed or own:
        out.update(
            value=sub.value,
            expanded_uncertainty=sub.expanded_uncertainty,
            k=sub.k,
            unit=sub.unit,
        )
    if not campaign.sealed and hasattr(sub, "reveal"):
        out["salt"] = sub.reveal.salt
    return out


def record_of(user, organisation) -> dict[str, Any]:
    """An organisation's comparison record as ``user`` may read it (campaigns they can read):
    ``participations`` (count), ``flags`` (:class:`Flag` rows: unsatisfactory results) and
    ``evidence`` (satisfactory analysed results: campaign, measurand, score name and value)."""
    visible = campaigns_for(user).values("pk")
    scores = (
        Score.objects.filter(participant__organisation=organisation, campaign__in=visible)
        .filter(campaign__status__in=[Campaign.Status.ANALYSED, Campaign.Status.REPORTED])
        .select_related("campaign")
    )
    evidence = []
    for s in scores:
        if s.performance != "satisfactory":
            continue
        key = s.campaign.score if s.campaign.kind == Campaign.Kind.PT else "en"
        evidence.append(
            {
                "campaign": s.campaign.code,
                "title": s.campaign.title,
                "measurand": s.campaign.measurand,
                "score": key,
                "score_label": dict(Campaign.Score.choices)[key],
                "value": getattr(s, key),
                "performance": s.performance,
            }
        )
    flags = list(
        readable(user, Flag)
        .filter(organisation=organisation)
        .select_related("campaign", "organisation__region", "score")
    )
    flag_rows = []
    for f in flags:
        key = f.campaign.score if f.campaign.kind == Campaign.Kind.PT else "en"
        flag_rows.append(
            {
                "campaign": f.campaign.code,
                "score_label": dict(Campaign.Score.choices)[key],
                "value": getattr(f.score, key),
            }
        )
    return {
        "flag_rows": flag_rows,
        "participations": organisation.comparison_participations.filter(
            campaign__in=visible
        ).count(),
        "flags": flags,
        "evidence": evidence,
    }
