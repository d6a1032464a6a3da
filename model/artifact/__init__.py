"""A trained model on disk: the CatBoost file plus the metadata that says how to use it.

The metadata, not code constants, tells the running product which features, threshold
and cost weights the model was trained with; loading refuses anything that does not
fit, so a stale or foreign model never scores a client silently.

Layout::

    MODEL_DIR/
      CURRENT                     the version served by default
      <version>/model.cbm         CatBoost's own format
      <version>/metadata.json     see ModelMetadata
      <version>/*.json|parquet    optional extras (global explanation, reference sample)
      <version>/digests.json      SHA-256 of every other file, written at training

Every file is checked against ``digests.json`` before any is parsed (:func:`check_digests`): a
damaged ``model.cbm`` is refused with one line instead of reaching CatBoost's parser, which may
answer wrong scores, errors at every request or a segmentation fault.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import MISSING, asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import catboost
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from catboost import CatBoostClassifier

from model.features import feature_columns
from model.population_features import unused_columns

MODEL_FILE = "model.cbm"
METADATA_FILE = "metadata.json"
CURRENT_FILE = "CURRENT"
POPULATION_FILE = "population.parquet"
SCORES_FILE = "scores.parquet"
GLOBAL_IMPORTANCE_FILE = "global_importance.json"
EXPLANATIONS_FILE = "explanations.npz"
#: Per-leaf TreeSHAP table (``model.explain.LeafShap``): new applicants' exact explanations in ~1 ms.
LEAF_SHAP_FILE = "leaf_shap.npz"
#: Out-of-fold predictions of the labelled clients (TARGET, PROBABILITY, FOLD): the honest
#: material of the model report's calibration and fairness figures.
OOF_FILE = "oof.parquet"
#: ``{"algorithm": "sha256", "files": {name: hex digest}}`` of every other file of the version folder,
#: written by :func:`save_artifact` and checked by :func:`load_artifact` before anything is parsed.
DIGESTS_FILE = "digests.json"
#: 2: calibrated PD (calibration, master scale and decision rule in the metadata), protected
#: attributes excluded from the features but kept in the population.
FORMAT_VERSION = 2


def parquet_frame(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet file read by Arrow from its path, never through a Python file object.

    ``pd.read_parquet`` hands Arrow an open Python file, which Arrow's I/O threads may release after
    the interpreter has begun to exit: a command that fails right after a read then aborted now and
    then with "terminate called without an active exception" under its one-line error.
    """
    frame: pd.DataFrame = pq.read_table(path, columns=columns, use_pandas_metadata=True).to_pandas()
    return frame


def read_frame(path: Path) -> pd.DataFrame:
    """A Parquet extra as a DataFrame, with Arrow's freed buffers handed back to the system.

    Arrow's allocator otherwise keeps the conversion's scratch memory: at Kaggle scale every
    gunicorn worker held 1.8 GiB for a 0.6 GiB population instead of 0.7 GiB.
    """
    try:
        frame = parquet_frame(path)
    except (pa.ArrowException, OSError, ValueError, EOFError) as exc:  # truncated, garbage, unreadable
        raise ArtifactError(f"{path}: not a readable Parquet file ({first_line(exc)})") from None
    pa.default_memory_pool().release_unused()
    return frame


