"""Campaign life cycle (比对流程): create, invite, open, submit (sealed), close, analyse, report.

Every write runs inside ``transaction.atomic()`` and ``acting_as(user)``, so each change is an
audit entry (and a transparency-log leaf). Refusals raise
:class:`~jiliang.platform.registry.authority.Denied` (403), bad input
:class:`~jiliang.platform.registry.api.FieldErrors` (422, naming the field) and a step out of
order :class:`WorkflowError` (409). Numbers come from :mod:`jiliang.core.comparisons` only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiliang.core.comparisons import keycomparison as kc
from jiliang.core.comparisons import pt
from jiliang.core.units import UnitError, convert, convert_difference, parse_dsi
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.registry.authority import INSTITUTION_KINDS, Denied
from jiliang.platform.registry.models import Organisation
from jiliang.platform.registry.permissions import user_organisation_id, user_region_prefix

from .models import Campaign, Circulation, Flag, Participant, Reveal, Score, Submission

#: commitment format: SHA-256 over ``jiliang/comparison-result/v1\n<salt>\n<canonical JSON>``
COMMITMENT_PREFIX = "jiliang/comparison-result/v1"


class WorkflowError(Exception):
    """A step asked for in the wrong status (409); the message names ``status``."""


def _now() -> dt.datetime:
    """The current time (one place, so tests can move the clock)."""
    return timezone.now()


# ------------------------------------------------------------------------------ who may act
def _org_id(user) -> int | None:
    return user_organisation_id(user)


def is_pilot_staff(user, campaign: Campaign) -> bool:
    """Staff of the pilot institution (lab staff whose organisation is the pilot)."""
    return role_of(user) is Role.LAB_STAFF and _org_id(user) == campaign.pilot_id


def is_regulator_of(user, organisation: Organisation) -> bool:
    """A regulator whose area holds ``organisation``'s region."""
    if role_of(user) is not Role.REGULATOR:
        return False
    prefix = user_region_prefix(user)
    return bool(prefix and organisation.region.code.startswith(prefix))


def _manages(user, campaign: Campaign) -> bool:
    return (
        role_of(user) is Role.ADMIN
        or is_pilot_staff(user, campaign)
        or is_regulator_of(user, campaign.pilot)
    )


