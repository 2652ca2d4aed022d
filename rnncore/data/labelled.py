"""Labelled sequences for classification: a CSV file in the wide or the long layout, the bundled
set, the generated ones, and a split stratified by label.

Wide layout (the UCR/UEA archive's): one row per sequence, a label column and one column per time step.
Long layout: one row per time step of a sequence: a sequence-id column, a time-step column, one or more
feature columns and the label, the same on every row of a sequence. The layout is long when the file has
both an id and a step column (by name: ``ID_NAMES``, ``STEP_NAMES``). The label column is the one named
(``label=``), else the first named like a label (``LABEL_NAMES``), else, in the wide layout, the first
column when it holds few distinct values (the archive's own files have no header). The file is read as
load_csv reads a series (encodings, delimiters, decimal commas: ``read_cells``); whatever cannot be used is
refused with a DataError that says what to do, never repaired quietly: a sequence with a missing value,
sequences of different lengths, a label that changes inside a sequence, a class too small to split.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rnncore.data.cleaning import is_missing, to_numbers
from rnncore.data.generators import check_param, check_size, sequences_size
from rnncore.data.reading import FLOAT32_MAX, read_cells
from rnncore.data.samples import Bundled
from rnncore.errors import DataError, Note, config_error
from rnncore.home import sample_folder

MAX_CLASSES = 50  # more distinct labels than this is not a classification we can show (or a wrong column)
MIN_PER_CLASS = 3  # a class needs a sequence in each of train, validation and test
MIN_STEPS = 2  # a sequence of one step has no order to learn
LABEL_NAMES = ("label", "class", "target", "y", "category")  # a column named so is the label (any case)
ID_NAMES = ("sequence_id", "sequence", "series_id", "series", "case_id", "id")  # the long layout's sequence id
STEP_NAMES = ("step", "time_step", "timestep", "time", "t")  # the long layout's time step
# sample:NAME (sample_data/README.md), with the settings recommended for each
LABELLED_SAMPLES = {
    "italy_power_demand": Bundled("italy_power_demand.csv", {"model": {"hidden_size": 12}, "train": {
        "epochs": 30, "batch_size": 30, "lr": 0.0042, "patience": 10}}),
}


@dataclass
class LabelledSet:
    """Sequences with a class each: ``x`` (sequences, steps, features) float32, ``labels`` class indices."""

    x: np.ndarray
    labels: np.ndarray  # int64, an index into ``classes``
    classes: tuple[str, ...]  # sorted (numerically when every label is a number)
    features: tuple[str, ...]
    name: str
    label: str  # the label column ("class" for a generated set)
    layout: str  # "wide" or "long" ("generated" for a generated set)
    notes: list[Note] = field(default_factory=list)
    checksum: str = ""  # a file's SHA-256; "" for a sample or a generated set

    def __len__(self) -> int:
        return len(self.labels)

    def identity(self) -> dict:
        """What a run keeps of its data to find it again, as a series' ``Dataset.identity``: name, sequences, a
        file's SHA-256 (None for a sample or a generated set), the label column and the layout."""
        return {"name": self.name, "rows": len(self), "sha256": self.checksum or None, "label": self.label,
                "layout": self.layout}

    @property
    def counts(self) -> dict[str, int]:
        """Sequences per class, in the order of ``classes``."""
        return dict(zip(self.classes, np.bincount(self.labels, minlength=len(self.classes)).tolist(), strict=True))


def _refuse(key: str, **details) -> DataError:
    return DataError.keyed(key, **details)


def _find(columns, names) -> str | None:
    """The first of ``columns`` whose lower-case name is one of ``names`` (in the order of ``names``)."""
    lower = {str(c).strip().lower(): c for c in reversed(list(columns))}
    return next((lower[n] for n in names if n in lower), None)


