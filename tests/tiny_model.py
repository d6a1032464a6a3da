"""The session's demo data and tiny model: how they are made, in a module of its own.

tests/conftest.py keeps the pair in pytest's cache under a digest of this file, ``data/``, ``model/``,
``settings.py`` and the libraries' versions (``PAIR_SOURCES``): an edit to a fixture or a test helper
reuses the kept pair, an edit to anything the pair is made from builds it again.
"""
from __future__ import annotations

from typing import Any


def quick_model(data_dir: Any, out: Any, *, folds: int, seed: int, population_features: tuple[str, ...] = ()) -> Any:
    """A real model trained in seconds (few shallow trees, no tracking), written to ``out``."""
    from model.cost import CostWeights
    from model.estimator import CatBoostParams
    from model.train import TrainConfig, train

    config = TrainConfig(data_dir=data_dir, model_dir=out, tracking_uri=None,
                         params=CatBoostParams(iterations=60, learning_rate=0.15, depth=4, border_count=32,
                                               early_stopping_rounds=20, bag_size=1, thread_count=1),
                         weights=CostWeights(10, 1), folds=folds, seed=seed, class_weights="none", baselines=False,
                         population_features=population_features)
    train(config, log=lambda _msg: None)
    return out


def build_pair(data: Any, model: Any) -> None:
    """3,000 + 400 generated clients written to ``data`` (Parquet), and a tiny model of them with both
    fitted feature groups written to ``model``, so that serving them is tested end to end."""
    from data.generate import generate_tables, write_tables

    write_tables(generate_tables(3000, 400, seed=7), data, fmt="parquet")
    quick_model(data, model, folds=3, seed=7, population_features=("neighbours", "interest"))
