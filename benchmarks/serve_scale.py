"""Serving at bank scale: time to ready and memory per gunicorn worker, and the cost of reading a client's rows.

    python benchmarks/serve_scale.py --data-dir /tmp/pad-fullscale --model-dir /tmp/pad-fullscale-model
    python benchmarks/serve_scale.py --data-dir D --model-dir M --modes memory,store --workers 2 --repeat 3 \\
                                     --clients 1000 [--cold-cache] [--parts servers,reads,breakdown]

Modes: ``memory`` is every worker loading every client's raw rows (``RECORDS_CACHE_DIR=none``, the way
before the store); ``store`` reads them from the store under ``--cache-dir`` (built once per data
folder, model/clients/records_store.py). Three parts, each printed as it ends:

* servers: gunicorn started as ``make serve`` does (gunicorn.conf.py, ``app:create_server()``,
  ``--workers``), per mode and ``--repeat``: seconds from the start to the first ``/api/v1/health``
  answer and to the last worker's "client records ready" line (the what-if can answer at once), then
  each worker's memory: RSS, PSS (shared pages divided among the processes that map them) and USS
  (pages only this process maps), from /proc/<pid>/smaps. ``--cold-cache`` empties the store's cache
  first, so the first store run also builds it (reported on its own line, not in the medians).
* reads: in a fresh process per mode, ``ClientRecords.frames`` of ``--clients`` random clients, uncached:
  median and p95 ms, and the process's memory before and after (what reading many clients adds). Mode
  ``fork`` loads the rows in memory in a parent and reads them in ``--workers`` forked children: what
  gunicorn's ``preload_app`` would give (children share the parent's pages until they write them).
* breakdown: what one worker holds, step by step, in a fresh process: the imports, the Scorer, the
  app (Services: client book, similarity index, views), the client records; and the largest objects.

Figures are medians over ``--repeat``; ``uptime`` before and after (the machine may be shared). Nothing is
written to the repository: instance folders are temporary, the store goes to ``--cache-dir``.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serve import free_port, get, uptime  # noqa: E402

READY = re.compile(r"client records ready in [\d.]+ s \(pid (\d+)")
FAILED = re.compile(r"client records not loaded \(pid (\d+)\): (.*)")
MIB = 2**20


def memory_of(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of a process in MiB (psutil reads /proc/<pid>/smaps)."""
    m = psutil.Process(pid).memory_full_info()
    return {"rss": m.rss / MIB, "pss": m.pss / MIB, "uss": m.uss / MIB}


def mem_line(m: dict[str, float]) -> str:
    return f"RSS {m['rss']:6.0f}  PSS {m['pss']:6.0f}  USS {m['uss']:6.0f} MiB"


# --------------------------------------------------------------------------- servers

