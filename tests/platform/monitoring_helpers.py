"""Helpers of the monitoring platform tests: electricity meters, an area, simulated readings.

The grid company of the ``world`` fixture is ``ent_hz`` (its user ``enterprise``); its area
``TQ-XH-001`` in Xihu (330106) has a summary meter and ``n`` user meters of class 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from jiliang.core.identifiers import make_lifetime_id
from jiliang.core.monitoring.simulate import Scenario, registers, simulate_area
from jiliang.platform.monitoring import services
from jiliang.platform.registry import models as m

#: the simulations' first period boundary: 2026-01-01T00:00:00Z
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def meter(owner, region, seq: int, accuracy_class: str = "1") -> m.Instrument:
    """A class-``accuracy_class`` electricity meter (电能表) of ``owner`` in ``region``."""
    return m.Instrument.objects.create(
        lifetime_id=make_lifetime_id(region.code, "DNB", 2025, seq),
        category="electricity_meter",
        name=f"meter {seq}",
        quantity="electrical_energy",
        unit=r"\kilo\watt\hour",
        accuracy_class=accuracy_class,
        owner=owner,
        region=region,
        use="trade_settlement",
    )


def make_area(world, n: int, code: str = "TQ-XH-001", owner: str = "ent_hz", seq0: int = 0):
    """An area of ``owner`` with a summary meter and ``n`` user meters from T0 − 1 day."""
    org = world.orgs[owner]
    region = org.region
    summary = meter(org, region, seq0 + 1, "0.5S")
    area = services.create_area(
        world.users["admin"], code=code, name=code, region=region, summary_meter=summary, owner=org
    )
    users = [meter(org, region, seq0 + 2 + i) for i in range(n)]
    for inst in users:
        services.assign_meter(area, inst, T0 - dt.timedelta(days=1))
    return area, summary, users


def simulated(n_meters: int, n_periods: int, seed: int = 7, **scenario):
    """A simulated hourly area and its register series (core Series, t in s from T0)."""
    rng = np.random.default_rng(seed)
    s = Scenario(n_meters=n_meters, n_periods=n_periods, hours=1.0, **scenario)
    sim = simulate_area(rng, s)
    summary, meters = registers(sim, start=T0.timestamp())
    return sim, summary, meters


def rows_of(lifetime_id: str, series) -> list[dict]:
    """API rows of one meter's series."""
    return [
        {
            "meter": lifetime_id,
            "timestamp": dt.datetime.fromtimestamp(float(t), dt.UTC).isoformat(),
            "register": float(r),
        }
        for t, r in zip(series.t, series.register, strict=True)
    ]


def area_rows(summary, users, sim_summary, sim_meters) -> list[dict]:
    """Every reading of the simulated area as API rows, mapped onto the platform's meters."""
    rows = rows_of(summary.lifetime_id, sim_summary)
    for inst, series in zip(users, sim_meters.values(), strict=True):
        rows += rows_of(inst.lifetime_id, series)
    return rows
