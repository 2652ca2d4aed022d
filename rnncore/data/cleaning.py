"""From a table of text cells to numeric columns on a clean time axis (used by rnncore.data).

Finds the time column (ISO dates, 1949-01, 19580329, 1970 Q1, 1991 Jul, Jan-1-1995, 2020年1月, 2020-W01,
plain years, epoch seconds or milliseconds, Excel serial dates, 201901, a year column plus a month or quarter
column), reads numbers (decimal commas, thousands separators, missing markers, 12%, (12), $1,000), sorts,
averages duplicated timestamps, inserts missing time steps and interpolates gaps. Every step appends a Note
(rnncore.errors) to `notes`.
"""

from __future__ import annotations

import re
import warnings
from datetime import date

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from rnncore.errors import Note, data_error

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", ".", "..", "#n/a", "missing"})
TIME_NAME = re.compile(r"date|time|year|month|week|day|quarter|period|jahr|datum|fecha|epoch|unix|时间|日期|年份|月份"
                       r"|^(ds|dt|t|ts|yr|年|月|年月)$", re.I)
DATE_NAME = re.compile(r"date|datum|fecha|day|日期", re.I)  # Excel serial dates count days
# names of columns that hold the time or count the rows (a unit may follow: "time (s)", "t_ms"), never values
TIME_WORD = re.compile(r"(t|ts|time|times|timestamp|datetime|date|datum|fecha|ds|dt|year|yr|jahr|month|week|day|"
                       r"days|quarter|period|index|idx|step|steps|counter|tick|ticks|row|seq|sequence|epoch|unix|\#|no|nr)"
                       r"([\s_-]*(\(.*\)|\[.*\]|s|ms|sec|secs|seconds|min|minutes|h|hours))?", re.I)
YEAR_NAME = re.compile(r"^(year|yr|jahr|ann[ée]e|a[ñn]o)$", re.I)
PART_NAME = re.compile(r"^(month|mon|m|monat|mois|mes|quarter|qtr|q|quartal)$", re.I)
DAY_NAME = re.compile(r"^(day|d|dd|tag|jour|d[ií]a)$", re.I)  # with year and month columns: daily times
HOUR_NAME = re.compile(r"^(hour|hr|h|hh|stunde|heure|hora)$", re.I)  # and with a day column: hourly
QUARTER = re.compile(r"^(\d{4})\s*[-/ ]?\s*Q([1-4])$|^Q([1-4])\s*[-/ ]?\s*(\d{4})$", re.I)
NUMBER = re.compile(r"[+-]?(\d{1,3}([,.' ]\d{3})+|\d+|(?=[.,]\d))([.,]\d+)?([eE][+-]?\d+)?")
CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월](?:\s*(\d{1,2})\s*[日일])?")  # 2020年1月(1日)
ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{2})(?:-?([1-7]))?$", re.I)  # 2020-W01, 2020-W01-1, 2020W01
CURRENCY = "$€£¥₹₩₽₪₺฿¢"
# What groups digits and is dropped before a number is read: spaces, the no-break ones (U+00A0, and the thin
# and narrow ones of French and Swiss figures) and apostrophes (1'000). The pattern holds the characters
# themselves, not regex \u escapes: with pyarrow strings pandas hands it to RE2, and older pyarrow refuses \u.
GROUPING = "[\\s\u00a0\u2009\u202f']"
ZONE = re.compile(r"\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d:?\d\d)$")
DATE_FORMATS = ("ISO8601", "%Y/%m/%d", "%Y/%m", "%Y.%m.%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y",
                "%m-%d-%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M", "%d/%m/%y", "%m/%d/%y",
                "%Y %b", "%Y-%b", "%b %Y", "%b-%Y", "%b-%y", "%Y %B", "%B %Y", "%b-%d-%Y", "%b %d %Y",
                "%b %d, %Y", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y")


def when(stamp: pd.Timestamp) -> str:
    """A time as people write it: the date alone at midnight."""
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def is_missing(column: pd.Series) -> pd.Series:
    """Which cells are empty or a missing marker (NA, n/a, -, ?, ...)."""
    return column.str.lower().isin(MISSING)


def parse_time(column: pd.Series, hinted: bool, first: bool) -> tuple[pd.Series, Note | None] | None:
    """The column as datetimes (NaT where missing) and a note on how they were read (or None); None if
    the column is not a time column. ``hinted``: its name says time; ``first``: it is the first column."""
    values = time_text(column.where(~is_missing(column)))
    present = values.dropna()
    if len(present) < 2:
        return None
    sample = present.iloc[:200]
    if sample.str.fullmatch(NUMBER).all():
        found = numeric_time(values, sample, str(column.name), hinted, first)
    else:
        found = text_time(values, sample, str(column.name))
    if found is None or found[0].notna().sum() < 0.9 * len(present):
        return None
    parsed, note = found
    return (parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed), note


def time_text(values: pd.Series) -> pd.Series:
    """Times written in ways the date formats do not know, rewritten as ISO text: 1970 Q2 is 1970-04,
    2020年1月 is 2020-01, 2020年1月2日 is 2020-01-02 and 2020-W01 (or 2020-W01-1) is 2019-12-30, its Monday."""
    rewrites = ((QUARTER, "[Qq]", lambda m: f"{m[1] or m[4]}-{3 * int(m[2] or m[3]) - 2:02d}"),
                (CJK_DATE, "[年년]", lambda m: f"{m[1]}-{int(m[2]):02d}" + (f"-{int(m[3]):02d}" if m[3] else "")),
                (ISO_WEEK, "[Ww]", iso_week))
    for pattern, sign, rewrite in rewrites:
        if values.str.contains(sign).any():  # the rewrite calls Python for each cell: only where it may apply
            values = values.str.replace(pattern, rewrite, regex=True)
    return values


def iso_week(match: re.Match) -> str:
    """The ISO date of an ISO week (and weekday) ``match``; the text unchanged if there is no such week."""
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), int(match[3] or 1)).isoformat()
    except ValueError:  # week 54, year 0: not a date, so the column is not read as time
        return match[0]


