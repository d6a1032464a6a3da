"""Tests of model.features: one code path for batch and one client, fixed columns and dtypes,
missing tables, hand-checked values and provenance of every feature."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.load import load_tables, validate_frame
from data.schema import DAYS_SENTINEL, TABLES
from model import features as F
from model.features.application import APP
from model.features.arrays import schema_codes

CHILD_BY_CLIENT = ("bureau", "previous_application", "POS_CASH_balance", "installments_payments",
                   "credit_card_balance")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_tables(real_sample_dir: Path):
    return load_tables(real_sample_dir)


@pytest.fixture(scope="module")
def sample_features(sample_tables):
    return F.build_features(sample_tables)


def client_tables(tables, client: int, *, revalidate: bool = False) -> dict[str, pd.DataFrame]:
    """The rows of one client only, as the serving path would receive them."""
    out: dict[str, pd.DataFrame] = {}
    for name, df in tables.items():
        if name == "bureau_balance":
            continue
        out[name] = df[df["SK_ID_CURR"] == client].reset_index(drop=True)
    if "bureau_balance" in tables:
        bb = tables["bureau_balance"]
        ids = out["bureau"]["SK_ID_BUREAU"] if "bureau" in out else []
        out["bureau_balance"] = bb[bb["SK_ID_BUREAU"].isin(ids)].reset_index(drop=True)
    if revalidate:  # the JSON route re-types each frame from its own (few) values
        out = {name: validate_frame(df.astype(object), name) for name, df in out.items()}
    return out


def assert_rows_equal(one: pd.DataFrame, batch: pd.DataFrame, client: int) -> None:
    assert list(one.columns) == list(batch.columns)
    assert list(one.index) == [client]
    a, b = one.loc[client], batch.loc[client]
    num = [c for c in one.columns if c not in F.CATEGORICAL_FEATURES]
    x = a[num].to_numpy(dtype=np.float64)
    y = b[num].to_numpy(dtype=np.float64)
    bad = [c for c, u, v in zip(num, x, y)
           if not (np.isnan(u) and np.isnan(v)) and not np.isclose(u, v, rtol=1e-5, atol=1e-6)]
    assert not bad, {c: (a[c], b[c]) for c in bad[:10]}
    for c in F.CATEGORICAL_FEATURES:
        assert (pd.isna(a[c]) and pd.isna(b[c])) or a[c] == b[c], (c, a[c], b[c])


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """A typed frame of ``table`` with the given values (others: NaN floats/categories, 0 ints)."""
    spec = TABLES[table]
    data = {}
    for col in spec.columns:
        values = [r.get(col.name) for r in rows]
        if col.kind == "category":
            data[col.name] = pd.Categorical(values, categories=list(col.levels))
        elif col.kind == "int":
            data[col.name] = np.array([0 if v is None else v for v in values], dtype=np.int64)
        else:
            data[col.name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return pd.DataFrame(data)


def tiny_tables() -> dict[str, pd.DataFrame]:
    c = 100001
    return {
        "application_train": frame("application_train", [dict(
            SK_ID_CURR=c, TARGET=1, AMT_INCOME_TOTAL=100_000.0, AMT_CREDIT=250_000.0, AMT_ANNUITY=12_500.0,
            AMT_GOODS_PRICE=225_000.0, DAYS_BIRTH=-36525, DAYS_EMPLOYED=DAYS_SENTINEL, CNT_FAM_MEMBERS=2.0,
            EXT_SOURCE_1=0.2, EXT_SOURCE_3=0.6, NAME_CONTRACT_TYPE="Cash loans", CODE_GENDER="F",
            ORGANIZATION_TYPE="XNA")]),
        "installments_payments": frame("installments_payments", [
            dict(SK_ID_PREV=1, SK_ID_CURR=c, NUM_INSTALMENT_NUMBER=1, DAYS_INSTALMENT=-400.0,
                 DAYS_ENTRY_PAYMENT=-405.0, AMT_INSTALMENT=1000.0, AMT_PAYMENT=1000.0),
            dict(SK_ID_PREV=1, SK_ID_CURR=c, NUM_INSTALMENT_NUMBER=2, DAYS_INSTALMENT=-100.0,
                 DAYS_ENTRY_PAYMENT=-95.0, AMT_INSTALMENT=1000.0, AMT_PAYMENT=800.0),
        ]),
        "credit_card_balance": frame("credit_card_balance", [
            dict(SK_ID_PREV=2, SK_ID_CURR=c, MONTHS_BALANCE=-2, AMT_BALANCE=5_000.0, AMT_CREDIT_LIMIT_ACTUAL=20_000,
                 NAME_CONTRACT_STATUS="Active"),
            dict(SK_ID_PREV=2, SK_ID_CURR=c, MONTHS_BALANCE=-1, AMT_BALANCE=15_000.0, AMT_CREDIT_LIMIT_ACTUAL=20_000,
                 SK_DPD=3, NAME_CONTRACT_STATUS="Active"),
        ]),
        "bureau": frame("bureau", [
            dict(SK_ID_CURR=c, SK_ID_BUREAU=7, CREDIT_ACTIVE="Active", DAYS_CREDIT=-300, AMT_CREDIT_SUM=4_000.0,
                 AMT_CREDIT_SUM_DEBT=1_000.0, CREDIT_TYPE="Consumer credit"),
            dict(SK_ID_CURR=c, SK_ID_BUREAU=8, CREDIT_ACTIVE="Closed", DAYS_CREDIT=-900, AMT_CREDIT_SUM=6_000.0,
                 AMT_CREDIT_SUM_DEBT=0.0, CREDIT_TYPE="Credit card"),
        ]),
        "bureau_balance": frame("bureau_balance", [
            dict(SK_ID_BUREAU=7, MONTHS_BALANCE=m, STATUS=s) for m, s in ((-3, "0"), (-2, "1"), (-1, "X"), (0, "C"))
        ]),
        "previous_application": frame("previous_application", [
            dict(SK_ID_PREV=1, SK_ID_CURR=c, NAME_CONTRACT_STATUS="Approved", NAME_CONTRACT_TYPE="Cash loans",
                 DAYS_DECISION=-500, AMT_ANNUITY=1_000.0, AMT_CREDIT=10_000.0, AMT_APPLICATION=9_000.0,
                 CNT_PAYMENT=12.0, DAYS_LAST_DUE=float(DAYS_SENTINEL), DAYS_LAST_DUE_1ST_VERSION=60.0),
            dict(SK_ID_PREV=3, SK_ID_CURR=c, NAME_CONTRACT_STATUS="Refused", NAME_CONTRACT_TYPE="Consumer loans",
                 DAYS_DECISION=-50, AMT_CREDIT=20_000.0, AMT_APPLICATION=20_000.0, CODE_REJECT_REASON="HC"),
        ]),
    }


# ---------------------------------------------------------------------------------------------
# one client == its batch row
# ---------------------------------------------------------------------------------------------
def _rich_clients(tables, k: int = 3) -> list[int]:
    """Clients with rows in as many child tables as possible (bureau_balance via bureau)."""
    score = pd.Series(0, index=pd.Index(np.concatenate(
        [tables[t]["SK_ID_CURR"].to_numpy() for t in ("application_train", "application_test")])))
    for t in CHILD_BY_CLIENT:
        ids = np.unique(tables[t]["SK_ID_CURR"].to_numpy())
        score[score.index.isin(ids)] += 1
    bb_clients = tables["bureau"].loc[tables["bureau"]["SK_ID_BUREAU"].isin(
        tables["bureau_balance"]["SK_ID_BUREAU"]), "SK_ID_CURR"].unique()
    score[score.index.isin(bb_clients)] += 1
    return list(score.sort_values(ascending=False, kind="stable").index[:k])


def test_single_client_equals_batch_row(sample_tables, sample_features):
    rich = _rich_clients(sample_tables)
    # at least one client has bureau, POS, instalment and credit-card rows
    r0 = client_tables(sample_tables, rich[0])
    assert all(len(r0[t]) for t in ("bureau", "POS_CASH_balance", "installments_payments",
                                     "credit_card_balance")), {t: len(r0[t]) for t in r0}
    has_child = set(np.concatenate([sample_tables[t]["SK_ID_CURR"].to_numpy() for t in CHILD_BY_CLIENT]))
    bare = next(int(c) for c in sample_tables["application_train"]["SK_ID_CURR"] if c not in has_child)
    prev_client = int(np.intersect1d(sample_tables["previous_application"]["SK_ID_CURR"],
                                     sample_features.index)[0])
    test_client = int(sample_tables["application_test"]["SK_ID_CURR"].iloc[0])
    for client in [*rich, bare, prev_client, test_client]:
        one = F.build_features(client_tables(sample_tables, int(client)))
        assert_rows_equal(one, sample_features, int(client))
        assert (one.dtypes == sample_features.dtypes).all()
    # the client without child rows has only NaN child features, counts included
    row = sample_features.loc[bare, F.CHILD_FEATURES]
    assert row.isna().all()
    # and the rich client really has child values (the comparison above is not vacuous)
    assert sample_features.loc[rich[0], F.CHILD_FEATURES].notna().sum() > 100


def test_single_client_from_revalidated_frames_equals_batch(sample_tables, sample_features):
    """Per-request typing (float32 when exact, int32, categories) must not change any feature."""
    for client in _rich_clients(sample_tables, 2):
        one = F.build_features(client_tables(sample_tables, int(client), revalidate=True))
        assert_rows_equal(one, sample_features, int(client))


def test_single_client_is_fast(sample_tables):
    import time

    client = _rich_clients(sample_tables, 1)[0]
    tables = client_tables(sample_tables, int(client))
    F.build_features(tables)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        F.build_features(tables)
        times.append(time.perf_counter() - t0)
    assert np.median(times) < 0.25, times


# ---------------------------------------------------------------------------------------------
# columns and dtypes
# ---------------------------------------------------------------------------------------------
def test_columns_and_dtypes(sample_tables, sample_features):
    X = sample_features
    assert list(X.columns) == F.feature_columns()
    assert X.index.name == "SK_ID_CURR" and X.index.dtype == np.int64
    n = len(sample_tables["application_train"]) + len(sample_tables["application_test"])
    assert len(X) == n and X.index.is_unique
    assert "TARGET" not in X.columns
    assert 250 <= X.shape[1] <= 450
    for c in X.columns:
        if c in F.CATEGORICAL_FEATURES:
            assert isinstance(X[c].dtype, pd.CategoricalDtype), c
            assert list(X[c].cat.categories) == F.feature_provenance(c)["levels"], c
        else:
            assert X[c].dtype == np.float32, (c, X[c].dtype)
    # application categoricals carry exactly the schema levels
    assert list(X["NAME_CONTRACT_TYPE"].cat.categories) == list(
        TABLES["application_train"].column("NAME_CONTRACT_TYPE").levels)
    assert X["PREV_NAME_CONTRACT_STATUS_LAST"].notna().any()
    assert X["CODE_GENDER"].notna().all()


def test_empty_child_tables_keep_columns_and_dtypes(sample_tables, sample_features):
    tables = {name: df.iloc[:0] for name, df in sample_tables.items()}
    tables["application_train"] = sample_tables["application_train"].iloc[:3]
    X = F.build_features(tables)
    assert list(X.columns) == F.feature_columns()
    assert (X.dtypes == sample_features.dtypes).all()
    assert X[F.CHILD_FEATURES].isna().all().all()
    empty = F.build_features({name: df.iloc[:0] for name, df in sample_tables.items()})
    assert empty.shape == (0, len(F.feature_columns())) and (empty.dtypes == sample_features.dtypes).all()


def test_only_application_train_gives_nan_children(sample_tables, sample_features):
    X = F.build_features({"application_train": sample_tables["application_train"]})
    assert list(X.columns) == F.feature_columns()
    assert len(X) == len(sample_tables["application_train"])
    assert X[F.CHILD_FEATURES].isna().all().all()
    app = F.APPLICATION_FEATURES
    pd.testing.assert_frame_equal(X[app], sample_features.loc[X.index, app])


def test_include_children_false(sample_tables):
    X = F.build_features(sample_tables, include_children=False)
    assert list(X.columns) == F.feature_columns(include_children=False) == F.APPLICATION_FEATURES
    assert not any(F.feature_provenance(c)["children"] for c in X.columns)
    assert set(F.feature_columns(False)) < set(F.feature_columns(True))
    assert not any(c.startswith(("BURO_", "PREV_", "POS_", "INSTAL_", "CC_")) for c in X.columns)


def test_input_frames_are_not_modified(sample_tables):
    before = sample_tables["previous_application"]["DAYS_LAST_DUE"].copy()
    before_app = sample_tables["application_train"]["DAYS_EMPLOYED"].copy()
    F.build_features(sample_tables)
    pd.testing.assert_series_equal(sample_tables["previous_application"]["DAYS_LAST_DUE"], before)
    pd.testing.assert_series_equal(sample_tables["application_train"]["DAYS_EMPLOYED"], before_app)


def test_object_columns_are_accepted():
    """Frames with text categories (pd.read_csv without typing) give the same features."""
    typed = tiny_tables()
    raw = {k: v.astype({c: object for c in v.columns if isinstance(v[c].dtype, pd.CategoricalDtype)})
           for k, v in typed.items()}
    pd.testing.assert_frame_equal(F.build_features(raw), F.build_features(typed))


# ---------------------------------------------------------------------------------------------
# hand-checked values
# ---------------------------------------------------------------------------------------------
def test_hand_checked_values():
    X = F.build_features(tiny_tables())
    r = X.loc[100001]
    # application
    assert r["CREDIT_INCOME_RATIO"] == pytest.approx(2.5)
    assert r["ANNUITY_INCOME_RATIO"] == pytest.approx(0.125)
    assert r["PAYMENT_RATE"] == pytest.approx(0.05)
    assert r["GOODS_CREDIT_RATIO"] == pytest.approx(0.9)
    assert r["INCOME_PER_PERSON"] == pytest.approx(50_000)
    assert np.isnan(r["DAYS_EMPLOYED"]) and r["DAYS_EMPLOYED_ANOM"] == 1
    assert np.isnan(r["DAYS_EMPLOYED_PERC"])
    assert r["AGE_YEARS"] == pytest.approx(100.0)
    assert r["EXT_SOURCE_MEAN"] == pytest.approx(0.4) and r["EXT_SOURCE_NAN_COUNT"] == 1
    assert r["EXT_SOURCE_MIN"] == pytest.approx(0.2) and r["EXT_SOURCE_MAX"] == pytest.approx(0.6)
    assert np.isnan(r["EXT_SOURCE_PROD"])
    # installments: one paid 5 days early, one 5 days late and 200 short
    assert r["INSTAL_COUNT"] == 2
    assert r["INSTAL_DPD_MEAN"] == pytest.approx(2.5)
    assert r["INSTAL_DPD_MAX"] == 5 and r["INSTAL_DBD_MEAN"] == pytest.approx(2.5)
    assert r["INSTAL_IS_LATE_MEAN"] == pytest.approx(0.5)
    assert r["INSTAL_PAYMENT_RATIO_MEAN"] == pytest.approx(0.9)
    assert r["INSTAL_PAYMENT_DIFF_SUM"] == pytest.approx(200)
    assert r["INSTAL_L365D_COUNT"] == 1 and r["INSTAL_L365D_DPD_MEAN"] == pytest.approx(5)
    assert r["INSTAL_DPD_STD"] == pytest.approx(np.std([0, 5], ddof=1))
    # credit card utilisation
    assert r["CC_UTILISATION_MEAN"] == pytest.approx(0.5)
    assert r["CC_UTILISATION_MAX"] == pytest.approx(0.75)
    assert r["CC_UTILISATION_LAST"] == pytest.approx(0.75)
    assert r["CC_IS_LATE_MEAN"] == pytest.approx(0.5) and r["CC_SK_DPD_MAX"] == 3
    # bureau + bureau_balance
    assert r["BURO_COUNT"] == 2 and r["BURO_ACTIVE_COUNT"] == 1 and r["BURO_CLOSED_COUNT"] == 1
    assert r["BURO_ACTIVE_DEBT_CREDIT_RATIO_MEAN"] == pytest.approx(0.25)
    assert r["BURO_AMT_CREDIT_SUM_SUM"] == pytest.approx(10_000)
    assert r["BURO_L365D_COUNT"] == 1
    assert r["BURO_BB_LATE_SHARE_MEAN"] == pytest.approx(0.25)  # statuses 0, 1, X, C of the active credit
    assert r["BURO_BB_STATUS_MAX_MAX"] == 1 and r["BURO_BB_MONTHS_COUNT_SUM"] == 4
    assert np.isnan(r["BURO_CLOSED_BB_LATE_SHARE_MEAN"])  # the closed credit has no monthly statuses
    assert r["BURO_ACTIVE_DEBT_INCOME_RATIO"] == pytest.approx(0.01)
    # previous applications
    assert r["PREV_COUNT"] == 2 and r["PREV_APPROVED_COUNT"] == 1 and r["PREV_REFUSED_COUNT"] == 1
    assert r["PREV_IS_REFUSED_MEAN"] == pytest.approx(0.5)
    # 12 monthly payments of 1000 for 10000: 2.9229 % a month by the annuity formula
    assert r["PREV_INTEREST_RATE_MAX"] == pytest.approx(12 * 0.029229, abs=1e-5)
    assert r["PREV_NAME_CONTRACT_STATUS_LAST"] == "Refused"
    assert r["PREV_CODE_REJECT_REASON_LAST"] == "HC"
    assert r["PREV_AMT_CREDIT_LAST"] == pytest.approx(20_000)
    assert np.isnan(r["PREV_DUE_SHIFT_MEAN"])  # DAYS_LAST_DUE sentinel -> NaN
    assert r["PREV_IS_ONGOING_SUM"] == 1
    assert r["PREV_L365D_COUNT"] == 1
    # a table without rows for this client: NaN, counts included
    assert np.isnan(r["POS_COUNT"]) and np.isnan(r["POS_SK_DPD_MAX"])


@pytest.mark.parametrize(("credit", "annuity", "payments", "yearly"), [
    (10_000, 888.49, 12, 0.12),        # textbook: 10,000 at 1 % a month over a year
    (200_000, 3_866.56, 60, 0.06),     # 200,000 at 6 % a year over five years
    (135_000, 135_000 / 24, 24, 0.0),  # no interest: the credit split in equal parts
    (50_000, 50_000 * 0.2 / (1 - 1.2 ** -6), 6, 2.4),  # a pay-day style 20 % a month
])
def test_annuity_rate_matches_hand_computed_loans(credit, annuity, payments, yearly):
    assert F.annuity_rate([credit], [annuity], [payments])[0] == pytest.approx(yearly, abs=2e-5)


def test_annuity_rate_is_nan_where_undefined():
    rates = F.annuity_rate([10_000, 0, 10_000, 10_000, np.nan, 10_000],
                           [1_000, 100, -5, 1_000, 100, 20_000], [12, 12, 12, 0, 12, 12])
    # zero credit, negative annuity, no payments, missing credit, one payment worth twice the credit a month
    assert not np.isnan(rates[0]) and np.isnan(rates[1:]).all()


@pytest.mark.parametrize(("credit", "annuity", "term"), [
    (120_000, 10_000, 12),      # exactly 12 payments: a 12-month loan at no interest
    (120_000, 10_500, 12),      # 11.4 payments: the 12-month term covers them
    (120_000, 9_000, 18),       # 13.3 payments: no 14-month standard term, the next is 18
    (100_000, 20_000, 6),       # 5 payments: the shortest term
    (100_000, 1_000, np.nan),   # 100 payments: longer than any standard term
    (np.nan, 1_000, np.nan), (100_000, 0.0, np.nan),
])
def test_standard_term_is_the_shortest_standard_term_the_payments_cover(credit, annuity, term):
    got = F.standard_term([credit], [annuity])[0]
    assert (np.isnan(got) and np.isnan(term)) or got == term


def test_interest_rate_at_the_standard_term_is_the_annuity_formulas():
    """Two loans with close credit / annuity ratios (11.4 and 10.0 payments) are a 12-month loan at about
    9 % a year and a 10-month one at no interest: the rate tells them apart, the ratio hardly does."""
    tables = tiny_tables()
    app = tables["application_train"]
    app.loc[0, ["AMT_CREDIT", "AMT_ANNUITY"]] = [120_000.0, 10_500.0]
    f = F.build_features(tables).loc[int(app.loc[0, "SK_ID_CURR"])]
    assert f["CREDIT_TERM_STANDARD"] == 12
    # 10,500 a month for 12 months repays 120,000 at r with 10,500 = 120,000 · (r/12) / (1 − (1 + r/12)^−12)
    r = f["INTEREST_RATE_STANDARD"] / 12
    assert 120_000 * r / (1 - (1 + r) ** -12) == pytest.approx(10_500, rel=1e-5)
    assert 0.09 < f["INTEREST_RATE_STANDARD"] < 0.092
    assert F.annuity_rate([100_000], [10_000], F.standard_term([100_000], [10_000]))[0] == pytest.approx(0, abs=1e-6)


def test_empty_subset_counts_zero_but_means_nan():
    tables = tiny_tables()
    tables["bureau"] = tables["bureau"].iloc[[1]].reset_index(drop=True)  # only the closed credit
    r = F.build_features(tables).loc[100001]
    assert r["BURO_ACTIVE_COUNT"] == 0
    assert np.isnan(r["BURO_ACTIVE_AMT_CREDIT_SUM_MEAN"]) and np.isnan(r["BURO_ACTIVE_AMT_CREDIT_SUM_DEBT_SUM"])
    assert r["BURO_IS_ACTIVE_MEAN"] == 0


def test_rows_of_unknown_clients_are_ignored():
    tables = tiny_tables()
    other = tables["installments_payments"].assign(SK_ID_CURR=999999, DAYS_ENTRY_PAYMENT=0.0)
    tables["installments_payments"] = pd.concat([other, tables["installments_payments"]], ignore_index=True)
    X = F.build_features(tables)
    assert list(X.index) == [100001] and X.loc[100001, "INSTAL_COUNT"] == 2
    assert X.loc[100001, "INSTAL_DPD_MEAN"] == pytest.approx(2.5)


def test_target(sample_tables):
    y = F.target(sample_tables)
    assert y.index.name == "SK_ID_CURR" and len(y) == len(sample_tables["application_train"])
    assert set(y.unique()) <= {0, 1}
    assert y.mean() == pytest.approx(0.0824)


# ---------------------------------------------------------------------------------------------
# provenance
# ---------------------------------------------------------------------------------------------
def test_provenance_of_every_feature():
    tables = set(TABLES) | {"application"}
    for name in F.feature_columns():
        p = F.feature_provenance(name)
        assert p["name"] == name
        assert p["table"] in tables, (name, p)
        assert {"source", "agg", "subset", "window"} <= set(p)
        assert p["agg"] in {"raw", "derived", "fitted", "count", "sum", "mean", "min", "max", "std", "last", "ratio"}, p
        if p["agg"] == "count":
            assert p["source"] is None
        if p["agg"] == "raw":
            assert p["source"] == name and name in TABLES["application_train"]
        if p["agg"] in {"sum", "mean", "min", "max", "std", "last"}:
            # the source is a schema column of its table, or a documented derived row column
            assert p["source"] in TABLES[p["table"]] or p["formula"], (name, p)
        if p["window"]:
            assert p["window"] in name and p["window_rule"], p
        if p["subset"]:
            assert p["subset"] in name and p["subset_rule"], p
        if p["agg"] == "ratio":
            assert p["source"] in F.feature_columns() and p["formula"]
    p = F.feature_provenance("INSTAL_L365D_DPD_MEAN")
    assert (p["table"], p["source"], p["agg"], p["window"]) == ("installments_payments", "DPD", "mean", "L365D")
    p = F.feature_provenance("BURO_ACTIVE_AMT_CREDIT_SUM_DEBT_SUM")
    assert (p["table"], p["source"], p["agg"], p["subset"]) == ("bureau", "AMT_CREDIT_SUM_DEBT", "sum", "ACTIVE")
    assert F.feature_provenance("BURO_BB_LATE_SHARE_MEAN")["table"] == "bureau_balance"
    with pytest.raises(KeyError):
        F.feature_provenance("NOT_A_FEATURE")


def test_registry_is_consistent():
    cols = F.feature_columns()
    assert len(cols) == len(set(cols))
    assert set(F.CATEGORICAL_FEATURES) <= set(cols)
    assert F.feature_columns() == F.feature_columns()  # fixed, independent of data
    assert set(F.APPLICATION_FEATURES) | set(F.CHILD_FEATURES) == set(cols)


def test_large_batch_assembly_matches_small(sample_tables, sample_features):
    """Above 10,000 clients the output frame is assembled differently; columns, dtypes, values agree."""
    train = sample_tables["application_train"]
    shifted = [train.assign(SK_ID_CURR=train["SK_ID_CURR"] + k * 10_000_000) for k in range(1, 3)]
    tables = dict(sample_tables)
    tables["application_train"] = pd.concat([train, *shifted], ignore_index=True)
    X = F.build_features(tables)
    assert len(X) > 10_000
    assert list(X.columns) == F.feature_columns() and (X.dtypes == sample_features.dtypes).all()
    pd.testing.assert_frame_equal(X.loc[sample_features.index], sample_features)


def test_text_categories_code_the_same_for_one_row_and_a_batch():
    """The one-row look-up (an API applicant's text values) and the batch Categorical agree."""
    levels = APP.column("NAME_INCOME_TYPE").levels
    values = [levels[0], None, "not a level", 3, np.nan, levels[-1], levels[0].lower()]
    small = schema_codes(pd.Series(values, dtype=object), levels)
    big = schema_codes(pd.Series(values * 20, dtype=object), levels)
    assert small.tolist() == [0, -1, -1, -1, -1, len(levels) - 1, -1]
    assert big.tolist() == small.tolist() * 20
