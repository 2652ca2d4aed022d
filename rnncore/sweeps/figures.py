"""The figures of a study: Optuna's own Plotly figures (optuna.visualization), whatever can be drawn.

``figures(study)`` gives, by name, the optimisation history, the intermediate values (each trial's
validation loss per epoch), the parallel coordinates, the parameter importances and the slice plot.
A figure that cannot be drawn yet (no trial has completed; importances need two completed trials and a
parameter that varies) is left out rather than drawn empty or raised: a page shows what there is.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

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
