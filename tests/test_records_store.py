"""The clients' raw rows on disk (model/clients/records_store.py): the same frames as in memory, a store
never served for other data or when damaged, one store when several processes build it at once."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.load import DataError
from data.schema import TABLES
from model.clients import records_store as rs
from model.simulation import CREDIT, ClientRecords, Simulator
from settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
ALL = list(TABLES)


@pytest.fixture(scope="module")
def in_memory(demo_data_dir) -> ClientRecords:
    return ClientRecords.load(demo_data_dir)


@pytest.fixture(scope="module")
def stored(demo_data_dir, tmp_path_factory) -> ClientRecords:
    cache = tmp_path_factory.mktemp("records-cache")
    rs.ensure_store(demo_data_dir, ALL, cache)
    return ClientRecords.load(demo_data_dir, cache_dir=cache)


@pytest.fixture
def data_copy(demo_data_dir, tmp_path) -> Path:
    """A private copy of the small demo data, to change or break."""
    out = tmp_path / "data"
    shutil.copytree(demo_data_dir, out)
    return out


def _clients(records: ClientRecords) -> list[int]:
    return [int(c) for rows in records._apps.values() for c in rows.ids]


def assert_same_frames(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], thorough: bool = True) -> None:
    """Same tables in the same order, each with the same columns in the same order, dtypes (categories
    included), index and values (NaN where NaN); ``thorough``: pandas' own check on top (slower)."""
    assert list(a) == list(b)
    for name in a:
        left, right = a[name], b[name]
        assert list(left.columns) == list(right.columns), name
        assert list(left.dtypes) == list(right.dtypes), name
        assert left.index.equals(right.index) and type(left.index) is type(right.index), name
        assert left.equals(right), name
        if thorough:
            pd.testing.assert_frame_equal(left, right, check_exact=True, check_index_type=True,
                                          check_column_type=True, check_categorical=True, obj=name)


def test_stored_frames_are_the_in_memory_frames(in_memory, stored):
    """Every sixth client of both application files, and every kind of client: no history, a bureau
    credit without balances, many rows; dtypes, values, column order and index to the bit."""
    clients = _clients(in_memory)
    assert clients == _clients(stored)
    chosen = clients[::6]
    assert len(chosen) > 500
    kinds = {"no bureau row": 0, "bureau without balance": 0, "no previous application": 0}
    for k, client in enumerate(chosen):
        a, b = in_memory.frames(client), stored.frames(client)
        assert_same_frames(a, b, thorough=k % 25 == 0)
        kinds["no bureau row"] += len(a["bureau"]) == 0
        kinds["bureau without balance"] += len(a["bureau"]) > 0 and len(a["bureau_balance"]) == 0
        kinds["no previous application"] += len(a["previous_application"]) == 0
    assert all(kinds.values()), kinds
    assert stored.terms == in_memory.terms
    for unknown in (0, 10**12, -5):
        with pytest.raises(KeyError):
            stored.frames(unknown)


def test_a_frame_changed_by_a_caller_leaves_the_store_unchanged(stored):
    """The frames are this process's own copies of the rows read (the file is read, not mapped)."""
    client = _clients(stored)[0]
    asked = stored.frames(client)["application_train"][CREDIT].iloc[0]
    stored.frames(client)["application_train"].loc[:, CREDIT] = 1.0       # what callers must not do
    fresh = stored._frames.__wrapped__(stored, client)                      # read again, not the cached frames
    assert fresh["application_train"][CREDIT].iloc[0] == asked != 1.0
    stored._frames.cache_clear()


def test_a_simulation_scores_the_same_from_either_records(tiny_scorer, demo_data_dir, tmp_path):
    tables = list(TABLES) if tiny_scorer.include_children else ["application_train", "application_test"]
    rs.ensure_store(demo_data_dir, tables, tmp_path)              # built here, not in a child process
    memory = Simulator(tiny_scorer, ClientRecords.load(demo_data_dir, tiny_scorer.include_children))
    store = Simulator(tiny_scorer, ClientRecords.load(demo_data_dir, tiny_scorer.include_children, tmp_path))
    for client in [int(c) for c in tiny_scorer.population.index[:8]]:
        asked = memory.levers(client)[CREDIT]
        assert store.levers(client) == memory.levers(client)
        a, b = memory.simulate(client, {CREDIT: asked / 2}), store.simulate(client, {CREDIT: asked / 2})
        assert a.score.probability == b.score.probability
    client = int(tiny_scorer.population.index[0])
    assert store.counter_offer(client) == memory.counter_offer(client)


