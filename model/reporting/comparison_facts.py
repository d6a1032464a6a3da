"""The paired comparison with the reference, read from the yardstick's file and computed once.

``benchmarks/yardstick.py --json FILE`` cross-validates the product and the kernel-style LightGBM
reference on the same repeated stratified folds and writes, per seed, each model's pooled
out-of-fold AUC and nested cost (threshold chosen on the other folds). The seeds are the
independent replicates: :class:`Comparison` holds the per-seed rows, the means with their Student
95 % intervals and standard errors (:func:`model.validation.student_interval`, the
yardstick's own rule), who leads on each measure, and whether the yardstick measured the model
the note describes (same data folder, same settings).

A file that cannot support the comparison raises :class:`YardstickError` naming the problem;
:mod:`model.reporting.facts` turns it into a ``ReportError``, so nothing is written.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from model.artifact import ModelMetadata
from model.validation import standard_error, student_interval
from settings import ROOT

#: Where ``python -m model.reporting`` looks for the yardstick's figures when ``--yardstick`` is not given.
YARDSTICK_FILE = ROOT / "reports" / "yardstick.json"
#: Number-valued keys every row of the file must hold.
ROW_KEYS = ("seed", "product_auc", "reference_auc", "product_nested_cost", "reference_nested_cost")
#: Keys of the file's ``args`` (the yardstick's command line) the comparison needs.
ARGS_KEYS = ("data_dir", "folds")
#: Replicates needed for an interval.
MIN_SEEDS = 2

#: Who is ahead on a measure: the product, the reference, or neither (the interval of the difference holds 0).
Lead = Literal["product", "reference", "tie"]


class YardstickError(ValueError):
    """The yardstick's file cannot support the comparison; the message names the file and the problem."""


@dataclass(frozen=True)
class SeedComparison:
    """One seed: both models' pooled out-of-fold figures on the same folds, and product − reference."""

    seed: int
    product_auc: float
    reference_auc: float
    delta_auc: float
    product_cost: float              # nested business cost per client
    reference_cost: float
    delta_cost: float


@dataclass(frozen=True)
class MeanInterval:
    """Mean over the seeds, its Student 95 % interval and its standard error (paired, for a difference)."""

    mean: float
    low: float
    high: float
    se: float


@dataclass(frozen=True)
class SettingGap:
    """A setting in which the product the yardstick measured differs from the model the note describes.

    ``name``: ``population_features``, ``include_children``, ``class_weights``, or a CatBoost
    parameter the yardstick overrode (``--set``); ``model`` is empty when the artifact does not state it.
    """

    name: str
    measured: str
    model: str


@dataclass(frozen=True)
class Comparison:
    path: str                        # the yardstick's file, as the note shows it
    data_dir: str                    # the yardstick's data folder, as its command line gave it
    #: The model was trained on the same folder (None: the artifact does not say where it was trained).
    same_data: bool | None
    folds: int
    seeds: list[SeedComparison]
    product_auc: MeanInterval
    reference_auc: MeanInterval
    delta_auc: MeanInterval
    product_cost: MeanInterval
    reference_cost: MeanInterval
    delta_cost: MeanInterval
    auc_lead: Lead
    cost_lead: Lead
    #: Both models early-stopped on the scored fold (the public kernel's protocol, flattering).
    kernel_protocol: bool
    setting_gaps: list[SettingGap]


@dataclass(frozen=True)
class YardstickFile:
    """The file's content, checked: rows sorted by seed, and the yardstick's arguments."""

    path: Path
    rows: list[dict[str, float]]
    args: dict[str, Any]


