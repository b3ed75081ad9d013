"""``jiliang demo`` builds a deterministic region: same seed, same rows."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.models import Count

from jiliang.platform.demo import DemoExists, build_demo
from jiliang.platform.registry import models as m

DIGEST = (
    "import django, hashlib; django.setup();"
    "from jiliang.platform.registry import models as m;"
    "rows = m.CalibrationEvent.objects.order_by('certificate_no').values_list("
    "'certificate_no', 'instrument__lifetime_id', 'performed_on', 'due_on', 'conformity');"
    "print(hashlib.sha256(repr(list(rows)).encode()).hexdigest(), m.Instrument.objects.count())"
)


def run(args, data_dir):
    env = {
        **os.environ,
        "JILIANG_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "jiliang.platform.settings",
    }
    env.pop("JILIANG_DATABASE_URL", None)
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)


def demo_command(seed: int, data_dir: Path) -> list[str]:
    """``jiliang demo`` of 400 instruments with ``seed`` into ``data_dir``, without serving."""
    demo = ["demo", "--no-serve", "--size", "400", "--seed", str(seed)]
    return [sys.executable, "-m", "jiliang", *demo, "--data-dir", str(data_dir)]


@pytest.mark.slow
def test_demo_cli_is_deterministic(tmp_path):
    digests = []
    for name in ("a", "b"):
        result = run(demo_command(7, tmp_path / name), tmp_path / name)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "demo region built" in result.stdout
        assert "inspector" in " ".join(result.stdout.split()[-3:])  # every role (rich wraps)
        digests.append(run([sys.executable, "-c", DIGEST], tmp_path / name).stdout)
    assert digests[0] == digests[1]
    assert digests[0].split()[1] == "400"
    other = run(demo_command(8, tmp_path / "c"), tmp_path / "c")
    assert other.returncode == 0
    assert run([sys.executable, "-c", DIGEST], tmp_path / "c").stdout != digests[0]


def test_demo_region_is_realistic(db):
    report = build_demo(size=1_000, seed=3)
    assert report.counts["instruments"] == 1_000
    from django.contrib.auth import get_user_model

    from jiliang.platform.demo import DEMO_LOGINS

    users = set(get_user_model().objects.values_list("username", flat=True))
    assert set(DEMO_LOGINS) <= users  # every printed login exists
    assert 0 < report.seconds < 300
    assert m.Region.objects.filter(level="county", code__startswith="33").count() == 10
    kinds = dict(m.Organisation.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds["nmi"] == 1 and kinds["calibration_lab"] == 20 and kinds["enterprise"] == 100
    levels = set(m.MeasurementStandard.objects.values_list("level", flat=True))
    assert levels == {"primary", "national", "public", "department", "enterprise"}
    assert 250 <= m.MeasurementStandard.objects.count() <= 350
    events = m.CalibrationEvent.objects.filter(instrument__isnull=False)
    today = m.CalibrationEvent.objects.order_by("-performed_on").first().performed_on
    assert events.filter(conformity="fail").exists()
    latest_due = {}
    # a failed verification recorded through the institution portal has no due date
    dated = events.filter(due_on__isnull=False)
    for lifetime, due in dated.values_list("instrument__lifetime_id", "due_on"):
        latest_due[lifetime] = max(due, latest_due.get(lifetime, due))
    overdue = sum(due < today for due in latest_due.values())
    assert 0.02 < overdue / len(latest_due) < 0.15
    assert events.filter(standards_used__isnull=True).exists()  # a missing link
    for inst in m.Instrument.objects.all()[:50]:
        assert inst.mpe_si is not None and inst.si_unit


def test_second_build_refuses_without_force(db):
    build_demo(size=200, seed=1)
    with pytest.raises(DemoExists):
        build_demo(size=200, seed=1)


def test_lifetime_ids_are_valid(db):
    from jiliang.core.identifiers import validate_lifetime_id

    build_demo(size=300, seed=5)
    ids = list(m.Instrument.objects.values_list("lifetime_id", flat=True))
    assert len(set(ids)) == 300
    for value in ids:
        validate_lifetime_id(value)
    assert hashlib.sha256("".join(sorted(ids)).encode()).hexdigest()


def test_demo_traceability_is_mostly_intact_with_some_broken_chains(db):
    """Most demo instruments trace to the SI; the deliberate faults show up as reasons."""
    from jiliang.platform.demo import TODAY
    from jiliang.platform.traceability.loader import clear_cache, get_engine

    build_demo(size=2_000, seed=11)
    clear_cache()
    engine = get_engine(TODAY)
    counts = engine.counts()
    total = sum(counts.values())
    assert 0.8 < counts["TRACEABLE"] / total < 0.98
    reasons = engine.reason_counts()
    assert {"CERT_EXPIRED", "DANGLING_REFERENCE"} <= set(reasons)


XSD = Path(__file__).resolve().parents[3] / "shared" / "dcc" / "xsd"


@pytest.fixture
def demo_activity_region(db, settings, tmp_path, monkeypatch):
    """A small demo region with its logins' work (budgets, certificates, draw, notices)."""
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    settings.JILIANG_PKI_DIR = tmp_path / "pki"
    schemas = Path(os.environ.get("JILIANG_DCC_SCHEMA_DIR", XSD))
    if not schemas.is_dir():
        pytest.skip(f"DCC schemas not found at {schemas} (shared/ beside the repository)")
    monkeypatch.setenv("JILIANG_DCC_SCHEMA_DIR", str(schemas))
    return build_demo(size=1_000, seed=2035)


