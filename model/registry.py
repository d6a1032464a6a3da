"""The MLflow side of a model: the tracking store's address, the registry version of each served
artifact, and ``pull``, which installs the version an alias names on a host.

A fleet of app hosts shares one tracking store (PostgreSQL) and one artifact root (a shared folder
or an object store). Training registers the version it makes CURRENT under ``MODEL_REGISTRY_NAME``
and moves ``MODEL_ALIAS`` (``champion``) to it; each host then runs::

    python -m model.artifact pull --alias champion --model-dir artifacts/model

which downloads that version into ``MODEL_DIR/<version>/``, loads it with the server's own loader
(``Scorer.load``), checks its digest against the registry's and only then switches ``CURRENT``.
See docs/model-registry.md.

MLflow takes seconds to import: it is imported inside the functions that talk to it, so that
training without tracking and serving never pay for it.
"""
from __future__ import annotations

import logging
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from model.artifact import ArtifactError, set_current, version_digest
from model.monitoring.store import normalise_url
from model.scoring import Scorer

#: Tags of a registered version: the artifact version (folder name) and :func:`artifact_digest`.
VERSION_TAG = "model_version"
DIGEST_TAG = "artifact_digest"
#: Seconds to wait for the tracking store before calling it unreachable. MLflow itself retries an
#: unreachable database for about 100 s (10 attempts, exponential back-off) and an HTTP server
#: for minutes: one quick connection first turns that into a one-line error.
CONNECT_TIMEOUT_S = 5
_ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)
_SQL_SCHEMES = ("postgresql", "postgres", "mysql", "mssql")


class RegistryError(RuntimeError):
    """The tracking store or the model registry cannot do what was asked, in plain words."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def mlflow_uri(uri: str) -> str:
    """The URI given to MLflow: ``postgresql://`` (or ``postgres://``) gets the psycopg 3 driver, the
    only PostgreSQL driver installed (MLflow would otherwise ask for psycopg2); others are kept."""
    if uri.split("://", 1)[0] in ("postgresql", "postgres"):
        return normalise_url(uri).render_as_string(hide_password=False)
    return uri


def shown_uri(uri: str) -> str:
    """``uri`` with any password masked, for messages and logs."""
    if "://" in uri and "@" in uri:
        try:
            return make_url(uri).render_as_string(hide_password=True)
        except ArgumentError:
            return uri.split("://", 1)[0] + "://***"
    return uri


def check_alias(alias: str) -> str:
    """``alias`` when MLflow accepts it as a registry alias; else a RegistryError saying why."""
    if not _ALIAS.match(alias):
        raise RegistryError(f"alias {alias!r}: use 1 to 255 letters, digits, '_' or '-'")
    if _RESERVED_ALIAS.match(alias):
        raise RegistryError(f"alias {alias!r} is reserved by MLflow ('latest' and 'v<number>')")
    return alias


def check_name(name: str) -> str:
    """``name`` when MLflow accepts it as a registered model's name."""
    if not name.strip() or "/" in name or ":" in name or len(name) > 256:
        raise RegistryError(f"registered model name {name!r}: must be non-empty, without '/' or ':'")
    return name


def check_reachable(uri: str, timeout: int = CONNECT_TIMEOUT_S) -> None:
    """Raise RegistryError at once when the tracking store at ``uri`` does not answer.

    Only a database or HTTP store can be unreachable; a local path or SQLite file is not checked
    here (MLflow creates it)."""
    scheme = uri.split("://", 1)[0].split("+", 1)[0] if "://" in uri else ""
    try:
        if scheme in _SQL_SCHEMES:
            engine = create_engine(mlflow_uri(uri), connect_args={"connect_timeout": timeout})
            try:
                with engine.connect():
                    pass
            finally:
                engine.dispose()
        elif scheme in ("http", "https"):
            try:
                urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout).close()  # noqa: S310
            except urllib.error.HTTPError:
                pass                                   # it answered: reachable (perhaps behind sign-in)
    except (SQLAlchemyError, ImportError, OSError, ValueError) as exc:
        # the driver's own words, not SQLAlchemy's "(psycopg.OperationalError) …" wrapper
        raise RegistryError(f"the MLflow tracking store {shown_uri(uri)} is unreachable "
                            f"({_first_line(getattr(exc, 'orig', None) or exc)})") from None


def artifact_location(root: str, experiment: str) -> str:
    """Where a new experiment's files go under ``MLFLOW_ARTIFACT_ROOT``: ``<root>/<experiment>``; a
    plain path becomes an absolute ``file://`` URI, so every host resolves it the same way."""
    if "://" in root:
        return f"{root.rstrip('/')}/{experiment}"
    return (Path(root).expanduser().resolve() / experiment).as_uri()


def _client(uri: str) -> Any:
    logging.getLogger("mlflow").setLevel(logging.WARNING)   # not the migrations' INFO lines
    from mlflow.tracking import MlflowClient  # noqa: PLC0415 - heavy, tracking only

    return MlflowClient(tracking_uri=mlflow_uri(uri))


def ensure_experiment(uri: str, name: str, artifact_root: str) -> str:
    """The id of experiment ``name``, created under ``artifact_root`` (when given) if it is new; an
    existing experiment keeps the location it was created with (MLflow cannot move it)."""
    client = _client(uri)
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        location = artifact_location(artifact_root, name) if artifact_root else None
        return str(client.create_experiment(name, artifact_location=location))
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return str(experiment.experiment_id)


