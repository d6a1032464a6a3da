"""Model artifact round trip, and every refusal of an unusable artifact."""
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from model.artifact import (
    ArtifactError,
    ModelMetadata,
    load_artifact,
    parquet_frame,
    record_digests,
    save_artifact,
)
from model.estimator import CatBoostParams, make_classifier, make_pool

FEATURES = ["a", "b", "kind"]


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.random(300, dtype=np.float32), "b": rng.random(300, dtype=np.float32),
                      "kind": pd.Categorical(rng.choice(["x", "y", None], 300))})
    y = (X["a"] + rng.random(300) * 0.5 > 0.8).astype(int).to_numpy()
    clf = make_classifier(CatBoostParams(iterations=30), ["kind"], early_stopping=False)
    clf.fit(make_pool(X, ["kind"], y))
    return clf, X


def metadata(version="v1", catboost_version=None, **changes):
    import catboost

    base = dict(version=version, created_at="2026-11-23T09:00:00+00:00", data_fingerprint="abc",
                features=FEATURES, dtypes={"a": "float32", "b": "float32", "kind": "category"},
                categorical_features=["kind"], threshold=0.42, cost_weights={"fn": 10.0, "fp": 1.0},
                cv_metrics={"auc": 0.7}, params={}, library_versions={"catboost": catboost_version or catboost.__version__},
                calibration={"method": "none"}, decision_rule={"threshold": 0.42, "refer_low": 0.42, "refer_high": 0.42},
                master_scale={"labels": ["A"], "upper": [1.0], "clients": [1], "defaults": [0], "mean_pd": [0.1],
                              "default_rate": [0.0], "p_value": [1.0]})
    base.update(changes)
    return ModelMetadata(**base)


def test_round_trip(tmp_path, trained):
    clf, X = trained
    save_artifact(clf, metadata(), tmp_path, extras={"global.json": b"{}"})
    art = load_artifact(tmp_path, expected_features=FEATURES)
    assert art.metadata.version == "v1" and art.metadata.threshold == 0.42
    assert art.extra("global.json").read_bytes() == b"{}"
    np.testing.assert_allclose(art.model.predict_proba(make_pool(X, ["kind"]))[:, 1],
                               clf.predict_proba(make_pool(X, ["kind"]))[:, 1])
    # a second version becomes current; the first stays loadable by folder
    save_artifact(clf, metadata("v2", threshold=0.3), tmp_path)
    assert load_artifact(tmp_path).metadata.version == "v2"
    assert load_artifact(tmp_path / "v1").metadata.threshold == 0.42
    with pytest.raises(ArtifactError, match="already exists"):
        save_artifact(clf, metadata("v2"), tmp_path)


def test_missing(tmp_path):
    with pytest.raises(ArtifactError, match="no model at"):
        load_artifact(tmp_path / "nowhere")
    with pytest.raises(ArtifactError, match="no CURRENT file"):
        load_artifact(tmp_path)


def test_incomplete_and_corrupt(tmp_path, trained):
    clf, _ = trained
    v = save_artifact(clf, metadata(), tmp_path)
    (v / "model.cbm").unlink()
    with pytest.raises(ArtifactError, match="model.cbm is missing"):
        load_artifact(tmp_path)
    (v / "model.cbm").write_bytes(b"not a model")
    with pytest.raises(ArtifactError, match="model.cbm: damaged or changed since training"):
        load_artifact(tmp_path)
    # past the digests (recorded again): each file's own check still answers
    record_digests(v)
    with pytest.raises(ArtifactError, match="model.cbm: not a readable CatBoost model"):
        load_artifact(tmp_path)
    (v / "metadata.json").write_text("{broken")
    with pytest.raises(ArtifactError, match="metadata.json: damaged or changed since training"):
        load_artifact(tmp_path)
    record_digests(v)
    with pytest.raises(ArtifactError, match="metadata.json: not valid JSON"):
        load_artifact(tmp_path)
    (v / "metadata.json").write_text(json.dumps({"version": "v1"}))
    record_digests(v)
    with pytest.raises(ArtifactError, match="metadata.json: missing fields 'categorical_features'"):
        load_artifact(tmp_path)


def test_incompatible(tmp_path, trained):
    clf, _ = trained
    save_artifact(clf, metadata("old", catboost_version="0.26.1"), tmp_path)
    with pytest.raises(ArtifactError, match="trained with CatBoost 0.26.1"):
        load_artifact(tmp_path)
    shutil.rmtree(tmp_path / "old")
    save_artifact(clf, metadata("v1"), tmp_path)
    with pytest.raises(ArtifactError, match="product only: \\['c'\\]"):
        load_artifact(tmp_path, expected_features=["a", "b", "c"])
    with pytest.raises(ArtifactError, match="other order"):
        load_artifact(tmp_path, expected_features=["b", "a", "kind"])
    save_artifact(clf, metadata("v3", features=["a", "b", "other"]), tmp_path)
    with pytest.raises(ArtifactError, match="disagree on the features"):
        load_artifact(tmp_path)


def test_a_model_without_calibration_is_refused_with_the_reason(tmp_path, trained):
    """A format-1 model (scores that are rankings, not probabilities) never serves a client."""
    clf, _ = trained
    save_artifact(clf, metadata("old", format_version=1), tmp_path)
    with pytest.raises(ArtifactError, match=r"format 1 \(trained before calibration.*retrain"):
        load_artifact(tmp_path)
    save_artifact(clf, metadata("nocal", calibration={}), tmp_path)
    with pytest.raises(ArtifactError, match="field 'calibration' is missing or empty: retrain"):
        load_artifact(tmp_path / "nocal")


def test_parquet_frame_reads_what_pandas_reads_index_included(tmp_path):
    """Read natively by Arrow (no Python file object left to Arrow's threads at exit), the frame is the
    one pandas gives, its stored index kept when only some columns are asked for."""
    frame = pd.DataFrame({"A": [1.5, None, 3.0], "B": ["x", "y", None], "C": [1, 2, 3]},
                         index=pd.Index([100002, 100003, 100004], name="SK_ID_CURR"))
    path = tmp_path / "f.parquet"
    frame.to_parquet(path)
    pd.testing.assert_frame_equal(parquet_frame(path), frame)
    pd.testing.assert_frame_equal(parquet_frame(path, columns=["B"]), frame[["B"]])
    assert list(parquet_frame(path, columns=["C"]).index) == [100002, 100003, 100004]
