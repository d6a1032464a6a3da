"""Features fitted on the training clients: the neighbours' default rate and the loan's implied term
and interest rate.

Two groups of the public Home Credit solutions carry signal that no client's own rows give:

* **The default rate of the client's nearest neighbours** on EXT_SOURCE_1-3 and credit/annuity
  (``NEIGHBOUR_DEFAULT_RATE``): a smoothed, local version of what the model learns from those
  columns, which a few thousand clients give a tree model too little data to find alone. It is
  computed from *labels*, so it is fitted like a model: inside each cross-validation fold on the
  training part only, and for serving on the training clients, which every worker holds anyway.
  A training client's own label never counts in its own value: each neighbour set leaves the
  client out (matched by ``SK_ID_CURR``). The same rule serves a new applicant (no one to leave
  out) and a known client sent to ``/predict`` with its number (same value as the batch), and
  within a fold it keeps the training rows' values from seeing their own outcomes, which would
  make the feature look perfect on the training part and useless on the validation part.
* **The implied term and interest rate of the loan asked for** (``CREDIT_TERM_PREDICTED``,
  ``INTEREST_RATE_PREDICTED``). The application gives the credit and the annuity but not the
  number of payments; previous applications give all three. A small CatBoost regressor learns
  the number of payments from the credit, the annuity, the goods price and the contract type on
  previous applications (no TARGET involved), and the annuity formula
  (:func:`model.features.annuity_rate`) turns credit, annuity and that term into the yearly rate
  the lender priced the loan at, which says how risky the lender judged the client. Fitted
  inside each fold too, on the previous applications of the fold's training clients and of
  clients without a label, so that no validation client's rows shape it.

The fitted state is small (neighbours: the training clients' standardised inputs and labels;
term: a CatBoost file) and is stored beside the model (:data:`NEIGHBOURS_FILE`,
:data:`TERM_MODEL_FILE`).
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from catboost import CatBoostRegressor
from sklearn.neighbors import KDTree

from model.estimator import model_bytes
from model.features import CREDIT_TERM_PREDICTED as PREDICTED_TERM
from model.features import INTEREST_RATE_PREDICTED as PREDICTED_RATE
from model.features import NEIGHBOUR_DEFAULT_RATE as NEIGHBOUR_RATE
from model.features import annuity_rate

#: Feature groups, by the name the ablation and ``TrainConfig.population_features`` use.
GROUPS: dict[str, tuple[str, ...]] = {"neighbours": (NEIGHBOUR_RATE,), "interest": (PREDICTED_TERM, PREDICTED_RATE)}
NEIGHBOUR_INPUTS: tuple[str, ...] = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3", "CREDIT_TERM_MONTHS")
#: Neighbours per client. Not tuned: 50 and 100 gave the same AUC within the noise in an
#: exploratory run on the real sample (docs/model-quality.md).
DEFAULT_NEIGHBOURS = 50
#: The term model is fitted on at most this many previous applications (seeded sample): at
#: Kaggle scale (1.7 million) more rows add nothing to a five-input regression but minutes.
TERM_MAX_ROWS = 200_000



def unused_columns(groups: Collection[str]) -> list[str]:
    """Fitted feature columns of the groups a model does not use (absent from its inputs)."""
    return [name for group, names in GROUPS.items() if group not in groups for name in names]


NEIGHBOURS_FILE = "neighbours.npz"
TERM_MODEL_FILE = "term_model.cbm"

_Floats = npt.NDArray[np.float64]


def _inputs(X: pd.DataFrame, columns: tuple[str, ...]) -> _Floats:
    return np.column_stack([X[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in columns])


def _standardise(X: pd.DataFrame, centre: _Floats, scale: _Floats) -> npt.NDArray[np.float32]:
    with np.errstate(all="ignore"):
        z = (_inputs(X, NEIGHBOUR_INPUTS) - centre) / scale
    z[~np.isfinite(z)] = 0.0        # a missing (or infinite) input counts as the median
    return z.astype(np.float32)


@dataclass(frozen=True)
class NeighbourRate:
    """Default rate among the ``k`` training clients nearest on :data:`NEIGHBOUR_INPUTS`.

    Inputs are standardised with the training clients' medians and interquartile ranges (robust
    to the heavy tail of credit/annuity) and a missing input takes the median, so a client with
    no EXT_SOURCE_1 is compared on the others.
    """

    k: int
    centre: _Floats
    scale: _Floats
    points: npt.NDArray[np.float32]
    labels: npt.NDArray[np.int8]
    ids: npt.NDArray[np.int64]
    _tree: list[KDTree] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def fit(cls, X: pd.DataFrame, y: npt.ArrayLike, k: int = DEFAULT_NEIGHBOURS) -> NeighbourRate:
        labels = np.asarray(y, dtype=np.int8)
        if len(labels) != len(X):
            raise ValueError(f"{len(X)} clients but {len(labels)} labels")
        if not 1 <= k < len(X):
            raise ValueError(f"k must be between 1 and the number of training clients - 1, got {k}")
        raw = _inputs(X, NEIGHBOUR_INPUTS)
        raw[~np.isfinite(raw)] = np.nan
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # an input missing for every client
            centre = np.nan_to_num(np.nanmedian(raw, axis=0))
            q75, q25 = np.nanpercentile(raw, [75, 25], axis=0)
        scale = np.nan_to_num(q75 - q25, nan=1.0)
        scale[scale <= 0] = 1.0
        return cls(k, centre, scale, _standardise(X, centre, scale), labels, X.index.to_numpy(dtype=np.int64))

    @property
    def tree(self) -> KDTree:
        if not self._tree:
            self._tree.append(KDTree(self.points))
        return self._tree[0]

    def rates(self, X: pd.DataFrame) -> _Floats:
        """Each row's neighbours' default rate, its own label left out when it is a training client."""
        if len(X) == 0:
            return np.zeros(0)
        idx = self.tree.query(_standardise(X, self.centre, self.scale), k=self.k + 1, return_distance=False)
        own = pd.Index(self.ids).get_indexer(pd.Index(X.index.to_numpy(dtype=np.int64)))
        keep = idx != own[:, None]
        # rows that are not training clients (own == -1) keep their k nearest; the others keep the
        # k nearest that are not themselves
        first_k = np.cumsum(keep, axis=1) <= self.k
        mask = keep & first_k
        return np.asarray((self.labels[idx] * mask).sum(axis=1) / self.k, dtype=np.float64)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, k=np.array(self.k), centre=self.centre, scale=self.scale, points=self.points,
                            labels=self.labels, ids=self.ids, inputs=np.array(NEIGHBOUR_INPUTS))
        return buffer.getvalue()

    @classmethod
    def from_file(cls, path: Path) -> NeighbourRate:
        with np.load(path, allow_pickle=False) as z:
            if tuple(z["inputs"].tolist()) != NEIGHBOUR_INPUTS:
                raise ValueError(f"{path} was fitted on other inputs: {z['inputs'].tolist()}")
            return cls(int(z["k"]), z["centre"], z["scale"], z["points"], z["labels"], z["ids"])


def _term_inputs(credit: Any, annuity: Any, goods: Any, contract_type: Any) -> pd.DataFrame:
    c = np.asarray(credit, dtype=np.float64)
    a = np.asarray(annuity, dtype=np.float64)
    with np.errstate(all="ignore"):
        return pd.DataFrame({
            "log_credit": np.log(np.where(c > 0, c, np.nan)),
            "log_annuity": np.log(np.where(a > 0, a, np.nan)),
            "payment_share": a / np.where(c > 0, c, np.nan),
            "goods_share": np.asarray(goods, dtype=np.float64) / np.where(c > 0, c, np.nan),
            "contract_type": pd.Series(contract_type).astype(object).where(pd.notna(contract_type), "NA")
                               .astype(str).to_numpy(),
        })


def term_training_rows(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Previous applications usable to learn the number of payments (SK_ID_CURR kept for folds)."""
    prev = tables.get("previous_application")
    if prev is None or prev.empty:
        return pd.DataFrame(columns=["SK_ID_CURR", "CNT_PAYMENT", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE",
                                     "NAME_CONTRACT_TYPE"])
    rows = prev[["SK_ID_CURR", "CNT_PAYMENT", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "NAME_CONTRACT_TYPE"]]
    usable = (rows["CNT_PAYMENT"] > 0) & (rows["AMT_CREDIT"] > 0) & (rows["AMT_ANNUITY"] > 0)
    return rows[usable.fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)


