"""Test-wide settings (pytest-django reads DJANGO_SETTINGS_MODULE from pyproject.toml).

Subprocess tests pass their own ``JILIANG_DATA_DIR``; in-process tests use Django's test database
(in memory for SQLite, ``test_<name>`` on PostgreSQL), never the data directory's database.
"""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~0.3 s a user; tests only need a working hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
