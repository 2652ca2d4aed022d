"""Which model the Inside page looks at, and its figures translated."""

from __future__ import annotations

from dataclasses import dataclass

from rnncore.viz import cell_plots, inspection
from rnncore.viz.cell_plots import pca_2d
from ui.i18n import t, table
from ui.state import lab


@dataclass
class Subject:
    """A model that no thread is updating, with its windows and where it comes from."""

    model: object
    windows: object
    gradients: dict | None  # parameter name -> last gradient, when taken from a live copy
    version: tuple          # changes when the weights change
    progress: object
    live: bool = False      # a copy taken while the run goes on (refreshed every few seconds)


def subject() -> Subject | None:
    """The current run's model: the trainer's own once it ended, else the latest live copy."""
    session = lab()
    trainer = session.trainer
    if trainer is None:
        return None
    progress = trainer.snapshot()
    if progress.status in ("finished", "stopped", "diverged", "failed"):
        return Subject(trainer.model, trainer.windows, None, (id(trainer), "end"), progress)
    frame = session.live.latest()
    if frame is None:
        return None
    return Subject(session.live.shadow(frame), trainer.windows, frame.grads, (id(trainer), frame.version),
                   progress, live=True)


def _names(values: dict) -> dict:
    return {t(f"gate.{k}"): v for k, v in values.items()}


def heatmaps(trace, cell: str, activation: str):
    bounded_h = activation == "tanh" and cell != "article_lstm"
    return cell_plots.gate_heatmaps_figure(
        _names(trace.gates), trace.inputs, _names(trace.states), signed_gates=(t("gate.candidate"),),
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


def histograms(model, gradients):
    weights, grads = inspection.parameter_values(model, gradients)
    weight_fig = cell_plots.histogram_figure(weights, t("fig.weights.title"), labels=table("fig.weights"))
    if not grads:
        return weight_fig, None
    return weight_fig, cell_plots.histogram_figure(grads, t("fig.grads.title"), labels=table("fig.grads"))
