"""Batch scoring (``python -m model.batch``): the Spark engine gives what the pandas engine gives, and
both give what ``POST /api/v1/predict`` gives for the same client.

On the session's small generated data and tiny model (application_train), on every machine: never
the working copy's ``data/demo`` or ``artifacts/model`` of ``make run``, so that CI and a developer
test the same thing (issue 29). The demo files are copied once to Parquet (CSV is read as text by
Spark and typed by the validator in each task: correct, but slower). One SparkSession (local[2])
serves the module; the 20k figures are ``benchmarks/batch.py``'s (docs/scale.md).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.load import load_tables
from model.batch import COLUMNS, SCORES_DIR, SUMMARY_FILE, bucket_of, bucket_tables
from model.batch.cli import main
from model.scoring import Scorer
from tests.helpers import request_body
from tests.test_api import H, build_server, make_settings

BUCKETS = 4

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (make test installs it)")
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="java is missing (make java installs it)")


@pytest.fixture(scope="module")
def setup(demo_data_dir, tiny_model_dir, tmp_path_factory) -> tuple[Path, Path, str]:
    """(Parquet copy of the data, model folder, applications scored): the session's small data and
    tiny model, on every machine (a developer's ``make run`` model may be one the code no longer
    builds features for, and CI has none: both test the same thing)."""
    source, model_dir = demo_data_dir, tiny_model_dir
    applications = "application_train"
    out = tmp_path_factory.mktemp("batch-data")
    for name, frame in load_tables(source).items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out / f"{name}.parquet")
    return out, model_dir, applications


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from model.batch.spark import spark_session

    if shutil.which("java") is None:
        pytest.skip("java is missing (make java installs it)")
    # a JVM that lives a minute: its quick compiler alone, and one garbage-collector thread (the optimising
    # compiler's threads cost more than they save here: 32 s → 26 s for the two Spark tests, alone)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        session = spark_session("local[2]", tmp_path_factory.mktemp("spark-local"))
    yield session
    session.stop()


def scores_of(out: Path) -> pd.DataFrame:
    frame = pq.read_table(out / SCORES_DIR).to_pandas()
    return frame.sort_values("SK_ID_CURR").reset_index(drop=True)


def run(*argv: str) -> int:
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def pandas_scores(setup, tmp_path_factory) -> pd.DataFrame:
    data, model_dir, applications = setup
    out = tmp_path_factory.mktemp("pandas-out")
    assert run("--engine", "pandas", "--data-dir", data, "--out", out, "--model-dir", model_dir,
               "--applications", applications, "--buckets", BUCKETS) == 0
    summary = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
    frame = scores_of(out)
    assert summary["clients"] == len(frame) and summary["buckets"] == BUCKETS
    return frame


def test_pandas_engine_scores_every_application_once(setup, pandas_scores):
    data, model_dir, applications = setup
    names = ["application_train", "application_test"] if applications == "all" else [applications]
    ids = np.concatenate([pq.read_table(data / f"{n}.parquet", columns=["SK_ID_CURR"]).column(0).to_numpy()
                          for n in names])
    assert list(pandas_scores.columns) == list(COLUMNS)
    assert sorted(ids.tolist()) == pandas_scores["SK_ID_CURR"].tolist()
    assert pandas_scores["pd"].dtype == np.float64 and pandas_scores["pd"].between(0, 1).all()
    assert set(pandas_scores["decision"]) <= {"granted", "refer", "refused"}
    granted = pandas_scores["decision"] == "granted"
    assert (pandas_scores.loc[granted, "reason_codes"].map(len) == 0).all()
    assert (pandas_scores.loc[~granted, "reason_codes"].map(len) > 0).all()
    assert pandas_scores["model_version"].nunique() == 1


def test_buckets_keep_a_clients_history_together(setup):
    data, _, _ = setup
    tables = load_tables(data, ["application_test", "bureau", "bureau_balance"])
    buckets = bucket_tables(tables, BUCKETS)
    bureau = tables["bureau"]
    by_bureau = dict(zip(bureau["SK_ID_BUREAU"], buckets["bureau"]))
    balance = tables["bureau_balance"]["SK_ID_BUREAU"].to_numpy()[:2000]
    assert [by_bureau.get(b, -1) for b in balance] == buckets["bureau_balance"][:2000].tolist()
    scored = bureau["SK_ID_CURR"].isin(tables["application_test"]["SK_ID_CURR"]).to_numpy()
    assert (buckets["bureau"][scored] == bucket_of(bureau["SK_ID_CURR"], BUCKETS)[scored]).all()
    assert (buckets["bureau"][~scored] == -1).all()   # the history of clients not scored is left out
    counts = np.bincount(bucket_of(np.arange(100_000, 200_000), BUCKETS), minlength=BUCKETS)
    assert counts.min() > 0.9 * counts.mean()   # consecutive numbers spread evenly


@needs_java
def test_spark_bucket_expression_is_the_pandas_hash(spark):
    from pyspark.sql import functions as F

    from model.batch.spark import bucket_column

    ids = np.array([0, 1, 2, 100002, 456255, 2**31 + 7, 2**62 + 12345, -1, -99], dtype=np.int64)
    frame = spark.createDataFrame(pd.DataFrame({"id": ids}))
    sizes = (1, 7, 32)
    got = frame.select(*[bucket_column(F.col("id"), n).alias(f"b{n}") for n in sizes]).toPandas()
    for n in sizes:
        assert got[f"b{n}"].tolist() == bucket_of(ids, n).tolist()


@needs_java
def test_spark_engine_gives_the_pandas_engine_output(setup, spark, pandas_scores, tmp_path):
    data, model_dir, applications = setup
    assert run("--engine", "spark", "--data-dir", data, "--out", tmp_path, "--model-dir", model_dir,
               "--applications", applications, "--buckets", BUCKETS) == 0
    assert not (tmp_path / "_spark").exists()   # staging and scratch removed
    spark_scores = scores_of(tmp_path)
    assert spark_scores["SK_ID_CURR"].tolist() == pandas_scores["SK_ID_CURR"].tolist()
    assert np.abs(spark_scores["pd"].to_numpy() - pandas_scores["pd"].to_numpy()).max() <= 1e-9
    for column in ("grade", "decision", "model_version"):
        assert spark_scores[column].tolist() == pandas_scores[column].tolist(), column
    assert spark_scores["reason_codes"].map(list).tolist() == pandas_scores["reason_codes"].map(list).tolist()
    summary = json.loads((tmp_path / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert summary["engine"] == "spark" and summary["clients"] == len(pandas_scores)


def test_batch_equals_the_predict_route(setup, pandas_scores, tmp_path):
    """A few clients (refused, referred and granted) sent to POST /api/v1/predict with their raw rows."""
    data, model_dir, _ = setup
    tables = load_tables(data)
    scorer = Scorer.load(model_dir)
    client = build_server(make_settings(tmp_path, model_dir), scorer).test_client()
    picked = pd.concat([pandas_scores[pandas_scores["decision"] == d].head(2) for d in ("refused", "refer", "granted")])
    assert len(picked) >= 4
    for row in picked.itertuples():
        resp = client.post("/api/v1/predict?lang=en", data=json.dumps(request_body(tables, int(row.SK_ID_CURR))),
                           headers=H, content_type="application/json")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        answer = resp.get_json()
        assert abs(answer["probability"] - row.pd) <= 1e-9
        assert (answer["grade"], answer["decision"]) == (row.grade, row.decision)
        assert [r["code"] for r in answer["reasons"]] == list(row.reason_codes)


def bad_folder(tmp: Path, setup, change) -> Path:
    """A small CSV application_test (60 rows of the data) with ``change`` applied, and no child table."""
    data, _, _ = setup
    frame = pq.read_table(data / "application_train.parquet").to_pandas().head(60).drop(columns=["TARGET"])
    frame = change(frame.astype(object))
    tmp.mkdir(parents=True, exist_ok=True)
    frame.to_csv(tmp / "application_test.csv", index=False)
    return tmp


def set_text(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[5, "AMT_CREDIT"] = "lots"
    return frame


@pytest.mark.parametrize("engine", ["pandas", pytest.param("spark", marks=needs_java)])
@pytest.mark.parametrize("change, words", [
    (lambda f: f.drop(columns=["AMT_ANNUITY"]), ["application_test.csv", "missing column", "AMT_ANNUITY"]),
    (set_text, ["application_test.csv", "column AMT_CREDIT", "non-numeric value 'lots'"]),
], ids=["missing-column", "non-numeric"])
def test_bad_input_is_one_clear_line_and_exit_2(engine, change, words, setup, request, tmp_path, capsys):
    if engine == "spark":
        request.getfixturevalue("spark")   # the module's session, reused by the command
    folder = bad_folder(tmp_path / "data", setup, change)
    code = run("--engine", engine, "--data-dir", folder, "--out", tmp_path / "out", "--model-dir", setup[1],
               "--buckets", 2)
    err = capsys.readouterr().err
    assert code == 2
    line = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(line) == 1 and all(w in line[0] for w in words), err
    assert "Traceback" not in err


def test_missing_data_folder_is_a_data_error(tmp_path, setup, capsys):
    assert run("--data-dir", tmp_path / "nowhere", "--out", tmp_path / "out", "--model-dir", setup[1]) == 2
    assert "data folder not found" in capsys.readouterr().err



def test_shap_rows_of_a_batch_are_those_of_each_client_alone(setup):
    """The leaf table's fallback (CatBoost's TreeSHAP of one tree, for leaves no training client
    reached) runs on the rows that need it only: the same numbers as one client at a time."""
    from model.explain import shap_rows

    scorer = Scorer.load(setup[1])
    X = scorer.population[scorer.features].head(40).copy()
    numeric = [c for c in scorer.features if c not in scorer.cat_features][:80]
    X[numeric] = X[numeric] * 3.7    # far from the training values: leaves the table lacks
    batch = shap_rows(scorer.model, X, scorer.cat_features, scorer.leaf_shap)
    for i in range(len(X)):
        assert np.array_equal(batch[i], shap_rows(scorer.model, X.iloc[[i]], scorer.cat_features,
                                                  scorer.leaf_shap)[0])
