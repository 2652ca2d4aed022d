"""Which model the Inside page looks at, and its figures translated."""

from __future__ import annotations

import streamlit as st

from rnncore.errors import KeyedError
from rnncore.lab.active import KeptRun
from rnncore.viz import cell_plots, inspection
from rnncore.viz.cell_plots import pca_2d
from ui.i18n import explain_error, source_name, t, table, text
from ui.runs import run_label
from ui.state import lab

PICKED = "w.inside.run"
CURRENT = 0  # the picker's choice for the run of the last Start (kept runs are picked by their number)


def subject():
    """(the run picked: the current one or a kept one, a model of it no thread is updating), or None when
    there is none yet (before the first epoch)."""
    session = lab()
    current = session.current  # (a text or labels run is looked inside once it has ended)
    going = current if current is not None and current.record is None and current.task == "forecast" else None
    kept = {r.id: r for r in reversed(session.runs) if session.has_model(r)}  # ended here or elsewhere, or stored
    choices = ([CURRENT] if going is not None else []) + list(kept)
    if not choices:
        return None
    if st.session_state.get(PICKED) not in choices:
        st.session_state[PICKED] = choices[0]
    label = {n: f"{run_label(r)} · {text(f'status.{r.status}')}" for n, r in kept.items()}
    if going is not None:
        label[CURRENT] = t("inside.current", label=run_label(going))
    chosen = st.selectbox(t("inside.run"), choices, format_func=label.get, key=PICKED)
    if chosen == CURRENT:
        run = going
    elif current is not None and current.record is not None and current.id == chosen and current.task == "forecast":
        run = current  # the run of the last Start, ended: its own progress keeps the gradient through time
    else:
        try:
            result = session.result_of(kept[chosen])
        except KeyedError as exc:
            st.error(explain_error(exc), icon=":material/database:")
            return None
        if result is None:
            st.warning(t("inside.needs_data", source=source_name(kept[chosen].config.data.source)),
                       icon=":material/upload_file:")
            return None
        run = KeptRun(kept[chosen], result)
    view = run.model_view()
    return None if view is None else (run, view)


def keep_within(key: str, highest: int) -> None:
    """A widget's kept number set back to ``highest`` when the run now shown has fewer (windows, layers)."""
    if st.session_state.get(key, 0) > highest:
        st.session_state[key] = max(highest, 0)


def _names(values: dict) -> dict:
    return {t(f"gate.{k}"): v for k, v in values.items()}


def heatmaps(trace, cell: str, activation: str, input_names=None):
    """One window through one layer, its inputs named by their columns or channels (``input_names``)."""
    bounded_h = activation == "tanh" and cell != "article_lstm"
    return cell_plots.gate_heatmaps_figure(
        _names(trace.gates), trace.inputs, _names(trace.states), signed_gates=(t("gate.candidate"),),
        input_names=list(input_names) if input_names else None,
        state_limits={t("gate.h"): 1.0} if bounded_h else {}, labels=table("fig.gates"))


def saturation(model, windows, split: str, layer: int, live: bool = False):
    """Gate saturation over up to 256 windows (64 while training goes on: it is redrawn often)."""
    gates = inspection.gate_sample(model, windows, split, layer, most=64 if live else 256)
    gates.pop("candidate", None)
    if not gates:
        return None
    return cell_plots.saturation_figure(_names(gates), labels=table("fig.saturation"))


def trajectory(trace):
    points, explained = pca_2d(trace.states["h"])
    return cell_plots.pca_trajectory_figure(points, explained, labels=table("fig.pca"))


def weight_label(name: str) -> str:
    """A weight matrix in plain words, torch's name second: "input weights, layer 1 (weight_ih_l0)"."""
    kind, _, layer = name.rpartition("_l")
    words = {"weight_ih": "weights.input", "weight_hh": "weights.recurrent"}
    if kind in words and layer.isdigit():
        return f"{text(words[kind], layer=int(layer) + 1)} ({name})"
    return f"{text('weights.head')} ({name})" if name == "head.weight" else name


def histograms(model, gradients):
    weights, grads = inspection.parameter_values(model, gradients)
    weights, grads = ({weight_label(k): v for k, v in d.items()} for d in (weights, grads))
    weight_fig = cell_plots.histogram_figure(weights, t("fig.weights.title"), labels=table("fig.weights"))
    if not grads:
        return weight_fig, None
    return weight_fig, cell_plots.histogram_figure(grads, t("fig.grads.title"), labels=table("fig.grads"))
