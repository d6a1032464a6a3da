"""Model card and methodology note, written from the current artifact: ``docs/methodology.md``.

    python -m model.reporting [--model-dir artifacts/model] [--tracking-uri sqlite:///mlflow.db]
                           [--drift-dir reports] [--yardstick reports/yardstick.json]
                           [--out docs/methodology.md] [--figures docs/figures]

Why generated: a methodology note typed by hand goes stale the day the model is retrained,
and a model-risk reviewer cannot tell which figure belongs to which model. Here every
number comes, through code (:mod:`model.reporting.facts`), from the artifact, the MLflow run
of that model version, the drift summary and the yardstick's paired comparison with the
reference (``benchmarks/yardstick.py --json``; ``reports/yardstick.json`` when it exists); the
words are Jinja2 templates (``model/reporting/templates``, French body and English summary)
and the figures are drawn by :mod:`model.reporting.figures`.

A model trained before ``oof.parquet`` existed is refused with a message naming the file, and
so is a yardstick file that cannot be read or holds fewer than two seeds; nothing is written
then. The document and the figures are written to temporary files and renamed, so a failure
never leaves half a report.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from model.reporting.comparison_facts import YARDSTICK_FILE
from model.reporting.facts import Facts, ReportError, Tracking, compute_facts, find_run, load_inputs, show_path
from model.reporting.figures import CALIBRATION_FIGURE, COST_FIGURE, figures
from model.reporting.render import figure_text, render
from model.reporting.validation_facts import log_validation
from settings import ROOT, get_settings

__all__ = ["CALIBRATION_FIGURE", "COST_FIGURE", "Facts", "ReportError", "Tracking", "find_run", "generate_report",
           "main"]


def _atomic_write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600; a committed document keeps the mode it had, else the usual 0644.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def generate_report(model_dir: str | Path, tracking_uri: str | None, drift_dir: str | Path | None,
                    out: str | Path, figures_dir: str | Path | None, now: datetime | None = None,
                    yardstick: str | Path | None = None) -> Facts:
    """Compute everything, render everything, and only then write (each file by temp file + rename).

    ``figures_dir=None`` writes the document without figures; ``now`` fixes the generation
    date (tests); ``yardstick`` is the file of ``benchmarks/yardstick.py --json`` (None: the note
    says that no paired comparison was supplied). When the model's MLflow run exists, the
    validation metrics are logged to it (``validation.*``) before the note, which says whether
    they were, is rendered.
    """
    facts = compute_facts(load_inputs(model_dir, tracking_uri, drift_dir, yardstick), now)
    if facts.tracking.found:   # the validation metrics go to the model's run; nothing without one
        logged, error = log_validation(facts.tracking.uri, facts.tracking.run_id, facts.validation.metrics())
        facts = replace(facts, validation=replace(facts.validation, mlflow_logged=logged, mlflow_error=error))
    out = Path(out)
    pngs: dict[Path, bytes] = {}
    links: dict[str, str] = {}
    if figures_dir is not None:
        for name, content in figures(facts, figure_text(facts)).items():
            path = Path(figures_dir) / name
            pngs[path] = content
            links[name] = Path(os.path.relpath(path, out.resolve().parent)).as_posix()
    text = render(facts, links)
    for path, content in pngs.items():
        _atomic_write(path, content)
    _atomic_write(out, text.encode("utf-8"))
    return facts


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; exit status 2 with a one-line ``error:`` when the artifact cannot support the note."""
    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m model.reporting", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--model-dir", type=Path, default=s.model_dir)
    p.add_argument("--tracking-uri", default=s.tracking_uri, help="MLflow store ('' for none)")
    p.add_argument("--drift-dir", type=Path, default=ROOT / "reports", help="folder of drift_summary.json")
    p.add_argument("--yardstick", metavar="FILE",
                   help=f"the paired comparison with the reference, written by `benchmarks/yardstick.py --json` "
                        f"(default: {show_path(YARDSTICK_FILE)} when it exists; '' for none)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "methodology.md")
    p.add_argument("--figures", type=Path, default=ROOT / "docs" / "figures")
    a = p.parse_args(argv)
    yardstick = (YARDSTICK_FILE if YARDSTICK_FILE.exists() else None) if a.yardstick is None else (a.yardstick or None)
    try:
        facts = generate_report(a.model_dir, a.tracking_uri or None, a.drift_dir, a.out, a.figures,
                                yardstick=yardstick)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {a.out} for model {facts.version} "
          f"(AUC {facts.auc:.4f}, threshold {facts.threshold:.4f}, Brier {facts.brier:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
