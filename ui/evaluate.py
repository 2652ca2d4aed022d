"""The Evaluate page's pieces: which run, its metrics table, its forecast."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from rnncore.config import ConfigError
from rnncore.data import DataError
from rnncore.data.cleaning import infer_offset
from rnncore.data.windows import outside_training, trend_share
from rnncore.errors import StoreError
from rnncore.training.metrics import METRICS
from rnncore.training.results import forecast
from ui import actions
from ui.controls import forget_widgets
from ui.i18n import explain, explain_error, source_name, t, text
from ui.runs import run_label
from ui.state import lab

PICKED = "w.evaluate.run"  # the run evaluated


@dataclass
class Evaluated:
    """A run as Evaluate shows it: evaluated again on its data, or (imported without its data) as exported."""

    record: object
    metrics: dict  # split -> Metrics
    baselines: dict  # baseline -> split -> Metrics
    notes: dict  # baseline -> why it is missing (a Note)
    predictions: dict  # split -> DataFrame by time (or position): truth, model, baselines (first step)
    result: object | None  # the RunResult with the model; None when the data is not loaded

    @property
    def splits(self) -> list[str]:
        return [s for s in ("test", "val")  # the parts with windows (a run may have no validation part)
                if len(self.predictions.get(s, ())) and all(s in b for b in self.baselines.values())]


def evaluated(record) -> Evaluated | None:
    """The run evaluated again (its model loaded from the store when needed), or as exported; None when
    neither can be had (its data is not at hand, or the store cannot give its model: said on the page)."""
    try:
        result = lab().result_of(record)
    except StoreError as exc:
        st.error(explain_error(exc), icon=":material/database:")
        result = None
    if result is not None:
        return Evaluated(record, result.metrics, result.baselines, result.baseline_notes,
                         {s: first_step(result.predictions[s]) for s in ("test", "val")}, result)
    if record.imported is None:
        return None
    table = record.imported.predictions
    by = "time" if "time" in table.columns else "position"
    index = pd.to_datetime(table[by]) if by == "time" else table[by]
    frames = {split: first_step(part.drop(columns=["split", by]).set_axis(pd.Index(index[part.index], name=by)))
              for split, part in table.groupby("split")}
    return Evaluated(record, record.metrics, record.baselines, record.baseline_notes, frames, None)


def run_picker():
    """A run that can be evaluated (the latest by default): one that holds its model, or one imported
    without its data (shown as exported); None when there is none."""
    session = lab()
    runs = [r for r in reversed(session.runs) if session.has_model(r) or r.imported is not None]
    if not runs:
        return None
    labels = {r.id: f"{run_label(r)} · {source_name(r.config.data.source)} · {text(f'status.{r.status}')}"
              for r in runs}
    chosen = st.selectbox(t("evaluate.run"), list(labels), format_func=labels.get, key=PICKED)
    return session.run(chosen)


def task_run(record) -> None:
    """A text or labels run: how it ended, its scores next to the baselines, what it writes or its confusion
    matrix and mistakes, its zip; Continue and Delete as for a forecast."""
    from ui import tasks  # (a text or labels run's views)

    try:
        result = lab().result_of(record)
    except StoreError as exc:
        st.error(explain_error(exc), icon=":material/database:")
        result = None
    st.caption(said(record))
    if result is None:
        st.warning(needs_data(record), icon=":material/upload_file:")
    else:
        tasks.scores_table(result, record.config.data.task)
        (tasks.text_sample if result.task == "charlm" else tasks.class_confusion)(result)
        tasks.download(tasks.Opened(result, record.data, record.id))
    left, right = st.columns(2)
    if left.button(t("evaluate.continue"), key="b.continue", icon=":material/replay:",
                   help=t("evaluate.continue_help"), disabled=result is None):
        if actions.continue_run(record):
            st.switch_page("views/train.py")
        actions.show_message()
    right.button(t("evaluate.delete"), key="b.delete", icon=":material/delete:", help=t("evaluate.delete_help"),
                 on_click=actions.delete_run, args=(record,))


def said(record) -> str:
    """How the run ended, its size and whose weights it holds, in a line."""
    return " · ".join(part for part in (explain(record.reason, record.details, record.message),
                                        t("evaluate.parameters", count=f"{record.parameters:,}"),
                                        weights_said(record)) if part)


def weights_said(record) -> str:
    """Whose weights the metrics are: "the weights of epoch 19 (best validation loss)"."""
    if record.imported is not None or record.status == "imported":
        return ""
    keep = "best" if record.config.train.keeps_best else "last"
    if record.kept_epoch is None:
        return t("evaluate.initial_weights")
    return t("evaluate.weights", epoch=record.kept_epoch, which=text(f"evaluate.kept.{keep}"))


def needs_data(record) -> str:
    """What an imported run needs to be evaluated again: its file, by name, rows and fingerprint."""
    data = record.data or {}
    return t("evaluate.needs_data", name=data.get("name") or source_name(record.config.data.source),
             rows=data.get("rows", "?"), sha=(data.get("sha256") or "")[:12] or "—")


WORSE_THAN_THE_MEAN = "color: #c62828; font-weight: 600"  # an R² below 0


def metrics_table(shown: Evaluated, split: str):
    """The model's metrics next to every baseline, in the data's units, the best RMSE first (every row is
    judged by the same metric): a table styled so that an R² below 0, worse than the mean, shows red."""
    rows = {text("metrics.model"): shown.metrics[split]}
    for name, by_split in shown.baselines.items():
        rows[text(f"baseline.{name}")] = by_split[split]
    order = sorted(rows, key=lambda name: math.inf if rows[name]["rmse"] is None else rows[name]["rmse"])
    frame = pd.DataFrame({text(f"metric.{m}"): [rows[name].get(m) for name in order] for m in METRICS},
                         index=order, dtype=float)
    frame = frame.drop(columns=[c for c in frame.columns if frame[c].isna().all()])  # a metric hidden for all
    r2 = text("metric.r2")
    styled = frame.style.format("{:.4g}", na_rep="—")
    if r2 in frame.columns:
        styled = styled.map(lambda v: WORSE_THAN_THE_MEAN if v < 0 else "", subset=[r2])  # NaN < 0 is False
    return styled


def metric_notes(shown: Evaluated, split: str) -> list[str]:
    """Why a metric is missing or what it means, under the table."""
    notes = [t("evaluate.mase_note")]
    if any((m.get("r2") or 0) < 0 for m in (shown.metrics[split], *(b[split] for b in shown.baselines.values()))):
        notes.insert(0, t("evaluate.r2_red"))
    if shown.metrics[split].get("mape") is None and shown.metrics[split].get("rmse") is not None:
        notes.insert(0, t("evaluate.mape_hidden"))
    return notes


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
        freq = index.freq or infer_offset(index)
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


def differencing_note(shown: Evaluated) -> str | None:
    """Why the model does no better than repeating the last value, where it modelled the values of a series whose
    test part leaves the range the training part saw, or that trends: the note that says so and what to try
    (Markdown); None otherwise."""
    result = shown.result
    if result is None or result.windows.is_sequences or result.config.window.difference != "none":
        return None
    model, persistence = shown.metrics["test"].get("rmse"), shown.baselines.get("persistence", {}).get("test", {})
    if model is None or persistence.get("rmse") is None or model < persistence["rmse"]:
        return None
    if (outside := outside_training(result.windows)) is not None:
        return t(f"evaluate.outside_{outside['side']}", test=f"{outside['test']:.4g}", train=f"{outside['train']:.4g}")
    if (share := trend_share(result.windows)) is not None:
        return t("evaluate.trend", share=f"{share:.0%}")
    return None


def differencing_advice(shown: Evaluated) -> None:
    """The differencing note, with one click to try it: the next run is this run with "Model the changes" set to
    first differences, on its data, and the Train page opens (Start trains it)."""
    note = differencing_note(shown)
    if note is None:
        return
    st.warning(note, icon=":material/trending_up:")
    if st.button(t("evaluate.try_difference"), key="b.try_difference", icon=":material/difference:",
                 help=t("evaluate.try_difference_help"), type="primary"):
        if try_differencing(shown.record):
            st.switch_page("views/train.py")
        actions.show_message()


def try_differencing(record) -> bool:
    """The next run: ``record``'s settings with first differences, on its data (a sample or a generated series
    loaded again where other data is loaded now). False, with the reason kept for the page, when it cannot be."""

    session, data = lab(), record.config.data
    if session.dataset_for(record.config, record.data) is None:  # a file that is not loaded now
        actions.report(needs_data(record), escaped=True)
        return False
    now = session.config.data
    if (now.source, now.params, now.layout) != (data.source, data.params, data.layout) and \
            not actions.guarded(session.load, data.source, data.params):
        return False
    session.config = record.config.replace(window={"difference": "first"})
    forget_widgets()
    return True
