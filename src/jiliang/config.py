"""Process-wide configuration read from the environment (no Django import).

``JILIANG_DATA_DIR`` — where the embedded database, the transparency log, schema cache, keys
and generated files live. Defaults to ``./jiliang-data`` relative to the working directory so a
fresh checkout works without configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = "jiliang-data"


def data_dir(create: bool = True) -> Path:
    """Return the data directory (absolute), creating it when ``create`` is true."""
    path = Path(os.environ.get("JILIANG_DATA_DIR", DEFAULT_DATA_DIR)).expanduser().resolve()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
