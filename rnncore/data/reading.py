"""Reading and cleaning CSV files: load_csv.

load_csv reads the files people have (semicolons, decimal commas, Latin-1, GB18030, Big5, Shift-JIS, UTF-16,
comment lines, Excel's sep= line, digits of other scripts, odd dates, gaps) and lists every cleaning step in
Dataset.notes. Files it cannot use raise DataError, never anything else.
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

from rnncore.data import encodings
from rnncore.data.cleaning import (
    NUMBER,
    fill_missing,
    find_time,
    index_by_time,
    to_numbers,
    uses_decimal_comma,
    values_first,
)
from rnncore.data.dataset import Dataset, infer_period
from rnncore.errors import DataError, Note, data_error

MAX_BYTES = 20_000_000  # the upload limit as the browser counts it (.streamlit/config.toml: maxUploadSize = 20)
MAX_COLUMNS = 200  # columns in one table
MAX_LINE = 100_000  # characters in one line of a table
MAGIC = ((b"PK\x03\x04", "file_xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "file_xls"), (b"%PDF", "file_pdf"),
         (b"\x1f\x8b", "file_gzip"), (b"\x89PNG", "file_png"), (b"\xff\xd8\xff", "file_jpeg"),
         (b"PAR1", "file_parquet"))  # the start of files that are not text: the key of the DataError
FLOAT32_MAX = float(np.finfo(np.float32).max)  # windows and models compute in float32: about 3.4e38
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line ends pandas knows (str.splitlines knows more)
SEP_LINE = re.compile(r'\s*"?sep=(.)"?[,;\t|]*\s*', re.I)  # Excel's first line "sep=;" names the delimiter
HASH_COLUMN = re.compile(r"\s*#\s*[,;\t|]")  # a header whose first column is named "#", not a comment
DATE_LIKE = re.compile(r"\d{4}[-/年]\d|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")  # a header cell that is a date: data
DIGITS = str.maketrans({**{chr(zero + i): str(i) for zero in (0x660, 0x6F0, 0x966, 0x9E6, 0xFF10) for i in range(10)},
                        "\u2212": "-", "\uff0d": "-", "\uff0b": "+", "\uff0e": ".", "\uff0c": ",", "\u066b": ".",
                        "\u066c": ",", "\u066a": "%", "\uff05": "%", "\uff1a": ":", "\uff0f": "/", "\uff08": "(",
                        "\uff09": ")"})  # Arabic-Indic, Persian, Devanagari, Bengali and fullwidth digits; signs
UNNAMED = re.compile(r"Unnamed: \d+")  # pandas' name for an empty header cell (kept by files pandas wrote)
FOREIGN = re.compile("[" + re.escape("".join(map(chr, DIGITS))) + "]")


def load_csv(source: str | os.PathLike | bytes | BinaryIO, *, name: str | None = None,
             max_rows: int = 1_000_000, max_columns: int = MAX_COLUMNS, min_rows: int = 10,
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


def read_cells(source: str | os.PathLike | bytes | BinaryIO, *, max_rows: int = 1_000_000,
               max_columns: int = MAX_COLUMNS, max_bytes: int = MAX_BYTES) -> tuple[pd.DataFrame, str, list[Note]]:
    """A CSV file's cells as stripped text, read as load_csv reads it (encodings, delimiters, comment lines,
    digits of other scripts; the same refusals), with its name and the notes on reading it. For tables that
    are not one series (the labelled sequences of rnncore.data.labelled): what the cells mean is the caller's."""
    try:
        raw, name = _read(source, max_bytes)
        notes: list[Note] = []
        text = _decode(raw, notes)
        table, delimiter, _, _ = _table(text, max_rows, max_columns, notes)
    except DataError:
        raise
    except Exception as e:  # as load_csv: a pandas surprise is a file it cannot read, said so
        raise data_error("unreadable", detail=" ".join(str(e).split())[:150]) from e
    comma = uses_decimal_comma(pd.Series(table.head(200).to_numpy().ravel(), dtype=str), delimiter)
    if comma:
        notes.append(Note.keyed("decimal_commas"))
    table.attrs["decimal_comma"] = comma
    return table, name, notes


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
        raise data_error("too_big", limit=f"{max_bytes / 1e6:g}")  # decimal megabytes, as the browser counts
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
        pass
    text, codec, other = encodings.guess(raw)
    notes.append(Note.keyed("read_latin1") if codec == encodings.WESTERN else
                 Note.keyed("read_as", encoding=encodings.name(codec)))
    if other is not None:
        notes.append(Note.keyed("encoding_doubt", encoding=encodings.name(codec), other=encodings.name(other)))
    return text


