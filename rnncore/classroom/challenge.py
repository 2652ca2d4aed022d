"""A class's challenge: the data and split everyone trains on, a budget, the cells allowed, and the score.

The challenge's data is split by its window settings into train, validation and test; the test part is
**held out**: students get the data up to it (``student_data``: a CSV, kept in their workspace like an
upload) and never its targets; a submitted run is scored here, on the server, on the held-out part
(``score``): its model, with the scalers its own training fitted, predicts every window whose target
lies in the held-out rows, in the data's units, next to the persistence and seasonal-naive baselines.
The data is a sample, a generated series, or a file the teacher uploaded (``content``, kept by the
Classroom beside the class). A run is accepted only if it trained on exactly that data (its file's
SHA-256), with the challenge's window, a cell allowed and within the budget, and only if every epoch of it
was trained by this server on that data from weights this server initialised (its lineage: never an
imported run, nor one continued from an import) (``check``); ``ClassError`` says which limit otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnncore.config import CELLS, DataConfig, ExperimentConfig
from rnncore.errors import ClassError, DataError, Several
from rnncore.training.lineage import HERE, IMPORTED_FROM_FILE, Lineage

SCORES = ("rmse",)  # the score of a forecasting challenge: test RMSE in the data's units (lower is better)
WINDOW_KEYS = ("lookback", "horizon", "train_fraction", "val_fraction", "scaler", "difference")  # fixed by it


def _refuse(key: str, **details) -> ClassError:
    return ClassError.keyed(key, **details)


@dataclass(frozen=True)
class Challenge:
    """What a class trains on and how it is scored (JSON in the store)."""

    config: ExperimentConfig = field(default_factory=ExperimentConfig)  # its data and window (the rest: a start)
    max_epochs: int = 100  # the budget of a run (these defaults: the class budget the Teacher page offers)
    max_parameters: int = 20_000
    max_seconds: float = 60.0
    cells: tuple[str, ...] = tuple(CELLS)  # the cells allowed
    score: str = "rmse"
    data_sha256: str = ""  # a file the teacher uploaded: its SHA-256 (the Classroom keeps the file itself)
    content: bytes | None = field(default=None, compare=False, repr=False)  # that file (not in the JSON)

    def __post_init__(self):
        if self.score not in SCORES:
            raise _refuse("bad_challenge", problem=f"score must be one of {', '.join(SCORES)}")
        if not self.cells or any(cell not in CELLS for cell in self.cells):
            raise _refuse("bad_challenge", problem=f"cells must be some of {', '.join(CELLS)}")
        for name in ("max_epochs", "max_parameters", "max_seconds"):
            if not getattr(self, name) > 0:
                raise _refuse("bad_challenge", problem=f"{name} must be above 0")
        object.__setattr__(self, "cells", tuple(self.cells))
        if self.config.data.kind == "file":
            if self.content is not None:
                sha = hashlib.sha256(self.content).hexdigest()
                if self.data_sha256 not in ("", sha):
                    raise _refuse("bad_challenge", problem="the file's content is not the one the challenge names")
                object.__setattr__(self, "data_sha256", sha)
            elif not self.data_sha256:
                raise _refuse("bad_challenge", problem="a challenge on a file needs the file")

    def to_json(self) -> str:
        kept = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("config", "content")}
        return json.dumps({**kept, "config": json.loads(self.config.to_json())})

    @classmethod
    def from_json(cls, text: str) -> Challenge:
        doc = json.loads(text)
        return cls(**{**doc, "config": ExperimentConfig.from_dict(doc["config"]), "cells": tuple(doc["cells"])})

    @property
    def data_name(self) -> str:
        """The file name students' runs are trained on (their data is this challenge's, held-out part cut)."""
        name = self.config.data.source.partition(":")[2] or self.config.data.source
        return f"challenge_{name.removesuffix('.csv')}.csv"

    def with_content(self, content: bytes | None) -> Challenge:
        """The same challenge holding its file (as the Classroom keeps it)."""
        return dataclasses.replace(self, content=content)

    def student_config(self, config: ExperimentConfig) -> ExperimentConfig:
        """``config`` with the challenge's data and window (and the epochs within its budget)."""
        window = {k: getattr(self.config.window, k) for k in WINDOW_KEYS}
        data = {"target": self.config.data.target, "features": self.config.data.features}
        return config.replace(window=window, data=data,
                              train={"epochs": min(config.train.epochs, self.max_epochs),
                                     "max_seconds": self.max_seconds})

    def first_config(self, data: DataConfig) -> ExperimentConfig:
        """A student's next run on taking the challenge's data (``data``: as loaded): the teacher's settings as a
        start (the challenge's window, model and training), within the budget."""
        return self.student_config(dataclasses.replace(self.config, data=data))


