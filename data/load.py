"""Load the Kaggle Home Credit files into typed, validated DataFrames.

Everything downstream (features, training, the dashboard, the predict route)
assumes the tables follow ``data.schema``; checking that once, here, lets the
rest of the code trust its input and lets a user with a bad file get one
precise message ("file, column, problem, rows") instead of a pandas traceback
deep inside feature engineering.

Decisions worth knowing when coding against this module:

* Row numbers in errors are 1-based *data* rows: row 1 is the first line below
  the CSV header (file line 2), or the first row of a Parquet file / frame.
* Columns are returned in schema order; a file with the Kaggle columns in another
  order is accepted and reordered (only missing or extra columns are errors).
* Dtypes are compact and depend on the data: int columns are ``int32`` when all
  values fit, else ``int64`` (one rule for ids, days and flags alike, so callers
  never have to guess per column); float columns are ``float32`` only when every
  value round-trips exactly through float32 (so no information is lost), else
  ``float64``; category columns are ``CategoricalDtype(sorted(schema levels +
  unknown levels seen))``.
* The schema's int kinds are the full Kaggle dtypes, i.e. those columns have no
  blanks in the real data, so a blank in an int column is an error.
* A level not in the schema is kept and reported (``LoadReport.unknown_levels``),
  because the full Kaggle data has rare levels that a sample may miss.
* Child rows whose parent is absent ("orphans") are counted, never dropped: the
  partial real sample has many, and dropping would silently change features.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data.schema import APPLICATION_TABLES, TABLES, Table
from settings import get_settings

#: Accepted file suffixes, in the order they are looked for.
SUFFIXES = (".csv", ".csv.gz", ".parquet")
#: How many offending rows an error message names.
MAX_ROWS = 5
_INT32 = np.iinfo(np.int32)
_INT64_LIMIT = 2.0**63
_READ_ERRORS = (pa.ArrowException, OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError)


class DataError(ValueError):
    """Bad input data: names the file, the column, the problem and the first offending rows."""

    def __init__(self, file: str, problem: str, column: str | None = None, rows: Iterable[int] = ()) -> None:
        self.file = str(file)
        self.problem = problem
        self.column = column
        self.rows = tuple(int(r) for r in islice(rows, MAX_ROWS))
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.file if self.column is None else f"{self.file}, column {self.column}"
        text = f"{where}: {self.problem}"
        if self.rows:
            label = "row" if len(self.rows) == 1 else "rows"
            text += f" ({label} {', '.join(map(str, self.rows))})"
        return text

    def __reduce__(self) -> tuple[type[DataError], tuple[str, str, str | None, tuple[int, ...]]]:
        # keep the attributes when the error crosses a process boundary
        return (type(self), (self.file, self.problem, self.column, self.rows))


@dataclass(frozen=True)
class LoadReport:
    """What a load found, beyond the frames: kept so the UI and CLI can show data quality."""

    directory: Path
    files: dict[str, Path]
    missing_tables: tuple[str, ...]
    orphans: dict[str, dict[str, int]]
    unknown_levels: dict[str, dict[str, list[str]]]
    rows: dict[str, int] = field(default_factory=dict)
    clients: dict[str, int] = field(default_factory=dict)
    default_rate: float | None = None

    def summary_lines(self) -> list[str]:
        lines = [f"Data folder: {self.directory}"]
        for name in TABLES:
            if name not in self.rows:
                continue
            parts = [f"{self.rows[name]:,} rows"]
            if name in self.clients:
                parts.append(f"{self.clients[name]:,} clients")
            if name == "application_train" and self.default_rate is not None:
                parts.append(f"default rate {self.default_rate:.2%}")
            source = f" ({self.files[name].name})" if name in self.files else ""
            lines.append(f"  {name}: {', '.join(parts)}{source}")
        if self.missing_tables:
            lines.append(f"Missing optional tables: {', '.join(self.missing_tables)}")
        for name, counts in self.orphans.items():
            for key, n in counts.items():
                if n:
                    total = self.rows.get(name)
                    share = f" of {total:,}" if total else ""
                    parent = _link_parent(name, key)
                    lines.append(f"Orphans: {name} has {n:,}{share} rows whose {key} is not in {parent} (kept)")
        for name, columns in self.unknown_levels.items():
            for column, levels in columns.items():
                lines.append(f"Unknown levels kept: {name}.{column}: {', '.join(map(repr, levels))}")
        return lines


class Tables(Mapping[str, pd.DataFrame]):
    """The loaded tables keyed by Kaggle name ("application_train", "bureau", "POS_CASH_balance", ...); only present tables are keys."""

    def __init__(self, frames: Mapping[str, pd.DataFrame], report: LoadReport | None = None) -> None:
        unknown = [name for name in frames if name not in TABLES]
        if unknown:
            raise KeyError(f"not Home Credit tables: {', '.join(unknown)}")
        self._frames = {name: frames[name] for name in TABLES if name in frames}
        self.report = report if report is not None else build_report(self._frames, Path("<memory>"), {})

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}: {v.shape[0]}x{v.shape[1]}" for k, v in self._frames.items())
        return f"Tables({shapes})"


# --------------------------------------------------------------------------- finding files

def find_table_file(directory: Path, table: str) -> Path | None:
    """The file holding ``table``; a case-insensitive match is accepted since users rename by hand.

    Two files for one table (say ``.csv`` and ``.parquet``) is an error rather than a silent
    pick, because they may differ and the user would not know which one was used.
    """
    directory = Path(directory)
    wanted = {f"{table}{suffix}".lower() for suffix in SUFFIXES}
    try:
        found = sorted(p for p in directory.iterdir() if p.name.lower() in wanted and p.is_file())
    except OSError:
        return None
    exact = [p for p in found if p.name in {f"{table}{s}" for s in SUFFIXES}]
    found = exact or found
    if len(found) > 1:
        raise DataError(str(directory), f"several files for table {table}: "
                        f"{', '.join(p.name for p in found)}; keep only one")
    return found[0] if found else None


# --------------------------------------------------------------------------- reading one file

def read_table(path: Path, table: str) -> pd.DataFrame:
    """One file, validated and typed; any read failure becomes a DataError naming the file."""
    path = Path(path)
    spec = TABLES[table]
    name = path.name
    if path.name.lower().endswith(".parquet"):
        raw = _read_parquet(path, spec)
    else:
        raw = _read_csv(path, spec)
    if len(raw) == 0:
        raise DataError(name, "no data rows (the file has only a header)")
    return validate_frame(raw, table, name)


def _read_csv(path: Path, spec: Table) -> pd.DataFrame:
    """Fast typed read with pyarrow; on a conversion error, re-read as text so that
    :func:`validate_frame` can name the column, the value and the rows."""
    name = path.name
    header = _csv_header(path)
    _check_columns(header, spec, name)
    types: dict[str, pa.DataType] = {}
    for col in spec.columns:
        types[col.name] = {"int": pa.int64(), "float": pa.float64()}.get(
            col.kind, pa.dictionary(pa.int32(), pa.string()))
    try:
        table = _pyarrow_csv(path, types)
    except pa.ArrowInvalid as exc:
        if "conversion error" not in str(exc):
            raise DataError(name, f"unreadable CSV: {_short(exc)}") from None
        try:
            table = _pyarrow_csv(path, {c: pa.string() for c in spec.column_names})
        except _READ_ERRORS as exc2:
            raise DataError(name, f"unreadable CSV: {_short(exc2)}") from None
    except _READ_ERRORS as exc:
        raise DataError(name, f"unreadable file: {_short(exc)}") from None
    frame: pd.DataFrame = table.to_pandas(split_blocks=True, self_destruct=True)
    return frame


def _pyarrow_csv(path: Path, types: dict[str, pa.DataType]) -> pa.Table:
    options = pacsv.ConvertOptions(column_types=types, strings_can_be_null=True)
    return pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 24), convert_options=options)


def _csv_header(path: Path) -> list[str]:
    name = path.name
    if path.stat().st_size == 0:
        raise DataError(name, "empty file (zero bytes)")
    opener = gzip.open if name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except _READ_ERRORS as exc:
        kind = "not a valid gzip file" if opener is gzip.open else "unreadable file"
        raise DataError(name, f"{kind}: {_short(exc)}") from None
    if not first.strip():
        raise DataError(name, "empty file (no header)")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(name, "not a UTF-8 text CSV file (cannot decode the header)") from None
    return next(csv.reader(io.StringIO(text)))


def _read_parquet(path: Path, spec: Table) -> pd.DataFrame:
    name = path.name
    if path.stat().st_size == 0:
        raise DataError(name, "empty file (zero bytes)")
    try:
        schema = pq.read_schema(path)
    except _READ_ERRORS as exc:
        raise DataError(name, f"not a valid Parquet file: {_short(exc)}") from None
    header = [c for c in schema.names if not c.startswith("__index_level_")]
    _check_columns(header, spec, name)
    try:
        table = pq.read_table(path, columns=spec.column_names)
    except _READ_ERRORS as exc:
        raise DataError(name, f"unreadable Parquet file: {_short(exc)}") from None
    frame: pd.DataFrame = table.to_pandas(split_blocks=True, self_destruct=True, ignore_metadata=True)
    return frame


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# --------------------------------------------------------------------------- validation

def validate_frame(df: pd.DataFrame, table: str, file: str = "<memory>") -> pd.DataFrame:
    """Validation and typing of a raw frame, shared by the file loader and the JSON predict route.

    Accepts text or numeric columns (a JSON payload arrives as objects); returns a new frame
    in schema order with the compact dtypes described in the module docstring. An empty frame
    is valid here (a client may have no bureau record); empty *files* are rejected by
    :func:`read_table`.
    """
    spec = TABLES[table]
    _check_columns([str(c) for c in df.columns], spec, file)
    out: dict[str, np.ndarray | pd.Categorical] = {}
    for col in spec.columns:
        series = df[col.name]
        if col.kind == "category":
            out[col.name] = _to_category(series, col.levels)
        else:
            values = _to_numeric(series, col.name, file)
            _check_finite(values, col.name, file)
            if col.kind == "int":
                out[col.name] = _to_int(values, col.name, file)
            else:
                out[col.name] = _to_float(values)
    result = pd.DataFrame(out, index=pd.RangeIndex(len(df)), copy=False)
    _check_unique(result, spec, file)
    return result


def _check_columns(names: Sequence[str], spec: Table, file: str) -> None:
    seen: set[str] = set()
    dupes = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if dupes:
        _raise_names(file, "duplicate column", dupes)
    missing = [c for c in spec.column_names if c not in seen]
    if missing:
        _raise_names(file, "missing column", missing)
    extra = [n for n in names if n not in spec]
    if extra:
        hint = " (a saved pandas index? write the file with index=False)" if "" in extra or any(
            n.startswith("Unnamed:") for n in extra) else ""
        _raise_names(file, "unexpected column", extra, hint)


def _raise_names(file: str, problem: str, names: Sequence[str], hint: str = "") -> None:
    shown = [n if n else "''" for n in names]
    if len(shown) == 1:
        raise DataError(file, problem + hint, column=shown[0])
    raise DataError(file, f"{problem}s {', '.join(shown)}{hint}")


def _rows(mask: np.ndarray) -> np.ndarray:
    """1-based row numbers of the first offending rows."""
    return np.flatnonzero(mask)[:MAX_ROWS] + 1


def _to_numeric(series: pd.Series, column: str, file: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
            return series.to_numpy()
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    text = series.astype(object)
    blank = text.isna().to_numpy() | (text.astype(str).str.strip() == "").to_numpy()
    values = pd.to_numeric(text.where(~blank, np.nan), errors="coerce")
    bad = np.asarray(pd.isna(values)) & ~blank
    if bad.any():
        first = text.to_numpy()[np.argmax(bad)]
        raise DataError(file, f"non-numeric value {str(first)!r}", column, _rows(bad))
    return np.asarray(values, dtype=np.float64) if values.dtype == object else values.to_numpy()


def _check_finite(values: np.ndarray, column: str, file: str) -> None:
    """Refuse infinities: pyarrow and pandas read 'inf', '-inf' and 'Infinity' as floats, and
    one infinite income would silently become an infinite ratio in the features."""
    if values.dtype.kind != "f":
        return
    infinite = np.isinf(values)
    if infinite.any():
        raise DataError(file, f"non-finite value {str(values[np.argmax(infinite)])!r}", column, _rows(infinite))


def _to_int(values: np.ndarray, column: str, file: str) -> np.ndarray:
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        if column == "TARGET" and missing.any():
            raise DataError(file, "missing target value (TARGET must be 0 or 1)", column, _rows(missing))
        if missing.any():
            raise DataError(file, "missing values in integer column", column, _rows(missing))
        finite = np.isfinite(values)
        fractional = ~finite | (values != np.floor(np.where(finite, values, 0)))
        if fractional.any():
            raise DataError(file, f"non-integral value {float(values[np.argmax(fractional)])!r}", column, _rows(fractional))
        if len(values) and np.abs(values).max() >= _INT64_LIMIT:
            too_big = np.abs(values) >= _INT64_LIMIT
            raise DataError(file, "value too large for an integer column", column, _rows(too_big))
        values = values.astype(np.int64)
    if column == "TARGET":
        bad = (values != 0) & (values != 1)
        if bad.any():
            raise DataError(file, f"TARGET must be 0 or 1, found {values[np.argmax(bad)]}", column, _rows(bad))
    if len(values) == 0 or (values.min() >= _INT32.min and values.max() <= _INT32.max):
        return values.astype(np.int32, copy=False)
    return values.astype(np.int64, copy=False)


def _to_float(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64, copy=False)
    narrow = values.astype(np.float32)
    if np.array_equal(narrow.astype(np.float64), values, equal_nan=True):
        return narrow
    return values


def _to_category(series: pd.Series, levels: tuple[str, ...]) -> pd.Categorical:
    if isinstance(series.dtype, pd.CategoricalDtype):
        cat = series
        if not all(isinstance(c, str) for c in cat.cat.categories):
            cat = cat.cat.rename_categories([str(c) for c in cat.cat.categories])
        codes = cat.cat.codes.to_numpy()
        # bincount, not remove_unused_categories: the latter sorts 27 M codes
        used = np.bincount(codes[codes >= 0], minlength=len(cat.cat.categories)) > 0
        seen = list(cat.cat.categories[used])
    else:
        # pandas-stubs reject None as `other` of Series.where; pandas takes it (the object missing value)
        cat = series.astype(object).where(series.notna(), None)  # type: ignore[call-overload]
        cat = cat.map(lambda v: v if v is None or isinstance(v, str) else str(v))
        seen = [v for v in pd.unique(cat) if v is not None]
    categories = sorted(set(levels) | set(seen))
    if isinstance(cat.dtype, pd.CategoricalDtype):
        return pd.Categorical(cat.cat.set_categories(categories))
    return pd.Categorical(cat, categories=categories)


def _check_unique(df: pd.DataFrame, spec: Table, file: str) -> None:
    if not spec.primary_key or df.empty:
        return
    key = _key_codes(df, spec.primary_key)
    if _surely_unique(key.to_numpy()):
        return
    dup = key.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    first = int(np.argmax(dup))
    same = (key == key.iloc[first]).to_numpy()
    value = tuple(df[c].iloc[first] for c in spec.primary_key)
    shown = str(value[0]) if len(value) == 1 else "(" + ", ".join(map(str, value)) + ")"
    others = key[dup].nunique() - 1
    extra = f"; {others:,} other duplicated keys" if others else ""
    raise DataError(file, f"duplicate key {shown}{extra}", ", ".join(spec.primary_key), _rows(same))


def _surely_unique(codes: np.ndarray) -> bool:
    """Quick yes for the usual valid file: marking a bitmap is ~10x faster than hashing 27 M
    keys; anything else (duplicates, or a key range too wide for a bitmap) goes to pandas."""
    if len(codes) == 0:
        return True
    lo, hi = int(codes.min()), int(codes.max())
    if hi - lo >= 1 << 28:
        return False
    seen = np.zeros(hi - lo + 1, dtype=bool)
    seen[codes - lo] = True
    return int(np.count_nonzero(seen)) == len(codes)


def _key_codes(df: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One int64 per row identifying the key, so duplicate search is a single hash pass."""
    if len(columns) == 1:
        return df[columns[0]].astype(np.int64)
    code = np.zeros(len(df), dtype=np.int64)
    span = 1
    for c in reversed(columns):
        v = df[c].to_numpy(dtype=np.int64)
        lo, hi = int(v.min()), int(v.max())
        width = hi - lo + 1
        if span * width >= 2**62:  # too wide to pack: fall back to pandas' multi-column hashing
            return pd.Series(pd.MultiIndex.from_frame(df[list(columns)]).factorize()[0])
        code += (v - lo) * span
        span *= width
    return pd.Series(code)


