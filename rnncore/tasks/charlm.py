"""The character language model: read a text, predict each next character from the ``lookback``
before it, score in bits per character next to the unigram and bigram baselines.

The model is the forecasting task's own ``SequenceModel`` (every cell, explicit or fused) reading one-hot
characters and giving one logit per character of the vocabulary, trained by the same loop
(``rnncore.training.loop.fit``) with a cross-entropy loss. It trains and validates as char-rnn does, on every
position, in one of two ways (``WindowConfig.initial_state``):

- ``zero``: each part is read in windows of ``lookback`` characters, one starting every half window, shuffled, each
  from a zero state; the model predicts the next character at each step of a window (``EveryStep``) except those of
  its first half, which only give it context (the window before predicted them): every character is predicted once
  an epoch, after at least half a window.
- ``carried``: each part is read as ``batch_size`` streams side by side, windows one after another in each, in
  order, each window starting from the state the one before ended in (``Carried``), every step predicted.

Its final scores on validation and test are those of the character after each window ending at every character
(``Part.scored``: each prediction reads ``lookback`` characters), which the baselines are scored on too. The text
is split by position into train, validation and test, the vocabulary is fitted on the training part only, and each
part's windows lie inside that part (no window reads a character of another). Windows are views of each part's
character ids (or one copy of them), one-hot only when a batch is read (``OneHot``): a long text never takes
characters x vocabulary x 4 bytes at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from rnncore.config import ExperimentConfig
from rnncore.data.text import Text, Vocabulary, baseline_bits, perplexity, split_text
from rnncore.errors import DataError
from rnncore.training.task import TaskResult, TaskRun

NATS_PER_BIT = math.log(2.0)
IGNORED = -100  # a target the loss skips (torch's ignore_index)


class OneHot:
    """Windows of a part's characters, one-hot only where they are read: ``x[rows]`` (an index array or a slice)
    is (rows, lookback, vocabulary) float32. The windows themselves are a view of the part's ids, so a text of any
    length is never one-hot at once (that takes characters x vocabulary x 4 bytes)."""

    def __init__(self, windows: np.ndarray, size: int):
        self.windows, self.size = windows, size  # (windows, lookback) character ids, a view

    @property
    def shape(self) -> tuple[int, int, int]:
        return (*self.windows.shape, self.size)

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, rows) -> np.ndarray:
        ids = self.windows[rows]
        out = np.zeros((*ids.shape, self.size), dtype=np.float32)
        np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
        return out


@dataclass
class Part:
    """One part's windows as the loop trains and validates on them: ``x`` (windows, lookback, vocabulary) one-hot
    (``OneHot``); ``y`` (windows, lookback) the next character's id at every step, IGNORED where a step only gives
    context (the window before predicted it).

    ``streams`` 0: a window every half window, each read from a zero state (the loop shuffles them). Above 0: the
    part cut into that many streams read side by side, windows one after another in each, a window of each stream
    per batch (row ``k * streams + j`` is window ``k`` of stream ``j``), each continuing the one before: the loop
    reads them in order and ``Carried`` starts each from the state the window before ended in."""

    x: OneHot
    y: np.ndarray
    ids: np.ndarray  # the part's characters, encoded
    streams: int = 0

    def __len__(self) -> int:
        return len(self.y)

    def scored(self) -> tuple[OneHot, np.ndarray]:
        """(x, y) of a window ending at every character, and the id of the character after each: what a model is
        scored on, each prediction reading ``lookback`` characters from a zero state (as the baselines are scored,
        whichever way it trained)."""
        lookback = self.x.shape[1]
        return OneHot(sliding_window_view(self.ids[:-1], lookback), self.x.size), self.ids[lookback:]


def overlapping(ids: np.ndarray, lookback: int, size: int) -> Part:
    """A window every half window, the next character at every step, those of the first half of every window but
    the first IGNORED (the window before predicted them): every character predicted once, after at least half a
    window."""
    stride = max(lookback // 2, 1)
    x = OneHot(sliding_window_view(ids[:-1], lookback)[::stride], size)
    y = sliding_window_view(ids[1:], lookback)[::stride].copy()
    y[1:, :lookback - stride] = IGNORED
    return Part(x, y, ids)


def stream_layout(length: int, lookback: int, streams: int) -> tuple[int, int]:
    """(streams, whole windows in each) of a part of ``length`` characters read as ``streams`` streams of windows of
    ``lookback``: fewer streams where the part is too short for a window in each."""
    streams = max(1, min(streams, (length - 1) // lookback))
    return streams, (length - 1) // streams // lookback


def streamed(ids: np.ndarray, lookback: int, size: int, streams: int) -> Part:
    """``ids`` cut into ``streams`` streams of whole windows (``stream_layout``), the next character at every step;
    the characters past the last whole window of each are not read."""
    streams, windows = stream_layout(len(ids), lookback, streams)
    used = streams * windows * lookback

    def interleaved(a: np.ndarray) -> np.ndarray:  # stream-major to window-major: window k of every stream, then k+1
        return a[:used].reshape(streams, windows, lookback).transpose(1, 0, 2).reshape(-1, lookback)

    return Part(OneHot(interleaved(ids), size), interleaved(ids[1:]), ids, streams)


@dataclass
class CharWindows:
    vocab: Vocabulary
    lookback: int
    train: Part
    val: Part
    test: Part


def char_windows(text: str, lookback: int, train_fraction: float, val_fraction: float,
                 most: int | None = None, streams: int = 0) -> CharWindows:
    """The windows of each part of ``text``: ``overlapping``, or with ``streams`` above 0 training and validation
    ``streamed`` (the state carried); DataError when a part is not longer than ``lookback``."""
    parts = split_text(text, train_fraction, val_fraction)
    vocab = Vocabulary.fit(parts[0]) if most is None else Vocabulary.fit(parts[0], most)
    made = []
    for name, part in zip(("train", "validation", "test"), parts, strict=True):
        if len(part) <= lookback:
            raise DataError.keyed("text_too_short", name=f"the {name} part ({len(part)} characters)",
                                  count=len(part), least=lookback + 1)
        ids = vocab.encode(part).astype(np.int64)
        carried = streams and name != "test"  # (the test part is only scored)
        made.append(streamed(ids, lookback, len(vocab), streams) if carried else overlapping(ids, lookback, len(vocab)))
    return CharWindows(vocab, lookback, *made)


class EveryStep(nn.Module):
    """``model`` as the loop trains and validates it, on every position: its output at every step, (batch, time,
    vocabulary)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.config, self.head = model.config, model.head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward_steps(x)

    def layer_parameters(self) -> dict:
        return self.model.layer_parameters()


