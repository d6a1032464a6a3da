"""Batch scoring at full Kaggle scale: clients per second, peak memory and per-bucket cost, per engine.

    python benchmarks/batch.py [--data-dir /tmp/pad-fullscale] [--out-root /tmp/pad-batch-bench]
                               [--buckets 32] [--repeat 1] [--runs pandas:application_test,...]

Generates the demo data once at full scale (307,511 + 48,744 clients, Parquet, the product's
generator) into ``--data-dir`` (kept: the next run reuses it), then runs ``python -m model.batch``
as a subprocess for each run (engine, applications, Spark master) and prints, per run: clients,
wall seconds, clients/s, peak RSS of the whole process tree (Python, the JVM and Spark's Python
workers, sampled with psutil every 0.2 s), and the per-bucket cost (median seconds and input MB
per 1,000 clients, history rows per client). Medians over ``--repeat`` runs. Outputs go under
``--out-root`` (never the repository); the figures also to ``OUT_ROOT/results.json``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from settings import get_settings  # noqa: E402

TRAIN_CLIENTS, TEST_CLIENTS = 307_511, 48_744
#: Default runs, most telling first (a long run interrupted still leaves the first figures).
DEFAULT_RUNS = ("pandas:application_test", "spark:application_test:local[2]", "pandas:all", "spark:all:local[2]",
                "spark:application_test:local[1]", "spark:all:local[1]")


def ensure_data(data_dir: Path) -> None:
    """Full-scale demo data in ``data_dir``, generated once (marker file ``.complete``)."""
    if (data_dir / ".complete").exists():
        return
    print(f"generating {TRAIN_CLIENTS:,} + {TEST_CLIENTS:,} clients into {data_dir} (a few minutes)", flush=True)
    subprocess.run([sys.executable, "-m", "data.generate", "--clients", str(TRAIN_CLIENTS), "--test-clients",
                    str(TEST_CLIENTS), "--seed", "42", "--out", str(data_dir), "--format", "parquet"],
                   check=True, cwd=ROOT)
    (data_dir / ".complete").touch()


def tree_rss(proc: psutil.Process) -> int:
    """RSS of a process and all its descendants (bytes; processes gone meanwhile are skipped)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_once(engine: str, applications: str, master: str | None, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "model.batch", "--engine", engine, "--data-dir", str(args.data_dir), "--out", str(out),
           "--applications", applications, "--buckets", str(args.buckets), "--model-dir", str(args.model_dir)]
    if master:
        cmd += ["--master", master]
    start = time.perf_counter()
    popen = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    proc, peak, stop = psutil.Process(popen.pid), [0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            try:
                peak[0] = max(peak[0], tree_rss(proc))
            except psutil.NoSuchProcess:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = popen.communicate()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    if popen.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({popen.returncode}): {err.strip().splitlines()[-1:]}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    buckets = [b for b in summary["per_bucket"] if b["clients"]]
    return {"clients": summary["clients"], "wall_s": wall, "batch_s": summary["seconds"],
            "clients_per_s": summary["clients"] / wall, "peak_rss_mb": peak[0] / 2**20,
            "bucket_s_per_1k": statistics.median(1000 * b["seconds"] / b["clients"] for b in buckets),
            "bucket_mb_per_1k": statistics.median(1000 * b["input_mb"] / b["clients"] for b in buckets),
            "worker_rss_mb": max(b["rss_mb"] for b in buckets),
            "history_rows_per_client": sum(b["history_rows"] for b in buckets) / summary["clients"],
            "clients_per_bucket": statistics.median(b["clients"] for b in buckets),
            "staging_s": summary.get("staging_seconds", 0.0), "staged_mb": summary.get("staged_bytes", 0) / 2**20,
            "decisions": summary["decisions"]}


def main() -> int:
    settings = get_settings()
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/pad-fullscale"))
    p.add_argument("--out-root", type=Path, default=Path("/tmp/pad-batch-bench"))
    p.add_argument("--model-dir", type=Path, default=settings.model_dir)
    p.add_argument("--buckets", type=int, default=32)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--runs", default=",".join(DEFAULT_RUNS),
                   help="comma-separated engine:applications[:master] (applications: application_test, "
                        "application_train or all)")
    args = p.parse_args()
    ensure_data(args.data_dir)
    args.out_root.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    print(f"{'run':<36} {'clients':>8} {'wall s':>8} {'clients/s':>10} {'peak MB':>8} {'s/1k':>6} "
          f"{'MB/1k':>6} {'wkr MB':>7} {'hist/cl':>7} {'stage s':>7} {'stg MB':>7}", flush=True)
    for spec in args.runs.split(","):
        engine, applications, *rest = spec.split(":")
        master = rest[0] if rest else None
        runs = [run_once(engine, applications, master, args, args.out_root / spec.replace(":", "_").replace("[", "")
                         .replace("]", "")) for _ in range(args.repeat)]
        row: dict[str, Any] = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "decisions"}
        row.update(run=spec, repeat=args.repeat, decisions=runs[0]["decisions"])
        results.append(row)
        print(f"{spec:<36} {row['clients']:>8,.0f} {row['wall_s']:>8.1f} {row['clients_per_s']:>10,.0f} "
              f"{row['peak_rss_mb']:>8,.0f} {row['bucket_s_per_1k']:>6.2f} {row['bucket_mb_per_1k']:>6.1f} "
              f"{row['worker_rss_mb']:>7,.0f} {row['history_rows_per_client']:>7.1f} {row['staging_s']:>7.1f} "
              f"{row['staged_mb']:>7,.0f}", flush=True)
        (args.out_root / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print("s/1k, MB/1k: median per bucket, seconds and input MB per 1,000 clients (features, SHAP, reasons, "
          "part written); wkr MB: largest RSS of a scoring process after a bucket; stage s, stg MB: Spark's "
          "co-partitioning (seconds, compressed Parquet written by the shuffle)")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in psutil.getloadavg())} on {psutil.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
