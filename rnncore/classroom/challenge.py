"""A class's challenge: the data and split everyone trains on, a budget, the cells allowed, and the score.

A challenge is on any task's data: a series (scored by RMSE), a text (bits per character) or labelled sequences
(accuracy; macro-F1 beside it). The data is split by the challenge's window settings into train, validation and
test; the test part is **held out**: students get the rest (``student_data``: a CSV, a text or a CSV of labelled
sequences, kept in their workspace like an upload) and never the held-out part; a submitted run is scored here,
on the server, on the held-out part (``score``), next to the task's baselines fitted on what the run trained on:

- a series: its model, with the scalers its own training fitted, predicts every window whose target lies in the
  held-out rows, in the data's units, next to persistence and seasonal naive;
- a text: every held-out character, read after the ``lookback`` before it, next to the unigram and the bigram;
- labelled sequences: the held-out sequences (a stratified part), next to always answering the majority class.

The data is a sample, a generated set, or a file the teacher uploaded (``content``, kept by the
Classroom beside the class). A run is accepted only if it trained on exactly that data (its file's
SHA-256), with the settings the challenge fixes (``FIXED``), a cell allowed and within the budget, and only if
every epoch of it was trained by this server on that data from weights this server initialised (its lineage:
never an imported run, nor one continued from an import) (``check``); ``ClassError`` says which limit otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnncore.config import CELLS, SETTINGS, DataConfig, ExperimentConfig
from rnncore.errors import ClassError, DataError, Several
from rnncore.training.lineage import HERE, IMPORTED_FROM_FILE, Lineage
from rnncore.training.task import SCORES

# the settings a challenge fixes for every run of its task: what the held-out part is, and how it is read
FIXED = {"forecast": ("lookback", "horizon", "train_fraction", "val_fraction", "scaler", "difference", "target",
                      "features"),
         "charlm": ("lookback", "train_fraction", "val_fraction"),
         "classify": ("train_fraction", "val_fraction", "scaler")}
FILE_KINDS = {"forecast": "csv", "charlm": "txt", "classify": "csv"}  # the student data's file, by task
BESIDE = {"rmse": ("mae", "r2"), "bits_per_char": ("perplexity",), "accuracy": ("macro_f1",)}  # told with a score


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
    score: str = ""  # the held-out metric the board ranks by: its task's (SCORES); "" when made
    data_sha256: str = ""  # a file the teacher uploaded: its SHA-256 (the Classroom keeps the file itself)
    content: bytes | None = field(default=None, compare=False, repr=False)  # that file (not in the JSON)

    def __post_init__(self):
        wanted = SCORES[self.task]
        object.__setattr__(self, "score", self.score or wanted)
        if self.score != wanted:
            raise _refuse("bad_challenge", problem=f"a challenge on this data is scored by {wanted}")
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
    def task(self) -> str:
        return self.config.data.task

    @property
    def higher_is_better(self) -> bool:
        """Whether a higher score ranks first (accuracy); else a lower one does (an error, bits per character)."""
        return self.score == "accuracy"

    @property
    def data_name(self) -> str:
        """The file name students' runs are trained on (their data is this challenge's, held-out part cut)."""
        name = self.config.data.source.partition(":")[2] or self.config.data.source
        return f"challenge_{name.rsplit('.', 1)[0] if '.' in name else name}.{FILE_KINDS[self.task]}"

    def with_content(self, content: bytes | None) -> Challenge:
        """The same challenge holding its file (as the Classroom keeps it)."""
        return dataclasses.replace(self, content=content)

    def student_config(self, config: ExperimentConfig) -> ExperimentConfig:
        """``config`` with the settings the challenge fixes (and the epochs and time within its budget)."""
        sections: dict[str, dict] = {"train": {"epochs": min(config.train.epochs, self.max_epochs),
                                               "max_seconds": self.max_seconds}}
        for name in FIXED[self.task]:
            section = SETTINGS[name].section
            sections.setdefault(section, {})[name] = getattr(getattr(self.config, section), name)
        return config.replace(**sections)

    def first_config(self, data: DataConfig) -> ExperimentConfig:
        """A student's next run on taking the challenge's data (``data``: as loaded): the teacher's settings as a
        start (the challenge's window, model and training), within the budget."""
        return self.student_config(dataclasses.replace(self.config, data=data))


def full_data(challenge: Challenge):
    """The challenge's whole data (a series' Dataset, a Text, a LabelledSet), held-out part included (only the
    server sees it)."""
    from rnncore.tasks.build import task_data

    data = challenge.config.data
    if data.kind == "file" and challenge.content is None:
        raise _refuse("challenge_file_gone", source=data.source)
    return task_data(challenge.config, challenge.content if data.kind == "file" else None)


def held_out_from(challenge: Challenge, rows: int) -> int:
    """The first held-out row of a series: where the challenge window's test part starts."""
    from rnncore.data.windows import _bounds

    return _bounds(rows, challenge.config.window)[1]


def held_out(challenge: Challenge, full):
    """Where ``full``'s held-out part is: a series' first held-out row, a text's first held-out character, or a
    labelled set's held-out sequences (its test part, stratified by class); students get all the rest."""
    window = challenge.config.window
    if challenge.task == "forecast":
        return held_out_from(challenge, len(full.frame))
    if challenge.task == "charlm":
        from rnncore.data.text import split_text

        train, val, _ = split_text(full, window.train_fraction, window.val_fraction)
        return len(train) + len(val)
    from rnncore.data.labelled import split_labelled

    return split_labelled(full.labels, window.train_fraction, window.val_fraction, challenge.config.train.seed)[2]


def student_data(challenge: Challenge, dataset=None) -> bytes:
    """The data students get, the held-out part cut: a series' rows before it as CSV, a text's characters
    before it (UTF-8), or a labelled set's other sequences as CSV (DataError or ClassError when it is too short to
    train on). ``dataset``: its ``full_data`` where read already."""
    dataset = full_data(challenge) if dataset is None else dataset
    cut = held_out(challenge, dataset)
    if challenge.task == "forecast":
        if dataset.sequences is not None:
            raise _refuse("bad_challenge", problem="a challenge needs a time series, not independent sequences")
        import pandas as pd

        frame = dataset.frame.iloc[:cut]
        content = frame.to_csv(index=isinstance(frame.index, pd.DatetimeIndex)).encode()  # a time column, if any
    elif challenge.task == "charlm":
        content = dataset[:cut].encode("utf-8")
    else:
        from rnncore.data.labelled import labelled_csv

        content = labelled_csv(dataset, np.setdiff1d(np.arange(len(dataset)), cut))  # every other sequence
    try:
        _students_run(challenge, content)  # it reads back, and a run of the challenge's settings can train on it
    except DataError as exc:
        raise _refuse("too_short", detail=str(exc)) from None
    return content


def _students_run(challenge: Challenge, content: bytes, config: ExperimentConfig | None = None):
    """A run of ``config`` (default: the challenge's own first settings) on the student data ``content``, built, as
    a student's run on it is: a series' windows, or the task's run (its vocabulary, its scaler, its training
    part)."""
    from rnncore.tasks.build import task_data, task_run

    config = config or challenge.first_config(DataConfig(task=challenge.task, source=challenge.data_name))
    if challenge.task == "forecast":
        from rnncore.data.reading import load_csv
        from rnncore.data.windows import make_windows

        return make_windows(load_csv(content, name=challenge.data_name), config.window, config.data.target,
                            config.data.features)
    return task_run(config, task_data(config, content))


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
    if config.data.task != challenge.task:
        raise _refuse("other_data", run=run, source=config.data.source)
    for key in FIXED[challenge.task]:
        section = SETTINGS[key].section
        value, wanted = getattr(getattr(config, section), key), getattr(getattr(challenge.config, section), key)
        if value != wanted:
            raise _refuse("other_window", run=run, setting=key, value=value, wanted=wanted)
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


def baseline_scores(challenge: Challenge, dataset=None, given: bytes | None = None) -> dict:
    """The baselines' metrics on the held-out part: what a model must beat (a text's and a labelled set's fitted
    on the training part of a run of the challenge's settings). ``dataset`` and ``given``: the challenge's
    ``full_data`` and ``student_data`` where read already."""
    dataset = full_data(challenge) if dataset is None else dataset
    if challenge.task != "forecast":
        given = student_data(challenge, dataset) if given is None else given
        run = _students_run(challenge, given)
        return run.held_out(dataset, held_out(challenge, dataset))["baselines"]
    from rnncore.training.metrics import regression_metrics

    window, target = challenge.config.window, challenge.config.data.target
    target = target or str(dataset.frame.columns[0])
    dataset, _, values, positions = _held_out(challenge, dataset, target, window.lookback, window.horizon)
    truth = sliding_window_view(values, window.horizon)[positions]
    return {name: regression_metrics(truth, forecast)
            for name, forecast in _baselines(dataset, values, positions, window.lookback, window.horizon).items()}


def score(challenge: Challenge, model, config: ExperimentConfig, given: bytes, dataset=None) -> dict:
    """The metrics of a run of ``config`` whose ``model`` (weights in it) trained on the student data ``given``,
    on the held-out part, next to the baselines: ``{"model": metrics, "baselines": {name: metrics}, "windows": n}``
    (n: the windows, characters or sequences scored). ``dataset``: the challenge's ``full_data`` where read
    already.

    A series: the windows the run trained on (make_windows of the student data) give their scalers (and
    differencing), which prepare the held-out inputs too (``score_windows``); a model of the changes is scored on
    the levels, its changes added to the known values before them; the metrics are in the data's units. A text or
    labelled set: the run's own vocabulary or scaler, as its task's ``held_out`` scores it.
    """
    dataset = full_data(challenge) if dataset is None else dataset
    student = _students_run(challenge, given, config)
    if challenge.task == "forecast":
        return score_windows(challenge, model, student, dataset)
    student.model = model
    return student.held_out(dataset, held_out(challenge, dataset))


def score_windows(challenge: Challenge, model, student_windows, dataset=None) -> dict:
    """A series challenge's ``score`` of a model that trained on ``student_windows`` (their scalers and
    differencing prepare the held-out inputs)."""
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
