"""The demo region's activity (示范区域业务记录): what its people did with the platform.

Called by :func:`jiliang.platform.demo.build_demo` once the registry and the supervision records
exist::

    build_activity(as_of, seed, notes) -> dict[str, int]

Unlike the bulk-loaded registry, every record here goes through the service the pages and the
API call, as the demo login who would have done it — so each has its audit entries and
transparency-log leaves, and its permission checks ran:

* a temperature chain the bulk demo has no category for (the NMI's ITS-90 primary → the
  provincial institute's SPRT → a factory's working thermometer), registered through the
  registry API's create path;
* uncertainty budgets (``lab``) on calibrations of the provincial institute, evaluated by
  :mod:`jiliang.core.uncertainty` — a 30 kg weight set per OIML R 111-1, a pressure gauge per
  JJG 52, a fuel dispenser per JJG 443, a price scale per JJG 539 and that thermometer in a
  stirred bath at 100 °C, every input with its unit;
* digital calibration certificates for those events: drafted by ``lab``, reviewed and signed by
  a second person (``reviewer``), one amended, one withdrawn, one left in review;
* the daily supervision sweep's notifications (due soon, overdue, escalated to the regulator);
* a double-random draw (双随机) in Hangzhou committed, run and revealed by ``regulator``, with
  the inspection results recorded (failures count in the credit grades as ``spot_check_fail``)
  and a penalty for one failed business;
* prepackaged-goods inspections by ``inspector``, one lot failing.

Deterministic for a given ``seed`` except where the product is random by design: the draw's
seed (committed before it is drawn) and so its selections, and the signatures' timestamps.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from jiliang.core.legal.draw import DrawRefused
from jiliang.core.legal.prepackaged import sampling_plan
from jiliang.core.legal.schedule import add_months
from jiliang.platform.audit.context import acting_as
from jiliang.platform.calibration.models import UncertaintyBudget
from jiliang.platform.calibration.services import evaluate_and_store
from jiliang.platform.certificates import services as certs
from jiliang.platform.registry import models as m
from jiliang.platform.registry.authority import authors
from jiliang.platform.registry.permissions import can_write
from jiliang.platform.supervision import draws as draw_svc
from jiliang.platform.supervision.access import reads_region, supervisor_prefix
from jiliang.platform.supervision.inspections import record_inspection
from jiliang.platform.supervision.models import CreditEvent
from jiliang.platform.supervision.services import sweep

logger = logging.getLogger(__name__)

#: MCM trials of a demo budget: fast enough that four budgets cost about a second. The JCGM 101
#: §8 validation uses one significant digit of u (``n_dig: 1``) for three budgets, which then
#: validate; the price scale keeps two and does not — its dominant type A input has only five
#: degrees of freedom, so the GUM interval is wider than the Monte Carlo one, as it should show
TRIALS = 200_000


class DemoActivityError(RuntimeError):
    """A platform service refused a step of the demo (a bug in the demo, never expected)."""


def _user(username: str):
    return get_user_model().objects.select_related("profile__organisation").get(username=username)


# -- uncertainty budgets -----------------------------------------------------------------------


def _reference(event: m.CalibrationEvent) -> tuple[float, float]:
    """The expanded uncertainty and k of the first standard the event used (its certificate),
    in the standard's own unit; (0, 2) when none was recorded."""
    std = event.standards_used.order_by("pk").first()
    if std is None or not std.uncertainty:
        return 0.0, 2.0
    return float(std.uncertainty), float(std.k or 2.0)


