"""Signing keys at rest (issue 17): encrypted with a passphrase the service gets at start.

A disk-and-database insider must not be able to re-sign with a laboratory's key: inside the data
directory keys are PKCS #8 encrypted (``-----BEGIN ENCRYPTED PRIVATE KEY-----``), production
refuses unencrypted ones there, ``jiliang pki encrypt-keys`` migrates old ones, and the system
check ``jiliang.pki.E001`` names the problem at start.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from jiliang.core.dcc.sign import verify_dcc
from jiliang.platform.certificates import checks, pki, services
from jiliang.platform.certificates.models import Certificate

from .certs_helpers import try_issue, use_schemas
from .test_pki import ca_and_lab, enrol_via_csr, jiliang

PASSPHRASE = "kR3v0-long-random-passphrase-for-tests"
ENCRYPTED = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


@pytest.fixture(autouse=True)
def production(settings, tmp_path, monkeypatch):
    """Production settings with the PKI in its default place, inside the data directory."""
    settings.DATA_DIR = tmp_path / "data"
    settings.JILIANG_LEDGER_DIR = tmp_path / "data" / "ledger"
    settings.JILIANG_PKI_DIR = tmp_path / "data" / "pki"
    settings.JILIANG_PKI_AUTO_ENROL = False
    settings.JILIANG_KEY_PASSPHRASE = PASSPHRASE
    settings.JILIANG_KEY_PASSPHRASE_FILE = None
    use_schemas(monkeypatch, required=True)


def key_files() -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in pki.private_key_files()}


def codes(messages) -> list[str]:
    return [m.id for m in messages]


def enrol_plaintext(settings, tmp_path, code: str) -> None:
    """Keys as versions before issue 17 left them: unencrypted PKCS #8 in DATA_DIR/pki.

    Written through the platform with the PKI directory counted as outside the data directory
    (where unencrypted keys are the operator's choice), then the data directory is moved over it.
    """
    settings.JILIANG_KEY_PASSPHRASE = None
    settings.DATA_DIR = tmp_path / "elsewhere"
    enrol_via_csr(code)
    settings.DATA_DIR = tmp_path / "data"
    assert all(not pki.is_encrypted(data) for data in key_files().values())


def test_keys_are_written_encrypted_and_sign_with_the_passphrase(client, world, reviewer):
    code = world.orgs["lab_hz"].code
    enrol_via_csr(code)
    stored = key_files()
    assert {p.relative_to(pki.pki_dir()).as_posix() for p in stored} == {
        "ca/key.pem",
        f"{code}/key.pem",
    }
    for path, data in stored.items():
        assert data.startswith(ENCRYPTED), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        with pytest.raises(TypeError, match="encrypted"):
            serialization.load_pem_private_key(data, password=None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(data, password=b"not the passphrase")
        serialization.load_pem_private_key(data, password=PASSPHRASE.encode())
    pk, response = try_issue(client, world)
    assert response.status_code == 200, response.content
    report = verify_dcc(Certificate.objects.get(pk=pk).xml.encode(), services.trust_anchors())
    assert report.valid, report.summary()
    assert checks.check_signing_keys() == []


def test_a_csr_key_and_an_imported_plaintext_key_are_stored_encrypted(world, tmp_path):
    hz, nb = world.orgs["lab_hz"].code, world.orgs["lab_nb"].code
    assert jiliang("init-ca").exit_code == 0
    assert jiliang("csr", nb).exit_code == 0
    assert (pki.pki_dir() / nb / "pending-key.pem").read_bytes().startswith(ENCRYPTED)
    ca, lab, key, _ = ca_and_lab("CN=Zhejiang Metrology CA,O=ZJCA,C=CN", f"CN=HZ lab,2.5.4.97={hz}")
    assert not pki.is_encrypted(key)
    for name, data in (("root.pem", ca), ("cert.pem", lab), ("key.pem", key)):
        (tmp_path / name).write_bytes(data)
    assert jiliang("trust", "add", str(tmp_path / "root.pem")).exit_code == 0
    done = jiliang("import", hz, str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem"))
    assert done.exit_code == 0, done.output
    stored = (pki.pki_dir() / hz / "key.pem").read_bytes()
    assert stored.startswith(ENCRYPTED) and key not in stored
    assert pki.signing_material(hz)[0].startswith(b"-----BEGIN PRIVATE KEY-----")  # memory only


def test_production_refuses_unencrypted_keys_in_the_data_directory(
    client, world, reviewer, settings, tmp_path
):
    settings.JILIANG_KEY_PASSPHRASE = None
    refused = jiliang("init-ca")
    assert refused.exit_code == 2
    assert "JILIANG_KEY_PASSPHRASE_FILE" in refused.output and "JILIANG_PKI_DIR" in refused.output
    assert not list(Path(settings.JILIANG_PKI_DIR).rglob("*.pem")), "a key was written"
    # Keys left unencrypted by an older version: signing is refused, naming the way out.
    enrol_plaintext(settings, tmp_path, world.orgs["lab_hz"].code)
    pk, response = try_issue(client, world)
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "must be encrypted" in detail and "jiliang pki encrypt-keys" in detail
    assert Certificate.objects.get(pk=pk).status == "in_review"
    # The demo and the tests (auto-enrolment) may keep throw-away keys unencrypted.
    settings.JILIANG_PKI_AUTO_ENROL = True
    assert pki.plaintext_keys_allowed()
    settings.JILIANG_PKI_AUTO_ENROL = False
    settings.JILIANG_PKI_DIR = tmp_path / "data" / "pki"
    assert not pki.plaintext_keys_allowed()


def test_wrong_passphrase_is_a_clear_error_and_nothing_is_written(
    client, world, reviewer, settings
):
    enrol_via_csr(world.orgs["lab_hz"].code)
    before = key_files()
    settings.JILIANG_KEY_PASSPHRASE = "another-passphrase-entirely-0123"
    pk, response = try_issue(client, world)
    assert response.status_code == 409
    assert "does not decrypt this private key" in response.json()["detail"]
    assert "wrong passphrase" in response.json()["detail"]
    assert Certificate.objects.get(pk=pk).status == "in_review"
    migrated = jiliang("encrypt-keys")
    assert migrated.exit_code == 2 and "does not decrypt" in migrated.output
    assert "nothing was written" in migrated.output
    assert key_files() == before
    messages = checks.check_signing_keys()
    assert codes(messages) == ["jiliang.pki.E001"] and "does not decrypt 2" in messages[0].msg
    settings.JILIANG_KEY_PASSPHRASE = None
    messages = checks.check_signing_keys()
    assert codes(messages) == ["jiliang.pki.E001"] and "no passphrase" in messages[0].msg
    with pytest.raises(services.SigningUnavailable, match="JILIANG_KEY_PASSPHRASE_FILE"):
        services.signing_material(world.orgs["lab_hz"])


def test_encrypt_keys_migrates_atomically_and_is_idempotent(
    client, world, reviewer, settings, tmp_path
):
    hz, nb = world.orgs["lab_hz"].code, world.orgs["lab_nb"].code
    enrol_plaintext(settings, tmp_path, hz)
    settings.DATA_DIR = tmp_path / "elsewhere"
    assert jiliang("csr", nb).exit_code == 0  # an open request's key is migrated too
    settings.DATA_DIR = tmp_path / "data"
    plain = key_files()
    assert len(plain) == 3
    # Production with unencrypted keys in the data directory: the system check fails start-up.
    assert codes(checks.check_signing_keys()) == ["jiliang.pki.E001"]
    with pytest.raises(SystemCheckError, match=r"jiliang\.pki\.E001"):
        call_command("check")
    no_passphrase = jiliang("encrypt-keys")
    assert no_passphrase.exit_code == 2 and "JILIANG_KEY_PASSPHRASE_FILE" in no_passphrase.output
    assert key_files() == plain
    settings.JILIANG_KEY_PASSPHRASE = PASSPHRASE
    first = jiliang("encrypt-keys")
    assert first.exit_code == 0, first.output
    assert first.output.count("encrypted: ") == 3 and "already" not in first.output
    migrated = key_files()
    for path, data in migrated.items():
        assert data.startswith(ENCRYPTED), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        old = serialization.load_pem_private_key(plain[path], password=None)
        new = serialization.load_pem_private_key(data, password=PASSPHRASE.encode())
        assert old.private_numbers() == new.private_numbers()  # the same key, now encrypted
    assert not list(pki.pki_dir().rglob("*.tmp")), "temporary files left behind"
    assert checks.check_signing_keys() == []
    second = jiliang("encrypt-keys")
    assert second.exit_code == 0 and second.output.count("already encrypted") == 3
    assert key_files() == migrated  # idempotent: not even re-encrypted
    pk, response = try_issue(client, world)
    assert response.status_code == 200, response.content
    report = verify_dcc(Certificate.objects.get(pk=pk).xml.encode(), services.trust_anchors())
    assert report.valid, report.summary()


def test_changing_the_passphrase_needs_the_old_one(world, settings, tmp_path):
    code = world.orgs["lab_hz"].code
    enrol_via_csr(code)
    before = key_files()
    settings.JILIANG_KEY_PASSPHRASE = "the-new-passphrase-after-rotation"
    assert jiliang("encrypt-keys").exit_code == 2
    (tmp_path / "wrong").write_text("not-the-old-one-either\n")
    wrong = jiliang("encrypt-keys", "--old-passphrase-file", str(tmp_path / "wrong"))
    assert wrong.exit_code == 2 and "neither the new nor the old passphrase" in wrong.output
    assert key_files() == before
    (tmp_path / "old").write_text(PASSPHRASE + "\n")
    rotated = jiliang("encrypt-keys", "--old-passphrase-file", str(tmp_path / "old"))
    assert rotated.exit_code == 0 and rotated.output.count("re-encrypted: ") == 2
    for data in key_files().values():
        serialization.load_pem_private_key(data, password=b"the-new-passphrase-after-rotation")
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(data, password=PASSPHRASE.encode())
    assert pki.signing_material(code)


def test_a_serving_process_logs_key_problems_on_its_first_request(
    client, world, settings, tmp_path, monkeypatch
):
    """``jiliang serve`` runs no system checks: the first request logs the finding, once."""
    enrol_plaintext(settings, tmp_path, world.orgs["lab_hz"].code)
    monkeypatch.setattr(checks, "_startup_checked", False)
    # A handler of our own: the CLI's django.setup() above reconfigured logging (caplog's root
    # handler is gone by now).
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger(checks.__name__)
    logger.addHandler(handler)
    try:
        client.get("/")
        client.get("/")
    finally:
        logger.removeHandler(handler)
    critical = [r for r in records if r.levelname == "CRITICAL"]
    assert len(critical) == 1 and "unencrypted private key(s)" in critical[0].getMessage()


def test_check_warns_about_a_passphrase_file_in_the_data_dir_and_a_short_passphrase(settings):
    settings.JILIANG_KEY_PASSPHRASE = "short"
    settings.JILIANG_KEY_PASSPHRASE_FILE = Path(settings.DATA_DIR) / "passphrase"
    messages = checks.check_signing_keys()
    assert codes(messages) == ["jiliang.pki.W001", "jiliang.pki.W001"]
    assert "inside the data directory" in messages[0].msg
    assert "shorter than 16 characters" in messages[1].msg


def _settings_of(tmp_path, code: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "JILIANG_DATA_DIR": str(tmp_path / "data"), **env}
    full["DJANGO_SETTINGS_MODULE"] = "jiliang.platform.settings"
    for name in ("JILIANG_KEY_PASSPHRASE", "JILIANG_KEY_PASSPHRASE_FILE", "JILIANG_PKI_DIR"):
        if name not in env:
            full.pop(name, None)
    script = f"import django; django.setup(); from django.conf import settings as s; {code}"
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=full, timeout=120
    )


def test_the_service_reads_its_passphrase_at_start(tmp_path):
    secret = tmp_path / "etc" / "key-passphrase"
    secret.parent.mkdir()
    secret.write_text(PASSPHRASE + "\n")
    show = "print(repr(s.JILIANG_KEY_PASSPHRASE), s.JILIANG_KEY_PASSPHRASE_FILE)"
    read = _settings_of(tmp_path, show, JILIANG_KEY_PASSPHRASE_FILE=str(secret))
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == [repr(PASSPHRASE), str(secret)]  # trailing newline dropped
    both = _settings_of(
        tmp_path, show, JILIANG_KEY_PASSPHRASE_FILE=str(secret), JILIANG_KEY_PASSPHRASE="x"
    )
    assert both.returncode != 0 and "set only one" in both.stderr
    missing = _settings_of(tmp_path, show, JILIANG_KEY_PASSPHRASE_FILE=str(tmp_path / "nope"))
    assert missing.returncode != 0 and "JILIANG_KEY_PASSPHRASE_FILE: cannot read" in missing.stderr
