"""Fuzzing of the comparisons API (schemathesis, as tests/platform/test_schemathesis.py does for
the whole API): no generated request to ``/api/comparisons`` may produce a 5xx.

Paths with ``{code}`` are aimed at a real open campaign as well as at random codes, so the
handlers (invite, submit, close, analyse, circulation) run on generated bodies.
"""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup

from jiliang.platform.comparisons import services

from .test_schemathesis import connections_kept_open  # noqa: F401 (fixture)

CODE = "PT-FUZZ"


def _fuzz(op, role: str, headers: dict, failures: list[str], statuses: dict[int, int]) -> None:
    """15 generated requests to ``op`` (valid and invalid); a line per 5xx in ``failures``."""
    strategies = [
        op.as_strategy(GenerationMode.POSITIVE),
        op.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{code}" in op.path:
        strategies.append(op.as_strategy(path_parameters={"code": CODE}))

    @hypothesis_settings(
        max_examples=15,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(*strategies))
    def run(case) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (Failure, FailureGroup):
            failures.append(
                f"{role} {op.method.upper()} {case.formatted_path} body={case.body!r:.300}"
                f" → {response.status_code}"
            )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run()


@pytest.fixture
def campaign(world):
    lab = world.users["lab"]
    c = services.create_campaign(
        lab,
        code=CODE,
        title="fuzz",
        pilot=world.orgs["lab_hz"],
        measurand="mass",
        unit=r"\kilogram",
        deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
    )
    services.invite(lab, c, world.orgs["lab_nb"])
    services.invite(lab, c, world.orgs["nmi"])
    services.open_campaign(lab, c)
    return c


@pytest.mark.parametrize("role", ["anon", "regulator", "lab"])
def test_fuzzed_comparison_requests_never_get_a_server_error(
    world,
    campaign,
    role,
    settings,
    tmp_path,
    connections_kept_open,  # noqa: F811
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anon" else {}
    failures: list[str] = []
    statuses: dict[int, int] = {}
    ops = [r.ok() for r in schema.get_all_operations()]
    ops = [op for op in ops if op.path.startswith("/api/comparisons")]
    assert len(ops) >= 14
    for op in ops:
        _fuzz(op, role, headers, failures, statuses)
    assert not failures, "server errors:\n" + "\n".join(failures[:40])
    assert sum(n for c, n in statuses.items() if 400 <= c < 500) > 50, statuses
