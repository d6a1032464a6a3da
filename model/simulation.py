"""What-if and counter-offer: a known client's application changed, re-scored by the product's own code.

A relationship manager facing a refused or borderline client is asked "what if I borrow
less?" and "what would you grant me?". Both are answered by changing the client's raw
application row (never its history, age or any protected attribute) and sending the changed
rows through exactly the path of ``POST /api/v1/predict``: ``Scorer.application_features``
then ``Scorer.score_features``. A simulated score is therefore the score that application
would get if it were filed, and it is never written over the client's file: the client's
rows are copied, the population and the scoring log are not touched.

A client thinks in an amount, a term and a monthly payment, while the application holds the
amount and the monthly payment (``AMT_ANNUITY``) but not the term. :class:`Loan` reads the term
and the yearly rate the application implies (the model's term model where it has one, as
``CREDIT_TERM_PREDICTED`` does; otherwise the shortest term of the data that the payment repays),
so that the screen offers a term in months to choose (:func:`data_terms`: the terms the previous
applications show) and the monthly payment of any amount and term follows at the client's rate.

The counter-offer is a bounded search over the levers a client can pull in a meeting
(amount, term, own contribution), not DiCE: the actionable space is two or three fields
that each move fifteen or so model features through the feature code, DiCE's random and
genetic searches work on the model's own features (so they would need this pipeline wrapped
as the model), are stochastic and take seconds per client. A grid over amount × term, all
candidates built and scored in one batch through the same feature code, is exhaustive over
the grid, deterministic and fast; every proposal kept is then re-scored alone through the
``/predict`` path, and only proposals that path grants are shown.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from data.load import DataError, Tables, load_tables
from data.schema import APPLICATION_TABLES, bounds_of
from model import features as feats
from model.artifact import ArtifactError
from model.clients.records_store import Rows, SortedRows, link_key, open_records, records_tables
from model.decision import GRANTED, REFER, REFUSED, Decision
from model.features import annuity_rate
from model.population_features import TermModel
from model.scoring import Score, Scorer
from settings import get_settings

ID = "SK_ID_CURR"
#: Keys linking child rows to each other (renumbered per copy in a batch of variants).
LINK_KEYS = ("SK_ID_BUREAU", "SK_ID_PREV")
CREDIT, ANNUITY, GOODS = "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"
#: The application fields a client can change in a meeting: how much, the monthly payment
#: (``AMT_ANNUITY``: over how long), and the price of what is bought (the difference with the
#: amount is the client's own contribution). Income, family, employment, age, gender and every
#: history table are facts about the client, not choices, and are never simulated.
LEVERS: tuple[str, ...] = (CREDIT, ANNUITY, GOODS)
#: The term in months: what a client chooses instead of the monthly payment, which then follows
#: from the amount, the term and the client's rate (:class:`Loan`).
TERM = "term"

#: Counter-offer grid: shares of the amount asked (largest first); the terms are the client's own
#: and the longer terms the data show, up to :data:`MAX_TERM_FACTOR` times the client's.
AMOUNT_SHARES: tuple[float, ...] = tuple(np.round(np.linspace(1.0, 0.2, 17), 4))
MAX_TERM_FACTOR = 2.0
#: The longest term proposed, in months: Home Credit's cash loans run to about five years.
MAX_PAYMENTS = 60.0
#: A term is offered on the screen when at least this share of the previous applications with a
#: known number of payments ran over it (the terms the bank actually sells).
TERM_MIN_SHARE = 0.01
#: The terms offered when the data show none (an application-only model reads no previous application).
DEFAULT_TERMS: tuple[int, ...] = (12, 24, 36, 48, 60)
#: Amounts are proposed in round steps, as a manager would say them.
AMOUNT_STEP = 1_000.0


class SimulationError(ValueError):
    """A simulated application the product cannot score; ``field`` names the lever."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def data_terms(previous: pd.DataFrame | None, min_share: float = TERM_MIN_SHARE) -> tuple[int, ...]:
    """The loan terms the data show, in months: the numbers of payments (``CNT_PAYMENT``) of at least
    ``min_share`` of the previous applications with one; :data:`DEFAULT_TERMS` without any."""
    if previous is None or "CNT_PAYMENT" not in previous.columns:
        return DEFAULT_TERMS
    n = pd.to_numeric(previous["CNT_PAYMENT"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    n = n[np.isfinite(n) & (n >= 1) & (n == np.round(n))]
    if n.size == 0:
        return DEFAULT_TERMS
    values, counts = np.unique(n, return_counts=True)
    return tuple(int(v) for v in values[counts >= min_share * n.size]) or DEFAULT_TERMS


def payment_share(rate: float, term: int) -> float:
    """The monthly payment per euro borrowed over ``term`` months at the yearly ``rate`` (the annuity
    formula, :func:`model.features.annuity_rate`'s inverse): r/12 / (1 − (1 + r/12)^−term)."""
    monthly = rate / 12
    if abs(monthly) < 1e-12:
        return 1.0 / term
    return monthly / -math.expm1(-term * math.log1p(monthly))


def whole_months(value: Any) -> int | None:
    """A term as a whole number of months (24, 24.0, "24"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else None
    text = str(value).strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class Loan:
    """The loan a client asked for, as a term and a rate: the application gives the amount and the
    monthly payment only, the rest is implied (:func:`implied_loan`)."""

    credit: float
    payment: float
    #: months
    term: int
    #: yearly, from the annuity formula (0 when the payment repays the amount with no interest)
    rate: float
    #: "term_model": the model's term model read the term; "terms": the shortest term of the data
    #: that the payment repays (the model has no term model)
    basis: str

    def payment_for(self, amount: float, term: int) -> float:
        """The monthly payment of ``amount`` over ``term`` months at the client's rate: the client's own
        payment for its own amount and term, proportional to the amount at a given term."""
        if amount == self.credit and term == self.term:
            return self.payment
        return self.payment * (amount / self.credit) * (payment_share(self.rate, term)
                                                          / payment_share(self.rate, self.term))


def implied_loan(credit: float | None, payment: float | None, goods: float | None, contract_type: Any,
                 term_model: TermModel | None, terms: Sequence[int]) -> Loan | None:
    """The term and yearly rate an application implies; None without a usable amount and payment.

    With the model's term model (``CREDIT_TERM_PREDICTED``), its term, when it gives a rate of zero
    or more. Otherwise the shortest of the data's ``terms`` the payment repays (credit ÷ payment
    rounded up to one of them), the reading with the least interest: a real loan's term is one the
    bank sells and is at least credit ÷ payment.
    """
    if credit is None or payment is None or not (0 < payment <= credit):
        return None
    if term_model is not None:
        frame = pd.DataFrame({CREDIT: [credit], ANNUITY: [payment], GOODS: [np.nan if goods is None else goods],
                              "NAME_CONTRACT_TYPE": [contract_type]})
        predicted, rate = term_model.predict(frame)
        term, yearly = float(predicted[0]), float(rate[0])
        if math.isfinite(term) and math.isfinite(yearly) and yearly >= 0:
            return Loan(credit, payment, max(1, round(term)), yearly, "term_model")
    ratio = credit / payment
    term = next((int(n) for n in sorted(terms) if n >= ratio - 1e-9), math.ceil(ratio - 1e-9))
    yearly = float(annuity_rate([credit], [payment], [term])[0])
    return Loan(credit, payment, term, yearly if math.isfinite(yearly) and yearly > 0 else 0.0, "terms")


class ClientRecords:
    """Every known client's raw rows (the bank's file), a client's in about 2 ms (0.3 ms in memory).

    Each table is sorted by its link key so a client's rows are one contiguous slice. :meth:`load`
    reads them from a store written once per data folder (``model.clients.records_store``): every
    process of a host shares one copy of the rows in the page cache and reads a client's rows from
    it when asked. Without a cache folder (``RECORDS_CACHE_DIR=none``) they are loaded into this
    process's memory, as :meth:`from_tables` does; both give the same frames.
    """

    def __init__(self, tables: Mapping[str, Rows]) -> None:
        #: the loan terms the data show (:func:`data_terms`)
        previous = tables.get("previous_application")
        self.terms = data_terms(None if previous is None
                                else previous.frame_of([c for c in ("CNT_PAYMENT",) if c in previous.columns]))
        self._apps = {name: tables[name] for name in APPLICATION_TABLES if name in tables}
        self._children = {name: rows for name, rows in tables.items()
                          if name not in APPLICATION_TABLES and name != "bureau_balance"}
        self._bureau_balance = tables.get("bureau_balance")

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame]) -> ClientRecords:
        """The rows of loaded tables, sorted in this process's memory."""
        return cls({name: SortedRows.of(frame, link_key(name)) for name, frame in tables.items()})

    @classmethod
    def load(cls, data_dir: str | Path, include_children: bool = True,
             cache_dir: str | Path | None = None) -> ClientRecords:
        """The client files of ``data_dir``: read from the store under ``cache_dir`` (built there once,
        in a child process, when missing or stale); loaded in memory when ``cache_dir`` is None."""
        names = records_tables(include_children)
        if cache_dir is None:
            return cls.from_tables(load_tables(data_dir, names))
        return cls(open_records(data_dir, names, cache_dir))

    @property
    def clients(self) -> int:
        """How many clients the application files hold."""
        return sum(len(table.ids) for table in self._apps.values())

    def frames(self, client_id: int) -> dict[str, pd.DataFrame]:
        """The client's rows of every table, as ``Scorer.application_features`` takes them.

        The frames are shared by later calls for the same client: callers copy before changing them
        (:func:`with_levers`)."""
        return self._frames(int(client_id))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one ClientRecords per process, kept for its life
    def _frames(self, client_id: int) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for name, table in self._apps.items():
            if table.size(client_id):
                out[name] = table.rows(client_id)
                break
        if not out:
            raise KeyError(f"client {client_id} is in no application file")
        for name, table in self._children.items():
            out[name] = table.rows(client_id)
        if self._bureau_balance is not None and "bureau" in out:
            out["bureau_balance"] = self._bureau_balance.rows_of(out["bureau"]["SK_ID_BUREAU"].to_numpy())
        return out