def first_line(exc: BaseException) -> str:
    """An exception's first line, short enough for a one-line start-up error."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class ArtifactError(RuntimeError):
    """A model artifact that cannot be used, with the reason in plain words."""


@dataclass(frozen=True)
class ModelMetadata:
    version: str
    created_at: str
    data_fingerprint: str
    features: list[str]
    dtypes: dict[str, str]
    categorical_features: list[str]
    threshold: float
    cost_weights: dict[str, float]
    cv_metrics: dict[str, Any]
    params: dict[str, Any]
    library_versions: dict[str, str]
    include_children: bool = True
    data_dir: str = ""
    format_version: int = FORMAT_VERSION
    extras: dict[str, Any] = field(default_factory=dict)
    #: Map from the model's raw probability to the PD shown (``model.calibration``), fitted on
    #: out-of-fold predictions.
    calibration: dict[str, Any] = field(default_factory=dict)
    #: Cost-optimal threshold and referral band on the calibrated scale (``model.decision``).
    decision_rule: dict[str, float] = field(default_factory=dict)
    #: Risk grades' PD bands (``model.grades``).
    master_scale: dict[str, Any] = field(default_factory=dict)
    #: Protected attributes kept out of the model's inputs (still in the population, for fairness).
    excluded_attributes: list[str] = field(default_factory=list)
    #: Feature groups fitted on the training clients (``model.population_features``), whose
    #: fitted state is stored beside the model.
    population_features: list[str] = field(default_factory=list)

    @property
    def expected_features(self) -> list[str]:
        """The features this product builds for such a model, in order."""
        excluded = set(self.excluded_attributes) | set(unused_columns(self.population_features))
        return [f for f in feature_columns(self.include_children) if f not in excluded]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = METADATA_FILE) -> ModelMetadata:
        """The metadata of a decoded ``metadata.json``; a missing or wrong-typed field is an
        ArtifactError naming ``source`` and the field, so a hand-edited file fails at start-up."""
        known = set(cls.__dataclass_fields__)
        missing = sorted(k for k, f in cls.__dataclass_fields__.items()
                         if k not in raw and f.default is MISSING and f.default_factory is MISSING)
        if missing:
            raise ArtifactError(f"{source}: missing field{'s' if len(missing) > 1 else ''} "
                                f"{', '.join(repr(m) for m in missing)}")
        for name in known & set(raw):
            kind = _FIELD_KINDS[name]
            if not _is_kind(raw[name], kind):
                raise ArtifactError(f"{source}: field {name!r} must be {kind}, got {_shown(raw[name])}")
        return cls(**{k: v for k, v in raw.items() if k in known})


#: What each metadata field must hold, in words (checked by ``ModelMetadata.from_dict``).
_FIELD_KINDS = {
    "version": "a string", "created_at": "a string", "data_fingerprint": "a string", "data_dir": "a string",
    "features": "a list of strings", "categorical_features": "a list of strings",
    "excluded_attributes": "a list of strings", "population_features": "a list of strings",
    "dtypes": "an object of strings", "library_versions": "an object of strings",
    "threshold": "a number", "cost_weights": "an object of numbers", "decision_rule": "an object of numbers",
    "cv_metrics": "an object", "params": "an object", "extras": "an object", "calibration": "an object",
    "master_scale": "an object", "include_children": "true or false", "format_version": "an integer",
}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_kind(v: Any, kind: str) -> bool:
    if kind == "a string":
        return isinstance(v, str)
    if kind == "a number":
        return _is_number(v)
    if kind == "an integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "true or false":
        return isinstance(v, bool)
    if kind == "a list of strings":
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    if not isinstance(v, dict):
        return False
    if kind == "an object of strings":
        return all(isinstance(x, str) for x in v.values())
    if kind == "an object of numbers":
        return all(_is_number(x) for x in v.values())
    return True


def _shown(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Artifact:
    model: CatBoostClassifier
    metadata: ModelMetadata
    path: Path

    def extra(self, name: str) -> Path:
        """Path of an optional file stored beside the model (may not exist)."""
        return self.path / name


def artifact_digest(artifact: Artifact) -> str:
    """SHA-256 (hex) of the model file followed by its metadata: what a decision letter prints, so that a
    letter can be traced to the exact model that scored the client.

    The bytes hashed are ``model.cbm`` then ``metadata.json``, so anyone can check a letter with
    ``cat model.cbm metadata.json | sha256sum`` in the version folder. Computed once per file state
    (path, size, modification time): a few milliseconds for a demo model, once per process.
    """
    return version_digest(artifact.path)


def version_digest(version_dir: Path) -> str:
    """:func:`artifact_digest` of the version folder ``version_dir``, without loading the model: what the
    model registry records beside a version, and what ``pull`` checks a downloaded copy against."""
    files = [version_dir / MODEL_FILE, version_dir / METADATA_FILE]
    try:
        stats = [(f.resolve(), f.stat()) for f in files]
    except OSError as exc:
        raise ArtifactError(f"cannot fingerprint the model at {version_dir}: {exc}") from None
    return _digest(tuple((str(path), st.st_size, st.st_mtime_ns) for path, st in stats))


@lru_cache(maxsize=16)
def _digest(states: tuple[tuple[str, int, int], ...]) -> str:
    sha = hashlib.sha256()
    for path, _size, _mtime in states:
        with open(path, "rb") as file:
            while block := file.read(1 << 20):
                sha.update(block)
    return sha.hexdigest()


def _major(version: str) -> str:
    return version.split(".")[0]


def save_artifact(model: CatBoostClassifier, metadata: ModelMetadata, root: Path,
                  extras: dict[str, bytes] | None = None, make_current: bool = True) -> Path:
    """Write a new version folder atomically, then point CURRENT at it."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / metadata.version
    if final.exists():
        raise ArtifactError(f"model version {metadata.version} already exists in {root}")
    tmp = Path(tempfile.mkdtemp(prefix=f".{metadata.version}.", dir=root))
    model.save_model(str(tmp / MODEL_FILE))
    (tmp / METADATA_FILE).write_text(metadata.to_json(), encoding="utf-8")
    for name, content in (extras or {}).items():
        (tmp / name).write_bytes(content)
    record_digests(tmp)
    tmp.rename(final)
    if make_current:
        set_current(root, metadata.version)
    return final


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of one file, read in 1 MiB blocks. Not cached: a file changed in place within the
    file system's timestamp resolution (same size, same time) would otherwise keep its old digest."""
    sha = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            sha.update(block)
    return sha.hexdigest()


