"""What a finished run gives back: metrics next to baselines, predictions, forecasts.

Everything here is in the data's original units (``windows.inverse_y``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from rnncore.config import ExperimentConfig, config_error
from rnncore.metrics import baseline_predictions, per_step_metrics, regression_metrics, seasonal_naive_note
from rnncore.steps import predict

EVAL_SPLITS = ("val", "test")
STATUSES = ("idle", "queued", "running", "paused", "finished", "stopped", "diverged", "failed")


# What a run says about itself: a reason code and its details, so a page can say it in the
# reader's language; the English text is Progress.message.
MESSAGES = {
    "starting": "starting",
    "queued": "waiting for a free training slot (all are in use)",
    "pausing": "pausing after this epoch",
    "paused": "paused after epoch {epoch}",
    "running": "training epoch {epoch}",
    "stopped_idle": "stopped before it started",
    "stopped_queued": "stopped while queued",
    "stopped": "stopped by the user after epoch {epoch}",
    "stopped_mid": "stopped by the user during epoch {epoch}; the weights of epoch {best} are kept",
    "time_limit_mid": "time limit reached during epoch {epoch}; the weights of epoch {best} are kept",
    "time_limit": "time limit reached after epoch {epoch}; the weights of epoch {best} are kept",
    "early_stop": "early stopping after epoch {epoch}: validation loss has not improved for {patience} epochs; "
                  "the weights of epoch {best} are kept",
    "finished": "finished {epochs} epochs; best epoch {best}",
    "failed": "training failed in epoch {epoch}: {error}",
    "diverged": "training diverged in epoch {epoch}: the loss became {value} (lr {lr}). Try a lower learning rate "
                "or gradient clipping (clip_norm, e.g. 1.0); the weights of epoch {best} are kept",
    "diverged_at_once": "training diverged in epoch {epoch}: the loss became {value} (lr {lr}). Try a lower "
                        "learning rate or gradient clipping (clip_norm, e.g. 1.0); the initial weights are kept",
    "imported": "imported {cell} run: {epochs} epoch(s), trained on {source}; evaluated again on that data "
                "(a run zip does not store per-layer gradient norms)",
    "imported_no_data": "imported {cell} run: {epochs} epoch(s), trained on {source}; the data is not part of "
                        "the zip: load it again to evaluate or retrain the model",
}


def say(reason: str, **details) -> dict:
    """Progress fields for ``reason``: the code, its details and the English message."""
    return {"reason": reason, "details": details, "message": MESSAGES[reason].format(**details)}


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float           # mean over the epoch's batches, scaled units, the chosen loss
    val_loss: float | None      # None when there are no validation windows
    seconds: float
    grad_norm: float            # total gradient norm before clipping, mean over batches
    layer_grad_norms: dict[str, float]
    lr: float


@dataclass
class Progress:
    status: str = "idle"
    epoch: int = 0
    epochs: int = 0
    history: list[EpochRecord] = field(default_factory=list)
    message: str = ""           # in English; ``reason`` and ``details`` say the same for translation
    reason: str = "idle"        # a key of MESSAGES
    details: dict = field(default_factory=dict)
    error: str | None = None    # the traceback text of a failure, for logs
    elapsed: float = 0.0        # seconds spent training (not queued, not paused)
    eta: float | None = None
    version: int = 0
    grad_through_time: np.ndarray | None = None
    grad_through_time_epoch: int | None = None
    best_epoch: int | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: train, validate, probe


@dataclass
class RunResult:
    """The outcome of one run.

    ``metrics``: ``{"val": {rmse, mae, mape, r2}, "test": {...}}``, plus ``"per_step": {"val":
    [...], "test": [...]}`` (one dict per horizon step) when the horizon is above 1.
    ``baselines``: ``{name: {"val": {...}, "test": {...}}}`` for persistence, seasonal_naive and
    linear (series) or mean and linear (memory tasks); ``baseline_notes`` says why a baseline
    is missing (seasonal naive without a known period, or with lookback < period).
    ``predictions``: split name -> DataFrame indexed by time (or position) with columns
    ``truth``, ``model`` and one per baseline; for a horizon above 1 each name gets a step
    suffix, ``truth_1 ... truth_H``.
    """

    config: ExperimentConfig
    history: list
    metrics: dict
    baselines: dict
    baseline_notes: dict[str, str]
    predictions: dict[str, pd.DataFrame]
    model: torch.nn.Module
    windows: object
    parameters: int
    status: str
    message: str


def period_of(dataset) -> int | None:
    """The seasonal period: the data set's own, else inferred from its time index."""
    if dataset is None:
        return None
    if dataset.period:
        return dataset.period
    from rnncore.data import infer_period

    return infer_period(dataset.frame)


