"""Every known client's raw rows, written once per data folder and read per client by every process.

The what-if screen needs a client's raw rows (:class:`model.simulation.ClientRecords`). Loading
them in each gunicorn worker cost every worker the whole bank's file (5 GB and 44 s at Kaggle
scale). Here they are read and validated once (:func:`data.load.load_tables`), each table sorted
by its link key, and written as uncompressed Arrow IPC files under a cache folder. A process then
reads a client's rows from the files when asked (one contiguous slice per column, ``pread`` at the
column's offset), so the rows live once in the operating system's page cache, shared by every
worker of the host, and a worker holds only the few clients it is showing.

Layout: ``<cache_dir>/<key>/`` holds ``<table>.arrow`` (the sorted rows: numbers as stored,
categories as their integer codes, no validity bitmap, one record batch), ``<table>.index.arrow``
(each key value once and the row after its last; memory-mapped, searched per lookup) and
``manifest.json`` (dtypes, categories, sizes and CRC-32 of every file). The key is a digest of the
data files' names, sizes and modification times, the tables asked for, the store format and the
loader's code: a changed data file or loader means another key, so a store is never served for data
it was not built from (the stores of older versions of a folder are removed once the new one is built).

Safety: a store is built in a private temporary folder and renamed into place (atomic on one file
system), so a reader sees a whole store or none; builders of one key take a file lock, so two
processes starting together build it once; every file's size and CRC-32 are checked each time a
process opens the store, and a store that does not match its manifest is discarded and rebuilt
(:class:`StoreError` if the rebuilt one still does not verify). The build runs in a child process
(``python -m model.clients.records_store build``) unless asked otherwise: the loading's peak memory
stays out of a serving worker, and a gevent worker keeps answering meanwhile.
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import weakref
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

import data.kaggle_columns
import data.load
import data.schema
from data.load import DataError, find_table_file, load_tables
from data.schema import APPLICATION_TABLES, TABLES
from settings import get_settings

#: Bumped when the files' layout changes: an older store is then another key, rebuilt.
STORE_FORMAT = 1
MANIFEST = "manifest.json"
ID = "SK_ID_CURR"
ROOT = Path(__file__).resolve().parents[2]
#: Code whose change can change the loaded frames (columns, dtypes, levels): part of the key (this
#: module's own layout is :data:`STORE_FORMAT`).
_LOADER_SOURCES = (data.schema.__file__, data.load.__file__, data.kaggle_columns.__file__)
_CHUNK = 8 << 20
_LOCK_POLL_S = 0.1


class StoreError(DataError):
    """A client-records store that cannot be built or does not verify (names the folder or file)."""


def records_tables(include_children: bool) -> list[str]:
    """The tables a model's what-if reads: all eight, or the application files of an application-only model."""
    return list(TABLES) if include_children else list(APPLICATION_TABLES)


def link_key(table: str) -> str:
    """The key a table's rows are sorted and sliced by: the client, or the bureau credit for its balances."""
    return "SK_ID_BUREAU" if table == "bureau_balance" else ID


class Rows(Protocol):
    """One table's rows sorted by its link key, read per key value (:class:`SortedRows` in memory,
    :class:`StoredRows` from a store on disk: the same frames, to the dtype and the index)."""

    @property
    def ids(self) -> np.ndarray: ...

    @property
    def columns(self) -> list[str]: ...

    def size(self, value: int) -> int:
        """How many rows ``value`` has."""
        ...

    def rows(self, value: int) -> pd.DataFrame:
        """The rows of one key value: one contiguous slice (callers copy before changing them)."""
        ...

    def rows_of(self, values: Sequence[int] | np.ndarray) -> pd.DataFrame:
        """The rows of several key values, in the order of ``values``."""
        ...

    def frame_of(self, columns: Sequence[str]) -> pd.DataFrame:
        """Whole columns, every row."""
        ...


def _bounds(ids: np.ndarray, ends: np.ndarray, value: int) -> tuple[int, int]:
    """The rows of ``value``: ``lo:hi``, an empty slice where they would be when it has none."""
    i = int(np.searchsorted(ids, value))
    lo = int(ends[i - 1]) if i else 0
    return (lo, int(ends[i])) if i < len(ids) and ids[i] == value else (lo, lo)


