"""The share of refused and referred files with a counter-offer, as the What-if screen quotes it:
``model.simulation.read_summary`` (the stored summary of *this* model, or nothing) and
``layouts.simulate.share_text`` (its sentence), issue 29. The sentences expected are written out by hand.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from layouts.simulate import share_text
from model.simulation import COUNTER_OFFERS_FILE, read_summary

UNKNOWN_FR = ("La part des refus pour lesquels une contre-proposition existe n'a pas encore été mesurée pour ce "
              "modèle (python -m model.simulation).")
UNKNOWN_EN = ("The share of refusals with a feasible counter-offer has not been measured for this model yet "
              "(python -m model.simulation).")
#: The sentences of :func:`measured_summary`, spaces of any width written as one.
MEASURED_FR = ("Mesuré sur des dossiers tirés au hasard : une contre-proposition accordée existe pour 45 % des 120 "
               "dossiers refusés (intervalle à 95 % : 36 % à 54 %) et pour 75 % des 80 dossiers à étudier "
               "(64 % à 84 %).")
MEASURED_EN = ("Measured on files drawn at random: a granted counter-offer exists for 45% of 120 refused files "
               "(95% interval: 36% to 54%) and for 75% of 80 referred files (64% to 84%).")


def measured_summary(model_version: str) -> dict[str, Any]:
    """A summary as ``python -m model.simulation`` writes it, with round figures."""
    return {"model_version": model_version, "sample": 120, "seed": 42,
            "by_decision": {"refused": {"clients": 900, "sampled": 120, "feasible": 54, "share": 0.45,
                                        "interval": [0.36, 0.54], "proposals_by_kind": {}},
                            "refer": {"clients": 300, "sampled": 80, "feasible": 60, "share": 0.75,
                                      "interval": [0.64, 0.84], "proposals_by_kind": {}}}}


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _write(folder: Path, content: str | bytes) -> None:
    path = folder / COUNTER_OFFERS_FILE
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def test_the_summary_of_this_model_is_read_and_any_other_is_not(tmp_path):
    assert read_summary(tmp_path, "v1") is None                                    # never measured
    assert read_summary(tmp_path / "missing", "v1") is None                        # no such folder
    summary = measured_summary("v1")
    _write(tmp_path, json.dumps(summary))
    assert read_summary(tmp_path, "v1") == summary
    assert read_summary(tmp_path, "v2") is None                                    # measured for another model
    _write(tmp_path, json.dumps({k: v for k, v in summary.items() if k != "model_version"}))
    assert read_summary(tmp_path, "v1") is None


@pytest.mark.parametrize("content", ["{", "", b"\xff\xfe{}", "{\"model_version\": \"v1\""])
def test_an_unreadable_summary_is_no_summary(tmp_path, content):
    _write(tmp_path, content)
    assert read_summary(tmp_path, "v1") is None


@pytest.mark.parametrize("content", [
    [1], "text", 3, None,                                                         # JSON, not an object
    {"model_version": "v1", "by_decision": [1]},
    {"model_version": "v1", "by_decision": {"refused": "many"}},
    {"model_version": "v1", "by_decision": {"refused": {"share": "x", "interval": [0, 1], "sampled": 5}}},
    {"model_version": "v1", "by_decision": {"refused": {"share": 0.4, "interval": 0.3, "sampled": 5}}},
])
def test_a_summary_of_another_shape_is_no_summary(tmp_path, content):
    """Valid JSON of another shape (a file edited by hand) raised AttributeError: a 500 on the What-if screen."""
    _write(tmp_path, json.dumps(content))
    assert read_summary(tmp_path, "v1") is None


def test_a_folder_in_place_of_the_file_is_no_summary(tmp_path):
    (tmp_path / COUNTER_OFFERS_FILE).mkdir()
    assert read_summary(tmp_path, "v1") is None


def test_the_sentence_quotes_both_shares_with_their_intervals():
    summary = measured_summary("v1")
    assert plain(share_text(summary, "fr")) == MEASURED_FR
    assert plain(share_text(summary, "en")) == MEASURED_EN


@pytest.mark.parametrize("summary", [
    None, {}, {"by_decision": {}},
    {"by_decision": {"refused": measured_summary("v")["by_decision"]["refused"]}},        # no referred files
    {"by_decision": {**measured_summary("v")["by_decision"],
                     "refer": {**measured_summary("v")["by_decision"]["refer"], "sampled": 0}}},
])
def test_without_both_measures_the_sentence_says_it_is_not_measured(summary):
    assert plain(share_text(summary, "fr")) == UNKNOWN_FR
    assert plain(share_text(summary, "en")) == UNKNOWN_EN


def test_what_the_command_writes_is_what_the_screen_reads(tiny_model_dir, tiny_scorer, demo_data_dir, tmp_path,
                                                          monkeypatch, capsys):
    """``python -m model.simulation`` on the tiny model, two files per decision: read back for its own
    model, sampled as asked, and not for another version."""
    from model.simulation import main

    monkeypatch.setenv("RECORDS_CACHE_DIR", str(tmp_path / "records"))
    assert main(["--model-dir", str(tiny_model_dir), "--data-dir", str(demo_data_dir), "--out", str(tmp_path),
                 "--sample", "2", "--seed", "3"]) == 0
    capsys.readouterr()
    stored = json.loads((tmp_path / COUNTER_OFFERS_FILE).read_text(encoding="utf-8"))
    summary = read_summary(tmp_path, tiny_scorer.version)
    assert summary == stored and summary["model_version"] == tiny_scorer.version
    assert {d: row["sampled"] for d, row in summary["by_decision"].items()} == {"refused": 2, "refer": 2}
    assert read_summary(tmp_path, tiny_scorer.version + "-other") is None
    assert plain(share_text(summary, "en")).startswith("Measured on files drawn at random: ")
