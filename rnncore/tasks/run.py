"""What the tasks beside forecasting share: a run whose model is built before it trains, as the
Trainer's is (so its parameters are known and a recorder can watch it), trained by the shared loop
(``rnncore.training.loop.fit``) with the task's loss, keeping the weights ``train.keep`` says; and the result
every task gives, scored on validation and test next to its baselines.

A task is a subclass: ``CharRun`` (rnncore.tasks.charlm) and ``ClassRun`` (rnncore.tasks.classify). Each
builds its parts (``train``, ``val``, ``test``: ``x`` and ``y``), its model and its loss in ``__init__``, and
scores the model as it stands in ``result(...)``: after training, or after weights read back from a run store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from rnncore.config import ExperimentConfig
from rnncore.tasks.hooks import CommandLineHooks
from rnncore.training.progress import EpochRecord

# what a sweep on a task optimises: a metric of the validation part, and which way is better
OBJECTIVES = {"forecast": ("val_loss", "minimize"), "charlm": ("bits_per_char", "minimize"),
              "classify": ("accuracy", "maximize")}


@dataclass(kw_only=True)
class TaskResult:
    """A trained model of a task: how its run ended, its metrics on validation and test, its baselines'."""

    task: ClassVar[str] = ""
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
    """One run of a task: ``parts``, ``model`` and ``loss`` made in a subclass's ``__init__``, then ``run()``."""

    task: ClassVar[str] = ""
    parts: object  # .train, .val, .test: each with x and y

    def __init__(self, cfg: ExperimentConfig, parts, inputs: int, outputs: int, loss: nn.Module):
        from rnncore.nn.models import build_model
        from rnncore.training.devices import resolve_device

        self.cfg, self.parts, self.loss = cfg, parts, loss
        self.device = resolve_device(cfg)
        self.generator = torch.Generator(device=self.device).manual_seed(cfg.train.seed)
        self.model = build_model(cfg.model, inputs, outputs, self.generator)
        self.trained: nn.Module = self.model  # what the loop trains: the model, or a task's view of it

    @property
    def parameters(self) -> int:
        return self.model.num_parameters()

    def run(self, hooks=None, on_epoch=None) -> TaskResult:
        """Train; ``hooks``: the loop's (rnncore.tasks.job adds a Stop, rnncore.tasks.recording a run store),
        by default the time limit and ``on_epoch(record)``. The model keeps the weights ``train.keep`` says."""
        from rnncore.training.loop import fit
        from rnncore.training.progress import say

        tc = self.cfg.train
        hooks = hooks if hooks is not None else CommandLineHooks(tc.max_seconds, on_epoch)
        ending = fit(self.trained, self.parts, tc, generator=self.generator, device=self.device, hooks=hooks,
                     loss_fn=self.loss)
        if ending.kept_state is not None:
            self.trained.load_state_dict(ending.kept_state)
        said = say(ending.reason, **ending.details)
        return self.result(history=list(hooks.history), status=str(ending.status), reason=ending.reason,
                           details=dict(ending.details), message=said["message"], kept_epoch=ending.kept_epoch)

    @abstractmethod
    def watched(self, record) -> float | None:
        """After an epoch (``record``), the validation metric a sweep optimises (OBJECTIVES), as it stands."""

    @abstractmethod
    def result(self, **ended) -> TaskResult:
        """The model as it stands, scored (``ended``: TaskResult's fields of how the run ended)."""

