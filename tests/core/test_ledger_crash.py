"""kill -9 during batch appends never leaves an inconsistent log.

A child process appends batches of ``BATCH`` deterministic entries in a loop; the parent kills it
with SIGKILL at varying moments (most of the child's time is spent inside ``append_many``, so the
kill lands mid-batch: during the journal write, the tile/entry writes, or the commit), reopens the
log, and checks that it holds a whole number of batches, exactly the expected entries, and that
every stored hash, the committed root and the audit agree.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from jiliang.core.ledger import Log, audit_log
from jiliang.core.ledger.tree import MemoryTree

BATCH = 20_000
CHILD = """
import sys
from jiliang.core.ledger import Log

log = Log(sys.argv[1])
batch = int(sys.argv[2])
announced = False
while True:
    start = log.size
    log.append_many([b"crash-%d" % i for i in range(start, start + batch)])
    if not announced:
        print("ready", flush=True)
        announced = True
"""


def _expected(n: int) -> list[bytes]:
    return [b"crash-%d" % i for i in range(n)]


MIN_INTERRUPTED = 3
MAX_KILLS = 25


def test_kill_minus_nine_mid_append(tmp_path) -> None:
    """Kill until at least three kills have landed inside a batch (bounded), checking each time.

    Where a kill lands depends on the machine's speed, so the delays cycle through a spread of
    values and the loop stops once three mid-batch kills (a journal left behind) were seen;
    every kill, mid-batch or not, must leave a consistent log.
    """
    path = tmp_path / "log"
    Log.create(path, "example.org/crash").close()
    sizes = []
    interrupted: list[bool] = []  # a journal left behind = the kill landed inside a batch
    delays = [0.05, 0.13, 0.29, 0.41, 0.07, 0.02, 0.17, 0.09, 0.23, 0.011]
    for attempt in range(MAX_KILLS):
        if sum(interrupted) >= MIN_INTERRUPTED:
            break
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(BATCH)],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(delays[attempt % len(delays)])
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        interrupted.append((path / "journal").exists())
        with Log(path) as log:  # recovery runs here
            size = log.size
            assert size % BATCH == 0, f"a partial batch survived: size {size}"
            assert size >= BATCH * (len(sizes) + 1)
            assert log.entries(0, size) == _expected(size)
            report = audit_log(log)
            assert report.ok, report.problems
            assert not (path / "journal").exists()
            sizes.append(size)
    # The final tree equals the reference tree over the same entries.
    with Log(path) as log:
        assert log.root() == MemoryTree(_expected(log.size)).root()
    assert sizes == sorted(sizes)
    assert sum(interrupted) >= MIN_INTERRUPTED, interrupted


WRITER = """
import sys
from jiliang.core.ledger import Log

log = Log(sys.argv[1])
for batch in range(20):
    log.append_many([b"%s-%d-%d" % (sys.argv[2].encode(), batch, i) for i in range(50)])
"""


def test_concurrent_writer_processes_serialise(tmp_path) -> None:
    """Two processes appending to one directory: no batch is lost, torn or interleaved."""
    path = tmp_path / "log"
    Log.create(path, "example.org/concurrent").close()
    children = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name]) for name in ("a", "b")
    ]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    with Log(path) as log:
        entries = log.entries(0, log.size)
        assert len(entries) == 2 * 20 * 50
        for start in range(0, len(entries), 50):  # each batch is contiguous and complete
            writer, batch, _ = entries[start].split(b"-")
            expected = [b"%s-%s-%d" % (writer, batch, i) for i in range(50)]
            assert entries[start : start + 50] == expected
        assert audit_log(log).ok
