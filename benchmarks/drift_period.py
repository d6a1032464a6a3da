"""Median time of the drift screen's comparison of a period (its applications against the model's
training clients, the model's top features), with and without Evidently's HTML report: the screen
shows the numbers only, the command line writes the report.

    python -m benchmarks.drift_period --model-dir artifacts/model --applications 1000 --repeats 3
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from model.monitoring.drift import drift_summary
from model.monitoring.drift.period import training_clients
from model.monitoring.drift.run import DEFAULT_FEATURES, select_features
from model.scoring import Scorer


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model-dir", default="artifacts/model")
    p.add_argument("--applications", type=int, default=1000)
    p.add_argument("--features", type=int, default=DEFAULT_FEATURES)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    scorer = Scorer.load(a.model_dir)
    reference = training_clients(scorer)
    unknown = scorer.scores.index[scorer.scores["TARGET"].isna()]
    chosen = np.random.default_rng(0).choice(unknown, min(a.applications, len(unknown)), replace=False)
    current = scorer.population.loc[chosen]
    importance = {r.feature: r.mean_abs_shap for r in scorer.importance}
    features = select_features([f for f in scorer.features if f in reference.columns], importance, a.features)
    drift_summary(reference.head(200), current.head(200), importance, features[:2], report=False)  # Evidently imported
    for report in (True, False):
        times, summary = [], None
        for _ in range(a.repeats):
            t = time.perf_counter()
            summary = drift_summary(reference, current, importance, features, report=report)
            times.append(time.perf_counter() - t)
        assert summary is not None
        print(f"{'with the HTML report' if report else 'numbers only':21s} median {np.median(times):6.2f} s  "
              f"({len(reference):,} training clients vs {len(current):,} applications, {len(features)} features, "
              f"{summary.n_drifted} drifted)")


if __name__ == "__main__":
    main()