def mass_spec(event: m.CalibrationEvent) -> dict[str, Any]:
    """OIML R 111-1:2004 C.6: conventional mass of a weight set by substitution weighing.

    m_ct = m_cr + δm_D + Δm_w + δm_b + δm_d + δm_E, in grams; the reference's U comes from the
    certificate of the standard the event used (stated in kg).
    """
    nominal_g = float(event.result_value or 30.0) * 1000.0
    u_ref_kg, k_ref = _reference(event)
    return {
        "title": f"OIML R 111-1 砝码组 {nominal_g / 1000:g} kg 折算质量",
        "model": "m_cr + dm_D + dm_w + dm_b + dm_d + dm_E",
        "output": {"name": "m_ct", "unit": "g"},
        "inputs": {
            "m_cr": {
                "value": nominal_g + 0.012,
                "expanded": (u_ref_kg * 1000.0) or 0.045,
                "k": k_ref,
                "unit": "g",
                "description": "参考砝码折算质量（校准证书）",
            },
            "dm_D": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.010,
                "unit": "g",
                "description": "参考砝码漂移（历次校准）",
            },
            "dm_w": {
                "distribution": "t",
                "value": 0.152,
                "u": 0.0115,
                "dof": 9,
                "unit": "g",
                "description": "ABBA 替代称量差 Δm_w（n = 10，A 类）",
            },
            "dm_b": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.006,
                "unit": "g",
                "description": "空气浮力修正 (ρa − ρ0)(V_t − V_r)",
            },
            "dm_d": {
                "distribution": "triangular",
                "value": 0,
                "half_width": 0.010,
                "unit": "g",
                "description": "衡量仪器分辨力 d = 0.01 g（两次读数）",
            },
            "dm_E": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.004,
                "unit": "g",
                "description": "偏载与磁性影响",
            },
        },
        "mcm": {"trials": TRIALS, "seed": 1, "n_dig": 1},
    }


def pressure_gauge_spec(event: m.CalibrationEvent) -> dict[str, Any]:
    """JJG 52-2013: indication error of a 1.6-class gauge at one point, E = p_i − p_s (MPa)."""
    point = float(event.result_value or 1.25)
    return {
        "title": f"JJG 52 一般压力表示值误差（{point:g} MPa 检定点）",
        "model": "p_i + d_res + d_hys - p_s",
        "output": {"name": "E", "unit": "MPa"},
        "inputs": {
            "p_i": {
                "distribution": "t",
                "value": round(point + 0.012, 4),
                "u": 0.0021,
                "dof": 5,
                "unit": "MPa",
                "description": "被检表示值，升压/降压 6 次平均（A 类）",
            },
            "d_res": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.005,
                "unit": "MPa",
                "description": "估读分辨力（分度值 0.05 MPa 的 1/5）",
            },
            "d_hys": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.004,
                "unit": "MPa",
                "description": "轻敲位移与回程误差",
            },
            "p_s": {
                "distribution": "rectangular",
                "value": point,
                "half_width": 0.00125,
                "unit": "MPa",
                "description": "0.05 级数字压力计（最大允许误差 ±0.00125 MPa）",
            },
        },
        "mcm": {"trials": TRIALS, "seed": 1, "n_dig": 1},
    }


def fuel_dispenser_spec(event: m.CalibrationEvent) -> dict[str, Any]:
    """JJG 443-2015: relative volume error with a 20 L standard metal can (二等), in %."""
    return {
        "title": "JJG 443 燃油加油机示值相对误差（20 L 标准金属量器）",
        "model": "(V_J - V_s*(1 + beta_y*(t_J - t_s) + beta_s*(t_s - t_20))) / V_s",
        "output": {"name": "E", "unit": "%"},
        "constants": {"t_20": {"value": 20, "unit": "°C"}},
        "inputs": {
            "V_J": {
                "distribution": "rectangular",
                "value": 20.03,
                "half_width": 0.005,
                "unit": "L",
                "description": "加油机示值（分辨力 0.01 L）",
            },
            "V_s": {
                "value": 20.000,
                "expanded": 0.005,
                "k": 2,
                "unit": "L",
                "description": "标准金属量器读数（U_rel = 0.025 %，k = 2）",
            },
            "beta_y": {
                "distribution": "rectangular",
                "value": 0.0012,
                "half_width": 0.0001,
                "unit": "1/°C",
                "description": "汽油体积膨胀系数",
            },
            "t_J": {
                "value": 18.6,
                "u": 0.12,
                "unit": "°C",
                "description": "油枪出口油温",
            },
            "t_s": {
                "value": 18.2,
                "u": 0.12,
                "unit": "°C",
                "description": "量器内油温",
            },
            "beta_s": {
                "distribution": "rectangular",
                "value": 50e-6,
                "half_width": 5e-6,
                "unit": "1/°C",
                "description": "量器材料体膨胀系数",
            },
        },
        "mcm": {"trials": TRIALS, "seed": 1, "n_dig": 1},
    }


