"""What every task gives the one run that trains it (rnncore.training.trainer.Trainer): its parts, its model
built before training (so its parameters are known and a recorder can watch it), the module the loop trains and
the loss it trains with; and, once the run has ended, the model scored on validation and test next to the
field's baselines.

A task is a subclass: ``ForecastRun`` (rnncore.training.forecast), ``CharRun`` (rnncore.tasks.charlm) and
``ClassRun`` (rnncore.tasks.classify). Each builds its parts (``train``, ``val``, ``test``: ``x`` and ``y``)
in ``__init__``, names the metric a sweep watches after each epoch (``watched``) and optimises (``objective``),
and scores the model as it stands in ``result(...)``: after training, or after weights read back from a run
store.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from rnncore.config import ExperimentConfig
from rnncore.training.progress import EpochRecord

# what a sweep on a task optimises: a metric of the validation part, and which way is better
OBJECTIVES = {"forecast": ("val_loss", "minimize"), "charlm": ("bits_per_char", "minimize"),
              "classify": ("accuracy", "maximize")}
# the test metric a run of each task is told by where runs are listed (Compare, the stored runs)
SCORES = {"forecast": "rmse", "charlm": "bits_per_char", "classify": "accuracy"}


@dataclass(kw_only=True)
class TaskResult:
    """A trained model of a text or labels task: how its run ended, its metrics on validation and test, its
    baselines'. (A forecast's is rnncore.training.results.RunResult.)"""

    task: ClassVar[str] = ""
    y_unit: ClassVar[float | None] = None  # a forecast's target unit; none here
    config: ExperimentConfig
    model: nn.Module
    history: list[EpochRecord]
    status: str  # a Status value: finished, stopped, diverged
    reason: str  # a key of rnncore.messages.RUN_MESSAGES
    details: dict
    message: str  # in English; reason and details say the same for translation
    kept_epoch: int | None  # whose weights the model holds (None: the initial weights)
    metrics: dict = field(default_factory=dict)  # {"val": {...}, "test": {...}}
    baselines: dict = field(default_factory=dict)  # {NAME: {"val": {...}, "test": {...}}}
    baseline_notes: dict = field(default_factory=dict)  # why a baseline is missing (none is, for these tasks)

    @property
    def parameters(self) -> int:
        return self.model.num_parameters()

    def document(self) -> dict:
        """metrics.json (and the run store's results): the task's metrics under ``test`` (and ``val``), the
        baselines under ``baselines``, and what the task says of its data (``about``)."""
        return {"task": self.task, **self.metrics, "baselines": self.baselines, **self.about()}

    def about(self) -> dict:
        return {}

    def objective(self) -> float | None:
        """The value a sweep optimises (OBJECTIVES): the task's metric on validation; None without one."""
        metric, _ = OBJECTIVES[self.task]
        return self.metrics.get("val", {}).get(metric)


class TaskRun(ABC):
    """One run of a task, built: ``data``, ``parts``, ``model`` (seeded by the run's own generator), ``trained``
    (what the loop trains: the model, or a task's view of it) and ``loss`` (None: the config's)."""

    task: ClassVar[str] = ""

    def __init__(self, cfg: ExperimentConfig, data, parts, inputs: int, outputs: int, loss: nn.Module | None = None,
                 limits=None):
        """``limits`` (RunLimits): the model's size is checked against them before it takes any memory."""
        from rnncore.nn.models import build_model, parameter_count
        from rnncore.training import steps
        from rnncore.training.devices import resolve_device

        self.cfg, self.data, self.parts, self.loss = cfg, data, parts, loss
        if limits is not None:
            limits.check(cfg, parameter_count(cfg.model, inputs, outputs))
        self.device = resolve_device(cfg)
        self.generator = torch.Generator().manual_seed(cfg.train.seed)  # weights, then the order of batches
        with steps.GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
            self.model = build_model(cfg.model, inputs, outputs, self.generator)
        self.trained: nn.Module = self.model

    @property
    def parameters(self) -> int:
        return self.model.num_parameters()

    def identity(self) -> dict:
        """What a run keeps of its data to find it again (name, rows, a file's SHA-256)."""
        return self.data.identity()

    def watched(self, record: EpochRecord) -> float | None:
        """After an epoch (``record``), the validation metric a sweep watches (OBJECTIVES), as it stands: by
        default the validation loss."""
        return record.val_loss

    def objective(self, result, history: list[EpochRecord]) -> float | None:
        """The value a sweep optimises for a run that ended with ``result``: the task's metric on validation."""
        value = result.objective() if result is not None else None
        return value if value is not None and math.isfinite(value) else None

    @abstractmethod
    def result(self, **ended):
        """The model as it stands, scored (``ended``: history, status, reason, details, message, kept_epoch)."""
