"""Wall time of each training stage and peak memory, for one data folder.

    python benchmarks/train.py --data-dir /tmp/full                     # default parameters
    python benchmarks/train.py --data-dir /tmp/full --iterations 600 --learning-rate 0.1

Runs ``model.train.train`` in this process exactly as ``python -m model.train`` would (same
defaults; any training option can be passed through), into a throw-away model folder and
without MLflow, then prints: feature time (load + build), CV time per class-weight option,
baseline time, refit time, population extras time, total, peak RSS of the process and the
machine load (``os.getloadavg``) before and after, since timings on a shared machine are noisy.
The budget checked is the whole run (stored explanations included) ≤ ``--budget-min`` (20 by default).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import train as T  # noqa: E402


class PeakRSS:
    """Samples the process RSS every 0.2 s (psutil) and keeps ru_maxrss as the kernel's figure."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def kernel_peak_gib() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget-min", type=float, default=20.0)
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    own, rest = p.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        config = T.parse_args([*rest, "--model-dir", str(Path(tmp) / "model"), "--tracking-uri", ""])
        load_before = os.getloadavg()
        with PeakRSS() as rss:
            result = T.train(config, log=lambda m: print("  " + m, flush=True))
        load_after = os.getloadavg()
    t = result.timings
    # the whole run counts: features, CV, calibration, baselines, fitted features, refit and the
    # stored explanations (population extras) are all part of `python -m model.train`
    budget_s = t["total_s"]
    m = result.metrics
    figures = {
        "data_dir": str(config.data_dir), "clients": m["n_clients"], "params": config.params.to_dict(),
        "class_weights": config.class_weights, "timings_s": {k: round(v, 1) for k, v in t.items()},
        "budgeted_s": round(budget_s, 1), "peak_rss_gib": round(max(rss.peak / 2**30, rss.kernel_peak_gib()), 2),
        "best_iterations": m["best_iterations"], "refit_iterations": m["refit_iterations"],
        "auc": round(m["auc"], 4), "auc_fold_mean": round(m["auc_fold_mean"], 4),
        "auc_fold_std": round(m["auc_fold_std"], 4), "cost_per_client": round(m["cost_per_client"], 4),
        "cost_per_client_nested": round(m["cost_per_client_nested"], 4),
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
    }
    print()
    print(f"clients            {m['n_clients']:,}")
    print(f"features (load+build) {t['features_s']:8.1f} s")
    for k, v in t.items():
        if k.startswith("cv_"):
            print(f"CV {k[3:-2]:<17s}{v:8.1f} s   best iterations {m['best_iterations']}")
    print(f"baselines          {t.get('baselines_s', 0.0):8.1f} s")
    print(f"fitted features    {t.get('population_features_s', 0.0):8.1f} s   "
          f"(groups: {', '.join(config.population_features) or 'none'})")
    print(f"refit              {t['refit_s']:8.1f} s   ({m['refit_iterations']} iterations × "
          f"{config.params.bag_size} seed(s))")
    print(f"population extras  {t['population_s']:8.1f} s")
    print(f"total              {t['total_s']:8.1f} s   ({budget_s / 60:.1f} min, "
          f"budget {own.budget_min:g} min: {'OK' if budget_s <= own.budget_min * 60 else 'OVER'})")
    print(f"peak RSS           {figures['peak_rss_gib']:8.2f} GiB")
    print(f"OOF AUC {m['auc']:.4f} (fold {m['auc_fold_mean']:.4f} ± {m['auc_fold_std']:.4f}), "
          f"cost {m['cost_per_client']:.4f} (nested {m['cost_per_client_nested']:.4f})")
    print(f"load average before {figures['loadavg_before']} after {figures['loadavg_after']} "
          f"on {os.cpu_count()} CPUs")
    if own.json:
        own.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
