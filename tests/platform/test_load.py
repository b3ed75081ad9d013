"""Load regressions (issue 17, load): the pages the load benchmark measures
(benchmarks/bench_load.py) run a bounded number of SQL statements whatever the number of rows,
the instrument list's count is a plain count (no ``DISTINCT`` over every column), and the public
verification reuses a signature check only for the very same bytes under the same trust state.

DCC schema files come from ../shared/dcc/xsd (never copied into the repository); without them
the tests that issue a certificate are skipped, like tests/platform/test_certificates.py.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection

from jiliang.platform.certificates import pki, services
from jiliang.platform.certificates.models import Certificate
from jiliang.platform.ledger import service as ledger
from jiliang.platform.registry import models as m

from .certs_helpers import call, isolate, issued, needs_xsd, split_first_result_value
from .conftest import scale_fields


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path, monkeypatch):
    isolate(settings, tmp_path, monkeypatch)
    services.clear_content_checks()
    yield
    services.clear_content_checks()


class Statements:
    """SQL statements run inside the block. An execute wrapper, not CaptureQueriesContext: the
    test client's request_started signal resets the connection's query log mid-capture."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)

    def __enter__(self) -> Statements:
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._cm.__exit__(*exc)


def get(client, url: str, status: int = 200) -> tuple[str, list[str]]:
    with Statements() as seen:
        response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode(), seen.sql


def add_instruments(world, n: int, start: int = 100) -> None:
    for i in range(start, start + n):
        owner, region = world.orgs["ent_hz"], world.regions["330106"]
        m.Instrument.objects.create(**scale_fields(owner, region, i, f"scale {i}"))


# -- the instrument list ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["regulator", "admin", "enterprise"])
def test_instrument_list_statements_do_not_grow_with_rows(client, world, role):
    client.force_login(world.users[role])
    get(client, "/r/instruments/")  # warm: session, menu
    _html, few = get(client, "/r/instruments/")
    add_instruments(world, 120)  # more than two pages of 50
    html, many = get(client, "/r/instruments/")
    assert len(many) == len(few), many
    assert len(many) <= 10, many
    assert len(re.findall(r'href="/r/instruments/\d+/"', html)) == 50  # one page of 121+


def test_regulator_list_counts_without_distinct(client, world):
    """Forward foreign keys cannot repeat a row: the region scope needs no DISTINCT (which made
    ``COUNT(*) FROM (SELECT DISTINCT <every column> …)`` of 10⁵ rows cost seconds)."""
    client.force_login(world.users["regulator_nb"])
    add_instruments(world, 3)  # in Hangzhou: outside the Ningbo regulator's region
    html, sql = get(client, "/r/instruments/")
    counts = [s for s in sql if "COUNT(" in s.upper() and "registry_instrument" in s]
    assert counts and not any("DISTINCT" in s.upper() for s in counts), counts
    page = [s for s in sql if s.lstrip().upper().startswith("SELECT") and "LIMIT" in s.upper()]
    assert not any("DISTINCT" in s.upper() for s in page if "registry_instrument" in s)
    # and the scope still holds: only the Ningbo scale is listed
    links = re.findall(r'href="/r/instruments/(\d+)/"', html)
    assert links == [str(world.instruments["nb"].pk)]


def test_scope_through_a_to_many_relation_still_deduplicates():
    from jiliang.platform.registry.permissions import POLICIES, _multi_valued

    assert _multi_valued(m.CalibrationEvent, ("standards_used__code",))
    assert _multi_valued(m.Organisation, ("standards__owner__region__code",))
    # the registry's own policies follow forward keys only (no DISTINCT on the big lists); a
    # campaign is read through its participants, a to-many path, so DISTINCT is kept for it
    from jiliang.platform.comparisons.models import Campaign

    for model, policy in POLICIES.items():
        assert _multi_valued(model, policy.region_paths) == (model is Campaign), model


# -- the public verification --------------------------------------------------------------------


class CountingVerify:
    """Wraps ``services.verify_dcc`` to count the signature verifications actually run."""

    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        self._real = services.verify_dcc
        monkeypatch.setattr(services, "verify_dcc", self)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self._real(*args, **kwargs)


def verdict(html: str) -> str:
    ok, bad = 'class="verdict ok"' in html, 'class="verdict bad"' in html
    assert ok != bad, "the page shows exactly one verdict"
    return "ok" if ok else "bad"


@needs_xsd
def test_verify_page_statements_do_not_grow_with_certificates(client, world, reviewer):
    first = issued(client, world)
    get(client, f"/dcc/{first.number}")  # warm: cache the checks, open the log reader
    _html, one = get(client, f"/dcc/{first.number}")
    # more certificates (and log leaves) in the registry
    for i in range(2, 6):
        event = world.events["hz"]
        event.pk = None
        event._state.adding = True
        event.certificate_no = f"JD-HZ-{i}"
        event.save()
        issued(client, world, event.certificate_no)
    html, five = get(client, f"/dcc/{first.number}")
    assert verdict(html) == "ok"
    assert len(five) == len(one) <= 2, five


