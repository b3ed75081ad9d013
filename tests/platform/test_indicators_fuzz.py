"""Fuzzing the indicators API operations (schemathesis, as in test_schemathesis.py): no 5xx.

Only ``/api/indicators/…`` operations, as the province's regulator (every write allowed in
330000) and anonymously, so the run is short enough to repeat while working on the app.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application

from jiliang.platform.indicators import tracing
from jiliang.platform.traceability import loader

from .test_schemathesis import _fuzz_operation, _operations, connections_kept_open  # noqa: F401


@pytest.mark.parametrize("role", ["anon", "regulator"])
def test_indicator_operations_never_get_a_server_error(
    world,
    role,
    settings,
    tmp_path,
    connections_kept_open,  # noqa: F811
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    loader.clear_cache()
    tracing.clear_cache()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    headers = {} if role == "anon" else {"Authorization": f"Bearer {world.tokens[role]}"}
    failures: list[str] = []
    statuses: dict[int, int] = {}
    ops = [op for op in _operations(schema) if op.path.startswith("/api/indicators")]
    assert len(ops) == 12  # + report, tasks (list, create, update, evidence)
    for op in ops:
        _fuzz_operation(op, role, headers, failures, statuses, [1, 2])
    assert not failures, "server errors:\n" + "\n".join(failures[:40])
    assert sum(n for code, n in statuses.items() if 400 <= code < 500) > 10, statuses
