"""QR label sheet (``/s/labels.pdf``): time to build the A4 PDF for N instruments.

    python benchmarks/bench_labels.py              # 480 labels (the page's cap), best of 5
    python benchmarks/bench_labels.py --quick      # 48 labels, best of 2
    python benchmarks/bench_labels.py --profile    # plus a cProfile of one run (top 15)

No database is needed: the sheet reads only ``uuid``, ``lifetime_id`` and ``name`` of each
instrument and ``settings.PUBLIC_URL``. Issue 18 measured 4–6 s for 480 labels.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from types import SimpleNamespace


def _instruments(n: int) -> list[SimpleNamespace]:
    from jiliang.core.identifiers import make_lifetime_id

    # distinct UUIDs (every label's QR differs, the worst case), names repeat as in a region
    return [
        SimpleNamespace(
            uuid=uuid.UUID(int=(0x9E3779B97F4A7C15 * (i + 1)) % 2**128),
            lifetime_id=make_lifetime_id("330106", "EPS", 2024, i + 1),
            name=["电子计价秤", "燃气表", "出租汽车计价器", "血压计"][i % 4],
        )
        for i in range(n)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", type=int, default=480)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.labels, args.repeat = 48, 2
    os.environ.setdefault("JILIANG_DATA_DIR", tempfile.mkdtemp(prefix="jl-bench-labels-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    from jiliang.platform.supervision import public

    items = _instruments(args.labels)
    pages = -(-args.labels // 24)
    for kind in ("cold", "warm"):
        # cold: every QR code encoded afresh (a new sheet); warm: the same sheet printed again
        times, size = [], 0
        for _ in range(args.repeat):
            if kind == "cold":
                public._qr_runs.cache_clear()
            t0 = time.perf_counter()
            pdf = public.label_sheet(items)
            times.append(time.perf_counter() - t0)
            size = len(pdf)
        print(
            f"label sheet ({kind}): {args.labels} labels, {pages} pages, {size / 1024:.0f} KiB — "
            f"best {min(times):.3f} s, median {sorted(times)[len(times) // 2]:.3f} s "
            f"({args.repeat} runs)"
        )
    if args.profile:
        import cProfile
        import pstats

        public._qr_runs.cache_clear()
        prof = cProfile.Profile()
        prof.runcall(public.label_sheet, items)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
