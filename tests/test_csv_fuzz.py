"""load_csv fuzzed with hypothesis: mutated real files load or are refused with a DataError, never
anything else, quickly; frames written in any supported CSV dialect read back equal.

Deterministic (derandomize, no example database): CI runs the same examples every time.
"""

import codecs
import csv
import io
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncore.data import DataError, Dataset, load_csv
from rnncore.messages import DATA_MESSAGES, DATA_NOTES

ROOT = Path(__file__).parent.parent
SLOWEST = 10.0  # seconds one load may take
FUZZ = settings(derandomize=True, database=None, deadline=SLOWEST * 1000, max_examples=300)
ROUND_TRIP = settings(FUZZ, max_examples=150)


def head(raw: bytes, size: int = 3000) -> bytes:
    """The first lines of a file (whole lines, about ``size`` bytes): the big samples mutate as fast as the rest."""
    return raw if len(raw) <= size else raw[:raw.rfind(b"\n", 0, size) + 1]


SEEDS = {path.name: head(path.read_bytes())
         for path in sorted([*(ROOT / "sample_data").glob("*.csv"), *(ROOT / "tests" / "corpus").glob("*.csv")])}
TOKENS = [b",", b";", b"\t", b"|", b'"', b"'", b"\n", b"\r\n", b"\r", b"\x00", b" ", b"#", b"sep=;\n", b"%", b"(",
          b")", b"$", b"-", b".", b"e", b"1e309", b"-1e39", b"NaN", b"inf", b"1,5", b"1.000,5", b"2020-W53",
          b"13/13/2020", "٣".encode(), "３".encode(), "年".encode(), b"\xff", b"\xfe", codecs.BOM_UTF8,
          codecs.BOM_UTF16_LE, b"<html>", b"\\", b"\x1a"]


def check(raw: bytes) -> Dataset | None:
    """load_csv gives a clean Dataset or refuses with a keyed DataError (None); nothing else escapes; it is quick."""
    start = time.perf_counter()
    try:
        data = load_csv(raw)
    except DataError as error:
        assert error.key in DATA_MESSAGES and DATA_MESSAGES[error.key].format(**error.details) == str(error)
        return None
    finally:
        assert time.perf_counter() - start < SLOWEST
    frame = data.frame
    assert len(frame) >= 10 and frame.shape[1] >= 1
    assert all(dtype == "float64" for dtype in frame.dtypes)
    values = frame.to_numpy()
    assert np.isfinite(values).all() and (np.abs(values) <= np.finfo(np.float32).max).all()
    assert isinstance(frame.index, pd.DatetimeIndex | pd.RangeIndex)
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    for note in data.notes:
        assert note.key in DATA_NOTES and DATA_NOTES[note.key].format(**note.details) == note
    return data


# (a) real files, mutated


@st.composite
def mutated(draw) -> bytes:
    """A real CSV file after one to four random edits."""
    raw = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(raw)))
        edit = draw(st.sampled_from(["flip", "truncate", "insert", "token", "delete", "line", "delimiter", "bom",
                                     "encoding"]))
        if edit == "flip" and where < len(raw):
            raw[where] ^= 1 << draw(st.integers(0, 7))
        elif edit == "truncate":
            del raw[where:]
        elif edit == "insert":
            raw[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif edit == "token":
            raw[where:where] = draw(st.sampled_from(TOKENS))
        elif edit == "delete":
            del raw[where:where + draw(st.integers(1, 16))]
        elif edit == "line":  # a line repeated
            lines = bytes(raw).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            raw = bytearray(b"\n".join([*lines[:i], lines[i], *lines[i:]]))
        elif edit == "delimiter":  # every comma (or semicolon) becomes another delimiter or a quote
            old, new = draw(st.sampled_from([b",", b";"])), draw(st.sampled_from([b";", b"\t", b"|", b'"', b",", b" "]))
            raw = bytearray(bytes(raw).replace(old, new))
        elif edit == "bom":
            raw[0:0] = draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]))
        elif edit == "encoding":
            text = bytes(raw).decode("utf-8", errors="replace")
            raw = bytearray(text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "latin-1",
                                                              "cp1252", "utf-8-sig"])), errors="replace"))
    return bytes(raw)


