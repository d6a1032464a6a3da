"""Shared fixtures: where the real Kaggle sample lives, and browser options for dash_duo."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_SAMPLE_DIR = ROOT.parent / "shared" / "data" / "home-credit-sample"
REAL_LARGE_DIR = ROOT.parent / "shared" / "data" / "home-credit-large"


@pytest.fixture(scope="session")
def real_sample_dir() -> Path:
    """The real partial extract of the Kaggle tables, beside the repo (present in CI)."""
    if not (REAL_SAMPLE_DIR / "application_train.csv").exists():
        pytest.skip(f"real Home Credit sample not found at {REAL_SAMPLE_DIR}")
    return REAL_SAMPLE_DIR


@pytest.fixture(scope="session")
def real_large_dir() -> Path:
    """The larger real extract (31,980 labelled clients, ``.csv.gz``, thin history), beside the repo (present in CI)."""
    if not (REAL_LARGE_DIR / "application_train.csv.gz").exists():
        pytest.skip(f"larger real Home Credit extract not found at {REAL_LARGE_DIR}")
    return REAL_LARGE_DIR


def pytest_configure(config: pytest.Config) -> None:
    """Each pytest-xdist worker serves its dash_duo apps on its own ports.

    dash's runners count ports up from one fixed base in every process, so two workers started the
    same number of servers on the same port. The second bind fails, but dash's start-up check can be
    answered by the other worker's app meanwhile, and the test then drives that app (the likely cause
    of a CI flake: a sign-in refused, as by a stranger's users file). The ranges sit below Linux's ephemeral ports (32768+), where
    the browser's and the tests' own outgoing connections take theirs.
    """
    import os

    from dash.testing.application_runners import BaseDashRunner

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    BaseDashRunner._next_port = 20_000 + 1_000 * (int(worker) if worker.isdigit() else 0)


def pytest_setup_options():
    """Chrome flags for dash_duo on a closed network, as root, in a container."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--window-size=1366,768"):
        options.add_argument(flag)
    return options


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory) -> Path:
    """A small generated demo dataset (Kaggle schema), written once per test session."""
    from data.generate import generate_tables, write_tables

    out = tmp_path_factory.mktemp("demo-data")
    write_tables(generate_tables(3000, 400, seed=7), out, fmt="parquet")
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, demo_data_dir) -> Path:
    """A real model trained quickly on the small demo dataset (few iterations, 3 folds); both fitted
    groups, so that serving them is tested end to end."""
    from tests.helpers import quick_model

    return quick_model(demo_data_dir, tmp_path_factory.mktemp("model"), folds=3, seed=7,
                       population_features=("neighbours", "interest"))


@pytest.fixture(scope="session")
def tiny_scorer(tiny_model_dir):
    from model.scoring import Scorer

    return Scorer.load(tiny_model_dir)


@pytest.fixture(scope="module")
def dashboard_app(tiny_scorer, demo_data_dir, tmp_path_factory):
    """The dashboard of the tiny model and its data, scoring log off (one per test module)."""
    from app import create_app
    from settings import get_settings

    settings = get_settings({"INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")), "SCORING_LOG": "off",
                             "HOME_CREDIT_DIR": str(demo_data_dir)})
    return create_app(settings, tiny_scorer)


@pytest.fixture
def duo(dashboard_app, dash_duo):
    """dash_duo serving :func:`dashboard_app` with the sign-in switched off."""
    from tests.helpers import served_without_sign_in

    with served_without_sign_in(dashboard_app, dash_duo) as served:
        yield served
