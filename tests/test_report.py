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

from model import validation
from model.artifact import OOF_FILE, POPULATION_FILE, SCORES_FILE, load_artifact
from model.decision import REFER, DecisionRule
from model.grades import MasterScale
from model.reporting.methodology import CALIBRATION_FIGURE, COST_FIGURE, find_run, generate_report
from model.text.formatting import format_date, format_number, format_percent
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
    # the note's times are labelled UTC and written in UTC (the screens show the bank's clock instead)
    assert "23/11/2026 09:30 (UTC)" in head and format_date(NOW, "fr") not in head


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
    age = french.split("**Par tranche d'âge**")[1].split("## Validation")[0]
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
    calibration = french.split("### Calibration\n")[1].split("### Échelle")[0]
    for title in ("**Avant calibration (score brut)**", "**Après calibration (PD)**"):
        table = calibration.split(title)[1].split("\n\n")[1]
        counts = [int(line.split("|")[2].strip().replace("\u202f", "")) for line in table.splitlines()
                  if re.match(r"\|\s*\d+\s*\|", line)]
        assert len(counts) == 10 and sum(counts) == len(oof)
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
    logged = MlflowClient(tracking_uri=uri).get_run(run.info.run_id).data.metrics
    assert logged["validation.auc"] == pytest.approx(validation.auc(oof["TARGET"], oof["PROBABILITY"]))
    assert logged["validation.gini"] == pytest.approx(2 * logged["validation.auc"] - 1)
    assert logged["auc"] == pytest.approx(meta.cv_metrics["chosen"]["auc"])       # training's metric untouched
    assert {f"validation.{k}" for k in ("auc_ci_low", "auc_ci_high", "ks", "ece", "brier", "hl_p", "spiegelhalter_p",
                                        "calibration_slope", "calibration_intercept", "psi_score", "n_grades",
                                        "refer_share")} <= set(logged)
    assert "ont été enregistrées dans le run" in french.split("### Enregistrement dans MLflow")[1]
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
    from model.reporting.comparison_facts import Comparison, MeanInterval, SeedComparison, SettingGap
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
    spread = MeanInterval(0.001, -0.002, 0.004, 0.0007)
    comparison = Comparison("reports/y.json", "../elsewhere", False, 5,
                            [SeedComparison(1, 0.75, 0.74, 0.01, 0.5, 0.51, -0.01)] * 2, spread, spread, spread,
                            spread, spread, spread, "reference", "product", True,
                            [SettingGap("include_children", "false", "true"), SettingGap("rsm", "0.5", "")])
    full = replace(f, is_demo=True, tracking=run, comparison=comparison, tracking_checks=[MetricCheck("auc", f.auc, f.auc, True)],
                   tracking_times=[("total_s", 1.5)], run_params=[("depth", "4")], drift=drift, drift_problem=None,
                   versus_logistic=VersusLogistic(-0.01, 0.5, -0.02), has_baselines=True,
                   subsets=[SubsetFacts(["bureau", "bureau_balance"], "ACTIVE", "CREDIT_ACTIVE == 'Active'")],
                   gender_gap=GroupGap(group, group, 0.7, False, None, 1.5), iterations_cap=100.0, cv_seconds=3.0,
                   threshold_reproduced=False, brier_above_prior=not f.brier_above_prior, balanced=True,
                   class_weights="balanced", base_probability=0.2, stored_keep=5, small_groups=[group],
                   empty_groups=["XNA"], sensitive_ranks=[("CODE_GENDER", 3)],
                   validation=replace(f.validation, mlflow_logged=True, rejected=["A"], refer_low=f.threshold,
                                      refer_high=f.threshold, has_band=False, excluded=["CODE_GENDER", "X"]))
    bare = replace(f, tracking=Tracking(None, False, "no tracking store was given", problem="not_given"),
                   drift=None, drift_problem="not_given", has_baselines=False, versus_logistic=None, top_features=[],
                   children_share=None, base_probability=None, stored_keep=None, gender_gap=None, age_gap=None,
                   small_groups=[], empty_groups=[], sensitive_ranks=[], cost_nested=None, refit_ratio=None,
                   subsets=[], brier_above_prior=f.brier_above_prior,
                   validation=replace(f.validation, n_new=0, psi_score=None, psi_features=[], grades=[],
                                      rejected=[], refer_low=None, refer_high=None, has_band=False, excluded=[],
                                      calibration_by_gender=[], calibration_by_age=[]))
    texts = {name: render(facts, {CALIBRATION_FIGURE: "figures/c.png", COST_FIGURE: "figures/t.png"})
             for name, facts in (("full", full), ("bare", bare))}
    for variant in (full, bare):
        assert all(figure_text(variant).__dict__.values())
    assert "différent de `metadata.json`" in texts["full"] and "`another-model`" in texts["full"]
    assert "Score \\| externe" in texts["full"] and "moins élevée" in texts["full"]
    assert "données de démonstration générées**" in texts["full"]
    assert "--no-baselines" in texts["bare"] and "aucun dossier de dérive" in texts["bare"]
    assert "Aucune nouvelle demande" in texts["bare"] and "no new applications" in texts["bare"]
    assert "`master_scale` absent" in texts["bare"] and "`decision_rule` absent" in texts["bare"]
    assert "sous le préfixe `validation.`" in texts["full"] and "Pas de bande de renvoi" in texts["full"]
    assert "**PD sous-estimée**" in texts["full"]
    assert "pas de comparaison" in texts["bare"] and "aucun store de suivi" in texts["bare"]
    assert "l'usage des tables d'historique (mesure : `false`" in _sp(texts["full"])
    assert "la référence devance le produit" in texts["full"]
    assert "`rsm` (mesure : `0.5`, modèle : `—`)" in _sp(texts["full"])
    assert "Aucune comparaison appariée" in texts["bare"] and "none supplied" in texts["bare"]
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


