"""rnncore.data: load_csv on real-world CSV quirks, refusals with actionable messages, samples, sources."""

import io
import time
import zipfile

import numpy as np
import pandas as pd
import pytest

from rnncore.data import (
    DataError,
    Dataset,
    describe,
    infer_period,
    list_samples,
    load_csv,
    load_sample,
    load_source,
    sample_description,
)
from rnncore.messages import DATA_MESSAGES, DATA_NOTES


def csv_bytes(header, rows, encoding="utf-8"):
    return (header + "\n" + "\n".join(rows) + "\n").encode(encoding)


def daily(n=20, fmt="2020-01-{:02d}"):
    return [fmt.format(i + 1) for i in range(n)]


def keyed(error: DataError) -> DataError:
    """The error's key and details say what its text says (a page translates them)."""
    assert error.key in DATA_MESSAGES, error.key
    assert DATA_MESSAGES[error.key].format(**error.details) == str(error)
    return error


def keyed_notes(data: Dataset) -> Dataset:
    """Every note of load_csv has its key and details next to it, in the same order."""
    for note in data.notes:
        assert note.key in DATA_NOTES and DATA_NOTES[note.key].format(**note.details) == note, (note.key, note)
    return data


def test_plain_monthly_file_keeps_values_and_infers_frequency():
    data = load_csv(csv_bytes("Date,Passengers", [f"1949-{m:02d},{100 + m}" for m in range(1, 13)]))
    assert list(data.frame.columns) == ["Passengers"]
    assert isinstance(data.frame.index, pd.DatetimeIndex)
    assert data.frame.index[0] == pd.Timestamp("1949-01-01")
    assert data.frame["Passengers"].tolist() == [100.0 + m for m in range(1, 13)]
    assert data.freq == "MS" and data.period == 12
    assert any("'Date'" in note and "time axis" in note for note in data.notes)
    assert [(n.key, n.details) for n in keyed_notes(data).notes] == [("time_column", {"column": "'Date'"})]


@pytest.mark.parametrize("header, values, first", [
    ("date", [f"{d:%Y%m%d}" for d in pd.date_range("1958-03-29", periods=12, freq="W-SAT")], "1958-03-29"),
    ("quarter", [f"{1970 + i // 4} Q{i % 4 + 1}" for i in range(12)], "1970-01-01"),
    ("month", list(pd.date_range("1991-07", periods=12, freq="MS").strftime("%Y %b")), "1991-07-01"),
    ("Date", [f"Jan-{d}-1995" for d in range(1, 13)], "1995-01-01"),
    ("YEAR", [str(1700 + i) for i in range(12)], "1700-01-01"),
    ("when", [f"2021-03-{d:02d} 10:30:00" for d in range(1, 13)], "2021-03-01 10:30"),
    ("Datum", [f"{d:02d}.02.2020" for d in range(1, 13)], "2020-02-01"),
])
def test_time_formats_are_recognised(header, values, first):
    data = load_csv(csv_bytes(f"{header},v", [f"{t},{i}" for i, t in enumerate(values)]))
    assert isinstance(data.frame.index, pd.DatetimeIndex)
    assert data.frame.index[0] == pd.Timestamp(first)
    assert list(data.frame.columns) == ["v"]


def test_timezone_aware_timestamps_become_utc_with_a_note():
    rows = [f"2020-03-{d:02d}T10:00:00+01:00,{d}" for d in range(1, 13)]
    data = keyed_notes(load_csv(csv_bytes("time,v", rows)))
    assert data.frame.index.tz is None and data.frame.index[0] == pd.Timestamp("2020-03-01 09:00")
    assert any("UTC" in note for note in data.notes)


