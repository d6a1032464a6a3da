"""Drift check (model.monitoring.drift): measured behaviour on the real sample, sources, and clean errors.

Kept fast (< 60 s on 2 shared cores): application features only (no child tables) and at most
~20 features per Evidently run, since Evidently spends ~0.3 s per feature drawing its figures.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from data.load import load_tables
from model.features import build_features
from model.monitoring.drift import DriftError, drift_summary, load_summary, run_drift
from model.monitoring.drift import cli as drift_cli
from model.monitoring.drift import run as drift_run

#: Important application features of the model (numeric, ratios, categorical).
FEATURES = ["EXT_SOURCE_MEAN", "EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3", "DAYS_EMPLOYED", "DAYS_BIRTH",
            "CODE_GENDER", "NAME_EDUCATION_TYPE", "NAME_CONTRACT_TYPE", "FLAG_OWN_CAR", "AMT_INCOME_TOTAL",
            "AMT_CREDIT", "AMT_GOODS_PRICE", "GOODS_CREDIT_RATIO", "DAYS_ID_PUBLISH", "REGION_RATING_CLIENT",
            "OWN_CAR_AGE", "DAYS_REGISTRATION", "NAME_INCOME_TYPE", "ORGANIZATION_TYPE"]
IMPORTANCE = {f: 1.0 / (i + 1) for i, f in enumerate(FEATURES)}


@pytest.fixture(scope="module")
def app_tables(real_sample_dir):
    return load_tables(real_sample_dir, ["application_train", "application_test"])


@pytest.fixture(scope="module")
def train_features(app_tables):
    train_only = {"application_train": app_tables["application_train"]}
    return build_features(train_only, include_children=False)


@pytest.fixture(scope="module")
def halves(train_features):
    perm = np.random.default_rng(0).permutation(len(train_features))
    half = len(perm) // 2
    return train_features.iloc[perm[:half]], train_features.iloc[perm[half:]]


@pytest.fixture
def fake_model(monkeypatch):
    """The drift CLI without a trained model: fixed features and importance, application features only."""
    def model_features(model_dir):
        return list(FEATURES), dict(IMPORTANCE), {"model_version": "test", "include_children": False}
    monkeypatch.setattr(drift_run, "model_features", model_features)


# --------------------------------------------------------------------------- measured behaviour

def test_random_halves_of_the_same_data_show_little_drift(halves):
    a, b = halves
    s = drift_summary(a, b, IMPORTANCE, FEATURES)
    print(f"\nrandom halves ({len(a)} vs {len(b)}): {s.n_drifted}/{s.n_features_tested} drifted "
          f"({s.share_drifted:.1%}) {[f.feature for f in s.drifted]}; Evidently {s.run_seconds:.1f} s")
    assert s.n_features_tested == len(FEATURES)
    assert s.share_drifted <= 0.10
    assert not s.dataset_drift
    # the preset's choice for > 1,000 reference rows: distances with threshold 0.1
    by_name = {f.feature: f for f in s.features}
    assert by_name["EXT_SOURCE_2"].test.startswith("Wasserstein") and by_name["EXT_SOURCE_2"].score_kind == "distance"
    assert by_name["CODE_GENDER"].kind == "categorical" and by_name["CODE_GENDER"].test.startswith("Jensen")
    # ... except where fewer than 1,000 reference values are given (NaN dropped): OWN_CAR_AGE, car owners only
    assert by_name["OWN_CAR_AGE"].test == "K-S p_value" and by_name["OWN_CAR_AGE"].threshold == pytest.approx(0.05)
    assert all(f.threshold == pytest.approx(0.1) for f in s.features if f.score_kind == "distance")
    # ranked by importance, with labels in both languages
    assert [f.feature for f in s.features] == FEATURES
    assert by_name["AMT_INCOME_TOTAL"].label_fr != "AMT_INCOME_TOTAL" and by_name["AMT_INCOME_TOTAL"].label_en


def test_income_raised_30_percent_on_the_raw_table_is_flagged(app_tables, halves):
    a, _ = halves
    raw = app_tables["application_train"]
    other = raw[~raw["SK_ID_CURR"].isin(a.index)].copy()
    other["AMT_INCOME_TOTAL"] = other["AMT_INCOME_TOTAL"] * 1.3
    shifted = build_features({"application_train": other}, include_children=False)
    features = ["AMT_INCOME_TOTAL", "EXT_SOURCE_2", "DAYS_BIRTH", "CODE_GENDER", "AMT_CREDIT"]
    s = drift_summary(a, shifted, None, features)
    flags = {f.feature: f.drifted for f in s.features}
    print(f"\nincome x1.3: {flags}; score {s.features[0].score:.3f}")
    assert flags["AMT_INCOME_TOTAL"]
    assert not any(v for k, v in flags.items() if k != "AMT_INCOME_TOTAL")


def test_ext_source_2_shift_on_the_feature_frame_is_flagged(halves):
    a, b = halves
    b = b.copy()
    b["EXT_SOURCE_2"] = b["EXT_SOURCE_2"] + 0.15
    s = drift_summary(a, b, IMPORTANCE, ["EXT_SOURCE_2", "EXT_SOURCE_3", "DAYS_EMPLOYED", "NAME_EDUCATION_TYPE"])
    assert [f.feature for f in s.drifted] == ["EXT_SOURCE_2"]
    assert s.drifted[0].score > 0.5  # shift of 0.15 on a ~0.19 standard deviation
    assert s.drifted[0].importance_rank == FEATURES.index("EXT_SOURCE_2") + 1


def test_small_batches_use_p_value_tests(train_features):
    small = drift_summary(train_features.iloc[:800], train_features.iloc[800:1200], None,
                          ["EXT_SOURCE_2", "CODE_GENDER", "FLAG_OWN_CAR"])
    tests = {f.feature: (f.test, f.score_kind, f.threshold) for f in small.features}
    assert tests["EXT_SOURCE_2"] == ("K-S p_value", "p_value", pytest.approx(0.05))
    assert tests["CODE_GENDER"][1] == "p_value"


@pytest.mark.parametrize("rows", ["large", "small"])
def test_the_numbers_without_the_report_are_the_presets(halves, train_features, rows):
    """What the drift screen's period shows (``report=False``: Evidently's per-column calculation, no
    charts) is what the preset with its HTML gives: the same test, score, threshold and flag per
    feature, for the distances of large batches and the p-values of small ones, shift or not."""
    if rows == "large":
        a, b = halves[0], halves[1].copy()
        b["EXT_SOURCE_2"] = b["EXT_SOURCE_2"] + 0.15
    else:
        a, b = train_features.iloc[:800], train_features.iloc[800:1200].copy()
        b["AMT_INCOME_TOTAL"] = b["AMT_INCOME_TOTAL"] * 1.3
    features = ["EXT_SOURCE_2", "AMT_INCOME_TOTAL", "DAYS_BIRTH", "OWN_CAR_AGE", "CODE_GENDER", "FLAG_OWN_CAR",
                "NAME_EDUCATION_TYPE", "REGION_RATING_CLIENT"]
    full = drift_summary(a, b, IMPORTANCE, features)
    quick = drift_summary(a, b, IMPORTANCE, features, report=False)
    assert full.snapshot is not None and quick.snapshot is None
    assert quick.features == full.features and quick.not_tested == full.not_tested
    assert (quick.n_drifted, quick.dataset_drift) == (full.n_drifted, full.dataset_drift)
    assert {f.test for f in quick.features} >= ({"Wasserstein distance (normed)", "Jensen-Shannon distance"}
                                                if rows == "large" else {"K-S p_value"})
    assert any(f.drifted for f in quick.features) and not all(f.drifted for f in quick.features)


# --------------------------------------------------------------------------- sources and outputs

def test_run_drift_on_a_data_folder_writes_html_and_json(real_sample_dir, tmp_path, fake_model):
    s = run_drift(real_sample_dir, real_sample_dir, tmp_path, model_dir="unused", n_features=8, log=None)
    assert (tmp_path / "drift_report.html").stat().st_size > 10_000
    data = load_summary(tmp_path)
    assert data == load_summary(tmp_path / "drift_summary.json")
    assert data["reference"]["rows"] == 5000 and data["current"]["rows"] == 1500
    assert data["reference"]["table"] == "application_train" and data["current"]["table"] == "application_test"
    assert data["n_features_tested"] == 8 == len(data["features"])
    assert [f["feature"] for f in data["features"]] == FEATURES[:8]
    assert data["share_drifted"] == pytest.approx(s.n_drifted / 8)
    assert [f["feature"] for f in data["drifted_features"]] == [f.feature for f in s.drifted]
    for f in data["features"]:
        assert {"label_fr", "label_en", "test", "score", "threshold", "drifted", "importance"} <= set(f)
    assert data["generated_at"] and data["selection"]["ranked_by"].startswith("global importance")


def test_scoring_log_and_feature_file_sources(halves, tmp_path, fake_model):
    a, b = halves
    ref_file = tmp_path / "reference.parquet"
    a.reset_index().to_parquet(ref_file)
    log = tmp_path / "scoring.jsonl"
    cols = FEATURES[:6]
    with log.open("w") as fh:
        for i, (_, row) in enumerate(b[cols].head(600).iterrows()):
            feats = {k: (None if pd.isna(v) else (v if isinstance(v, str) else float(v))) for k, v in row.items()}
            fh.write(json.dumps({"timestamp": f"2026-11-{1 + i % 20:02d}T10:00:00Z", "features": feats}) + "\n")
        fh.write(json.dumps({"error": "bad request"}) + "\n")
        fh.write('{"features": {"EXT_SOU')  # the line being written
    s = run_drift(ref_file, log, None, model_dir="unused", n_features=None, log=None)
    assert s.current["rows"] == 600 and s.current["kind"] == "scoring_log"
    assert s.current["records_without_features"] == 1 and s.current["truncated_last_line"]
    assert s.current["first_timestamp"].startswith("2026-11-01")
    assert s.n_features_tested == 6 and s.share_drifted <= 1 / 6
    assert {d["feature"] for d in s.not_tested} == set(FEATURES[6:])  # absent from the log


# --------------------------------------------------------------------------- errors

def _cli(args, capsys):
    rc = drift_cli.main(args)
    err = capsys.readouterr().err
    return rc, err


def test_cli_missing_folder(tmp_path, capsys, fake_model):
    rc, err = _cli(["--reference", str(tmp_path / "nope"), "--out", str(tmp_path / "out")], capsys)
    assert rc == 2 and "no such file or folder" in err and "Traceback" not in err


def test_cli_no_common_feature(halves, tmp_path, capsys, fake_model):
    other = tmp_path / "other.csv"
    pd.DataFrame({"SK_ID_CURR": [1, 2], "SOMETHING": [1.0, 2.0]}).to_csv(other, index=False)
    ref = tmp_path / "ref.parquet"
    halves[0].head(50).to_parquet(ref)
    rc, err = _cli(["--reference", str(ref), "--current", str(other), "--out", str(tmp_path)], capsys)
    assert rc == 2 and "no model feature in common" in err
    with pytest.raises(DriftError, match="no common feature"):
        drift_summary(pd.DataFrame({"x": [1.0]}), pd.DataFrame({"y": [1.0]}))


def test_cli_empty_batches(halves, tmp_path, capsys, fake_model):
    ref = tmp_path / "ref.parquet"
    halves[0].head(50).to_parquet(ref)
    header_only = tmp_path / "empty.csv"
    header_only.write_text(",".join(FEATURES) + "\n")
    log = tmp_path / "empty.jsonl"
    log.write_text('{"error": "timeout"}\n')
    for current, words in ((header_only, "empty batch"), (log, "empty batch")):
        rc, err = _cli(["--reference", str(ref), "--current", str(current), "--out", str(tmp_path)], capsys)
        assert rc == 2 and words in err and "Traceback" not in err
    with pytest.raises(DriftError, match="current batch is empty"):
        drift_summary(halves[0], halves[1].iloc[:0], None, FEATURES)


def test_cli_unreadable_files(halves, tmp_path, capsys, fake_model):
    ref = tmp_path / "ref.parquet"
    halves[0].head(50).to_parquet(ref)
    bad_parquet = tmp_path / "bad.parquet"
    bad_parquet.write_bytes(b"this is not parquet at all")
    bad_log = tmp_path / "bad.jsonl"
    bad_log.write_text('not json\n{"features": {}}\n')
    bad_value = tmp_path / "bad_value.csv"
    bad_value.write_text("EXT_SOURCE_2,CODE_GENDER\n0.5,F\nabc,M\n")
    unknown = tmp_path / "data.xlsx"
    unknown.write_text("x")
    for current, words in ((bad_parquet, "unreadable file"), (bad_log, "line 1 is not valid JSON"),
                           (bad_value, "non-numeric value 'abc'"), (unknown, "unknown file type")):
        rc, err = _cli(["--reference", str(ref), "--current", str(current), "--out", str(tmp_path)], capsys)
        assert rc == 2 and words in err and "Traceback" not in err, err


def test_load_summary_errors(tmp_path):
    with pytest.raises(DriftError, match="no drift summary"):
        load_summary(tmp_path)
    (tmp_path / "drift_summary.json").write_text("{not json")
    with pytest.raises(DriftError, match="corrupt"):
        load_summary(tmp_path)
    (tmp_path / "drift_summary.json").write_text('{"a": 1}')
    with pytest.raises(DriftError, match="not a drift summary"):
        load_summary(tmp_path)


# --------------------------------------------------------------------------- a period of the score store

def _store_with_period(tmp_path, b, n_in: int = 120):
    """A store with ``n_in`` applications in November 2026 (bank-local days), some repeats of a client,
    scores of other sources, and applications just outside the period on both sides."""
    from datetime import UTC, datetime, timedelta

    from model.monitoring.scoring_log import ScoringLog, record_from_payload
    from model.monitoring.store import engine_for

    log = ScoringLog(engine_for(f"sqlite:///{tmp_path / 'product.db'}"))
    rows = b[FEATURES[:6]].head(n_in + 20)
    feats = [{k: (None if pd.isna(v) else (v if isinstance(v, str) else float(v))) for k, v in row.items()}
             for _, row in rows.iterrows()]
    ids = [int(i) for i in rows.index]
    payload = {"model_version": "v1", "probability": 0.2, "threshold": 0.1, "decision": "refused", "grade": "D"}

    def add(i: int, moment: datetime, source: str = "dashboard", client: int | None = None) -> None:
        entry = record_from_payload({**payload, "client_id": ids[i] if client is None else client}, feats[i], source)
        log.append({**entry, "timestamp": moment.isoformat(timespec="milliseconds")})

    start = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)          # 1 November 00:00 in Paris
    for i in range(n_in):
        add(i, start + timedelta(minutes=30 + i * 350), source=("api", "api-predict", "dashboard")[i % 3])
    for i in range(10):                                         # the same clients scored again later: repeats
        add(i, datetime(2026, 11, 29, 12, i, tzinfo=UTC))
    add(n_in, datetime(2026, 11, 15, tzinfo=UTC), source="benchmark")          # not an application
    add(n_in + 1, datetime(2026, 10, 31, 22, 59, tzinfo=UTC))                 # 31 October in Paris
    add(n_in + 2, datetime(2026, 11, 30, 23, 0, tzinfo=UTC))                  # 1 December in Paris
    return log


def test_drift_over_a_period_of_the_store(halves, tmp_path, fake_model):
    from model.monitoring.drift import Period, period_drift

    a, b = halves
    log = _store_with_period(tmp_path, b)
    period = Period.parse("2026-11-01", "2026-11-30")
    s = period_drift(log, period, a, tmp_path / "out", model_dir="unused", n_features=None, min_rows=10, log=None)
    assert s.period == {"since": "2026-11-01", "until": "2026-11-30", "rows": 120}
    assert s.current["rows"] == 120 and s.current["kind"] == "score_store"
    assert (s.current["scored"], s.current["duplicates_dropped"], s.current["other_sources_skipped"]) == (130, 10, 1)
    assert s.current["first_timestamp"].startswith("2026-10-31T23:30")   # Paris midnight is 23:00 UTC
    assert any("10 repeated scores" in w for w in s.warnings)
    # the store gives back exactly the rows stored: the same scores as the frame compared directly
    direct = drift_summary(a, b[FEATURES[:6]].head(120), IMPORTANCE, FEATURES[:6])
    assert s.n_features_tested == 6
    assert {f.feature: f.score for f in s.features} == pytest.approx({f.feature: f.score for f in direct.features})
    written = load_summary(tmp_path / "out")
    assert written["period"] == s.period and written["current"]["since"] == "2026-11-01"
    # a shorter period: its own rows only
    s2 = period_drift(log, Period.parse("2026-11-01", "2026-11-10"), a, None, model_dir="unused", n_features=None,
                      min_rows=10, log=None)
    assert s2.period["rows"] == s2.current["rows"] == 10 * 24 * 60 // 350 + 1


def test_too_few_applications_in_a_period_run_no_test(halves, tmp_path, fake_model):
    from model.monitoring.drift import Period, TooFewApplications, period_drift, store_batch

    a, b = halves
    log = _store_with_period(tmp_path, b, n_in=40)
    week = Period.parse("2026-11-01", "2026-11-07")
    assert len(store_batch(log, week).frame) == 7 * 24 * 60 // 350 + 1
    with pytest.raises(TooFewApplications, match="only 29 scored applications") as caught:
        period_drift(log, week, a, None, model_dir="unused", min_rows=30, log=None)
    assert (caught.value.rows, caught.value.minimum) == (29, 30)
    with pytest.raises(TooFewApplications) as default:        # the default minimum: 500
        period_drift(log, Period.parse("2026-11-01", "2026-11-30"), a, None, model_dir="unused", log=None)
    assert default.value.minimum == 500
    with pytest.raises(DriftError, match="ends .* before it starts"):
        Period.parse("2026-11-30", "2026-11-01")


def test_period_bounds_and_default_period(tmp_path):
    from datetime import UTC, date, datetime

    from model.monitoring.drift import Period, default_period
    from model.monitoring.scoring_log import ScoringLog, record_from_payload
    from model.monitoring.store import engine_for

    nov = Period.parse("2026-11-01", "2026-11-30")
    assert nov.bounds() == (datetime(2026, 10, 31, 23, tzinfo=UTC), datetime(2026, 11, 30, 23, tzinfo=UTC))
    summer = Period(date(2026, 7, 1), date(2026, 7, 1))            # summer time: Paris is UTC+2
    assert summer.bounds() == (datetime(2026, 6, 30, 22, tzinfo=UTC), datetime(2026, 7, 1, 22, tzinfo=UTC))
    log = ScoringLog(engine_for(f"sqlite:///{tmp_path / 'product.db'}"))
    assert default_period(log, today=date(2026, 12, 3)) == Period(date(2026, 11, 4), date(2026, 12, 3))
    entry = record_from_payload({"client_id": 1, "model_version": "v", "probability": 0.1, "threshold": 0.2,
                                 "decision": "granted"}, {}, "api")
    log.append({**entry, "timestamp": "2026-11-30T23:30:00+00:00"})   # 1 December in Paris
    assert default_period(log) == Period(date(2026, 11, 2), date(2026, 12, 1))


def test_cli_current_store_with_a_period(halves, tmp_path, capsys, monkeypatch, fake_model):
    a, b = halves
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SCORING_LOG", raising=False)
    _store_with_period(tmp_path, b)
    ref = tmp_path / "ref.parquet"
    a.reset_index().to_parquet(ref)
    out = tmp_path / "out"
    rc = drift_cli.main(["--reference", str(ref), "--current", "store", "--since", "2026-11-01", "--until", "2026-11-30",
                     "--out", str(out), "--features", "0", "--min-rows", "30"])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    assert "period: 2026-11-01 to 2026-11-30" in printed and "120 applications" in printed
    assert "10 repeated scores of a client dropped" in printed
    assert load_summary(out)["period"] == {"since": "2026-11-01", "until": "2026-11-30", "rows": 120}
    rc, err = _cli(["--reference", str(ref), "--current", "log", "--since", "2026-11-01", "--until", "2026-11-02",
                    "--out", str(out)], capsys)
    assert rc == 2 and "at least 500 are needed" in err
    rc, err = _cli(["--reference", str(ref), "--since", "2026-11-01", "--out", str(out)], capsys)
    assert rc == 2 and "use them with --current store" in err
    rc, err = _cli(["--reference", str(ref), "--current", "store", "--since", "1er novembre", "--out", str(out)],
                   capsys)
    assert rc == 2 and "not a date" in err