# --------------------------------------------------------------------------- cross-table checks

def _link_parent(table: str, key: str) -> str:
    for link in TABLES[table].links:
        if link.key == key:
            return "application_train/application_test" if link.parent == "application" else link.parent
    return "its parent"


def _parent_ids(frames: Mapping[str, pd.DataFrame], parent: str, key: str) -> np.ndarray | None:
    names = APPLICATION_TABLES if parent == "application" else (parent,)
    present = [frames[n][key].to_numpy() for n in names if n in frames]
    if parent == "application" and "application_train" not in frames:
        return None
    return np.concatenate(present) if present else None


def _count_missing(child: np.ndarray, parent: np.ndarray) -> int:
    """Rows of ``child`` absent from ``parent``; a lookup table is ~20x faster than isin
    at the 27 M rows of bureau_balance, and ids are small positive integers."""
    if len(child) == 0:
        return 0
    lo = min(int(child.min()), int(parent.min()) if len(parent) else 0)
    hi = max(int(child.max()), int(parent.max()) if len(parent) else 0)
    if lo < 0 or hi > 200_000_000:
        return int((~np.isin(child, parent)).sum())
    seen = np.zeros(hi + 1, dtype=bool)
    seen[parent] = True
    return int((~seen[child]).sum())


def _orphans(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for name, df in frames.items():
        for link in TABLES[name].links:
            parent = _parent_ids(frames, link.parent, link.key)
            if parent is None:
                continue
            result.setdefault(name, {})[link.key] = _count_missing(df[link.key].to_numpy(), parent)
    return result


def _unknown_levels(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, list[str]]]:
    result: dict[str, dict[str, list[str]]] = {}
    for name, df in frames.items():
        for col in TABLES[name].columns:
            if col.kind != "category" or col.name not in df:
                continue
            dtype = df[col.name].dtype
            if not isinstance(dtype, pd.CategoricalDtype):
                continue
            extra = sorted(set(dtype.categories) - set(col.levels))
            if extra:
                result.setdefault(name, {})[col.name] = extra
    return result