def numeric_time(values: pd.Series, sample: pd.Series, name: str, hinted: bool,
                 first: bool) -> tuple[pd.Series, Note | None] | None:
    """Times written as numbers: years, 19580329, 201901, Excel serial dates, epoch seconds or milliseconds.

    Numbers are time only where the name says so (or, for years and yyyymmdd, in the first column) and
    every value fits the pattern: otherwise a column of prices near 43831 would become dates.
    """
    if sample.str.fullmatch(r"\d{4}").all():
        years = pd.to_numeric(values, errors="coerce").dropna()  # a stray word past the sample is no year
        steady = years.is_unique and (years.diff().dropna() == 1).mean() > 0.9
        plausible = years.min() >= 1000 and years.max() < 3000 and (hinted or first and steady)
        return (pd.to_datetime(values, format="%Y", errors="coerce"), None) if plausible else None
    if sample.str.fullmatch(r"\d{8}").all():
        return (pd.to_datetime(values, format="%Y%m%d", errors="coerce"), None) if hinted or first else None
    if not hinted:
        return None
    column = values.rename(name)
    if sample.str.fullmatch(r"[12]\d{3}(0[1-9]|1[0-2])").all():  # 201901: year and month
        return read_numbers(column, "year_month_numbers", (100001, 299912), lambda v: pd.to_datetime(
            v.map("{:.0f}".format, na_action="ignore"), format="%Y%m", errors="coerce"))
    numbers = pd.to_numeric(sample, errors="coerce")
    low, high = numbers.min(), numbers.max()
    if DATE_NAME.search(name) and 20000 <= low and high <= 80000 and (numbers % 1 == 0).all():
        return read_numbers(column, "excel_dates", (20000, 80000),
                            lambda v: pd.to_datetime(v, unit="D", origin="1899-12-30"))
    for key, unit, bounds in (("epoch_seconds", "s", (1e8, 4e9)), ("epoch_milliseconds", "ms", (1e11, 4e12))):
        if bounds[0] <= low and high <= bounds[1] and regular(numbers):
            return read_numbers(column, key, bounds, lambda v, unit=unit: pd.to_datetime(v, unit=unit))
    return None


