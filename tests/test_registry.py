"""MLflow tracking on PostgreSQL and the model registry: training registers the version it makes
CURRENT and moves the alias; ``python -m model.artifact pull`` installs the aliased version on a host.

Trains the tiny model of tests/test_train.py twice on a fresh PostgreSQL database (skipped when
none is reachable at 127.0.0.1:5432).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from model.artifact import CURRENT_FILE, version_digest
from model.artifact.__main__ import main
from model.registry import DIGEST_TAG, RegistryError, check_alias, check_reachable, mlflow_uri, shown_uri
from model.scoring import Scorer
from model.train import parse_args, train
from tests.services import pg_url  # noqa: F401 - fixture
from tests.test_train import ONE, config, demo_dir  # noqa: F401 - fixture

NAME = "test-pd"


def _pull(capsys: pytest.CaptureFixture[str], uri: str, model_dir: Path, alias: str = "champion",
          name: str = NAME) -> tuple[int, str, str]:
    rc = main(["pull", "--tracking-uri", uri, "--name", name, "--alias", alias, "--model-dir", str(model_dir)])
    out, err = capsys.readouterr()
    return rc, out, err


def _one_line_error(err: str, *words: str) -> None:
    """``err`` is one line "error: …" (besides MLflow's download progress bar, drawn with \\r)."""
    lines = [line for line in err.replace("\r", "\n").splitlines()
             if line.strip() and not line.startswith("Downloading artifacts")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], err


def test_training_registers_moves_the_alias_and_a_host_pulls_it(pg_url, demo_dir, tmp_path, capsys):  # noqa: F811
    from mlflow.tracking import MlflowClient

    shared = tmp_path / "shared-artifacts"
    messages: list[str] = []

    def trained(seed: int) -> Path:
        return train(config(demo_dir, tmp_path / "trainer", tracking_uri=pg_url, experiment="test-registry",
                            artifact_root=str(shared), registry_name=NAME, alias="champion", seed=seed,
                            params=ONE),      # one seed, not a bag: what is registered and pulled is the same
                     log=messages.append).version_dir

    first = trained(5)
    assert not [m for m in messages if m.startswith("warning")], messages
    assert f"registered as {NAME} version 1, alias 'champion' moved to it" in messages
    # the run is a row of this PostgreSQL database (pg_url is a plain postgresql:// URL: psycopg 3)
    engine = sa.create_engine(mlflow_uri(pg_url))
    try:
        with engine.connect() as conn:
            runs = conn.exec_driver_sql("SELECT run_uuid, name, artifact_uri FROM runs").all()
    finally:
        engine.dispose()
    assert [r.name for r in runs] == [first.name]
    assert runs[0].artifact_uri.startswith((shared / "test-registry").as_uri())      # MLFLOW_ARTIFACT_ROOT
    client = MlflowClient(tracking_uri=mlflow_uri(pg_url))
    champion = client.get_model_version_by_alias(NAME, "champion")
    assert champion.run_id == runs[0].run_uuid and champion.tags["model_version"] == first.name
    assert champion.tags[DIGEST_TAG] == version_digest(first)
    # the methodology note finds the run in the same store, given as the same plain URL
    from model.reporting.facts import find_run
    tracking = find_run(pg_url, first.name)
    assert tracking.found and tracking.run_id == runs[0].run_uuid, tracking.note

    second = trained(6)
    assert second.name != first.name
    champion = client.get_model_version_by_alias(NAME, "champion")
    assert str(champion.version) == "2" and champion.tags["model_version"] == second.name
    assert client.get_model_version(NAME, "1").aliases == []

    # a host with an empty model folder gets the champion, checked, CURRENT pointing at it
    host = tmp_path / "host"
    rc, out, err = _pull(capsys, pg_url, host)
    assert rc == 0, err
    assert f"model {second.name} downloaded and checked" in out
    assert (host / CURRENT_FILE).read_text().strip() == second.name
    assert sorted(p.name for p in host.iterdir()) == sorted([CURRENT_FILE, second.name])   # no temporary left
    pulled, original = Scorer.load(host), Scorer.load(tmp_path / "trainer")
    assert pulled.version == original.version == second.name
    clients = [int(c) for c in original.population.index[:5]]
    assert [pulled.score_client(c).probability for c in clients] == \
        [original.score_client(c).probability for c in clients]
    rc, out, err = _pull(capsys, pg_url, host)                                        # idempotent
    assert rc == 0 and "already present, checked" in out, err

    rc, _, err = _pull(capsys, pg_url, tmp_path / "other", alias="nope")
    _one_line_error(err, "no alias 'nope'")
    assert rc == 2
    rc, _, err = _pull(capsys, pg_url, tmp_path / "other", name="unknown-model")
    _one_line_error(err, "no model named 'unknown-model'")
    assert rc == 2
    # a download that is not the registered artifact (digest) is refused and leaves nothing behind
    client.set_model_version_tag(NAME, "2", DIGEST_TAG, "0" * 64)
    rc, _, err = _pull(capsys, pg_url, tmp_path / "tampered")
    _one_line_error(err, "differs from the registered model")
    assert rc == 2 and list((tmp_path / "tampered").iterdir()) == []


def test_unreachable_store_training_still_saves_and_pull_fails_in_one_line(demo_dir, tmp_path, capsys):  # noqa: F811
    down = "postgresql://postgres@127.0.0.1:1/mlflow"
    messages: list[str] = []
    result = train(config(demo_dir, tmp_path / "model", tracking_uri=down, params=ONE), log=messages.append)
    warning = [m for m in messages if m.startswith("warning")]
    assert len(warning) == 1 and "unreachable" in warning[0] and "not tracked nor registered" in warning[0]
    assert (tmp_path / "model" / CURRENT_FILE).read_text().strip() == result.version_dir.name
    rc, _, err = _pull(capsys, down, tmp_path / "host")
    _one_line_error(err, "unreachable", "127.0.0.1:1")
    assert rc == 2
    rc, _, err = _pull(capsys, f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "host")
    _one_line_error(err, "no MLflow tracking store")
    assert rc == 2 and not (tmp_path / "none.db").exists()
    with pytest.raises(RegistryError, match="unreachable"):            # an MLflow server: no minutes of retries
        check_reachable("http://127.0.0.1:1")


def test_postgresql_urls_reach_mlflow_with_psycopg3():
    assert mlflow_uri("postgresql://u:secret@db.example:5432/mlflow") == \
        "postgresql+psycopg://u:secret@db.example:5432/mlflow"
    assert mlflow_uri("postgres://u@db/mlflow") == "postgresql+psycopg://u@db/mlflow"
    for kept in ("postgresql+psycopg://u@db/m", "sqlite:///tmp/mlflow.db", "http://mlflow:5000", "file:/tmp/runs"):
        assert mlflow_uri(kept) == kept
    assert "secret" not in shown_uri("postgresql://u:secret@db/mlflow")


def test_aliases_mlflow_would_refuse_are_refused_up_front():
    for bad in ("", "two words", "latest", "v3", "a/b"):
        with pytest.raises(RegistryError):
            check_alias(bad)
    assert check_alias("champion") == "champion"
    with pytest.raises(SystemExit) as exc:
        parse_args(["--alias", "Latest"])
    assert exc.value.code == 2


def test_registry_settings():
    from settings import get_settings

    default = get_settings({})
    assert (default.model_registry_name, default.model_alias, default.mlflow_artifact_root) == \
        ("pret-a-depenser-pd", "champion", "")
    chosen = get_settings({"MODEL_REGISTRY_NAME": "none", "MODEL_ALIAS": "challenger",
                           "MLFLOW_ARTIFACT_ROOT": " s3://bucket/mlflow "})
    assert (chosen.model_registry_name, chosen.model_alias, chosen.mlflow_artifact_root) == \
        ("", "challenger", "s3://bucket/mlflow")
    assert parse_args(["--registry-name", "", "--alias", "challenger"]).registry_name == ""
