"""The figures of a study: Optuna's own Plotly figures (optuna.visualization), whatever can be drawn.

``figures(study)`` gives, by name, the optimisation history, the intermediate values (each trial's
validation loss per epoch), the parallel coordinates, the parameter importances and the slice plot.
A figure that cannot be drawn yet (no trial has completed; importances need two completed trials and a
parameter that varies) is left out rather than drawn empty or raised: a page shows what there is.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping

FIGURES = ("history", "intermediate", "parallel", "importance", "slice")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Optuna logs a warning for each figure it cannot draw; the figure's absence says it here."""
    import warnings

    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def figures(study, names: tuple[str, ...] = FIGURES) -> dict:
    """``{name: plotly Figure}`` for the figures of ``names`` that can be drawn for ``study``."""
    from optuna import visualization as vis
    from optuna.trial import TrialState

    makers = {"history": vis.plot_optimization_history, "intermediate": vis.plot_intermediate_values,
              "parallel": vis.plot_parallel_coordinate, "importance": vis.plot_param_importances,
              "slice": vis.plot_slice}
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    out = {}
    for name in names:
        if name == "intermediate" and not any(t.intermediate_values for t in trials):
            continue
        if name != "intermediate" and not complete:
            continue
        if name == "importance" and (len(complete) < 2 or not _varies(complete)):
            continue
        with _quiet():
            try:
                figure = makers[name](study)
            except (ValueError, RuntimeError, ZeroDivisionError):  # too few trials for this figure
                continue
        if figure.data:
            out[name] = figure
    return out


def _varies(trials) -> bool:
    """Whether some parameter took two values among the completed trials (importances need one)."""
    names = {name for t in trials for name in t.params}
    return any(len({repr(t.params.get(name)) for t in trials}) > 1 for name in names)


# the words Optuna writes into its figures, which relabel() replaces (a page passes them translated)
WORDS = ("Objective Value", "Best Value", "Infeasible Trial", "Feasible Trial", "Trial", "Step",
         "Intermediate Value", "Hyperparameter", "Hyperparameter Importance")
_TRIAL_NAME = re.compile(r"Trial(\d+)")  # the intermediate values' trace names: "Trial3"


def relabel(figure, words: Mapping[str, str]):
    """``figure`` with every label that is exactly a key of ``words`` (one of WORDS, a parameter's name, or a
    choice's value) replaced by its value: the axis titles, tick labels and categories, the annotations, the
    trace names, category values and colour bars. The figure's title is left for the page to set."""
    def said(value):
        if not isinstance(value, str):
            return value
        found = _TRIAL_NAME.fullmatch(value)
        if found and "Trial" in words:
            return f"{words['Trial']} {found.group(1)}"
        if len(value) > 1 and value[0] == value[-1] == "'":  # a choice as the slice plot writes it: 'lstm'
            value = value[1:-1]
        return words.get(value, value)

    def axis(ax) -> None:
        if ax.title and ax.title.text:
            ax.title.text = said(ax.title.text)
        for name in ("ticktext", "categoryarray"):
            if ax[name] is not None:
                ax[name] = tuple(said(v) for v in ax[name])

    figure.for_each_xaxis(axis)
    figure.for_each_yaxis(axis)
    figure.for_each_annotation(lambda note: note.update(text=said(note.text)))  # parallel axes' choice labels
    for trace in figure.data:
        if trace.name:
            trace.name = said(trace.name)
        if trace.type == "scatter" and trace.x is not None and any(isinstance(v, str) for v in trace.x):
            trace.x = tuple(said(v) for v in trace.x)  # a choice's values on a category axis
        marker = getattr(trace, "marker", None)
        bar = getattr(marker, "colorbar", None) if marker is not None else None
        if bar is not None and bar.title and bar.title.text:
            bar.title.text = said(bar.title.text)
        if trace.type == "bar" and trace.y is not None:  # the importances: one bar per parameter
            trace.y = tuple(said(v) for v in trace.y)
    return figure
