"""Helpers shared by the certificate tests: the DCC schemas, isolated data directories and the
draft → submit → second-person issue round trip through ``/api/certificates``.

DCC schema files come from ../shared/dcc/xsd (never copied into the repository); tests that
need them either carry ``needs_xsd`` or are skipped by ``use_schemas(..., required=True)``.
The second person (``lab2``, the reviewer who issues) is the ``reviewer`` fixture in conftest.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from jiliang.platform.certificates.models import Certificate

SHARED = Path(os.environ.get("JILIANG_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
XSD = SHARED / "dcc" / "xsd"
needs_xsd = pytest.mark.skipif(
    not (XSD / "dcc_v3.1.2.xsd").is_file(),
    reason=f"DCC schemas not found at {XSD} (shared/ beside the repository)",
)


def use_schemas(monkeypatch, *, required: bool) -> None:
    """Point the platform at the shared DCC schemas; ``required``: skip the test without them."""
    if required and not XSD.is_dir():
        pytest.skip(f"DCC schemas not found at {XSD} (shared/ beside the repository)")
    monkeypatch.setenv("JILIANG_DCC_SCHEMA_DIR", str(XSD))


def isolate(settings, tmp_path: Path, monkeypatch, *, schemas_required: bool = False) -> None:
    """The ledger and the PKI in the test's own directory (never the data directory's)."""
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    settings.JILIANG_PKI_DIR = tmp_path / "pki"
    use_schemas(monkeypatch, required=schemas_required)


def call(client, world, role: str, method: str, path: str, body: dict | None = None):
    """``method`` on ``/api/certificates<path>`` as ``role``, with ``body`` as JSON if given."""
    kwargs = world.auth(role)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/certificates{path}", **kwargs)


def drafted_pk(client, world, event: str = "JD-HZ-1") -> int:
    """The lab drafts the certificate of ``event``; returns the draft's primary key."""
    draft = call(client, world, "lab", "post", "/drafts", {"event": event})
    assert draft.status_code == 201, draft.content
    return draft.json()["id"]


def in_review(client, world, event: str = "JD-HZ-1") -> int:
    """A draft of ``event`` the lab has submitted for review; returns its primary key."""
    pk = drafted_pk(client, world, event)
    assert call(client, world, "lab", "post", f"/{pk}/submit").status_code == 200
    return pk


def try_issue(client, world, event: str = "JD-HZ-1"):
    """Draft, submit and (second person) issue ``event``; returns the pk and the issue response,
    whatever its status."""
    pk = in_review(client, world, event)
    return pk, call(client, world, "lab2", "post", f"/{pk}/issue")


def issue_pk(client, world, pk: int) -> Certificate:
    """Submit the draft ``pk`` and issue it as the second person; the issued certificate."""
    assert call(client, world, "lab", "post", f"/{pk}/submit").status_code == 200
    response = call(client, world, "lab2", "post", f"/{pk}/issue")
    assert response.status_code == 200, response.content
    return Certificate.objects.get(pk=pk)


def issued(client, world, event: str = "JD-HZ-1") -> Certificate:
    """The certificate of ``event``, drafted, reviewed and issued (signed and logged)."""
    pk, response = try_issue(client, world, event)
    assert response.status_code == 200, response.content
    return Certificate.objects.get(pk=pk)


def split_first_result_value(xml: bytes) -> bytes:
    """``<si:value>65.0</si:value>`` → ``<si:value>6<!---->5.0</si:value>`` in the results."""
    results = xml.index(b"<dcc:results>")
    match = re.compile(rb"<si:value>([^<]+)</si:value>").search(xml, results)
    value = match.group(1)
    assert len(value) > 1
    tampered = b"<si:value>" + value[:1] + b"<!---->" + value[1:] + b"</si:value>"
    return xml[: match.start()] + tampered + xml[match.end() :]
