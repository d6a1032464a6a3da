"""Business cost and threshold search against hand-computed cases."""
import numpy as np
import pytest

from model.cost import CostWeights, best_threshold, confusion, cost_curve, cost_per_client
from model.decision import refused as decide


def brute_force(y, p, w):
    """Cost of every threshold on a fine grid: the exact search must never do worse."""
    grid = np.linspace(0, 1, 10_001)
    return min(cost_per_client(y, p, t, w) for t in grid)


def test_hand_computed_cost():
    y = [0, 0, 1, 1, 0]
    p = [0.1, 0.4, 0.35, 0.8, 0.4]
    # threshold 0.375 refuses 0.8 (TP) and both 0.4 (FP); misses 0.35 (FN): 10·1 + 1·2 = 12 over 5 clients
    assert confusion(y, p, 0.375) == confusion(y, p, 0.39)
    c = confusion(y, p, 0.375)
    assert (c.tn, c.fp, c.fn, c.tp) == (1, 2, 1, 1)
    assert cost_per_client(y, p, 0.375) == pytest.approx(12 / 5)
    # refusing everyone but the 0.1 client: FP = 2, no FN → 2/5
    choice = best_threshold(y, p)
    assert choice.cost_per_client == pytest.approx(2 / 5)
    assert 0.1 < choice.threshold <= 0.35
    assert choice.cost_grant_all == pytest.approx(20 / 5)
    assert choice.cost_refuse_all == pytest.approx(3 / 5)


def test_weights_change_the_choice():
    y = np.array([0] * 8 + [1] * 2)
    p = np.array([0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.6, 0.3, 0.7])
    cheap_fn = best_threshold(y, p, CostWeights(fn=1, fp=1))
    dear_fn = best_threshold(y, p, CostWeights(fn=10, fp=1))
    assert dear_fn.threshold < cheap_fn.threshold


def test_curve_endpoints_and_ties():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.5, 0.5, 0.2, 0.9])
    t, c = cost_curve(y, p)
    assert np.all(np.diff(t) > 0)
    assert decide(p, t[0]).all()                 # lowest threshold refuses everyone
    assert not decide(p, t[-1]).any()            # highest grants everyone
    assert len(t) == 4                           # 3 distinct scores → 4 decisions
    for ti, ci in zip(t, c):
        assert ci == pytest.approx(cost_per_client(y, p, ti))


@pytest.mark.parametrize("seed", range(5))
def test_exact_search_beats_grid(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(400) < 0.1
    p = np.clip(rng.random(400) * 0.5 + y * rng.random(400) * 0.4, 0, 1).round(3)
    w = CostWeights(fn=10, fp=1)
    choice = best_threshold(y, p, w)
    assert choice.cost_per_client <= brute_force(y, p, w) + 1e-12
    assert cost_per_client(y, p, choice.threshold, w) == pytest.approx(choice.cost_per_client)


def test_bad_inputs():
    with pytest.raises(ValueError, match="positive"):
        CostWeights(fn=0, fp=1)
    with pytest.raises(ValueError, match="length"):
        cost_per_client([0, 1], [0.5], 0.5)
    with pytest.raises(ValueError, match="0 and 1"):
        best_threshold([0, 2], [0.1, 0.2])
