"""Benchmark the demo data generator: rows/s per table, wall time and peak RSS.

    python -m benchmarks.generate                       # full Kaggle scale, parquet
    python -m benchmarks.generate --format csv --out /tmp/hc
    python -m benchmarks.generate --clients 20000 --test-clients 3000 --auc

Peak RSS is ``resource.getrusage`` ru_maxrss of this process and of its children (kB on Linux),
cross-checked with psutil. ``--auc`` also measures the quick-model ROC AUC with and without the
child tables (LightGBM, 3-fold CV) on the generated train clients.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from data.generate import FORMATS, generate_to
from data.schema import KAGGLE_ROWS


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=KAGGLE_ROWS["application_train"])
    p.add_argument("--test-clients", type=int, default=KAGGLE_ROWS["application_test"])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--format", choices=FORMATS, default="parquet")
    p.add_argument("--out", type=Path, help="output folder (default: a temporary folder, removed afterwards)")
    p.add_argument("--auc", action="store_true", help="also measure the quick-model AUC (needs lightgbm)")
    args = p.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="hc-bench-"))
    rows_total = 0
    print(f"clients {args.clients:,} + {args.test_clients:,}, format {args.format}, out {out}")
    print(f"{'table':<24} {'rows':>12} {'seconds':>8} {'rows/s':>12} {'MiB on disk':>12}")
    t0 = time.perf_counter()

    def report(name: str, rows: int, seconds: float) -> None:
        nonlocal rows_total
        rows_total += rows
        size = (out / f"{name}.{args.format}").stat().st_size / 2**20
        print(f"{name:<24} {rows:>12,} {seconds:>8.1f} {rows / max(seconds, 1e-9):>12,.0f} {size:>12.1f}", flush=True)

    try:
        generate_to(out, args.clients, args.test_clients, args.seed, args.format, report)
        wall = time.perf_counter() - t0
        print(f"{'total':<24} {rows_total:>12,} {wall:>8.1f} {rows_total / wall:>12,.0f}")
        print(f"wall time {wall:.1f} s, peak RSS {peak_rss_mib():,.0f} MiB")
        if args.auc:
            from data.generate import generate_tables
            from tests.test_generate import quick_auc
            t1 = time.perf_counter()
            frames = generate_tables(args.clients, 0, args.seed)
            app, full = quick_auc(frames)
            print(f"quick model ROC AUC (3-fold CV, {args.clients:,} clients): application only {app:.4f}, "
                  f"with child tables {full:.4f} (+{full - app:.4f}) in {time.perf_counter() - t1:.0f} s")
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
