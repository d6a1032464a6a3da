"""The generated methodology note: its numbers are the artifact's, in French; missing inputs are said or refused."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from model.artifact import OOF_FILE, POPULATION_FILE, load_artifact
from model.reporting.methodology import CALIBRATION_FIGURE, COST_FIGURE, find_run, generate_report
from model.text.formatting import format_date, format_number
from model.text.labels import level_label

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _parts(text: str) -> tuple[str, str]:
    french, english = text.split("## English summary")
    return french, english


def _row(section: str, first_cell: str) -> list[str]:
    """Cells of the Markdown table row whose first cell is ``first_cell``."""
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no table row {first_cell!r}")


@pytest.fixture(scope="module")
def report(tiny_model_dir, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("report")
    out = out_dir / "docs" / "methodology.md"
    missing_store = out_dir / "nowhere" / "mlflow.db"
    facts = generate_report(tiny_model_dir, f"sqlite:///{missing_store}", out_dir / "no-drift", out,
                            out_dir / "docs" / "figures", now=NOW)
    return {"facts": facts, "text": out.read_text(encoding="utf-8"), "out": out, "store": missing_store}


def test_header_names_version_data_folder_and_date(report, tiny_model_dir):
    meta = load_artifact(tiny_model_dir).metadata
    head = report["text"].split("## Fiche synthétique")[0]
    assert meta.version in head and Path(meta.data_dir).name in head
    assert format_date(NOW, "fr") in head


def test_threshold_auc_and_cost_weights_are_the_artifacts_in_french(report, tiny_model_dir):
    art = load_artifact(tiny_model_dir)
    meta = art.metadata
    french, english = _parts(report["text"])
    oof = pd.read_parquet(art.extra(OOF_FILE))
    auc = meta.cv_metrics["chosen"]["auc"]
    assert auc == pytest.approx(roc_auc_score(oof["TARGET"], oof["PROBABILITY"]))   # stored AUC is the OOF one
    card = french.split("## Données")[0]
    assert _row(card, "Seuil de décision")[1].startswith(format_number(meta.threshold, "fr", 4))
    assert _row(card, "AUC hors pli")[1].startswith(format_number(auc, "fr", 4))
    weights = _row(card, "Coûts des erreurs")[1]
    assert re.search(rf"\(FN\)\s*:\s*{re.escape(format_number(meta.cost_weights['fn'], 'fr'))}\s*;", weights)
    assert re.search(rf"\(FP\)\s*:\s*{re.escape(format_number(meta.cost_weights['fp'], 'fr'))}$", weights)
    assert "," in format_number(meta.threshold, "fr", 4)                      # really the French form
    assert _row(english, "Decision threshold")[1].startswith(format_number(meta.threshold, "en", 4))
    assert _row(english, "Out-of-fold AUC")[1].startswith(format_number(auc, "en", 4))


def test_group_counts_match_the_oof_clients(report, tiny_model_dir):
    art = load_artifact(tiny_model_dir)
    oof = pd.read_parquet(art.extra(OOF_FILE))
    pop = pd.read_parquet(art.extra(POPULATION_FILE), columns=["CODE_GENDER", "DAYS_BIRTH"]).reindex(oof.index)
    french, _ = _parts(report["text"])
    gender = french.split("**Par sexe**")[1].split("**Par tranche d'âge**")[0]
    counts = pop["CODE_GENDER"].value_counts()
    assert counts.sum() == len(oof)
    for level in ("F", "M", "XNA"):
        n = int(counts.get(level, 0))
        defaults = int(oof["TARGET"][pop["CODE_GENDER"] == level].sum())
        cells = _row(gender, f"{level_label('CODE_GENDER', level, 'fr')} (`{level}`)")
        assert cells[1:3] == [format_number(n, "fr"), format_number(defaults, "fr")]
    ages = np.floor(-pop["DAYS_BIRTH"].to_numpy() / 365.25 + 1e-9)
    age = french.split("**Par tranche d'âge**")[1].split("## Calibration")[0]
    for label, lo, hi in (("<30 ans", 0, 30), ("30–39 ans", 30, 40), ("40–49 ans", 40, 50),
                          ("50–59 ans", 50, 60), ("60+ ans", 60, 200)):
        n = int(((ages >= lo) & (ages < hi)).sum())
        assert _row(age, label)[1] == format_number(n, "fr")


def test_french_body_has_no_english_decimals(report):
    french, english = _parts(report["text"])
    prose = re.sub(r"`[^`]*`|\]\([^)]*\)", "", french)        # code spans and links may hold versions, paths
    assert not re.findall(r"\d\.\d", prose)
    assert re.search(r"\d,\d", prose)
    assert re.search(r"\d\.\d", english)


def test_figures_are_written_and_linked(report):
    text, out = report["text"], report["out"]
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert {Path(link).name for link in links} == {CALIBRATION_FIGURE, COST_FIGURE}
    for link in links:
        assert (out.parent / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_calibration_and_fairness_come_from_out_of_fold_scores(report, tiny_model_dir):
    from sklearn.metrics import brier_score_loss

    oof = pd.read_parquet(load_artifact(tiny_model_dir).extra(OOF_FILE))
    french, _ = _parts(report["text"])
    brier = brier_score_loss(oof["TARGET"], oof["PROBABILITY"])
    assert _row(french, "Score de Brier")[1].startswith(format_number(brier, "fr", 4))
    calibration = french.split("## Calibration")[1].split("## Dérive")[0]
    counts = [int(line.split("|")[4].strip().replace("\u202f", "")) for line in calibration.splitlines()
              if re.match(r"\|\s*\d+\s*\|", line)]
    assert sum(counts) == len(oof)
    assert "hors pli" in french.split("## Équité")[1].split("**Par sexe**")[0]


def test_missing_store_and_drift_are_said_and_no_store_is_created(report):
    french, english = _parts(report["text"])
    tracking = french.split("## Traçabilité")[1].split("## Limites")[0]
    assert "Aucun run MLflow" in tracking and "n'existe pas" in tracking
    assert "Pas de résumé de dérive" in french
    assert "not found" in english
    assert not report["store"].exists() and not report["store"].parent.exists()


def test_mlflow_run_of_this_version_is_reported(tiny_model_dir, tmp_path):
    from mlflow.tracking import MlflowClient

    from model.cost import CostWeights
    from model.estimator import CatBoostParams
    from model.train import TrainConfig, TrainResult, _log_to_mlflow

    art = load_artifact(tiny_model_dir)
    meta = art.metadata
    oof = pd.read_parquet(art.extra(OOF_FILE))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    MlflowClient(tracking_uri=uri).create_experiment("test-report", artifact_location=str(tmp_path / "runs"))
    config = TrainConfig(data_dir=Path(meta.data_dir), model_dir=tiny_model_dir, tracking_uri=uri,
                         weights=CostWeights(**meta.cost_weights), folds=3, experiment="test-report")
    result = TrainResult(art.path, dict(meta.cv_metrics["chosen"]), dict(meta.cv_metrics["candidates"]),
                         {"total_s": 1.5}, oof=oof["PROBABILITY"].to_numpy())
    _log_to_mlflow(config, result, oof["TARGET"].to_numpy(), oof["PROBABILITY"].to_numpy(), CatBoostParams())
    run = MlflowClient(tracking_uri=uri).search_runs(
        [MlflowClient(tracking_uri=uri).get_experiment_by_name("test-report").experiment_id])[0]

    out = tmp_path / "methodology.md"
    generate_report(tiny_model_dir, uri, None, out, None, now=NOW)
    french, english = _parts(out.read_text(encoding="utf-8"))
    tracking = french.split("## Traçabilité")[1].split("## Limites")[0]
    assert run.info.run_id in tracking and "`test-report`" in tracking
    for metric in ("`auc`", "`threshold`", "`cost_per_client`"):
        assert _row(tracking, metric)[-1] == "oui"
    assert _row(tracking, "`total_s`")[1] == format_number(1.5, "fr", 1)
    assert _row(tracking, "`depth`")[1] == f"`{CatBoostParams().depth}`"
    assert run.info.run_id in english
    assert "Aucun run MLflow" not in french
    other = find_run(uri, "19990101-000000-deadbeef")
    assert not other.found and "no run" in other.note


def test_stale_drift_summary_is_flagged(tiny_model_dir, tmp_path):
    drift = tmp_path / "reports"
    drift.mkdir()
    summary = {"generated_at": "2026-11-20T08:00:00+00:00", "reference": {"rows": 3000, "table": "application_train"},
               "current": {"rows": 400, "kind": "data_folder", "table": "application_test"},
               "n_features_tested": 7, "n_drifted": 1, "share_drifted": 1 / 7, "dataset_drift": False,
               "dataset_drift_share": 0.5, "features": [],
               "drifted_features": [{"feature": "EXT_SOURCE_3", "label_fr": "Score externe n° 3", "test": "K-S",
                                     "score": 0.01, "threshold": 0.05}],
               "selection": {"model_version": "an-older-model", "importance_share_tested": 0.6}}
    (drift / "drift_summary.json").write_text(json.dumps(summary), encoding="utf-8")
    out = tmp_path / "methodology.md"
    generate_report(tiny_model_dir, None, drift, out, None, now=NOW)
    section = out.read_text(encoding="utf-8").split("## Dérive des données")[1].split("## Traçabilité")[0]
    assert "`an-older-model`" in section and "relancer" in section
    assert _row(section, "Score externe n° 3")[2] == format_number(0.01, "fr", 4)
    assert format_number(3000, "fr") in section and format_number(400, "fr") in section


def test_missing_oof_is_a_clean_error_and_keeps_the_old_document(tiny_model_dir, tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model_dir)
    version = (model_dir / "CURRENT").read_text().strip()
    (model_dir / version / OOF_FILE).unlink()
    out = tmp_path / "docs" / "methodology.md"
    out.parent.mkdir()
    out.write_text("old note\n", encoding="utf-8")
    figures = tmp_path / "docs" / "figures"
    proc = subprocess.run([sys.executable, "-m", "model.reporting", "--model-dir", str(model_dir), "--tracking-uri", "",
                           "--drift-dir", str(tmp_path / "none"), "--out", str(out), "--figures", str(figures)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert OOF_FILE in proc.stderr and "retrain" in proc.stderr
    assert out.read_text(encoding="utf-8") == "old note\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["methodology.md"]   # no figures, no temp file


def test_cli_writes_the_document(tiny_model_dir, tmp_path):
    out = tmp_path / "methodology.md"
    proc = subprocess.run([sys.executable, "-m", "model.reporting", "--model-dir", str(tiny_model_dir),
                           "--tracking-uri", "", "--drift-dir", str(tmp_path), "--out", str(out),
                           "--figures", str(tmp_path / "figures")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8").startswith("# Note méthodologique")
    assert (tmp_path / "figures" / CALIBRATION_FIGURE).exists()


def test_every_table_row_has_its_headers_cell_count(report):
    """A bare "|" inside a cell (e.g. "|SHAP|") silently shifts every column after it."""
    def cells(line: str) -> int:
        return len(re.split(r"(?<!\\)\|", line.strip())) - 2

    lines = report["text"].splitlines()
    tables = 0
    for i, line in enumerate(lines):
        if line.startswith("| ---") or line.startswith("| ---:"):
            continue
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("| ---"):
            tables += 1
            width, j = cells(line), i + 2
            while j < len(lines) and lines[j].startswith("|"):
                assert cells(lines[j]) == width, lines[j]
                j += 1
    assert tables >= 8


def test_top_features_are_listed_with_french_labels(report, tiny_model_dir):
    from model.artifact import GLOBAL_IMPORTANCE_FILE
    from model.text.labels import feature_label

    raw = json.loads(load_artifact(tiny_model_dir).extra(GLOBAL_IMPORTANCE_FILE).read_text(encoding="utf-8"))
    first = raw["importance"][0]
    section = report["text"].split("## Interprétabilité")[1].split("## Équité")[0]
    row = next(line for line in section.splitlines() if line.startswith("| 1 |"))
    assert feature_label(first["feature"], "fr") in row and f"`{first['feature']}`" in row
    assert format_number(first["mean_abs_shap"], "fr", 4) in row


def test_templates_use_only_the_context_and_real_facts():
    """Every branch of every template, read statically: a misspelt fact fails here, not on the day it is shown."""
    from dataclasses import fields

    from jinja2 import meta

    from model.reporting.facts import Facts
    from model.reporting.render import TEMPLATES, environment

    env = environment("fr")
    names = {f.name for f in fields(Facts)}
    for path in sorted(TEMPLATES.glob("*.j2")):
        source = path.read_text(encoding="utf-8")
        assert meta.find_undeclared_variables(env.parse(source)) <= {"f", "files", "cost_figure",
                                                                      "calibration_figure"}, path.name
        assert set(re.findall(r"\bf\.(\w+)", source)) <= names, path.name


def test_every_branch_renders_strictly_in_both_languages(report):
    """StrictUndefined renders of the facts with each optional part present and absent."""
    from dataclasses import replace

    from model.monitoring.fairness import GroupMetrics
    from model.reporting.facts import (
        DriftedFeature,
        DriftFacts,
        GroupGap,
        MetricCheck,
        SubsetFacts,
        Tracking,
        VersusLogistic,
    )
    from model.reporting.render import figure_text, render

    f = report["facts"]
    group = GroupMetrics("30-39", 120, 12, 0.1, 0.12, 0.7, 0.05, 0.3, 0.6, 0.25, 0.5)
    run = Tracking("sqlite:///x.db", True, "", experiment="exp", run_id="abc", run_name="v", started=NOW,
                   status="FINISHED", params={"depth": "4"}, metrics={"auc": f.auc, "time.total_s": 1.5}, n_runs=2)
    drift = DriftFacts(NOW, 3000.0, "application_train", 400.0, None, 7.0, 0.6, 1.0, 1 / 7, True, 0.5,
                       "another-model", True, [DriftedFeature("Score | externe", "K-S", 0.01, 0.05)], False)
    full = replace(f, is_demo=True, tracking=run, tracking_checks=[MetricCheck("auc", f.auc, f.auc, True)],
                   tracking_times=[("total_s", 1.5)], run_params=[("depth", "4")], drift=drift, drift_problem=None,
                   versus_logistic=VersusLogistic(-0.01, 0.5, -0.02), has_baselines=True,
                   subsets=[SubsetFacts(["bureau", "bureau_balance"], "ACTIVE", "CREDIT_ACTIVE == 'Active'")],
                   gender_gap=GroupGap(group, group, 0.7, False, None, 1.5), iterations_cap=100.0, cv_seconds=3.0,
                   threshold_reproduced=False, brier_above_prior=not f.brier_above_prior, balanced=True,
                   class_weights="balanced", base_probability=0.2, stored_keep=5, small_groups=[group],
                   empty_groups=["XNA"], sensitive_ranks=[("CODE_GENDER", 3)], platt_improves=True)
    bare = replace(f, tracking=Tracking(None, False, "no tracking store was given", problem="not_given"),
                   drift=None, drift_problem="not_given", has_baselines=False, versus_logistic=None, top_features=[],
                   children_share=None, base_probability=None, stored_keep=None, gender_gap=None, age_gap=None,
                   small_groups=[], empty_groups=[], sensitive_ranks=[], cost_nested=None, refit_ratio=None,
                   subsets=[], platt_improves=False, brier_above_prior=f.brier_above_prior)
    texts = {name: render(facts, {CALIBRATION_FIGURE: "figures/c.png", COST_FIGURE: "figures/t.png"})
             for name, facts in (("full", full), ("bare", bare))}
    for variant in (full, bare):
        assert all(figure_text(variant).__dict__.values())
    assert "différent de `metadata.json`" in texts["full"] and "`another-model`" in texts["full"]
    assert "Score \\| externe" in texts["full"] and "moins élevée" in texts["full"]
    assert "données de démonstration générées**" in texts["full"]
    assert "--no-baselines" in texts["bare"] and "aucun dossier de dérive" in texts["bare"]
    assert "pas de comparaison" in texts["bare"] and "aucun store de suivi" in texts["bare"]
    for text in texts.values():
        assert "None" not in text.replace("`None`", "") and text.endswith("\n") and not text.endswith("\n\n")


def test_the_package_code_holds_no_french_prose():
    """The words of the note are in the templates: a French string in the Python code is a sentence out of place."""
    import ast

    package = ROOT / "model" / "reporting"
    french = re.compile(r"[àâçéèêëîïôùûüœ«»]|\b(le|la|les|des|du|une|est|pour|aucun|selon|sur)\b", re.IGNORECASE)
    found = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and french.search(node.value):
                found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
    assert not found, found