@FUZZ
@given(mutated())
def test_mutated_real_files_load_or_are_refused_with_a_data_error(raw):
    check(raw)


@FUZZ
@given(st.binary(max_size=400) | st.text(alphabet="0123456789,;.-\t\n\"#%$()eE WNa", max_size=400).map(str.encode))
def test_noise_loads_or_is_refused_with_a_data_error(raw):
    check(raw)


# (b) frames written in many dialects, read back


def _weeks(stamps):
    return [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in stamps]


# how a time column is written: its format, frequency, a name it is read under, and whether it is read without
# a header (numbers are time only under a telling name; "Jan 2020" on the first line reads as a header)
TIMES = {
    "iso date": ("%Y-%m-%d", "D", "date", True),
    "iso weekly": ("%Y-%m-%d", "W-SUN", "Date", True),
    "iso hours": ("%Y-%m-%d %H:%M:%S", "h", "time", True),
    "iso T": ("%Y-%m-%dT%H:%M", "h", "timestamp", True),
    "german": ("%d.%m.%Y", "D", "Datum", True),
    "us daily": ("%m/%d/%Y", "D", "date", True),
    "uk daily": ("%d/%m/%Y", "D", "date", True),
    "us monthly": ("%m/%d/%Y", "MS", "date", True),
    "uk monthly": ("%d/%m/%Y", "MS", "date", True),
    "yyyymmdd": ("%Y%m%d", "W-SAT", "date", True),
    "year-month": ("%Y-%m", "MS", "month", True),
    "years": ("%Y", "YS", "year", True),
    "month names": ("%b %Y", "MS", "period", False),
    "epoch seconds": (lambda s: [str(int(d.timestamp())) for d in s], "h", "timestamp", False),
    "epoch ms": (lambda s: [str(int(d.timestamp()) * 1000) for d in s], "D", "time", False),
    "excel": (lambda s: [str((d - pd.Timestamp("1899-12-30")).days) for d in s], "D", "date", False),
    "yyyymm": ("%Y%m", "MS", "period", False),
    "iso weeks": (_weeks, "W-MON", "week", False),
    "cjk months": (lambda s: [f"{d.year}年{d.month}月" for d in s], "MS", "时间", True),
}
NAMES = ["sales", "temp", "load", "price", "Größe", "value", "co2", "rain"]
DIALECTS = {"comma": (",", "."), "semicolon": (";", ","), "tab": ("\t", "."), "pipe": ("|", ".")}
QUOTING = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "latin-1"]

values = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False), st.integers(-10**6, 10**6).map(float),
    st.floats(1e20, 1e30) | st.floats(-1e30, -1e20), st.floats(1e-30, 1e-10) | st.floats(-1e-10, -1e-30),
    st.just(float("nan")))


@st.composite
def frames(draw, freq: str) -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    """A time index of frequency ``freq`` and 1-4 numeric columns, each with at least two numbers."""
    rows = draw(st.integers(13, 40))
    start = pd.Timestamp(draw(st.datetimes(pd.Timestamp("1990-01-01"), pd.Timestamp("2030-01-01"))))
    stamps = pd.date_range(start.floor("h") if freq == "h" else start.normalize(), periods=rows, freq=freq)
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    columns = {}
    for name in names:
        column = draw(st.lists(values, min_size=rows, max_size=rows))
        column[:2] = [draw(values.filter(lambda v: not math.isnan(v))) for _ in range(2)]  # never an all-missing column
        columns[name] = draw(st.permutations(column))
    return stamps, pd.DataFrame(columns, index=stamps)


def number(value: float, point: str) -> str:
    """A number as a spreadsheet writes it: whole numbers without a point, others shortest round-trip."""
    text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return text.replace(".", point)