def price_scale_spec(event: m.CalibrationEvent) -> dict[str, Any]:
    """JJG 539-2016: error of a III-class price scale by the flashing-point method (g),
    E = I + e/2 − ΔL − L, at 15 kg with e = 5 g and M1 weights."""
    return {
        "title": "JJG 539 电子计价秤示值误差（15 kg 称量点，e = 5 g）",
        "model": "I + e/2 - dL - L",
        "output": {"name": "E", "unit": "g"},
        "constants": {"e": {"value": 5, "unit": "g"}},
        "inputs": {
            "I": {
                "distribution": "t",
                "value": 15000,
                "u": 1.2,
                "dof": 5,
                "unit": "g",
                "description": "示值，重复性（6 次，A 类）",
            },
            "dL": {
                "distribution": "rectangular",
                "value": 3.0,
                "half_width": 0.05,
                "unit": "g",
                "description": "闪变点附加小砝码 ΔL（0.1 e 一步）",
            },
            "L": {
                "distribution": "rectangular",
                "value": 15000,
                "half_width": 0.75,
                "unit": "g",
                "description": "M1 等级砝码 15 kg（最大允许误差 ±750 mg）",
            },
        },
        "mcm": {"trials": TRIALS, "seed": 1, "n_dig": 2},
    }


def thermometer_spec(event: m.CalibrationEvent) -> dict[str, Any]:
    """JJF 1908 / JJG 229 style comparison in a stirred bath at 100 °C: error of a working
    platinum resistance thermometer against the institute's standard, E = t_x − t_s + δ…, in °C
    (temperature differences: no offset)."""
    return {
        "title": "工作用铂电阻温度计校准（100 °C 比较法）",
        "model": "t_x - t_s + d_drift + d_unif + d_stab + d_res",
        "output": {"name": "E", "unit": "°C"},
        "inputs": {
            "t_x": {
                "distribution": "t",
                "value": 100.043,
                "u": 0.004,
                "dof": 9,
                "unit": "°C",
                "description": "被校温度计示值，10 次读数平均（A 类）",
            },
            "t_s": {
                "value": 100.000,
                "expanded": 0.012,
                "k": 2,
                "unit": "°C",
                "description": "二等标准铂电阻温度计（校准证书 U = 0.012 °C，k = 2）",
            },
            "d_drift": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.010,
                "unit": "°C",
                "description": "标准温度计年稳定性",
            },
            "d_unif": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.010,
                "unit": "°C",
                "description": "恒温油槽温场均匀性",
            },
            "d_stab": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.005,
                "unit": "°C",
                "description": "恒温油槽波动度（10 min）",
            },
            "d_res": {
                "distribution": "rectangular",
                "value": 0,
                "half_width": 0.0005,
                "unit": "°C",
                "description": "测温电桥分辨力 0.001 °C",
            },
        },
        "mcm": {"trials": TRIALS, "seed": 1, "n_dig": 1},
    }


def _create(user, model, data: dict[str, Any], reason: str):
    """What ``POST /api/registry/<resource>`` does for ``user``: authorise the fields, validate
    (fact checks included), save with its audit entry."""
    from jiliang.platform.registry.api import apply_input, save_validated
    from jiliang.platform.registry.authority import authorise

    obj = model()
    m2m = apply_input(obj, data)
    authorise(user, obj, "create", fields=data, facts=False)
    save_validated(obj, m2m, user, reason)
    return obj


