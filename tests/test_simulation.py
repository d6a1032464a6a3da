"""What-if and counter-offer: the /predict path on a client's changed rows, never the client's file."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.decision import GRANTED
from model.simulation import (
    ANNUITY,
    CREDIT,
    GOODS,
    ClientRecords,
    SimulationError,
    Simulator,
    check_levers,
    counter_offer_summary,
    share_interval,
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
        asked = simulator.levers(client)
        assert p.levers[CREDIT] <= asked[CREDIT] + 1e-6          # never more than asked
        assert p.payments <= max(asked[CREDIT] / asked[ANNUITY], 60.0) + 1e-6
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