#: Fewer usable previous applications than this: no term model (the features stay missing).
TERM_MIN_ROWS = 200


@dataclass(frozen=True)
class TermModel:
    """Number of monthly payments of a loan, learnt from previous applications."""

    model: CatBoostRegressor

    @classmethod
    def fit(cls, rows: pd.DataFrame, seed: int = 42, thread_count: int = 2) -> TermModel | None:
        """None when there are too few usable previous applications to learn from."""
        if len(rows) < TERM_MIN_ROWS:
            return None
        if len(rows) > TERM_MAX_ROWS:
            rows = rows.sample(TERM_MAX_ROWS, random_state=seed)
        X = _term_inputs(rows["AMT_CREDIT"], rows["AMT_ANNUITY"], rows["AMT_GOODS_PRICE"], rows["NAME_CONTRACT_TYPE"])
        model = CatBoostRegressor(iterations=300, learning_rate=0.1, depth=6, loss_function="RMSE",
                                  cat_features=["contract_type"], random_seed=seed, thread_count=thread_count,
                                  allow_writing_files=False, verbose=0)
        model.fit(X, rows["CNT_PAYMENT"].to_numpy(dtype=np.float64))
        return cls(model)

    def predict(self, X: pd.DataFrame) -> tuple[_Floats, _Floats]:
        """(term in months, yearly interest rate) of each application's loan; NaN without credit or annuity."""
        if len(X) == 0:
            return np.zeros(0), np.zeros(0)
        inputs = _term_inputs(X["AMT_CREDIT"], X["AMT_ANNUITY"], X["AMT_GOODS_PRICE"], X["NAME_CONTRACT_TYPE"])
        term = np.clip(np.asarray(self.model.predict(inputs), dtype=np.float64), 1.0, None)
        term[inputs[["log_credit", "log_annuity"]].isna().any(axis=1).to_numpy()] = np.nan
        rate = annuity_rate(X["AMT_CREDIT"].to_numpy(dtype=np.float64, na_value=np.nan),
                            X["AMT_ANNUITY"].to_numpy(dtype=np.float64, na_value=np.nan), np.round(term))
        return term, rate

    def to_bytes(self) -> bytes:
        return model_bytes(self.model)

    @classmethod
    def from_file(cls, path: Path) -> TermModel:
        model = CatBoostRegressor()
        model.load_model(str(path))
        return cls(model)


