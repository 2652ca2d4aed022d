"""The hostile-input corpus: every file in tests/corpus/ loads as EXPECTED.json says, or is refused
with a DataError whose message contains the expected words; never another exception.

Big files (10,000 columns, a 20 MB single line, a file over the 20 MB upload limit) are made at run time.
"""

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from rnncore.data import MAX_BYTES, DataError, load_csv

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "EXPECTED.json").read_text(encoding="utf-8"))


def test_every_corpus_file_has_an_expectation():
    files = {path.name for path in CORPUS.iterdir() if path.name != "EXPECTED.json"}
    assert files == set(EXPECTED)
    assert len(files) >= 30
    assert all((CORPUS / name).stat().st_size < 2048 for name in files)  # keep committed files tiny


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name):
    expected = EXPECTED[name]
    if "refuse" in expected:
        with pytest.raises(DataError) as info:
            load_csv(CORPUS / name)
        assert expected["refuse"] in str(info.value)
        return
    data = load_csv(CORPUS / name)
    assert list(data.frame.columns) == expected["columns"]
    assert len(data.frame) == expected["rows"]
    kind = pd.DatetimeIndex if expected["index"] == "datetime" else pd.RangeIndex
    assert isinstance(data.frame.index, kind)
    assert data.frame.index.is_monotonic_increasing and data.frame.index.is_unique
    assert data.freq == expected.get("freq")
    assert all(dtype == "float64" for dtype in data.frame.dtypes)
    assert data.frame.notna().all().all()
    if "note" in expected:
        assert any(expected["note"] in note for note in data.notes), data.notes


def test_the_same_bytes_load_from_memory_and_from_a_file_object():
    raw = (CORPUS / "semicolon_decimal_comma.csv").read_bytes()
    with open(CORPUS / "semicolon_decimal_comma.csv", "rb") as file:
        from_file = load_csv(file)
    pd.testing.assert_frame_equal(load_csv(raw).frame, from_file.frame)


def refused_quickly(raw, words, seconds=3.0):
    start = time.perf_counter()
    with pytest.raises(DataError, match=words):
        load_csv(raw)
    return time.perf_counter() - start < seconds


def test_ten_thousand_columns_are_refused():
    header = ",".join(f"c{i}" for i in range(10_000))
    assert refused_quickly(f"{header}\n{','.join(['1'] * 10_000)}\n".encode(), "10,000 columns")


def test_a_20_mb_single_line_is_refused_quickly():
    assert refused_quickly(b"1.5," * (MAX_BYTES // 4 - 1), "longer than")


def test_a_file_over_the_upload_limit_is_refused(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"v\n" + b"123456\n" * (MAX_BYTES // 7 + 1))
    assert refused_quickly(path, "over the limit of 20 MB")
    with open(path, "rb") as file:
        assert refused_quickly(file, "over the limit of 20 MB")
