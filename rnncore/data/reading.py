"""Reading and cleaning CSV files: load_csv.

load_csv reads the files people have (semicolons, decimal commas, Latin-1, UTF-16, odd dates, gaps)
and lists every cleaning step in Dataset.notes. Files it cannot use raise DataError, never anything else.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from rnncore.data.cleaning import NUMBER, fill_missing, find_time, index_by_time, to_numbers
from rnncore.data.dataset import Dataset, infer_period
from rnncore.errors import DataError, Note, data_error

MAX_BYTES = 20 * 1024 * 1024  # the upload limit (.streamlit/config.toml: maxUploadSize = 20)
MAX_LINE = 100_000  # characters in one line of a table
MAGIC = ((b"PK\x03\x04", "file_xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "file_xls"), (b"%PDF", "file_pdf"),
         (b"\x1f\x8b", "file_gzip"), (b"\x89PNG", "file_png"), (b"\xff\xd8\xff", "file_jpeg"),
         (b"PAR1", "file_parquet"))  # the start of files that are not text: the key of the DataError


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


def _decode(raw: bytes, notes: list[Note]) -> str:
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
        notes.append(Note.keyed("read_as", encoding=encoding.upper()))
        return raw.decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(Note.keyed("read_latin1"))
        return raw.decode("cp1252" if all(b not in raw for b in b"\x81\x8d\x8f\x90\x9d") else "latin-1")


def _table(text: str, max_rows: int, max_columns: int, notes: list[Note]) -> tuple[pd.DataFrame, str]:
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
        separated = {";": "separated_semicolons", "\t": "separated_tabs", "|": "separated_bars"}
        notes.append(Note.keyed(separated[delimiter]))
    no_header = all(NUMBER.fullmatch(cell) or re.match(r"\d{4}[-/]\d", cell) for cell in header)
    with warnings.catch_warnings():  # a trailing delimiter on some rows: the empty last field is dropped
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            index_col=False, header=None if no_header else 0, skipinitialspace=True)
    frame = frame.fillna("").apply(lambda column: column.str.strip())
    if no_header:
        notes.append(Note.keyed("no_header"))
    names = [f"column {i + 1}" if no_header else re.sub(r"[\x00-\x1f\x7f]", "", str(c)).strip()[:100]
             or f"column {i + 1}" for i, c in enumerate(frame.columns)]
    frame.columns = [n if n not in names[:i] else f"{n} ({i + 1})" for i, n in enumerate(names)]
    return frame, delimiter


def _load(raw: bytes, name: str, max_rows: int, max_columns: int, min_rows: int) -> Dataset:
    notes: list[Note] = []
    table, delimiter = _table(_decode(raw, notes), max_rows, max_columns, notes)
    time, used = find_time(table, notes)
    table = table.drop(columns=used)
    first = table.get(table.columns[0]) if len(table.columns) else None
    if first is not None and first.name.startswith("Unnamed: 0") and first.str.fullmatch(r"\d+").all() \
            and (first.astype(int).diff().dropna() == 1).all():
        table = table.drop(columns=first.name)
        notes.append(Note.keyed("row_numbers"))
    cells = pd.Series(table.head(200).to_numpy().ravel(), dtype=str)
    comma = delimiter != "," and cells.str.fullmatch(r"[+-]?[\d.]*\d,\d+").sum() > \
        cells.str.fullmatch(r"[+-]?[\d,]*\d\.(\d{1,2}|\d{4,})").sum()
    if comma:
        notes.append(Note.keyed("decimal_commas"))
    columns, text_columns, empty_columns = {}, [], []
    for col in table.columns:
        values, bad, grouped = to_numbers(table[col], comma)
        if values.notna().sum() == 0 or bad > 0.1 * (values.notna().sum() + bad):
            (text_columns if bad else empty_columns).append(col)
            continue
        columns[col] = values
        if bad:
            notes.append(Note.keyed("not_numbers", column=repr(col), count=bad))
        if grouped:
            notes.append(Note.keyed("thousands", column=repr(col)))
        if np.isinf(values).any():
            raise data_error("infinite", column=repr(col), line=int(np.flatnonzero(np.isinf(values))[0]) + 2)
    if text_columns:
        notes.append(Note.keyed("text_columns", columns=", ".join(map(repr, text_columns))))
    if empty_columns:
        notes.append(Note.keyed("empty_columns", columns=", ".join(map(repr, empty_columns))))
    if not columns:
        if not text_columns:
            raise data_error("all_missing")
        raise data_error("no_numbers", columns=", ".join(table.columns)[:200])
    frame = pd.DataFrame(columns)
    if time is None:
        notes.append(Note.keyed("no_time"))
    else:
        frame = index_by_time(frame, time, notes)
    frame = fill_missing(frame, notes)
    if len(frame) < min_rows:
        raise data_error("too_few_rows", rows=len(frame), min_rows=min_rows)
    return Dataset(frame=frame, name=name, notes=notes)