def thermometer_chain(admin, regulator, lab, as_of: dt.date) -> m.CalibrationEvent | None:
    """A temperature chain the bulk demo lacks: the NMI's ITS-90 primary → the provincial
    institute's SPRT standard → a factory's working thermometer, registered as the API would
    (standards and the NMI's scope by ``admin``, the institute's scope by ``regulator``, its
    calibration by ``lab``). Returns the institute's calibration of the working thermometer."""
    nmi = m.Organisation.objects.filter(kind="nmi").order_by("pk").first()
    institute = lab.profile.organisation
    factory = (
        m.Organisation.objects.filter(kind="enterprise", name__endswith="制造有限公司")
        .order_by("pk")
        .first()
    )
    if nmi is None or factory is None:
        return None
    celsius = r"\degreeCelsius"
    why = "demo: temperature traceability chain"
    for user, org, kind, u in (
        (admin, nmi, "accreditation", 0.0005),
        (regulator, institute, "statutory", 0.012),
    ):
        _create(
            user,
            m.Scope,
            {
                "organisation": org.code,
                "kind": kind,
                "quantity": "temperature",
                "unit": celsius,
                "range_low": -40.0,
                "range_high": 300.0,
                "uncertainty": u,
                "k": 2.0,
                "reference": f"SC-T-{org.pk}",
                "valid_from": dt.date(2022, 1, 1),
                "valid_to": dt.date(2027, 12, 31),
            },
            why,
        )

    def standard(code, name, level, owner, low, high, u, cert, since, years=5):
        return _create(
            admin,
            m.MeasurementStandard,
            {
                "code": code,
                "name": name,
                "level": level,
                "quantity": "temperature",
                "unit": celsius,
                "range_low": low,
                "range_high": high,
                "uncertainty": u,
                "k": 2.0,
                "owner": owner.code,
                "certificate_no": cert,
                "certificate_valid_from": since,
                "certificate_valid_to": add_months(since, 12 * years),
            },
            why,
        )

    primary = standard(
        "[2021]国量标温基字第0001号", "温度基准（ITS-90 固定点）", "primary", nmi,
        -38.8344, 419.527, 0.0005, "BZ-T-0001", dt.date(2021, 1, 1), years=10,
    )  # fmt: skip
    sprt = standard(
        "[2023]浙量标温PUB证字第0001号", "二等标准铂电阻温度计标准装置", "public", institute,
        -40.0, 300.0, 0.012, "CS-T-0001", dt.date(2023, 5, 1),
    )  # fmt: skip
    working = standard(
        "[2024]浙量标温ENT证字第0001号", "工作用铂电阻温度计（企业最高计量标准）", "enterprise",
        factory, 0.0, 200.0, 0.05, "CS-T-0002", dt.date(2024, 3, 1),
    )  # fmt: skip

    def calibration(user, no, item, by, days_ago, value, u, used):
        performed = as_of - dt.timedelta(days=days_ago)
        return _create(
            user,
            m.CalibrationEvent,
            {
                "certificate_no": no,
                "kind": "calibration",
                "standard": item.code,
                "performed_by": by.code,
                "performed_on": performed,
                "issued_on": performed + dt.timedelta(days=2),
                "due_on": performed + dt.timedelta(days=365),
                "unit": celsius,
                "result_value": value,
                "result_uncertainty": u,
                "k": 2.0,
                "conformity": "none",
                "standards_used": [used.code],
            },
            why,
        )

    calibration(admin, f"JZ{as_of.year}-T0000001", sprt, nmi, 200, 100.0021, 0.006, primary)
    return calibration(
        lab, f"JZ{as_of.year}-T0000002", working, institute, 20, 100.043, 0.022, sprt
    )


def store_budget(user, event: m.CalibrationEvent, spec: dict[str, Any]) -> UncertaintyBudget:
    """What ``POST /api/uncertainty/budgets`` does for ``user``: check, evaluate, save (audited)."""
    owner = user.profile.organisation
    budget = UncertaintyBudget(
        event=event, owner=owner, title=spec["title"], spec=spec, method="both", seed=1
    )
    if not can_write(user, budget) or not authors(user, event):
        raise DemoActivityError(f"{user} may not write a budget for {event.certificate_no}")
    evaluate_and_store(budget)
    with transaction.atomic(), acting_as(user, "demo: uncertainty budget of the calibration"):
        budget.save()
    return budget


def _events_by(org: m.Organisation) -> dict[str, m.CalibrationEvent]:
    """One calibration of ``org`` per budget kind: the latest of each (deterministic order)."""
    # with a stated result: a certificate states it (portal-recorded verdicts have none)
    mine = m.CalibrationEvent.objects.filter(
        performed_by=org, withdrawn=False, result_value__isnull=False
    ).order_by("-performed_on", "certificate_no")
    picks: dict[str, m.CalibrationEvent | None] = {
        "mass": mine.filter(standard__quantity="mass").first(),
        "pressure_gauge": mine.filter(instrument__category="pressure_gauge").first(),
        "fuel_dispenser": mine.filter(
            instrument__category="fuel_dispenser", conformity="pass"
        ).first(),
        "electronic_price_scale": mine.filter(
            instrument__category="electronic_price_scale", conformity="pass"
        ).first(),
    }
    return {k: v for k, v in picks.items() if v is not None}