def _number(value: Any) -> float | None:
    """A finite number of the file as a float (a boolean is not one), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def read_yardstick(path: str | Path) -> YardstickFile:
    """Read and check ``benchmarks/yardstick.py --json``'s file; :class:`YardstickError` says what is wrong."""
    path = Path(path)

    def bad(problem: str) -> YardstickError:
        return YardstickError(f"{path}: {problem}")

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise bad(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise bad("not a UTF-8 text file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise bad("not a yardstick file (expected an object with 'rows' and 'args', "
                  "as `benchmarks/yardstick.py --json` writes)")
    for key in ("rows", "args"):
        if key not in data:
            raise bad(f"lacks '{key}' (not written by `benchmarks/yardstick.py --json`?)")
    raw_rows, args = data["rows"], data["args"]
    if not isinstance(raw_rows, list) or not all(isinstance(r, dict) for r in raw_rows):
        raise bad("'rows' is not a list of objects")
    if not isinstance(args, dict):
        raise bad("'args' is not an object")
    lacking = [k for k in ARGS_KEYS if k not in args]
    if lacking:
        raise bad(f"'args' lacks {', '.join(repr(k) for k in lacking)}")
    if not isinstance(args["data_dir"], str) or not args["data_dir"]:
        raise bad("'args.data_dir' is not a folder name")
    folds = _number(args["folds"])
    if folds is None or folds != int(folds) or folds < 2:
        raise bad(f"'args.folds' is not a number of folds ({args['folds']!r})")
    rows: list[dict[str, float]] = []
    for i, raw in enumerate(raw_rows, start=1):
        lacking = [k for k in ROW_KEYS if k not in raw]
        if lacking:
            raise bad(f"row {i} lacks {', '.join(repr(k) for k in lacking)}")
        row = {k: _number(raw[k]) for k in ROW_KEYS}
        wrong = [k for k, v in row.items() if v is None]
        if wrong:
            raise bad(f"row {i}: {', '.join(repr(k) for k in wrong)} not a finite number")
        checked = {k: float(v) for k, v in row.items() if v is not None}
        if checked["seed"] != int(checked["seed"]):
            raise bad(f"row {i}: seed {raw['seed']!r} is not a whole number")
        if not all(0.0 <= checked[k] <= 1.0 for k in ("product_auc", "reference_auc")):
            raise bad(f"row {i}: an AUC outside [0, 1]")
        rows.append(checked)
    seeds = [int(r["seed"]) for r in rows]
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise bad(f"seed {', '.join(map(str, repeated))} appears more than once")
    if len(rows) < MIN_SEEDS:
        raise bad(f"{len(rows)} seed{'s' if len(rows) != 1 else ''}: an interval needs at least {MIN_SEEDS}")
    return YardstickFile(path, sorted(rows, key=lambda r: r["seed"]), args)


def _summary(values: Sequence[float]) -> MeanInterval:
    mean, low, high = student_interval(values)
    return MeanInterval(mean, low, high, standard_error(values))


def _lead(delta: MeanInterval, higher_is_better: bool) -> Lead:
    if delta.low <= 0.0 <= delta.high:
        return "tie"
    return "product" if (delta.low > 0.0) == higher_is_better else "reference"


def _same_folder(measured: str, trained: str) -> bool:
    """The yardstick runs from the repository root, so a relative folder is read from there."""
    p = Path(measured)
    return (p if p.is_absolute() else ROOT / p).resolve() == Path(trained).resolve()


def _same_value(measured: str, model: Any) -> bool:
    try:
        return math.isclose(float(measured), float(model), rel_tol=1e-12)
    except (TypeError, ValueError):
        return str(measured).strip().lower() == str(model).strip().lower()


def _setting_gaps(args: Mapping[str, Any], meta: ModelMetadata) -> list[SettingGap]:
    """Where the product the yardstick measured is not this model (settings the file does not give are not compared)."""
    gaps: list[SettingGap] = []
    if isinstance(args.get("groups"), str):
        measured = sorted(g.strip() for g in args["groups"].split(",") if g.strip())
        if measured != sorted(meta.population_features):
            gaps.append(SettingGap("population_features", ", ".join(measured), ", ".join(sorted(meta.population_features))))
    if isinstance(args.get("application_only"), bool):
        measured_children = not args["application_only"]
        if measured_children != meta.include_children:
            gaps.append(SettingGap("include_children", str(measured_children).lower(),
                                   str(meta.include_children).lower()))
    chosen = (meta.cv_metrics or {}).get("chosen", {}).get("class_weights") or meta.params.get("class_weights")
    if isinstance(args.get("class_weights"), str) and chosen is not None and args["class_weights"] != str(chosen):
        gaps.append(SettingGap("class_weights", args["class_weights"], str(chosen)))
    for item in args.get("set") or []:
        name, _, value = str(item).partition("=")
        model = meta.params.get(name)
        if model is None or not _same_value(value, model):
            gaps.append(SettingGap(name, value, "" if model is None else str(model)))
    return gaps


def compute_comparison(file: YardstickFile, meta: ModelMetadata, shown_path: str) -> Comparison:
    """The comparison's numbers: per seed, then means with Student 95 % intervals over the seeds."""
    seeds = [SeedComparison(int(r["seed"]), r["product_auc"], r["reference_auc"],
                            r["product_auc"] - r["reference_auc"], r["product_nested_cost"],
                            r["reference_nested_cost"], r["product_nested_cost"] - r["reference_nested_cost"])
             for r in file.rows]
    delta_auc = _summary([s.delta_auc for s in seeds])
    delta_cost = _summary([s.delta_cost for s in seeds])
    data_dir = str(file.args["data_dir"])
    return Comparison(
        path=shown_path, data_dir=data_dir,
        same_data=_same_folder(data_dir, meta.data_dir) if meta.data_dir else None,
        folds=int(file.args["folds"]), seeds=seeds,
        product_auc=_summary([s.product_auc for s in seeds]), reference_auc=_summary([s.reference_auc for s in seeds]),
        delta_auc=delta_auc,
        product_cost=_summary([s.product_cost for s in seeds]),
        reference_cost=_summary([s.reference_cost for s in seeds]), delta_cost=delta_cost,
        auc_lead=_lead(delta_auc, higher_is_better=True), cost_lead=_lead(delta_cost, higher_is_better=False),
        kernel_protocol=file.args.get("kernel_protocol") is True, setting_gaps=_setting_gaps(file.args, meta),
    )