def serve_once(mode: str, a: argparse.Namespace) -> dict[str, Any]:
    """One gunicorn start: seconds to health and to every worker's records, memory per worker."""
    instance = Path(tempfile.mkdtemp(prefix="serve-scale-"))
    port = free_port()
    env = dict(os.environ, HOME_CREDIT_DIR=str(a.data_dir), MODEL_DIR=str(a.model_dir), INSTANCE_DIR=str(instance),
               USERS_FILE=str(instance / "users.json"), SECRET_KEY=secrets.token_hex(16), API_KEYS=secrets.token_hex(8),
               DRIFT_DIR=str(instance / "reports"), HOST="127.0.0.1", PORT=str(port), WORKERS=str(a.workers),
               RECORDS_CACHE_DIR="none" if mode == "memory" else str(a.cache_dir), DEBUG="0",
               OMP_NUM_THREADS="1", LOG_LEVEL="warning")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    start = time.perf_counter()
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "app:create_server()"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ready: dict[int, float] = {}
    failed: list[str] = []
    lines: list[str] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip())
            if m := READY.search(line):
                ready[int(m.group(1))] = time.perf_counter() - start
            elif m := FAILED.search(line):
                failed.append(m.group(2))

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    health = None
    out: dict[str, Any] = {"mode": mode}
    try:
        deadline = time.monotonic() + a.timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None or failed:
                reader.join(timeout=5)
                raise SystemExit(f"server failed ({mode}, exit {proc.returncode}): {failed or lines[-8:]}")
            if health is None:
                try:
                    if get("127.0.0.1", port, "/api/v1/health", "", timeout=2)[0] == 200:
                        health = time.perf_counter() - start
                except OSError:
                    pass
            if health is not None and len(ready) >= a.workers:
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"not ready after {a.timeout:.0f} s ({mode}): {len(ready)}/{a.workers} workers; "
                             f"last lines: {lines[-5:]}")
        time.sleep(1.0)       # let the last worker finish what follows its records (nothing heavy)
        workers = [w.pid for w in psutil.Process(proc.pid).children()]
        out.update(health_s=health, ready_s=max(ready.values()), workers={pid: memory_of(pid) for pid in workers},
                   master=memory_of(proc.pid))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(instance, ignore_errors=True)
    return out


def servers(a: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for mode in a.modes:
        if mode == "fork":
            continue
        runs = []
        if mode == "store" and a.cold_cache:
            shutil.rmtree(a.cache_dir, ignore_errors=True)
            first = serve_once(mode, a)
            print(f"  store, empty cache (builds the store): health {first['health_s']:.1f} s, "
                  f"ready {first['ready_s']:.1f} s", flush=True)
            results["store_cold"] = first
        for r in range(a.repeat):
            run = serve_once(mode, a)
            runs.append(run)
            per = "; ".join(f"worker {mem_line(m)}" for m in run["workers"].values())
            print(f"  {mode} run {r + 1}/{a.repeat}: health {run['health_s']:.1f} s, ready {run['ready_s']:.1f} s; "
                  f"{per}; master RSS {run['master']['rss']:.0f} MiB", flush=True)
        every = [m for run in runs for m in run["workers"].values()]
        results[mode] = {
            "runs": runs,
            "health_s": statistics.median(run["health_s"] for run in runs),
            "ready_s": statistics.median(run["ready_s"] for run in runs),
            **{f"worker_{k}_mib": statistics.median(m[k] for m in every) for k in ("rss", "pss", "uss")},
            "total_rss_mib": statistics.median(sum(m["rss"] for m in run["workers"].values()) + run["master"]["rss"]
                                               for run in runs),
            "total_pss_mib": statistics.median(sum(m["pss"] for m in run["workers"].values()) + run["master"]["pss"]
                                               for run in runs),
        }
    return results


# --------------------------------------------------------------------------- reads (in a fresh process)

def _load(mode: str, a: argparse.Namespace, include_children: bool = True) -> Any:
    from model.simulation import ClientRecords

    return ClientRecords.load(a.data_dir, include_children, None if mode in ("memory", "fork") else a.cache_dir)


def _read_clients(records: Any, clients: list[int]) -> list[float]:
    seconds = []
    for c in clients:
        t0 = time.perf_counter()
        records._frames.__wrapped__(records, c)          # the read itself, not the per-process cache
        seconds.append(time.perf_counter() - t0)
    return seconds


def _pick(records: Any, n: int, seed: int) -> list[int]:
    import numpy as np

    ids = np.concatenate([t.ids for t in records._apps.values()])
    return [int(c) for c in np.random.default_rng(seed).choice(ids, size=min(n, len(ids)), replace=False)]


def _summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1e3 for s in seconds)
    return {"median_ms": statistics.median(ms), "p95_ms": ms[int(0.95 * (len(ms) - 1))], "max_ms": ms[-1],
            "clients": len(ms)}