SPECS = {
    "mass": mass_spec,
    "pressure_gauge": pressure_gauge_spec,
    "fuel_dispenser": fuel_dispenser_spec,
    "electronic_price_scale": price_scale_spec,
    "thermometer": thermometer_spec,
}


def budgets(lab, thermometer: m.CalibrationEvent | None = None) -> list[m.CalibrationEvent]:
    """Budgets on the lab's calibrations; returns the events that got one."""
    events = _events_by(lab.profile.organisation)
    if thermometer is not None:
        events["thermometer"] = thermometer
    done = []
    for kind, spec_of in SPECS.items():
        event = events.get(kind)
        if event is not None:
            store_budget(lab, event, spec_of(event))
            done.append(event)
    return done


# -- certificates ------------------------------------------------------------------------------


def certificates(
    lab, reviewer, events: list[m.CalibrationEvent], notes: list[str] | None = None
) -> dict[str, int]:
    """Issue a DCC for each event (draft by ``lab``, signed by ``reviewer``); amend the first,
    withdraw the second; draft one more and leave it in review.

    Without the DCC XSD installed, or without a signing certificate for the lab (production
    settings: no auto-enrolment), nothing may be signed: the certificates then stay in review
    and the count says so, with the reason appended to ``notes``.
    """
    counts = {"certificates issued": 0, "certificates in review": 0}
    drafts = [certs.submit(certs.create_draft(e, lab), lab) for e in events]
    try:
        issued = [certs.issue(c, reviewer) for c in drafts]
    except (certs.SchemaMissing, certs.SigningUnavailable) as exc:
        logger.warning("demo certificates left in review: %s", exc)
        if notes is not None:
            notes.append(f"certificates left in review, none signed: {exc}")
        counts["certificates in review"] = len(drafts)
        return counts
    counts["certificates issued"] = len(issued)
    if issued:
        amendment = certs.submit(certs.amend(issued[0], lab), lab)
        certs.issue(amendment, reviewer)
        counts["certificates amended"] = 1
    if len(issued) > 1:
        certs.withdraw(issued[1], lab, "示值记录转录错误，证书撤回（演示）")
        counts["certificates withdrawn"] = 1
    # one more on the lab's worklist, waiting for the second person
    others = (
        m.CalibrationEvent.objects.filter(
            performed_by=lab.profile.organisation,
            instrument__isnull=False,
            withdrawn=False,
            result_value__isnull=False,
            certificates__isnull=True,
        )
        .exclude(pk__in=[e.pk for e in events])
        .order_by("-performed_on", "certificate_no")
        .first()
    )
    if others is not None:
        certs.submit(certs.create_draft(others, lab), lab)
        counts["certificates in review"] = 1
    return counts


# -- supervision -------------------------------------------------------------------------------


#: inspection notes by outcome (index picks one); a failure's note is the drawn item's
NOTES = {
    "pass": ["计量器具检定合格且在有效期内", "强检器具已备案，标识齐全"],
    "not_found": ["现场未发现计量违法问题线索"],
}
FAIL_NOTES = {
    "fuel_dispenser": "加油机示值误差超差（−0.42 %），责令停用整改",
    "electronic_price_scale": "电子计价秤未按期检定，责令限期送检",
}