def application_table(frames: Mapping[str, pd.DataFrame]) -> str:
    return next(name for name in APPLICATION_TABLES if name in frames)


def levers_of(frames: Mapping[str, pd.DataFrame]) -> dict[str, float | None]:
    """The client's current values of the levers (None where not given)."""
    row = frames[application_table(frames)].iloc[0]
    return {c: (None if pd.isna(row[c]) else float(row[c])) for c in LEVERS}


def check_levers(values: Mapping[str, Any]) -> dict[str, float]:
    """Lever values a client could really sign for, or a :class:`SimulationError` naming the field."""
    out: dict[str, float] = {}
    unknown = sorted(set(values) - set(LEVERS))
    if unknown:
        raise SimulationError(unknown[0], f"{unknown[0]} cannot be simulated (levers: {', '.join(LEVERS)})")
    for name, value in values.items():
        if value is None or isinstance(value, bool):
            raise SimulationError(name, f"{name} needs a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SimulationError(name, f"{name} needs a number, got {value!r}") from None
        if not math.isfinite(number) or number > 1e9:
            raise SimulationError(name, f"{name} must be a finite amount below 1e9")
        if number <= 0 and name != GOODS or number < 0:
            raise SimulationError(name, f"{name} must be positive")
        bounds = bounds_of(name)        # the same range /predict holds a new applicant to
        if bounds is not None and not bounds.admits(number):
            raise SimulationError(name, f"{name} must be {bounds.rule_words}")
        out[name] = number
    credit, annuity = out.get(CREDIT), out.get(ANNUITY)
    if credit is not None and annuity is not None and annuity > credit:
        raise SimulationError(ANNUITY, "the monthly payment cannot exceed the amount borrowed")
    return out


def with_levers(frames: Mapping[str, pd.DataFrame], values: Mapping[str, float]) -> dict[str, pd.DataFrame]:
    """A copy of the client's rows with the application's levers changed (the file is untouched)."""
    name = application_table(frames)
    app = frames[name].copy()
    for column, value in values.items():
        app[column] = np.asarray([value], dtype=np.float64)
    return {**frames, name: app}


@dataclass(frozen=True)
class Simulation:
    """A simulated score: what the application would get if it were filed with these values."""

    client_id: int
    levers: dict[str, float | None]
    changed: tuple[str, ...]
    score: Score


@dataclass(frozen=True)
class Proposal:
    """One counter-offer, re-scored alone through the ``/predict`` path."""

    kind: str                      # "amount" (same term), "term" (same amount) or "nearest"
    levers: dict[str, float]
    #: months; the monthly payment (``levers[ANNUITY]``) follows at the client's rate
    term: int
    probability: float
    decision: Decision


@dataclass(frozen=True)
class CounterOffer:
    """What the model would grant instead; ``proposals`` is empty when nothing on the grid is granted."""

    client_id: int
    asked: dict[str, float | None]
    decision: Decision
    candidates: int
    proposals: tuple[Proposal, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        return bool(self.proposals)


class Simulator:
    """What-if scores and counter-offers of known clients, through the Scorer's ``/predict`` path."""

    def __init__(self, scorer: Scorer, records: ClientRecords | Callable[[], ClientRecords]) -> None:
        """``records``: the client files, or how to load them on first use (a worker that never
        simulates never pays for them)."""
        self.scorer = scorer
        self._records = records if isinstance(records, ClientRecords) else None
        self._load = None if isinstance(records, ClientRecords) else records
        self._lock = threading.Lock()

    @property
    def records(self) -> ClientRecords:
        if self._records is None:
            with self._lock:
                if self._records is None and self._load is not None:
                    self._records = self._load()
        assert self._records is not None
        return self._records

    def warm_up(self) -> threading.Thread:
        """Load the client files in the background, so the first simulation of a meeting does not wait.

        One line on stderr says when they are ready, or why they could not be loaded (a later
        simulation tries again and answers the error)."""
        def load() -> None:
            t0 = time.perf_counter()
            try:
                clients = self.records.clients
            except (DataError, OSError) as exc:
                print(f"client records not loaded (pid {os.getpid()}): {exc}", file=sys.stderr, flush=True)
                return
            print(f"client records ready in {time.perf_counter() - t0:.1f} s (pid {os.getpid()}, {clients:,} clients)",
                  file=sys.stderr, flush=True)

        thread = threading.Thread(target=load, name="client-records", daemon=True)
        thread.start()
        return thread

    def frames(self, client_id: int) -> dict[str, pd.DataFrame]:
        return self.records.frames(client_id)

    def levers(self, client_id: int) -> dict[str, float | None]:
        return levers_of(self.frames(client_id))

    def loan(self, client_id: int) -> Loan | None:
        """The client's loan as a term and a rate (:func:`implied_loan`); None without amount or payment."""
        frames = self.frames(client_id)
        row = frames[application_table(frames)].iloc[0]
        levers = levers_of(frames)
        contract = row["NAME_CONTRACT_TYPE"] if "NAME_CONTRACT_TYPE" in row.index else None
        return implied_loan(levers[CREDIT], levers[ANNUITY], levers[GOODS], None if pd.isna(contract) else contract,
                            self.scorer.population_features.term, self.records.terms)

    def term_options(self, client_id: int) -> tuple[int, ...]:
        """The terms a client may choose, in months: the data's, and the client's own."""
        loan = self.loan(client_id)
        return tuple(sorted({*self.records.terms, *((loan.term,) if loan is not None else ())}))

    def levers_for(self, client_id: int, amount: float | None, term: Any, goods: float | None
                   ) -> dict[str, float | None]:
        """The application's levers for an amount, a term and a goods price chosen in a meeting: the
        monthly payment follows at the client's rate (the client's own for its own amount and term).

        A :class:`SimulationError` names the term when it is not one offered, or when the client's
        application gives no payment to read a rate from.
        """
        loan = self.loan(client_id)
        if loan is None:
            raise SimulationError(TERM, "the application gives no amount and monthly payment to read a rate from")
        months = whole_months(term)
        if months is None or months not in self.term_options(client_id):
            raise SimulationError(TERM, f"the term must be one of {self.term_options(client_id)}")
        if amount is None or not math.isfinite(amount) or amount <= 0:
            return {CREDIT: amount, ANNUITY: None, GOODS: goods}
        return {CREDIT: amount, ANNUITY: loan.payment_for(amount, months), GOODS: goods}

    def simulate(self, client_id: int, changes: Mapping[str, Any]) -> Simulation:
        """The score of the client's application with ``changes`` applied to its levers."""
        frames = self.frames(client_id)
        current = levers_of(frames)
        checked = check_levers(changes)
        merged = {**current, **checked}
        check_levers({k: v for k, v in merged.items() if v is not None})
        changed = tuple(k for k in LEVERS if k in checked and checked[k] != current[k])
        # every row comes from the loader, already checked against the schema, and the changed
        # levers were checked above against the same bounds as /predict's: nothing to revalidate
        try:
            features = self.scorer.application_features(with_levers(frames, checked), checked=tuple(frames))
        except DataError as exc:
            raise SimulationError(exc.column, str(exc)) from None
        return Simulation(client_id, merged, changed, self.scorer.score_features(features, client_id))

    def probabilities(self, client_id: int, candidates: Sequence[Mapping[str, float]]) -> np.ndarray:
        """PDs of many variants of one application, built and scored in one batch.

        Each variant is the client's rows under fresh client, bureau-credit and
        previous-application numbers, so the feature code (which never mixes clients) gives each
        the features it would get alone.
        """
        frames = self.frames(client_id)
        name = application_table(frames)
        n = len(candidates)
        ranks = {key: np.unique(np.concatenate([f[key].to_numpy() for f in frames.values() if key in f]))
                 for key in LINK_KEYS if any(key in f for f in frames.values())}
        batch: dict[str, pd.DataFrame] = {}
        for table, rows in frames.items():
            rep = rows.loc[rows.index.repeat(n)].copy()
            copy = np.tile(np.arange(n), len(rows))
            rep[ID] = copy + 1
            for key, known in ranks.items():
                if key in rep:
                    rep[key] = np.searchsorted(known, rep[key].to_numpy()) * n + copy + 1
            if table == name:
                for column in LEVERS:
                    if all(column in c for c in candidates):
                        rep[column] = np.asarray([c[column] for c in candidates], dtype=np.float64)
            batch[table] = rep
        x = feats.build_features(Tables(batch), include_children=self.scorer.include_children)
        return self.scorer.probability(self.scorer.population_features.transform(x).loc[np.arange(1, n + 1)])

    def counter_offer(self, client_id: int) -> CounterOffer:
        """The largest amount at the same term, the shortest longer term at the same amount, and the
        nearest granted (amount, term) on the grid; each re-scored alone and granted.

        The terms are the client's and the longer ones the data show (up to :data:`MAX_TERM_FACTOR`
        times the client's and :data:`MAX_PAYMENTS`), each payment at the client's rate (:class:`Loan`),
        so that a proposal is one the What-if screen can show with its term."""
        asked = self.levers(client_id)
        decision = self.scorer.score_client(client_id).decision
        credit, goods = asked[CREDIT], asked[GOODS]
        loan = self.loan(client_id)
        if decision == GRANTED or credit is None or loan is None:
            return CounterOffer(client_id, asked, decision, 0)
        longest = min(MAX_TERM_FACTOR * loan.term, MAX_PAYMENTS)
        terms = [loan.term, *(n for n in self.records.terms if loan.term < n <= longest)]
        grid: list[tuple[float, int, bool, dict[str, float]]] = []
        for share in AMOUNT_SHARES:
            amount = max(AMOUNT_STEP, math.floor(credit * share / AMOUNT_STEP) * AMOUNT_STEP) if share < 1 else credit
            for term in terms:
                payment = loan.payment_for(amount, term)
                # the same purchase with a larger own contribution, or a smaller purchase
                for keep_goods in ((False, True) if goods and share < 1 else (False,)):
                    levers = {CREDIT: amount, ANNUITY: payment if payment == loan.payment else round(payment, 2)}
                    if goods:
                        levers[GOODS] = goods if keep_goods else round(goods * amount / credit, 2)
                    grid.append((share, term, keep_goods, levers))
        pds = self.probabilities(client_id, [g[3] for g in grid])
        rule = self.scorer.rule
        granted = [i for i, p in enumerate(pds) if rule.decide(float(p)) == GRANTED]
        picks: list[tuple[str, int]] = []
        same_term = [i for i in granted if grid[i][1] == loan.term]
        if same_term:
            picks.append(("amount", max(same_term, key=lambda i: (grid[i][3][CREDIT], -grid[i][2]))))
        same_amount = [i for i in granted if grid[i][0] == 1.0]
        if same_amount:
            picks.append(("term", min(same_amount, key=lambda i: grid[i][1])))
        if granted:
            # nearest: the smallest relative change of amount and term together
            nearest = min(granted, key=lambda i: (1 - grid[i][0]) + (grid[i][1] / loan.term - 1) / 2
                          + grid[i][2] * 0.05)
            if all(nearest != i for _, i in picks):
                picks.append(("nearest", nearest))
        proposals = []
        for kind, i in picks:
            sim = self.simulate(client_id, grid[i][3])   # re-scored alone, the /predict way
            if sim.score.decision == GRANTED:
                proposals.append(Proposal(kind, dict(grid[i][3]), grid[i][1], sim.score.probability,
                                          sim.score.decision))
        return CounterOffer(client_id, asked, decision, len(grid), tuple(proposals))


# ----------------------------------------------------------------------------------------------
# How often a counter-offer exists (the share the dashboard and the report quote)
# ----------------------------------------------------------------------------------------------
COUNTER_OFFERS_FILE = "counter_offers.json"


def share_interval(hits: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Jeffreys interval of a proportion: honest at the small samples a summary is run on."""
    if n == 0:
        return (float("nan"), float("nan"))
    a = (1 - level) / 2
    low = 0.0 if hits == 0 else float(stats.beta.ppf(a, hits + 0.5, n - hits + 0.5))
    high = 1.0 if hits == n else float(stats.beta.ppf(1 - a, hits + 0.5, n - hits + 0.5))
    return low, high


def counter_offer_summary(simulator: Simulator, sample: int = 200, seed: int = 42,
                          progress: Callable[[str], object] | None = None) -> dict[str, Any]:
    """For a random sample of refused and of referred clients: the share with a feasible
    counter-offer (with its interval) and the search's latency per client."""
    scorer = simulator.scorer
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index).to_numpy(np.float64)
    decisions = scorer.rule.decide_all(pds)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"model_version": scorer.version, "sample": sample, "seed": seed,
                           "grid": {"amount_shares": list(AMOUNT_SHARES), "max_term_factor": MAX_TERM_FACTOR,
                                    "max_payments": MAX_PAYMENTS}, "by_decision": {}}
    seconds: list[float] = []
    for decision in (REFUSED, REFER):
        pool = scorer.population.index.to_numpy()[decisions == decision]
        chosen = rng.choice(pool, size=min(sample, len(pool)), replace=False) if len(pool) else pool
        feasible = 0
        kinds: dict[str, int] = {}
        for k, client in enumerate(chosen):
            t0 = time.perf_counter()
            offer = simulator.counter_offer(int(client))
            seconds.append(time.perf_counter() - t0)
            feasible += offer.feasible
            for p in offer.proposals:
                kinds[p.kind] = kinds.get(p.kind, 0) + 1
            if progress is not None and (k + 1) % 50 == 0:
                progress(f"  {decision}: {k + 1}/{len(chosen)}")
        low, high = share_interval(feasible, len(chosen))
        out["by_decision"][decision] = {"clients": int(len(pool)), "sampled": int(len(chosen)),
                                        "feasible": int(feasible), "share": feasible / len(chosen) if len(chosen)
                                        else None, "interval": [low, high], "proposals_by_kind": kinds}
    if seconds:
        out["seconds"] = {"median": float(np.median(seconds)), "p95": float(np.percentile(seconds, 95)),
                          "max": float(np.max(seconds)), "clients": len(seconds)}
    return out


def read_summary(folder: str | Path, model_version: str) -> dict[str, Any] | None:
    """The stored summary of this model version (None when absent, unreadable or of another model)."""
    path = Path(folder) / COUNTER_OFFERS_FILE
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # a file edited by hand or by another version is no summary: the What-if screen then says "not measured"
    if not isinstance(summary, dict) or summary.get("model_version") != model_version:
        return None
    rows = summary.get("by_decision")
    if not isinstance(rows, dict) or not all(_is_share_row(row) for row in rows.values()):
        return None
    return summary


def _is_share_row(row: Any) -> bool:
    """A row of ``by_decision``: a share, its interval and how many files were sampled, all numbers."""
    if not isinstance(row, dict):
        return False
    interval = row.get("interval")
    numbers = (row.get("share"), row.get("sampled"), *(interval if isinstance(interval, list) else [None, None]))
    return isinstance(interval, list) and len(interval) == 2 and \
        all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers)