def _frame(split, columns: dict[str, np.ndarray], dataset, horizon: int) -> pd.DataFrame:
    index = pd.Index(split.positions, name="position")
    frame_index = None if dataset is None or dataset.sequences is not None else dataset.frame.index
    if isinstance(frame_index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(frame_index[split.positions], name="time")
    data = {}
    for name, values in columns.items():
        if horizon == 1:
            data[name] = values[:, 0]
        else:
            data.update({f"{name}_{k + 1}": values[:, k] for k in range(horizon)})
    return pd.DataFrame(data, index=index)


def build_result(*, cfg, model, windows, dataset, period, history, status, message, device) -> RunResult:
    """Evaluate ``model`` (already holding the weights to report) on every split."""
    metrics: dict = {}
    baselines: dict = {}
    predictions = {}
    for name in ("train", *EVAL_SPLITS):
        split = getattr(windows, name)
        truth = windows.inverse_y(split.y)
        model_pred = windows.inverse_y(predict(model, split.x, device))
        base = baseline_predictions(windows, name, period) if name in EVAL_SPLITS else {}
        predictions[name] = _frame(split, {"truth": truth, "model": model_pred, **base}, dataset,
                                   windows.horizon)
        if name not in EVAL_SPLITS:
            continue
        metrics[name] = regression_metrics(truth, model_pred)
        if windows.horizon > 1:
            metrics.setdefault("per_step", {})[name] = per_step_metrics(truth, model_pred)
        for base_name, values in base.items():
            baselines.setdefault(base_name, {})[name] = regression_metrics(truth, values)
    notes = {}
    if not windows.is_sequences:
        note = seasonal_naive_note(windows, period)
        if note:
            notes["seasonal_naive"] = note
    return RunResult(cfg, list(history), metrics, baselines, notes, predictions, model, windows,
                     model.num_parameters(), status, message)


def forecast(source, steps: int, method: str = "recursive", windows=None) -> np.ndarray:
    """Forecast ``steps`` values beyond the end of the data, in original units: (steps,).

    ``source`` is a RunResult, or a model with ``windows`` given. ``recursive`` feeds each
    prediction back as input (possible only when the target is the only feature); ``direct``
    takes the model's horizon outputs at once (``steps <= horizon``).
    """
    model = source.model if isinstance(source, RunResult) else source
    windows = source.windows if isinstance(source, RunResult) else windows
    if windows is None:
        raise ValueError("pass windows=... along with a model (or pass a RunResult)")
    if steps < 1:
        raise config_error("forecast_steps")
    if method not in ("recursive", "direct"):
        raise config_error("forecast_method", method=repr(method))
    device = next(model.parameters()).device
    window = windows.last_window()  # DataError for memory tasks
    horizon = windows.horizon
    if method == "direct":
        if steps > horizon:
            raise config_error("direct_horizon", horizon=horizon)
        return windows.inverse_y(predict(model, window, device))[0, :steps]
    if windows.features != [windows.target]:
        raise config_error("recursive_target", features=", ".join(windows.features))
    out: list[float] = []
    while len(out) < steps:
        values = windows.inverse_y(predict(model, window, device))[0]
        out.extend(values.tolist())
        scaled = windows.scale_x(values.reshape(-1, 1))
        window = np.concatenate([window[:, len(values):], scaled[None]], axis=1)[:, -windows.lookback:]
    return np.asarray(out[:steps], dtype=np.float32)