def test_demo_has_budgets_certificates_draw_and_notifications(demo_activity_region, client):
    """The demo logins' work exists, went through the services (audited), and verifies."""
    from jiliang.platform.audit.models import AuditEntry
    from jiliang.platform.calibration.models import UncertaintyBudget
    from jiliang.platform.certificates import services as certs
    from jiliang.platform.certificates.models import Certificate
    from jiliang.platform.supervision.models import (
        CreditEvent,
        Draw,
        Notification,
        PrepackagedInspection,
    )

    counts = demo_activity_region.counts
    budgets = list(UncertaintyBudget.objects.select_related("event"))
    assert len(budgets) == counts["budgets"] >= 3
    for b in budgets:
        assert b.result and b.result["U"] > 0 and b.result["unit"]  # evaluated by the core
        assert all(i.get("unit") for i in b.spec["inputs"].values())  # every input has a unit
        assert b.result["validation"] is not None  # LPU and MCM both ran (JCGM 101 §8)
        assert AuditEntry.objects.filter(model="calibration.uncertaintybudget", object_id=str(b.pk))
    assert {b.result["unit"] for b in budgets} >= {"g", "MPa", "%", "°C"}
    # the thermometer's chain, registered through the API's create path, reaches the SI
    from jiliang.platform.demo import TODAY
    from jiliang.platform.traceability.loader import clear_cache, get_engine

    thermometer = m.MeasurementStandard.objects.get(code="[2024]浙量标温ENT证字第0001号")
    clear_cache()
    chain = get_engine(TODAY).chain("standard", str(thermometer.pk))
    assert chain.result.verdict.value == "TRACEABLE", chain.result.issue
    assert chain.result.length == 2

    statuses = dict(Certificate.objects.values_list("number", "status"))
    assert sorted(set(statuses.values())) == ["in_review", "issued", "superseded", "withdrawn"]
    issued = Certificate.objects.filter(status="issued").exclude(replaces=None).first()
    assert issued.reviewed_by.username == "reviewer" and issued.prepared_by.username == "lab"
    ok = certs.verify(number=issued.number)
    assert ok.valid and ok.current, ok.reasons
    withdrawn = Certificate.objects.get(status="withdrawn")
    gone = certs.verify(number=withdrawn.number)
    assert not gone.valid and gone.log_status == "withdrawn"
    assert issued.ledger_index is not None and withdrawn.withdrawal_ledger_index is not None
    page = client.get("/verify/", {"number": issued.number})
    assert page.status_code == 200 and issued.number in page.content.decode()
    assert client.get("/verify/", {"number": withdrawn.number}).status_code == 200

    draw = Draw.objects.get()
    assert draw.region.code == "330100" and draw.stage == "revealed"  # Hangzhou, not Beijing
    assert draw.created_by.username == "regulator"
    outcomes = set(draw.results.values_list("outcome", flat=True))
    assert draw.results.count() == draw.n_selected > 0 and "fail" in outcomes
    penalty = CreditEvent.objects.get(kind="penalty", detail__contains=draw.title)
    from jiliang.platform.supervision.credit import events_for

    code = penalty.organisation.code  # the failed spot check counts in its credit record too
    assert {"penalty", "spot_check_fail"} <= {e.kind for e in events_for([code])[code]}
    assert PrepackagedInspection.objects.filter(inspector__username="inspector", passed=False)

    for username in ("enterprise", "regulator"):
        assert Notification.objects.filter(recipient__username=username).exists(), username