def main(argv: Sequence[str] | None = None) -> int:
    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m model.simulation",
                                description="Share of refused / referred clients with a feasible counter-offer.")
    p.add_argument("--model-dir", type=Path, default=s.model_dir)
    p.add_argument("--data-dir", type=Path, default=s.data_dir)
    p.add_argument("--out", type=Path, default=s.drift_dir, help="folder of counter_offers.json (default: DRIFT_DIR)")
    p.add_argument("--sample", type=int, default=200, help="clients per decision (default 200)")
    p.add_argument("--seed", type=int, default=s.seed)
    args = p.parse_args(argv)
    try:
        scorer = Scorer.load(args.model_dir)
        simulator = Simulator(scorer, ClientRecords.load(args.data_dir, scorer.include_children, s.records_cache_dir))
    except (ArtifactError, DataError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = counter_offer_summary(simulator, args.sample, args.seed, progress=print)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / COUNTER_OFFERS_FILE).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    for decision, row in summary["by_decision"].items():
        if row["sampled"]:
            print(f"{decision}: {row['feasible']}/{row['sampled']} with a feasible counter-offer "
                  f"({row['share']:.1%}, 95 % interval {row['interval'][0]:.1%}–{row['interval'][1]:.1%})")
    if "seconds" in summary:
        sec = summary["seconds"]
        print(f"search per client: median {sec['median'] * 1000:.0f} ms, p95 {sec['p95'] * 1000:.0f} ms, "
              f"max {sec['max'] * 1000:.0f} ms over {sec['clients']} clients")
    print(f"wrote {args.out / COUNTER_OFFERS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
