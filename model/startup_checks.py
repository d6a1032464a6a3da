"""What a server checks at start on its loaded model, before it serves anyone: a few known clients
scored again as at training, and every client the model knows present in the data folder served.

These need a loaded :class:`~model.scoring.Scorer` (they score clients), so they sit above it, not
in :mod:`model.artifact`, which the Scorer is built from. The files themselves (digests, metadata,
format) are checked by :func:`model.artifact.load_artifact` before anything here runs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data.load import DataError, find_table_file
from data.schema import APPLICATION_TABLES
from model.artifact import MODEL_FILE, POPULATION_FILE, SCORES_FILE, ArtifactError, first_line
from model.scoring import Scorer

#: How far a known client's PD scored again at start may be from the one stored at training (float32).
KNOWN_ROW_TOLERANCE = 1e-5


def check_known_rows(scorer: Scorer, rows: int = 5) -> None:
    """Score a few known clients again and compare with the PDs training stored (``scores.parquet``):
    a model that cannot score them, or scores them otherwise, is refused with one line."""
    model_path = scorer.artifact.path / MODEL_FILE
    population = scorer.population
    if len(population) == 0:
        raise ArtifactError(f"{scorer.artifact.path / POPULATION_FILE}: no client to check the model with")
    sample = population.iloc[np.unique(np.linspace(0, len(population) - 1, min(rows, len(population))).astype(int))]
    try:
        stored = scorer.scores["PROBABILITY"].reindex(sample.index).to_numpy(np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"{scorer.artifact.path / SCORES_FILE}: no stored PD of the known clients "
                            f"({first_line(exc)})") from None
    try:
        got = np.asarray(scorer.probability(sample), dtype=np.float64)
    except Exception as exc:  # noqa: BLE001 - CatBoostError and friends: the model cannot score
        raise ArtifactError(f"{model_path}: cannot score a known client ({first_line(exc)})") from None
    wrong = ~(np.abs(got - stored) <= KNOWN_ROW_TOLERANCE)     # NaN on either side is wrong too
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise ArtifactError(f"{model_path}: scores known client {sample.index[i]} {got[i]:.6g}, "
                            f"{stored[i]:.6g} at training: restore or retrain the model")


def application_ids(data_dir: Path) -> np.ndarray:
    """The client numbers (``SK_ID_CURR``) of the application files of ``data_dir``, read alone."""
    ids = []
    for table in APPLICATION_TABLES:
        path = find_table_file(Path(data_dir), table)
        if path is None:
            continue
        try:
            if path.name.lower().endswith(".parquet"):
                column = pq.read_table(path, columns=["SK_ID_CURR"]).column(0)
            else:
                column = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                    include_columns=["SK_ID_CURR"])).column(0)
            ids.append(column.to_numpy().astype(np.int64))
        except (pa.ArrowException, OSError, EOFError, ValueError, TypeError) as exc:
            raise DataError(str(path), f"cannot read its client numbers ({first_line(exc)})") from None
    return np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)


def check_served_data(scorer: Scorer, data_dir: Path) -> None:
    """Refuse a model whose clients are not in the application files of the data folder served.

    The served folder's own path is not enough (``status`` compares it, and ``make run`` retrains on
    a difference): in production the data may be a copy at another path. What the running product
    needs is that every client the model knows has its rows in the served files (What-if, counter-offer);
    a model trained on another folder fails that, whatever the paths."""
    known = np.asarray(scorer.population.index, dtype=np.int64)
    missing = known[~np.isin(known, application_ids(data_dir))]
    if len(missing):
        trained_on = scorer.artifact.metadata.data_dir or "another data folder"
        raise ArtifactError(
            f"model {scorer.version} was trained on {trained_on}: {len(missing):,} of its {len(known):,} clients "
            f"(client {int(missing[0])} first) are in no application file of {data_dir}; train a model on this "
            f"folder (python -m model.train --data-dir {data_dir}) or serve the data it was trained on")
