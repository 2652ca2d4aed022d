"""From a table of text cells to numeric columns on a clean time axis (used by rnncore.data).

Finds the time column (ISO dates, 1949-01, 19580329, 1970 Q1, 1991 Jul, Jan-1-1995, plain years, a year
column plus a month or quarter column), reads numbers (decimal commas, thousands separators, missing
markers), sorts, averages duplicated timestamps, inserts missing time steps and interpolates gaps.
Every step appends a Note (rnncore.errors) to `notes`.
"""

from __future__ import annotations

import re

import pandas as pd

from rnncore.errors import Note

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", ".", "..", "#n/a", "missing"})
TIME_NAME = re.compile(r"date|time|year|month|week|day|quarter|period|jahr|datum|fecha|^(ds|dt|t|yr)$", re.I)
YEAR_NAME = re.compile(r"^(year|yr|jahr|ann[ée]e|a[ñn]o)$", re.I)
PART_NAME = re.compile(r"^(month|mon|m|monat|mois|mes|quarter|qtr|q|quartal)$", re.I)
QUARTER = re.compile(r"^(\d{4})\s*[-/ ]?\s*Q([1-4])$|^Q([1-4])\s*[-/ ]?\s*(\d{4})$", re.I)
NUMBER = re.compile(r"[+-]?(\d{1,3}([,.' ]\d{3})+|\d+|(?=[.,]\d))([.,]\d+)?([eE][+-]?\d+)?")
ZONE = re.compile(r"\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d:?\d\d)$")
DATE_FORMATS = ("ISO8601", "%Y/%m/%d", "%Y/%m", "%Y.%m.%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y",
                "%m-%d-%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M", "%d/%m/%y", "%m/%d/%y",
                "%Y %b", "%Y-%b", "%b %Y", "%b-%Y", "%b-%y", "%Y %B", "%B %Y", "%b-%d-%Y", "%b %d %Y",
                "%b %d, %Y", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y")


def when(stamp: pd.Timestamp) -> str:
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def is_missing(column: pd.Series) -> pd.Series:
    return column.str.lower().isin(MISSING)


def parse_time(column: pd.Series, hinted: bool, first: bool) -> pd.Series | None:
    """The column as datetimes (NaT where missing), or None if it is not a time column."""
    values = column.where(~is_missing(column)).str.replace(
        QUARTER, lambda m: f"{m[1] or m[4]}-{3 * int(m[2] or m[3]) - 2:02d}", regex=True)  # 1970 Q2: 1970-04
    present = values.dropna()
    sample = present.iloc[:200]
    if len(present) < 2:
        return None
    if sample.str.fullmatch(r"\d{4}").all():
        years = present.astype(int)
        steady = years.is_unique and (years.diff().dropna() == 1).mean() > 0.9
        plausible = years.min() >= 1000 and years.max() < 3000 and (hinted or first and steady)
        formats = ("%Y",) if plausible else ()
    elif sample.str.fullmatch(r"\d{8}").all():
        formats = ("%Y%m%d",) if hinted or first else ()
    else:
        formats = () if sample.str.fullmatch(NUMBER).all() else DATE_FORMATS
    best, best_steps = None, None
    for fmt in formats:  # the format that reads every value of the sample, with the most regular steps
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce", utc=fmt == "ISO8601")
        if parsed.notna().all() and (best is None or parsed.diff().nunique() < best_steps):
            best, best_steps = fmt, parsed.diff().nunique()
    if best is None:
        return None
    parsed = pd.to_datetime(values, format=best, errors="coerce", utc=best == "ISO8601")
    if parsed.notna().sum() < 0.9 * len(present):
        return None
    return parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed


def find_time(frame: pd.DataFrame, notes: list[Note]) -> tuple[pd.Series | None, list[str]]:
    """The time of each row and the columns it came from; (None, []) if there is no time column."""
    year = next((c for c in frame.columns if YEAR_NAME.match(c)), None)
    part = next((c for c in frame.columns if PART_NAME.match(c)), None)
    if year and part:  # a year column and a month or quarter column
        text = frame[part].str.upper().str.lstrip("Q")
        if PART_NAME.match(part)[0].lower().startswith("q"):
            text = text.map({"1": "1", "2": "4", "3": "7", "4": "10"})
        for fmt in ("%Y-%m", "%Y-%b", "%Y-%B"):
            parsed = pd.to_datetime(frame[year] + "-" + text, format=fmt, errors="coerce")
            if parsed.notna().mean() > 0.9:
                notes.append(Note.keyed("time_from_parts", year=repr(year), part=repr(part)))
                return parsed, [year, part]
    hinted = [c for c in frame.columns if TIME_NAME.search(c)]
    for col in dict.fromkeys([*hinted, *frame.columns]):
        parsed = parse_time(frame[col], col in hinted, col == frame.columns[0])
        if parsed is not None:
            notes.append(Note.keyed("time_column", column=repr(col)))
            if frame[col].str.contains(ZONE).any():
                notes.append(Note.keyed("utc"))
            return parsed, [col]
    return None, []


def to_numbers(column: pd.Series, decimal_comma: bool) -> tuple[pd.Series, int, bool]:
    """Numbers from text: (values with NaN where missing, count of non-numbers, thousands seen)."""
    missing = is_missing(column)
    todo = ~missing if decimal_comma else missing & False  # plain numbers need no cleaning (fast path)
    values = pd.to_numeric(column.where(~missing & ~todo), errors="coerce").astype(float)
    todo |= values.isna() & ~missing
    grouped = pd.Series(False, index=column.index)
    if todo.any():
        text = column[todo].str.replace(r"[\s\u00a0']", "", regex=True)
        sep, point = (".", ",") if decimal_comma else (",", ".")
        grouped = text.str.fullmatch(rf"[+-]?\d{{1,3}}(\{sep}\d{{3}})+(\{point}\d*)?")
        text = text.where(~grouped, text.str.replace(sep, "", regex=False))
        text = text.str.replace(",", ".", regex=False) if decimal_comma else text
        values[todo] = pd.to_numeric(text, errors="coerce")
    return values, int((values.isna() & ~missing).sum()), bool(grouped.any())


def index_by_time(frame: pd.DataFrame, time: pd.Series, notes: list[Note]) -> pd.DataFrame:
    """Index by time: rows without a time dropped, sorted, duplicates averaged, gaps inserted."""
    if dropped := int(time.isna().sum()):
        notes.append(Note.keyed("no_time_rows", count=dropped))
    frame = frame[time.notna().to_numpy()].set_axis(pd.DatetimeIndex(time.dropna(), name=None))
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index(kind="stable")
        notes.append(Note.keyed("sorted"))
    if frame.index.has_duplicates:
        duplicated = frame.index[frame.index.duplicated()]
        frame = frame.groupby(level=0).mean()
        notes.append(Note.keyed("averaged", count=len(duplicated), first=when(duplicated[0])))
    index = frame.index
    if len(index) < 3 or infer_freq(index) is not None:
        return frame
    step = index.to_series().diff().median()
    if (index[-1] - index[0]) / step > 1.25 * len(index) + 1:  # not a regular series with a few gaps
        return frame
    for offset in (pd.DateOffset(months=1), pd.offsets.MonthEnd(), pd.DateOffset(months=3),
                   pd.DateOffset(years=1), pd.offsets.BDay(), step):
        full = pd.date_range(index[0], index[-1], freq=offset)
        if len(index) < len(full) <= 1.25 * len(index) + 1 and index.isin(full).all():
            added = full.difference(index)
            notes.append(Note.keyed("inserted", count=len(added), first=when(added[0])))
            return frame.reindex(full)
    notes.append(Note.keyed("irregular"))
    return frame


def fill_missing(frame: pd.DataFrame, notes: list[Note]) -> pd.DataFrame:
    if (counts := frame.isna().sum()).sum():
        timed = isinstance(frame.index, pd.DatetimeIndex)
        frame = frame.interpolate(method="time" if timed else "linear").ffill().bfill()
        notes.append(Note.keyed("filled_time" if timed else "filled", count=int(counts.sum()),
             columns=", ".join(f"{col!r}: {n}" for col, n in counts.items() if n)))
    return frame


def infer_freq(index: pd.Index) -> str | None:
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    with pd.option_context("future.infer_freq_returns_offset", True):
        try:
            offset = pd.infer_freq(index)
        except (TypeError, ValueError):
            return None
    return offset.freqstr if offset is not None else None
