"""Metrics in original units, and the baselines every model must beat.

A forecast is only interesting next to what a trivial rule gets on exactly the same
windows: persistence (tomorrow is today), seasonal naive (this month is the same month
last year) and a linear regression on the flattened window. Memory tasks (the adding
problem) have no time order between samples, so their baselines are "mean" (always predict
the train mean) and linear.

MAPE divides by the truth, so it is guarded against zeros: points with
``|y| < eps * max|y|`` (``eps = 1e-6``) are left out, and when every point is that close
to zero MAPE is reported as ``None``. MAPE is given in percent.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from rnncore.errors import Note
from rnncore.messages import BASELINE_NOTES

METRICS = ("rmse", "mae", "mape", "r2")
MAPE_EPS = 1e-6


class Metrics(TypedDict):
    """One predictor's errors on one split, in the data's units; None where undefined."""

    rmse: float | None
    mae: float | None
    mape: float | None  # percent, points near zero left out
    r2: float | None  # None with fewer than two points or a constant truth


def mape(y_true: np.ndarray, y_pred: np.ndarray, eps: float = MAPE_EPS) -> float | None:
    """Mean absolute percentage error in percent, ignoring points where |y| is about zero.

    A point counts when ``|y| >= eps * max|y|``; ``None`` when none counts (all zero).
    """
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    scale = np.max(np.abs(y_true)) if y_true.size else 0.0
    keep = np.abs(y_true) >= max(eps * scale, np.finfo(np.float64).tiny)
    if scale == 0 or not keep.any():
        return None
    return float(np.mean(np.abs((y_pred[keep] - y_true[keep]) / y_true[keep])) * 100)


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> Metrics:
    """RMSE, MAE, MAPE (percent, zeros guarded) and R² of arrays shaped (n,) or (n, horizon).

    Multi-step arrays are pooled over all steps. R² is ``None`` with fewer than two points or
    a constant truth (it is undefined there).
    """
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        return Metrics(rmse=None, mae=None, mape=None, r2=None)
    r2 = None
    if y_true.size >= 2 and np.ptp(y_true) > 0:
        r2 = float(r2_score(y_true, y_pred))
    return Metrics(rmse=float(np.sqrt(mean_squared_error(y_true, y_pred))),
                   mae=float(mean_absolute_error(y_true, y_pred)), mape=mape(y_true, y_pred), r2=r2)


def per_step_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> list[Metrics]:
    """``regression_metrics`` for each step of the horizon: a list of length horizon."""
    y_true = np.asarray(y_true).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred).reshape(len(y_pred), -1)
    return [regression_metrics(y_true[:, k], y_pred[:, k]) for k in range(y_true.shape[1])]


def _split(windows, split_name: str):
    if split_name not in ("train", "val", "test"):
        raise ValueError(f"split_name must be train, val or test (got {split_name!r})")
    return getattr(windows, split_name)


def seasonal_naive_note(windows, period: int | None) -> Note | None:
    """Why seasonal naive is unavailable for these windows (a Note of BASELINE_NOTES), or None when it is."""
    if windows.is_sequences:
        return Note.keyed("sequences", BASELINE_NOTES)
    if not period or period < 2:
        return Note.keyed("no_period", BASELINE_NOTES)
    if windows.lookback < period:
        return Note.keyed("short_lookback", BASELINE_NOTES, period=period, lookback=windows.lookback)
    return None


def baseline_predictions(windows, split_name: str, period: int | None = None) -> dict[str, np.ndarray]:
    """Predictions of the baselines on one split, (n, horizon) in original units.

    Series: ``persistence`` (the last known target value, repeated over the horizon),
    ``seasonal_naive`` (the value one period earlier; only when ``period`` is known and the
    lookback covers it, see ``seasonal_naive_note``) and ``linear`` (scikit-learn's
    LinearRegression fitted on the flattened train windows). Sequences: ``mean`` (the train
    targets' mean) and ``linear``.
    """
    split = _split(windows, split_name)
    n, horizon = len(split.y), windows.horizon
    out: dict[str, np.ndarray] = {}
    if windows.is_sequences:
        train_mean = windows.inverse_y(windows.train.y).mean(axis=0)
        out["mean"] = np.tile(train_mean, (n, 1)).astype(np.float32)
    else:
        values = np.asarray(windows.target_values, dtype=np.float64)
        first = np.asarray(split.positions, dtype=np.int64)  # row of each first target step
        last_known = values[first - 1]
        out["persistence"] = np.repeat(last_known[:, None], horizon, axis=1).astype(np.float32)
        if seasonal_naive_note(windows, period) is None:
            steps = np.arange(horizon)
            rows = first[:, None] - period + steps[None, :] % period
            out["seasonal_naive"] = values[rows].astype(np.float32)
    out["linear"] = _linear(windows, split)
    return out


def _linear(windows, split) -> np.ndarray:
    train = windows.train
    if len(split.y) == 0:
        return np.zeros((0, windows.horizon), dtype=np.float32)
    model = LinearRegression().fit(train.x.reshape(len(train.x), -1), train.y)
    scaled = model.predict(split.x.reshape(len(split.x), -1)).reshape(len(split.x), -1)
    return np.asarray(windows.inverse_y(scaled.astype(np.float32)), dtype=np.float32)