@needs_xsd
def test_signature_check_is_reused_only_for_the_same_bytes(client, world, reviewer, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cert = issued(client, world)
    original = cert.xml.encode()
    counting = CountingVerify(monkeypatch)
    assert verdict(get(client, f"/dcc/{cert.number}")[0]) == "ok"
    assert counting.calls == 1
    assert verdict(get(client, f"/dcc/{cert.number}")[0]) == "ok"
    page = client.post("/verify/", {"file": SimpleUploadedFile("c.xml", original)})
    assert verdict(page.content.decode()) == "ok"
    assert counting.calls == 1  # the same bytes, stored or uploaded: the cached check
    # one byte more (outside the signed content) is other bytes: checked afresh
    page = client.post("/verify/", {"file": SimpleUploadedFile("c.xml", original + b"\n")})
    assert counting.calls == 2
    # a tampered copy under the same number (the stored XML rewritten behind the platform's
    # back): verified afresh, and refused — never the cached ✔ of the original
    tampered = split_first_result_value(original)
    Certificate.objects.filter(pk=cert.pk).update(xml=tampered.decode())
    html, _sql = get(client, f"/dcc/{cert.number}")
    assert counting.calls == 3
    assert verdict(html) == "bad"
    body = client.get(f"/api/certificates/verify/{cert.number}").json()
    assert body["valid"] is False and body["signature"]["valid"] is False
    page = client.post("/verify/", {"file": SimpleUploadedFile("c.xml", tampered)})
    assert verdict(page.content.decode()) == "bad"


@needs_xsd
def test_cached_check_does_not_outlive_a_revocation(client, world, reviewer):
    cert = issued(client, world)
    assert verdict(get(client, f"/dcc/{cert.number}")[0]) == "ok"  # cached now
    signer = services.content_checks(cert.xml.encode()).signer
    pki.revoke(signer["signer-serial"], "keyCompromise")
    body = client.get(f"/api/certificates/verify/{cert.number}").json()
    assert body["valid"] is False
    assert any("revoked" in p for p in body["signature"]["trust_problems"])
    assert verdict(get(client, f"/dcc/{cert.number}")[0]) == "bad"


@needs_xsd
def test_cached_check_does_not_outlive_a_withdrawal(client, world, reviewer):
    """The status comes from the log leaves on every request, cached signature or not."""
    cert = issued(client, world)
    assert verdict(get(client, f"/dcc/{cert.number}")[0]) == "ok"  # cached now
    r = call(client, world, "lab", "post", f"/{cert.pk}/withdraw", {"reason": "wrong load"})
    assert r.status_code == 200, r.content
    assert verdict(get(client, f"/dcc/{cert.number}")[0]) == "bad"
    # and flipping the column back behind the platform's back does not bring the ✔ back
    Certificate.objects.filter(pk=cert.pk).update(
        status=Certificate.Status.ISSUED, withdrawal_ledger_index=None
    )
    body = client.get(f"/api/certificates/verify/{cert.number}").json()
    assert body["valid"] is False and body["status"] == "withdrawn"


def test_content_checks_expire_with_the_signer_certificate():
    def checks(not_after: str) -> services.ContentChecks:
        """Checks of a DCC whose signer certificate is valid until ``not_after`` (ISO 8601)."""
        signature = {"not_after": not_after}
        return services.ContentChecks(
            schema={}, signature=signature, digest=None, digest_error="x", signer=None
        )

    past = checks("2001-01-01T00:00:00+00:00")
    # an edge in the past does not extend or shorten anything: the TTL holds
    assert services._expiry(past, 1e9) == 1e9 + services.CHECKS_TTL_S
    soon = checks("2001-09-09T01:46:50+00:00")
    # 2001-09-09T01:46:40Z is 10⁹ s: the certificate expires 10 s later, before the TTL
    assert services._expiry(soon, 1e9) == pytest.approx(1e9 + 10)


# -- the log reader -------------------------------------------------------------------------


def test_log_reader_is_reused_sees_new_leaves_and_follows_the_directory(settings, tmp_path):
    log = ledger.reader()
    assert ledger.reader() is log
    size = log.size
    ledger.append_payload(ledger.leaf_payload("certificate", "JD-X", "0" * 64))
    assert log.size == size + 1  # committed by another handle, seen without reopening
    settings.JILIANG_LEDGER_DIR = tmp_path / "other-ledger"
    other = ledger.reader()
    assert other is not log and other.size == 0
