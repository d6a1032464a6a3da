"""Every setting of the product, read once from the environment, with defaults for the demo.

One place, so that the app, the CLIs and the tests agree on paths and costs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parent


def _path(value: str | None, default: Path) -> Path:
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Product settings; build with :func:`get_settings` rather than by hand."""

    #: Folder of the Kaggle files used by everything (``HOME_CREDIT_DIR``); the demo folder by default.
    data_dir: Path = ROOT / "data" / "demo"
    #: Where ``make run`` writes the generated demo data.
    demo_dir: Path = ROOT / "data" / "demo"
    demo_clients: int = 20_000
    demo_test_clients: int = 3_000
    seed: int = 42
    #: Folder of the trained model artifact (``MODEL_DIR``).
    model_dir: Path = ROOT / "artifacts" / "model"
    tracking_uri: str = f"sqlite:///{ROOT / 'mlflow.db'}"
    #: Business cost of a missed defaulter (false negative) and of a refused good client (false positive).
    cost_fn: float = 10.0
    cost_fp: float = 1.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def uses_demo_data(self) -> bool:
        return self.data_dir == self.demo_dir


def get_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (the process environment by default)."""
    env = os.environ if env is None else env
    demo_dir = _path(env.get("DEMO_DIR"), Settings.demo_dir)
    return Settings(
        data_dir=_path(env.get("HOME_CREDIT_DIR"), demo_dir),
        demo_dir=demo_dir,
        demo_clients=int(env.get("DEMO_CLIENTS", Settings.demo_clients)),
        demo_test_clients=int(env.get("DEMO_TEST_CLIENTS", Settings.demo_test_clients)),
        seed=int(env.get("SEED", Settings.seed)),
        model_dir=_path(env.get("MODEL_DIR"), Settings.model_dir),
        tracking_uri=env.get("MLFLOW_TRACKING_URI", Settings.tracking_uri),
        cost_fn=float(env.get("COST_FN", Settings.cost_fn)),
        cost_fp=float(env.get("COST_FP", Settings.cost_fp)),
    )
