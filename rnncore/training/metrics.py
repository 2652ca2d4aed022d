"""Metrics in original units, and the baselines every model must beat.

A forecast is only interesting next to what a trivial rule gets on exactly the same
windows: always the mean (of the training part), persistence (tomorrow is today), seasonal naive
(this month is the same month last year) and a linear regression on the flattened window. Memory
tasks (the adding problem) have no time order between samples, so their baselines are the mean and
linear. Every row of a comparison is judged by the same metric; an R² below 0 means worse than
always predicting the mean of the part judged.

MAPE divides by the truth, so near zero it explodes and misleads: it is reported (in percent)
only when the truth keeps one sign and stays away from zero (every |y| at least ``NEAR_ZERO`` of
the mean |y|), else ``None``. MASE (Hyndman & Koehler 2006) scales the MAE by the mean absolute
one-step change in the training part: below 1 beats a naive one-step forecast made in-sample; it
works near zero too.
"""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from rnncore.errors import Note
from rnncore.messages import BASELINE_NOTES

METRICS = ("rmse", "mae", "mape", "r2", "mase")
NEAR_ZERO = 0.05  # MAPE is hidden when some |truth| is below this share of the mean |truth|


class Metrics(TypedDict):
    """One predictor's errors on one split, in the data's units; None where undefined."""

    rmse: float | None
    mae: float | None
    mape: float | None  # percent; None where the truth comes near zero or changes sign
    r2: float | None  # None with fewer than two points or a constant truth; below 0: worse than the mean
    mase: float | None  # MAE / the training part's mean one-step change; None without that scale


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    """Mean absolute percentage error in percent; None where it would mislead (see the module docstring)."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    magnitude = np.abs(y_true)
    if y_true.size == 0 or magnitude.min() < NEAR_ZERO * magnitude.mean() or magnitude.min() == 0:
        return None
    if (y_true > 0).any() and (y_true < 0).any():
        return None
    return float(np.mean(np.abs((y_pred - y_true) / y_true)) * 100)


def mase_scale(windows) -> float | None:
    """The mean absolute one-step change of the target over the training part (MASE's denominator)."""
    if windows.is_sequences or windows.target_values is None:
        return None
    train = np.asarray(windows.target_values[: windows.bounds[0]], dtype=np.float64)
    scale = float(np.mean(np.abs(np.diff(train)))) if len(train) > 1 else 0.0
    return scale if scale > 0 else None


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray, scale: float | None = None) -> Metrics:
    """RMSE, MAE, MAPE (percent, where it does not mislead), R² and MASE of arrays (n,) or (n, horizon).

    Multi-step arrays are pooled over all steps. R² is ``None`` with fewer than two points or
    a constant truth (it is undefined there); MASE needs ``scale`` (``mase_scale``).
    """
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        return Metrics(rmse=None, mae=None, mape=None, r2=None, mase=None)
    r2 = None
    if y_true.size >= 2 and np.ptp(y_true) > 0:
        r2 = float(r2_score(y_true, y_pred))
    mae = float(mean_absolute_error(y_true, y_pred))
    return Metrics(rmse=float(np.sqrt(mean_squared_error(y_true, y_pred))), mae=mae, mape=mape(y_true, y_pred),
                   r2=r2, mase=mae / scale if scale else None)


def per_step_metrics(y_true: np.ndarray, y_pred: np.ndarray, scale: float | None = None) -> list[Metrics]:
    """``regression_metrics`` for each step of the horizon: a list of length horizon."""
    y_true, y_pred = (v if v.ndim == 2 else v.reshape(-1, 1) for v in (np.asarray(y_true), np.asarray(y_pred)))
    return [regression_metrics(y_true[:, k], y_pred[:, k], scale) for k in range(y_true.shape[1])]


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

    Series: ``mean`` (the training part's mean), ``persistence`` (the last known target value, repeated
    over the horizon), ``seasonal_naive`` (the value one period earlier; only when ``period`` is known and the
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
        out["mean"] = np.full((n, horizon), values[: windows.bounds[0]].mean(), dtype=np.float32)
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
    return np.asarray(windows.levels(scaled.astype(np.float32), split.positions), dtype=np.float32)


def loss_in_data_units(history, loss: str, unit: float) -> list[dict] | None:
    """Each epoch's train and validation loss as an error in the data's units, so that runs trained on
    differently scaled data compare: RMSE for an MSE loss, MAE for an MAE loss (``unit``: one scaled
    unit in the data's units, ``Windows.y_unit``). None for the Huber loss, which does not convert."""
    convert = {"mse": lambda v: math.sqrt(v) * unit, "mae": lambda v: v * unit}.get(loss)
    if convert is None:
        return None
    return [{"epoch": r.epoch, "train_loss": convert(r.train_loss),
             "val_loss": None if r.val_loss is None else convert(r.val_loss)} for r in history]
