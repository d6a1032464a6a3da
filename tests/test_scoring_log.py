"""The scoring log: safe concurrent appends, and every served score recorded."""
import json
import multiprocessing as mp

import pandas as pd

from model.monitoring.scoring_log import ScoringLog, record_from_payload

PAYLOAD = {"client_id": 7, "model_version": "v1", "probability": 0.2, "threshold": 0.1, "decision": "refused"}


def _writer(path, worker, n):
    log = ScoringLog(path)
    features = pd.DataFrame({"A": [float(worker)], "B": ["x" * 3000]})   # long lines, well over a pipe buffer
    for i in range(n):
        log.append({**record_from_payload({**PAYLOAD, "client_id": worker * 1000 + i}, features, "test")})


def test_concurrent_writers_lose_and_interleave_nothing(tmp_path):
    path = tmp_path / "log.jsonl"
    procs = [mp.get_context("fork").Process(target=_writer, args=(path, w, 150)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    lines = path.read_text().splitlines()
    assert len(lines) == 600
    records = [json.loads(line) for line in lines]             # every line is one whole record
    assert sorted(r["client_id"] for r in records) == sorted(w * 1000 + i for w in range(4) for i in range(150))
    assert all(r["features"]["A"] == r["client_id"] // 1000 for r in records)


def test_record_is_strict_json_and_off_switch(tmp_path):
    features = pd.DataFrame({"A": [float("nan")], "C": pd.Categorical(["M"])})
    entry = record_from_payload(PAYLOAD, features, "api")
    assert entry["features"] == {"A": None, "C": "M"} and entry["decision"] == "refused"
    ScoringLog(None).append(entry)                              # logging off: nothing written, no error
    log = ScoringLog(tmp_path / "sub" / "log.jsonl")
    log.append(entry)
    assert list(log.read())[0]["client_id"] == 7


def test_api_and_dashboard_scores_are_logged(tiny_scorer, tmp_path):
    from app import create_app
    from settings import get_settings

    settings = get_settings({"INSTANCE_DIR": str(tmp_path), "API_KEYS": "k", "MODEL_DIR": str(tmp_path)})
    app = create_app(settings, tiny_scorer)
    client = app.server.test_client()
    ids = [int(i) for i in tiny_scorer.population.index[:3]]
    for i in ids + ids[:1]:                                     # the repeat is served from cache, logged too
        assert client.get(f"/api/v1/clients/{i}/score", headers={"X-API-Key": "k"}).status_code == 200
    records = list(ScoringLog(settings.scoring_log).read())
    assert [r["client_id"] for r in records] == ids + ids[:1]
    assert set(records[0]["features"]) == set(tiny_scorer.features)
    assert records[0]["probability"] == tiny_scorer.score_client(ids[0]).probability