def _table(text: str, max_rows: int, max_columns: int,
           notes: list[Note]) -> tuple[pd.DataFrame, str, list[int], list[str]]:
    """All cells as stripped text, with clean unique column names; the delimiter; the line of each row; the
    columns whose digits of other scripts were made ASCII."""
    if re.match(r"\s*<(!doctype|html|head|body|table|\?xml|div|meta)", text[:1024], re.I):
        raise data_error("html_file")
    if len(text) > MAX_LINE and max(map(len, text.splitlines())) > MAX_LINE:
        raise data_error("long_line", limit=f"{MAX_LINE:,}")
    physical = LINE_BREAK.split(text)
    skipped, declared, comments = _preamble(physical, notes)
    if skipped:
        text = "\n".join(physical[skipped:])
    lines = [line for line in physical[skipped:] if line.strip()]
    if not lines:  # a blank file was refused before: comments, or a sep= line, and nothing else
        raise data_error("only_comments", count=len(comments)) if comments else data_error("empty_file")
    comment = comments[-1] if comments else None
    if len(lines) - 1 > max_rows:
        raise data_error("too_many_rows", rows=f"{len(lines) - 1:,}", limit=f"{max_rows:,}")
    delimiter = declared or _sniff(lines[:30])
    header = _split(lines[0], delimiter)
    if len(header) > max_columns:
        raise data_error("too_many_columns", columns=f"{len(header):,}", limit=max_columns)
    if len(lines) < 2:
        raise data_error("no_rows")
    separated = {";": "separated_semicolons", "\t": "separated_tabs", "|": "separated_bars"}
    if delimiter in separated:
        notes.append(Note.keyed(separated[delimiter]))
    no_header = _is_data(header)
    if no_header and comment and len(names := _split(comment.lstrip()[1:], delimiter)) == len(header) > 1 \
            and not _is_data(names):  # "# date,value" above the data: numpy.savetxt's header
        text, skipped, no_header = comment.lstrip()[1:] + "\n" + text, skipped - 1, False
        notes.append(Note.keyed("comment_header", line=repr(comment.strip()), columns=", ".join(map(repr, names))))
    with warnings.catch_warnings():  # a trailing delimiter on some rows: the empty last field is dropped
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            index_col=False, header=None if no_header else 0, skipinitialspace=True)
    frame = frame.fillna("").apply(lambda column: column.str.strip())
    if no_header:
        notes.append(Note.keyed("no_header"))
    cleaned = ["" if no_header or UNNAMED.fullmatch(str(c)) else re.sub(r"[\x00-\x1f\x7f]", "", str(c)).strip()[:100]
               for c in frame.columns]
    names = [name or f"column {i + 1}" for i, name in enumerate(cleaned)]
    frame.columns = [n if n not in names[:i] else f"{n} ({i + 1})" for i, n in enumerate(names)]
    frame.attrs["unnamed"] = [] if no_header else [n for n, c in zip(frame.columns, cleaned, strict=True) if not c]
    translated = _plain_digits(frame) if FOREIGN.search(text) else []
    return frame, delimiter, _row_lines(text, skipped, 0 if no_header else 1, len(frame)), translated


def _is_data(cells: list[str]) -> bool:
    """Whether the cells of a first line are data rather than column names: each a number or a date."""
    return all(NUMBER.fullmatch(plain := cell.translate(DIGITS)) or DATE_LIKE.match(plain) for cell in cells)


def _preamble(physical: list[str], notes: list[Note]) -> tuple[int, str | None, list[str]]:
    """What precedes the table: (how many lines, the delimiter an Excel "sep=;" line declares, the comment
    lines). Blank lines, one sep= line and comment lines starting with # are skipped."""
    skipped, declared, comments = 0, None, []
    for line in physical:
        if not line.strip():
            pass
        elif declared is None and not comments and (match := SEP_LINE.fullmatch(line)):
            declared = match[1]
            notes.append(Note.keyed("sep_line", line=repr(line.strip(" ")), separator=repr(declared)))
        elif line.lstrip().startswith("#") and not HASH_COLUMN.match(line):
            comments.append(line)
        else:
            break
        skipped += 1
    if comments:
        notes.append(Note.keyed("comments", count=len(comments)))
    return skipped, declared, comments


