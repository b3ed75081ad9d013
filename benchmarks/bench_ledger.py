"""Transparency-log figures: jiliang's tile log vs pymerkle 7 (InmemoryTree, SqliteTree), same run.

    python benchmarks/bench_ledger.py            # 10^6 leaves
    python benchmarks/bench_ledger.py --quick    # 10^5 leaves
    python benchmarks/bench_ledger.py --n 3000000 --dir /big/disk

Appends: jiliang in durable batches of ``--batch`` entries (journal + fsync per batch) and with
fsync off; pymerkle InmemoryTree.append_entries and SqliteTree.append_entries(chunksize=batch).
Proofs: mean latency over ``--probes`` random (index, size) pairs, first pass on a freshly opened
log (cold: files mapped, pages faulted in from the page cache) and second pass over the same pairs
(warm). Entries are 32-byte values (a certificate's SHA-256, the platform's typical leaf).
``JILIANG_LEDGER_PURE=1 python benchmarks/bench_ledger.py`` measures the pure-Python fallback.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from jiliang.core.ledger import Log, verify_inclusion
from jiliang.core.ledger.tree import hasher


def _dir_bytes(path: Path, skip: tuple[str, ...] = ()) -> int:
    return sum(
        p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.name.startswith(skip)
    )


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _latency(func: Callable[[int, int], object], pairs: list[tuple[int, int]]) -> float:
    """Mean seconds per call."""
    start = time.perf_counter()
    for a, b in pairs:
        func(a, b)
    return (time.perf_counter() - start) / len(pairs)


def make_entries(start: int, end: int) -> list[bytes]:
    """Entries ``start..end-1``: 32-byte values, like a certificate's SHA-256."""
    return [i.to_bytes(32, "big") for i in range(start, end)]


