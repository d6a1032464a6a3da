"""What-if and counter-offer: the /predict path on a client's changed rows, never the client's file."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.decision import GRANTED
from model.features import annuity_rate
from model.simulation import (
    ANNUITY,
    CREDIT,
    DEFAULT_TERMS,
    GOODS,
    MAX_PAYMENTS,
    MAX_TERM_FACTOR,
    TERM,
    ClientRecords,
    Loan,
    SimulationError,
    Simulator,
    check_levers,
    counter_offer_summary,
    data_terms,
    implied_loan,
    payment_share,
    share_interval,
    whole_months,
)


@pytest.fixture(scope="module")
def simulator(tiny_scorer, demo_data_dir) -> Simulator:
    return Simulator(tiny_scorer, lambda: ClientRecords.load(demo_data_dir, tiny_scorer.include_children))


def _not_granted(scorer, n: int) -> list[int]:
    """Referred and refused clients, closest to the threshold first (where a counter-offer can exist)."""
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index)
    decisions = scorer.rule.decide_all(pds.to_numpy())
    chosen = pds[decisions != GRANTED].sort_values()
    return [int(c) for c in chosen.index[:n]]


def test_an_unchanged_simulation_is_the_clients_own_score(simulator, tiny_scorer):
    for client in tiny_scorer.population.index[:5]:
        sim = simulator.simulate(int(client), {})
        assert sim.changed == ()
        assert sim.score.probability == pytest.approx(tiny_scorer.score_client(int(client)).probability, abs=1e-12)


def test_a_simulation_never_changes_the_clients_file(simulator, tiny_scorer):
    client = int(tiny_scorer.population.index[0])
    before_rows = {k: v.copy() for k, v in simulator.frames(client).items()}
    before_features = tiny_scorer.features_of(client).copy()
    asked = simulator.levers(client)[CREDIT]
    sim = simulator.simulate(client, {CREDIT: asked / 2})
    assert sim.changed == (CREDIT,) and sim.levers[CREDIT] == asked / 2
    for name, frame in simulator.frames(client).items():
        pd.testing.assert_frame_equal(frame, before_rows[name])
    pd.testing.assert_frame_equal(tiny_scorer.features_of(client), before_features)
    assert simulator.levers(client)[CREDIT] == asked


def test_the_amount_changes_the_score_through_the_feature_code(simulator, tiny_scorer):
    """Halving the amount moves the credit-based features, hence (for some client) the PD."""
    moved = 0
    for client in tiny_scorer.population.index[:20]:
        asked = simulator.levers(int(client))[CREDIT]
        a = simulator.simulate(int(client), {}).score.probability
        b = simulator.simulate(int(client), {CREDIT: asked / 2}).score.probability
        moved += abs(a - b) > 1e-9
    assert moved > 0


def test_batch_scores_equal_the_single_path(simulator, tiny_scorer):
    """The counter-offer's batch gives every variant the PD it gets alone through /predict's path."""
    for client in _not_granted(tiny_scorer, 3):
        levers = simulator.levers(client)
        variants = [{CREDIT: levers[CREDIT] * s, ANNUITY: levers[ANNUITY] * s / f,
                     **({GOODS: levers[GOODS] * s} if levers[GOODS] else {})}
                    for s in (1.0, 0.6, 0.3) for f in (1.0, 1.5)]
        batch = simulator.probabilities(client, variants)
        alone = [simulator.simulate(client, v).score.probability for v in variants]
        np.testing.assert_allclose(batch, alone, rtol=0, atol=1e-12)


@pytest.mark.parametrize("changes, field", [
    ({CREDIT: -1}, CREDIT), ({CREDIT: 0}, CREDIT), ({CREDIT: float("nan")}, CREDIT), ({CREDIT: "abc"}, CREDIT),
    ({CREDIT: True}, CREDIT), ({CREDIT: 1e12}, CREDIT), ({"DAYS_BIRTH": -9000}, "DAYS_BIRTH"),
    ({"CODE_GENDER": "M"}, "CODE_GENDER"), ({CREDIT: 1000, ANNUITY: 2000}, ANNUITY), ({GOODS: -5}, GOODS),
])
def test_impossible_levers_are_refused_with_the_field(changes, field):
    with pytest.raises(SimulationError) as err:
        check_levers(changes)
    assert err.value.field == field


def test_an_annuity_above_the_clients_amount_is_refused(simulator, tiny_scorer):
    client = int(tiny_scorer.population.index[0])
    with pytest.raises(SimulationError) as err:
        simulator.simulate(client, {ANNUITY: simulator.levers(client)[CREDIT] * 2})
    assert err.value.field == ANNUITY


def test_every_proposal_is_rescored_and_granted(simulator, tiny_scorer):
    offers = [simulator.counter_offer(c) for c in _not_granted(tiny_scorer, 25)]
    proposals = [(o.client_id, p) for o in offers for p in o.proposals]
    assert proposals, "no counter-offer among the 25 files closest to the threshold"
    for client, p in proposals:
        again = simulator.simulate(client, p.levers).score
        assert again.decision == GRANTED and again.probability < tiny_scorer.rule.refer_low
        assert again.probability == pytest.approx(p.probability, abs=1e-12)
        asked, loan = simulator.levers(client), simulator.loan(client)
        assert p.levers[CREDIT] <= asked[CREDIT] + 1e-6          # never more than asked
        assert p.term in simulator.term_options(client)           # a term the screen offers
        assert loan.term <= p.term <= max(loan.term, min(MAX_TERM_FACTOR * loan.term, MAX_PAYMENTS))
        # the payment is the one the What-if screen computes for that amount and term
        screen = simulator.levers_for(client, p.levers[CREDIT], p.term, p.levers.get(GOODS))
        assert p.levers[ANNUITY] == pytest.approx(screen[ANNUITY], abs=0.006)
    for o in offers:
        assert o.decision != GRANTED and o.candidates > 0
        assert len({p.kind for p in o.proposals}) == len(o.proposals)


def test_a_granted_client_needs_no_counter_offer(simulator, tiny_scorer):
    pds = tiny_scorer.scores["PROBABILITY"].reindex(tiny_scorer.population.index)
    client = int(pds.idxmin())
    offer = simulator.counter_offer(client)
    assert offer.decision == GRANTED and not offer.feasible and offer.candidates == 0


def test_the_summary_counts_feasible_offers(simulator):
    summary = counter_offer_summary(simulator, sample=4, seed=1)
    for row in summary["by_decision"].values():
        assert row["sampled"] <= 4 and 0 <= row["feasible"] <= row["sampled"]
        if row["sampled"]:
            low, high = row["interval"]
            assert low <= row["share"] <= high
    assert summary["seconds"]["p95"] >= summary["seconds"]["median"] > 0


def test_share_interval_is_a_jeffreys_interval():
    low, high = share_interval(5, 50)
    assert 0.03 < low < 0.1 < high < 0.22
    assert share_interval(0, 10)[0] == 0.0 and share_interval(10, 10)[1] == 1.0


# ----------------------------------------------------------------------------------------------
# The term a client chooses, and the monthly payment that follows at the client's rate
# ----------------------------------------------------------------------------------------------
def test_the_terms_offered_are_the_ones_the_data_show(demo_data_dir):
    from data.load import load_tables

    previous = load_tables(demo_data_dir, ["previous_application"])["previous_application"]
    terms = data_terms(previous)
    counts = previous["CNT_PAYMENT"].dropna()
    counts = counts[counts >= 1]
    assert terms == tuple(sorted(terms)) and len(terms) >= 3
    for n in terms:                                   # each one sold at least 1 % of the time
        assert (counts == n).mean() >= 0.01
    common = counts.value_counts().index[0]
    assert int(common) in terms                       # the most common term is offered
    assert all(float(n).is_integer() for n in terms)
    # a term nobody sells is not offered, and without previous applications the defaults stand
    rare = pd.DataFrame({"CNT_PAYMENT": [12.0] * 199 + [7.0]})
    assert data_terms(rare) == (12,)
    assert data_terms(None) == DEFAULT_TERMS == data_terms(pd.DataFrame({"CNT_PAYMENT": [np.nan, 0.0]}))


def test_the_screen_offers_the_data_terms_and_the_clients_own(simulator, tiny_scorer):
    client = int(tiny_scorer.population.index[0])
    options = simulator.term_options(client)
    loan = simulator.loan(client)
    assert set(simulator.records.terms) <= set(options) and loan.term in options
    assert options == tuple(sorted(options))


def test_the_payment_follows_from_amount_term_and_the_clients_rate():
    loan = Loan(credit=100_000.0, payment=4_000.0, term=30, rate=float(annuity_rate([100_000.0], [4_000.0], [30])[0]),
                basis="terms")
    assert loan.rate > 0
    assert loan.payment_for(100_000.0, 30) == 4_000.0                     # the client's own, exactly
    assert loan.payment_for(50_000.0, 30) == pytest.approx(2_000.0)        # proportional to the amount
    longer, shorter = loan.payment_for(100_000.0, 48), loan.payment_for(100_000.0, 12)
    assert longer < 4_000.0 < shorter
    assert longer * 48 > 4_000.0 * 30                                      # a longer loan costs more interest
    # the annuity formula: the rate implied by the new payment over the new term is the client's
    assert float(annuity_rate([100_000.0], [longer], [48])[0]) == pytest.approx(loan.rate, rel=1e-9)
    assert payment_share(0.0, 24) == pytest.approx(1 / 24)


def test_the_implied_loan_without_a_term_model_is_the_shortest_data_term_the_payment_repays():
    loan = implied_loan(100_000.0, 100_000.0 / 20.7, None, "Cash loans", None, (6, 12, 18, 24, 36))
    assert loan is not None and (loan.term, loan.basis) == (24, "terms") and 0 < loan.rate < 0.2
    beyond = implied_loan(100_000.0, 1_000.0, None, None, None, (12, 24))     # 100 payments: longer than any
    assert beyond is not None and beyond.term == 100 and beyond.rate == 0.0
    for credit, payment in ((None, 100.0), (1_000.0, None), (1_000.0, 0.0), (1_000.0, 2_000.0)):
        assert implied_loan(credit, payment, None, None, None, (12,)) is None


def test_the_implied_loan_uses_the_models_term_model(simulator, tiny_scorer):
    """The tiny model fits the term model (CREDIT_TERM_PREDICTED): its term, rounded, when its rate is not negative."""
    term_model = tiny_scorer.population_features.term
    assert term_model is not None
    loans = [simulator.loan(int(c)) for c in tiny_scorer.population.index[:40]]
    loans = [x for x in loans if x is not None]
    assert any(x.basis == "term_model" for x in loans)
    for x in loans:
        assert x.rate >= 0 and x.term >= 1
        assert x.payment_for(x.credit, x.term) == x.payment
        if x.basis == "term_model":
            assert float(annuity_rate([x.credit], [x.payment], [x.term])[0]) == pytest.approx(x.rate, rel=1e-9)


def test_levers_for_the_clients_own_choice_are_the_clients_application(simulator, tiny_scorer):
    for client in (int(c) for c in tiny_scorer.population.index[:10]):
        own, loan = simulator.levers(client), simulator.loan(client)
        if loan is None:
            continue
        assert simulator.levers_for(client, own[CREDIT], loan.term, own[GOODS]) == own
        assert simulator.levers_for(client, own[CREDIT], str(loan.term), own[GOODS]) == own     # as the select sends it
        longer = max(simulator.term_options(client))
        if longer != loan.term:
            changed = simulator.levers_for(client, own[CREDIT], longer, own[GOODS])
            assert (changed[ANNUITY] < own[ANNUITY]) == (longer > loan.term)


@pytest.mark.parametrize("term", [7.5, "abc", True, None, -12, 10_000, "12; DROP"])
def test_a_term_not_offered_is_refused_with_the_term_field(simulator, tiny_scorer, term):
    client = int(tiny_scorer.population.index[0])
    with pytest.raises(SimulationError) as err:
        simulator.levers_for(client, 10_000.0, term, None)
    assert err.value.field == TERM


def test_whole_months():
    assert [whole_months(v) for v in (24, 24.0, "24", " 36 ", np.int64(12))] == [24, 24, 24, 36, 12]
    assert [whole_months(v) for v in (24.5, "2 4", "", None, True, "-3")] == [None] * 6