def read_numbers(column: pd.Series, key: str, bounds: tuple[float, float], convert) -> tuple[pd.Series, Note]:
    """Numbers to datetimes with ``convert`` (NaT where missing or outside ``bounds``), and the note ``key``
    with the first value as an example."""
    numbers = pd.to_numeric(column, errors="coerce")
    parsed = convert(numbers.where(numbers.between(*bounds)))
    first = parsed.first_valid_index()
    return parsed, Note.keyed(key, column=repr(column.name), example=column[first], date=when(parsed[first]))


def regular(numbers: pd.Series) -> bool:
    """Whether sorted numbers step like a clock: mostly by one amount, and else by whole multiples of it
    (gaps, weekends)."""
    steps = np.diff(np.unique(numbers.to_numpy(dtype=float)))
    if len(steps) < 1:
        return False
    counts = pd.Series(steps.round(3)).value_counts()
    multiples = steps / counts.index[0]
    return counts.iloc[0] >= 0.5 * len(steps) and bool(np.allclose(multiples, multiples.round(), atol=1e-6))


def text_time(values: pd.Series, sample: pd.Series, name: str) -> tuple[pd.Series, Note | None] | None:
    """Dates written as text in one of DATE_FORMATS: the format that reads every value of the sample with the
    most regular steps (04/01/2000 is April 1st in a monthly series of MM/DD/YYYY dates, January 4th in a
    daily series of DD/MM/YYYY ones); a note says which order was chosen where day and month could swap."""
    readings = {}
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce", utc=fmt == "ISO8601")
        if parsed.notna().all():
            readings[fmt] = parsed
    if not readings:
        return None
    best = min(readings, key=lambda fmt: irregularity(readings[fmt]))  # ties: the first format
    parsed = pd.to_datetime(values, format=best, errors="coerce", utc=best == "ISO8601")
    swapped = best.replace("%d", "%?").replace("%m", "%d").replace("%?", "%m")  # the other order of day and month
    if swapped not in readings or readings[swapped].equals(readings[best]):
        return parsed, None
    chosen = readings[best]
    example = next((i for i in range(len(chosen)) if chosen.iloc[i].day != chosen.iloc[i].month), 0)
    pattern = re.sub(r"%[a-zA-Z]", lambda m: PATTERN.get(m[0], m[0]), best)
    return parsed, Note.keyed("date_order", column=repr(name), pattern=pattern, example=sample.iloc[example],
                              date=when(chosen.iloc[example]))


PATTERN = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%H": "hh", "%M": "mm", "%b": "Mon", "%B": "Month"}


def irregularity(times: pd.Series) -> tuple[int, float]:
    """How irregular the steps of a reading are, to compare readings: (distinct steps, minus the median step).

    A step between two times on the same day of the month (or both month ends) at the same clock time counts
    in months, any other step in seconds, so monthly and yearly dates have one step, like daily ones; on a tie,
    the coarser reading wins (twelve dates 01/01/2000 to 12/01/2000 are monthly rather than January 1-12).
    """
    index = pd.DatetimeIndex(times).sort_values().unique()
    before, after = index[:-1], index[1:]
    clock = (before - before.normalize()) == (after - after.normalize())
    aligned = clock & ((before.day == after.day) | (before.is_month_end & after.is_month_end))
    months = (after.year - before.year) * 12 + (after.month - before.month)
    seconds = (after - before).total_seconds()
    steps = set(zip(aligned, np.where(aligned, months, seconds), strict=True))
    return len(steps), -float(np.median(seconds)) if len(seconds) else 0.0