def _check_train_test_overlap(frames: Mapping[str, pd.DataFrame], files: Mapping[str, str]) -> None:
    if not all(n in frames for n in APPLICATION_TABLES):
        return
    train = frames["application_train"]["SK_ID_CURR"].to_numpy()
    test = frames["application_test"]["SK_ID_CURR"].to_numpy()
    both = np.isin(test, train)
    if both.any():
        raise DataError(files.get("application_test", "application_test"),
                        f"client {test[np.argmax(both)]} also in {files.get('application_train', 'application_train')}"
                        f" ({int(both.sum()):,} clients in both)", "SK_ID_CURR", _rows(both))


def build_report(frames: Mapping[str, pd.DataFrame], directory: Path, files: Mapping[str, Path],
                 requested: Iterable[str] | None = None) -> LoadReport:
    """The report for already validated frames (also what ``Tables(frames)`` uses)."""
    wanted = list(TABLES) if requested is None else list(requested)
    train = frames.get("application_train")
    rate = None
    if train is not None and len(train):
        rate = float(train["TARGET"].mean())
    return LoadReport(
        directory=Path(directory),
        files=dict(files),
        missing_tables=tuple(n for n in wanted if n not in frames and not TABLES[n].required),
        orphans=_orphans(frames),
        unknown_levels=_unknown_levels(frames),
        rows={n: len(df) for n, df in frames.items()},
        clients={n: int(df["SK_ID_CURR"].nunique()) for n, df in frames.items() if "SK_ID_CURR" in df},
        default_rate=rate,
    )