def test_a_changed_data_file_invalidates_the_store(data_copy, tmp_path):
    cache = tmp_path / "cache"
    before = ClientRecords.load(data_copy, cache_dir=cache)
    client = _clients(before)[0]
    old_key = rs.store_key(data_copy, ALL)
    assert (cache / old_key).is_dir()

    path = data_copy / "application_train.parquet"
    frame = pd.read_parquet(path)
    frame.loc[frame["SK_ID_CURR"] == client, CREDIT] = 123_456.0
    frame.to_parquet(path, index=False)
    new_key = rs.store_key(data_copy, ALL)
    assert new_key != old_key

    after = ClientRecords.load(data_copy, cache_dir=cache)
    assert after.frames(client)["application_train"][CREDIT].iloc[0] == 123_456.0
    assert before.frames(client)["application_train"][CREDIT].iloc[0] != 123_456.0
    assert (cache / new_key).is_dir() and not (cache / old_key).exists()    # the stale store is removed


def test_the_key_follows_the_tables_asked_and_a_touched_file(data_copy):
    key = rs.store_key(data_copy, ALL)
    assert rs.store_key(data_copy, ALL) == key
    assert rs.store_key(data_copy, ["application_train", "application_test"]) != key
    st = (data_copy / "bureau.parquet").stat()
    os.utime(data_copy / "bureau.parquet", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert rs.store_key(data_copy, ALL) != key


def _break(folder: Path, how: str) -> None:
    target = folder / "installments_payments.arrow"
    if how == "flipped bytes":
        with open(target, "r+b") as fh:
            fh.seek(target.stat().st_size // 2)
            byte = fh.read(1)
            fh.seek(-1, os.SEEK_CUR)
            fh.write(bytes([byte[0] ^ 0xFF]))
    elif how == "truncated file":
        with open(target, "r+b") as fh:
            fh.truncate(target.stat().st_size // 2)
    elif how == "missing file":
        target.unlink()
    elif how == "missing manifest":
        (folder / rs.MANIFEST).unlink()
    elif how == "garbage manifest":
        (folder / rs.MANIFEST).write_text('{"format": 1, "tables": ', encoding="utf-8")
    elif how == "manifest of another store":
        manifest = json.loads((folder / rs.MANIFEST).read_text(encoding="utf-8"))
        (folder / rs.MANIFEST).write_text(json.dumps({**manifest, "key": "0" * 32}), encoding="utf-8")
    else:
        raise AssertionError(how)


@pytest.fixture(scope="module")
def built_cache(demo_data_dir, tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("built") / "cache"
    rs.ensure_store(demo_data_dir, ALL, cache)
    return cache


@pytest.mark.parametrize("how", ["flipped bytes", "truncated file", "missing file", "missing manifest",
                                 "garbage manifest", "manifest of another store"])
def test_a_damaged_store_is_rebuilt_never_served(demo_data_dir, in_memory, built_cache, tmp_path, how, capfd):
    cache = tmp_path / "cache"
    shutil.copytree(built_cache, cache)
    folder = cache / rs.store_key(demo_data_dir, ALL)
    rs.open_store(folder)
    _break(folder, how)
    with pytest.raises(rs._Corrupt):
        rs.open_store(folder)
    records = ClientRecords(rs.open_records(demo_data_dir, ALL, cache, in_process=True))
    assert "rejected" in capfd.readouterr().err
    for client in _clients(in_memory)[::97]:
        assert_same_frames(in_memory.frames(client), records.frames(client), thorough=False)
    rs.open_store(folder)                                        # verifies again
    assert sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) == [folder.name]


def test_a_half_written_build_is_never_read_and_is_cleared(demo_data_dir, tmp_path):
    """A build that died midway left only its temporary folder: no store is found, one is built, the
    leftovers go."""
    cache = tmp_path / "cache"
    key = rs.store_key(demo_data_dir, ALL)
    leftover = cache / f".{key}.999999.dead.tmp"
    leftover.mkdir(parents=True)
    (leftover / "application_train.arrow").write_bytes(b"ARROW1\0\0half")
    with pytest.raises(rs._Missing):
        rs.open_store(cache / key)
    folder, built = rs.ensure_store(demo_data_dir, ALL, cache)
    assert built and folder == cache / key and not leftover.exists()


def test_a_store_that_does_not_verify_once_rebuilt_is_an_error(demo_data_dir, tmp_path, monkeypatch):
    def never(folder, entry):
        raise rs._Corrupt(f"{folder / entry['name']} does not match its checksum")

    monkeypatch.setattr(rs, "_checked_file", never)
    with pytest.raises(rs.StoreError, match="does not verify once rebuilt.*checksum"):
        rs.open_records(demo_data_dir, ALL, tmp_path / "cache", in_process=True)


def test_a_second_build_of_a_store_keeps_the_first(demo_data_dir, tmp_path):
    """Two builders that both got past the lock's check (or no lock at all): the loser's rename fails,
    its temporary folder goes, the winner's store stays whole."""
    cache = tmp_path / "cache"
    first = rs.build_store(demo_data_dir, ALL, cache)
    manifest = (first / rs.MANIFEST).read_text(encoding="utf-8")
    assert rs.build_store(demo_data_dir, ALL, cache) == first
    assert (first / rs.MANIFEST).read_text(encoding="utf-8") == manifest
    assert [p.name for p in cache.iterdir()] == [first.name]
    rs.open_store(first)


def test_processes_building_at_once_build_one_store(demo_data_dir, tmp_path):
    cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "model.clients.records_store", "build", "--data-dir", str(demo_data_dir),
           "--cache-dir", str(cache), "--tables", ",".join(ALL), "--json"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    answers = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        answers.append(json.loads(out.strip().splitlines()[-1]))
    assert len({a["store"] for a in answers}) == 1
    assert sum(a["built"] for a in answers) == 1
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == [Path(answers[0]["store"]).name]
    rs.open_store(Path(answers[0]["store"]))


def test_a_bad_data_folder_is_the_loaders_error_from_the_child_process(data_copy, tmp_path):
    (data_copy / "application_train.parquet").unlink()
    with pytest.raises(DataError, match="application_train.*required file not found") as caught:
        rs.open_records(data_copy, ALL, tmp_path / "cache")
    assert not isinstance(caught.value, rs.StoreError)
    assert not any((tmp_path / "cache").glob("[!.]*"))


def test_the_build_child_leaves_the_models_libraries_alone():
    """The child a serving worker starts to build the store reads tables: importing it does not import
    scikit-learn or CatBoost (1.2 s of a core on every build)."""
    probe = ("import sys, model.clients.records_store; "
             "print(sorted({'sklearn', 'catboost', 'model.artifact'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_unwritable_cache_folder_is_a_clear_error(demo_data_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(rs.StoreError, match="RECORDS_CACHE_DIR"):
        rs.open_records(demo_data_dir, ALL, blocker / "cache", in_process=True)


def test_the_cache_folder_setting(tmp_path):
    s = get_settings({"INSTANCE_DIR": str(tmp_path)})
    assert s.records_cache_dir == tmp_path / "client-records"
    assert get_settings({"RECORDS_CACHE_DIR": str(tmp_path / "x")}).records_cache_dir == tmp_path / "x"
    assert get_settings({"RECORDS_CACHE_DIR": "none"}).records_cache_dir is None


def test_key_index_and_bounds():
    ids, ends = rs.key_index(np.array([3, 3, 5, 9, 9, 9]))
    assert ids.tolist() == [3, 5, 9] and ends.tolist() == [2, 3, 6]
    assert [rs._bounds(ids, ends, v) for v in (1, 3, 4, 5, 9, 10)] == [(0, 0), (0, 2), (2, 2), (2, 3), (3, 6), (6, 6)]
    ids, ends = rs.key_index(np.array([], dtype=np.int64))
    assert len(ids) == 0 and len(ends) == 0 and rs._bounds(ids, ends, 7) == (0, 0)
