"""`jiliang ledger audit --records` on a real data directory: clean, then tampered in SQL.

Also the offline verifier on files served by the platform: an audit entry's payload, its
inclusion proof and the signed checkpoint verify with `jiliang ledger verify`, no server needed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest


def jiliang(args, data_dir, **kw):
    env = {
        **os.environ,
        "JILIANG_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "jiliang.platform.settings",
    }
    env.pop("JILIANG_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "jiliang", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        **kw,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("ledger-demo")
    result = jiliang(["demo", "--no-serve", "--size", "100", "--seed", "3"], path)
    assert result.returncode == 0, result.stdout + result.stderr
    return path


@pytest.mark.slow
def test_audit_clean_then_tampered(demo_dir):
    clean = jiliang(["ledger", "audit", "--records"], demo_dir)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "registry rows match" in clean.stdout
    db = sqlite3.connect(demo_dir / "jiliang.sqlite3")
    with db:
        db.execute(
            "UPDATE registry_instrument SET mpe = mpe * 10, mpe_si = mpe_si * 10 "
            "WHERE id = (SELECT min(id) FROM registry_instrument)"
        )
        victim = db.execute("SELECT min(id) FROM registry_instrument").fetchone()[0]
    db.close()
    tampered = jiliang(["ledger", "audit", "--records"], demo_dir)
    assert tampered.returncode == 1
    assert f"ROW_CHANGED registry.instrument:{victim}" in tampered.stdout


@pytest.mark.slow
def test_offline_verification_of_a_served_proof(demo_dir, tmp_path):
    code = (
        "import django, json; django.setup();"
        "from django.test import Client; c = Client(HTTP_HOST='localhost');"
        "from jiliang.platform.audit.models import AuditEntry;"
        "e = AuditEntry.objects.filter(ledger_index__isnull=False).order_by('-id').first();"
        "b = c.get(f'/api/ledger/audit-entry/{e.pk}').json();"
        "print(json.dumps({'payload': b['payload'], 'proof': b['proof'],"
        " 'note': c.get('/api/ledger/checkpoint').content.decode(),"
        " 'vkey': c.get('/api/ledger/vkey').content.decode().strip()}))"
    )
    env = {
        **os.environ,
        "JILIANG_DATA_DIR": str(demo_dir),
        "DJANGO_SETTINGS_MODULE": "jiliang.platform.settings",
    }
    env.pop("JILIANG_DATABASE_URL", None)
    served = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        ).stdout
    )
    (tmp_path / "entry").write_bytes(served["payload"].encode())
    (tmp_path / "proof.json").write_text(json.dumps(served["proof"]))
    (tmp_path / "checkpoint").write_text(served["note"])
    args = [
        "ledger",
        "verify",
        str(tmp_path / "entry"),
        "--proof",
        str(tmp_path / "proof.json"),
        "--checkpoint",
        str(tmp_path / "checkpoint"),
        "--key",
        served["vkey"],
        "--log",
        str(tmp_path / "no-log-needed"),
    ]
    ok = jiliang(args, tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VALID" in ok.stdout
    (tmp_path / "entry").write_bytes(
        served["payload"].replace("audit-entry", "audit-entrY").encode()
    )
    bad = jiliang(args, tmp_path)
    assert bad.returncode == 1
    assert "INVALID" in bad.stdout
