"""Test-wide settings (pytest-django reads DJANGO_SETTINGS_MODULE from pyproject.toml).

Subprocess tests pass their own ``JILIANG_DATA_DIR``; in-process tests use Django's test database
(in memory for SQLite, ``test_<name>`` on PostgreSQL), never the data directory's database.
"""
