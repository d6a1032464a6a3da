"""Generate realistic demo Home Credit tables (all eight Kaggle files) from aggregate statistics.

The command line, ``python -m data.generate`` (see :mod:`data.generate`).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from data.generate.write import FORMATS, generate_to


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m data.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=_positive, default=20_000, help="application_train clients (default 20000)")
    p.add_argument("--test-clients", type=_count, default=3_000, help="application_test clients (default 3000)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--format", choices=FORMATS, default="csv")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()

    def report(name: str, rows: int, seconds: float) -> None:
        print(f"{name:<24} {rows:>11,} rows  {seconds:6.1f} s", flush=True)

    generate_to(args.out, args.clients, args.test_clients, args.seed, args.format, report)
    print(f"done in {time.perf_counter() - t0:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
