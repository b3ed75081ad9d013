"""Comparison report (比对报告) of an analysed campaign as a PDF, in the reader's language.

Everything printed is what the analysis stored (:class:`~.models.Campaign` ``reference_*`` and
``analysis``, the :class:`~.models.Score` rows): no number is recomputed here. The report
carries the campaign's details, the method (assigned value source and σ_pt for proficiency
testing; the reference method, the χ² consistency test and its verdict for key comparisons),
the reference value with its standard uncertainty, the scores or degrees-of-equivalence table,
a chart (primary score bars with the ±2/±3 limits for PT — ISO 13528:2022 9.4.1 —, dᵢ with
U(dᵢ) error bars for a key comparison) and, for every sealed submission, its commitment digest
and the transparency-log leaf of the audit entry of its reveal.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from jiliang.core.presentation import unit_symbol
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.common import pdf

from .models import Campaign, Reveal, Score, Submission
from .views import PERFORMANCE

#: reportlab paragraph markup of the score names (the CJK font has no subscript ₙ)
_SCORE_MARKUP = {"z": "z", "z_prime": "z′", "zeta": "ζ", "en": "E<sub>n</sub>"}
_SCORE_PLAIN = {"z": "z", "z_prime": "z′", "zeta": "ζ", "en": "En"}


@dataclass(frozen=True)
class Commitment:
    """A sealed submission as the report prints it."""

    participant: str
    digest: str
    submitted_at: str
    leaf: int | None  # transparency-log leaf of the reveal's audit entry


def title() -> str:
    """The report's title in the active language."""
    return _("比对报告")


def _g(v: float | None, digits: int = 6) -> str:
    """A stored number, ``digits`` significant digits (— when absent or not finite)."""
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v:.{digits}g}"


def _f2(v: float | None) -> str:
    """A score to two decimals, as ISO 13528 prints them."""
    return "—" if v is None or not math.isfinite(v) else f"{v:.2f}"


def _label(choices, value: str) -> str:
    return str(dict(choices).get(value, value))


def commitments(campaign: Campaign) -> list[Commitment]:
    """Each submission's digest with the log leaf of its reveal (one query for all leaves)."""
    subs = list(
        Submission.objects.filter(participant__campaign=campaign)
        .select_related("participant__organisation", "reveal")
        .order_by("participant_id")
    )
    reveal_ids = [str(s.reveal.pk) for s in subs if hasattr(s, "reveal")]
    leaves = dict(
        AuditEntry.objects.filter(
            model=Reveal._meta.label_lower, object_id__in=reveal_ids, action="create"
        ).values_list("object_id", "ledger_index")
    )
    return [
        Commitment(
            s.participant.organisation.code,
            s.digest,
            s.submitted_at.isoformat(timespec="seconds"),
            leaves.get(str(s.reveal.pk)) if hasattr(s, "reveal") else None,
        )
        for s in subs
    ]


