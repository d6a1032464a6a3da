"""The loader is the product's only gate on user data: these tests pin the exact message a user
gets for each kind of bad file, and the dtypes and report the rest of the code relies on."""
from __future__ import annotations

import gzip
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.load import DataError, LoadReport, Tables, find_table_file, load_tables, read_table, validate_frame
from data.schema import CHILD_TABLES, TABLES

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- synthetic folders

def _frame(table: str, n: int = 4, first_id: int = 100001) -> pd.DataFrame:
    """A valid frame of ``n`` rows for ``table``, linked to clients ``first_id``.. so that a
    full synthetic folder has no orphans."""
    data: dict[str, object] = {}
    ids = np.arange(first_id, first_id + n)
    for col in TABLES[table].columns:
        if col.name == "SK_ID_CURR":
            data[col.name] = ids
        elif col.name in ("SK_ID_BUREAU", "SK_ID_PREV"):
            data[col.name] = ids + 5_000_000
        elif col.name == "TARGET":
            data[col.name] = [i % 2 for i in range(n)]
        elif col.kind == "int":
            data[col.name] = np.arange(n) - 1
        elif col.kind == "float":
            data[col.name] = [0.5 * i if i else np.nan for i in range(n)]
        else:
            data[col.name] = [col.levels[i % len(col.levels)] for i in range(n)]
    return pd.DataFrame(data)


def _folder(path: Path, tables=("application_train", "application_test"), **frames: pd.DataFrame) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for table in tables:
        df = frames.get(table)
        if df is None:
            df = _frame(table, first_id=200001 if table == "application_test" else 100001)
        df.to_csv(path / f"{table}.csv", index=False)
    return path