def _positions(ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    return np.concatenate([np.arange(lo, hi, dtype=np.int64) for lo, hi in ranges]) if ranges \
        else np.empty(0, np.int64)


@dataclass(frozen=True)
class SortedRows:
    """One table's rows sorted by its link key, in this process's memory.

    ``ids`` holds each key value once (sorted, int64) and ``ends`` the row after its last, so the
    rows of ``ids[i]`` are ``frame.iloc[ends[i - 1]:ends[i]]`` (from row 0 for the first).
    """

    frame: pd.DataFrame
    ids: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, key: str) -> SortedRows:
        """Sorted (stable: rows of one key keep the file's order), with a fresh 0..n-1 index."""
        frame = frame.sort_values(key, kind="stable").reset_index(drop=True)
        ids, ends = key_index(frame[key].to_numpy(dtype=np.int64))
        return cls(frame, ids, ends)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def size(self, value: int) -> int:
        lo, hi = _bounds(self.ids, self.ends, value)
        return hi - lo

    def rows(self, value: int) -> pd.DataFrame:
        lo, hi = _bounds(self.ids, self.ends, value)
        return self.frame.iloc[lo:hi]

    def rows_of(self, values: Sequence[int] | np.ndarray) -> pd.DataFrame:
        return self.frame.iloc[_positions([_bounds(self.ids, self.ends, int(v)) for v in values])]

    def frame_of(self, columns: Sequence[str]) -> pd.DataFrame:
        return self.frame[list(columns)]