@pytest.mark.parametrize("part, values, freq", [
    ("month", [str(i % 12 + 1) for i in range(24)], "MS"),
    ("Quarter", [f"Q{i % 4 + 1}" for i in range(24)], "QS-JAN"),
])
def test_year_plus_month_or_quarter_columns_make_the_time_axis(part, values, freq):
    years = [1990 + i // (12 if part == "month" else 4) for i in range(24)]
    rows = [f"{y},{p},{i}" for i, (y, p) in enumerate(zip(years, values, strict=True))]
    data = keyed_notes(load_csv(csv_bytes(f"year,{part},sales", rows)))
    assert list(data.frame.columns) == ["sales"] and data.freq == freq
    assert any("'year'" in note for note in data.notes)


def test_plain_year_column_without_a_telling_name_is_time_but_ordinary_numbers_are_not():
    years = load_csv(csv_bytes("x,v", [f"{1700 + i},{i % 5}" for i in range(30)]))
    assert isinstance(years.frame.index, pd.DatetimeIndex) and years.freq == "YS-JAN"
    prices = keyed_notes(load_csv(csv_bytes("price,volume", [f"{1000 + 37 * i},{i}" for i in range(30)])))
    assert isinstance(prices.frame.index, pd.RangeIndex)
    assert list(prices.frame.columns) == ["price", "volume"]
    assert any("no time column" in note for note in prices.notes)


def test_semicolons_decimal_commas_thousands_and_text_columns():
    rows = [f"{d:02d}.01.2020;1.{d:03d},5;label" for d in range(1, 13)]
    data = keyed_notes(load_csv(csv_bytes("Datum;Wert;Kommentar", rows)))
    assert list(data.frame.columns) == ["Wert"]
    assert data.frame["Wert"].iloc[0] == pytest.approx(1001.5)
    notes = " | ".join(data.notes)
    assert "semicolons" in notes and "decimal commas" in notes and "thousands" in notes
    assert "'Kommentar'" in notes


def test_quoted_thousands_separators_in_a_comma_file():
    data = load_csv(csv_bytes("date,v", [f'2020-01-{d:02d},"1,{d:03d}.25"' for d in range(1, 13)]))
    assert data.frame["v"].iloc[-1] == pytest.approx(1012.25)


ENCODINGS = [("utf-8-sig", None), ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("latin-1", "Latin-1"),
             ("cp1252", "Latin-1")]


@pytest.mark.parametrize("encoding, note", ENCODINGS)
def test_encodings(encoding, note):
    raw = csv_bytes("Zeit\tGröße €" if encoding != "latin-1" else "Zeit\tGröße",
                    [f"{t}\t{i}" for i, t in enumerate(daily(12))], encoding)
    data = keyed_notes(load_csv(raw))
    assert data.frame.columns[0].startswith("Größe")
    assert len(data.frame) == 12
    assert (note is None) == all("read as" not in n for n in data.notes)
    if note:
        assert any(note in n for n in data.notes)


def test_unsorted_rows_are_sorted_and_duplicates_averaged_with_notes():
    rows = [f"{t},{i}" for i, t in enumerate(daily(12))][::-1] + ["2020-01-03,100"]
    data = keyed_notes(load_csv(csv_bytes("date,v", rows)))
    assert data.frame.index.is_monotonic_increasing and data.frame.index.is_unique
    assert data.frame.loc["2020-01-03", "v"] == pytest.approx((2 + 100) / 2)
    assert any("sorted" in note for note in data.notes)
    assert any("averaged" in note and "2020-01-03" in note for note in data.notes)


def test_missing_markers_and_gaps_are_interpolated_in_time_and_counted():
    markers = {2: "", 4: "NA", 5: "n/a", 7: "-", 8: "?"}
    rows = [f"2020-{m:02d}-01,{markers.get(m, m * 10)}" for m in range(1, 13) if m != 10]
    data = keyed_notes(load_csv(csv_bytes("date,v", rows)))
    assert len(data.frame) == 12 and data.freq == "MS"
    assert data.frame["v"].notna().all()
    assert data.frame.loc["2020-10-01", "v"] == pytest.approx(100, abs=2)  # between 90 and 110
    assert data.frame.loc["2020-02-01", "v"] == pytest.approx(10 + 20 * 31 / 60, rel=1e-6)  # by time
    notes = " | ".join(data.notes)
    assert "1 missing time step" in notes and "filled 6 missing value" in notes


def test_unnamed_index_column_is_dropped():
    frame = pd.DataFrame({"v": np.arange(12.0)}, index=pd.RangeIndex(12))
    data = keyed_notes(load_csv(frame.to_csv().encode()))
    assert list(data.frame.columns) == ["v"] and any("row numbers" in note for note in data.notes)


def test_column_names_are_plain_stripped_strings():
    header = " <b>when</b> ,  <script>x</script> , 2020 "
    data = load_csv(csv_bytes(header, [f"{i},{i},{i}" for i in range(12)]))
    assert list(data.frame.columns) == ["<b>when</b>", "<script>x</script>", "2020"]
    assert all(type(c) is str for c in data.frame.columns)


@pytest.mark.parametrize("raw, message", [
    (b"", "empty"),
    (b"date,v\n", "no rows of data"),
    (b"date,v\n2020-01-01,1\n", "at least 10 rows"),
    (b"a,b\n" + b"x,y\n" * 20, "no column of numbers"),
    (csv_bytes("date,v", [f"2020-01-{d:02d},NA" for d in range(1, 13)]), "all values are missing"),
    (b"v\n" + b"1\n" * 12 + b"inf\n", "infinite"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 200, "Excel"),
    (b"date,v\n2020-01-01,\x001\n", "binary"),
    (b"<!DOCTYPE html>\n<html><body><table></table></body></html>", "HTML"),
    (b"a,b\n1,2\n3,4,5,6\n" + b"1,2\n" * 12, "as many fields as the header"),
])
def test_unusable_files_raise_data_error_with_advice(raw, message):
    with pytest.raises(DataError, match=message) as info:
        load_csv(raw)
    keyed(info.value)
    assert ";" in str(info.value) or "." in str(info.value)  # problem, then what to do
    assert "\n" not in str(info.value)


def test_xlsx_saved_as_csv_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DataError, match="save it as 'CSV") as info:
        load_csv(buffer.getvalue())
    assert keyed(info.value).key == "file_xlsx"


