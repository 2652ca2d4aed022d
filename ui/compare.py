"""The Compare page's pieces: every run of the session, the ones still training included."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from rnncore.config import source_kind
from rnncore.data.sources import load_source
from rnncore.lab.comparison import config_diff
from rnncore.training.metrics import loss_in_data_units
from rnncore.training.progress import MOVING, WENT_WRONG
from rnncore.training.task import SCORES
from ui.i18n import explain, plain, source_name, t, text
from ui.runs import run_label
from ui.state import COMPARE_SEEN, WIDGET_PREFIX, lab

PICKED = WIDGET_PREFIX + "compare.runs"
NOTHING = "—"  # a cell with no value (a baseline that cannot be computed, a setting left unset), never "None"


@dataclass
class Entry:
    """One run as Compare shows it: an ended run's record, or a run still going (``live``)."""

    label: str
    config: object
    status: str
    history: list
    record: object | None
    live: bool
    partial: object | None = None  # PartialEpoch of a run that diverged
    said: str = ""  # what the run says about itself, in the reader's language
    y_unit: float | None = None  # one scaled unit of its target in the data's units


def entries() -> dict[str, Entry]:
    """Every kept run, then the runs of the last Start or series that have not ended yet, by label."""
    session = lab()
    out = {run_label(r): Entry(run_label(r), r.config, r.status, r.history, r, False, r.partial_epoch,
                               explain(r.reason, r.details, r.message), r.y_unit) for r in session.runs}
    for run in session.active():
        if run.record is None:
            p = run.progress()
            out[run_label(run)] = Entry(run_label(run), run.config, p.status, p.history, None, True, p.partial_epoch,
                                        explain(p.reason, p.details, p.message),
                                        run.windows.y_unit if run.task == "forecast" else None)
    return out


def partials(runs: dict[str, Entry], chosen: list[str]) -> dict:
    """The batches of the epoch each diverged run blew up in: (x, loss) for the chart."""
    return {label: runs[label].partial.points() for label in chosen if runs[label].partial is not None}


def endings(runs: dict[str, Entry], chosen: list[str]) -> list[str]:
    """Why a chosen run diverged or failed, to say next to the chart (Markdown-safe)."""
    return [f"{plain(label)}: {runs[label].said}" for label in chosen if runs[label].status in WENT_WRONG]


FIRST_PICKED = 4  # runs chosen when the page first opens: the latest and those comparable with it


def data_of(entry: Entry) -> tuple:
    """What a run learned from: its data, generator settings, target and inputs. Runs that agree on it are
    comparable on one axis."""
    data = entry.config.data
    return data.source, json.dumps(data.params, sort_keys=True), data.target, tuple(data.features)


def picker(runs: dict[str, Entry]) -> list[str]:
    """The runs to compare: the user's choice. At first, the latest run and the latest runs on the same data;
    then a run the picker has not offered before joins the choice when it is on the data of the runs chosen."""
    seen = st.session_state.setdefault(COMPARE_SEEN, set())
    picked = [label for label in st.session_state.get(PICKED, []) if label in runs]
    if not seen or not picked:
        latest = data_of(runs[list(runs)[-1]])
        picked = [label for label in runs if data_of(runs[label]) == latest][-FIRST_PICKED:]
    else:
        chosen_data = data_of(runs[picked[0]])
        picked += [label for label in runs if label not in seen and data_of(runs[label]) == chosen_data]
    st.session_state[PICKED] = picked
    seen.update(runs)
    return st.multiselect(t("compare.runs"), list(runs), key=PICKED)


def on_other_data(runs: dict[str, Entry], chosen: list[str]) -> list[str]:
    """The chosen runs that learned from other data than the first chosen one, each with its data's name."""
    first = data_of(runs[chosen[0]])
    return [f"{label} ({source_name(runs[label].config.data.source)})" for label in chosen[1:]
            if data_of(runs[label]) != first]