def find_time(frame: pd.DataFrame, notes: list[Note]) -> tuple[pd.Series | None, list[str]]:
    """The time of each row and the columns it came from; (None, []) if there is no time column."""
    year = next((c for c in frame.columns if YEAR_NAME.match(c)), None)
    part = next((c for c in frame.columns if PART_NAME.match(c)), None)
    if year and part:  # a year column and a month or quarter column
        quarters = PART_NAME.match(part)[0].lower().startswith("q")
        text = frame[part].str.upper().str.lstrip("Q")
        if quarters:
            text = text.map({"1": "1", "2": "4", "3": "7", "4": "10"})
        for fmt in ("%Y-%m", "%Y-%b", "%Y-%B"):
            parsed = pd.to_datetime(frame[year] + "-" + text, format=fmt, errors="coerce")
            if parsed.notna().mean() > 0.9:
                parsed, finer = (parsed, []) if quarters else finer_parts(frame, parsed)
                notes.append(Note.keyed("time_from_parts", year=repr(year), part=", ".join(map(repr, [part, *finer]))))
                return parsed, [year, part, *finer]
    hinted = [c for c in frame.columns if TIME_NAME.search(c)]
    for col in dict.fromkeys([*hinted, *frame.columns]):
        found = parse_time(frame[col], col in hinted, col == frame.columns[0])
        if found is not None:
            parsed, how = found
            notes.append(Note.keyed("time_column", column=repr(col)))
            notes.extend([how] if how else [])
            if frame[col].str.contains(ZONE).any():
                notes.append(Note.keyed("utc"))
            return parsed, [col]
    return None, []


def finer_parts(frame: pd.DataFrame, months: pd.Series) -> tuple[pd.Series, list[str]]:
    """Year-month times made finer by a day column, then an hour column (year, month, day, hour files):
    the times, and the columns used. Without them every row of a month would be averaged into one."""
    used = []
    for pattern, unit, low, high in ((DAY_NAME, "D", 1, 31), (HOUR_NAME, "h", 0, 23)):
        col = next((c for c in frame.columns if pattern.match(c)), None)
        numbers = pd.to_numeric(frame[col], errors="coerce") if col else None
        if numbers is None or numbers.between(low, high).mean() <= 0.9 or (numbers.dropna() % 1 != 0).any():
            break
        months = months + pd.to_timedelta(numbers - low, unit=unit)
        used.append(col)
    return months, used


def to_numbers(column: pd.Series, decimal_comma: bool) -> tuple[pd.Series, int, list[str]]:
    """Numbers from text: (values with NaN where missing, count of non-numbers, the keys of the notes on
    what was removed to read them: "thousands", "currency", "percent", "parentheses")."""
    missing = is_missing(column)
    todo = ~missing if decimal_comma else missing & False  # plain numbers need no cleaning (fast path)
    values = pd.to_numeric(column.where(~missing & ~todo), errors="coerce").astype(float)
    todo |= values.isna() & ~missing
    if not todo.any():
        return values, 0, []
    text, removed = undecorate(column[todo].str.replace(GROUPING, "", regex=True))
    sep, point = (".", ",") if decimal_comma else (",", ".")
    removed["thousands"] = text.str.fullmatch(rf"[+-]?\d{{1,3}}(\{sep}\d{{3}})+(\{point}\d*)?([eE][+-]?\d+)?")
    text = text.where(~removed["thousands"], text.str.replace(sep, "", regex=False))
    text = text.str.replace(",", ".", regex=False) if decimal_comma else text
    values[todo] = pd.to_numeric(text, errors="coerce")
    read = values[todo].notna()
    return values, int((values.isna() & ~missing).sum()), [key for key in NUMBER_NOTES if (removed[key] & read).any()]


NUMBER_NOTES = ("thousands", "currency", "percent", "parentheses")  # the order of their notes


