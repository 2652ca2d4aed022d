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

MAX_BYTES = 20 * 1024 * 1024  # the upload limit (.streamlit/config.toml: maxUploadSize = 20)
MAX_LINE = 100_000  # characters in one line of a table
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
MAGIC = ((b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
         (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"), (b"%PDF", "a PDF document"),
         (b"\x1f\x8b", "a gzip archive"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
         (b"PAR1", "a Parquet file"))
PERIODS = MappingProxyType({"B": 5, "D": 7, "W": 52, "MS": 12, "ME": 12, "QS": 4, "QE": 4, "h": 24,
                            "min": 60})  # seasonal period by frequency: days in a week, months in a year
SAVE_AS_CSV = "open it in a spreadsheet program and save it as 'CSV (comma delimited)'"


class DataError(ValueError):
    """The data cannot be used; str(e) says what is wrong and what to do."""


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
        detail = " ".join(str(e).split())[:150]
        raise DataError(f"could not read the file as a table ({detail}); check that every row has as many "
                        f"fields as the header, or {SAVE_AS_CSV}") from e
    dataset.period = infer_period(dataset.frame)
    return dataset


def _samples() -> dict:  # name: {"file", "period", "description"}, in sample_data/samples.json
    return json.loads((SAMPLE_DIR / "samples.json").read_text(encoding="utf-8"))


def _sample(name: str) -> dict:
    if name not in (samples := _samples()):
        raise DataError(f"unknown sample {name!r}; choose one of {', '.join(samples)}")
    return samples[name]


def _read(source, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw, name = bytes(source), "data"
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.isfile(source):
            raise DataError(f"no file at {str(source)!r}; check the path")
        with open(source, "rb") as file:
            raw, name = file.read(max_bytes + 1), Path(source).stem
    else:
        raw, name = source.read(max_bytes + 1), Path(str(getattr(source, "name", "data"))).stem
        raw = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(raw) > max_bytes:
        raise DataError(f"the file is over the limit of {max_bytes / 2**20:.0f} MB; use a shorter file "
                        "or resample it to a coarser time step")
    return raw, name


def _decode(raw: bytes, notes: list[str]) -> str:
    if not raw.strip():
        raise DataError("the file is empty; choose a CSV file with a header line and rows of numbers")
    for magic, what in MAGIC:
        if raw.startswith(magic):
            raise DataError(f"this is {what}, not a CSV text file; {SAVE_AS_CSV}")
    head = raw[:4096]
    encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None
    if encoding is None and head.count(0) > len(head) // 4:  # UTF-16 without a byte order mark
        encoding = "utf-16-le" if head[1::2].count(0) > len(head) // 4 else "utf-16-be"
    if encoding is None and 0 in head:
        raise DataError(f"the file holds binary data (NUL bytes), not CSV text; {SAVE_AS_CSV}")
    if encoding:
        notes.append(f"read as {encoding.upper()} text")
        return raw.decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append("read as Latin-1 (Windows-1252) text because the file is not valid UTF-8")
        return raw.decode("cp1252" if all(b not in raw for b in b"\x81\x8d\x8f\x90\x9d") else "latin-1")


def _table(text: str, max_rows: int, max_columns: int, notes: list[str]) -> tuple[pd.DataFrame, str]:
    """All cells as stripped text, with clean unique column names; and the delimiter."""
    if re.match(r"\s*<(!doctype|html|head|body|table|\?xml|div|meta)", text[:1024], re.I):
        raise DataError("the file is an HTML web page (or other markup), not CSV; download the raw CSV "
                        "file rather than the page that shows it")
    if len(text) > MAX_LINE and max(map(len, text.splitlines())) > MAX_LINE:
        raise DataError(f"a line is longer than {MAX_LINE:,} characters, so the file is not a table of "
                        "rows; check that it has one row per line")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) - 1 > max_rows:
        raise DataError(f"the file has {len(lines) - 1:,} rows, over the limit of {max_rows:,}; "
                        "use a shorter file or resample it to a coarser time step")
    scores = {}  # the delimiter that splits the first lines into the same, largest number of fields
    for delimiter in (",", ";", "\t", "|"):
        counts = [len(row) for row in csv.reader(lines[:30], delimiter=delimiter)]
        scores[delimiter] = min(counts) / (1 if len(set(counts[1:])) <= 1 else 2)
    delimiter = max(scores, key=scores.get)  # ties: the first, a comma
    header = [cell.strip() for cell in next(csv.reader(lines[:1], delimiter=delimiter))]
    if len(header) > max_columns:
        raise DataError(f"the file has {len(header):,} columns, over the limit of {max_columns}; "
                        "keep only the columns you need")
    if len(lines) < 2:
        raise DataError("the file has a header line but no rows of data; add rows below the header")
    if delimiter != ",":
        notes.append("columns separated by " + {";": "semicolons", "\t": "tabs", "|": "bars"}[delimiter])
    no_header = all(NUMBER.fullmatch(cell) or re.match(r"\d{4}[-/]\d", cell) for cell in header)
    with warnings.catch_warnings():  # a trailing delimiter on some rows: the empty last field is dropped
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            index_col=False, header=None if no_header else 0, skipinitialspace=True)
    frame = frame.fillna("").apply(lambda column: column.str.strip())
    if no_header:
        notes.append("the first line holds data, not column names; columns are numbered")
    names = [f"column {i + 1}" if no_header else re.sub(r"[\x00-\x1f\x7f]", "", str(c)).strip()[:100]
             or f"column {i + 1}" for i, c in enumerate(frame.columns)]
    frame.columns = [n if n not in names[:i] else f"{n} ({i + 1})" for i, n in enumerate(names)]
    return frame, delimiter


def _load(raw: bytes, name: str, max_rows: int, max_columns: int, min_rows: int) -> Dataset:
    notes: list[str] = []
    table, delimiter = _table(_decode(raw, notes), max_rows, max_columns, notes)
    time, used = find_time(table, notes)
    table = table.drop(columns=used)
    first = table.get(table.columns[0]) if len(table.columns) else None
    if first is not None and first.name.startswith("Unnamed: 0") and first.str.fullmatch(r"\d+").all() \
            and (first.astype(int).diff().dropna() == 1).all():
        table = table.drop(columns=first.name)
        notes.append("dropped an unnamed column of row numbers")
    cells = pd.Series(table.head(200).to_numpy().ravel(), dtype=str)
    comma = delimiter != "," and cells.str.fullmatch(r"[+-]?[\d.]*\d,\d+").sum() > \
        cells.str.fullmatch(r"[+-]?[\d,]*\d\.(\d{1,2}|\d{4,})").sum()
    if comma:
        notes.append("decimal commas read as decimal points (3,14 is 3.14)")
    columns, text_columns, empty_columns = {}, [], []
    for col in table.columns:
        values, bad, grouped = to_numbers(table[col], comma)
        if values.notna().sum() == 0 or bad > 0.1 * (values.notna().sum() + bad):
            (text_columns if bad else empty_columns).append(col)
            continue
        columns[col] = values
        if bad:
            notes.append(f"column {col!r}: {bad} value(s) that are not numbers treated as missing")
        if grouped:
            notes.append(f"column {col!r}: thousands separators removed")
        if np.isinf(values).any():
            raise DataError(f"column {col!r} holds infinite values (first on line "
                            f"{np.flatnonzero(np.isinf(values))[0] + 2}); replace them by numbers or "
                            "leave those cells empty")
    if text_columns:
        notes.append(f"dropped text column(s) {', '.join(map(repr, text_columns))}: "
                     "only numbers are modelled")
    if empty_columns:
        notes.append(f"dropped empty column(s) {', '.join(map(repr, empty_columns))}")
    if not columns:
        if not text_columns:
            raise DataError("all values are missing; fill in the numbers and try again")
        raise DataError(f"no column of numbers found (columns: {', '.join(table.columns)[:200]}); "
                        "the file needs at least one numeric column")
    frame = pd.DataFrame(columns)
    if time is None:
        notes.append("no time column found; rows are numbered in file order")
    else:
        frame = index_by_time(frame, time, notes)
    frame = fill_missing(frame, notes)
    if len(frame) < min_rows:
        raise DataError(f"only {len(frame)} row(s) of data; a model needs at least {min_rows} rows. "
                        "Use a longer series")
    return Dataset(frame=frame, name=name, notes=notes)


