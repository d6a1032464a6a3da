"""What the scoring log adds to the score route: cold requests with the log off, then on.

    .venv/bin/python -m benchmarks.scoring_log --model-dir artifacts/model [--requests 600]

In-process (Flask test client), alternating off/on twice so that machine noise hits both;
prints the median latency of each and the difference (budget: 1 ms).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--requests", type=int, default=600, help="cold requests per round")
    a = ap.parse_args(argv)

    from app import create_app
    from model.scoring import Scorer
    from settings import get_settings

    scorer = Scorer.load(a.model_dir)
    ids = [int(i) for i in scorer.scores.index]
    if len(ids) < 20 + 2 * a.requests:
        ap.error(f"the model knows {len(ids)} clients: too few for {a.requests} cold requests per round")
    times: dict[str, list[float]] = {"off": [], "on": []}
    for rnd, mode in enumerate(("off", "on", "off", "on")):
        instance = tempfile.mkdtemp(prefix="bench-log-")
        env = {"INSTANCE_DIR": instance, "API_KEYS": "bench",
               "SCORING_LOG": "off" if mode == "off" else f"{instance}/scoring_log.jsonl"}
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
                print(f"error {r.status_code} for client {i}", file=sys.stderr)
                return 1
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    print(f"log off: median {off:.2f} ms; log on: median {on:.2f} ms ({len(times['on'])} cold requests each)")
    print(f"the log adds {on - off:.2f} ms per score (budget 1 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