def bench_jiliang(root: Path, n: int, args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    batch, probes = args.batch, args.probes
    for durable in (True, False) if not args.skip_nosync else (True,):
        path = root / f"jiliang-{'durable' if durable else 'nosync'}"
        log = Log.create(path, "bench.example.org/log", durable=durable)
        elapsed = 0.0
        for start in range(0, n, batch):
            chunk = make_entries(start, min(n, start + batch))  # generated outside the timing
            elapsed += _timed(lambda log=log, chunk=chunk: log.append_many(chunk))
        figures["append/s" if durable else "append/s (no fsync)"] = n / elapsed
        log.close()
    path = root / "jiliang-durable"
    figures["bytes/leaf (all log files)"] = _dir_bytes(path, skip=("index.sqlite",)) / n
    figures["bytes/leaf (C2SP tiles)"] = _dir_bytes(path / "tiles") / n
    figures["bytes/leaf (node records)"] = _dir_bytes(path / "nodes") / n
    figures["bytes/leaf (entries)"] = _dir_bytes(path / "entries") / n
    rng = random.Random(1)
    log = Log(path)
    pairs = [(rng.randrange(n), n) for _ in range(probes)]
    figures["inclusion ms (cold)"] = 1e3 * _latency(log.inclusion_proof, pairs)
    figures["inclusion ms (warm)"] = 1e3 * _latency(log.inclusion_proof, pairs)
    cons = [(rng.randrange(1, n), n) for _ in range(probes)]
    figures["consistency ms (cold)"] = 1e3 * _latency(log.consistency_proof, cons)
    figures["consistency ms (warm)"] = 1e3 * _latency(log.consistency_proof, cons)
    root_hash = log.root()
    proofs = [(i, log.inclusion_proof(i, n)) for i, _ in pairs[:500]]
    leaves = {i: log.leaf_hash(i) for i, _ in proofs}
    start = time.perf_counter()
    for i, proof in proofs:
        verify_inclusion(leaves[i], i, n, proof, root_hash)
    figures["verify inclusion ms"] = 1e3 * (time.perf_counter() - start) / len(proofs)
    if not args.skip_index:
        figures["leaf index build s"] = _timed(lambda: log.index_of(leaves[pairs[0][0]]))
        lookups = [(leaves[i], 0) for i, _ in proofs]
        figures["index_of ms"] = 1e3 * _latency(lambda h, _: log.index_of(h), lookups)
        index_bytes = _dir_bytes(path) / n - figures["bytes/leaf (all log files)"]
        figures["bytes/leaf (leaf index)"] = index_bytes
    log.close()
    return figures


def bench_pymerkle(root: Path, n: int, batch: int, probes: int) -> dict[str, float]:
    from pymerkle import InmemoryTree, SqliteTree

    entries = make_entries(0, n)
    figures: dict[str, float] = {}
    rng = random.Random(1)
    # pymerkle counts leaves from one.
    pairs = [(rng.randrange(n) + 1, n) for _ in range(probes)]
    cons = [(rng.randrange(1, n), n) for _ in range(probes)]
    memory = InmemoryTree()
    figures["inmemory append/s"] = n / _timed(lambda: memory.append_entries(entries))
    figures["inmemory inclusion ms (cold)"] = 1e3 * _latency(memory.prove_inclusion, pairs)
    figures["inmemory inclusion ms (warm)"] = 1e3 * _latency(memory.prove_inclusion, pairs)
    figures["inmemory consistency ms (cold)"] = 1e3 * _latency(memory.prove_consistency, cons)
    figures["inmemory consistency ms (warm)"] = 1e3 * _latency(memory.prove_consistency, cons)
    memory = None  # free the Python node objects before the next backend
    dbfile = root / "pymerkle.db"
    with SqliteTree(str(dbfile)) as tree:
        figures["sqlite append/s"] = n / _timed(lambda: tree.append_entries(entries, batch))
        figures["sqlite inclusion ms (cold)"] = 1e3 * _latency(tree.prove_inclusion, pairs)
        figures["sqlite inclusion ms (warm)"] = 1e3 * _latency(tree.prove_inclusion, pairs)
        figures["sqlite consistency ms (cold)"] = 1e3 * _latency(tree.prove_consistency, cons)
        figures["sqlite consistency ms (warm)"] = 1e3 * _latency(tree.prove_consistency, cons)
    figures["sqlite bytes/leaf"] = dbfile.stat().st_size / n
    return figures


def _row(name: str, ours: float, theirs: float | None, higher_is_better: bool) -> str:
    if theirs is None:
        return f"| {name:<34} | {ours:>12.4g} | {'':>12} | {'':>8} |"
    ratio = ours / theirs if higher_is_better else theirs / ours
    return f"| {name:<34} | {ours:>12.4g} | {theirs:>12.4g} | {ratio:>7.1f}x |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^5 leaves instead of 10^6")
    parser.add_argument("--n", type=int, help="number of leaves (overrides --quick)")
    parser.add_argument("--batch", type=int, default=100_000, help="entries per append batch")
    parser.add_argument("--probes", type=int, default=2000, help="proofs per latency figure")
    parser.add_argument("--dir", type=Path, help="scratch directory (default: a temp dir)")
    parser.add_argument("--skip-pymerkle", action="store_true")
    parser.add_argument("--skip-nosync", action="store_true", help="no fsync-off append run")
    parser.add_argument("--skip-index", action="store_true", help="no leaf-index figures")
    args = parser.parse_args()
    n = args.n or (100_000 if args.quick else 1_000_000)
    scratch = Path(tempfile.mkdtemp(prefix="bench-ledger-", dir=args.dir))
    try:
        ours = bench_jiliang(scratch, n, args)
        theirs = {} if args.skip_pymerkle else bench_pymerkle(scratch, n, args.batch, args.probes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\nTransparency log, {n:,} leaves of 32 bytes, batches of {args.batch:,}")
    print(f"jiliang hashing: {hasher()} (c-sha-ni / c-portable: C extension; python: hashlib)")
    print("ratio = how many times better jiliang is (throughput ratio, or latency/size inverse)\n")
    for peer in ("inmemory", "sqlite"):
        if not theirs:
            break
        label = {"inmemory": "pymerkle 7 InmemoryTree", "sqlite": "pymerkle 7 SqliteTree"}[peer]
        print(f"| {'vs ' + label:<34} | {'jiliang':>12} | {'pymerkle':>12} | {'ratio':>8} |")
        print(f"|{'-' * 36}|{'-' * 14}|{'-' * 14}|{'-' * 10}|")
        print(
            _row(
                "append leaves/s (durable batches)",
                ours["append/s"],
                theirs[f"{peer} append/s"],
                True,
            )
        )
        for kind in ("inclusion", "consistency"):
            for temp in ("cold", "warm"):
                key = f"{kind} ms ({temp})"
                print(_row(f"{kind} proof ms ({temp})", ours[key], theirs[f"{peer} {key}"], False))
        if peer == "sqlite":
            size = ours["bytes/leaf (all log files)"]
            print(_row("bytes per leaf (all log files)", size, theirs["sqlite bytes/leaf"], False))
        print()
    print("| jiliang only                       |        value |")
    print(f"|{'-' * 36}|{'-' * 14}|")
    for key, value in ours.items():
        print(f"| {key:<34} | {value:>12.4g} |")
    depth = max(1, (n - 1).bit_length())
    if n < 10**8:
        warm = ours["inclusion ms (warm)"] * 27 / depth
        gib = ours["bytes/leaf (all log files)"] * 1e8 / 2**30
        print(
            f"\nAt 10^8 leaves (extrapolated, NOT measured): proofs have 27 hashes instead of "
            f"{depth} (warm inclusion ≈ {warm:.3f} ms), storage ≈ {gib:.1f} GiB, "
            f"appends ≈ {1e8 / ours['append/s'] / 60:.0f} min at the measured rate."
        )
    print(f"Latencies are means over {args.probes} random probes.")


if __name__ == "__main__":
    main()