class Carried(EveryStep):
    """``model`` on every position, each batch starting from the state the batch before ended in, detached (the
    gradient reaches back one window: truncated backpropagation through time), for parts read as streams
    (``Part.streams``). Every pass starts from zeros: the state is dropped whenever the mode is set, as the loop
    does when an epoch, a validation or a probe begins."""

    def __init__(self, model: nn.Module):
        super().__init__(model)
        self.state: tuple[torch.Tensor, ...] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, final = self.model.forward_carried(x, self.state)
        self.state = tuple(s.detach() for s in final)
        return out

    def train(self, mode: bool = True):
        self.state = None
        return super().train(mode)


class NextCharacterLoss(nn.CrossEntropyLoss):
    """Cross-entropy of the next character at every step: (batch, time, vocabulary) logits, (batch, time) ids, the
    steps whose id is IGNORED skipped."""

    def __init__(self):
        super().__init__(ignore_index=IGNORED)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return super().forward(logits.transpose(1, 2), target)


@dataclass(kw_only=True)
class CharResult(TaskResult):
    """A trained character model: its metrics in bits per character and perplexity, next to the unigram's and
    the bigram's."""

    task: ClassVar[str] = "charlm"
    vocab: Vocabulary
    text: str  # what it was trained and scored on (split by position into train, validation and test)

    def about(self) -> dict:
        return {"vocabulary": {"size": len(self.vocab), "unknown_in_train": self.vocab.unknown}}


def _scores(bits: float) -> dict:
    return {"bits_per_char": bits, "perplexity": perplexity(bits)}


def bits_of(model: nn.Module, part: Part, device: torch.device) -> float:
    """The model's mean cross-entropy on a part, in bits per character."""
    from rnncore.training.steps import evaluate

    return evaluate(model, *part.scored(), nn.CrossEntropyLoss(), device) / NATS_PER_BIT


