"""Validation statistics against generated data whose true PDs are known."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from model import validation as val
from model.validation import (
    as_outcomes,
    auc,
    auc_with_ci,
    brier,
    brier_constant,
    calibration_intercept_slope,
    expected_calibration_error,
    gini,
    hosmer_lemeshow,
    ks_statistic,
    log_loss,
    psi,
    psi_band,
    reliability_curve,
    spiegelhalter,
)


def _population(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = 1.0 / (1.0 + np.exp(-rng.normal(-2.5, 1.0, n)))
    return (rng.random(n) < p).astype(int), p


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return _population(20_000, seed=11)


def test_auc_matches_sklearn_including_ties(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p))
    rounded = np.round(p, 2)  # many ties
    assert auc(y, rounded) == pytest.approx(roc_auc_score(y, rounded))
    assert auc([0, 1], [0.2, 0.8]) == 1.0 and auc([0, 1], [0.5, 0.5]) == 0.5
    assert gini(0.75) == pytest.approx(0.5)


def test_auc_ci_contains_the_auc_and_narrows_with_more_data(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    value, lo, hi = auc_with_ci(y, p, n_boot=500)
    assert value == pytest.approx(roc_auc_score(y, p))
    assert lo < value < hi
    small_value, small_lo, small_hi = auc_with_ci(y[:1_000], p[:1_000], n_boot=500)
    assert small_lo < small_value < small_hi
    assert (hi - lo) < 0.5 * (small_hi - small_lo)  # width ~ 1/sqrt(n): 20x the data, ~4.5x narrower
    assert auc_with_ci(y, p, n_boot=200, seed=3) == auc_with_ci(y, p, n_boot=200, seed=3)


def test_ks_statistic() -> None:
    assert ks_statistic([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 20_000)
    assert ks_statistic(y, rng.random(y.size)) < 0.03  # an uninformative score
    y_true, p = _population(20_000, seed=1)
    assert 0.2 < ks_statistic(y_true, p) < 0.6


def test_perfect_probabilities_are_well_calibrated(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    assert expected_calibration_error(y, p) < 0.01
    curve = reliability_curve(y, p)
    assert len(curve) == 10 and sum(n for *_, n in curve) == y.size
    assert {n for *_, n in curve} == {2_000}  # equal-frequency bins
    means = [m for m, *_ in curve]
    assert means == sorted(means)
    statistic, p_value = hosmer_lemeshow(y, p)
    assert p_value > 0.05 and statistic >= 0
    z, p_value = spiegelhalter(y, p)
    assert p_value > 0.05
    intercept, slope = calibration_intercept_slope(y, p)
    assert abs(intercept) < 0.1 and 0.9 <= slope <= 1.1
    assert brier(y, p) < brier_constant(y)


def test_halved_probabilities_are_rejected(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    half = p * 0.5
    assert expected_calibration_error(y, half) > 0.03
    assert hosmer_lemeshow(y, half)[1] < 1e-6
    z, p_value = spiegelhalter(y, half)
    assert z > 0 and p_value < 1e-6  # more defaults than predicted
    intercept, _ = calibration_intercept_slope(y, half)
    assert intercept > 0.5  # underestimated PDs need a positive correction (~ log 2)


def test_calibration_slope_detects_overconfident_pds(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    logit = np.log(p / (1 - p))
    extreme = 1 / (1 + np.exp(-2 * (logit + 2.5) + 2.5))  # spread doubled around the centre
    _, slope = calibration_intercept_slope(y, extreme)
    assert slope == pytest.approx(0.5, abs=0.05)


def test_brier_and_log_loss() -> None:
    assert brier([0, 1], [0.0, 1.0]) == 0.0
    assert brier([0, 1], [1.0, 0.0]) == 1.0
    assert brier_constant([0, 0, 0, 1]) == pytest.approx(0.1875)
    assert brier([0, 0, 0, 1], [0.25] * 4) == pytest.approx(brier_constant([0, 0, 0, 1]))
    assert log_loss([1], [0.5]) == pytest.approx(np.log(2))
    assert log_loss([1], [0.0]) == pytest.approx(-np.log(1e-6))  # clipped, finite


def test_psi() -> None:
    rng = np.random.default_rng(5)
    reference = rng.normal(0, 1, 20_000)
    same = psi(reference, rng.normal(0, 1, 20_000))
    assert same < 0.01 and psi_band(same) == "stable"
    shifted = psi(reference, rng.normal(1.0, 1, 20_000))
    assert shifted > 0.25 and psi_band(shifted) == "significant"
    assert psi(reference, reference) == pytest.approx(0.0, abs=1e-12)
    # values outside the reference range fall in the outer bins; an empty bin stays finite
    assert np.isfinite(psi(reference, np.full(100, 10.0)))
    # tied quantiles (a discrete variable) are merged, not an error
    assert psi(rng.integers(0, 3, 1_000), rng.integers(0, 3, 1_000)) < 0.05


@pytest.mark.parametrize(("value", "band"), [(0.0, "stable"), (0.099, "stable"), (0.10, "moderate"),
                                             (0.2499, "moderate"), (0.25, "significant"), (3.0, "significant")])
def test_psi_band(value: float, band: str) -> None:
    assert psi_band(value) == band


def test_malformed_input_is_refused() -> None:
    with pytest.raises(ValueError, match="length"):
        as_outcomes([0, 1], [0.5])
    with pytest.raises(ValueError, match="0 and 1"):
        as_outcomes([0, 2], [0.5, 0.5])
    with pytest.raises(ValueError, match="non-finite"):
        as_outcomes([0, 1], [0.5, float("nan")])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        as_outcomes([0, 1], [0.5, 1.2])
    with pytest.raises(ValueError, match="empty"):
        as_outcomes([], [])
    with pytest.raises(ValueError, match="both"):
        auc([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="groups"):
        hosmer_lemeshow([0, 1], [0.2, 0.3], groups=2)
    with pytest.raises(ValueError):
        psi_band(float("nan"))
    with pytest.raises(ValueError, match="expected"):
        psi([], [1.0])


def test_brier_equals_sklearn():
    from sklearn.metrics import brier_score_loss

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    p = rng.random(500)
    assert val.brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-15)


def test_reliability_bins_cover_every_client_in_equal_sizes():
    rng = np.random.default_rng(1)
    p = rng.beta(0.6, 6, 1003)                                   # skewed like default scores
    y = (rng.random(p.size) < p).astype(int)
    curve = val.reliability_curve(y, p, 10)
    assert sum(n for _, _, n in curve) == p.size
    assert sum(n * m for m, _, n in curve) == pytest.approx(p.sum())
    assert sum(n * r for _, r, n in curve) == pytest.approx(y.sum())
    assert len(curve) == 10 and max(n for *_, n in curve) - min(n for *_, n in curve) <= 1
    assert [m for m, _, _ in curve] == sorted(m for m, _, _ in curve)


def test_reliability_known_answer_and_ece():
    p = [.1, .1, .2, .2, .8, .8, .9, .9]
    y = [0, 0, 0, 1, 1, 1, 1, 0]
    assert val.reliability_curve(y, p, 2) == [(pytest.approx(0.15), pytest.approx(0.25), 4),
                                              (pytest.approx(0.85), pytest.approx(0.75), 4)]
    assert val.expected_calibration_error(y, p, 2) == pytest.approx(0.1)