def register_version(uri: str, run_id: str, version_dir: Path, name: str, alias: str) -> str:
    """Register the ``model`` folder of run ``run_id`` (the artifact in ``version_dir``) as a new
    version of ``name``, tagged with the artifact's version and digest, and move ``alias`` to it.
    Returns the registry's version number."""
    from mlflow.exceptions import MlflowException  # noqa: PLC0415 - heavy, tracking only

    client = _client(uri)
    try:
        client.create_registered_model(name, description="Probability of default served by the product "
                                                         "(model.train); the alias names the served version.")
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    run = client.get_run(run_id)
    tags = {VERSION_TAG: version_dir.name, DIGEST_TAG: version_digest(version_dir)}
    registered = client.create_model_version(name, f"{run.info.artifact_uri}/model", run_id=run_id, tags=tags,
                                             description=f"artifact {version_dir.name}")
    client.set_registered_model_alias(name, alias, registered.version)
    return str(registered.version)


@dataclass(frozen=True)
class Pulled:
    """What ``pull`` installed: the artifact version, its folder, the registry's version number, and
    whether the folder was already there (nothing downloaded)."""
    version: str
    path: Path
    registry_version: str
    already_present: bool


def _aliased_version(client: Any, name: str, alias: str) -> Any:
    from mlflow.exceptions import MlflowException  # noqa: PLC0415 - heavy, tracking only

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST" and "alias" not in str(exc).lower():
            raise RegistryError(f"the registry has no model named {name!r}") from None
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise RegistryError(f"registered model {name!r} has no alias {alias!r}") from None
        raise RegistryError(f"the model registry could not be read ({_first_line(exc)})") from None


def _check(path: Path, version: str, digest: str | None, what: str) -> None:
    """The checks a host makes before serving: the server's own loader, then the registry's digest."""
    scorer = Scorer.load(path)
    if scorer.artifact.metadata.version != version:
        raise RegistryError(f"{what} holds model {scorer.artifact.metadata.version}, the registry says {version}")
    if digest and version_digest(path) != digest:
        raise RegistryError(f"{what} differs from the registered model {version} (digest "
                            f"{version_digest(path)[:12]}…, registered {digest[:12]}…)")


def pull(uri: str, name: str, alias: str, model_dir: Path) -> Pulled:
    """Install the version ``alias`` names into ``model_dir/<version>/`` and point CURRENT at it.

    Downloaded into a hidden folder of ``model_dir`` and renamed once checked, so that a failed or
    interrupted pull leaves neither a half folder nor a moved CURRENT; a version already present is
    checked against the registry's digest instead of downloaded again."""
    check_name(name)
    check_alias(alias)
    if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///"):]).exists():
        raise RegistryError(f"no MLflow tracking store at {uri[len('sqlite:///'):]}")   # MLflow would create one
    check_reachable(uri)
    from mlflow.artifacts import download_artifacts  # noqa: PLC0415 - heavy, tracking only

    client = _client(uri)
    registered = _aliased_version(client, name, alias)
    version = registered.tags.get(VERSION_TAG, "")
    digest = registered.tags.get(DIGEST_TAG)
    if not version or "/" in version or version.startswith("."):
        raise RegistryError(f"version {registered.version} of {name!r} has no valid {VERSION_TAG!r} tag "
                            "(registered by hand, not by model.train)")
    model_dir.mkdir(parents=True, exist_ok=True)
    final = model_dir / version
    present = final.exists()
    if present:
        _check(final, version, digest, str(final))
    else:
        tmp = Path(tempfile.mkdtemp(prefix=f".pull-{version}.", dir=model_dir))
        try:
            try:
                local = Path(download_artifacts(artifact_uri=registered.source, dst_path=str(tmp),
                                                tracking_uri=mlflow_uri(uri)))
            except Exception as exc:  # MLflow's and the object stores' errors: one line, no traceback
                raise RegistryError(f"cannot download model {version} from {registered.source} "
                                    f"({_first_line(exc)})") from None
            _check(local, version, digest, f"the download of {registered.source}")
            try:
                local.rename(final)
            except OSError:               # another host pulled into the same shared folder meanwhile
                if not final.exists():
                    raise RegistryError(f"cannot move the checked download into {final}") from None
                _check(final, version, digest, str(final))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    set_current(model_dir, version)
    return Pulled(version, final, str(registered.version), present)


def pull_command(uri: str, name: str, alias: str, model_dir: Path) -> int:
    """``python -m model.artifact pull``: 0 once CURRENT names the aliased version, 2 with a one-line
    error otherwise (unknown alias, unreachable store, a download the loader refuses)."""
    if not uri:
        print("error: no MLflow tracking store: set MLFLOW_TRACKING_URI or --tracking-uri", file=sys.stderr)
        return 2
    try:
        pulled = pull(uri, name, alias, model_dir)
    except (RegistryError, ArtifactError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    how = "already present, checked" if pulled.already_present else "downloaded and checked"
    print(f"{name}@{alias} is registry version {pulled.registry_version}: model {pulled.version} "
          f"{how} in {pulled.path}; {model_dir / 'CURRENT'} names it (restart the server to serve it)")
    return 0
