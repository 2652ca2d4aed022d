"""What the data layer gives back: a Dataset (one series, or the independent sequences of a memory task)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from rnncore.data.cleaning import infer_freq, when
from rnncore.errors import Note

PERIODS = MappingProxyType({"B": 5, "D": 7, "W": 52, "MS": 12, "ME": 12, "QS": 4, "QE": 4, "h": 24,
                            "min": 60})  # seasonal period by frequency: days in a week, months in a year


@dataclass
class SequenceSet:
    """A memory task: independent sequences, not one series."""

    inputs: np.ndarray  # (n, steps, channels) float32
    targets: np.ndarray  # (n, horizon) float32
    channels: list[str]
    baseline_mse: float  # MSE of always predicting the mean target


@dataclass
class Dataset:
    """A cleaned table: numeric columns, DatetimeIndex or RangeIndex, sorted by time."""

    frame: pd.DataFrame
    name: str
    notes: list[Note] = field(default_factory=list)  # what was done to the data; each a str in English
    sequences: SequenceSet | None = None  # set for memory tasks; frame then shows sample 0
    description: str = ""  # one line shown with the data set (source, units)
    period: int | None = None  # seasonal period in rows if known (12 for monthly data), else None
    checksum: str = ""  # a file's SHA-256 (its content, whatever its name); "" for samples and generators
    filled: pd.DataFrame | None = None  # True where a value was missing and filled in (None: none was)

    def __post_init__(self):  # a plain string given as a note is a note without a key
        self.notes = [n if isinstance(n, Note) else Note(n) for n in self.notes]

    def identity(self) -> dict:
        """What a run keeps of its data to find it again: name, rows, and a file's SHA-256."""
        rows = len(self.sequences.inputs) if self.sequences is not None else len(self.frame)
        return {"name": self.name, "rows": rows, "sha256": self.checksum}

    @property
    def freq(self) -> str | None:
        """The pandas frequency string of the index ("MS", "W-SAT", ...), or None."""
        return infer_freq(self.frame.index)


def infer_period(frame: pd.DataFrame) -> int | None:
    """Seasonal period in rows from the index frequency: monthly 12, quarterly 4, daily 7, hourly 24."""
    freq = infer_freq(frame.index)
    offset = pd.tseries.frequencies.to_offset(freq) if freq else None
    period = PERIODS.get(offset.rule_code.split("-")[0]) if offset else None
    return period // offset.n if period and period % offset.n == 0 and period // offset.n > 1 else None


def period_of(dataset: Dataset | None) -> int | None:
    """The seasonal period: the data set's own, else inferred from its time index."""
    if dataset is None:
        return None
    return dataset.period or infer_period(dataset.frame)


RESOLUTIONS = ("year", "quarter", "month", "day", "time")  # the steps a time index can be written at
STRFTIME = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d", "time": "%Y-%m-%d %H:%M"}


def resolution(index: pd.Index) -> str | None:
    """The step a time index is written at (one of RESOLUTIONS), from its stamps; None without time.

    Yearly data is stored as January 1: shown as "1970", not "1970-01-01 00:00:00".
    """
    if not isinstance(index, pd.DatetimeIndex) or len(index) == 0:
        return None
    if not (index == index.normalize()).all():
        return "time"
    if not (index.day == 1).all():
        return "day"
    months = set(index.month)
    if months == {1}:
        return "year"
    return "quarter" if months <= {1, 4, 7, 10} and len(months) > 1 else "month"


def time_labels(index: pd.Index) -> pd.Index:
    """The index as people write its dates, at their own resolution: 1970, 1970 Q2, 1970-03, 1970-03-15."""
    step = resolution(index)
    if step is None:
        return index
    if step == "quarter":
        return pd.Index([f"{stamp.year} Q{stamp.quarter}" for stamp in index], name=index.name)
    return pd.Index(index.strftime(STRFTIME[step]), name=index.name)


def describe(dataset: Dataset) -> str:
    """A few lines for people: rows, time range and frequency, columns, the notes."""
    frame, index = dataset.frame, dataset.frame.index
    lines = [f"{dataset.name}: {len(frame)} rows, {frame.shape[1]} numeric column(s)", dataset.description]
    if isinstance(index, pd.DatetimeIndex) and len(index):
        lines.append(f"time: {when(index[0])} to {when(index[-1])}, frequency {dataset.freq or 'irregular'}"
                     f", seasonal period {dataset.period or 'unknown'}")
    else:
        lines.append("time: none (rows numbered in file order)")
    lines += [f"  {col}: min {v.min():.4g}, mean {v.mean():.4g}, max {v.max():.4g}"
              for col, v in frame.items()]
    if dataset.sequences is not None:
        n, steps, _ = dataset.sequences.inputs.shape
        lines.append(f"memory task: {n} sequences of {steps} steps ({', '.join(dataset.sequences.channels)})")
    lines += ["notes:", *(f"  - {note}" for note in dataset.notes)] if dataset.notes else ["notes: none"]
    return "\n".join(line for line in lines if line)