def record_digests(version_dir: Path) -> dict[str, str]:
    """Write ``digests.json``: the SHA-256 of every file of ``version_dir`` (sub-folders included)."""
    files = {p.relative_to(version_dir).as_posix(): file_sha256(p)
             for p in sorted(version_dir.rglob("*")) if p.is_file() and p.name != DIGESTS_FILE}
    (version_dir / DIGESTS_FILE).write_text(json.dumps({"algorithm": "sha256", "files": files}, indent=1),
                                            encoding="utf-8")
    return files


def _recorded_digests(version_dir: Path) -> dict[str, str]:
    path = version_dir / DIGESTS_FILE
    if not path.exists():
        # an artifact of before digests were recorded: nothing says its files are the ones trained
        raise ArtifactError(f"{version_dir} has no {DIGESTS_FILE} (trained before digests were recorded): "
                            "its files cannot be checked, retrain the model")
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: not valid JSON ({first_line(exc)})") from None
    files = raw.get("files") if isinstance(raw, dict) and raw.get("algorithm") == "sha256" else None
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in files.items()):
        raise ArtifactError(f"{path}: expected {{\"algorithm\": \"sha256\", \"files\": {{name: digest}}}}")
    for name in files:
        if name.startswith("/") or ".." in name.split("/"):
            raise ArtifactError(f"{path}: names a file outside the model folder: {_shown(name)}")
    return files


def check_digests(version_dir: Path) -> None:
    """Refuse, with one line naming the file, a version folder whose files are not those recorded at
    training (damaged on disk or in transfer, edited by hand). ``model.cbm`` and ``metadata.json``
    must be recorded; a recorded file that is missing is refused too."""
    files = _recorded_digests(version_dir)
    for name in (MODEL_FILE, METADATA_FILE):
        if name not in files:
            raise ArtifactError(f"{version_dir / DIGESTS_FILE} records no digest of {name}: retrain the model")
    for name, expected in files.items():
        path = version_dir / name
        try:
            actual = file_sha256(path)
        except FileNotFoundError:
            raise ArtifactError(f"incomplete model at {version_dir}: {name} is missing: restore it or retrain the model") from None
        except OSError as exc:
            raise ArtifactError(f"{path}: unreadable ({first_line(exc)})") from None
        if actual != expected.lower():
            raise ArtifactError(f"{path}: damaged or changed since training (its SHA-256 is not the one in "
                                f"{DIGESTS_FILE}): restore or retrain the model")


