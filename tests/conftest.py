"""Shared fixtures: where the real Kaggle sample lives, and browser options for dash_duo."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_SAMPLE_DIR = ROOT.parent / "shared" / "data" / "home-credit-sample"


@pytest.fixture(scope="session")
def real_sample_dir() -> Path:
    """The real partial extract of the Kaggle tables, beside the repo (present in CI)."""
    if not (REAL_SAMPLE_DIR / "application_train.csv").exists():
        pytest.skip(f"real Home Credit sample not found at {REAL_SAMPLE_DIR}")
    return REAL_SAMPLE_DIR


def pytest_setup_options():
    """Chrome flags for dash_duo on a closed network, as root, in a container."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--window-size=1366,768"):
        options.add_argument(flag)
    return options
