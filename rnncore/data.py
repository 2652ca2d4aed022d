"""Loading and cleaning CSV files, the sample data sets, and DataError.

load_csv reads the files people have (semicolons, decimal commas, Latin-1, UTF-16, odd dates, gaps)
and lists every cleaning step in Dataset.notes. Files it cannot use raise DataError, never anything else.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

import numpy as np
import pandas as pd

from rnncore.cleaning import NUMBER, fill_missing, find_time, index_by_time, infer_freq, to_numbers, when
from rnncore.messages import DATA_MESSAGES, note

MAX_BYTES = 20 * 1024 * 1024  # the upload limit (.streamlit/config.toml: maxUploadSize = 20)
MAX_LINE = 100_000  # characters in one line of a table
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
MAGIC = ((b"PK\x03\x04", "file_xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "file_xls"), (b"%PDF", "file_pdf"),
         (b"\x1f\x8b", "file_gzip"), (b"\x89PNG", "file_png"), (b"\xff\xd8\xff", "file_jpeg"),
         (b"PAR1", "file_parquet"))  # the start of files that are not text: the key of the DataError
PERIODS = MappingProxyType({"B": 5, "D": 7, "W": 52, "MS": 12, "ME": 12, "QS": 4, "QE": 4, "h": 24,
                            "min": 60})  # seasonal period by frequency: days in a week, months in a year


class DataError(ValueError):
    """The data cannot be used; str(e) says what is wrong and what to do.

    ``key`` (a key of rnncore.messages.DATA_MESSAGES, or None) and ``details`` (the values filled
    into its template) say the same for a page that translates it.
    """

    def __init__(self, message: str, key: str | None = None, **details):
        super().__init__(message)
        self.key, self.details = key, details


def data_error(key: str, **details) -> DataError:
    """The DataError for ``key``: its English template filled with ``details``."""
    return DataError(DATA_MESSAGES[key].format(**details), key, **details)


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
    notes: list[str] = field(default_factory=list)
    sequences: SequenceSet | None = None
    description: str = ""
    period: int | None = None
    note_keys: list[tuple[str, dict]] = field(default_factory=list)  # (key, details) of each note; "" if none

    def __post_init__(self):  # notes given without keys (generators' descriptions) have the key ""
        self.note_keys = list(self.note_keys) + [("", {})] * (len(self.notes) - len(self.note_keys))

    @property
    def freq(self) -> str | None:
        """The pandas frequency string of the index ("MS", "W-SAT", ...), or None."""
        return infer_freq(self.frame.index)


def list_samples() -> list[str]:
    return list(_samples())


def sample_description(name: str) -> str:
    return _sample(name)["description"]


def load_sample(name: str) -> Dataset:
    sample = _sample(name)
    dataset = load_csv(SAMPLE_DIR / sample["file"], name=name)
    dataset.description, dataset.period = sample["description"], sample["period"]
    return dataset


def load_source(source: str, params: dict | None = None) -> Dataset:
    """"sample:NAME", "synthetic:NAME" (a generator) or the path of a CSV file."""
    kind, _, name = source.partition(":")
    if kind == "sample":
        return load_sample(name)
    if kind == "synthetic":
        from rnncore.generators import generate
        return generate(name, **(params or {}))
    return load_csv(source)


def infer_period(frame: pd.DataFrame) -> int | None:
    """Seasonal period in rows from the index frequency: monthly 12, quarterly 4, daily 7, hourly 24."""
    freq = infer_freq(frame.index)
    offset = pd.tseries.frequencies.to_offset(freq) if freq else None
    period = PERIODS.get(offset.rule_code.split("-")[0]) if offset else None
    return period // offset.n if period and period % offset.n == 0 and period // offset.n > 1 else None


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


def load_csv(source: str | os.PathLike | bytes | BinaryIO, *, name: str | None = None,
             max_rows: int = 1_000_000, max_columns: int = 200, min_rows: int = 10,
             max_bytes: int = MAX_BYTES) -> Dataset:
    """Read and clean a CSV file (path, bytes or binary file object) into a Dataset."""
    try:
        raw, default_name = _read(source, max_bytes)
        dataset = _load(raw, name or default_name, max_rows, max_columns, min_rows)
    except DataError:
        raise
    except Exception as e:  # pandas or numpy surprises (a ragged row, ...): never let them escape as such
        raise data_error("unreadable", detail=" ".join(str(e).split())[:150]) from e
    dataset.period = infer_period(dataset.frame)
    return dataset


def _samples() -> dict:  # name: {"file", "period", "description"}, in sample_data/samples.json
    return json.loads((SAMPLE_DIR / "samples.json").read_text(encoding="utf-8"))


def _sample(name: str) -> dict:
    if name not in (samples := _samples()):
        raise data_error("unknown_sample", name=repr(name), choices=", ".join(samples))
    return samples[name]


def _read(source, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw, name = bytes(source), "data"
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.isfile(source):
            raise data_error("no_file", path=repr(str(source)))
        with open(source, "rb") as file:
            raw, name = file.read(max_bytes + 1), Path(source).stem
    else:
        raw, name = source.read(max_bytes + 1), Path(str(getattr(source, "name", "data"))).stem
        raw = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(raw) > max_bytes:
        raise data_error("too_big", limit=f"{max_bytes / 2**20:.0f}")
    return raw, name


def _decode(raw: bytes, notes: list[str], keys: list[tuple[str, dict]]) -> str:
    if not raw.strip():
        raise data_error("empty_file")
    for magic, key in MAGIC:
        if raw.startswith(magic):
            raise data_error(key)
    head = raw[:4096]
    encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None
    if encoding is None and head.count(0) > len(head) // 4:  # UTF-16 without a byte order mark
        encoding = "utf-16-le" if head[1::2].count(0) > len(head) // 4 else "utf-16-be"
    if encoding is None and 0 in head:
        raise data_error("binary_file")
    if encoding:
        note(notes, keys, "read_as", encoding=encoding.upper())
        return raw.decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        note(notes, keys, "read_latin1")
        return raw.decode("cp1252" if all(b not in raw for b in b"\x81\x8d\x8f\x90\x9d") else "latin-1")


def _table(text: str, max_rows: int, max_columns: int, notes: list[str],
           keys: list[tuple[str, dict]]) -> tuple[pd.DataFrame, str]:
    """All cells as stripped text, with clean unique column names; and the delimiter."""
    if re.match(r"\s*<(!doctype|html|head|body|table|\?xml|div|meta)", text[:1024], re.I):
        raise data_error("html_file")
    if len(text) > MAX_LINE and max(map(len, text.splitlines())) > MAX_LINE:
        raise data_error("long_line", limit=f"{MAX_LINE:,}")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) - 1 > max_rows:
        raise data_error("too_many_rows", rows=f"{len(lines) - 1:,}", limit=f"{max_rows:,}")
    scores = {}  # the delimiter that splits the first lines into the same, largest number of fields
    for delimiter in (",", ";", "\t", "|"):
        counts = [len(row) for row in csv.reader(lines[:30], delimiter=delimiter)]
        scores[delimiter] = min(counts) / (1 if len(set(counts[1:])) <= 1 else 2)
    delimiter = max(scores, key=scores.get)  # ties: the first, a comma
    header = [cell.strip() for cell in next(csv.reader(lines[:1], delimiter=delimiter))]
    if len(header) > max_columns:
        raise data_error("too_many_columns", columns=f"{len(header):,}", limit=max_columns)
    if len(lines) < 2:
        raise data_error("no_rows")
    if delimiter != ",":
        note(notes, keys, {";": "separated_semicolons", "\t": "separated_tabs", "|": "separated_bars"}[delimiter])
    no_header = all(NUMBER.fullmatch(cell) or re.match(r"\d{4}[-/]\d", cell) for cell in header)
    with warnings.catch_warnings():  # a trailing delimiter on some rows: the empty last field is dropped
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            index_col=False, header=None if no_header else 0, skipinitialspace=True)
    frame = frame.fillna("").apply(lambda column: column.str.strip())
    if no_header:
        note(notes, keys, "no_header")
    names = [f"column {i + 1}" if no_header else re.sub(r"[\x00-\x1f\x7f]", "", str(c)).strip()[:100]
             or f"column {i + 1}" for i, c in enumerate(frame.columns)]
    frame.columns = [n if n not in names[:i] else f"{n} ({i + 1})" for i, n in enumerate(names)]
    return frame, delimiter


def _load(raw: bytes, name: str, max_rows: int, max_columns: int, min_rows: int) -> Dataset:
    notes: list[str] = []
    keys: list[tuple[str, dict]] = []
    table, delimiter = _table(_decode(raw, notes, keys), max_rows, max_columns, notes, keys)
    time, used = find_time(table, notes, keys)
    table = table.drop(columns=used)
    first = table.get(table.columns[0]) if len(table.columns) else None
    if first is not None and first.name.startswith("Unnamed: 0") and first.str.fullmatch(r"\d+").all() \
            and (first.astype(int).diff().dropna() == 1).all():
        table = table.drop(columns=first.name)
        note(notes, keys, "row_numbers")
    cells = pd.Series(table.head(200).to_numpy().ravel(), dtype=str)
    comma = delimiter != "," and cells.str.fullmatch(r"[+-]?[\d.]*\d,\d+").sum() > \
        cells.str.fullmatch(r"[+-]?[\d,]*\d\.(\d{1,2}|\d{4,})").sum()
    if comma:
        note(notes, keys, "decimal_commas")
    columns, text_columns, empty_columns = {}, [], []
    for col in table.columns:
        values, bad, grouped = to_numbers(table[col], comma)
        if values.notna().sum() == 0 or bad > 0.1 * (values.notna().sum() + bad):
            (text_columns if bad else empty_columns).append(col)
            continue
        columns[col] = values
        if bad:
            note(notes, keys, "not_numbers", column=repr(col), count=bad)
        if grouped:
            note(notes, keys, "thousands", column=repr(col))
        if np.isinf(values).any():
            raise data_error("infinite", column=repr(col), line=int(np.flatnonzero(np.isinf(values))[0]) + 2)
    if text_columns:
        note(notes, keys, "text_columns", columns=", ".join(map(repr, text_columns)))
    if empty_columns:
        note(notes, keys, "empty_columns", columns=", ".join(map(repr, empty_columns)))
    if not columns:
        if not text_columns:
            raise data_error("all_missing")
        raise data_error("no_numbers", columns=", ".join(table.columns)[:200])
    frame = pd.DataFrame(columns)
    if time is None:
        note(notes, keys, "no_time")
    else:
        frame = index_by_time(frame, time, notes, keys)
    frame = fill_missing(frame, notes, keys)
    if len(frame) < min_rows:
        raise data_error("too_few_rows", rows=len(frame), min_rows=min_rows)
    return Dataset(frame=frame, name=name, notes=notes, note_keys=keys)