def test_limits_on_size_rows_and_columns():
    with pytest.raises(DataError, match="over the limit of 200") as columns:
        load_csv(csv_bytes(",".join(f"c{i}" for i in range(201)), [",".join("1" * 201)] * 12))
    with pytest.raises(DataError, match="rows, over the limit of 50") as rows:
        load_csv(csv_bytes("v", [str(i) for i in range(60)]), max_rows=50)
    with pytest.raises(DataError, match="over the limit of 1 MB") as size:
        load_csv(b"v\n" + b"1\n" * 600_000, max_bytes=1_000_000)
    assert keyed(columns.value).details == {"columns": "201", "limit": 200}
    assert keyed(rows.value).details == {"rows": "60", "limit": "50"}
    assert keyed(size.value).details == {"limit": "1"}
    assert len(load_csv(csv_bytes("v", [str(i) for i in range(5)]), min_rows=5).frame) == 5


def test_a_huge_single_line_is_refused_quickly():
    start = time.perf_counter()
    with pytest.raises(DataError, match="longer than") as info:
        load_csv(b"1;" * 5_000_000)
    assert keyed(info.value).details == {"limit": "100,000"}
    assert time.perf_counter() - start < 2


def test_unexpected_errors_are_wrapped(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(pd, "read_csv", broken)
    with pytest.raises(DataError, match="boom") as info:
        load_csv(csv_bytes("v", ["1"] * 12))
    assert keyed(info.value).key == "unreadable" and info.value.details == {"detail": "boom"}


def test_sources_path_file_object_and_missing_path(tmp_path):
    path = tmp_path / "my series.csv"
    path.write_bytes(csv_bytes("date,v", [f"{t},{i}" for i, t in enumerate(daily(12))]))
    assert load_csv(path).name == "my series"
    assert load_csv(str(path), name="x").name == "x"
    with open(path, "rb") as file:
        assert load_csv(file).frame.shape == (12, 1)
    assert load_source(str(path)).frame.shape == (12, 1)
    with pytest.raises(DataError, match="no file at") as info:
        load_csv(tmp_path / "absent.csv")
    assert keyed(info.value).key == "no_file"


def test_samples_load_with_descriptions_and_periods():
    assert list_samples()[0] == "airline_passengers"
    expected = {"airline_passengers": (144, 1, "MS", 12), "sunspots": (309, 1, "YS-JAN", 11),
                "stocks": (105, 6, "W-MON", None), "co2": (2284, 1, "W-SAT", 52)}
    assert set(list_samples()) == set(expected)
    for name, (rows, columns, freq, period) in expected.items():
        data = load_sample(name)
        assert data.frame.shape == (rows, columns) and data.freq == freq and data.period == period
        assert data.description == sample_description(name) and len(data.description) > 20
        assert np.isfinite(data.frame.to_numpy()).all()
    assert any("filled 59 missing" in note for note in keyed_notes(load_sample("co2")).notes)
    with pytest.raises(DataError, match="airline_passengers") as info:
        load_sample("nope")
    assert keyed(info.value).details["name"] == "'nope'"


def test_load_source_dispatches_samples_generators_and_files(tmp_path):
    from rnncore.data import generate

    assert load_source("sample:sunspots").name == "sunspots"
    made = load_source("synthetic:sine", {"length": 50, "seed": 3})
    assert made.name == "sine" and made.frame.equals(generate("sine", length=50, seed=3).frame)
    content = csv_bytes("v", [str(i % 5) for i in range(30)])
    uploaded = load_source("mine.csv", content=content)  # an upload: the bytes, named by the file
    assert uploaded.name == "mine.csv" and len(uploaded.frame) == 30
    (tmp_path / "mine.csv").write_bytes(content)
    assert load_source(str(tmp_path / "mine.csv")).frame.equals(uploaded.frame)
    with pytest.raises(DataError, match="unknown sample") as info:
        load_source("sample:missing")
    assert keyed(info.value).key == "unknown_sample"


@pytest.mark.parametrize("freq, period", [("MS", 12), ("QS", 4), ("D", 7), ("h", 24), ("W-SUN", 52),
                                          ("YS", None), ("2h", 12), ("7h", None)])
def test_infer_period(freq, period):
    index = pd.date_range("2000", periods=30, freq=freq)
    assert infer_period(pd.DataFrame({"v": range(30)}, index=index)) == period
    assert infer_period(pd.DataFrame({"v": range(30)})) is None


def test_describe_lists_columns_time_range_rows_and_notes():
    text = describe(load_sample("co2"))
    assert "2284 rows" in text and "1958-03-29 to 2001-12-29" in text and "W-SAT" in text
    assert "co2: min" in text and "filled 59 missing" in text
    plain = describe(load_csv(csv_bytes("a", [str(i) for i in range(12)]), name="plain"))
    assert "plain: 12 rows" in plain and "time: none" in plain


def test_data_errors_and_notes_from_elsewhere_keep_working_without_keys():
    error = DataError("something else went wrong; try again")
    assert str(error) == "something else went wrong; try again" and error.key is None and error.details == {}
    data = Dataset(pd.DataFrame({"v": [1.0]}), "generated", notes=["a sine wave of period 12"])
    assert [(n.key, n.details) for n in data.notes] == [("", {})]  # no key: shown as written



def test_reading_dates_in_many_threads_at_once_gives_every_thread_an_offset():
    """Found by the cluster benchmark: pd.option_context is process-wide, so one session leaving it while
    another read its dates handed the other a string ('str' object has no attribute 'freqstr')."""
    import threading

    import pandas as pd

    from rnncore.data.cleaning import infer_freq

    index = pd.date_range("2000-01-01", periods=48, freq="MS")
    answers, errors = [], []

    def read() -> None:
        try:
            for _ in range(200):
                answers.append(infer_freq(index))
        except Exception as exc:  # noqa: BLE001 (the failure under test)
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and set(answers) == {"MS"}
