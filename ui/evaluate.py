"""The Evaluate page's pieces: which run, its metrics table, its forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnncore.config import ConfigError
from rnncore.data import DataError
from rnncore.training.metrics import METRICS
from rnncore.training.results import forecast
from ui.i18n import explain_error, t, text
from ui.runs import run_label
from ui.state import lab


def run_picker():
    """A run that still holds its model (the latest by default), or None."""
    session = lab()
    runs = [r for r in reversed(session.runs) if r.result is not None]
    if not runs:
        return None
    labels = {r.id: f"{run_label(r)} · {r.data_name} · {text(f'status.{r.status}')}" for r in runs}
    chosen = st.selectbox(t("evaluate.run"), list(labels), format_func=labels.get, key="w.evaluate.run")
    return session.run(chosen)


def metrics_table(result, split: str) -> pd.DataFrame:
    """The model's metrics next to every baseline, best RMSE first, in original units."""
    rows = {t("metrics.model"): result.metrics[split]}
    for name, by_split in result.baselines.items():
        rows[t(f"baseline.{name}")] = by_split[split]
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(METRICS)]
    frame.columns = [t(f"metric.{m}") for m in METRICS]
    return frame.sort_values(frame.columns[0])


def forecasts(result, steps: int) -> tuple[dict[str, np.ndarray], list[str]]:
    """Recursive and direct forecasts beyond the data, with a note for each one not possible."""
    out, notes, methods = {}, [], []
    windows = result.windows
    if windows.features == [windows.target]:
        methods.append("recursive")
    else:
        notes.append(t("evaluate.recursive_needs_target_only"))
    if steps <= windows.horizon:
        methods.append("direct")
    else:
        notes.append(t("evaluate.direct_needs_horizon", horizon=windows.horizon, steps=steps))
    for method in methods:
        try:
            out[t(f"forecast.{method}")] = forecast(result, steps, method)
        except (ConfigError, DataError) as exc:  # what forecast itself refuses, in the reader's language
            notes.append(explain_error(exc))
    return out, notes


def future_index(index: pd.Index, steps: int):
    """The next ``steps`` positions after ``index``: dates when it has a frequency, else numbers."""
    if isinstance(index, pd.DatetimeIndex) and len(index) > 2:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = index.freq or pd.infer_freq(index)
        if freq is not None:
            return pd.date_range(index[-1], periods=steps + 1, freq=freq)[1:]
    start = len(index)
    return np.arange(start, start + steps)


def first_step(frame: pd.DataFrame) -> pd.DataFrame:
    """Prediction columns for the first step of the horizon, named without the step suffix."""
    if "truth" in frame.columns:
        return frame
    kept = [c for c in frame.columns if c.endswith("_1")]
    return frame[kept].rename(columns=lambda c: c.removesuffix("_1"))