@pytest.mark.parametrize(
    "username, pages",
    [
        ("admin", ["/", "/budgets/", "/s/draws/", "/s/credit/", "/s/dashboard/"]),
        ("regulator", ["/", "/s/dashboard/", "/s/credit/", "/s/notifications/", "/budgets/"]),
        ("inspector", ["/", "/s/dashboard/", "/s/prepackaged/", "/s/credit/", "/budgets/"]),
        ("lab", ["/", "/budgets/", "/s/assigned/", "/r/instruments/"]),
        ("reviewer", ["/", "/budgets/"]),
        ("enterprise", ["/", "/s/notifications/", "/r/instruments/", "/s/"]),
    ],
)
def test_every_demo_role_finds_records(demo_activity_region, client, username, pages):
    """Each login's home and list pages show records of the demo, not empty tables: the page
    holds a record the login may read (a title, a lifetime ID, a name, a count)."""
    import json

    from django.contrib.auth import get_user_model

    from jiliang.platform.calibration.models import UncertaintyBudget
    from jiliang.platform.registry.permissions import readable
    from jiliang.platform.supervision.access import reads_region
    from jiliang.platform.supervision.models import (
        Draw,
        Filing,
        Notification,
        PrepackagedInspection,
    )

    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    org = user.profile.organisation
    prefix = reads_region(user) or ""
    instruments = readable(user, m.Instrument)
    ids = list(instruments.values_list("lifetime_id", flat=True))
    names_in_region = list(
        m.Organisation.objects.filter(
            kind="enterprise", region__code__startswith=prefix
        ).values_list("name", flat=True)
    )
    counties = list(
        m.Region.objects.filter(level="county", code__startswith=prefix or "33").values_list(
            "name", flat=True
        )
    )

    def shows(*texts):
        return lambda body: any(t and (t in body or json.dumps(t)[1:-1] in body) for t in texts)

    expect = {
        "/": shows(f">{instruments.count()}<", f">{instruments.count():,}<"),  # the count card
        "/budgets/": shows(*readable(user, UncertaintyBudget).values_list("title", flat=True)),
        "/s/draws/": shows(Draw.objects.get().title),
        "/s/notifications/": shows(
            *(n.params.get("lifetime_id") for n in Notification.objects.filter(recipient=user))
        ),
        "/r/instruments/": shows(*ids),
        "/s/assigned/": shows(
            *Filing.objects.filter(assigned_to=org).values_list(
                "instrument__lifetime_id", flat=True
            )
        ),
        "/s/dashboard/": shows(*counties),
        "/s/credit/": shows(*names_in_region),
        "/s/prepackaged/": shows(
            *readable(user, PrepackagedInspection).values_list("product", flat=True)
        ),
        "/s/": shows(*ids),
    }
    assert ids, username  # every login reads some instruments
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (username, path, response.status_code)
        assert expect[path](response.content.decode()), (username, path)