def first_what_if(records: Any, a: argparse.Namespace) -> dict[str, float]:
    """What the what-if screen costs when it opens on a client not read yet: the levers, the terms
    offered and one simulated amount (80 % of the asked), through the Scorer's /predict path."""
    from model.scoring import Scorer
    from model.simulation import CREDIT, Simulator

    simulator = Simulator(Scorer.load(a.model_dir), records)
    known = [c for c in _pick(records, 4 * a.what_ifs, a.seed + 100) if simulator.scorer.knows(c)][:a.what_ifs]
    first, again = [], []
    for c in known:
        t0 = time.perf_counter()
        asked = simulator.levers(c)[CREDIT]
        simulator.term_options(c)
        simulator.simulate(c, {CREDIT: 0.8 * asked} if asked else {})
        first.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        simulator.simulate(c, {CREDIT: 0.7 * asked} if asked else {})     # a second change: rows cached
        again.append(time.perf_counter() - t0)
    return {"open_median_ms": statistics.median(first) * 1e3, "change_median_ms": statistics.median(again) * 1e3,
            "clients": len(first)}


def reads_in_this_process(mode: str, a: argparse.Namespace) -> dict[str, Any]:
    me = os.getpid()
    before_load = memory_of(me)
    t0 = time.perf_counter()
    records = _load(mode, a)
    load_s = time.perf_counter() - t0
    gc.collect()
    loaded = memory_of(me)
    clients = _pick(records, a.clients, a.seed)
    if mode != "fork":
        _read_clients(records, clients[:20])                   # imports and first-call costs
        seconds = _read_clients(records, clients)
        after_reads = memory_of(me)
        return {"mode": mode, "load_s": load_s, "before_load": before_load, "loaded": loaded,
                "after_reads": after_reads, **_summary(seconds), "what_if": first_what_if(records, a)}
    gc.freeze()       # what a preloading master would do, so the collector does not touch shared objects
    children = []
    for k in range(a.workers):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:                                               # child: read, report, leave
            os.close(r)
            start = memory_of(os.getpid())
            seconds = _read_clients(records, _pick(records, a.clients, a.seed + 1 + k))
            report = {"start": start, "after_reads": memory_of(os.getpid()), **_summary(seconds)}
            with os.fdopen(w, "w") as fh:
                fh.write(json.dumps(report))
            os._exit(0)
        os.close(w)
        children.append((pid, r))
    reports = []
    for pid, r in children:
        with os.fdopen(r) as fh:
            reports.append(json.loads(fh.read()))
        os.waitpid(pid, 0)
    return {"mode": mode, "load_s": load_s, "before_load": before_load, "loaded": loaded, "parent": memory_of(me),
            "children": reports, **{k: statistics.median(c[k] for c in reports) for k in ("median_ms", "p95_ms")}}


