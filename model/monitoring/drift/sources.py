"""One side of a comparison read into feature rows: a data folder (features built from the Kaggle
files), a file of feature rows or a raw application file, a scoring log (``.jsonl``), a frame.

Text columns read from CSV or JSON are turned into numbers here, with the file and row named when
one is not a number, so that the check never compares a number with a string.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.load import DataError, load_tables, read_table
from data.schema import APPLICATION_TABLES, TABLES
from model.artifact import parquet_frame
from model.features import build_features
from model.monitoring.drift.check import ID, NOT_FEATURES, DriftError, categorical_names

_TIME_KEYS = ("timestamp", "ts", "time", "created_at", "scored_at")


@dataclass
class Batch:
    frame: pd.DataFrame
    info: dict[str, Any]


#: One side of a comparison: a path (folder or file), feature rows, or a batch already read.
Source = str | Path | pd.DataFrame | Batch


def coerce_numeric(frame: pd.DataFrame, name: str, categorical: set[str]) -> pd.DataFrame:
    """Numeric feature columns read as text (CSV, JSON) to float; a non-numeric value is an error."""
    for col in frame.columns:
        if col in categorical or col in NOT_FEATURES:
            continue
        s = frame[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            frame[col] = s.astype(np.float64)
        elif not pd.api.types.is_numeric_dtype(s.dtype):
            values = pd.to_numeric(s.map(lambda v: v if not (isinstance(v, str) and not v.strip()) else None),
                                   errors="coerce")
            bad = values.isna() & s.notna() & ~s.map(lambda v: isinstance(v, str) and not v.strip())
            if bad.any():
                rows = (np.flatnonzero(bad.to_numpy())[:5] + 1).tolist()
                raise DataError(name, f"non-numeric value {s[bad].iloc[0]!r}", str(col), rows)
            frame[col] = values.astype(np.float64)
    return frame


def _read_log(path: Path) -> Batch:
    records: list[dict[str, Any]] = []
    skipped, times = 0, []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(path.name, "not a UTF-8 text file") from None
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    truncated = False
    for k, (lineno, line) in enumerate(numbered):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if k == len(numbered) - 1 and k > 0:
                truncated = True  # the last line of a log being written
                continue
            raise DataError(path.name, f"line {lineno} is not valid JSON ({exc.msg})") from None
        feats = record.get("features") if isinstance(record, dict) else None
        if not isinstance(feats, dict):
            skipped += 1
            continue
        records.append(feats)
        for key in _TIME_KEYS:
            if isinstance(record.get(key), str):
                times.append(record[key])
                break
    if not records:
        raise DriftError(f"{path}: empty batch, no record with a \"features\" object"
                         + (f" ({skipped} records without one)" if skipped else ""))
    frame = coerce_numeric(pd.DataFrame.from_records(records), path.name, categorical_names())
    info: dict[str, Any] = {"kind": "scoring_log", "records_without_features": skipped}
    if truncated:
        info["truncated_last_line"] = True
    if times:
        ts = pd.to_datetime(pd.Series(times), errors="coerce", utc=True).dropna()
        if len(ts):
            info["first_timestamp"] = ts.min().isoformat()
            info["last_timestamp"] = ts.max().isoformat()
    return Batch(frame, info)


def _raw_application(columns: Sequence[str]) -> str | None:
    names = set(map(str, columns))
    for table in APPLICATION_TABLES:
        if set(TABLES[table].column_names) == names:
            return table
    return None


def _read_file(path: Path) -> Batch:
    name = path.name.lower()
    if path.stat().st_size == 0:
        raise DataError(path.name, "empty file (zero bytes)")
    if name.endswith(".jsonl") or name.endswith(".ndjson"):
        return _read_log(path)
    try:
        if name.endswith(".parquet"):
            frame = parquet_frame(path)
        elif name.endswith(".csv") or name.endswith(".csv.gz"):
            frame = pd.read_csv(path, low_memory=False)
        else:
            raise DriftError(f"{path}: unknown file type (expected a data folder, .csv, .parquet or .jsonl)")
    except DriftError:
        raise
    except Exception as exc:  # pyarrow / pandas parser errors, bad gzip, bad encoding
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(path.name, f"unreadable file: {text[:200]}") from None
    if len(frame) == 0:
        raise DriftError(f"{path}: empty batch (no rows)")
    table = _raw_application(list(frame.columns))
    if table is not None:  # a raw Kaggle application file: build its application features
        tables = {table: read_table(path, table)}
        feats = build_features(tables, include_children=False)
        return Batch(feats.reset_index(), {"kind": f"raw {table} file (application features only)"})
    if ID in frame.columns:
        frame = frame.drop_duplicates(ID)
    return Batch(coerce_numeric(frame, path.name, categorical_names()), {"kind": "feature_file"})


class FolderCache:
    """Builds a folder's features once when both sides read the same folder."""

    def __init__(self) -> None:
        self._built: dict[tuple[Path, bool], tuple[pd.DataFrame, dict[str, np.ndarray]]] = {}

    def get(self, folder: Path, include_children: bool) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        key = (folder.resolve(), include_children)
        if key not in self._built:
            tables = load_tables(folder, None if include_children else APPLICATION_TABLES)
            feats = build_features(tables, include_children=include_children)
            ids = {t: tables[t][ID].to_numpy(dtype=np.int64) for t in APPLICATION_TABLES if t in tables}
            self._built[key] = (feats, ids)
        return self._built[key]


def load_batch(source: Source, table: str = "application_train", include_children: bool = True,
               cache: FolderCache | None = None) -> Batch:
    """Feature rows of one side: a batch or a DataFrame as is, a data folder's ``table`` clients, or a file."""
    if isinstance(source, Batch):
        if len(source.frame) == 0:
            raise DriftError("empty batch (no rows)")
        return source
    if isinstance(source, pd.DataFrame):
        if len(source) == 0:
            raise DriftError("empty batch (the frame has no rows)")
        return Batch(source, {"kind": "frame"})
    path = Path(source).expanduser()
    if not path.exists():
        raise DriftError(f"{path}: no such file or folder")
    if path.is_file():
        batch = _read_file(path)
        batch.info["source"] = str(path)
        return batch
    if table not in APPLICATION_TABLES:
        raise DriftError(f"--table must be one of {', '.join(APPLICATION_TABLES)}, not {table!r}")
    feats, ids = (cache or FolderCache()).get(path, include_children)
    if table not in ids:
        raise DriftError(f"{path}: no {table} file in this data folder")
    rows = feats.loc[feats.index.isin(ids[table])]
    if len(rows) == 0:
        raise DriftError(f"{path}: empty batch, {table} has no client")
    return Batch(rows, {"kind": "data_folder", "source": str(path), "table": table})
