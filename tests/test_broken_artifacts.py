"""A damaged model artifact stops every entry point with one line naming the file and the problem.

Each case copies the tiny model, damages one file, and checks the error itself, a CLI that loads the
model (``python -m model.simulation``), ``app.create_server()`` and, once, a real gunicorn.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import app
from model.artifact import ArtifactError, record_digests, resolve_version_dir
from model.scoring import Scorer
from settings import ROOT
from tests.helpers import start_server_here


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit_metadata(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        change(raw)
        path.write_text(json.dumps(raw), encoding="utf-8")
    return edit


#: (test id, file damaged, how, words the one line must hold besides the file name)
CASES = [
    ("truncated-population", "population.parquet", _truncate, "not a readable Parquet file"),
    ("garbage-population", "population.parquet", lambda p: p.write_bytes(b"PAR1 garbage"), "Parquet"),
    ("truncated-model", "model.cbm", _truncate, "not a readable CatBoost model"),
    ("garbage-model", "model.cbm", lambda p: p.write_bytes(b"not a model at all"), "not a readable CatBoost model"),
    ("bad-json", "metadata.json", lambda p: p.write_text("{broken", encoding="utf-8"), "not valid JSON"),
    ("threshold-abc", "metadata.json", _edit_metadata(lambda m: m.update(threshold="abc")),
     "field 'threshold' must be a number, got \"abc\""),
    ("features-not-list", "metadata.json", _edit_metadata(lambda m: m.update(features="AMT")),
     "field 'features' must be a list of strings"),
    ("cost-weights-text", "metadata.json", _edit_metadata(lambda m: m["cost_weights"].update(fn="ten")),
     "field 'cost_weights' must be an object of numbers"),
    ("missing-field", "metadata.json", _edit_metadata(lambda m: m.pop("features")), "missing field 'features'"),
    ("missing-scores", "scores.parquet", lambda p: p.unlink(), "scores.parquet is missing"),
    ("missing-model", "model.cbm", lambda p: p.unlink(), "model.cbm is missing"),
    ("bad-importance", "global_importance.json", lambda p: p.write_text("[1, 2", encoding="utf-8"),
     "unreadable global importance"),
    ("truncated-explanations", "explanations.npz", _truncate, "unreadable stored explanations"),
    ("truncated-leaf-shap", "leaf_shap.npz", _truncate, "unreadable TreeSHAP table"),
]


@pytest.fixture
def broken(request, tiny_model_dir, tmp_path) -> tuple[Path, str, str]:
    """A copy of the tiny model with one file damaged: (model dir, file name, expected words)."""
    _, name, damage, words = request.param
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    target = resolve_version_dir(copy) / name
    assert target.exists() or damage is None, f"the tiny model has no {name}"
    damage(target)
    # digests recorded again: the damage is past the digest check (tests/test_startup_checks.py), as for a
    # model trained or copied broken, so each later check is still the one that answers
    record_digests(target.parent)
    return copy, name, words


def _cases():
    return pytest.mark.parametrize("broken", CASES, ids=[c[0] for c in CASES], indirect=True)


@_cases()
def test_error_names_file_and_problem(broken):
    model_dir, name, words = broken
    with pytest.raises(ArtifactError) as err:
        Scorer.load(model_dir)
    message = str(err.value)
    assert name in message and words in message, message
    assert "\n" not in message


def _env(model_dir: Path, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "MODEL_DIR": str(model_dir), "INSTANCE_DIR": str(tmp_path / "instance"),
            "SCORING_LOG": "off", "PYTHONPATH": str(ROOT)}


@_cases()
def test_cli_one_line_no_traceback(broken, tmp_path, monkeypatch, capsys):
    """The command's own answer, in the test's process (a fresh interpreter per case cost 1.5 s of a core
    and checks what :func:`test_the_cli_process_prints_one_line_and_exits_2` checks once per file kind)."""
    from model import simulation

    model_dir, name, words = broken
    for key, value in _env(model_dir, tmp_path).items():
        monkeypatch.setenv(key, value)
    code = simulation.main(["--model-dir", str(model_dir), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and words in lines[0], err


#: one damaged file of each kind (Parquet, CatBoost, JSON, NumPy) for the command run as users run it
PROCESS_CASES = [c for c in CASES if c[0] in ("truncated-population", "garbage-model", "bad-json",
                                              "bad-importance", "truncated-leaf-shap")]


@pytest.mark.parametrize("broken", PROCESS_CASES, ids=[c[0] for c in PROCESS_CASES], indirect=True)
def test_the_cli_process_prints_one_line_and_exits_2(broken, tmp_path):
    """A fresh interpreter, as users run the command: nothing but the one line reaches stderr, up to the
    process's exit (Arrow's I/O threads once aborted the exit with a C++ message under it)."""
    model_dir, name, words = broken
    run = subprocess.run([sys.executable, "-m", "model.simulation", "--model-dir", str(model_dir),
                          "--out", str(tmp_path / "out")],
                         cwd=ROOT, env=_env(model_dir, tmp_path), capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and words in lines[0], run.stderr


@_cases()
def test_create_server_exits_3_with_one_line(broken, tmp_path, monkeypatch, capsys):
    model_dir, name, words = broken
    run = start_server_here(monkeypatch, capsys, _env(model_dir, tmp_path))
    assert run.returncode == app.WORKER_BOOT_ERROR == 3
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and words in lines[0], lines


@pytest.mark.parametrize("broken", [CASES[0]], ids=[CASES[0][0]], indirect=True)
def test_gunicorn_stops_without_traceback(broken, tmp_path):
    model_dir, name, _ = broken
    gunicorn = Path(sys.executable).with_name("gunicorn")
    run = subprocess.run([str(gunicorn), "--workers", "1", "--bind", "127.0.0.1:0", "app:create_server()"],
                         cwd=ROOT, env=_env(model_dir, tmp_path), capture_output=True, text=True, timeout=120)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "Traceback" not in output, output
    assert name in output and "Worker failed to boot" in output, output