def facts(campaign: Campaign) -> list[tuple[str, str]]:
    """The campaign's details and, from the stored analysis, its method and reference value."""
    unit = unit_symbol(campaign.unit)
    a = campaign.analysis or {}
    is_pt = campaign.kind == Campaign.Kind.PT
    rows = [
        (_("编号"), campaign.code),
        (_("名称"), campaign.title),
        (_("类型"), campaign.get_kind_display()),
        (_("主导机构"), f"{campaign.pilot.name} ({campaign.pilot.code})"),
        (_("被测量"), f"{campaign.measurand} ({unit})"),
    ]
    if campaign.artefact:
        rows.append((_("传递标准/样品"), campaign.artefact))
    if campaign.protocol_document:
        rows.append((_("比对方案文件"), campaign.protocol_document))
    rows += [
        (_("结果提交截止时间"), campaign.deadline.isoformat(timespec="minutes")),
        (_("状态"), campaign.get_status_display()),
        (_("分析时间"), campaign.analysed_at.isoformat(timespec="seconds")),
    ]
    ref_name = _("指定值") if is_pt else _("参考值")
    rows.append(
        (
            ref_name,
            f"{_g(campaign.reference_value)} {unit}, "
            f"u = {_g(campaign.reference_uncertainty)} {unit}",
        )
    )
    if is_pt:
        rows += [
            (_("方法"), "ISO 13528:2022"),
            (_("指定值来源"), _label(Campaign.AssignedSource.choices, campaign.assigned_source)),
            (
                _("能力评定标准差 σ_pt"),
                f"{_g(a.get('sigma_pt'))} {unit} "
                f"({_label(Campaign.SigmaSource.choices, campaign.sigma_source)})",
            ),
        ]
        check = a.get("u_check") or {}
        if check:
            rows.append(
                (
                    "u(x_pt)/σ_pt",
                    f"{_g(check.get('ratio'), 3)} "
                    + ("≤ 0.3 ✔" if check.get("negligible") else "> 0.3 ✘"),
                )
            )
        if a.get("robust"):
            r = a["robust"]
            rows.append(
                (_("稳健统计 (算法 A)"), f"x* = {_g(r['x_star'])}, s* = {_g(r['s_star'])} {unit}")
            )
        rows.append((_("评价统计量"), _SCORE_PLAIN[campaign.score]))
    else:
        verdict = _("一致") if a.get("consistent") else _("不一致")
        rows += [
            (_("参考值计算方法"), str(a.get("method", ""))),
            (_("不一致时的参考值"), _label(Campaign.Fallback.choices, campaign.fallback)),
            (
                _("χ² 一致性检验"),
                f"χ²obs = {_g(a.get('chi2_obs'), 4)}, ν = {a.get('dof')}, "
                f"χ²0.95 = {_g(a.get('critical'), 4)}, p = {_g(a.get('p_value'), 3)}: {verdict}",
            ),
        ]
    return rows


def score_table(campaign: Campaign, scores: list[Score]) -> tuple[list[str], list[list[str]]]:
    """Header and rows (paragraph markup) of the scores / degrees-of-equivalence table."""
    esc = pdf.escape
    if campaign.kind == Campaign.Kind.PT:
        header = [
            _("参加机构"),
            _("测量结果"),
            _("扩展不确定度 U"),
            "z",
            "z′",
            "ζ",
            "E<sub>n</sub>",
        ]
        rows = [
            [
                esc(s.participant.organisation.name),
                _g(s.x),
                _g(s.expanded_uncertainty),
                _f2(s.z),
                _f2(s.z_prime),
                _f2(s.zeta),
                _f2(s.en),
            ]
            for s in scores
        ]
    else:
        header = [
            _("参加机构"),
            _("测量结果"),
            _("扩展不确定度 U"),
            "d<sub>i</sub>",
            "U(d<sub>i</sub>)",
            "E<sub>n</sub>",
            esc(_("参与参考值计算")),
        ]
        rows = [
            [
                esc(s.participant.organisation.name),
                _g(s.x),
                _g(s.expanded_uncertainty),
                _g(s.d, 4),
                _g(s.U_d, 4),
                _f2(s.en),
                "✔" if s.included else "—",
            ]
            for s in scores
        ]
    header.append(esc(_("评价结论")))
    for row, s in zip(rows, scores, strict=True):
        row.append(esc(str(PERFORMANCE.get(s.performance, s.performance))))
    return header, rows


