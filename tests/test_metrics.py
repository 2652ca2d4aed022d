"""Metrics against hand computations; baselines on series where the answer is known."""

import math

import numpy as np
import pandas as pd
import pytest

from rnncore.config import WindowConfig
from rnncore.data import Dataset
from rnncore.data.windows import make_windows
from rnncore.training.metrics import (
    baseline_predictions,
    mape,
    per_step_metrics,
    regression_metrics,
    seasonal_naive_note,
)


def test_regression_metrics_match_hand_computation():
    y = np.array([1.0, 2.0, 4.0, 8.0])
    p = np.array([2.0, 2.0, 3.0, 10.0])
    m = regression_metrics(y, p)
    assert m["rmse"] == pytest.approx(math.sqrt((1 + 0 + 1 + 4) / 4))
    assert m["mae"] == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert m["mape"] == pytest.approx(100 * (1 / 1 + 0 + 1 / 4 + 2 / 8) / 4)
    ss_res, ss_tot = 6.0, np.sum((y - y.mean()) ** 2)
    assert m["r2"] == pytest.approx(1 - ss_res / ss_tot)


def test_multi_step_metrics_pool_steps_and_split_per_step():
    y = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    p = y + np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 3.0]])
    assert regression_metrics(y, p)["mae"] == pytest.approx(6 / 6)
    steps = per_step_metrics(y, p)
    assert len(steps) == 2
    assert steps[0]["mae"] == pytest.approx(1.0)
    assert steps[1]["mae"] == pytest.approx(1.0)
    assert steps[1]["rmse"] == pytest.approx(math.sqrt(3.0))


def test_mape_is_hidden_where_the_truth_comes_near_zero_or_changes_sign():
    """Issue 12: MAPE of 155-444 % on a series that crosses zero."""
    assert mape(np.array([1.0, 2.0]), np.array([1.5, 3.0])) == pytest.approx(50.0)
    assert mape(np.array([0.0, 2.0]), np.array([5.0, 3.0])) is None
    assert mape(np.array([-1.0, 2.0, 1.5]), np.array([-1.0, 2.0, 1.5])) is None  # crosses zero
    assert mape(np.array([100.0, 101.0, 2.0]), np.array([100.0, 101.0, 2.0])) is None  # 2 is near zero here
    assert mape(-np.array([10.0, 12.0]), -np.array([11.0, 12.0])) == pytest.approx(5.0)  # all negative is fine
    assert mape(np.zeros(3), np.ones(3)) is None
    m = regression_metrics(np.zeros(3), np.ones(3))
    assert m["mape"] is None and m["r2"] is None and m["rmse"] == pytest.approx(1.0)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same shape"):
        regression_metrics(np.zeros(3), np.zeros(4))


def _windows(values, lookback=4, horizon=1, scaler="standard"):
    frame = pd.DataFrame({"value": np.asarray(values, dtype=np.float32)})
    window = WindowConfig(lookback=lookback, horizon=horizon, scaler=scaler)
    return make_windows(Dataset(frame=frame, name="t"), window)


def test_persistence_is_the_last_value_on_a_random_walk():
    walk = np.cumsum(np.random.default_rng(0).normal(size=300))
    w = _windows(walk)
    pred = baseline_predictions(w, "test")["persistence"]
    rows = w.test.positions
    np.testing.assert_allclose(pred[:, 0], walk[rows - 1], rtol=1e-5)
    truth = w.inverse_y(w.test.y)[:, 0]
    np.testing.assert_allclose(truth, walk[rows], rtol=1e-5, atol=1e-5)


def test_seasonal_naive_is_exact_on_a_periodic_series():
    period = 6
    series = np.tile([1.0, 3.0, 2.0, 5.0, 4.0, 0.5], 40)
    w = _windows(series, lookback=8, horizon=3)
    base = baseline_predictions(w, "test", period=period)
    np.testing.assert_allclose(base["seasonal_naive"], w.inverse_y(w.test.y), rtol=1e-5, atol=1e-5)
    assert regression_metrics(w.inverse_y(w.test.y), base["seasonal_naive"])["rmse"] < 1e-5


def test_seasonal_naive_unavailable_when_lookback_is_shorter_than_the_period():
    w = _windows(np.tile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 40), lookback=4)
    assert "seasonal_naive" not in baseline_predictions(w, "val", period=6)
    assert "lookback" in seasonal_naive_note(w, 6)
    assert "period" in seasonal_naive_note(w, None)
    assert seasonal_naive_note(w, 3) is None


def test_linear_baseline_is_exact_on_a_linear_series():
    w = _windows(np.arange(200, dtype=np.float64) * 0.5 + 3, lookback=5, horizon=2)
    pred = baseline_predictions(w, "test")["linear"]
    np.testing.assert_allclose(pred, w.inverse_y(w.test.y), rtol=1e-4, atol=1e-3)


def test_memory_task_baselines_are_mean_and_linear():
    from rnncore.data.generators import generate

    w = make_windows(generate("adding", steps=10, samples=400, seed=1), WindowConfig(lookback=10))
    base = baseline_predictions(w, "test")
    assert set(base) == {"mean", "linear"}
    train_mean = w.inverse_y(w.train.y).mean()
    np.testing.assert_allclose(base["mean"], train_mean, rtol=1e-6)
    assert base["linear"].shape == w.test.y.shape