@st.composite
def written(draw):
    """A frame written in a random dialect: (the bytes, the time index, the frame, column names expected)."""
    kind = draw(st.sampled_from(sorted(TIMES)))
    fmt, freq, time_name, headerless_ok = TIMES[kind]
    stamps, frame = draw(frames(freq))
    delimiter, point = DIALECTS[draw(st.sampled_from(sorted(DIALECTS)))]
    header = not headerless_ok or draw(st.booleans())
    missing = draw(st.sampled_from(["", "NA", "nan", "n/a"]))
    times = stamps.strftime(fmt) if isinstance(fmt, str) else fmt(stamps)
    cells = [[t, *(missing if math.isnan(v) else number(v, point) for v in row)]
             for t, row in zip(times, frame.itertuples(index=False), strict=True)]
    if not header:  # the first line must read as data: no missing cells
        cells[0] = [cells[0][0], *(number(v, point) for v in frame.iloc[0].fillna(1.0))]
        frame.iloc[0] = frame.iloc[0].fillna(1.0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=draw(st.sampled_from(QUOTING)),
                        lineterminator=draw(st.sampled_from(["\n", "\r\n"])), escapechar=None)
    if header:
        writer.writerow([time_name, *frame.columns])
    writer.writerows(cells)
    encoding = draw(st.sampled_from(ENCODINGS))
    try:
        raw = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:  # 时间 has no Latin-1
        raw = buffer.getvalue().encode("utf-8")
    names = list(frame.columns) if header else [f"column {i + 2}" for i in range(frame.shape[1])]
    return raw, stamps, frame, names


@ROUND_TRIP
@given(written())
def test_frames_written_in_any_dialect_read_back_equal(case):
    raw, stamps, frame, names = case
    data = check(raw)
    assert data is not None, raw[:300]
    assert list(data.frame.columns) == names
    assert len(data.frame) == len(stamps)
    assert list(data.frame.index) == list(stamps)
    for name, (_, original) in zip(names, frame.items(), strict=True):
        known = original.notna().to_numpy()
        read = data.frame[name].to_numpy()[known]
        np.testing.assert_allclose(read, original.to_numpy()[known], rtol=1e-12, atol=0)


def test_the_seeds_are_the_sample_and_corpus_files():
    assert {"airline_passengers.csv", "co2.csv", "comma_iso_dates.csv", "utf16_bom.csv"} <= set(SEEDS)


@pytest.mark.parametrize("kind", sorted(TIMES))
def test_each_time_format_reads_back(kind):
    fmt, freq, time_name, _ = TIMES[kind]
    stamps = pd.date_range("2019-12-30", periods=20, freq=freq)
    times = stamps.strftime(fmt) if isinstance(fmt, str) else fmt(stamps)
    raw = (f"{time_name},v\n" + "".join(f"{t},{i}\n" for i, t in enumerate(times))).encode()
    data = load_csv(raw)
    assert list(data.frame.index) == list(stamps) and data.frame["v"].tolist() == list(range(20))


# (c) legacy encodings: Western text read as before; Chinese and Japanese files read as their writers meant them

ACCENTED = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝœŒšŠžŽ"
UNITS = ["", " (°C)", " (€)", " (£m)", " (m²)", " (µg/m³)", " ±", " –"]