def full_data(challenge: Challenge):
    """The challenge's whole data set, held-out part included (only the server sees it)."""
    from rnncore.data.sources import load_source

    data = challenge.config.data
    if data.kind == "file" and challenge.content is None:
        raise _refuse("challenge_file_gone", source=data.source)
    return load_source(data.source, data.params, challenge.content if data.kind == "file" else None,
                       layout=data.layout)


def held_out_from(challenge: Challenge, rows: int) -> int:
    """The first held-out row: where the challenge window's test part starts."""
    from rnncore.data.windows import _bounds

    return _bounds(rows, challenge.config.window)[1]


def student_data(challenge: Challenge, dataset=None) -> bytes:
    """The data students get: the challenge's rows before the held-out part, as CSV bytes (DataError or
    ClassError when it is too short to train on). ``dataset``: its ``full_data`` where read already."""
    from rnncore.data.reading import load_csv
    from rnncore.data.windows import make_windows

    dataset = full_data(challenge) if dataset is None else dataset
    if dataset.sequences is not None:
        raise _refuse("bad_challenge", problem="a challenge needs a time series, not independent sequences")
    frame = dataset.frame.iloc[:held_out_from(challenge, len(dataset.frame))]
    import pandas as pd

    content = frame.to_csv(index=isinstance(frame.index, pd.DatetimeIndex)).encode()  # a time column, if any
    try:
        make_windows(load_csv(content, name=challenge.data_name), challenge.config.window,
                     challenge.config.data.target, challenge.config.data.features)
    except DataError as exc:
        raise _refuse("too_short", detail=str(exc)) from None
    return content


def check(challenge: Challenge, config: ExperimentConfig, identity: dict, parameters: int, epochs: int,
          run: int, sha: str, lineage: Lineage) -> None:
    """ClassError when a run may not be submitted: not trained here from the start (``lineage``), other data, another
    window, a cell not allowed, over budget. ``sha``: the SHA-256 of the challenge's student data."""
    if lineage.origin == IMPORTED_FROM_FILE:
        raise _refuse("imported_run", run=run)
    if lineage.origin != HERE:
        raise _refuse("unknown_lineage", run=run)
    if identity.get("sha256") != sha:
        raise _refuse("other_data", run=run, source=config.data.source)
    if set(lineage.data) != {sha}:
        raise _refuse("mixed_data", run=run)
    for key in WINDOW_KEYS:
        value, wanted = getattr(config.window, key), getattr(challenge.config.window, key)
        if value != wanted:
            raise _refuse("other_window", run=run, setting=key, value=value, wanted=wanted)
    for key in ("target", "features"):
        if getattr(config.data, key) != getattr(challenge.config.data, key):
            raise _refuse("other_window", run=run, setting=key, value=getattr(config.data, key),
                          wanted=getattr(challenge.config.data, key))
    if config.model.cell not in challenge.cells:
        raise _refuse("cell_not_allowed", run=run, cell=config.model.cell, cells=", ".join(challenge.cells))
    over = over_budget(challenge, config, parameters, epochs)
    if over:
        raise _refuse("over_budget", run=run, over=over)