def _error(directory: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load_tables(directory)
    return info.value


# --------------------------------------------------------------------------- the real sample

def test_real_sample_loads_typed_with_orphans_reported(real_sample_dir: Path) -> None:
    tables = load_tables(real_sample_dir)
    assert list(tables) == list(TABLES)
    assert tables.report.missing_tables == ()
    train = tables["application_train"]
    assert len(train) == 5000 and train.shape[1] == 122
    assert train["TARGET"].sum() == 412  # SOURCES.md: 8.24 % (412 / 5,000)
    assert tables.report.default_rate == pytest.approx(0.0824)
    assert train["SK_ID_CURR"].dtype == np.int32
    assert train["AMT_CREDIT"].dtype in (np.float32, np.float64)
    lossless = np.array_equal(train["AMT_CREDIT"].astype(np.float64).astype(np.float32).astype(np.float64),
                              train["AMT_CREDIT"].astype(np.float64), equal_nan=True)
    assert (train["AMT_CREDIT"].dtype == np.float32) == lossless
    assert isinstance(train["NAME_CONTRACT_TYPE"].dtype, pd.CategoricalDtype)
    assert list(train.columns) == TABLES["application_train"].column_names
    assert tables["bureau_balance"]["STATUS"].dtype.categories.tolist() == ["0", "1", "2", "3", "4", "5", "C", "X"]
    # SOURCES.md: only 427 of bureau_balance's 19,611 bureaus are in bureau.csv, so most rows are orphans.
    orphans = tables.report.orphans
    assert 19_000 < orphans["bureau_balance"]["SK_ID_BUREAU"] < 20_000
    assert set(orphans) == set(CHILD_TABLES)
    assert all(n > 0 for counts in orphans.values() for n in counts.values())
    assert len(tables["bureau_balance"]) == 20_000  # counted, not dropped
    assert any("bureau_balance" in line and "Orphans" in line for line in tables.report.summary_lines())


def test_real_sample_cli_prints_summary(real_sample_dir: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "data.load", "--data-dir", str(real_sample_dir)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "application_train: 5,000 rows, 5,000 clients, default rate 8.24%" in run.stdout


# --------------------------------------------------------------------------- good synthetic folders

def test_application_only_folder_lists_children_missing(tmp_path: Path) -> None:
    tables = load_tables(_folder(tmp_path))
    assert list(tables) == ["application_train", "application_test"]
    assert tables.report.missing_tables == CHILD_TABLES
    assert len(CHILD_TABLES) == 6
    assert tables.report.orphans == {}
    assert tables.report.files["application_train"] == tmp_path / "application_train.csv"


def test_full_synthetic_folder_has_no_orphans(tmp_path: Path) -> None:
    tables = load_tables(_folder(tmp_path, tables=tuple(TABLES)))
    assert tables.report.missing_tables == ()
    assert tables.report.orphans["bureau"] == {"SK_ID_CURR": 0}
    assert tables.report.orphans["POS_CASH_balance"] == {"SK_ID_CURR": 0, "SK_ID_PREV": 0}


def test_orphans_counted_not_dropped(tmp_path: Path) -> None:
    bureau = _frame("bureau", n=5, first_id=100003)  # ids 100003..100007; train has 100001..100004
    tables = load_tables(_folder(tmp_path, tables=("application_train", "bureau"), bureau=bureau))
    assert tables.report.orphans == {"bureau": {"SK_ID_CURR": 3}}
    assert len(tables["bureau"]) == 5


@pytest.mark.parametrize("suffix", [".csv.gz", ".parquet"])
def test_gzip_and_parquet_load_like_csv(tmp_path: Path, suffix: str) -> None:
    reference = load_tables(_folder(tmp_path / "csv", tables=tuple(TABLES)))
    other = tmp_path / "other"
    other.mkdir()
    for table in TABLES:
        df = pd.read_csv(tmp_path / "csv" / f"{table}.csv")
        if suffix == ".parquet":
            df.to_parquet(other / f"{table}.parquet")
        else:
            df.to_csv(other / f"{table}.csv.gz", index=False, compression="gzip")
    loaded = load_tables(other)
    assert loaded.report.files["bureau"].name == f"bureau{suffix}"
    for table in TABLES:
        pd.testing.assert_frame_equal(loaded[table], reference[table])


def test_unknown_level_is_kept_and_reported(tmp_path: Path) -> None:
    train = _frame("application_train")
    train["NAME_CONTRACT_TYPE"] = train["NAME_CONTRACT_TYPE"].astype(object)
    train.loc[1, "NAME_CONTRACT_TYPE"] = "Mortgage"
    tables = load_tables(_folder(tmp_path, application_train=train))
    column = tables["application_train"]["NAME_CONTRACT_TYPE"]
    assert column.iloc[1] == "Mortgage"
    assert list(column.dtype.categories) == ["Cash loans", "Mortgage", "Revolving loans"]
    assert tables.report.unknown_levels == {"application_train": {"NAME_CONTRACT_TYPE": ["Mortgage"]}}
    assert "Unknown levels kept: application_train.NAME_CONTRACT_TYPE: 'Mortgage'" in tables.report.summary_lines()


def test_column_order_follows_schema_when_file_order_differs(tmp_path: Path) -> None:
    train = _frame("application_train")
    shuffled = train[list(reversed(train.columns))]
    tables = load_tables(_folder(tmp_path, application_train=shuffled))
    assert list(tables["application_train"].columns) == TABLES["application_train"].column_names


def test_compact_dtypes_follow_values(tmp_path: Path) -> None:
    train = _frame("application_train")
    train["AMT_CREDIT"] = [1.5, 2.25, np.nan, 4.0]          # exact in float32
    train["AMT_ANNUITY"] = [0.1, 2.0, 3.0, 4.0]             # 0.1 is not
    train["DAYS_BIRTH"] = [-1, -2, -3, 3_000_000_000]       # beyond int32
    frame = load_tables(_folder(tmp_path, application_train=train))["application_train"]
    assert frame["AMT_CREDIT"].dtype == np.float32
    assert frame["AMT_ANNUITY"].dtype == np.float64
    assert frame["AMT_ANNUITY"].iloc[0] == 0.1
    assert frame["DAYS_BIRTH"].dtype == np.int64
    assert frame["CNT_CHILDREN"].dtype == np.int32


def test_integral_floats_accepted_in_int_column(tmp_path: Path) -> None:
    train = _frame("application_train")
    train["CNT_CHILDREN"] = [0.0, 1.0, 2.0, 3.0]  # what pandas writes after a NaN round trip
    frame = load_tables(_folder(tmp_path, application_train=train))["application_train"]
    assert frame["CNT_CHILDREN"].tolist() == [0, 1, 2, 3]
    assert frame["CNT_CHILDREN"].dtype == np.int32


def test_find_table_file_accepts_each_suffix_and_rejects_two(tmp_path: Path) -> None:
    assert find_table_file(tmp_path, "bureau") is None
    (tmp_path / "bureau.csv.gz").write_bytes(b"")
    assert find_table_file(tmp_path, "bureau") == tmp_path / "bureau.csv.gz"
    (tmp_path / "bureau.parquet").write_bytes(b"")
    with pytest.raises(DataError, match="several files for table bureau"):
        find_table_file(tmp_path, "bureau")


# --------------------------------------------------------------------------- bad data: exact messages

def test_missing_column(tmp_path: Path) -> None:
    err = _error(_folder(tmp_path, application_train=_frame("application_train").drop(columns="AMT_CREDIT")))
    assert (err.file, err.column, err.problem, err.rows) == ("application_train.csv", "AMT_CREDIT", "missing column", ())
    assert str(err) == "application_train.csv, column AMT_CREDIT: missing column"


def test_several_missing_columns_are_all_named(tmp_path: Path) -> None:
    err = _error(_folder(tmp_path, application_train=_frame("application_train").drop(columns=["TARGET", "AMT_CREDIT"])))
    assert (err.column, err.problem) == (None, "missing columns TARGET, AMT_CREDIT")


def test_unexpected_column(tmp_path: Path) -> None:
    train = _frame("application_train").assign(FOO=1)
    err = _error(_folder(tmp_path, application_train=train))
    assert (err.file, err.column, err.problem) == ("application_train.csv", "FOO", "unexpected column")


def test_saved_pandas_index_gets_a_hint(tmp_path: Path) -> None:
    _folder(tmp_path)
    _frame("application_train").to_csv(tmp_path / "application_train.csv")  # index written
    err = _error(tmp_path)
    assert err.column == "''" and "index=False" in err.problem


def test_non_numeric_value(tmp_path: Path) -> None:
    train = _frame("application_train", n=20)
    train["AMT_CREDIT"] = train["AMT_CREDIT"].astype(object)
    train.loc[[2, 16], "AMT_CREDIT"] = "abc"  # data rows 3 and 17
    err = _error(_folder(tmp_path, application_train=train))
    assert (err.file, err.column, err.problem, err.rows) == (
        "application_train.csv", "AMT_CREDIT", "non-numeric value 'abc'", (3, 17))
    assert str(err) == "application_train.csv, column AMT_CREDIT: non-numeric value 'abc' (rows 3, 17)"


def test_non_integral_value_in_int_column(tmp_path: Path) -> None:
    train = _frame("application_train")
    train["CNT_CHILDREN"] = [0, 1.5, 2, 3]
    err = _error(_folder(tmp_path, application_train=train))
    assert (err.column, err.problem, err.rows) == ("CNT_CHILDREN", "non-integral value 1.5", (2,))


def test_missing_value_in_int_column(tmp_path: Path) -> None:
    bureau = _frame("bureau")
    bureau["DAYS_CREDIT"] = [1, None, 3, None]
    err = _error(_folder(tmp_path, tables=("application_train", "bureau"), bureau=bureau))
    assert (err.file, err.column, err.problem, err.rows) == (
        "bureau.csv", "DAYS_CREDIT", "missing values in integer column", (2, 4))


@pytest.mark.parametrize("value, problem", [(2, "TARGET must be 0 or 1, found 2"),
                                            (None, "missing target value (TARGET must be 0 or 1)")])
def test_target_outside_zero_one(tmp_path: Path, value, problem: str) -> None:
    train = _frame("application_train").astype({"TARGET": object})
    train.loc[3, "TARGET"] = value
    err = _error(_folder(tmp_path, application_train=train))
    assert (err.file, err.column, err.problem, err.rows) == ("application_train.csv", "TARGET", problem, (4,))


def test_duplicate_sk_id_curr(tmp_path: Path) -> None:
    train = _frame("application_train")
    train.loc[3, "SK_ID_CURR"] = train.loc[0, "SK_ID_CURR"]
    err = _error(_folder(tmp_path, application_train=train))
    assert (err.file, err.column, err.problem, err.rows) == (
        "application_train.csv", "SK_ID_CURR", "duplicate key 100001", (1, 4))


def test_duplicate_sk_id_bureau(tmp_path: Path) -> None:
    bureau = _frame("bureau", n=6)
    bureau.loc[[2, 5], "SK_ID_BUREAU"] = 7
    bureau.loc[4, "SK_ID_BUREAU"] = bureau.loc[0, "SK_ID_BUREAU"]
    err = _error(_folder(tmp_path, tables=("application_train", "bureau"), bureau=bureau))
    assert (err.file, err.column, err.problem, err.rows) == (
        "bureau.csv", "SK_ID_BUREAU", "duplicate key 5100001; 1 other duplicated keys", (1, 5))


def test_duplicate_composite_key_in_bureau_balance(tmp_path: Path) -> None:
    balance = _frame("bureau_balance")
    balance["SK_ID_BUREAU"] = 5
    balance["MONTHS_BALANCE"] = [0, -1, -2, -1]
    err = _error(_folder(tmp_path, tables=("application_train", "bureau_balance"), bureau_balance=balance))
    assert (err.column, err.problem, err.rows) == ("SK_ID_BUREAU, MONTHS_BALANCE", "duplicate key (5, -1)", (2, 4))


def test_client_in_both_train_and_test(tmp_path: Path) -> None:
    test = _frame("application_test", first_id=200001)
    test.loc[2, "SK_ID_CURR"] = 100002
    err = _error(_folder(tmp_path, application_test=test))
    assert (err.file, err.column, err.rows) == ("application_test.csv", "SK_ID_CURR", (3,))
    assert err.problem == "client 100002 also in application_train.csv (1 clients in both)"


def test_header_only_file(tmp_path: Path) -> None:
    _folder(tmp_path, tables=("application_train", "bureau"))
    _frame("bureau").head(0).to_csv(tmp_path / "bureau.csv", index=False)
    err = _error(tmp_path)
    assert (err.file, err.column, err.problem) == ("bureau.csv", None, "no data rows (the file has only a header)")


def test_zero_byte_file(tmp_path: Path) -> None:
    _folder(tmp_path, tables=("application_train", "bureau"))
    (tmp_path / "bureau.csv").write_bytes(b"")
    err = _error(tmp_path)
    assert (err.file, err.problem) == ("bureau.csv", "empty file (zero bytes)")


def test_corrupt_gzip(tmp_path: Path) -> None:
    _folder(tmp_path)
    (tmp_path / "application_test.csv").unlink()
    (tmp_path / "application_test.csv.gz").write_bytes(b"this is not gzip data at all\n")
    err = _error(tmp_path)
    assert err.file == "application_test.csv.gz"
    assert err.problem.startswith("not a valid gzip file")


def test_truncated_gzip(tmp_path: Path) -> None:
    _folder(tmp_path)
    data = gzip.compress((tmp_path / "application_test.csv").read_bytes() * 50)
    (tmp_path / "application_test.csv").unlink()
    (tmp_path / "application_test.csv.gz").write_bytes(data[: len(data) // 2])
    err = _error(tmp_path)
    assert err.file == "application_test.csv.gz" and err.problem.startswith("unreadable")


def test_corrupt_parquet(tmp_path: Path) -> None:
    _folder(tmp_path)
    (tmp_path / "application_test.csv").unlink()
    (tmp_path / "application_test.parquet").write_bytes(b"PAR1 garbage, not a parquet footer")
    err = _error(tmp_path)
    assert err.file == "application_test.parquet"
    assert err.problem.startswith("not a valid Parquet file")


def test_undecodable_csv(tmp_path: Path) -> None:
    _folder(tmp_path)
    text = (tmp_path / "application_test.csv").read_bytes()
    (tmp_path / "application_test.csv").write_bytes(text.replace(b"Cash loans", b"Cash \xff\xfe loans"))
    err = _error(tmp_path)
    assert err.file == "application_test.csv" and err.problem.startswith("unreadable CSV")


def test_ragged_csv_row(tmp_path: Path) -> None:
    _folder(tmp_path, tables=("application_train", "bureau_balance"))
    with open(tmp_path / "bureau_balance.csv", "a") as fh:
        fh.write("1,2,C,extra\n")
    err = _error(tmp_path)
    assert err.file == "bureau_balance.csv" and "Expected 3 columns, got 4" in err.problem


def test_missing_directory(tmp_path: Path) -> None:
    err = _error(tmp_path / "nowhere")
    assert (err.file, err.problem) == (str(tmp_path / "nowhere"), "data folder not found")


def test_missing_application_train(tmp_path: Path) -> None:
    _folder(tmp_path, tables=("application_test", "bureau"))
    err = _error(tmp_path)
    assert err.file == "application_train.csv"
    assert err.problem.startswith(f"required file not found in {tmp_path}")


def test_one_bad_child_table_fails_the_whole_load(tmp_path: Path) -> None:
    _folder(tmp_path, tables=tuple(TABLES))
    (tmp_path / "credit_card_balance.csv").write_bytes(b"")
    err = _error(tmp_path)
    assert err.file == "credit_card_balance.csv"


def test_cli_exits_2_with_message_and_no_traceback(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "data.load", "--data-dir", str(tmp_path / "nowhere")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip() == f"error: {tmp_path / 'nowhere'}: data folder not found"
    assert "Traceback" not in run.stderr


# --------------------------------------------------------------------------- in-memory use

def test_validate_frame_types_a_json_like_frame() -> None:
    raw = pd.DataFrame([{c: None for c in TABLES["bureau_balance"].column_names}] * 2).astype(object)
    raw["SK_ID_BUREAU"] = ["5001", 5002]
    raw["MONTHS_BALANCE"] = [0, "-1"]
    raw["STATUS"] = [0, "C"]  # JSON may send the level as a number
    frame = validate_frame(raw, "bureau_balance")
    assert frame["SK_ID_BUREAU"].tolist() == [5001, 5002] and frame["SK_ID_BUREAU"].dtype == np.int32
    assert frame["STATUS"].tolist() == ["0", "C"]


def test_validate_frame_accepts_empty_child_frame() -> None:
    empty = _frame("bureau").head(0)
    assert validate_frame(empty, "bureau").empty


def test_validate_frame_names_memory_source() -> None:
    raw = _frame("application_test").astype({"AMT_CREDIT": object})
    raw.loc[0, "AMT_CREDIT"] = "12 000"
    with pytest.raises(DataError) as info:
        validate_frame(raw, "application_test")
    assert str(info.value) == "<memory>, column AMT_CREDIT: non-numeric value '12 000' (row 1)"


def test_tables_from_memory_frames_builds_a_report() -> None:
    train = validate_frame(_frame("application_train"), "application_train")
    bureau = validate_frame(_frame("bureau", first_id=100003), "bureau")
    tables = Tables({"bureau": bureau, "application_train": train})
    assert list(tables) == ["application_train", "bureau"]  # schema order, whatever the input order
    assert isinstance(tables.report, LoadReport)
    assert tables.report.orphans == {"bureau": {"SK_ID_CURR": 2}}
    assert "application_test" in tables.report.missing_tables
    with pytest.raises(KeyError):
        Tables({"applications": train})


def test_read_table_single_file(tmp_path: Path) -> None:
    _folder(tmp_path, tables=("bureau",))
    frame = read_table(tmp_path / "bureau.csv", "bureau")
    assert list(frame.columns) == TABLES["bureau"].column_names and len(frame) == 4


def test_data_error_survives_pickling() -> None:
    err = DataError("bureau.csv", "duplicate key 1", "SK_ID_BUREAU", range(1, 10))
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.file, copy.column, copy.problem, copy.rows) == ("bureau.csv", "SK_ID_BUREAU", "duplicate key 1",
                                                                  (1, 2, 3, 4, 5))
    assert str(copy) == str(err) == "bureau.csv, column SK_ID_BUREAU: duplicate key 1 (rows 1, 2, 3, 4, 5)"


@pytest.mark.parametrize("text", ["inf", "-inf", "Infinity", "-Infinity"])
def test_infinite_number_in_csv_refused(tmp_path: Path, text: str) -> None:
    train = _frame("application_train").astype({"AMT_INCOME_TOTAL": object})
    train.loc[[1, 3], "AMT_INCOME_TOTAL"] = text
    _folder(tmp_path, application_train=train)
    err = _error(tmp_path)
    assert (err.file, err.column, err.rows) == ("application_train.csv", "AMT_INCOME_TOTAL", (2, 4))
    assert err.problem.startswith("non-finite value") and "inf" in err.problem


def test_infinite_number_in_parquet_and_frame_refused(tmp_path: Path) -> None:
    _folder(tmp_path)
    train = _frame("application_train")
    train.loc[2, "AMT_INCOME_TOTAL"] = -np.inf
    (tmp_path / "application_train.csv").unlink()
    train.to_parquet(tmp_path / "application_train.parquet", index=False)
    err = _error(tmp_path)
    assert (err.file, err.column, err.rows) == ("application_train.parquet", "AMT_INCOME_TOTAL", (3,))
    raw = _frame("application_test").astype({"AMT_CREDIT": object})
    raw.loc[0, "AMT_CREDIT"] = "inf"
    with pytest.raises(DataError, match=r"column AMT_CREDIT: non-finite value 'inf' \(row 1\)"):
        validate_frame(raw, "application_test")
