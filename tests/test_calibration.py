"""Calibration maps and their honest (cross-fitted) choice, on generated data with known truth."""
from __future__ import annotations

import json

import numpy as np
import pytest

from model.calibration import (
    EPS,
    Calibration,
    choose_calibration,
    cross_fit,
    fit_calibration,
)
from model.validation import calibration_intercept_slope, expected_calibration_error, log_loss


def _population(n: int, seed: int, centre: float = -2.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True PDs (logit normal, ~8 % defaults), outcomes drawn from them, and 5 folds."""
    rng = np.random.default_rng(seed)
    p_true = 1.0 / (1.0 + np.exp(-rng.normal(centre, 1.0, n)))
    y = (rng.random(n) < p_true).astype(int)
    return p_true, y, rng.integers(0, 5, n)


def test_distorted_score_is_recalibrated_by_cross_fitting() -> None:
    p_true, y, folds = _population(20_000, seed=1)
    p_raw = p_true ** 0.4  # monotone distortion: mean "PD" ~ 0.33 for ~7.5 % defaults
    assert p_raw.mean() - y.mean() > 0.2

    choice = choose_calibration(y, p_raw, folds)

    assert choice.method in ("platt", "isotonic")
    assert set(choice.log_loss) == {"none", "platt", "isotonic"}
    assert choice.log_loss[choice.method] == min(choice.log_loss.values())
    assert choice.log_loss["none"] > choice.log_loss[choice.method] + 0.1
    cal = choice.cross_fitted
    assert cal.shape == y.shape
    assert abs(cal.mean() - y.mean()) < 0.005
    assert expected_calibration_error(y, cal) <= 0.01
    _, slope = calibration_intercept_slope(y, cal)
    assert 0.9 <= slope <= 1.1
    # the kept map is fitted on all OOF data and calibrates as well
    assert abs(choice.calibration.apply(p_raw).mean() - y.mean()) < 0.005


def test_cross_fitted_values_come_from_the_other_folds() -> None:
    p_true, y, folds = _population(3_000, seed=2)
    out = cross_fit("platt", y, p_true ** 0.5, folds)
    test = folds == 0
    expected = fit_calibration("platt", y[~test], p_true[~test] ** 0.5).apply(p_true[test] ** 0.5)
    np.testing.assert_allclose(out[test], expected)
    on_all = fit_calibration("platt", y, p_true ** 0.5).apply(p_true[test] ** 0.5)
    assert not np.allclose(out[test], on_all)


def test_calibrated_scores_on_small_data_keep_a_simple_map() -> None:
    p_true, y, folds = _population(1_500, seed=3)
    choice = choose_calibration(y, p_true, folds)
    assert choice.method in ("none", "platt")
    assert choice.log_loss["isotonic"] > choice.log_loss[choice.method]
    if choice.method == "platt":
        assert 0.8 <= choice.calibration.a <= 1.2


def test_isotonic_overfits_with_few_defaulters() -> None:
    p_true, y, folds = _population(3_000, seed=4, centre=-5.0)
    assert 10 <= y.sum() <= 60
    choice = choose_calibration(y, p_true ** 0.5, folds, methods=("platt", "isotonic"))
    assert choice.log_loss["isotonic"] > choice.log_loss["platt"]
    assert choice.method == "platt"
    # fitted on its own data isotonic looks better than it is
    iso = fit_calibration("isotonic", y, p_true ** 0.5)
    assert log_loss(y, iso.apply(p_true ** 0.5)) < choice.log_loss["isotonic"]


def test_ties_go_to_the_earlier_method() -> None:
    p_true, y, folds = _population(500, seed=5)
    choice = choose_calibration(y, p_true, folds, methods=("none", "none"))
    assert choice.method == "none" and list(choice.log_loss) == ["none"]


@pytest.mark.parametrize("method", ["none", "platt", "isotonic"])
def test_maps_are_monotone_and_strictly_inside_0_1(method: str) -> None:
    p_true, y, _ = _population(5_000, seed=6)
    cal = fit_calibration(method, y, p_true ** 0.4)  # type: ignore[arg-type]
    grid = np.linspace(0.0, 1.0, 2001)
    out = cal.apply(grid)
    assert out.dtype == np.float64 and out.shape == grid.shape
    assert np.all(np.diff(out) >= 0)
    assert out.min() >= EPS and out.max() <= 1 - EPS
    assert cal.apply(0.3).shape == (1,)
    assert cal.apply_one(0.3) == pytest.approx(float(cal.apply([0.3])[0]))


def test_platt_recovers_a_known_logistic_distortion() -> None:
    rng = np.random.default_rng(7)
    z = rng.normal(-2.5, 1.0, 50_000)
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z))).astype(int)
    p_raw = 1 / (1 + np.exp(-(z - 1.0) / 2.0))  # logit(p_raw) = (z - 1) / 2  =>  z = 2·logit + 1
    cal = fit_calibration("platt", y, p_raw)
    assert cal.a == pytest.approx(2.0, abs=0.1)
    assert cal.b == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("method", ["none", "platt", "isotonic"])
def test_dict_round_trip_through_json(method: str) -> None:
    p_true, y, _ = _population(2_000, seed=8)
    cal = fit_calibration(method, y, p_true ** 0.5)  # type: ignore[arg-type]
    back = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert back == cal
    grid = np.linspace(0, 1, 101)
    np.testing.assert_array_equal(back.apply(grid), cal.apply(grid))


@pytest.mark.parametrize(("d", "field"), [
    ({}, "method"),
    ({"method": "beta"}, "method"),
    ({"method": "platt", "a": 1.0}, "b"),
    ({"method": "platt", "a": float("nan"), "b": 0.0}, "a"),
    ({"method": "platt", "a": "1", "b": 0.0}, "a"),
    ({"method": "platt", "a": -1.0, "b": 0.0}, "a"),
    ({"method": "isotonic", "x": [0.1, 0.2]}, "y"),
    ({"method": "isotonic", "x": [0.1, 0.2], "y": [0.1]}, "y"),
    ({"method": "isotonic", "x": [0.2, 0.1], "y": [0.1, 0.2]}, "x"),
    ({"method": "isotonic", "x": [0.1, 0.2], "y": [0.3, 0.2]}, "y"),
    ({"method": "isotonic", "x": [0.1, float("inf")], "y": [0.1, 0.2]}, "x"),
    ({"method": "isotonic", "x": "0.1", "y": [0.1]}, "x"),
])
def test_from_dict_refuses_malformed_dicts(d: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"'{field}"):
        Calibration.from_dict(d)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        fit_calibration("beta", [0, 1], [0.1, 0.9])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="single class"):
        fit_calibration("platt", [0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="anti-correlated"):
        fit_calibration("platt", [1, 1, 0, 0] * 50, [0.1, 0.2, 0.8, 0.9] * 50)
    with pytest.raises(ValueError, match="folds"):
        choose_calibration([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], [0, 0, 0, 0])
    with pytest.raises(ValueError, match="length"):
        choose_calibration([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], [0, 1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Calibration("none").apply([0.5, 1.5])
    with pytest.raises(ValueError, match="non-finite"):
        Calibration("none").apply([float("nan")])