def undecorate(text: pd.Series) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Numbers as reports write them, bare: $1,000 and 1.000 € lose their currency sign, 12% its percent sign,
    and (12), a negative number in accounts, becomes -12. Also which cells had each."""
    if not text.str.contains(rf"[%(){CURRENCY}]").any():  # plain numbers (the most files): nothing to do
        return text, dict.fromkeys(NUMBER_NOTES[1:], pd.Series(False, index=text.index))
    removed = {"currency": text.str.contains(rf"^[(+-]*[{CURRENCY}]|[{CURRENCY}]\)?$")}
    text = text.str.replace(rf"^([(+-]*)[{CURRENCY}]|[{CURRENCY}](\)?)$", r"\1\2", regex=True)
    removed["percent"] = text.str.contains(r"\d%\)?$")
    text = text.str.replace(r"(\d)%(\)?)$", r"\1\2", regex=True)
    removed["parentheses"] = text.str.fullmatch(r"\([\d.,][^()]*\)")
    text = text.where(~removed["parentheses"], "-" + text.str.slice(1, -1))
    return text, removed


def uses_decimal_comma(cells: pd.Series, delimiter: str) -> bool:
    """Whether the numbers of a table (its first cells) are written with decimal commas.

    In a semicolon file 3,14 and 1.234,5 are European: a comma is decimal unless decimal points are more
    common. Elsewhere "11,100" (quoted) is eleven thousand: a comma before exactly three digits is a
    thousands separator, and only a cell like 1,5, 3,1415 or 1.234,5 shows a decimal comma.
    """
    bare = undecorate(cells.str.replace(GROUPING, "", regex=True))[0]
    power = r"([eE][+-]?\d+)?"
    points = bare.str.fullmatch(rf"[+-]?[\d,]*\d\.(\d{{1,2}}|\d{{4,}}){power}").sum()
    if delimiter == ";":
        commas = bare.str.fullmatch(rf"[+-]?[\d.]*\d,\d+{power}").sum()
    else:
        commas = bare.str.fullmatch(rf"[+-]?(\d+,(\d{{1,2}}|\d{{4,}})|\d{{1,3}}(\.\d{{3}})+,\d+){power}").sum()
    return commas > points


def values_first(columns: dict[str, pd.Series], notes: list[Note]) -> dict[str, pd.Series]:
    """The numeric columns with a real value first, since the first is the default target: a leading
    column named as time or a counter (t, time, index, step, year, ...) that stayed numeric is dropped if
    it runs in order (it only numbers the rows), or else moved after the others. A lone column stays."""
    columns = dict(columns)
    moved = []
    while len(columns) > 1 and TIME_WORD.fullmatch((name := next(iter(columns))).strip()):
        values = columns.pop(name)
        present = values.dropna()
        if present.is_monotonic_increasing and len(present) > 1:
            notes.append(Note.keyed("counter_dropped", column=repr(name), first=f"{present.iloc[0]:g}",
                                    second=f"{present.iloc[1]:g}"))
        else:
            moved.append(name)
            notes.append(Note.keyed("time_moved_last", column=repr(name)))
            columns[name] = values
        if all(col in moved for col in columns):  # only moved columns left: keep them
            break
    return columns


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
        with np.errstate(over="ignore"):  # an overflow is refused just below
            averaged = frame.groupby(level=0).mean()
        for col in averaged.columns[np.isinf(averaged).any().to_numpy()]:  # the inputs were finite: a sum overflowed
            first = averaged.index[np.isinf(averaged[col]).to_numpy()][0]
            raise data_error("infinite_average", column=repr(col), first=when(first))
        frame = averaged
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
    """Missing values filled by interpolation (in time where the index is time), the ends by the nearest."""
    if (counts := frame.isna().sum()).sum():
        timed = isinstance(frame.index, pd.DatetimeIndex)
        frame = frame.interpolate(method="time" if timed else "linear").ffill().bfill()
        notes.append(Note.keyed("filled_time" if timed else "filled", count=int(counts.sum()),
             columns=", ".join(f"{col!r}: {n}" for col, n in counts.items() if n)))
    return frame


def infer_offset(index: pd.Index):
    """The pandas offset of a DatetimeIndex's steps (MonthBegin, Week(weekday=5), ...), or None.

    pandas 3 returns a string unless the option ``future.infer_freq_returns_offset`` is set, and
    ``pd.option_context`` is not thread-safe: one session leaving it while another reads its dates gave the
    other a string (found by the cluster benchmark, 10 students submitting at once). So no option is
    touched here and either answer is taken."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)  # "will return a BaseOffset" (at worst shown)
        try:
            found = pd.infer_freq(index)
        except (TypeError, ValueError):
            return None
    return to_offset(found) if isinstance(found, str) else found


def infer_freq(index: pd.Index) -> str | None:
    """The pandas frequency string of a DatetimeIndex ("MS", "W-SAT", ...), or None."""
    offset = infer_offset(index)
    return offset.freqstr if offset is not None else None
