"""``jiliang demo`` builds a deterministic region: same seed, same rows."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

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


@pytest.mark.slow
def test_demo_cli_is_deterministic(tmp_path):
    digests = []
    for name in ("a", "b"):
        result = run(
            [
                sys.executable,
                "-m",
                "jiliang",
                "demo",
                "--no-serve",
                "--size",
                "400",
                "--seed",
                "7",
                "--data-dir",
                str(tmp_path / name),
            ],
            tmp_path / name,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "demo region built" in result.stdout
        assert "inspector" in " ".join(result.stdout.split()[-3:])  # every role (rich wraps)
        digests.append(run([sys.executable, "-c", DIGEST], tmp_path / name).stdout)
    assert digests[0] == digests[1]
    assert digests[0].split()[1] == "400"
    other = run(
        [
            sys.executable,
            "-m",
            "jiliang",
            "demo",
            "--no-serve",
            "--size",
            "400",
            "--seed",
            "8",
            "--data-dir",
            str(tmp_path / "c"),
        ],
        tmp_path / "c",
    )
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