class CharRun(TaskRun):
    """A character model of ``text`` (``cfg``'s model, training, window and vocabulary settings), built: the
    vocabulary fitted on the training part, the windows of each part, the model reading one-hot characters."""

    task = "charlm"

    def __init__(self, cfg: ExperimentConfig, text: Text, limits=None):
        window = cfg.window
        streams = cfg.train.batch_size if window.initial_state == "carried" else 0
        windows = char_windows(text, window.lookback, window.train_fraction, window.val_fraction, cfg.data.vocabulary,
                               streams)
        size = len(windows.vocab)
        super().__init__(cfg, text, windows, size, size, NextCharacterLoss(), limits)
        self.trained = Carried(self.model) if streams else EveryStep(self.model)

    def watched(self, record) -> float | None:
        """The validation bits per character after an epoch (the loop's validation loss is in nats)."""
        return None if record.val_loss is None else record.val_loss / NATS_PER_BIT

    def result(self, **ended) -> CharResult:
        windows, lookback = self.parts, self.cfg.window.lookback
        metrics = {split: _scores(bits_of(self.model, getattr(windows, split), self.device))
                   for split in ("val", "test")}
        baselines: dict = {"unigram": {}, "bigram": {}}
        for split in ("val", "test"):
            # the same characters the model predicts: each part's own, after its first ``lookback``
            scored = baseline_bits(windows.train.ids, getattr(windows, split).ids, len(windows.vocab),
                                   context=lookback)
            for name, bits in scored.items():
                baselines[name][split] = _scores(bits)
        return CharResult(config=self.cfg, model=self.model, vocab=windows.vocab, text=self.data, metrics=metrics,
                          baselines=baselines, **ended)

    def held_out(self, text: str, start: int) -> dict:
        """The model (weights in it) scored on the characters of ``text`` from ``start`` on, which it never saw,
        each read after the ``lookback`` before it, next to the unigram and bigram fitted on its training part:
        ``{"model": scores, "baselines": {name: scores}, "windows": characters scored}``."""
        lookback, vocab = self.cfg.window.lookback, self.parts.vocab
        ids = vocab.encode(text[start - lookback:]).astype(np.int64)
        part = Part(OneHot(np.empty((0, lookback), dtype=np.int64), len(vocab)), np.empty((0, lookback)), ids)
        scored = baseline_bits(self.parts.train.ids, ids, len(vocab), context=lookback)
        return {"model": _scores(bits_of(self.model, part, self.device)), "windows": len(ids) - lookback,
                "baselines": {name: _scores(bits) for name, bits in scored.items()}}


LIVE_SAMPLE = 160  # characters a text model writes after each epoch, for a page to show while it trains


class LiveSample(NamedTuple):
    """What a text model wrote after an epoch: after ``prompt``, at ``temperature``."""

    epoch: int
    prompt: str
    temperature: float
    text: str


class LiveText:
    """A Trainer callback for a text model: after each epoch, in the training thread (the model is not changing
    then), what the model writes now after ``sampling``'s prompt at its temperature; a page may change
    ``sampling`` while the run trains. ``latest()`` is the last one written."""

    def __init__(self, run: CharRun):
        self.run = run
        self.sampling: tuple[str, float] = (run.data[:run.cfg.window.lookback], 0.8)  # the text's first window
        self._latest: LiveSample | None = None

    def __call__(self, progress) -> None:
        prompt, temperature = self.sampling  # (one read: a page may replace it meanwhile)
        run = self.run
        drawn = sample(run.model, run.parts.vocab, prompt, LIVE_SAMPLE, run.cfg.window.lookback, temperature,
                       torch.Generator().manual_seed(run.cfg.train.seed))
        self._latest = LiveSample(progress.epoch, prompt, temperature, drawn)

    def latest(self) -> LiveSample | None:
        return self._latest


@torch.no_grad()
def sample(model: nn.Module, vocab: Vocabulary, prompt: str, length: int, lookback: int, temperature: float = 1.0,
           generator: torch.Generator | None = None) -> str:
    """``length`` characters drawn from the model after ``prompt`` (its last ``lookback`` characters are
    read; an empty prompt starts from the commonest character)."""
    if temperature <= 0:
        raise ValueError("temperature must be greater than zero")
    ids = list(vocab.encode(prompt)) or [1]
    device = next(model.parameters()).device
    was = model.training
    model.eval()
    out = []
    for _ in range(length):
        window = ids[-lookback:]
        x = torch.zeros((1, len(window), len(vocab)), device=device)
        x[0, torch.arange(len(window)), torch.tensor(window)] = 1.0
        probs = torch.softmax(model(x)[0] / temperature, dim=-1)
        nxt = int(torch.multinomial(probs.cpu(), 1, generator=generator))
        ids.append(nxt)
        out.append(nxt)
    model.train(was)
    return vocab.decode(out)
