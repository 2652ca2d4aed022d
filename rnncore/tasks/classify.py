"""Sequence classification: read each labelled sequence to its end and name its class; score by
accuracy, macro-F1 and the confusion matrix (scikit-learn) next to always answering the majority class.

The model is the forecasting task's own ``SequenceModel`` (every cell, explicit or fused) reading a whole
sequence and giving one logit per class from its last hidden state, trained by the same loop
(``rnncore.training.loop.fit``) with a cross-entropy loss, weighted by class when ``data.class_weights`` is
"balanced" (scikit-learn's ``compute_class_weight`` on the training labels). The split is by sequence and
stratified by label (``split_labelled``); the scaler (``window.scaler``) is fitted on the training sequences
only. ``window.lookback`` does not apply: a sequence is read whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnncore.config import ExperimentConfig
from rnncore.data.labelled import LabelledSet, split_labelled
from rnncore.training.task import TaskResult, TaskRun


@dataclass
class Part:
    """One part's sequences: ``x`` (sequences, steps, features) scaled float32, ``y`` class indices, and
    ``index``: which sequences of the set they are."""

    x: np.ndarray
    y: np.ndarray
    index: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class Parts:
    train: Part
    val: Part
    test: Part
    scaler: object | None  # fitted on the training sequences' values, per feature


def make_parts(data: LabelledSet, cfg: ExperimentConfig) -> Parts:
    """The stratified split of ``data`` by ``cfg.window``'s fractions and ``cfg.train.seed``, scaled."""
    from rnncore.data.windows import make_scaler

    window = cfg.window
    indices = split_labelled(data.labels, window.train_fraction, window.val_fraction, cfg.train.seed)
    scaler = make_scaler(window.scaler)
    if scaler is not None:
        scaler.fit(data.x[indices[0]].reshape(-1, data.x.shape[2]))

    def part(index: np.ndarray) -> Part:
        return Part(scaled(data.x[index], scaler), data.labels[index], index)

    return Parts(*(part(i) for i in indices), scaler)


def scaled(x: np.ndarray, scaler) -> np.ndarray:
    """Sequences (sequences, steps, features) scaled per feature by ``scaler`` (None: as they are), float32."""
    if scaler is not None and len(x):
        x = scaler.transform(x.reshape(-1, x.shape[2])).reshape(x.shape)
    return np.ascontiguousarray(x, dtype=np.float32)


class WeightedCrossEntropy(nn.Module):
    """Cross-entropy with a weight per class, on whichever device the logits are (the loop evaluates on the
    CPU and trains on ``train.device``)."""

    def __init__(self, weight: np.ndarray | None):
        super().__init__()
        self.weight = None if weight is None else torch.as_tensor(weight, dtype=torch.float32)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        weight = None if self.weight is None else self.weight.to(logits.device)
        return F.cross_entropy(logits, target, weight=weight)


def class_weights(labels: np.ndarray, classes: int, how: str) -> np.ndarray | None:
    """None for "none"; for "balanced", n / (classes * count) per class, as scikit-learn computes it."""
    if how == "none":
        return None
    from sklearn.utils.class_weight import compute_class_weight

    return compute_class_weight("balanced", classes=np.arange(classes), y=labels)


def scores(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> dict:
    """accuracy, macro_f1 (every class counted, absent predictions as 0) and the confusion matrix (rows: the
    true class, columns: the predicted one)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labels = np.arange(classes)
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
            "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()}


def predict_classes(model: nn.Module, x: np.ndarray, device: torch.device) -> np.ndarray:
    """The class index the model gives each sequence."""
    from rnncore.training.steps import predict

    return predict(model, x, device).argmax(axis=1)


@dataclass(kw_only=True)
class ClassResult(TaskResult):
    """A trained classifier: its scores on validation and test, next to the majority class's."""

    task: ClassVar[str] = "classify"
    data: LabelledSet
    parts: Parts
    predictions: dict = field(default_factory=dict)  # {"val": array, "test": array} of class indices

    def about(self) -> dict:
        train = self.parts.train.y
        return {"classes": list(self.data.classes),
                "sequences": {"train": len(train), "val": len(self.parts.val), "test": len(self.parts.test),
                              "steps": int(self.data.x.shape[1]), "features": list(self.data.features)},
                "majority_class": self.data.classes[int(np.bincount(train).argmax())]}

    def misclassified(self, split: str = "test") -> list[tuple[int, str, str]]:
        """(sequence index in the set, true class, predicted class) of each wrong answer on ``split``."""
        part = getattr(self.parts, split)
        names = self.data.classes
        return [(int(i), names[t], names[p]) for i, t, p in zip(part.index, part.y, self.predictions[split],
                                                                 strict=True) if t != p]


class ClassRun(TaskRun):
    """A classifier of ``data`` (``cfg``'s model and training settings, the split's fractions), built: the
    stratified split, scaled; the model reading each sequence whole; the loss weighted as ``data.class_weights``
    says."""

    task = "classify"

    def __init__(self, cfg: ExperimentConfig, data: LabelledSet, limits=None):
        k = len(data.classes)
        parts = make_parts(data, cfg)
        loss = WeightedCrossEntropy(class_weights(parts.train.y, k, cfg.data.class_weights))
        super().__init__(cfg, data, parts, data.x.shape[2], k, loss, limits)

    def watched(self, record) -> float | None:
        """The validation accuracy after an epoch (None without a validation part)."""
        part = self.parts.val
        if not len(part):
            return None
        return float((predict_classes(self.model, part.x, self.device) == part.y).mean())

    def result(self, **ended) -> ClassResult:
        parts, k = self.parts, len(self.data.classes)
        majority = int(np.bincount(parts.train.y, minlength=k).argmax())  # fitted on the training labels only
        metrics, baselines, predictions = {}, {"majority": {}}, {}
        for split in ("val", "test"):
            part = getattr(parts, split)
            if not len(part):
                continue
            predictions[split] = predict_classes(self.model, part.x, self.device)
            metrics[split] = scores(part.y, predictions[split], k)
            baselines["majority"][split] = scores(part.y, np.full(len(part), majority), k)
        return ClassResult(config=self.cfg, model=self.model, data=self.data, parts=parts, metrics=metrics,
                           baselines=baselines, predictions=predictions, **ended)

    def held_out(self, data: LabelledSet, index: np.ndarray) -> dict:
        """The model (weights in it) scored on the sequences ``index`` of ``data``, which it never saw, scaled as
        its training sequences were, next to always answering its training part's majority class: ``{"model":
        scores, "baselines": {"majority": scores}, "windows": sequences scored}``. Classes are matched by name; a
        class the model never learnt counts as one more class it never names."""
        names = list(self.data.classes)
        k = len(names)
        truth = np.array([names.index(c) if c in names else k for c in np.asarray(data.classes)[data.labels[index]]])
        every = k + int((truth == k).any())
        predicted = predict_classes(self.model, scaled(data.x[index], self.parts.scaler), self.device)
        majority = int(np.bincount(self.parts.train.y, minlength=k).argmax())
        return {"model": scores(truth, predicted, every), "windows": len(index),
                "baselines": {"majority": scores(truth, np.full(len(index), majority), every)}}