def draw(regulator, as_of: dt.date) -> dict[str, int]:
    """A double-random draw in Hangzhou, its results and a penalty for one failed business."""
    region = m.Region.objects.filter(code="330100").first()
    if region is None or supervisor_prefix(regulator) is None:
        return {"draws": 0}
    items = [
        {"id": "fuel_dispenser", "ratio": 0.3},
        {"id": "electronic_price_scale", "ratio": 0.2},
    ]
    try:
        pools = draw_svc.build_pools(region, items)
    except draw_svc.DrawError as exc:
        logger.warning("demo draw not committed: %s", exc)
        return {"draws": 0}
    title = f"{as_of.year} 年杭州市加油机、电子计价秤双随机抽查"
    with acting_as(regulator, "demo: double-random draw"):
        d = draw_svc.commit(regulator, title, region, pools)
        try:
            draw_svc.run(d)
        except (draw_svc.DrawError, DrawRefused) as exc:
            logger.warning("demo draw committed but not drawn: %s", exc)
            return {"draws": 1, "draw results": 0}
        draw_svc.reveal(d)
    results = 0
    failed = []
    for k, s in enumerate(draw_svc.selections(d)):
        outcome = "fail" if k % 4 == 1 else ("not_found" if k % 4 == 3 else "pass")
        if outcome == "fail":
            notes = FAIL_NOTES.get(s["item_id"], "计量器具不合格，责令整改")
        else:
            notes = NOTES[outcome][k % len(NOTES[outcome])]
        draw_svc.record_result(regulator, d, s["item_id"], s["object_id"], outcome, notes)
        results += 1
        if outcome == "fail":
            failed.append(s["object_id"])
    counts = {"draws": 1, "draw results": results}
    org = m.Organisation.objects.filter(code__in=failed[:1]).first()
    if org is not None:  # what POST /api/supervision/credit-events does for the regulator
        with transaction.atomic(), acting_as(regulator, "demo: penalty after the spot check"):
            CreditEvent.objects.create(
                organisation=org,
                kind="penalty",
                # the draw ran today (commitment, results: real timestamps), so its penalty too
                on=timezone.localdate(),
                detail=f"{d.title}：抽查不合格，行政处罚",
            )
        counts["penalties"] = 1
    return counts


#: product, nominal, kind, lot size, mean shortfall per unit (in the nominal's unit), spread
LOTS = [
    ("东北大米 5 kg", 5000.0, "mass", 200, -2.0, 6.0),
    ("食用植物调和油 1.8 L", 1800.0, "volume", 150, 14.0, 5.0),
    ("西湖龙井茶叶 250 g", 250.0, "mass", 80, -0.4, 0.8),
]


def inspections(inspector, as_of: dt.date, rng: np.random.Generator) -> int:
    """Net-content inspections by ``inspector`` of businesses in the inspector's region."""
    prefix = reads_region(inspector)
    if prefix is None:
        return 0
    businesses = m.Organisation.objects.filter(
        kind="enterprise", region__code__startswith=prefix
    ).order_by("pk")
    # goods on sale are checked where they are sold: the markets first
    orgs = [*businesses.filter(name__endswith="农贸市场"), *businesses][: len(LOTS)]
    n = 0
    for k, (org, (product, nominal, kind, lot, short, spread)) in enumerate(
        zip(orgs, LOTS, strict=False)
    ):
        size = sampling_plan(lot, as_of=as_of).n
        units = np.round(nominal - short + rng.normal(0.0, spread, size), 1).tolist()
        record_inspection(
            inspector,
            org,
            product=product,
            nominal=nominal,
            kind=kind,
            lot_size=lot,
            units=units,
            inspected_on=as_of - dt.timedelta(days=10 + k),
        )
        n += 1
    return n


def build_activity(
    as_of: dt.date, seed: int = 2035, notes: list[str] | None = None
) -> dict[str, int]:
    """Add the demo logins' work (see the module docstring); returns counts by record kind.

    What could not be made, and why (no DCC XSD installed: nothing signed), is appended to
    ``notes`` for the command to print.
    """
    rng = np.random.default_rng([seed, 18])
    lab, reviewer = _user("lab"), _user("reviewer")
    regulator, inspector = _user("regulator"), _user("inspector")
    thermometer = thermometer_chain(_user("admin"), regulator, lab, as_of)
    events = budgets(lab, thermometer)
    counts: dict[str, int] = {"budgets": len(events)}
    counts.update(certificates(lab, reviewer, events, notes))
    counts.update(draw(regulator, as_of))
    counts["prepackaged inspections"] = inspections(inspector, as_of, rng)
    # last, as the daily job runs after the day's work: notices of due and overdue filings
    report = sweep(as_of=as_of, refresh=False)
    counts["notifications"] = report.notified
    return counts