def _sniff(lines: list[str]) -> str:
    """The delimiter that splits the lines into the same, largest number of fields. Ties go to a comma, but
    to a semicolon where a line holds as many of both: the commas are then decimal commas (1;2,5)."""
    scores = {}
    for delimiter in (",", ";", "\t", "|"):
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        scores[delimiter] = min(counts) / (1 if len(set(counts[1:])) <= 1 else 2)
    if scores[";"] == scores[","] > 1:
        return ";"
    return max(scores, key=scores.get)


def _split(line: str, delimiter: str) -> list[str]:
    """The stripped cells of one line."""
    return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter), [])]


def _plain_digits(frame: pd.DataFrame) -> list[str]:
    """Digits of other scripts (٣, ۳, ３) and fullwidth or Unicode signs (－, ．, −) made ASCII, in place; the
    columns changed (a note names those read as numbers or time: in text columns it does not matter)."""
    changed = [col for col in frame.columns if frame[col].str.contains(FOREIGN).any()]
    for col in changed:
        frame[col] = frame[col].str.translate(DIGITS)
    return changed


def _row_lines(text: str, skipped: int, header: int, rows: int) -> list[int]:
    """The line number in the file of each data row, for messages: pandas skips blank lines, and lines
    before ``text`` were ``skipped``. Quoted cells spanning lines make the count approximate."""
    numbers = [skipped + i for i, line in enumerate(LINE_BREAK.split(text), 1) if line.strip()][header:]
    if len(numbers) != rows:
        start = numbers[0] if numbers else skipped + header + 1
        numbers = list(range(start, start + rows))
    return numbers


def _check_range(name: str, values: pd.Series, lines: list[int]) -> None:
    """Refuse infinities, and numbers beyond float32 (about 3.4e38): windows and models compute in float32."""
    if (infinite := np.isinf(values)).any():
        raise data_error("infinite", column=repr(name), line=lines[int(np.flatnonzero(infinite)[0])])
    if (large := values.abs() > FLOAT32_MAX).any():
        row = int(np.flatnonzero(large)[0])
        raise data_error("too_large", column=repr(name), line=lines[row], value=f"{values.iloc[row]:g}")


def _load(raw: bytes, name: str, max_rows: int, max_columns: int, min_rows: int) -> Dataset:
    notes: list[Note] = []
    table, delimiter, lines, translated = _table(_decode(raw, notes), max_rows, max_columns, notes)
    nameless = table.columns[0] if table.columns[0] in table.attrs["unnamed"] else None  # pandas' index: ",value"
    time, used = find_time(table, notes)
    table = table.drop(columns=used)
    first = table.get(table.columns[0]) if len(table.columns) else None
    if first is not None and first.name == nameless and first.str.fullmatch(r"\d+").all() \
            and (first.astype(int).diff().dropna() == 1).all():
        table = table.drop(columns=first.name)
        notes.append(Note.keyed("row_numbers"))
    comma = uses_decimal_comma(pd.Series(table.head(200).to_numpy().ravel(), dtype=str), delimiter)
    if comma:
        notes.append(Note.keyed("decimal_commas"))
    columns, text_columns, empty_columns = {}, [], []
    for col in table.columns:
        values, bad, removed = to_numbers(table[col], comma)
        if values.notna().sum() == 0 or bad > 0.1 * (values.notna().sum() + bad):
            (text_columns if bad else empty_columns).append(col)
            continue
        columns[col] = values
        if bad:
            notes.append(Note.keyed("not_numbers", column=repr(col), count=bad))
        notes.extend(Note.keyed(key, column=repr(col)) for key in removed)
        _check_range(col, values, lines)
    if text_columns:
        notes.append(Note.keyed("text_columns", columns=", ".join(map(repr, text_columns))))
    if empty_columns:
        notes.append(Note.keyed("empty_columns", columns=", ".join(map(repr, empty_columns))))
    if not columns:
        if not text_columns:
            raise data_error("all_missing")
        raise data_error("no_numbers", columns=", ".join(table.columns)[:200])
    if read := [col for col in translated if col in columns or col in used]:
        notes.append(Note.keyed("digits", columns=", ".join(map(repr, read))))
    frame = pd.DataFrame(values_first(columns, notes))
    if time is None:
        notes.append(Note.keyed("no_time"))
    else:
        frame = index_by_time(frame, time, notes)
    missing = frame.isna()
    frame = fill_missing(frame, notes)
    if len(frame) < min_rows:
        raise data_error("too_few_rows", rows=len(frame), min_rows=min_rows)
    return Dataset(frame=frame, name=name, notes=notes, filled=missing if missing.any().any() else None)