@st.composite
def western_word(draw) -> str:
    """A word of a Western language: ASCII letters with up to two accented letters among them, or one accented
    letter alone (à, é)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(ACCENTED))
    letters = draw(st.lists(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=1,
                            max_size=9))
    for _ in range(draw(st.integers(0, 2))):
        letters.insert(draw(st.integers(0, len(letters))), draw(st.sampled_from(ACCENTED)))
    return "".join(letters)


@st.composite
def western_cell(draw) -> str:
    words = " ".join(draw(st.lists(western_word(), min_size=1, max_size=3)))
    return (f"“{words}”" if draw(st.booleans()) and len(words) > 1 else words) + draw(st.sampled_from(UNITS))


@ROUND_TRIP
@given(st.lists(western_cell(), min_size=1, max_size=4, unique=True), st.sampled_from(["utf-8", "cp1252"]))
def test_western_accented_text_reads_as_it_always_did(names, encoding):
    text = "time," + ",".join(f'"{name}"' for name in names) + "\n"
    text += "".join(f"{2000 + i}," + ",".join(str(i + k) for k in range(len(names))) + "\n" for i in range(12))
    data = check(text.encode(encoding))
    assert list(data.frame.columns) == names
    keys = [note.key for note in data.notes]
    assert ("read_latin1" in keys) == (encoding == "cp1252") and "read_as" not in keys


CJK_WORDS = {  # real column names and values, as a teacher's spreadsheet holds them
    "gb18030": ("日期 销售额 地区 数量 价格 温度 降雨量 人口 收入 北京 上海 广州 学生 姓名 成绩 "
                "总计 平均 营业额 客户 产品 订单 王小明 李华 张伟 电力 需求 气温（摄氏度） 降水量（毫米）").split(),
    "cp950": ("日期 銷售額 地區 數量 價格 溫度 降雨量 人口 收入 臺北 臺中 學生 姓名 成績 總計 "
              "平均 營業額 客戶 產品 訂單 王小明 陳大文 電力 需求 氣溫（攝氏） 雨量（毫米）").split(),
    "cp932": ("日付 売上 気温 降水量 人口 東京 大阪 名前 数量 価格 合計 平均 店舗 商品 地域 "
              "時刻 電力 需要 田中 鈴木 佐藤 データ 東京都 横浜 売上高 気温（℃）").split(),
}
CJK_NAMES = {"gb18030": "GB18030", "cp950": "Big5", "cp932": "Shift-JIS"}
CJK_DATES = {"年月": lambda d: f"{d.year}年{d.month}月", "年月日": lambda d: f"{d.year}年{d.month}月{d.day}日",
             "slash": lambda d: f"{d.year}/{d.month}"}


@ROUND_TRIP
@given(st.sampled_from(sorted(CJK_WORDS)).flatmap(lambda codec: st.tuples(
    st.just(codec), st.lists(st.sampled_from(CJK_WORDS[codec]), min_size=2, max_size=4, unique=True),
    st.sampled_from(sorted(CJK_DATES)), st.booleans())))
def test_chinese_and_japanese_files_read_as_their_writers_meant(case):
    codec, (time_name, *names), dates, with_words = case
    freq = "D" if dates == "年月日" else "MS"
    stamps = pd.date_range("2018-01-01", periods=14, freq=freq)
    words = CJK_WORDS[codec]
    rows = [[CJK_DATES[dates](d), *(str(i * 3 + k) for k in range(len(names))), *([words[i % len(words)]] if with_words
                                                                                   else [])]
            for i, d in enumerate(stamps)]
    header = [time_name, *names, *(["备注" if codec == "gb18030" else "備考"] if with_words else [])]
    text = "\r\n".join(",".join(row) for row in [header, *rows]) + "\r\n"
    data = check(text.encode(codec))
    assert list(data.frame.columns) == names
    assert list(data.frame.index) == list(stamps)
    assert data.frame[names[0]].tolist() == [i * 3 for i in range(len(stamps))]
    assert f"read as {CJK_NAMES[codec]} text" in data.notes


def test_a_gb18030_file_from_excel_keeps_its_chinese_names_and_its_months():
    raw = ("日期,销售额\r\n" + "".join(f"2018年{m}月,{100 + m}\r\n" for m in range(1, 13))).encode("gb18030")
    data = load_csv(raw)
    assert list(data.frame.columns) == ["销售额"] and data.frame.index[0] == pd.Timestamp("2018-01-01")
    assert "read as GB18030 text" in data.notes and "column '日期' used as the time axis" in data.notes


def test_a_file_that_two_encodings_read_says_which_it_chose():
    raw = ("高雄,v\n" + "".join(f"{i},{i}\n" for i in range(12))).encode("cp950")  # GB18030 reads it too: 边坌
    data = load_csv(raw)
    doubt = [note for note in data.notes if note.key == "encoding_doubt"]
    assert len(doubt) == 1 and {doubt[0].details["encoding"], doubt[0].details["other"]} == {"GB18030", "Big5"}
    assert f"read as {doubt[0].details['encoding']} text" in data.notes
