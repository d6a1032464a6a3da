"""Whether ``make run`` trains: ``model.artifact.needs_training`` and ``python -m model.artifact status``
(exit 0: the model fits the data folder, kept; exit 1: ``make run`` trains a new one), issue 29.

Each case starts from a copy of the session's tiny model; the reasons expected are written from what
the model's own ``metadata.json`` says, read here as JSON.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from model.artifact import CURRENT_FILE, METADATA_FILE, MODEL_FILE, needs_training, record_digests
from model.artifact.__main__ import main


@pytest.fixture
def model_dir(tiny_model_dir, tmp_path) -> Path:
    out = tmp_path / "model"
    shutil.copytree(tiny_model_dir, out)
    return out


def _version_dir(model_dir: Path) -> Path:
    return model_dir / (model_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()


def _metadata(model_dir: Path) -> dict:
    meta: dict = json.loads((_version_dir(model_dir) / METADATA_FILE).read_text(encoding="utf-8"))
    return meta


def _rewrite_metadata(model_dir: Path, **changes) -> None:
    """The model as a training with these metadata would have left it (digests recorded again)."""
    vdir = _version_dir(model_dir)
    (vdir / METADATA_FILE).write_text(json.dumps({**_metadata(model_dir), **changes}, indent=2), encoding="utf-8")
    record_digests(vdir)


def test_the_model_trained_on_the_folder_is_kept_however_the_folder_is_written(model_dir, demo_data_dir, tmp_path,
                                                                                monkeypatch):
    assert _metadata(model_dir)["data_dir"] == str(demo_data_dir.resolve())
    assert needs_training(model_dir, demo_data_dir) is None
    link = tmp_path / "data-link"
    link.symlink_to(demo_data_dir, target_is_directory=True)
    assert needs_training(model_dir, link) is None
    monkeypatch.chdir(demo_data_dir.parent)
    assert needs_training(model_dir, Path(demo_data_dir.name)) is None
    assert needs_training(model_dir, Path(".") / demo_data_dir.name / ".." / demo_data_dir.name) is None


def test_another_data_folder_needs_a_new_model(model_dir, tmp_path):
    other = tmp_path / "home-credit"
    other.mkdir()
    trained_on = _metadata(model_dir)["data_dir"]
    assert needs_training(model_dir, other) == f"the current model was trained on {trained_on}, not {other}"


def test_no_model_or_a_broken_one_needs_a_new_model(model_dir, tmp_path):
    missing, empty = tmp_path / "none", tmp_path / "empty"
    empty.mkdir()
    assert needs_training(missing, tmp_path) == f"no model at {missing}: train one with `python -m model.train`"
    assert needs_training(empty, tmp_path) == f"no model at {empty}: it has no {CURRENT_FILE} file and no {MODEL_FILE}"
    vdir = _version_dir(model_dir)
    data = bytearray((vdir / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF                                  # one byte changed on disk
    (vdir / MODEL_FILE).write_bytes(bytes(data))
    reason = needs_training(model_dir, tmp_path)
    assert reason is not None and reason.startswith(f"{vdir / MODEL_FILE}: damaged or changed since training")
    (vdir / MODEL_FILE).unlink()
    assert needs_training(model_dir, tmp_path) == f"incomplete model at {vdir}: {MODEL_FILE} is missing"


def test_a_model_of_other_features_needs_a_new_model(model_dir, demo_data_dir):
    features = _metadata(model_dir)["features"]
    assert needs_training(model_dir, demo_data_dir, list(features)) is None
    reason = needs_training(model_dir, demo_data_dir, list(reversed(features)))
    assert reason is not None and "same names, other order" in reason and reason.endswith("retrain the model")
    reason = needs_training(model_dir, demo_data_dir, [*features, "NEW_FEATURE"])
    assert reason is not None and "product only: ['NEW_FEATURE']" in reason


def test_a_model_that_does_not_say_where_it_was_trained_is_kept(model_dir, tmp_path):
    _rewrite_metadata(model_dir, data_dir="")
    assert needs_training(model_dir, tmp_path) is None


# --------------------------------------------------------------------------- the command make run calls

@pytest.fixture
def settings_env(monkeypatch):
    """The settings ``status`` reads beyond its arguments, at their defaults."""
    for name in ("EXCLUDED_ATTRIBUTES", "MODEL_DIR", "HOME_CREDIT_DIR", "DEMO_DIR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _status(model_dir: Path, data_dir: Path) -> int:
    return main(["status", "--model-dir", str(model_dir), "--data-dir", str(data_dir)])


def test_status_keeps_a_model_that_fits(model_dir, demo_data_dir, settings_env, capsys):
    assert _status(model_dir, demo_data_dir) == 0
    out = capsys.readouterr()
    assert out.out == f"model {_metadata(model_dir)['version']} is up to date for {demo_data_dir}\n" and out.err == ""


def test_status_asks_for_training_when_the_folder_or_the_model_differs(model_dir, demo_data_dir, tmp_path,
                                                                       settings_env, capsys):
    other = tmp_path / "kaggle"
    other.mkdir()
    assert _status(model_dir, other) == 1
    trained_on = _metadata(model_dir)["data_dir"]
    assert capsys.readouterr().err == f"training needed: the current model was trained on {trained_on}, not {other}\n"
    assert _status(tmp_path / "none", demo_data_dir) == 1
    assert capsys.readouterr().err.startswith(f"training needed: no model at {tmp_path / 'none'}")


def test_status_asks_for_training_when_the_settings_exclude_other_attributes(model_dir, demo_data_dir, settings_env,
                                                                             capsys):
    excluded = _metadata(model_dir)["excluded_attributes"]
    assert excluded                                       # the default settings exclude some attributes
    settings_env.setenv("EXCLUDED_ATTRIBUTES", "none")
    assert _status(model_dir, demo_data_dir) == 1
    assert capsys.readouterr().err == (f"training needed: the current model excludes {excluded}, "
                                       "the settings exclude none\n")


def test_status_asks_for_training_when_the_product_builds_other_features(model_dir, demo_data_dir, settings_env,
                                                                         capsys):
    _rewrite_metadata(model_dir, excluded_attributes=[])  # this product would now build the excluded ones too
    assert _status(model_dir, demo_data_dir) == 1
    assert capsys.readouterr().err == "training needed: the current model uses other features than this product builds\n"
