"""The Compare page's pieces: every run of the session, the ones still training included."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from rnncore.lab.comparison import config_diff
from ui.i18n import t, text
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


def entries() -> dict[str, Entry]:
    """Every kept run, then the runs of the last Start or series that have not ended yet, by label."""
    session = lab()
    out = {run_label(r): Entry(run_label(r), r.config, r.status, r.history, r, False) for r in session.runs}
    for run in session.active():
        if run.record is None:
            progress = run.progress()
            out[run_label(run)] = Entry(run_label(run), run.config, progress.status, progress.history, None, True)
    return out


def picker(runs: dict[str, Entry]) -> list[str]:
    """The runs to compare: the user's choice; a run the picker has not offered before joins it at once."""
    seen = st.session_state.setdefault(SEEN, set())
    new = [label for label in runs if label not in seen]
    picked = [label for label in st.session_state.get(PICKED, []) if label in runs]
    st.session_state[PICKED] = (picked + new) if seen else list(runs)[-4:]
    seen.update(runs)
    return st.multiselect(t("compare.runs"), list(runs), key=PICKED)


def histories(runs: dict[str, Entry], chosen: list[str]) -> dict[str, list]:
    return {label: [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss}
                    for r in runs[label].history] for label in chosen}


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
    diff = config_diff({label: runs[label].config for label in chosen})
    return pd.DataFrame(diff).T.astype(str) if diff else None


def training_now(runs: dict[str, Entry]) -> list[str]:
    """The labels of the runs that are training or waiting for a slot."""
    return [label for label, entry in runs.items() if entry.live and entry.status in ("running", "queued")]
