"""Latency of ``POST /api/v1/predict`` for one new applicant without history, one request at a time,
and where the time goes.

    python benchmarks/predict.py --model-dir artifacts/model --requests 300 --repeat 3

The server is the production Flask configuration (``app.create_flask``: sign-in, validation,
scoring log off) driven in-process by Flask's test client, so the figure is the server's own
time without the network (gunicorn adds ~1 ms on loopback). Each request is a distinct applicant
(income and amounts drawn at random), so nothing is served from a cache. Then the same
applicants are timed stage by stage: request validation, ``build_features``, the fitted
population features (neighbour rate, implied term and rate), and the live TreeSHAP explanation.
Prints the median (p50) and p90 of each, per repeat, and the median of the repeats' medians.

Goal (issue 13): p50 ≤ 15 ms for the whole request.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import auth  # noqa: E402
from api.validation import parse_predict_body  # noqa: E402
from app import create_flask  # noqa: E402
from model import features as feats  # noqa: E402
from model.explain import explain  # noqa: E402
from model.scoring import Scorer  # noqa: E402
from settings import Settings  # noqa: E402

KEY = "benchmark-key-0123456789abcdef"


def applicants(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        credit = float(rng.uniform(50_000, 1_500_000))
        out.append({"application": {
            "AMT_INCOME_TOTAL": float(rng.uniform(40_000, 400_000)), "AMT_CREDIT": credit,
            "AMT_ANNUITY": credit / float(rng.uniform(10, 40)), "AMT_GOODS_PRICE": credit * 0.9,
            "DAYS_BIRTH": int(rng.integers(-25_000, -7_000)), "DAYS_EMPLOYED": int(rng.integers(-10_000, -100)),
            "EXT_SOURCE_2": float(rng.uniform()), "EXT_SOURCE_3": float(rng.uniform()),
            "NAME_CONTRACT_TYPE": "Cash loans"}})
    return out


def percentiles(ms: list[float]) -> str:
    a = np.asarray(ms)
    return f"p50 {np.percentile(a, 50):6.2f} ms  p90 {np.percentile(a, 90):6.2f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", type=Path, default=ROOT / "artifacts" / "model")
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)

    scorer = Scorer.load(a.model_dir)
    with tempfile.TemporaryDirectory() as tmp:
        users = Path(tmp) / "users.json"
        auth.add_user(users, "bench", "benchmark password")
        settings = Settings(instance_dir=Path(tmp), users_file=users, api_keys=(KEY,), model_dir=a.model_dir,
                            secret_key="b" * 32, scoring_log=None)
        server, _ = create_flask(settings, scorer)
        client = server.test_client()
        headers = {auth.API_KEY_HEADER: KEY}
        print(f"model {scorer.version}: {len(scorer.features)} features, {scorer.model.tree_count_} trees, "
              f"population {len(scorer.population):,}; fitted groups "
              f"{scorer.artifact.metadata.population_features or 'none'}; load average {os.getloadavg()}")
        bodies = applicants(50, seed=0)
        for body in bodies:            # warm-up: imports, first TreeSHAP set-up
            assert client.post("/api/v1/predict", data=json.dumps(body), headers=headers,
                               content_type="application/json").status_code == 200
        medians = []
        for r in range(a.repeat):
            bodies = applicants(a.requests, seed=r + 1)
            ms = []
            for body in bodies:
                data = json.dumps(body)
                t = time.perf_counter()
                resp = client.post("/api/v1/predict", data=data, headers=headers, content_type="application/json")
                ms.append((time.perf_counter() - t) * 1000)
                if resp.status_code != 200:
                    raise SystemExit(f"predict answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
            medians.append(float(np.median(ms)))
            print(f"repeat {r + 1}: POST /api/v1/predict      {percentiles(ms)}")
        print(f"median of the repeats' p50: {statistics.median(medians):.2f} ms (goal ≤ 15 ms)")

        stages: dict[str, list[float]] = {"validation": [], "build_features": [], "population features": [],
                                          "score + TreeSHAP": [], "(CatBoost's TreeSHAP)": []}
        for body in applicants(a.requests, seed=99):
            t0 = time.perf_counter()
            parsed = parse_predict_body(body, scorer.typical)
            t1 = time.perf_counter()
            built = feats.build_features(parsed.frames, include_children=scorer.include_children)
            t2 = time.perf_counter()
            x = scorer.population_features.transform(built)[scorer.features]
            t3 = time.perf_counter()
            scorer.score_features(x)          # the per-leaf TreeSHAP table when the model has one
            t4 = time.perf_counter()
            explain(scorer.model, x, scorer.cat_features, scorer.calibration)   # CatBoost's TreeSHAP
            t5 = time.perf_counter()
            for name, start, end in (("validation", t0, t1), ("build_features", t1, t2),
                                     ("population features", t2, t3), ("score + TreeSHAP", t3, t4),
                                     ("(CatBoost's TreeSHAP)", t4, t5)):
                stages[name].append((end - start) * 1000)
        for name, ms in stages.items():
            print(f"  {name:<22s} {percentiles(ms)}")
    print(f"load average at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