def _sp(cell: str) -> str:
    """A cell with French typography's no-break spaces as plain spaces."""
    return cell.replace("\u202f", " ").replace("\u00a0", " ")


def _section(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_validation_discrimination_and_calibration_match_direct_computations(report, tiny_model_dir):
    art = load_artifact(tiny_model_dir)
    meta, oof = art.metadata, pd.read_parquet(art.extra(OOF_FILE))
    y, p, raw = oof["TARGET"], oof["PROBABILITY"], oof["RAW_PROBABILITY"]
    french, english = _parts(report["text"])
    section = _section(french, "## Validation\n", "## Dérive")
    auc, lo, hi = validation.auc_with_ci(y, p, 1000, 0)
    assert auc == pytest.approx(validation.auc(y, p))
    assert _row(section, "AUC")[1] == format_number(auc, "fr", 4)
    assert _sp(_row(section, "Intervalle de confiance à 95 % de l'AUC")[1]) == \
        f"[{format_number(lo, 'fr', 4)} ; {format_number(hi, 'fr', 4)}]"
    assert _row(section, "Gini (2 × AUC − 1)")[1] == format_number(validation.gini(auc), "fr", 4)
    assert _row(section, "Kolmogorov-Smirnov (KS)")[1] == format_number(validation.ks_statistic(y, p), "fr", 4)
    ece = _row(section, "Erreur de calibration attendue (ECE)")
    assert ece[1:] == [format_number(validation.expected_calibration_error(y, raw), "fr", 4),
                       format_number(validation.expected_calibration_error(y, p), "fr", 4)]
    stat, hl_p = validation.hosmer_lemeshow(y, p)
    hl = next(line for line in section.splitlines() if line.startswith("| Hosmer-Lemeshow"))
    assert format_number(stat, "fr", 2) in hl and format_number(hl_p, "fr", 4) in hl
    z, z_p = validation.spiegelhalter(y, p)
    assert _row(section, "Spiegelhalter (z)")[1:] == [format_number(z, "fr", 2), format_number(z_p, "fr", 4)]
    intercept, slope = validation.calibration_intercept_slope(y, p)
    assert _row(section, "Pente de calibration (idéal 1)")[1] == format_number(slope, "fr", 3)
    assert _row(section, "Ordonnée à l'origine de calibration (idéal 0)")[1] == format_number(intercept, "fr", 3)
    chosen = meta.cv_metrics["chosen"]
    assert f"**{meta.calibration['method']}**" in section
    for method, loss in chosen["calibration_log_loss"].items():
        assert _row(section, f"`{method}`" + (" **(retenue)**" if method == chosen["calibration"] else ""))[1] \
            == format_number(loss, "fr", 4)
    theoretical = meta.cost_weights["fp"] / (meta.cost_weights["fp"] + meta.cost_weights["fn"])
    assert f"**{format_number(theoretical, 'fr', 4)}**" in section
    assert f"**{format_number(meta.threshold, 'fr', 4)}**" in section
    for title, scores in (("**Avant calibration (score brut)**", raw), ("**Après calibration (PD)**", p)):
        table = section.split(title)[1].split("\n\n")[1]
        for i, (mean, rate, n) in enumerate(validation.reliability_curve(y, scores, 10), start=1):
            assert _row(table, str(i))[1:4] == [format_number(n, "fr"), format_percent(mean, "fr", 2),
                                                 format_percent(rate, "fr", 2)]
    assert _row(english, "AUC (95% stratified bootstrap CI, 1,000 replicates)")[1] == \
        f"{format_number(auc, 'en', 4)} [{format_number(lo, 'en', 4)}; {format_number(hi, 'en', 4)}]"


def test_validation_grades_and_referral_band_are_the_artifacts(report, tiny_model_dir):
    art = load_artifact(tiny_model_dir)
    meta, oof = art.metadata, pd.read_parquet(art.extra(OOF_FILE))
    section = _section(_parts(report["text"])[0], "### Échelle de notation", "### Stabilité")
    scale = MasterScale.from_dict(meta.master_scale)
    for g in scale.table():
        cells = _row(section, g["grade"])
        assert cells[1:8] == [format_percent(g["pd_lower"], "fr", 2), format_percent(g["pd_upper"], "fr", 2),
                              format_number(g["clients"], "fr"), format_number(g["defaults"], "fr"),
                              format_percent(g["mean_pd"], "fr", 2), format_percent(g["default_rate"], "fr", 2),
                              format_number(g["jeffreys_p_value"], "fr", 4)]
    assert sum(scale.clients) == len(oof)
    rejected = [g for g, pv in zip(scale.labels, scale.p_value) if pv < 0.05 / len(scale.labels)]
    assert ("Aucune classe n'est rejetée" in section) == (not rejected)
    rule = DecisionRule.from_dict(meta.decision_rule)
    band = rule.decide_all(oof["PROBABILITY"]) == REFER
    direct = ((oof["PROBABILITY"] >= rule.refer_low) & (oof["PROBABILITY"] < rule.refer_high)).to_numpy()
    assert (band == direct).all() and band.any()
    assert _row(section, "Part des clients renvoyés")[1] == format_percent(band.mean(), "fr", 2)
    assert _row(section, "Clients renvoyés (hors pli)")[1] == format_number(int(band.sum()), "fr")
    assert _row(section, "Taux de défaut observé des clients renvoyés")[1] == \
        format_percent(oof["TARGET"][band].mean(), "fr", 2)
    assert _sp(_row(section, "Bornes de PD")[1]) == \
        f"[{format_number(rule.refer_low, 'fr', 4)} ; {format_number(rule.refer_high, 'fr', 4)}["
    assert meta.cv_metrics["chosen"]["refer_share"] == pytest.approx(band.mean())


def test_validation_stability_groups_and_excluded_attributes(report, tiny_model_dir):
    art = load_artifact(tiny_model_dir)
    meta, oof = art.metadata, pd.read_parquet(art.extra(OOF_FILE))
    french, english = _parts(report["text"])
    stability = _section(french, "### Stabilité", "### Calibration par groupe")
    scores = pd.read_parquet(art.extra(SCORES_FILE))
    new = scores["TARGET"].isna()
    assert new.any()
    value = validation.psi(scores.loc[~new, "PROBABILITY"].astype("float64"),
                           scores.loc[new, "PROBABILITY"].astype("float64"))
    reading = {"stable": "stable", "moderate": "dérive modérée", "significant": "**dérive forte**"}
    assert _row(stability, "PD (score calibré)")[2:4] == [format_number(value, "fr", 4),
                                                           reading[validation.psi_band(value)]]
    codes = [line.split("|")[2].strip() for line in stability.splitlines() if line.startswith("| ") and "`" in line]
    ranked = [r["feature"] for r in json.loads(art.extra("global_importance.json").read_text())["importance"]]
    assert codes[1:] == [f"`{c}`" for c in ranked[:20]]
    assert "0,10" in stability and "0,25" in stability
    pop = pd.read_parquet(art.extra(POPULATION_FILE), columns=["CODE_GENDER", "DAYS_BIRTH"]).reindex(oof.index)
    groups = _section(french, "### Calibration par groupe", "### Attributs exclus")
    scale = MasterScale.from_dict(meta.master_scale)
    gender = groups.split("**Calibration par sexe**")[1].split("**Calibration par tranche d'âge**")[0]
    for level in ("F", "M"):
        m = (pop["CODE_GENDER"] == level).to_numpy()
        y, p = oof["TARGET"][m], oof["PROBABILITY"][m]
        cells = _row(gender, f"{level_label('CODE_GENDER', level, 'fr')} (`{level}`)")
        assert cells[1:6] == [format_number(int(m.sum()), "fr"), format_number(int(y.sum()), "fr"),
                              format_percent(p.mean(), "fr", 2), format_percent(y.mean(), "fr", 2),
                              format_number(validation.expected_calibration_error(y, p), "fr", 4)]
        grades = scale.grades_of(p)
        assert cells[6:] == [format_percent(float(np.mean(grades == g)), "fr", 1) for g in scale.labels]
    age = groups.split("**Calibration par tranche d'âge**")[1]
    assert len(_row(age, "<30 ans")) == 6 + len(scale.labels)
    assert "CODE_GENDER" in meta.excluded_attributes and "CODE_GENDER" not in meta.features
    excluded = _section(french, "### Attributs exclus des entrées", "### Enregistrement")
    names = ", ".join(f"`{a}`" for a in meta.excluded_attributes)
    plural = len(meta.excluded_attributes) > 1
    assert f"{names} {'ne sont pas des entrées' if plural else 'n’est pas une entrée'}".replace("’", "'") \
        + " du modèle" in excluded and "équité" in excluded
    logged = _section(french, "### Enregistrement dans MLflow", "## Dérive")
    assert "n'ont été enregistrées nulle part" in logged
    assert _row(english, "Validation metrics logged to MLflow")[1] == "no (no tracking run)"
    assert _row(english, "Excluded from the inputs (kept for fairness)")[1] == ", ".join(
        f"`{a}`" for a in meta.excluded_attributes)
    for lib in ("scikit-learn", "SciPy", "statsmodels"):
        assert lib in french and lib in english


def test_no_stale_claim_that_the_score_is_only_a_ranking(report):
    text = report["text"]
    for stale in ("ne sont pas des probabilités de défaut", "not probabilities of default", "Platt recalibration",
                  "recalibration de Platt", "Ajouter une étape de recalibration", "after Platt",
                  "un modèle sans `CODE_GENDER` est à évaluer", "uses sex and age directly"):
        assert stale not in text, stale
    assert "PD calibrée" in text


# ---------------------------------------------------------------- paired comparison with the reference

#: A hand-made `benchmarks/yardstick.py --json` file: the product ahead on AUC, a tie on cost (seed order shuffled).
YARDSTICK_ROWS = [
    {"seed": 2, "product_auc": 0.7520, "reference_auc": 0.7460, "product_nested_cost": 0.5500,
     "reference_nested_cost": 0.5450, "product_ece": 0.004, "product_iterations": [300, 250], "seconds": [90, 30]},
    {"seed": 1, "product_auc": 0.7500, "reference_auc": 0.7450, "product_nested_cost": 0.5400,
     "reference_nested_cost": 0.5500, "product_ece": 0.004, "product_iterations": [310, 240], "seconds": [95, 31]},
    {"seed": 3, "product_auc": 0.7490, "reference_auc": 0.7450, "product_nested_cost": 0.5450,
     "reference_nested_cost": 0.5480, "product_ece": 0.003, "product_iterations": [280, 260], "seconds": [92, 29]},
]
#: Student's t quantile 0.975 at 2 degrees of freedom (3 seeds), from the tables.
T_975_2DF = 4.302652729749464


def _yardstick(path: Path, data_dir: str, **args: object) -> Path:
    path.write_text(json.dumps({"rows": YARDSTICK_ROWS, "args": {"data_dir": data_dir, "seeds": [2, 1, 3], "folds": 5,
                                                                 "json": None, **args}}), encoding="utf-8")
    return path


def _by_hand(values: list[float]) -> tuple[float, float, float, float]:
    """Mean, 95 % interval bounds and standard error of three replicates, written out."""
    mean = sum(values) / 3
    se = (sum((v - mean) ** 2 for v in values) / 2) ** 0.5 / 3 ** 0.5
    return mean, mean - T_975_2DF * se, mean + T_975_2DF * se, se


def test_paired_comparison_states_the_yardsticks_numbers(tiny_model_dir, tmp_path):
    meta = load_artifact(tiny_model_dir).metadata
    path = _yardstick(tmp_path / "yardstick.json", meta.data_dir, groups=",".join(meta.population_features),
                      set=["depth=4"], kernel_protocol=False)
    out = tmp_path / "methodology.md"
    facts = generate_report(tiny_model_dir, None, None, out, None, now=NOW, yardstick=path)
    french, english = _parts(out.read_text(encoding="utf-8"))
    section = _section(french, "### Comparaison appariée à la référence", "### Calibration")

    def signed(x: float) -> str:
        return ("+" if round(x, 4) > 0 else "") + format_number(x, "fr", 4)

    rows = sorted(YARDSTICK_ROWS, key=lambda r: r["seed"])
    for r in rows:
        assert _row(section, str(r["seed"]))[1:] == [
            format_number(r["product_auc"], "fr", 4), format_number(r["reference_auc"], "fr", 4),
            signed(r["product_auc"] - r["reference_auc"]), format_number(r["product_nested_cost"], "fr", 4),
            format_number(r["reference_nested_cost"], "fr", 4),
            signed(r["product_nested_cost"] - r["reference_nested_cost"])]
    columns = [[r["product_auc"] for r in rows], [r["reference_auc"] for r in rows],
               [r["product_auc"] - r["reference_auc"] for r in rows], [r["product_nested_cost"] for r in rows],
               [r["reference_nested_cost"] for r in rows],
               [r["product_nested_cost"] - r["reference_nested_cost"] for r in rows]]
    stats = [_by_hand(c) for c in columns]
    differences = (2, 5)
    assert _row(section, "**Moyenne**")[1:] == [
        f"**{signed(s[0])}**" if i in differences else format_number(s[0], "fr", 4) for i, s in enumerate(stats)]
    assert [_sp(c) for c in _row(section, "IC à 95 %")[1:]] == [
        f"[{signed(s[1])} ; {signed(s[2])}]" if i in differences else
        f"[{format_number(s[1], 'fr', 4)} ; {format_number(s[2], 'fr', 4)}]" for i, s in enumerate(stats)]
    assert _row(section, "Erreur type")[1:] == [format_number(s[3], "fr", 4) for s in stats]
    # the facts hold the same numbers, unrounded
    c = facts.comparison
    assert c is not None and [s.seed for s in c.seeds] == [1, 2, 3] and c.folds == 5
    for got, want in zip((c.product_auc, c.reference_auc, c.delta_auc, c.product_cost, c.reference_cost,
                          c.delta_cost), stats):
        assert (got.mean, got.low, got.high, got.se) == pytest.approx(want, rel=1e-12)
    # ΔAUC +0.0050 [+0.0025, +0.0075]: the product ahead; Δcost −0.0027 [−0.0216, +0.0163]: a tie
    assert (c.auc_lead, c.cost_lead) == ("product", "tie") and c.same_data is True and c.setting_gaps == []
    assert "en AUC : le produit devance la référence" in _sp(section)
    assert "en coût imbriqué : égalité (l'intervalle de la différence contient 0)" in _sp(section)
    assert "une différence dont l'intervalle contient 0 est une égalité" in section
    assert "les graines sont les répétitions" in section.lower() and "2 degrés de liberté" in section
    assert "entraîné sur ce même dossier de données" in section and "3 graines × 5 plis" in _sp(section)
    assert "jamais sur le pli évalué" in section and "un autre dossier" not in section
    cells = [len(re.split(r"(?<!\\)\|", line.strip())) - 2 for line in section.splitlines() if line.startswith("|")]
    assert len(cells) == 2 + 3 + 3 and set(cells) == {7}
    summary = _row(english, "Paired comparison with the kernel-style LightGBM reference (same repeated stratified "
                            "folds, `benchmarks/yardstick.py`)")[1]
    assert (f"3 seeds × 5 folds on `{meta.data_dir}`: ΔAUC (product − reference) +{format_number(stats[2][0], 'en', 4)} "
            f"[+{format_number(stats[2][1], 'en', 4)}; +{format_number(stats[2][2], 'en', 4)}] "
            f"(paired SE {format_number(stats[2][3], 'en', 4)})") in summary
    assert "the product ahead on AUC, a tie on cost" in summary and "not the folder" not in summary


def test_paired_comparison_says_when_it_measured_another_folder_or_settings(tiny_model_dir, tmp_path):
    from dataclasses import replace

    from model.reporting.render import render

    meta = load_artifact(tiny_model_dir).metadata
    path = _yardstick(tmp_path / "yardstick.json", "../shared/data/home-credit-large", groups="",
                      set=["depth=6", "learning_rate=0.15"], kernel_protocol=True, application_only=False,
                      class_weights="balanced")
    out = tmp_path / "methodology.md"
    facts = generate_report(tiny_model_dir, None, None, out, None, now=NOW, yardstick=path)
    c = facts.comparison
    assert c is not None and c.same_data is False and c.kernel_protocol
    assert [(g.name, g.measured, g.model) for g in c.setting_gaps] == [
        ("population_features", "", ", ".join(sorted(meta.population_features))),
        ("class_weights", "balanced", "none"), ("depth", "6", "4")]   # learning_rate 0.15 is the model's
    french, english = _parts(out.read_text(encoding="utf-8"))
    section = _sp(_section(french, "### Comparaison appariée à la référence", "### Calibration"))
    assert "**Attention : le modèle décrit par cette note a été entraîné sur un autre dossier**" in section
    assert "(`../shared/data/home-credit-large`)" in section and "**flatteur**" in section
    assert "les variables ajustées sur la population (mesure : `aucune`" in section
    assert "la pondération des classes (mesure : `balanced`, modèle : `none`)" in section
    assert "le paramètre CatBoost `depth` (mesure : `6`, modèle : `4`)." in section
    assert "(**not the folder this model was trained on**)" in english
    assert "differs from this model in `population_features`, `class_weights`, `depth`" in english
    unknown = render(replace(facts, comparison=replace(c, same_data=None, setting_gaps=[])), {})
    assert "L'artefact ne dit pas sur quel dossier" in unknown


def test_no_yardstick_file_is_said_with_the_command_to_produce_it(report):
    french, english = _parts(report["text"])
    assert report["facts"].comparison is None
    section = _sp(_section(french, "### Comparaison appariée à la référence", "### Calibration"))
    assert "Aucune comparaison appariée à la référence n'a été fournie" in section
    command = (f"`python benchmarks/yardstick.py --data-dir {report['facts'].data_dir} --seeds 1 2 3 4 5 "
               f"--json reports/yardstick.json`")
    assert command in section and "`--yardstick`" in section and "| Graine" not in section
    assert f"none supplied (produce it with {command})" in english


BAD_YARDSTICKS = {
    "not JSON": ("{rows: [", "not JSON"),
    "not an object": ("[1, 2]", "not a yardstick file"),
    "no rows": (json.dumps({"args": {"data_dir": "d", "folds": 5}}), "lacks 'rows'"),
    "no args": (json.dumps({"rows": YARDSTICK_ROWS}), "lacks 'args'"),
    "no data folder": (json.dumps({"rows": YARDSTICK_ROWS, "args": {"folds": 5}}), "'args' lacks 'data_dir'"),
    "a row without the reference": (json.dumps({"rows": [*YARDSTICK_ROWS[:2], {"seed": 3, "product_auc": 0.7,
                                                                                "product_nested_cost": 0.5}],
                                                "args": {"data_dir": "d", "folds": 5}}),
                                    "row 3 lacks 'reference_auc', 'reference_nested_cost'"),
    "a text where a number goes": (json.dumps({"rows": [YARDSTICK_ROWS[0], {**YARDSTICK_ROWS[1], "product_auc": "0.75"}],
                                               "args": {"data_dir": "d", "folds": 5}}),
                                   "row 2: 'product_auc' not a finite number"),
    "one seed": (json.dumps({"rows": YARDSTICK_ROWS[:1], "args": {"data_dir": "d", "folds": 5}}),
                 "1 seed: an interval needs at least 2"),
    "a seed twice": (json.dumps({"rows": [YARDSTICK_ROWS[0], YARDSTICK_ROWS[0]], "args": {"data_dir": "d", "folds": 5}}),
                     "seed 2 appears more than once"),
}


@pytest.mark.parametrize("case", sorted(BAD_YARDSTICKS))
def test_a_bad_yardstick_file_is_a_clean_error_that_writes_nothing(case, tiny_model_dir, tmp_path, capsys):
    from model.reporting.methodology import main

    content, problem = BAD_YARDSTICKS[case]
    path = tmp_path / "yardstick.json"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "docs" / "methodology.md"
    out.parent.mkdir()
    out.write_text("old note\n", encoding="utf-8")
    code = main(["--model-dir", str(tiny_model_dir), "--tracking-uri", "", "--drift-dir", str(tmp_path / "none"),
                 "--yardstick", str(path), "--out", str(out), "--figures", str(tmp_path / "docs" / "figures")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {path}: ") and problem in err and err.count("\n") == 1, err
    assert out.read_text(encoding="utf-8") == "old note\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["methodology.md"]   # no figures, no temp file


def test_cli_reads_the_default_yardstick_file_and_refuses_a_missing_one(tiny_model_dir, tmp_path, monkeypatch):
    from model.reporting import methodology

    default = tmp_path / "reports" / "yardstick.json"
    monkeypatch.setattr(methodology, "YARDSTICK_FILE", default)
    out = tmp_path / "methodology.md"
    common = ["--model-dir", str(tiny_model_dir), "--tracking-uri", "", "--drift-dir", str(tmp_path), "--out",
              str(out), "--figures", str(tmp_path / "figures")]
    # an explicit file that does not exist is an error; the default file is only read when it exists
    proc = subprocess.run([sys.executable, "-m", "model.reporting", *common, "--yardstick", str(default)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr == f"error: {default}: cannot be read (No such file or directory)\n"
    assert not out.exists()
    default.parent.mkdir()
    _yardstick(default, load_artifact(tiny_model_dir).metadata.data_dir)
    assert methodology.main(common) == 0
    assert "| **Moyenne** |" in out.read_text(encoding="utf-8")
    assert methodology.main([*common, "--yardstick", ""]) == 0
    assert "Aucune comparaison appariée" in out.read_text(encoding="utf-8")