def _label_column(table: pd.DataFrame, label: str | None, long: bool) -> tuple[str, bool]:
    """(the label column, whether it was guessed from its values rather than named)."""
    if label is not None:
        found = label if label in table.columns else _find(table.columns, (label.strip().lower(),))
        if found is None:
            raise _refuse("unknown_label", column=repr(label), columns=", ".join(map(repr, table.columns))[:300])
        return found, False
    if (named := _find(table.columns, LABEL_NAMES)) is not None:
        return named, False
    first = table.columns[0]
    if not long and table[first].nunique() <= MAX_CLASSES:
        return first, True
    raise _refuse("no_label", columns=", ".join(map(repr, table.columns))[:300])


def _classes(values: pd.Series, column: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class indices and the sorted class names of a label column (numbers in numeric order, 1.0 as 1)."""
    missing = is_missing(values)
    if missing.any():
        raise _refuse("label_missing", column=repr(column), row=int(np.argmax(missing.to_numpy())) + 1)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        whole = (numbers == numbers.round()).all()
        names = numbers.map(lambda v: f"{int(v)}" if whole else f"{v:g}")
        order = sorted(set(names), key=float)
    else:
        names, order = values, sorted(set(values))
    if len(order) < 2:
        raise _refuse("one_class", column=repr(column), value=repr(order[0]))
    if len(order) > MAX_CLASSES:
        raise _refuse("too_many_classes", column=repr(column), count=len(order), limit=MAX_CLASSES)
    index = {name: i for i, name in enumerate(order)}
    return names.map(index).to_numpy(dtype=np.int64), tuple(order)


def _numbers(table: pd.DataFrame, columns, comma: bool) -> tuple[np.ndarray, list[str]]:
    """The columns as float64 (rows, columns); refused when a cell is not a number; the text columns left out."""
    out, text = [], []
    for col in columns:
        values, bad, _ = to_numbers(table[col], comma)
        if bad and values.notna().sum() == 0:
            text.append(col)  # a column of words (a name, a date): not a feature
            continue
        if bad:
            row = int(np.argmax((values.isna() & ~is_missing(table[col])).to_numpy())) + 1
            raise _refuse("not_a_number", column=repr(col), row=row, value=repr(table[col].iloc[row - 1])[:40])
        out.append(values.to_numpy(dtype=np.float64))
    return (np.stack(out, axis=1) if out else np.empty((len(table), 0))), text


def _wide(table, label_col, comma, notes) -> tuple[np.ndarray, tuple[str, ...]]:
    steps = [c for c in table.columns if c != label_col]
    dropped = _find(steps, ID_NAMES)
    if dropped is not None:
        steps.remove(dropped)
        notes.append(Note.keyed("labelled_id_dropped", column=repr(dropped)))
    values, text = _numbers(table, steps, comma)
    if text:
        notes.append(Note.keyed("text_columns", columns=", ".join(map(repr, text))))
    if np.isnan(values).any():
        row, step = map(int, np.argwhere(np.isnan(values))[0])
        raise _refuse("sequence_gap", row=row + 1, step=step + 1, steps=values.shape[1])
    return values[:, :, None], ("value",)


def _long(table, label_col, id_col, step_col, comma, notes) -> tuple[np.ndarray, pd.Series, tuple[str, ...]]:
    features = [c for c in table.columns if c not in (label_col, id_col, step_col)]
    values, text = _numbers(table, features, comma)
    if text:
        notes.append(Note.keyed("text_columns", columns=", ".join(map(repr, text))))
    features = [c for c in features if c not in text]
    if not features:
        raise _refuse("no_features", columns=", ".join(map(repr, table.columns))[:300])
    if np.isnan(values).any():
        row, col = map(int, np.argwhere(np.isnan(values))[0])
        raise _refuse("long_gap", row=row + 1, column=repr(features[col]))
    step, bad, _ = to_numbers(table[step_col], comma)
    order = np.arange(len(table)) if bad or step.isna().any() else step.to_numpy()
    frame = pd.DataFrame({"id": table[id_col].to_numpy(), "order": order, "row": np.arange(len(table))})
    frame = frame.sort_values(["id", "order", "row"], kind="stable")
    lengths = frame.groupby("id", sort=False).size()
    if lengths.nunique() > 1:
        short = lengths.idxmin()
        raise _refuse("ragged", least=int(lengths.min()), most=int(lengths.max()), sequence=repr(short))
    labels = table[label_col].to_numpy()[frame["row"].to_numpy()].reshape(len(lengths), -1)
    changing = (labels != labels[:, :1]).any(axis=1)
    if changing.any():
        raise _refuse("label_changes", sequence=repr(lengths.index[int(np.argmax(changing))]), column=repr(label_col))
    x = values[frame["row"].to_numpy()].reshape(len(lengths), int(lengths.iloc[0]), len(features))
    return x, pd.Series(labels[:, 0]), tuple(features)


def read_labelled(source, *, label: str | None = None, name: str | None = None) -> LabelledSet:
    """Labelled sequences from a CSV file (path, bytes or binary file), in the wide or the long layout."""
    table, default_name, notes = read_cells(source)
    comma = table.attrs.get("decimal_comma", False)
    id_col, step_col = _find(table.columns, ID_NAMES), _find(table.columns, STEP_NAMES)
    long = id_col is not None and step_col is not None and label not in (id_col, step_col)
    label_col, guessed = _label_column(table, label, long)
    if guessed:
        notes.append(Note.keyed("label_guessed", column=repr(label_col)))
    if long:
        x, labels, features = _long(table, label_col, id_col, step_col, comma, notes)
    else:
        x, features = _wide(table, label_col, comma, notes)
        labels = table[label_col].reset_index(drop=True)
    indices, classes = _classes(labels.astype(str).str.strip(), label_col)
    made = _checked(x, indices, classes, features, name or default_name, label_col, "long" if long else "wide", notes)
    if isinstance(source, bytes | bytearray):
        made.checksum = hashlib.sha256(source).hexdigest()
    return made


def _checked(x, labels, classes, features, name, label, layout, notes) -> LabelledSet:
    if x.shape[1] < MIN_STEPS:
        raise _refuse("few_steps", steps=x.shape[1], least=MIN_STEPS)
    if not np.isfinite(x).all() or np.abs(x).max() > FLOAT32_MAX:
        raise _refuse("labelled_not_finite", limit="3.4e38")
    counts = np.bincount(labels, minlength=len(classes))
    if counts.min() < MIN_PER_CLASS:
        small = int(np.argmin(counts))
        raise _refuse("few_in_class", label=repr(classes[small]), count=int(counts[small]), least=MIN_PER_CLASS)
    return LabelledSet(x.astype(np.float32), labels, classes, features, name, label, layout, notes)


def labelled_csv(data: LabelledSet, index: np.ndarray) -> bytes:
    """The sequences ``index`` of ``data`` as a CSV file in the long layout (sequence_id, step, its features,
    label), which read_labelled reads back as the same sequences in the same order, with their classes' names and
    their features."""
    x = data.x[index]
    count, steps, _ = x.shape
    frame = pd.DataFrame(x.reshape(count * steps, -1), columns=list(data.features))
    frame.insert(0, "step", np.tile(np.arange(steps), count))
    width = len(str(count))
    frame.insert(0, "sequence_id", np.repeat([f"{i:0{width}d}" for i in range(count)], steps))  # (read as text)
    frame["label"] = np.repeat(np.asarray(data.classes, dtype=object)[data.labels[index]], steps)
    return frame.to_csv(index=False, float_format="%.9g").encode()


# --- generated sets -------------------------------------------------------------------------------

def _waveform(rng, *, samples, steps, noise):
    """Which waveform: a sine, a square or a sawtooth wave of random period (steps/8 to steps/2) and phase."""
    kind = rng.integers(0, 3, samples)
    period = rng.uniform(steps / 8, steps / 2, samples)[:, None]
    phase = rng.uniform(0, 1, samples)[:, None]
    cycle = (np.arange(steps)[None, :] / period + phase) % 1.0
    waves = np.stack([np.sin(2 * np.pi * cycle), np.where(cycle < 0.5, 1.0, -1.0), 2 * cycle - 1])
    x = waves[kind, np.arange(samples)] + noise * rng.standard_normal((samples, steps))
    return x[:, :, None], kind, ("sine", "square", "sawtooth")


def _sign_memory(rng, *, samples, steps, noise):
    """The sign of a long-past value: step 0 holds -1 or +1 (the class), every later step a distractor drawn
    uniformly from [-1, 1]; only a network that carries step 0 through ``steps`` steps can tell."""
    kind = rng.integers(0, 2, samples)
    x = rng.uniform(-1, 1, (samples, steps))
    x[:, 0] = np.where(kind == 1, 1.0, -1.0) + noise * rng.standard_normal(samples)
    return x[:, :, None], kind, ("negative", "positive")


LABELLED_GENERATORS = {  # synthetic:NAME for the classify task: (function, {param: (default, low, high)})
    "waveform": (_waveform, {"samples": (600, 30, 100_000), "steps": (60, 8, 1_000), "noise": (0.3, 0.0, 10.0)}),
    "sign_memory": (_sign_memory, {"samples": (1000, 30, 100_000), "steps": (30, 2, 1_000),
                                   "noise": (0.0, 0.0, 10.0)}),
}
LABELLED_SIZE = (sequences_size(1),)  # what a labelled generator makes (one channel), capped as the others are


def generate_labelled(name: str, seed: int = 0, **params) -> LabelledSet:
    """The generated set ``name`` (see LABELLED_GENERATORS for its parameters and their ranges)."""
    if name not in LABELLED_GENERATORS:
        raise _refuse("unknown_generator", name=repr(name), choices=", ".join(LABELLED_GENERATORS))
    function, declared = LABELLED_GENERATORS[name]
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise config_error("gen_unknown", param=", ".join(unknown), generator=name, params=", ".join(declared))
    values = {key: check_param(name, key, params.get(key, bounds[0]), bounds) for key, bounds in declared.items()}
    check_size(name, LABELLED_SIZE, values)  # before anything is made
    x, kind, classes = function(np.random.default_rng(seed), **values)
    return _checked(x, kind.astype(np.int64), classes, ("value",), name, "class", "generated", [])


def load_labelled(source: str, *, label: str | None = None, params: dict | None = None,
                  seed: int = 0) -> LabelledSet:
    """``sample:NAME``, ``synthetic:NAME`` (with ``params``) or a CSV file's path; DataError when unusable."""
    kind, _, name = source.partition(":")
    if kind == "synthetic" and name:
        return generate_labelled(name, seed, **(params or {}))
    if kind == "sample" and name:
        if name not in LABELLED_SAMPLES:
            raise _refuse("unknown_sample", name=name, choices=", ".join(LABELLED_SAMPLES))
        return read_labelled(sample_folder() / LABELLED_SAMPLES[name].file, label=label, name=name)
    if not Path(source).is_file():
        raise _refuse("no_file", path=repr(source))
    return read_labelled(source, label=label)


# --- the split --------------------------------------------------------------------------------------

def split_labelled(labels: np.ndarray, train_fraction: float, val_fraction: float,
                   seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of train, validation and test, each stratified by label (sklearn's train_test_split); a
    DataError when a part would miss a class (too few sequences for the fractions)."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(labels))
    classes = len(np.unique(labels))
    test_fraction = 1.0 - train_fraction - val_fraction
    try:
        train, rest = train_test_split(index, train_size=train_fraction, stratify=labels, random_state=seed)
        if val_fraction <= 0:
            return np.sort(train), np.empty(0, dtype=np.int64), np.sort(rest)
        val, test = train_test_split(rest, test_size=test_fraction / (test_fraction + val_fraction),
                                     stratify=labels[rest], random_state=seed)
    except ValueError:
        raise _refuse("cannot_stratify", count=len(labels), classes=classes, train_fraction=train_fraction,
                      val_fraction=val_fraction) from None
    for part in (val, test):
        if len(np.unique(labels[part])) < classes:
            raise _refuse("cannot_stratify", count=len(labels), classes=classes, train_fraction=train_fraction,
                          val_fraction=val_fraction)
    return np.sort(train), np.sort(val), np.sort(test)