def key_index(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value of sorted ``keys`` once, and the position after its last row."""
    keys = np.asarray(keys, dtype=np.int64)
    last = np.flatnonzero(keys[1:] != keys[:-1])
    ends = np.concatenate([last + 1, [len(keys)]]) if len(keys) else np.empty(0, np.int64)
    return keys[ends - 1] if len(keys) else keys, ends.astype(np.int64)


@dataclass(frozen=True)
class _StoredColumn:
    name: str
    #: where the column's values start in the file, in bytes
    offset: int
    dtype: np.dtype[Any]
    #: when the values are category codes: every code's value (NaN first, for code -1), so that
    #: ``prototype.take(codes + 1)`` is the column; every read shares its one dtype (pandas caches a
    #: categorical dtype's hash on the instance: a dtype per read would hash its categories each time)
    prototype: pd.Categorical | None


class StoredRows:
    """One table's rows sorted by its link key, read from a store's file when asked.

    A client's rows are read with ``pread`` at each column's offset in the Arrow IPC file: the file's
    pages stay in the operating system's page cache, shared by every process that reads them, and
    this process holds only the rows it read (a memory-mapped read would count every page it
    touched, and the pages around it, in this process's resident memory). The key index (``ids``,
    ``ends``) is memory-mapped: a lookup is a binary search over it.
    """

    def __init__(self, path: Path, n_rows: int, columns: Sequence[_StoredColumn], ids: np.ndarray,
                 ends: np.ndarray) -> None:
        self.path = path
        self.ids = ids
        self.ends = ends
        self.n_rows = n_rows
        self._columns = tuple(columns)
        self._index = pd.RangeIndex(n_rows)
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)
        #: the table with no row (most clients have no row in some tables): built once, shallow-copied
        self._empty = self._read([(0, 0)], self._index[:0], self._columns)

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self._columns]

    def size(self, value: int) -> int:
        lo, hi = _bounds(self.ids, self.ends, value)
        return hi - lo

    def _read(self, ranges: Sequence[tuple[int, int]], index: pd.Index, columns: Sequence[_StoredColumn]
              ) -> pd.DataFrame:
        wanted = sum(hi - lo for lo, hi in ranges)
        data: dict[str, Any] = {}
        for column in columns:
            size = column.dtype.itemsize
            parts = [os.pread(self._fd, (hi - lo) * size, column.offset + lo * size) for lo, hi in ranges]
            values = np.frombuffer(parts[0] if len(parts) == 1 else b"".join(parts), column.dtype)
            if len(values) != wanted:
                raise StoreError(str(self.path), f"column {column.name}: {len(values)} rows read, {wanted} expected "
                                 "(the file changed since it was checked)")
            data[column.name] = values if column.prototype is None \
                else column.prototype.take(values.astype(np.intp) + 1)
        # copy=True consolidates the columns into one block per dtype, as the loader's sorted frames are:
        # 0.5 ms more per client here (once: frames are cached), every later operation on them (each
        # what-if change) ~1 ms faster
        return pd.DataFrame(data, index=index, copy=True)

    def rows(self, value: int) -> pd.DataFrame:
        lo, hi = _bounds(self.ids, self.ends, value)
        if hi == lo:
            empty = self._empty.copy(deep=False)
            empty.index = self._index[lo:hi]
            return empty
        return self._read([(lo, hi)], self._index[lo:hi], self._columns)

    def rows_of(self, values: Sequence[int] | np.ndarray) -> pd.DataFrame:
        ranges = [_bounds(self.ids, self.ends, int(v)) for v in values]
        ranges = [r for r in ranges if r[1] > r[0]] or [(0, 0)]
        return self._read(ranges, self._index.take(_positions(ranges)), self._columns)

    def frame_of(self, columns: Sequence[str]) -> pd.DataFrame:
        chosen = [c for name in columns for c in self._columns if c.name == name]
        return self._read([(0, self.n_rows)], self._index, chosen)


# --------------------------------------------------------------------------- the key

def store_key(data_dir: str | Path, tables: Sequence[str]) -> str:
    """Digest of what a store is built from: the data files (name, size, modification time), the
    tables asked for, the store format and the loader's code."""
    directory = Path(data_dir).expanduser().resolve()
    if not directory.is_dir():
        raise DataError(str(directory), "data folder not found" if not directory.exists() else "not a folder")
    h = hashlib.sha256()
    h.update(json.dumps({"format": STORE_FORMAT, "dir": str(directory), "tables": list(tables)}).encode())
    for name in tables:
        path = find_table_file(directory, name)
        if path is None:
            h.update(f"|{name}:absent".encode())
            continue
        st = path.stat()
        h.update(f"|{name}:{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    for source in _LOADER_SOURCES:
        h.update(hashlib.sha256(Path(source).read_bytes()).digest())
    return h.hexdigest()[:32]


# --------------------------------------------------------------------------- writing

def _column_array(series: pd.Series) -> tuple[np.ndarray, dict[str, Any]]:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = list(dtype.categories)
        if not all(isinstance(c, str) for c in categories):
            raise TypeError(f"column {series.name}: only text categories can be stored")
        codes = np.asarray(series.cat.codes.to_numpy())
        return codes, {"name": series.name, "dtype": "category", "codes": codes.dtype.str,
                       "categories": categories, "ordered": bool(dtype.ordered)}
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        values = series.to_numpy()
        return values, {"name": series.name, "dtype": dtype.str}
    raise TypeError(f"column {series.name}: dtype {dtype} cannot be stored")


def _write_arrow(path: Path, columns: Mapping[str, np.ndarray]) -> None:
    arrays = [pa.array(values) for values in columns.values()]   # NaN stays a value: no validity bitmap
    batch = pa.RecordBatch.from_arrays(arrays, names=list(columns))
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def file_crc(path: Path) -> int:
    crc = 0
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buffer):
            crc = zlib.crc32(view[:n], crc)
    return crc


def _write_table(folder: Path, name: str, frame: pd.DataFrame) -> dict[str, Any]:
    key = link_key(name)
    rows = SortedRows.of(frame, key)
    columns: dict[str, np.ndarray] = {}
    described = []
    for column in rows.frame.columns:
        values, meta = _column_array(rows.frame[column])
        columns[str(column)] = values
        described.append(meta)
    files = {"rows": f"{name}.arrow", "index": f"{name}.index.arrow"}
    _write_arrow(folder / files["rows"], columns)
    _write_arrow(folder / files["index"], {"ids": rows.ids, "ends": rows.ends})
    return {"key": key, "rows": len(rows.frame), "ids": len(rows.ids), "columns": described,
            "files": {kind: {"name": file, "bytes": (folder / file).stat().st_size, "crc32": file_crc(folder / file)}
                      for kind, file in files.items()}}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_store(data_dir: str | Path, tables: Sequence[str], cache_dir: str | Path, key: str | None = None) -> Path:
    """Load, validate, sort and write ``tables`` of ``data_dir`` as the store of their key; returns its folder.

    Written in a private temporary folder, then renamed into place: a reader never sees half a store.
    When a store of this key is already there (another process finished first), it is kept and this
    one dropped. The application tables are loaded together (the loader's checks across them), each
    history table alone, so the peak memory is that of the largest table, not of all of them.
    """
    directory = Path(data_dir).expanduser().resolve()
    cache = Path(cache_dir).expanduser().resolve()
    key = key or store_key(directory, tables)
    final = cache / key
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = cache / f".{key}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir(mode=0o700)
    try:
        described: dict[str, Any] = {}
        apps = [n for n in tables if n in APPLICATION_TABLES]
        loaded = load_tables(directory, apps)
        for name in loaded:
            described[name] = _write_table(tmp, name, loaded[name])
        del loaded
        for name in tables:
            if name in APPLICATION_TABLES:
                continue
            one = load_tables(directory, [name])
            if name in one:
                described[name] = _write_table(tmp, name, one[name])
            del one
        manifest = {"format": STORE_FORMAT, "key": key, "data_dir": str(directory), "asked": list(tables),
                    "tables": described,
                    "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        with open(tmp / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)
        try:
            os.rename(tmp, final)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            shutil.rmtree(tmp, ignore_errors=True)     # another process's store won the race: keep it
        _fsync_dir(cache)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


# --------------------------------------------------------------------------- reading

class _Missing(Exception):
    pass


class _Corrupt(Exception):
    pass


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise _Missing(str(folder))
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _Corrupt(f"{path} is missing") from None
    except (OSError, ValueError) as exc:
        raise _Corrupt(f"{path} is unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != STORE_FORMAT or manifest.get("key") != folder.name:
        raise _Corrupt(f"{path} is not the manifest of store {folder.name} format {STORE_FORMAT}")
    return manifest


def _checked_file(folder: Path, entry: Mapping[str, Any]) -> Path:
    path = folder / str(entry["name"])
    try:
        size = path.stat().st_size
    except OSError:
        raise _Corrupt(f"{path} is missing") from None
    if size != entry["bytes"]:
        raise _Corrupt(f"{path} has {size:,} bytes, its manifest says {entry['bytes']:,}")
    if file_crc(path) != entry["crc32"]:
        raise _Corrupt(f"{path} does not match its checksum")
    return path


def _mapped_columns(path: Path) -> tuple[list[str], list[np.ndarray]]:
    """The columns of an Arrow IPC file as read-only numpy views of the memory-mapped file."""
    source = pa.memory_map(str(path), "r")
    reader = pa.ipc.open_file(source)
    if reader.num_record_batches != 1:
        raise _Corrupt(f"{path} holds {reader.num_record_batches} record batches, not 1")
    batch = reader.get_batch(0)
    names = list(batch.schema.names)
    arrays = []
    for column in batch.columns:
        if column.null_count:
            raise _Corrupt(f"{path}: a column with nulls")
        arrays.append(column.to_numpy(zero_copy_only=True))
    return names, arrays


def _column_offsets(path: Path) -> list[tuple[str, int, np.dtype[Any], int]]:
    """Each column of an Arrow IPC file: name, byte offset of its values in the file, dtype, length.

    Read from the file's footer and metadata through a memory map that is closed again (the values'
    pages are never touched here)."""
    size = path.stat().st_size
    with pa.memory_map(str(path), "r") as source:
        base = source.read_buffer(1).address
        reader = pa.ipc.open_file(source)
        if reader.num_record_batches != 1:
            raise _Corrupt(f"{path} holds {reader.num_record_batches} record batches, not 1")
        batch = reader.get_batch(0)
        out = []
        for name, column in zip(batch.schema.names, batch.columns):
            if column.null_count or not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                raise _Corrupt(f"{path}, column {name}: {column.type} with {column.null_count} nulls")
            dtype = np.dtype(column.type.to_pandas_dtype())
            offset = column.buffers()[1].address - base + column.offset * dtype.itemsize
            if offset < 0 or offset + len(column) * dtype.itemsize > size:
                raise _Corrupt(f"{path}, column {name}: its values lie outside the file")
            out.append((str(name), int(offset), dtype, len(column)))
        del batch, reader
    return out


def _stored_table(folder: Path, meta: Mapping[str, Any]) -> StoredRows:
    rows_path = _checked_file(folder, meta["files"]["rows"])
    index_path = _checked_file(folder, meta["files"]["index"])
    found = _column_offsets(rows_path)
    described = meta["columns"]
    if [f[0] for f in found] != [c["name"] for c in described]:
        raise _Corrupt(f"{rows_path}: columns differ from the manifest")
    columns = []
    for (name, offset, dtype, length), column in zip(found, described):
        if length != meta["rows"]:
            raise _Corrupt(f"{rows_path}, column {name}: {length:,} rows, the manifest says {meta['rows']:,}")
        stored = column["codes"] if column["dtype"] == "category" else column["dtype"]
        if dtype.str != stored:
            raise _Corrupt(f"{rows_path}, column {name}: {dtype}, the manifest says {stored}")
        prototype = None
        if column["dtype"] == "category":
            categories = pd.CategoricalDtype(pd.Index(column["categories"], dtype=object), ordered=column["ordered"])
            prototype = pd.Categorical.from_codes(list(range(-1, len(categories.categories))), dtype=categories)
        columns.append(_StoredColumn(name, offset, dtype, prototype))
    index_names, index_arrays = _mapped_columns(index_path)
    ids, ends = index_arrays if len(index_arrays) == 2 else (np.empty(0), np.empty(0))
    if index_names != ["ids", "ends"] or len(ids) != meta["ids"] or (len(ends) and ends[-1] != meta["rows"]):
        raise _Corrupt(f"{index_path} does not index {rows_path.name}")
    return StoredRows(rows_path, int(meta["rows"]), columns, ids, ends)


def open_store(folder: Path) -> dict[str, StoredRows]:
    """The tables of a built store, after checking every file against the manifest (size, CRC-32)."""
    manifest = _read_manifest(folder)
    try:
        return {name: _stored_table(folder, meta) for name, meta in manifest["tables"].items()}
    except (KeyError, TypeError, ValueError, OSError, pa.ArrowException) as exc:
        raise _Corrupt(f"{folder}: {type(exc).__name__} {exc}") from None


# --------------------------------------------------------------------------- open or build

@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (released by the kernel if the holder dies); polled, so a
    gevent worker waiting for it keeps its other greenlets running."""
    with open(path, "a+b") as fh:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(_LOCK_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _discard(folder: Path) -> None:
    """Move a store aside, then delete it: readers that mapped it keep their pages until they close."""
    if not folder.exists():
        return
    aside = folder.with_name(f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}.discarded")
    os.rename(folder, aside)
    shutil.rmtree(aside, ignore_errors=True)


def _tidy(cache: Path, key: str, data_dir: str, tables: Sequence[str]) -> None:
    """Remove what a crashed builder of this key left, and the stores of older versions of the same
    folder's same tables (their files changed since)."""
    for entry in cache.iterdir():
        if entry.name.startswith(f".{key}.") and entry.name.endswith((".tmp", ".discarded")):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_dir() and not entry.name.startswith(".") and entry.name != key:
            try:
                other = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(other, dict) and other.get("data_dir") == data_dir and other.get("asked") == list(tables):
                _discard(entry)


def ensure_store(data_dir: str | Path, tables: Sequence[str], cache_dir: str | Path) -> tuple[Path, bool]:
    """The folder of a verified store of ``tables``, and whether this call built it (or rebuilt it, when
    it did not verify).

    One builder per key at a time (a file lock); the others wait and then find it built.
    """
    directory = Path(data_dir).expanduser().resolve()
    cache = Path(cache_dir).expanduser().resolve()
    key = store_key(directory, tables)
    final = cache / key
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(cache / f".{key}.lock"):
            try:
                open_store(final)
                return final, False
            except _Missing:
                pass
            except _Corrupt as exc:
                print(f"client records store {final} rejected ({exc}): rebuilding it", file=sys.stderr, flush=True)
                _discard(final)
            build_store(directory, tables, cache, key)
            _tidy(cache, key, str(directory), tables)
    except OSError as exc:
        raise StoreError(str(cache), f"cannot write the client records cache ({exc}); "
                         "set RECORDS_CACHE_DIR to a writable folder") from None
    return final, True


def open_records(data_dir: str | Path, tables: Sequence[str], cache_dir: str | Path,
                 in_process: bool = False) -> dict[str, StoredRows]:
    """Every table's sorted rows, read from the store of ``data_dir`` under ``cache_dir``.

    A verified store is opened at once; otherwise it is built by :func:`ensure_store`, in a child
    process (``in_process=False``: the loading's memory never enters this process) or here. A data
    folder with bad files raises the loader's :class:`DataError`; a store that still does not
    verify once rebuilt raises :class:`StoreError`, never returns its rows.
    """
    directory = Path(data_dir).expanduser().resolve()
    cache = Path(cache_dir).expanduser().resolve()
    folder = cache / store_key(directory, tables)
    try:
        return open_store(folder)
    except (_Missing, _Corrupt):
        pass
    if in_process:
        folder, _ = ensure_store(directory, tables, cache)
    else:
        folder = _ensure_in_child(directory, tables, cache)
    try:
        return open_store(folder)
    except (_Missing, _Corrupt) as exc:
        raise StoreError(str(folder), f"the client records store does not verify once rebuilt: {exc}") from None


def _ensure_in_child(directory: Path, tables: Sequence[str], cache: Path) -> Path:
    cmd = [sys.executable, "-m", "model.clients.records_store", "build", "--data-dir", str(directory),
           "--cache-dir", str(cache), "--tables", ",".join(tables), "--json"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.stderr:
        sys.stderr.write(done.stderr)
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    except ValueError:
        answer = {}
    if done.returncode == 0 and "store" in answer:
        return Path(answer["store"])
    error = answer.get("error")
    if isinstance(error, dict):
        raise (StoreError if error.get("store") else DataError)(
            error["file"], error["problem"], error.get("column"), error.get("rows", ()))
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    raise StoreError(str(cache), f"building the client records store failed (exit {done.returncode}): {last}")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m model.clients.records_store build``: build the store of the configured data folder (or
    check the one there), so that the servers started next open it at once (``make run`` does)."""
    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m model.clients.records_store",
                                description="Build the store of every client's raw rows that servers read.")
    p.add_argument("command", choices=["build"])
    p.add_argument("--data-dir", type=Path, default=s.data_dir, help="default: HOME_CREDIT_DIR")
    p.add_argument("--cache-dir", type=Path, default=s.records_cache_dir, help="default: RECORDS_CACHE_DIR")
    p.add_argument("--model-dir", type=Path, default=s.model_dir, help="the tables its model reads (default: MODEL_DIR)")
    p.add_argument("--tables", help="comma-separated tables (default: those the model reads)")
    p.add_argument("--json", action="store_true", help="answer as one JSON line (for the parent process)")
    a = p.parse_args(argv)
    if a.cache_dir is None:
        print("RECORDS_CACHE_DIR is none: each process loads the client records itself, there is no store to build")
        return 0
    if a.tables:
        tables = [t for t in a.tables.split(",") if t]
    else:
        # the model's loader (scikit-learn, CatBoost: 1.2 s of a core to import) only when no --tables is
        # given: the child a serving worker starts to build the store always gives them
        from model.artifact import ArtifactError, load_artifact  # noqa: PLC0415 - keeps the build child light

        try:
            tables = records_tables(load_artifact(a.model_dir).metadata.include_children)
        except ArtifactError:
            tables = records_tables(True)
    t0 = time.perf_counter()
    try:
        folder, built = ensure_store(a.data_dir, tables, a.cache_dir)
    except DataError as exc:
        if a.json:
            print(json.dumps({"error": {"file": exc.file, "problem": exc.problem, "column": exc.column,
                                        "rows": list(exc.rows), "store": isinstance(exc, StoreError)}}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    if a.json:
        print(json.dumps({"store": str(folder), "built": built, "seconds": round(time.perf_counter() - t0, 3)}))
    else:
        print(f"client records store {folder} {'built' if built else 'checked'} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