def set_current(root: Path, version: str) -> None:
    """Point ``root/CURRENT`` at ``version`` atomically (a rename): a process starting meanwhile reads
    the old version or the new one, never a half-written name. The temporary name is unique, so two
    writers (a training and a ``pull`` on a shared folder) never rename each other's half-written file."""
    fd, pointer = tempfile.mkstemp(prefix=f".{CURRENT_FILE}.", suffix=".tmp", dir=root)
    os.fchmod(fd, 0o644)                  # mkstemp's 0600 would hide CURRENT from the server's user
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(version + "\n")
    os.replace(pointer, root / CURRENT_FILE)


def resolve_version_dir(path: Path) -> Path:
    """``path`` itself if it holds a model, else the version its CURRENT file names."""
    if (path / METADATA_FILE).exists() or (path / MODEL_FILE).exists():
        return path
    if not path.exists():
        raise ArtifactError(f"no model at {path}: train one with `python -m model.train`")
    current = path / CURRENT_FILE
    if not current.exists():
        raise ArtifactError(f"no model at {path}: it has no {CURRENT_FILE} file and no {MODEL_FILE}")
    version = current.read_text(encoding="utf-8").strip()
    if not version or "/" in version or version.startswith("."):
        raise ArtifactError(f"{current} names no valid version: {version!r}")
    return path / version


def load_artifact(path: str | Path, expected_features: list[str] | None = None) -> Artifact:
    """Load and check a model; refuse a missing, corrupt or incompatible one with ArtifactError."""
    vdir = resolve_version_dir(Path(path))
    meta_path, model_path = vdir / METADATA_FILE, vdir / MODEL_FILE
    for p in (meta_path, model_path):
        if not p.exists():
            raise ArtifactError(f"incomplete model at {vdir}: {p.name} is missing")
    check_digests(vdir)        # before any file is parsed: CatBoost's parser may crash on a damaged file
    try:
        raw = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ArtifactError(f"{meta_path}: not a JSON object")
    metadata = ModelMetadata.from_dict(raw, str(meta_path))
    if metadata.format_version != FORMAT_VERSION:
        why = " (trained before calibration: its scores are not probabilities)" if metadata.format_version < 2 else ""
        raise ArtifactError(f"{vdir} uses artifact format {metadata.format_version}{why}; "
                            f"this product reads format {FORMAT_VERSION}: retrain the model")
    for name in ("calibration", "decision_rule", "master_scale"):
        if not getattr(metadata, name):
            raise ArtifactError(f"{meta_path}: field {name!r} is missing or empty: retrain the model")
    trained_with = metadata.library_versions.get("catboost", "")
    if _major(trained_with) != _major(catboost.__version__):
        raise ArtifactError(f"{vdir} was trained with CatBoost {trained_with or 'unknown'}, "
                            f"this product runs CatBoost {catboost.__version__}: retrain the model")
    model = CatBoostClassifier()
    try:
        model.load_model(str(model_path))
    except Exception as exc:  # CatBoostError and friends: the file is not a model
        raise ArtifactError(f"{model_path}: not a readable CatBoost model ({first_line(exc)})") from None
    if list(model.feature_names_) != list(metadata.features):
        raise ArtifactError(f"{model_path} and {meta_path.name} disagree on the features")
    if expected_features is not None and list(expected_features) != list(metadata.features):
        extra = sorted(set(metadata.features) - set(expected_features))[:5]
        lacking = sorted(set(expected_features) - set(metadata.features))[:5]
        raise ArtifactError(
            f"{vdir} does not match this product's features "
            f"(model only: {extra or 'none'}; product only: {lacking or 'none'}"
            f"{'; same names, other order' if not extra and not lacking else ''}): retrain the model")
    return Artifact(model=model, metadata=metadata, path=vdir)


def needs_training(model_dir: Path, data_dir: Path, expected_features: list[str] | None = None) -> str | None:
    """Why a new model must be trained for ``data_dir`` (None when the current one fits)."""
    try:
        artifact = load_artifact(model_dir, expected_features)
    except ArtifactError as exc:
        return str(exc)
    trained_on = artifact.metadata.data_dir
    if trained_on and Path(trained_on).resolve() != Path(data_dir).resolve():
        return f"the current model was trained on {trained_on}, not {data_dir}"
    return None