@dataclass(frozen=True)
class PopulationFeatures:
    """The fitted feature groups of one model (a group not fitted leaves its columns missing)."""

    neighbours: NeighbourRate | None = None
    term: TermModel | None = None

    @classmethod
    def fit(cls, X: pd.DataFrame, y: npt.ArrayLike, term_rows: pd.DataFrame, groups: Collection[str],
            *, held_out: Collection[int] = (), k: int = DEFAULT_NEIGHBOURS, seed: int = 42) -> PopulationFeatures:
        """Fit the chosen ``groups`` on the labelled clients ``X``/``y``; ``held_out``: clients
        (the validation fold) whose previous applications the term model must not see."""
        unknown = set(groups) - set(GROUPS)
        if unknown:
            raise ValueError(f"unknown feature groups {sorted(unknown)}; known: {sorted(GROUPS)}")
        neighbours = NeighbourRate.fit(X, y, k) if "neighbours" in groups else None
        term = None
        if "interest" in groups:
            rows = term_rows[~term_rows["SK_ID_CURR"].isin(list(held_out))] if len(held_out) else term_rows
            term = TermModel.fit(rows, seed=seed)
        return cls(neighbours, term)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` with the fitted columns filled (float32, as every numeric feature); ``X`` itself
        when nothing is fitted (the default model: no copy on the request path)."""
        if self.neighbours is None and self.term is None:
            return X
        out = X.copy()
        if self.neighbours is not None and NEIGHBOUR_RATE in out.columns:
            out[NEIGHBOUR_RATE] = self.neighbours.rates(X).astype(np.float32)
        if self.term is not None and PREDICTED_TERM in out.columns:
            term, rate = self.term.predict(X)
            out[PREDICTED_TERM] = term.astype(np.float32)
            out[PREDICTED_RATE] = rate.astype(np.float32)
        return out

    def files(self) -> dict[str, bytes]:
        """The artifact files of the fitted state."""
        out: dict[str, bytes] = {}
        if self.neighbours is not None:
            out[NEIGHBOURS_FILE] = self.neighbours.to_bytes()
        if self.term is not None:
            out[TERM_MODEL_FILE] = self.term.to_bytes()
        return out

    @classmethod
    def load(cls, version_dir: Path) -> PopulationFeatures:
        neighbours = version_dir / NEIGHBOURS_FILE
        term = version_dir / TERM_MODEL_FILE
        return cls(NeighbourRate.from_file(neighbours) if neighbours.exists() else None,
                   TermModel.from_file(term) if term.exists() else None)
