"""What the score store costs: per request, per append, per score on disk, against the old JSON Lines log.

    .venv/bin/python -m benchmarks.scoring_log --model-dir artifacts/model [--requests 600] [--records 1000]

1. Requests: cold score requests in-process (Flask test client) with logging off, then on (the
   SQLite store), alternating twice so that machine noise hits both; median latency of each and
   the difference (budget: 1 ms).
2. Appends: ``--records`` dashboard-like records (the real feature dict of each client, as the score
   screen logs them) appended one by one, each in its own transaction, to the SQLite store and, for
   comparison, to a JSON Lines file the way the legacy log did (one ``write`` under ``flock``);
   appends per second (from the median append time) and bytes per score on disk (SQLite after a
   WAL checkpoint, so that the file holds every row once; budget 3 KB per score).
3. Reads: the whole store back as records, and one client's history.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _legacy_append(path: Path, entry: dict) -> None:
    """The legacy log's append (model/monitoring/scoring_log.py before the store), for comparison only."""
    import orjson

    line = orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
    finally:
        os.close(fd)


def _timed(fn, items) -> list[float]:
    times = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - t0)
    return times


def requests_round(a, scorer, ids) -> tuple[float, float]:
    from app import create_app
    from settings import get_settings

    times: dict[str, list[float]] = {"off": [], "on": []}
    for rnd, mode in enumerate(("off", "on", "off", "on")):
        instance = tempfile.mkdtemp(prefix="bench-log-")
        env = {"INSTANCE_DIR": instance, "API_KEYS": "bench", **({"SCORING_LOG": "off"} if mode == "off" else {})}
        client = create_app(get_settings(env), scorer).server.test_client()
        # every round scores other clients than the previous round of the same mode: all cold
        fresh = ids[20 + (rnd // 2) * a.requests: 20 + (rnd // 2 + 1) * a.requests]
        for i in ids[:20]:
            client.get(f"/api/v1/clients/{i}/score", headers={"X-API-Key": "bench"})
        for i in fresh:
            t0 = time.perf_counter()
            r = client.get(f"/api/v1/clients/{i}/score", headers={"X-API-Key": "bench"})
            times[mode].append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"error {r.status_code} for client {i}")
    return statistics.median(times["off"]), statistics.median(times["on"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--requests", type=int, default=600, help="cold requests per round (0: skip part 1)")
    ap.add_argument("--records", type=int, default=1000, help="records appended in part 2")
    a = ap.parse_args(argv)

    from model.monitoring.scoring_log import ScoringLog, record
    from model.monitoring.store import create_store_engine
    from model.scoring import Scorer

    scorer = Scorer.load(a.model_dir)
    ids = [int(i) for i in scorer.scores.index]
    if a.requests:
        if len(ids) < 20 + 2 * a.requests:
            ap.error(f"the model knows {len(ids)} clients: too few for {a.requests} cold requests per round")
        off, on = requests_round(a, scorer, ids)
        print(f"requests: log off median {off:.2f} ms; log on (SQLite store) median {on:.2f} ms "
              f"({2 * a.requests} cold requests each); the store adds {on - off:.2f} ms per score (budget 1 ms)")

    entries = [record(scorer.score_client(c), scorer.feature_values(c), "dashboard") for c in ids[:a.records]]
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    db = folder / "product.db"
    log = ScoringLog(create_store_engine(f"sqlite:///{db}"))
    store_times = _timed(log.append, entries)
    assert log.engine is not None
    with log.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    stats = log.stats()
    legacy = folder / "scoring_log.jsonl"
    legacy_times = _timed(lambda e: _legacy_append(legacy, e), entries)
    n = len(entries)
    store_bytes = stats.file_bytes or 0
    legacy_bytes = legacy.stat().st_size
    print(f"appends ({n:,} dashboard records, {len(entries[0]['features'])} features each):")
    for name, times, size in (("SQLite store", store_times, store_bytes), ("legacy JSONL", legacy_times, legacy_bytes)):
        median, p95 = statistics.median(times), sorted(times)[int(0.95 * (n - 1))]
        print(f"  {name}: {1 / median:,.0f} appends/s (median {median * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms); "
              f"{size:,} bytes, {size / n:,.0f} bytes per score")
    print(f"  the store takes {store_bytes / legacy_bytes:.2f}x the legacy file's space; "
          f"{store_bytes / n:,.0f} bytes per score (budget 3,000: features as a compressed array beside "
          f"the model version's names)")
    t0 = time.perf_counter()
    read = sum(1 for _ in log.read())
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for c in ids[:100]:
        log.history(c)
    history_ms = (time.perf_counter() - t0) * 1000 / 100
    print(f"reads: {read:,} records in {read_s * 1000:.0f} ms; one client's history {history_ms:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
