"""Median time of one client's explanation: stored look-up (known clients) and live TreeSHAP (new applicants).

    python -m benchmarks.explain --model-dir artifacts/model --clients 200
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from model.scoring import Scorer


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model-dir", default="artifacts/model")
    p.add_argument("--clients", type=int, default=200)
    a = p.parse_args()
    scorer = Scorer.load(a.model_dir)
    ids = [int(i) for i in np.random.default_rng(0).choice(scorer.population.index, a.clients, replace=False)]
    for name, run in (("stored look-up", scorer.score_client),
                      ("live TreeSHAP", lambda i: scorer.score_features(scorer.features_of(i), i))):
        times = []
        for i in ids:
            t = time.perf_counter()
            run(i).explanation.top(10)
            times.append((time.perf_counter() - t) * 1000)
        print(f"{name:15s} median {np.median(times):6.2f} ms  p90 {np.percentile(times, 90):6.2f} ms  "
              f"({len(ids)} clients, {scorer.model.tree_count_} trees, {len(scorer.features)} features)")


if __name__ == "__main__":
    main()
