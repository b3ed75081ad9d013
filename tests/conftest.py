"""Test-wide settings: each run gets its own data directory, never the developer's."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("JILIANG_DATA_DIR", tempfile.mkdtemp(prefix="jiliang-test-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