def _require(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise Denied({field: message})


def _status(campaign: Campaign, *allowed: str) -> None:
    if campaign.status not in allowed:
        raise WorkflowError(
            f"status: campaign {campaign.code} is {campaign.status}; this step needs "
            + " or ".join(allowed)
        )


# ------------------------------------------------------------------------------ validation
def _finite(name: str, value: Any, errors: dict[str, list[str]]) -> float | None:
    if value is None or isinstance(value, bool):
        errors[name] = [f"{name}: a number is required"]
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        errors[name] = [f"{name}: must be a number, got {value!r}"]
        return None
    if not math.isfinite(v):
        errors[name] = [f"{name}: must be a finite number, got {value!r}"]
        return None
    return v


def check_unit(unit: str, field: str = "unit") -> str:
    """A D-SI unit string (as the registry stores quantities); FieldErrors naming ``field``."""
    try:
        parse_dsi(unit)
    except UnitError as exc:
        raise FieldErrors({field: [f"{field}: {exc}"]}) from None
    return unit


def _validate_settings(c: Campaign) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("assigned_value", "assigned_uncertainty", "sigma_pt"):
        v = getattr(c, name)
        if v is not None and not (isinstance(v, int | float) and math.isfinite(v)):
            errors[name] = [f"{name}: must be a finite number, got {v!r}"]
    if c.sigma_pt is not None and c.sigma_pt <= 0:
        errors["sigma_pt"] = [f"sigma_pt: must be > 0, got {c.sigma_pt}"]
    if c.assigned_uncertainty is not None and c.assigned_uncertainty < 0:
        errors["assigned_uncertainty"] = [
            f"assigned_uncertainty: must be ≥ 0, got {c.assigned_uncertainty}"
        ]
    if c.kind == Campaign.Kind.PT:
        if c.assigned_source != Campaign.AssignedSource.CONSENSUS and c.assigned_value is None:
            errors["assigned_value"] = [
                f"assigned_value: required when the assigned value comes from {c.assigned_source}"
            ]
        if c.assigned_source != Campaign.AssignedSource.CONSENSUS and (
            c.assigned_uncertainty is None
        ):
            errors["assigned_uncertainty"] = [
                "assigned_uncertainty: the standard uncertainty u(x_pt) of the assigned value "
                "is required"
            ]
        if c.sigma_source != Campaign.SigmaSource.ROBUST and c.sigma_pt is None:
            errors["sigma_pt"] = [f"sigma_pt: required when σ_pt comes from {c.sigma_source}"]
    for name, choices in (
        ("kind", Campaign.Kind),
        ("assigned_source", Campaign.AssignedSource),
        ("sigma_source", Campaign.SigmaSource),
        ("score", Campaign.Score),
        ("fallback", Campaign.Fallback),
    ):
        if getattr(c, name) not in choices.values:
            errors[name] = [f"{name}: must be one of {', '.join(choices.values)}"]
    if errors:
        raise FieldErrors(errors)


# ------------------------------------------------------------------------------ life cycle
def create_campaign(user, reason: str = "", **fields: Any) -> Campaign:
    """A new campaign in ``draft``: by the pilot institution's staff, its regulator or admin.

    ``fields``: the :class:`Campaign` fields (``pilot`` an :class:`Organisation`); ``unit`` must
    be D-SI. Enterprises and organisations that are not institutions cannot pilot.
    """
    campaign = Campaign(**fields)
    if isinstance(campaign.deadline, dt.datetime) and timezone.is_naive(campaign.deadline):
        campaign.deadline = timezone.make_aware(campaign.deadline)  # the platform's time zone
    pilot = campaign.pilot
    _require(
        role_of(user) is Role.ADMIN
        or (role_of(user) is Role.LAB_STAFF and _org_id(user) == pilot.pk)
        or is_regulator_of(user, pilot),
        "pilot",
        "only the pilot institution's staff, its regulator or the operator create a campaign",
    )
    if pilot.kind not in INSTITUTION_KINDS:
        raise FieldErrors({"pilot": [f"pilot: {pilot} is not a metrology institution"]})
    check_unit(campaign.unit)
    if not campaign.code.strip():
        raise FieldErrors({"code": ["code: required"]})
    if Campaign.objects.filter(code=campaign.code).exists():
        raise FieldErrors({"code": [f"code: campaign {campaign.code} already exists"]})
    _validate_settings(campaign)
    campaign.status = Campaign.Status.DRAFT
    with transaction.atomic(), acting_as(user, reason or "campaign created"):
        campaign.save()
    return campaign


def invite(user, campaign: Campaign, organisation: Organisation, reason: str = "") -> Participant:
    """Add ``organisation`` as a participant (draft or open campaigns)."""
    _require(_manages(user, campaign), "campaign", "only the pilot or its regulator invites")
    _status(campaign, Campaign.Status.DRAFT, Campaign.Status.OPEN)
    if Participant.objects.filter(campaign=campaign, organisation=organisation).exists():
        raise FieldErrors({"organisation": [f"organisation: {organisation} already participates"]})
    with transaction.atomic(), acting_as(user, reason or "participant invited"):
        return Participant.objects.create(campaign=campaign, organisation=organisation)


def open_campaign(user, campaign: Campaign, reason: str = "") -> Campaign:
    """draft → open: results are accepted until the deadline."""
    _require(_manages(user, campaign), "campaign", "only the pilot or its regulator opens")
    _status(campaign, Campaign.Status.DRAFT)
    if not campaign.participants.exists():
        raise FieldErrors({"participants": ["participants: invite participants first"]})
    if _now() >= campaign.deadline:
        raise FieldErrors({"deadline": [f"deadline: {campaign.deadline.isoformat()} has passed"]})
    campaign.status = Campaign.Status.OPEN
    with transaction.atomic(), acting_as(user, reason or "campaign opened"):
        campaign.save()
    return campaign


def canonical_result(campaign: Campaign, participant: Participant, data: dict[str, Any]) -> str:
    """Canonical JSON of a result (sorted keys, no spaces): what the commitment covers."""
    body = {
        "campaign": campaign.code,
        "participant": participant.organisation.code,
        "value": repr(float(data["value"])),
        "expanded_uncertainty": repr(float(data["expanded_uncertainty"])),
        "k": repr(float(data["k"])),
        "unit": data["unit"],
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def commitment(canonical: str, salt: str) -> str:
    """SHA-256 commitment of a result: reveals nothing without the 256-bit salt."""
    text = f"{COMMITMENT_PREFIX}\n{salt}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def submit(
    user,
    campaign: Campaign,
    value: Any,
    expanded_uncertainty: Any,
    k: Any = 2.0,
    unit: str | None = None,
    reason: str = "",
) -> Submission:
    """The participant's own staff submit (or replace) its result while the campaign is open.

    ``value`` and ``expanded_uncertainty`` (U > 0, at coverage factor ``k`` > 0) in ``unit``
    (default: the campaign's), which must convert to the campaign's unit. After the deadline:
    FieldErrors on ``submitted_at``.
    """
    org_id = _org_id(user)
    participant = (
        Participant.objects.select_related("organisation")
        .filter(campaign=campaign, organisation_id=org_id)
        .first()
        if org_id is not None and role_of(user) in (Role.LAB_STAFF, Role.ENTERPRISE)
        else None
    )
    _require(
        participant is not None,
        "participant",
        "only staff of a participating organisation submit its own result",
    )
    _status(campaign, Campaign.Status.OPEN)
    now = _now()
    if now >= campaign.deadline:
        raise FieldErrors(
            {
                "submitted_at": [
                    f"submitted_at: {now.isoformat()} is after the deadline "
                    f"{campaign.deadline.isoformat()}"
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    x = _finite("value", value, errors)
    big_u = _finite("expanded_uncertainty", expanded_uncertainty, errors)
    kk = _finite("k", k, errors)
    if big_u is not None and big_u <= 0:
        errors["expanded_uncertainty"] = [f"expanded_uncertainty: U must be > 0, got {big_u}"]
    if kk is not None and kk <= 0:
        errors["k"] = [f"k: must be > 0, got {kk}"]
    unit = unit or campaign.unit
    x_m = u_m = None
    try:
        parse_dsi(unit)
        if x is not None and big_u is not None:
            x_m = float(convert(x, unit, campaign.unit))
            u_m = float(convert_difference(big_u, unit, campaign.unit))
    except UnitError as exc:
        errors["unit"] = [f"unit: {unit} cannot be used for {campaign.unit}: {exc}"]
    if errors:
        raise FieldErrors(errors)
    data = {"value": x, "expanded_uncertainty": big_u, "k": kk, "unit": unit}
    salt = secrets.token_hex(32)
    digest = commitment(canonical_result(campaign, participant, data), salt)
    sub = Submission.objects.filter(participant=participant).first() or Submission(
        participant=participant
    )
    sub.value, sub.expanded_uncertainty, sub.k, sub.unit = x, big_u, kk, unit
    sub.value_m, sub.expanded_uncertainty_m = x_m, u_m
    sub.salt, sub.digest, sub.submitted_at, sub.submitted_by = salt, digest, now, user
    with transaction.atomic(), acting_as(user, reason or "result submitted (sealed)"):
        sub.save()
    return sub


def close(user, campaign: Campaign, reason: str = "") -> Campaign:
    """open → closed once the deadline has passed; every submission is revealed (audited)."""
    _require(_manages(user, campaign), "campaign", "only the pilot or its regulator closes")
    _status(campaign, Campaign.Status.OPEN)
    now = _now()
    if now < campaign.deadline:
        raise FieldErrors(
            {
                "deadline": [
                    f"deadline: results are sealed until {campaign.deadline.isoformat()}; "
                    "close after it"
                ]
            }
        )
    with transaction.atomic(), acting_as(user, reason or "campaign closed, results revealed"):
        for sub in Submission.objects.filter(participant__campaign=campaign):
            Reveal.objects.create(
                submission=sub,
                value=sub.value,
                expanded_uncertainty=sub.expanded_uncertainty,
                k=sub.k,
                unit=sub.unit,
                salt=sub.salt,
                digest=sub.digest,
                revealed_at=now,
            )
        campaign.status = Campaign.Status.CLOSED
        campaign.closed_at = now
        campaign.save()
    return campaign


def verify_commitment(sub: Submission) -> bool:
    """Does the stored result still match the commitment made at submission?"""
    canonical = canonical_result(
        sub.participant.campaign,
        sub.participant,
        {
            "value": sub.value,
            "expanded_uncertainty": sub.expanded_uncertainty,
            "k": sub.k,
            "unit": sub.unit,
        },
    )
    return commitment(canonical, sub.salt) == sub.digest


# ------------------------------------------------------------------------------ analysis
@dataclass(frozen=True)
class Row:
    participant: Participant
    x: float  # campaign unit
    U: float  # campaign unit
    k: float


_FIELD = re.compile(r"^([A-Za-z_][A-Za-z_.]*)")


def _core_error(exc: ValueError) -> FieldErrors:
    """The core's refusal passed on naming its field (PTError.field, or the message's head)."""
    field = getattr(exc, "field", None)
    if field is None:
        m = _FIELD.match(str(exc))
        field = m.group(1) if m else "analysis"
    return FieldErrors({field: [str(exc)]})


def _rows(campaign: Campaign) -> list[Row]:
    subs = (
        Submission.objects.filter(participant__campaign=campaign)
        .select_related("participant__organisation", "participant__campaign")
        .order_by("participant_id")
    )
    rows = []
    for sub in subs:
        if not verify_commitment(sub):
            raise WorkflowError(
                f"submission of {sub.participant.organisation.code} no longer matches its "
                "logged commitment: changed behind the platform, analysis refused"
            )
        rows.append(Row(sub.participant, sub.value_m, sub.expanded_uncertainty_m, sub.k))
    if not rows:
        raise FieldErrors({"submissions": ["submissions: no results were submitted"]})
    return rows


def compute_pt(campaign: Campaign, rows: list[Row]) -> dict[str, Any]:
    """Assigned value, σ_pt and z, z′, ζ, Eₙ per participant by ISO 13528:2022 (the core)."""
    x = [r.x for r in rows]
    big_u = [r.U for r in rows]
    u = [r.U / r.k for r in rows]
    estimate = None
    if (
        campaign.assigned_source == Campaign.AssignedSource.CONSENSUS
        or campaign.sigma_source == Campaign.SigmaSource.ROBUST
    ):
        estimate = pt.algorithm_a(x)
    if campaign.assigned_source == Campaign.AssignedSource.CONSENSUS:
        assigned = pt.AssignedValue.from_consensus(estimate)
    else:
        assigned = pt.AssignedValue(
            campaign.assigned_value, campaign.assigned_uncertainty, campaign.assigned_source
        )
    if campaign.sigma_source == Campaign.SigmaSource.ROBUST:
        sigma = pt.SigmaPT.robust(estimate)
    else:
        sigma = pt.SigmaPT(campaign.sigma_pt, campaign.sigma_source)
    check = pt.check_assigned_uncertainty(assigned, sigma)
    scores = {
        "z": pt.z_scores(x, assigned, sigma),
        "z_prime": pt.z_prime_scores(x, assigned, sigma),
        "zeta": pt.zeta_scores(x, u, assigned),
        "en": pt.en_scores(x, big_u, assigned),
    }
    return {
        "assigned": assigned,
        "sigma": sigma,
        "check": check,
        "estimate": estimate,
        "scores": scores,
    }


def compute_kc(campaign: Campaign, rows: list[Row]) -> kc.KeyComparisonResult:
    """KCRV (weighted mean, χ² test, fallback) and degrees of equivalence (the core)."""
    return kc.evaluate_key_comparison(
        [r.x for r in rows],
        [r.U / r.k for r in rows],
        [r.participant.organisation.code for r in rows],
        fallback=campaign.fallback,
    )


def _num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def analyse(user, campaign: Campaign, reason: str = "") -> Campaign:
    """closed/analysed → analysed: run the core, store the scores, the reference and the flags.

    Only the pilot's staff (or the operator). The core's refusals (too few results, a zero MAD,
    …) are FieldErrors naming the core's field, and nothing is written.
    """
    _require(
        role_of(user) is Role.ADMIN or is_pilot_staff(user, campaign),
        "campaign",
        "only the pilot institution's staff analyse the results",
    )
    _status(campaign, Campaign.Status.CLOSED, Campaign.Status.ANALYSED)
    rows = _rows(campaign)
    score_rows: list[Score] = []
    try:
        if campaign.kind == Campaign.Kind.PT:
            res = compute_pt(campaign, rows)
            s = res["scores"]
            for i, r in enumerate(rows):
                labels = {key: s[key].labels()[i] for key in s}
                score_rows.append(
                    Score(
                        campaign=campaign,
                        participant=r.participant,
                        x=r.x,
                        expanded_uncertainty=r.U,
                        z=float(s["z"].values[i]),
                        z_class=labels["z"],
                        z_prime=float(s["z_prime"].values[i]),
                        z_prime_class=labels["z_prime"],
                        zeta=float(s["zeta"].values[i]),
                        zeta_class=labels["zeta"],
                        en=float(s["en"].values[i]),
                        en_class=labels["en"],
                        performance=labels[campaign.score],
                    )
                )
            assigned, check = res["assigned"], res["check"]
            ref_value, ref_u = assigned.value, assigned.standard_uncertainty
            summary = {
                "method": "ISO 13528:2022",
                "assigned_source": str(assigned.source),
                "sigma_pt": res["sigma"].value,
                "sigma_source": str(res["sigma"].source),
                "u_check": {
                    "negligible": check.negligible,
                    "ratio": check.ratio,
                    "recommended_score": check.recommended_score,
                    "message": check.message,
                },
                "robust": (
                    {
                        "x_star": res["estimate"].location,
                        "s_star": res["estimate"].scale,
                        "iterations": res["estimate"].iterations,
                    }
                    if res["estimate"] is not None
                    else None
                ),
                "score": campaign.score,
            }
        else:
            res = compute_kc(campaign, rows)
            doe = res.doe
            for i, r in enumerate(rows):
                en = doe.en[i]
                score_rows.append(
                    Score(
                        campaign=campaign,
                        participant=r.participant,
                        x=r.x,
                        expanded_uncertainty=r.U,
                        en=_num(en),
                        en_class="unsatisfactory" if doe.flagged[i] else "satisfactory",
                        d=doe.d[i],
                        U_d=doe.U[i],
                        included=doe.included[i],
                        performance="unsatisfactory" if doe.flagged[i] else "satisfactory",
                    )
                )
            ref, test = res.reference, res.consistency
            ref_value, ref_u = ref.value, ref.u
            summary = {
                "method": ref.method,
                "fallback": res.fallback,
                "chi2_obs": test.chi2_obs,
                "dof": test.dof,
                "critical": test.critical,
                "p_value": test.p_value,
                "consistent": test.passed,
                "tau2": ref.tau2,
                "weighted_mean": res.weighted_mean.value,
                "score": "en",
            }
    except ValueError as exc:  # PTError is a ValueError; the core names the field
        raise _core_error(exc) from None
    now = _now()
    with transaction.atomic(), acting_as(user, reason or "campaign analysed"):
        for old in Score.objects.filter(campaign=campaign):
            old.delete()  # one by one: each deletion is audited (flags cascade, audited too)
        for row in score_rows:
            row.save()
            if row.performance == "unsatisfactory":
                name = dict(Campaign.Score.choices)[
                    "en" if campaign.kind != "pt" else campaign.score
                ]
                value = row.en if campaign.kind != "pt" else getattr(row, campaign.score)
                Flag.objects.create(
                    score=row,
                    campaign=campaign,
                    organisation=row.participant.organisation,
                    reason=f"{campaign.code}: {name} = {value:.2f} unsatisfactory",
                )
        campaign.reference_value = ref_value
        campaign.reference_uncertainty = ref_u
        campaign.analysis = summary
        campaign.analysed_at = now
        campaign.status = Campaign.Status.ANALYSED
        campaign.save()
    return campaign


def report(user, campaign: Campaign, reason: str = "") -> Campaign:
    """analysed → reported (the pilot's staff or the operator)."""
    _require(
        role_of(user) is Role.ADMIN or is_pilot_staff(user, campaign),
        "campaign",
        "only the pilot institution's staff report",
    )
    _status(campaign, Campaign.Status.ANALYSED)
    campaign.status = Campaign.Status.REPORTED
    campaign.reported_at = _now()
    with transaction.atomic(), acting_as(user, reason or "campaign reported"):
        campaign.save()
    return campaign


def record_circulation(
    user,
    campaign: Campaign,
    holder: Organisation,
    received_on: dt.date,
    shipped_on: dt.date | None = None,
    note: str = "",
    reason: str = "",
) -> Circulation:
    """Record who held the artefact (the pilot, or the holder's own staff)."""
    _require(
        _manages(user, campaign)
        or (role_of(user) is Role.LAB_STAFF and _org_id(user) == holder.pk),
        "holder",
        "only the pilot, its regulator or the holder records the artefact's circulation",
    )
    if not (holder.pk == campaign.pilot_id or campaign.participants.filter(organisation=holder)):
        raise FieldErrors({"holder": [f"holder: {holder} is neither pilot nor participant"]})
    if shipped_on is not None and shipped_on < received_on:
        raise FieldErrors({"shipped_on": ["shipped_on: must not be before received_on"]})
    with transaction.atomic(), acting_as(user, reason or "artefact circulation"):
        return Circulation.objects.create(
            campaign=campaign,
            holder=holder,
            received_on=received_on,
            shipped_on=shipped_on,
            note=note,
        )