def curves(runs: dict[str, Entry], chosen: list[str]) -> tuple[dict[str, list], str, list[str]]:
    """The loss curves to draw, in which units, and the runs left out.

    Runs that share their scaling and loss are drawn as they trained ("scaled"; "nats": the cross-entropy of
    runs of one text or labels task); forecasts that do not would put, say, a loss of 100,000 next to one of
    0.01 on one axis, so they are drawn as the error in the data's units ("data": RMSE for an MSE loss, MAE for
    an MAE loss); a Huber run, one whose scaling is not known (imported without its data), or a text or labels
    run beside them cannot be, and is left out and named.
    """
    def points(history):
        return [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss} for r in history]

    def kind(config) -> tuple:  # runs of one kind share a loss axis
        if config.data.task != "forecast":
            return (config.data.task,)
        return config.window.scaler, config.train.loss

    kinds = {kind(runs[label].config) for label in chosen}
    if len(kinds) <= 1:
        units = "scaled" if runs[chosen[0]].config.data.task == "forecast" else "nats"
        return {label: points(runs[label].history) for label in chosen}, units, []
    drawn, left_out = {}, []
    for label in chosen:
        entry = runs[label]
        converted = None if entry.y_unit is None else loss_in_data_units(entry.history, entry.config.train.loss,
                                                                           entry.y_unit)
        if converted is None:
            left_out.append(label)
        else:
            drawn[label] = converted
    return drawn, "data", left_out


def mean_level(runs: dict[str, Entry], chosen: list[str], units: str) -> float | None:
    """The loss of always predicting the mean target, in the units the curves are drawn in (``curves``), where
    every chosen run learns one generated memory task (the adding or copy problem: its SequenceSet knows that
    loss) with a mean squared error; None otherwise."""
    entries = [runs[label] for label in chosen]
    data = {(e.config.data.source, json.dumps(e.config.data.params, sort_keys=True)) for e in entries}
    if len(data) != 1 or any(e.config.train.loss != "mse" or e.config.data.task != "forecast" for e in entries):
        return None
    source, params = data.pop()
    mse = memory_baseline(source, params) if source_kind(source) == "synthetic" else None
    if mse is None:
        return None
    if units == "data":  # the curves are each run's RMSE
        return math.sqrt(mse)
    scaled = {e.y_unit for e in entries}  # one scaled unit of the target, the same for every run drawn
    return mse / scaled.pop() ** 2 if len(scaled) == 1 and None not in scaled else None


@st.cache_data(max_entries=16, show_spinner=False)
def memory_baseline(source: str, params: str) -> float | None:
    """The mean squared error of always predicting the mean target of a generated memory task (``params``: JSON),
    or None for any other data."""
    dataset = load_source(source, json.loads(params))
    return dataset.sequences.baseline_mse if dataset.sequences is not None else None


def metrics_frame(runs: dict[str, Entry], chosen: list[str]) -> pd.DataFrame:
    rows = []
    for label in chosen:
        entry = runs[label]
        row = {t("compare.run"): label, t("compare.status"): text(f"status.{entry.status}"),
               t("compare.epochs"): len(entry.history)}
        record = entry.record
        if record is not None:
            row[t("compare.parameters")] = record.parameters
            task = record.config.data.task
            metric = SCORES[task]  # a forecast's RMSE, a text model's bits per character, a classifier's accuracy
            if record.metrics:
                said = t("compare.test_rmse") if task == "forecast" else t("compare.test_metric", metric=t(
                    f"tasks.metric.{metric}"))
                row[said] = record.metrics["test"][metric]
                for name, by_split in record.baselines.items():
                    row[text(f"baseline.{name}")] = by_split["test"][metric]
        rows.append(row)
    frame = pd.DataFrame(rows).set_index(t("compare.run")).T  # a column a run, as the differences: fits narrow pages
    return frame.map(_cell)  # each column holds words and numbers: all as text, a missing score a dash


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOTHING
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def differences(runs: dict[str, Entry], chosen: list[str]) -> pd.DataFrame | None:
    """The settings that differ, one row each, named by their widget labels."""
    diff = config_diff({label: runs[label].config for label in chosen})
    if not diff:
        return None
    names = {key: text(f"setting.{key.split('.')[-1]}") for key in diff}
    if "data.source" in diff:
        diff["data.source"] = {label: source_name(value) for label, value in diff["data.source"].items()}
    shown = {key: {label: NOTHING if value is None else str(value) for label, value in values.items()}
             for key, values in diff.items()}
    return pd.DataFrame(shown).T.rename(index=names)


def training_now(runs: dict[str, Entry]) -> list[str]:
    """The labels of the runs that are training or waiting for a slot."""
    return [label for label, entry in runs.items() if entry.live and entry.status in MOVING]
