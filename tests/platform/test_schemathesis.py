"""Property-based fuzzing of the whole OpenAPI (schemathesis): no input may produce a 5xx.

Every operation of ``/api/openapi.json`` gets a bounded, derandomised set of generated requests
(schema-conforming and schema-violating), sent in-process to the Django WSGI app (no network),
anonymously, with a regulator's bearer token (the widest supervision scope in the ``world``
fixture) and with a lab's (certificates, budgets, calibrations). The only check is
``not_a_server_error``: response-schema conformance and status-code documentation are other
work. Part of the default ``pytest -q`` (no marker deselects it); ~2 min on 2 cores.
"""

from __future__ import annotations

import os
import warnings

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup

#: examples per operation and role: enough to hit the boundaries (0, negatives, huge ints,
#: non-finite floats, far dates, empty and odd strings) that caused 500s, cheap enough for CI
#: (``JILIANG_FUZZ_EXAMPLES=200 pytest tests/platform/test_schemathesis.py`` for a deep run)
MAX_EXAMPLES = int(os.environ.get("JILIANG_FUZZ_EXAMPLES", "12"))


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def _fuzz_operation(
    op,
    role: str,
    headers: dict,
    failures: list[str],
    statuses: dict[int, int],
    real_ids: list[int],
) -> None:
    """Send :data:`MAX_EXAMPLES` generated requests to ``op``; append a line per 5xx."""
    strategies = [
        op.as_strategy(GenerationMode.POSITIVE),
        op.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{pk}" in op.path:
        # random ids almost always 404 before any handler code runs: also aim at real records
        strategies += [op.as_strategy(path_parameters={"pk": pk}) for pk in real_ids]
    strategy = st.one_of(*strategies)

    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if os.environ.get("JILIANG_FUZZ_TRACE"):
            print("FUZZ", role, op.method.upper(), case.formatted_path, response.status_code)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (Failure, FailureGroup):  # a line per failing request, not only the first
            failures.append(
                f"{role} {op.method.upper()} {case.formatted_path} query={case.query!r} "
                f"body={case.body!r:.300} → {response.status_code}"
            )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run()


def _fuzz(world, role: str) -> tuple[list[str], dict[int, int]]:
    """Run every operation; return a line per request that got a 5xx, and the number of
    responses per status code."""
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {}
    if role != "anon":
        headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    failures: list[str] = []
    statuses: dict[int, int] = {}
    # ids of the world's records (each path's own model has some of them)
    real_ids = sorted(
        {o.pk for group in (world.orgs, world.instruments, world.events) for o in group.values()}
    )[:4]
    for op in _operations(schema):
        _fuzz_operation(op, role, headers, failures, statuses, real_ids)
    return failures, statuses


@pytest.fixture
def connections_kept_open():
    """Calls go to the WSGI app directly, not through Django's test client, so its
    ``request_finished`` signal would close the test's database connection (on PostgreSQL the
    test transaction with it); keep it open as the test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["anon", "regulator", "lab"])
def test_fuzzed_requests_never_get_a_server_error(
    world, role, settings, tmp_path, connections_kept_open
):
    """Fuzz every API operation as ``role``; any 5xx is a failure listed in the message."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"  # the log and keys the fuzz may create
    settings.JILIANG_PKI_DIR = tmp_path / "pki"
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    # budget evaluation is fuzzed too, within small limits so a generated spec costs milliseconds
    settings.JILIANG_BUDGET_MAX_TRIALS = 20_000
    settings.JILIANG_BUDGET_MAX_SECONDS = 0.5
    failures, statuses = _fuzz(world, role)
    assert not failures, "server errors:\n" + "\n".join(failures[:40])
    # the run reached the handlers: successes and refusals both, not only 404s
    ok = sum(n for code, n in statuses.items() if code < 300)
    refused = sum(n for code, n in statuses.items() if 400 <= code < 500)
    assert ok > 100 and refused > 500, statuses
    if role != "anon":  # the token was honoured on every request
        assert 401 not in statuses, statuses