# --------------------------------------------------------------------------- entry point

def load_tables(directory: str | Path, tables: Iterable[str] | None = None) -> Tables:
    """Every requested table of ``directory``, all validated before any is returned.

    ``tables`` restricts the load (default: all eight). A required table that is requested
    and absent is an error; an absent optional table is listed in ``report.missing_tables``.
    Orphans are counted only against parents that were loaded.
    """
    directory = Path(directory).expanduser()
    wanted = list(TABLES) if tables is None else list(dict.fromkeys(tables))
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise KeyError(f"not Home Credit tables: {', '.join(unknown)}")
    if not directory.exists():
        raise DataError(str(directory), "data folder not found")
    if not directory.is_dir():
        raise DataError(str(directory), "not a folder")
    files: dict[str, Path] = {}
    for name in wanted:
        path = find_table_file(directory, name)
        if path is not None:
            files[name] = path
        elif TABLES[name].required:
            raise DataError(f"{name}.csv", f"required file not found in {directory} "
                            f"(looked for {', '.join(name + s for s in SUFFIXES)})")
    frames = {name: read_table(path, name) for name, path in files.items()}
    _check_train_test_overlap(frames, {n: p.name for n, p in files.items()})
    return Tables(frames, build_report(frames, directory, files, wanted))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m data.load``: check a data folder and print its summary; exit 2 on bad data."""
    parser = argparse.ArgumentParser(prog="python -m data.load", description=main.__doc__)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder of the Kaggle files (default: HOME_CREDIT_DIR or the demo folder)")
    args = parser.parse_args(argv)
    directory = args.data_dir or get_settings().data_dir
    try:
        loaded = load_tables(directory)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(loaded.report.summary_lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