def over_budget(challenge: Challenge, config: ExperimentConfig, parameters: int, epochs: int) -> Several:
    """Every limit of the challenge's budget that a run of ``config`` with ``parameters`` breaks in ``epochs``
    (its whole line's), its cell among them, each a ClassError; empty when it keeps within the budget."""
    over = []
    if config.model.cell not in challenge.cells:
        over.append(_refuse("other_cell", cell=config.model.cell, cells=", ".join(challenge.cells)))
    if epochs > challenge.max_epochs:
        over.append(_refuse("over_setting", name="epochs", value=epochs, limit=challenge.max_epochs))
    if parameters > challenge.max_parameters:
        over.append(_refuse("over_parameters", value=f"{parameters:,}", limit=f"{challenge.max_parameters:,}"))
    if not config.train.max_seconds:
        over.append(_refuse("no_time_limit", limit=f"{challenge.max_seconds:g}"))
    elif config.train.max_seconds > challenge.max_seconds:
        over.append(_refuse("over_setting", name="max_seconds", value=f"{config.train.max_seconds:g}",
                            limit=f"{challenge.max_seconds:g}"))
    return Several(over)


def _held_out(challenge: Challenge, dataset, target: str, lookback: int, horizon: int):
    """(the full data set, its target values, the frame, the first target row of every held-out window)."""
    frame = dataset.frame.rename(columns=str)
    values = frame[target].to_numpy(dtype=np.float32)
    rows = len(frame)
    positions = np.arange(max(held_out_from(challenge, rows), lookback), rows - horizon + 1)
    return dataset, frame, values, positions


def _baselines(dataset, values: np.ndarray, positions: np.ndarray, lookback: int, horizon: int) -> dict:
    """The persistence and seasonal-naive forecasts of the held-out windows (seasonal naive where the data's
    period is known and fits in the lookback)."""
    from rnncore.data.dataset import period_of

    out = {"persistence": np.repeat(values[positions - 1][:, None], horizon, axis=1)}
    period = period_of(dataset)
    if period and period <= lookback:
        out["seasonal_naive"] = values[positions[:, None] - period + (np.arange(horizon) % period)]
    return out


def baseline_scores(challenge: Challenge, dataset=None) -> dict:
    """The baselines' metrics on the held-out part: what a model must beat. ``dataset``: the challenge's
    ``full_data`` where read already."""
    from rnncore.training.metrics import regression_metrics

    window, target = challenge.config.window, challenge.config.data.target
    dataset = full_data(challenge) if dataset is None else dataset
    target = target or str(dataset.frame.columns[0])
    dataset, _, values, positions = _held_out(challenge, dataset, target, window.lookback, window.horizon)
    truth = sliding_window_view(values, window.horizon)[positions]
    return {name: regression_metrics(truth, forecast)
            for name, forecast in _baselines(dataset, values, positions, window.lookback, window.horizon).items()}


def score(challenge: Challenge, model, student_windows, dataset=None) -> dict:
    """The model's metrics on the held-out part, in the data's units, next to the baselines:
    ``{"model": Metrics, "baselines": {"persistence": Metrics, "seasonal_naive": Metrics}, "windows": n}``.

    ``student_windows`` are the windows the run trained on (make_windows of the student data): their
    scalers (and differencing) are the ones the model learned with, and they prepare the held-out inputs too; a
    model of the changes is scored on the levels, its changes added to the known values before them.
    ``dataset``: the challenge's ``full_data`` where read already.
    """
    from rnncore.training.metrics import regression_metrics
    from rnncore.training.steps import predict

    w = student_windows
    dataset = full_data(challenge) if dataset is None else dataset
    dataset, frame, target, positions = _held_out(challenge, dataset, w.target, w.lag + w.lookback, w.horizon)
    inputs = frame[w.features].to_numpy(dtype=np.float32, copy=True)
    if w.lag:  # a model of the changes reads the changes over ``lag`` rows, as make_windows made them
        inputs[w.lag:] = inputs[w.lag:] - inputs[:-w.lag].copy()
        inputs[:w.lag] = 0.0
    scaled = w.scale_x(inputs)
    x = np.ascontiguousarray(sliding_window_view(scaled, w.lookback, axis=0).transpose(0, 2, 1)[positions - w.lookback])
    device = next(model.parameters()).device
    predicted = dataclasses.replace(w, target_values=target).levels(predict(model, x, device), positions)
    truth = sliding_window_view(target, w.horizon)[positions]
    return {"model": regression_metrics(truth, predicted), "windows": int(len(positions)),
            "baselines": {name: regression_metrics(truth, values)
                          for name, values in _baselines(dataset, target, positions, w.lookback, w.horizon).items()}}
