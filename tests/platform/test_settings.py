"""Settings from the environment; ``check --deploy`` is clean with production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys


def run_manage(args, tmp_path, **env):
    full_env = {**os.environ, "JILIANG_DATA_DIR": str(tmp_path), **env}
    for name in ("JILIANG_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "jiliang.platform.manage", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        JILIANG_SECRET_KEY=secrets.token_urlsafe(64),
        JILIANG_SECURE="1",
        JILIANG_ALLOWED_HOSTS="metrology.example.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_insecure_defaults(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], tmp_path)
    assert result.returncode != 0
    assert "security.W" in result.stdout + result.stderr


def test_sqlite_is_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    env = {
        **os.environ,
        "JILIANG_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "jiliang.platform.settings",
    }
    env.pop("JILIANG_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.strip() == "wal", result.stderr


def test_secret_key_is_generated_once_and_private(tmp_path):
    run_manage(["check"], tmp_path)
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    run_manage(["check"], tmp_path)
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_migrations_match_models(tmp_path):
    result = run_manage(["makemigrations", "--check", "--dry-run"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
