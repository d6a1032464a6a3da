"""What the server checks at start before it serves anyone (issue 28, items 2, 7, 8 and 9).

* the model's files against the SHA-256 digests recorded at training, before CatBoost parses
  ``model.cbm`` (a damaged file may otherwise be served, answer 500s, or crash CatBoost), and a few
  known clients scored again as at training;
* the model against the data folder served (a model of another folder: refused with one line);
* a damaged database or users file: one line naming the file, exit status 3, no traceback;
* the SQLite database and its ``-wal``/``-shm`` files: readable by their owner only (0600).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from model.artifact import (
    DIGESTS_FILE,
    METADATA_FILE,
    MODEL_FILE,
    ArtifactError,
    load_artifact,
    resolve_version_dir,
)
from model.monitoring.store import create_store_engine
from model.startup_checks import check_known_rows, check_served_data
from settings import ROOT
from tests.helpers import start_server_here


def _copy(model_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    return resolve_version_dir(copy)


def _flip(path: Path, offset: int, length: int = 8) -> None:
    data = bytearray(path.read_bytes())
    offset = min(offset, len(data) - length)
    for i in range(offset, offset + length):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------- item 2: digests

@pytest.mark.parametrize("name", [MODEL_FILE, METADATA_FILE])
@pytest.mark.parametrize("where", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_flipped_bytes_are_refused_naming_the_file(tiny_model_dir, tmp_path, name, where):
    vdir = _copy(tiny_model_dir, tmp_path)
    target = vdir / name
    _flip(target, int(where * target.stat().st_size))
    with pytest.raises(ArtifactError) as err:
        load_artifact(vdir)
    message = str(err.value)
    assert str(target) in message and "damaged or changed since training" in message, message
    assert "\n" not in message


@pytest.mark.parametrize("name", ["population.parquet", "scores.parquet", "leaf_shap.npz", "explanations.npz"])
def test_every_extra_is_checked_too(tiny_model_dir, tmp_path, name):
    vdir = _copy(tiny_model_dir, tmp_path)
    _flip(vdir / name, (vdir / name).stat().st_size // 2)
    with pytest.raises(ArtifactError, match=f"{name}: damaged or changed since training"):
        load_artifact(vdir)


def test_training_records_every_file(tiny_model_dir):
    vdir = resolve_version_dir(tiny_model_dir)
    recorded = json.loads((vdir / DIGESTS_FILE).read_text(encoding="utf-8"))
    assert recorded["algorithm"] == "sha256"
    on_disk = {p.relative_to(vdir).as_posix() for p in vdir.rglob("*") if p.is_file() and p.name != DIGESTS_FILE}
    assert set(recorded["files"]) == on_disk and {MODEL_FILE, METADATA_FILE} <= on_disk


def test_a_model_without_digests_is_refused_with_retrain(tiny_model_dir, tmp_path):
    vdir = _copy(tiny_model_dir, tmp_path)
    (vdir / DIGESTS_FILE).unlink()
    with pytest.raises(ArtifactError, match=f"has no {DIGESTS_FILE} .*retrain the model"):
        load_artifact(vdir)


@pytest.mark.parametrize("content", ["{broken", '{"algorithm": "md5", "files": {}}', '{"algorithm": "sha256", '
                                     '"files": {"model.cbm": "00"}}'])
def test_a_damaged_digests_file_is_refused(tiny_model_dir, tmp_path, content):
    vdir = _copy(tiny_model_dir, tmp_path)
    (vdir / DIGESTS_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(ArtifactError, match=DIGESTS_FILE):
        load_artifact(vdir)


def test_a_digest_mismatch_is_found_before_catboost_reads_the_file(tiny_model_dir, tmp_path, monkeypatch):
    from catboost import CatBoostClassifier

    vdir = _copy(tiny_model_dir, tmp_path)
    _flip(vdir / MODEL_FILE, 1000)
    parsed = []
    monkeypatch.setattr(CatBoostClassifier, "load_model", lambda *a, **k: parsed.append(a))
    with pytest.raises(ArtifactError, match="damaged"):
        load_artifact(vdir)
    assert parsed == []


def test_a_model_that_scores_otherwise_than_at_training_is_refused(tiny_scorer, monkeypatch):
    check_known_rows(tiny_scorer)      # the real model: as at training
    changed = tiny_scorer.scores.copy()
    changed["PROBABILITY"] = changed["PROBABILITY"] * 0.5
    monkeypatch.setattr(tiny_scorer, "scores", changed)
    with pytest.raises(ArtifactError, match=r"model.cbm: scores known client \d+ .* at training"):
        check_known_rows(tiny_scorer)


def test_a_model_that_cannot_score_is_refused(tiny_scorer, monkeypatch):
    from catboost import CatBoostError

    def fail(_x):
        raise CatBoostError("Key not found in hashtable")

    monkeypatch.setattr(tiny_scorer, "probability", fail)
    with pytest.raises(ArtifactError, match="model.cbm: cannot score a known client .Key not found"):
        check_known_rows(tiny_scorer)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "USERS_FILE")}
    return {**env, "INSTANCE_DIR": str(tmp_path / "instance"), "SCORING_LOG": "off",
            "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **extra}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``app.create_server()`` in a fresh process, as gunicorn's worker calls it."""
    return subprocess.run([sys.executable, "-c", "import app; app.create_server(); print('started')"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture
def start_here(monkeypatch, capsys) -> Callable[[dict[str, str]], subprocess.CompletedProcess[str]]:
    """:func:`tests.helpers.start_server_here`, for a refusal; the refusals CatBoost may crash on, and a
    start that succeeds, keep :func:`_start`."""
    return lambda env: start_server_here(monkeypatch, capsys, env)


def _one_line(run: subprocess.CompletedProcess[str], *words: str) -> str:
    assert run.returncode == 3, (run.returncode, run.stdout[-2000:], run.stderr[-3000:])
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr[-3000:]
    assert lines[0].startswith("cannot start: ") and all(w in lines[0] for w in words), lines[0]
    return lines[0]


def test_server_refuses_a_corrupted_model_with_one_line(tiny_model_dir, demo_data_dir, tmp_path):
    vdir = _copy(tiny_model_dir, tmp_path)
    _flip(vdir / MODEL_FILE, (vdir / MODEL_FILE).stat().st_size // 2)
    run = _start(_env(tmp_path, MODEL_DIR=str(vdir.parent), HOME_CREDIT_DIR=str(demo_data_dir)))
    _one_line(run, str(vdir / MODEL_FILE), "damaged or changed since training")


#: Run in a child process: for each variant, one byte range of model.cbm or metadata.json overwritten
#: with random bytes, then the artifact loaded as at start. Prints one line per variant before trying
#: it ("try i") and its outcome ("refused i", "same i", "different i"), so that a crash (a segfault in
#: CatBoost) is seen by the parent and counted against the variant being tried.
_FUZZ = textwrap.dedent("""
    import shutil, sys
    from pathlib import Path
    import numpy as np
    import model.artifact as artifact
    from model.artifact import ArtifactError, resolve_version_dir
    from model.startup_checks import check_known_rows
    from model.scoring import Scorer

    source, work, first, count, seed, skip_digests = sys.argv[1:7]
    if skip_digests == "1":           # what the product did before the digests (measurement only)
        artifact.check_digests = lambda _vdir: None
    source, work = Path(source), Path(work)
    reference = Scorer.load(source)
    rows = reference.population.iloc[:200]
    expected = reference.probability(rows)
    vdir = resolve_version_dir(work)
    rng = np.random.default_rng(int(seed))
    names = ["model.cbm", "metadata.json"]
    originals = {n: (resolve_version_dir(source) / n).read_bytes() for n in names}
    variants = [(names[i % 2], rng.random(), int(rng.integers(1, 65)), int(rng.integers(0, 2**31)))
                for i in range(int(first) + int(count))]
    for i in range(int(first), int(first) + int(count)):
        name, where, length, vseed = variants[i]
        for n in names:
            (vdir / n).write_bytes(originals[n])
        data = bytearray(originals[name])
        start = int(where * (len(data) - length))
        noise = np.random.default_rng(vseed).integers(0, 256, length, dtype=np.uint8).tobytes()
        if noise == bytes(data[start:start + length]):
            noise = bytes(b ^ 0xFF for b in noise)
        data[start:start + length] = noise
        (vdir / name).write_bytes(bytes(data))
        print(f"try {i} {name} {start} {length}", flush=True)
        try:
            scorer = Scorer.load(work)
            check_known_rows(scorer)
            got = scorer.probability(rows)
        except ArtifactError:
            print(f"refused {i}", flush=True)
            continue
        except Exception as exc:
            print(f"error {i} {type(exc).__name__}", flush=True)
            continue
        print(f"{'same' if np.array_equal(got, expected) else 'different'} {i}", flush=True)
""")


def run_fuzz(model_dir: Path, work: Path, variants: int = 200, seed: int = 28,
             skip_digests: bool = False) -> dict[str, int]:
    """Counts of outcomes over ``variants`` corrupted copies; a crashed child is restarted after the
    variant it was trying (counted as ``crashed``)."""
    shutil.copytree(model_dir, work)
    counts = {"refused": 0, "same": 0, "different": 0, "error": 0, "crashed": 0}
    first = 0
    while first < variants:
        run = subprocess.run([sys.executable, "-c", _FUZZ, str(model_dir), str(work), str(first),
                              str(variants - first), str(seed), "1" if skip_digests else "0"],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
                             capture_output=True, text=True, timeout=1800)
        tried = None
        for line in run.stdout.splitlines():
            word, _, rest = line.partition(" ")
            if word == "try":
                tried = int(rest.split()[0])
            elif word in counts:
                counts[word] += 1
                tried = None
        if run.returncode == 0:
            break
        assert tried is not None, run.stderr[-3000:]      # died outside a variant: a bug of the harness
        counts["crashed"] += 1
        first = tried + 1
    return counts


def test_fuzz_corrupted_byte_ranges_are_refused_or_score_the_same(tiny_model_dir, tmp_path):
    """Issue 28's goal: any single corrupted byte range of model.cbm or metadata.json is refused at
    start or gives identical scores; never a crash, an error later or a different score."""
    counts = run_fuzz(tiny_model_dir, tmp_path / "work")
    print(f"fuzz of 200 corrupted byte ranges: {counts}")
    assert sum(counts.values()) == 200, counts
    assert counts["crashed"] == counts["error"] == counts["different"] == 0, counts


# --------------------------------------------------------------------------- item 9: model vs data

@pytest.fixture(scope="module")
def other_data_dir(tmp_path_factory) -> Path:
    """Another generated folder: fewer clients, another seed."""
    from data.generate import generate_tables, write_tables

    out = tmp_path_factory.mktemp("other-data")
    write_tables(generate_tables(800, 100, seed=11), out, fmt="csv")
    return out


def test_a_model_of_another_data_folder_is_refused(tiny_scorer, demo_data_dir, other_data_dir):
    check_served_data(tiny_scorer, demo_data_dir)      # its own data: served
    with pytest.raises(ArtifactError) as err:
        check_served_data(tiny_scorer, other_data_dir)
    message = str(err.value)
    assert "was trained on" in message and "in no application file of" in message and str(other_data_dir) in message
    assert "\n" not in message


def test_a_copy_of_the_data_at_another_path_is_served(tiny_scorer, demo_data_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_data_dir, copy)
    check_served_data(tiny_scorer, copy)


def test_server_refuses_a_model_of_another_data_folder(tiny_model_dir, other_data_dir, tmp_path, start_here):
    run = start_here(_env(tmp_path, MODEL_DIR=str(tiny_model_dir), HOME_CREDIT_DIR=str(other_data_dir)))
    _one_line(run, "in no application file of", str(other_data_dir))


# --------------------------------------------------------------------------- item 7: database, users file

def _database(instance: Path) -> Path:
    engine = create_store_engine(f"sqlite:///{instance / 'product.db'}")
    engine.dispose()
    return instance / "product.db"


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_server_refuses_a_broken_database_with_one_line(tiny_model_dir, demo_data_dir, tmp_path, damage, start_here):
    db = _database(tmp_path / "instance")
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3] if damage == "truncated" else b"not a database at all" * 300)
    run = start_here(_env(tmp_path, MODEL_DIR=str(tiny_model_dir), HOME_CREDIT_DIR=str(demo_data_dir)))
    _one_line(run, str(db))


@pytest.mark.parametrize("content", ["{broken", "[1, 2]", '{"demo": "plain-text password"}'])
def test_server_refuses_a_broken_users_file_with_one_line(tiny_model_dir, demo_data_dir, tmp_path, content,
                                                         start_here):
    users = tmp_path / "users.json"
    users.write_text(content, encoding="utf-8")
    run = start_here(_env(tmp_path, MODEL_DIR=str(tiny_model_dir), HOME_CREDIT_DIR=str(demo_data_dir),
                      USERS_FILE=str(users)))
    _one_line(run, str(users))


def test_server_starts_with_sound_files(tiny_model_dir, demo_data_dir, tmp_path):
    run = _start(_env(tmp_path, MODEL_DIR=str(tiny_model_dir), HOME_CREDIT_DIR=str(demo_data_dir)))
    assert run.returncode == 0 and "started" in run.stdout, run.stderr[-3000:]


# --------------------------------------------------------------------------- item 8: file mode

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_its_wal_files_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        db = tmp_path / "instance" / "product.db"
        engine = create_store_engine(f"sqlite:///{db}")
        with engine.begin() as conn:       # a write: the -wal and -shm files exist while connected
            conn.exec_driver_sql("SELECT 1")
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        companions = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
        assert all(p.exists() for p in companions)
        assert {p.name: _mode(p) for p in (db, *companions)} == {p.name: 0o600 for p in (db, *companions)}
        engine.dispose()
    finally:
        os.umask(old)


def test_a_world_readable_database_is_made_private_at_start(tmp_path):
    db = tmp_path / "product.db"
    sqlite3.connect(db).close()
    (tmp_path / "product.db-wal").write_bytes(b"")
    for p in (db, tmp_path / "product.db-wal"):
        os.chmod(p, 0o644)
    create_store_engine(f"sqlite:///{db}").dispose()
    assert _mode(db) == 0o600
    wal = tmp_path / "product.db-wal"
    assert not wal.exists() or _mode(wal) == 0o600