def child(part: str, mode: str, a: argparse.Namespace) -> dict[str, Any]:
    """One measurement in a fresh process (its memory is the figure): the JSON of its last line."""
    out = subprocess.run([sys.executable, __file__, f"--child-{part}", mode, *child_args(a)], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{part} ({mode}) failed: {out.stderr.strip().splitlines()[-3:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def reads(a: argparse.Namespace) -> dict[str, Any]:
    results = {}
    for mode in a.modes:
        r = child("reads", mode, a)
        results[mode] = r
        if mode == "fork":
            kids = "; ".join(f"child {mem_line(c['start'])} -> {mem_line(c['after_reads'])}" for c in r["children"])
            print(f"  fork: parent loaded in {r['load_s']:.1f} s ({mem_line(r['parent'])}); {kids}; "
                  f"frames median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms", flush=True)
        else:
            w = r["what_if"]
            print(f"  {mode}: loaded in {r['load_s']:.1f} s; {mem_line(r['loaded'])} -> after {r['clients']} clients "
                  f"{mem_line(r['after_reads'])}; frames median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms, "
                  f"max {r['max_ms']:.1f} ms; what-if opened on a new client (levers, terms, one score) median "
                  f"{w['open_median_ms']:.1f} ms, a second change {w['change_median_ms']:.1f} ms "
                  f"({w['clients']} clients)", flush=True)
    return results


# --------------------------------------------------------------------------- breakdown

def nbytes(obj: Any, seen: set[int] | None = None, depth: int = 0) -> int:
    """Bytes of this process's own memory held by the arrays and frames reachable from ``obj``
    (attributes, containers), each buffer counted once (a view counts its base's buffer once); an array
    over a memory-mapped file or an Arrow buffer (here: the store's memory-mapped key index) counts 0."""
    import numpy as np
    import pandas as pd

    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        root = obj
        while isinstance(root.base, np.ndarray):
            root = root.base
        if root is not obj and id(root) in seen:
            return 0
        seen.add(id(root))
        mapped = type(root.base).__name__ == "mmap" or type(root.base).__module__.startswith("pyarrow")
        return 0 if mapped else int(root.nbytes)
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        for block in obj._mgr.blocks:
            if isinstance(block.values, np.ndarray):
                root = block.values
                while isinstance(root.base, np.ndarray):
                    root = root.base
                seen.add(id(root))
        return int(obj.memory_usage(deep=True).sum()) if isinstance(obj, pd.DataFrame) \
            else int(obj.memory_usage(deep=True))
    if isinstance(obj, pd.Index):
        return int(obj.memory_usage(deep=True))
    if isinstance(obj, dict):
        return sum(nbytes(v, seen, depth + 1) for v in obj.values())
    if isinstance(obj, (list, tuple, set)):
        return sum(nbytes(v, seen, depth + 1) for v in obj)
    fields = getattr(obj, "__dict__", None)
    if fields is None and hasattr(obj, "__slots__"):
        fields = {s: getattr(obj, s, None) for s in obj.__slots__}
    return sum(nbytes(v, seen, depth + 1) for v in (fields or {}).values())


def breakdown_in_this_process(mode: str, a: argparse.Namespace) -> dict[str, Any]:
    me = os.getpid()
    steps: list[tuple[str, dict[str, float]]] = []
    t0 = time.perf_counter()

    def step(name: str) -> None:
        nonlocal t0
        gc.collect()
        steps.append((name, {**memory_of(me), "seconds": time.perf_counter() - t0}))
        t0 = time.perf_counter()

    import app as app_module  # noqa: F401  (every import a worker does)
    from settings import get_settings

    step("imports")
    from model.scoring import Scorer

    settings = get_settings({**os.environ, "HOME_CREDIT_DIR": str(a.data_dir), "MODEL_DIR": str(a.model_dir),
                             "INSTANCE_DIR": tempfile.mkdtemp(prefix="serve-scale-"), "SCORING_LOG": "off",
                             "RECORDS_CACHE_DIR": "none" if mode == "memory" else str(a.cache_dir)})
    t0 = time.perf_counter()
    scorer = Scorer.load(settings.model_dir)
    step("Scorer.load")
    dash_app = app_module.create_app(settings, scorer)
    step("create_app (Services, client book, dashboard)")
    services = app_module.services_of(dash_app.server)
    _ = services.simulator.records
    step(f"client records ({mode})")
    objects = {
        "Scorer.population (features of every known client)": scorer.population,
        "Scorer.scores": scorer.scores,
        "Scorer._columns (views of the population)": scorer._columns,
        "Scorer.stored (explanations)": scorer.stored,
        "Scorer.leaf_shap": scorer.leaf_shap,
        "Scorer.population_features": scorer.population_features,
        "ClientBook.directory": services.clients.directory,
        "ClientBook.similar (similarity index)": services.clients.similar,
        "client records (in this process)": services.simulator.records,
    }
    seen: set[int] = set()
    sizes = {name: nbytes(obj, seen) / MIB for name, obj in objects.items()}
    return {"mode": mode, "clients": len(scorer.population), "steps": steps, "objects_mib": sizes}


def breakdown(a: argparse.Namespace) -> dict[str, Any]:
    results = {}
    for mode in [m for m in a.modes if m != "fork"]:
        r = child("breakdown", mode, a)
        results[mode] = r
        print(f"  {mode} ({r['clients']:,} known clients):")
        previous = None
        for name, m in r["steps"]:
            added = f"  (+{m['uss'] - previous['uss']:.0f} USS)" if previous else ""
            print(f"    {name:48s} {m['seconds']:5.1f} s  {mem_line(m)}{added}")
            previous = m
        for name, mib in sorted(r["objects_mib"].items(), key=lambda kv: -kv[1]):
            print(f"    {name:58s} {mib:8.0f} MiB")
    return results


# --------------------------------------------------------------------------- main

def child_args(a: argparse.Namespace) -> list[str]:
    return ["--data-dir", str(a.data_dir), "--model-dir", str(a.model_dir), "--cache-dir", str(a.cache_dir),
            "--clients", str(a.clients), "--workers", str(a.workers), "--seed", str(a.seed), "--what-ifs",
            str(a.what_ifs)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/pad-fullscale"))
    p.add_argument("--model-dir", type=Path, default=Path("/tmp/pad-fullscale-model"))
    p.add_argument("--cache-dir", type=Path, default=Path("/tmp/pad-serve-scale-cache"),
                   help="RECORDS_CACHE_DIR of the store runs (kept: later runs reuse the store)")
    p.add_argument("--modes", default="memory,store,fork", help="memory, store, fork (reads part only)")
    p.add_argument("--parts", default="servers,reads,breakdown")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--clients", type=int, default=1000, help="clients read per process in the reads part")
    p.add_argument("--what-ifs", type=int, default=100, help="clients whose what-if is opened in the reads part")
    p.add_argument("--cold-cache", action="store_true", help="empty --cache-dir first: the first store run builds it")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds a server may take to be ready")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--child-reads", help=argparse.SUPPRESS)
    p.add_argument("--child-breakdown", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.data_dir, a.model_dir, a.cache_dir = a.data_dir.resolve(), a.model_dir.resolve(), a.cache_dir.resolve()
    a.modes = [m for m in a.modes.split(",") if m]
    if a.child_reads:
        print(json.dumps(reads_in_this_process(a.child_reads, a)))
        return 0
    if a.child_breakdown:
        print(json.dumps(breakdown_in_this_process(a.child_breakdown, a)))
        return 0

    print(f"before: {uptime()}")
    print(f"data {a.data_dir}, model {a.model_dir}, {a.workers} workers, modes {','.join(a.modes)}", flush=True)
    results: dict[str, Any] = {}
    parts = a.parts.split(",")
    if "servers" in parts:
        print("servers (gunicorn, gunicorn.conf.py):", flush=True)
        results["servers"] = servers(a)
    if "reads" in parts:
        print(f"reads (ClientRecords.frames, {a.clients} random clients, uncached):", flush=True)
        results["reads"] = reads(a)
    if "breakdown" in parts:
        print("breakdown (one worker's memory, step by step):", flush=True)
        results["breakdown"] = breakdown(a)
    print(f"after:  {uptime()}")
    if "servers" in results:
        print(f"median of {a.repeat} run(s), {a.workers} workers:")
        for mode, s in results["servers"].items():
            if mode == "store_cold":
                continue
            print(f"  {mode:7s} health {s['health_s']:5.1f} s  ready {s['ready_s']:5.1f} s  per worker RSS "
                  f"{s['worker_rss_mib']:5.0f}  PSS {s['worker_pss_mib']:5.0f}  USS {s['worker_uss_mib']:5.0f} MiB  "
                  f"all processes RSS {s['total_rss_mib']:5.0f}  PSS {s['total_pss_mib']:5.0f} MiB")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
