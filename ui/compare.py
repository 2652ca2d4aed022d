"""The Compare page's pieces: every run of the session, the ones still training included."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from rnncore.lab.comparison import config_diff
from rnncore.training.metrics import loss_in_data_units
from ui.i18n import explain, plain, t, text
from ui.runs import run_label
from ui.state import WIDGET_PREFIX, lab

PICKED = WIDGET_PREFIX + "compare.runs"
SEEN = "compare.seen"  # the runs the picker has offered: a run not seen yet joins the selection


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
                                        explain(p.reason, p.details, p.message), run.windows.y_unit)
    return out


def partials(runs: dict[str, Entry], chosen: list[str]) -> dict:
    """The batches of the epoch each diverged run blew up in: (x, loss) for the chart."""
    return {label: runs[label].partial.points() for label in chosen if runs[label].partial is not None}


def endings(runs: dict[str, Entry], chosen: list[str]) -> list[str]:
    """Why a chosen run diverged or failed, to say next to the chart (Markdown-safe)."""
    return [f"{plain(label)}: {runs[label].said}" for label in chosen if runs[label].status in ("diverged", "failed")]


def picker(runs: dict[str, Entry]) -> list[str]:
    """The runs to compare: the user's choice; a run the picker has not offered before joins it at once."""
    seen = st.session_state.setdefault(SEEN, set())
    new = [label for label in runs if label not in seen]
    picked = [label for label in st.session_state.get(PICKED, []) if label in runs]
    st.session_state[PICKED] = (picked + new) if seen else list(runs)[-4:]
    seen.update(runs)
    return st.multiselect(t("compare.runs"), list(runs), key=PICKED)


def curves(runs: dict[str, Entry], chosen: list[str]) -> tuple[dict[str, list], str, list[str]]:
    """The loss curves to draw, in which units, and the runs left out.

    Runs that share their scaling and loss are drawn as they trained ("scaled"); runs that do not
    would put, say, a loss of 100,000 next to one of 0.01 on one axis, so they are drawn as the error in
    the data's units ("data": RMSE for an MSE loss, MAE for an MAE loss); a Huber run, or one whose
    scaling is not known (imported without its data), cannot be, and is left out and named.
    """
    def points(history):
        return [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss} for r in history]

    kinds = {(runs[label].config.window.scaler, runs[label].config.train.loss) for label in chosen}
    if len(kinds) <= 1:
        return {label: points(runs[label].history) for label in chosen}, "scaled", []
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


def metrics_frame(runs: dict[str, Entry], chosen: list[str]) -> pd.DataFrame:
    rows = []
    for label in chosen:
        entry = runs[label]
        row = {t("compare.run"): label, t("compare.status"): text(f"status.{entry.status}"),
               t("compare.epochs"): len(entry.history)}
        record = entry.record
        if record is not None:
            row[t("compare.parameters")] = record.parameters
            if record.metrics:
                row[t("compare.test_rmse")] = record.metrics["test"]["rmse"]
                for name, by_split in record.baselines.items():
                    row[text(f"baseline.{name}")] = by_split["test"]["rmse"]
        rows.append(row)
    return pd.DataFrame(rows)


def differences(runs: dict[str, Entry], chosen: list[str]) -> pd.DataFrame | None:
    """The settings that differ, one row each, named by their widget labels."""
    diff = config_diff({label: runs[label].config for label in chosen})
    if not diff:
        return None
    names = {key: text(f"setting.{key.split('.')[-1]}") for key in diff}
    return pd.DataFrame(diff).T.astype(str).rename(index=names)


def training_now(runs: dict[str, Entry]) -> list[str]:
    """The labels of the runs that are training or waiting for a slot."""
    return [label for label, entry in runs.items() if entry.live and entry.status in ("running", "queued")]
