"""How a run is named for people, in the reader's language: "#3 LSTM 32×1 relu"; and what a page says
where it has no run to show."""

from __future__ import annotations

import streamlit as st

from ui.i18n import explain_error, t, text
from ui.state import WORKSPACE_MEMORY, lab


def run_label(run) -> str:
    """A run's (an ActiveRun's or a RunRecord's) number, cell and size, plus what sets it apart.

    Plain text (not Markdown): for pickers, legends and tables.
    """
    model = run.config.model
    parts = [text("run.label", id=run.id, cell=text(f"cell_short.{model.cell}"), hidden=model.hidden_size,
                  layers=model.num_layers)]
    if model.activation != "tanh":
        parts.append(model.activation)
    if model.forget_bias:
        parts.append(text("run.forget_bias", value=f"{model.forget_bias:g}"))
    if run.config.data.task != "forecast":  # what it learns, where the pages list runs of every task
        parts.append(f"· {text(f'tasks.task.{run.config.data.task}')}")
    return " ".join(parts)


def no_runs(key: str) -> None:
    """Where a page has no run to show: that the run store cannot be reached now, when that is why (the
    workspace may well hold runs); else the page's own "no runs yet" text ``key``."""
    error = st.session_state.get(WORKSPACE_MEMORY) or lab().archive.down
    if error is not None:
        st.warning(t("runs.unreachable", error=explain_error(error, field=True)), icon=":material/cloud_off:")
    else:
        st.info(t(key), icon=":material/info:")
