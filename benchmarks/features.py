"""Feature-build time and peak memory for a data folder, plus one-client latency.

    python benchmarks/features.py --data-dir /work/shared/data/home-credit-sample
    python benchmarks/features.py --data-dir /tmp/hc_full --clients 30

Prints the load time, the batch ``build_features`` time, the peak RSS of the process (load
included: that is what the training machine needs) and the median latency of building one
client's features from that client's rows alone (the serving path), over clients that have the
most child rows.
"""
from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data.load import load_tables  # noqa: E402
from model import features as F  # noqa: E402

CLIENT_TABLES = ("bureau", "previous_application", "POS_CASH_balance", "installments_payments", "credit_card_balance")


def rss_gib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**30


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


class PeakSampler:
    """Peak RSS over a code section (ru_maxrss only ever grows, so sample it too)."""

    def __init__(self, every: float = 0.05) -> None:
        self.every, self.peak, self._stop = every, 0.0, threading.Event()

    def __enter__(self):
        self.peak = rss_gib()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, rss_gib())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_gib())


def client_rows(tables, client: int) -> dict[str, pd.DataFrame]:
    out = {name: df[df["SK_ID_CURR"].to_numpy() == client] for name, df in tables.items() if name != "bureau_balance"}
    if "bureau_balance" in tables and "bureau" in out:
        bb = tables["bureau_balance"]
        out["bureau_balance"] = bb[bb["SK_ID_BUREAU"].isin(out["bureau"]["SK_ID_BUREAU"])]
    return out


def richest_clients(tables, k: int) -> list[int]:
    counts = None
    for t in CLIENT_TABLES:
        if t in tables:
            c = tables[t]["SK_ID_CURR"].value_counts()
            counts = c if counts is None else counts.add(c, fill_value=0)
    if counts is None:
        return [int(tables["application_train"]["SK_ID_CURR"].iloc[0])]
    return [int(i) for i in counts.sort_values(ascending=False).index[:k]]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--clients", type=int, default=20, help="clients for the one-client latency (default 20)")
    p.add_argument("--no-children", action="store_true", help="application features only")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    tables = load_tables(args.data_dir)
    t_load = time.perf_counter() - t0
    rows = {k: len(v) for k, v in tables.items()}
    print(f"data: {args.data_dir}")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    print(f"load: {t_load:.1f} s, RSS after load {rss_gib():.2f} GiB")

    rss_before = rss_gib()
    with PeakSampler() as s:
        t0 = time.perf_counter()
        X = F.build_features(tables, include_children=not args.no_children)
        t_build = time.perf_counter() - t0
    print(f"build_features: {X.shape[0]:,} clients x {X.shape[1]} features in {t_build:.1f} s "
          f"({sum(v for k, v in rows.items() if k not in ('application_train', 'application_test')):,} child rows)")
    print(f"RSS: before build {rss_before:.2f} GiB, peak during build {s.peak:.2f} GiB "
          f"(+{s.peak - rss_before:.2f}), process peak (ru_maxrss) {peak_gib():.2f} GiB; output frame "
          f"{X.memory_usage(deep=True).sum() / 2**30:.2f} GiB")

    clients = richest_clients(tables, args.clients)
    lat, sizes = [], []
    for c in clients:
        one = client_rows(tables, c)
        sizes.append(sum(len(v) for k, v in one.items() if not k.startswith("application")))
        F.build_features(one, include_children=not args.no_children)  # warm
        t0 = time.perf_counter()
        F.build_features(one, include_children=not args.no_children)
        lat.append(time.perf_counter() - t0)
    print(f"one client ({len(clients)} richest clients, median {int(np.median(sizes))} child rows, "
          f"max {max(sizes)}): median {np.median(lat) * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