def chart(campaign: Campaign, scores: list[Score], width: float, height: float):
    """A reportlab Drawing: PT — bars of the primary score with dashed ±2 and ±3 lines;
    key comparison — dᵢ as points with ±U(dᵢ) error bars around the zero line."""
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    font = pdf.styles().font
    d = Drawing(width, height)
    left, bottom, top = 40.0, 40.0, height - 12.0
    plot_w = width - left - 10.0
    is_pt = campaign.kind == Campaign.Kind.PT
    key = campaign.score if is_pt else "en"
    if is_pt:
        values = [getattr(s, key) for s in scores]
        finite = [v for v in values if v is not None and math.isfinite(v)]
        span = max([3.5, *[abs(v) * 1.1 for v in finite]])
        lo, hi = -span, span
    else:
        pairs = [(s.d or 0.0, s.U_d or 0.0) for s in scores]
        span = max([abs(x) + u for x, u in pairs] + [1e-300]) * 1.1
        lo, hi = -span, span

    def y(v: float) -> float:
        return bottom + (v - lo) / (hi - lo) * (top - bottom)

    d.add(Line(left, bottom, left, top, strokeColor=colors.black, strokeWidth=0.5))
    d.add(Line(left, y(0), left + plot_w, y(0), strokeColor=colors.black, strokeWidth=0.5))
    for tick in (lo, lo / 2, 0.0, hi / 2, hi):
        d.add(String(left - 3, y(tick) - 2, _g(tick, 3), fontName=font, fontSize=6,
                     textAnchor="end"))  # fmt: skip
    if is_pt:
        for limit, colour in ((2.0, colors.orange), (3.0, colors.red)):
            for v in (limit, -limit):
                d.add(Line(left, y(v), left + plot_w, y(v), strokeColor=colour,
                           strokeWidth=0.6, strokeDashArray=[3, 2]))  # fmt: skip
    n = max(len(scores), 1)
    step = plot_w / n
    for i, s in enumerate(scores):
        cx = left + step * (i + 0.5)
        if is_pt:
            v = getattr(s, key)
            if v is not None and math.isfinite(v):
                colour = colors.firebrick if abs(v) >= 3 else (
                    colors.orange if abs(v) > 2 else colors.steelblue)  # fmt: skip
                y0, y1 = sorted((y(0), y(v)))
                d.add(Rect(cx - step * 0.3, y0, step * 0.6, y1 - y0, fillColor=colour,
                           strokeColor=None))  # fmt: skip
        else:
            dv, uv = s.d or 0.0, s.U_d or 0.0
            colour = colors.firebrick if s.performance == "unsatisfactory" else colors.steelblue
            d.add(Line(cx, y(dv - uv), cx, y(dv + uv), strokeColor=colour, strokeWidth=0.8))
            for end in (dv - uv, dv + uv):
                d.add(Line(cx - 3, y(end), cx + 3, y(end), strokeColor=colour, strokeWidth=0.8))
            d.add(Rect(cx - 2, y(dv) - 2, 4, 4, fillColor=colour, strokeColor=None))
        d.add(String(cx, bottom - 10, s.participant.organisation.code[-6:], fontName=font,
                     fontSize=5.5, textAnchor="middle"))  # fmt: skip
    axis = _SCORE_PLAIN[key] if is_pt else f"d ({unit_symbol(campaign.unit)})"
    d.add(String(left, height - 8, axis, fontName=font, fontSize=7))
    return d


def to_pdf(campaign: Campaign) -> bytes:
    """The report of an analysed (or reported) campaign as an A4 PDF in the active language."""
    from reportlab.platypus import Paragraph, Spacer

    st = pdf.styles()
    scores = list(campaign.scores.select_related("participant__organisation").order_by("id"))
    buf = io.BytesIO()
    doc = pdf.document(buf, f"{title()} {campaign.code}")
    story = [
        Paragraph(pdf.escape(f"{title()} · {campaign.code}"), st.head),
        Spacer(1, 3 * pdf.MM),
        pdf.facts_table(facts(campaign), st, (45, 140)),
        Paragraph(pdf.escape(_("评价结果")), st.heading),
    ]
    header, rows = score_table(campaign, scores)
    if campaign.kind == Campaign.Kind.PT:
        widths = [52, 22, 22, 18, 18, 18, 18, 17]
    else:
        widths = [46, 22, 22, 20, 20, 16, 19, 20]
    story.append(pdf.grid_table(header, rows, st, widths))
    story.append(Spacer(1, 3 * pdf.MM))
    story.append(chart(campaign, scores, 185 * pdf.MM, 70 * pdf.MM))
    story.append(Paragraph(pdf.escape(_("密封结果的承诺与透明日志")), st.heading))
    story.append(
        pdf.grid_table(
            [_("参加机构"), pdf.escape(_("承诺摘要 SHA-256")), _("提交时间"), _("透明日志序号")],
            [
                [c.participant, c.digest, c.submitted_at, "—" if c.leaf is None else str(c.leaf)]
                for c in commitments(campaign)
            ],
            st,
            [32, 95, 36, 22],
        )
    )
    doc.build(story)
    return buf.getvalue()
