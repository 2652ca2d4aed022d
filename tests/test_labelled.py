"""Labelled sequences (rnncore.data.labelled): the wide and long layouts, the label found or
chosen, every broken file refused with its key, the bundled and generated sets, the stratified split."""

from __future__ import annotations

import numpy as np
import pytest

from rnncore.config import ExperimentConfig
from rnncore.data.labelled import (
    LABELLED_GENERATORS,
    MIN_PER_CLASS,
    generate_labelled,
    load_labelled,
    read_labelled,
    split_labelled,
)
from rnncore.errors import ConfigError, DataError
from rnncore.messages import DATA_MESSAGES

WIDE = "label,t1,t2,t3\n" + "".join(f"{'ab'[i % 2]},{i},{i + 1},{i + 2}\n" for i in range(12))


def long_csv(rows: list[tuple]) -> bytes:
    return ("sequence_id,step,x,y,label\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)).encode()


def long_rows(sequences: int = 9, steps: int = 4) -> list[tuple]:
    return [(f"s{s}", t, s + t, -t, "up" if s % 3 else "down") for s in range(sequences) for t in range(steps)]


def test_the_wide_layout_reads_one_sequence_a_row_with_its_label():
    data = read_labelled(WIDE.encode())
    assert data.layout == "wide" and data.label == "label" and data.classes == ("a", "b")
    assert data.x.shape == (12, 3, 1) and data.x.dtype == np.float32 and data.features == ("value",)
    assert data.x[3, :, 0].tolist() == [3, 4, 5] and data.classes[data.labels[3]] == "b"
    assert data.counts == {"a": 6, "b": 6}


def test_a_ucr_file_without_a_header_takes_its_first_column_as_the_label_and_says_so():
    body = "".join(f"{1 + i % 2}.0,{i * 0.5},{-i},{i}\n" for i in range(12))
    data = read_labelled(body.encode())
    assert data.classes == ("1", "2") and data.x.shape == (12, 3, 1)  # 1.0 and 2.0 read as the classes 1 and 2
    assert any(note.key == "label_guessed" for note in data.notes)


def test_numeric_labels_sort_as_numbers_and_semicolons_with_decimal_commas_are_read():
    body = "class;a;b\n" + "".join(f"{[2, 10, 1][i % 3]};{i},5;1\n" for i in range(9))
    data = read_labelled(body.encode())
    assert data.classes == ("1", "2", "10") and data.x[1, 0, 0] == pytest.approx(1.5)


def test_the_label_can_be_chosen_by_name_in_any_case():
    body = "id,kind,v1,v2\n" + "".join(f"{i},{'xy'[i % 2]},{i},{i}\n" for i in range(8))
    data = read_labelled(body.encode(), label="KIND")
    assert data.label == "kind" and data.x.shape == (8, 2, 1)  # the id column is not a step
    assert any(note.key == "labelled_id_dropped" for note in data.notes)


def test_the_long_layout_groups_rows_by_sequence_in_step_order():
    rows = long_rows()
    rows = rows[::-1]  # steps out of order in the file: sorted by step within each sequence
    data = read_labelled(long_csv(rows))
    assert data.layout == "long" and data.x.shape == (9, 4, 2) and data.features == ("x", "y")
    first = data.x[0]  # sequence s0 (ids in sorted order), steps 0..3
    assert first[:, 0].tolist() == [0, 1, 2, 3] and first[:, 1].tolist() == [0, -1, -2, -3]
    assert data.counts == {"down": 3, "up": 6}


BROKEN = [
    (b"", "empty_file"),
    (b"PK\x03\x04rest of a workbook", "file_xlsx"),
    (WIDE.replace("label", "kind").encode(), "unknown_label"),  # --label label, there is none: see below
    ("time,value\n" + "".join(f"{i},{i * 1.5}\n" for i in range(80)), "no_label"),
    (WIDE.replace("b,3,4,5", ",3,4,5"), "label_missing"),
    ("label,t1,t2\n" + "".join(f"a,{i},{i}\n" for i in range(6)), "one_class"),
    ("label,t1,t2\n" + "".join(f"c{i},{i},{i}\n" for i in range(60)), "too_many_classes"),
    (WIDE.replace("b,3,4,5", "b,3,four,5"), "not_a_number"),
    (WIDE.replace("b,3,4,5", "b,3,4,"), "sequence_gap"),
    ("label,t1\n" + "".join(f"{'ab'[i % 2]},{i}\n" for i in range(8)), "few_steps"),
    (WIDE.replace("b,3,4,5", "b,3,4,1e300"), "labelled_not_finite"),
    ("label,t1,t2\n" + "".join(f"{'a' if i else 'b'},{i},{i}\n" for i in range(8)), "few_in_class"),
    (long_csv(long_rows()[:-1]), "ragged"),
    (long_csv([r if r[:2] != ("s1", 2) else (*r[:4], "down") for r in long_rows()]), "label_changes"),
    (long_csv([r if r[:2] != ("s1", 2) else (*r[:2], "", r[3], r[4]) for r in long_rows()]), "long_gap"),
    (b"sequence_id,step,label\n" + b"".join(b"s%d,%d,%s\n" % (s, t, b"ab"[s % 2:s % 2 + 1])
                                           for s in range(6) for t in range(3)), "no_features"),
]


@pytest.mark.parametrize(("content", "key"), BROKEN, ids=[key for _, key in BROKEN])
def test_a_file_that_cannot_be_used_is_refused_with_what_to_do(content, key):
    content = content.encode() if isinstance(content, str) else content
    with pytest.raises(DataError) as caught:
        read_labelled(content, label="label" if key == "unknown_label" else None)
    assert caught.value.key == key, str(caught.value)
    assert str(caught.value) == DATA_MESSAGES[key].format(**caught.value.details)


def test_the_bundled_set_is_real_power_demand_in_two_seasons():
    data = load_labelled("sample:italy_power_demand")
    assert data.x.shape == (1096, 24, 1) and data.classes == ("apr_to_sep", "oct_to_mar")
    assert data.counts == {"apr_to_sep": 549, "oct_to_mar": 547} and data.label == "season"
    with pytest.raises(DataError) as caught:
        load_labelled("sample:gunpoint")
    assert caught.value.key == "unknown_sample" and "italy_power_demand" in str(caught.value)
    with pytest.raises(DataError) as caught:
        load_labelled("/no/such/file.csv")
    assert caught.value.key == "no_file"


@pytest.mark.parametrize("name", list(LABELLED_GENERATORS))
def test_a_generated_set_is_seeded_and_its_parameters_are_checked(name):
    one, again = generate_labelled(name, seed=3, samples=60, steps=12), generate_labelled(name, seed=3, samples=60,
                                                                                        steps=12)
    assert one.x.shape == (60, 12, 1) and np.array_equal(one.x, again.x) and np.array_equal(one.labels, again.labels)
    assert min(one.counts.values()) >= MIN_PER_CLASS
    assert not np.array_equal(generate_labelled(name, seed=4, samples=60, steps=12).x, one.x)
    for bad in ({"steps": 1}, {"samples": 2.5}, {"wobble": 1}):
        with pytest.raises(ConfigError):
            generate_labelled(name, **bad)


def test_the_sign_of_a_long_past_value_is_only_in_the_first_step():
    data = generate_labelled("sign_memory", samples=200, steps=30)
    first, rest = data.x[:, 0, 0], data.x[:, 1:, 0]
    assert np.array_equal(first > 0, data.labels == data.classes.index("positive"))
    assert np.abs(rest).max() <= 1.0  # distractors as large as the signal: only memory tells


def test_the_split_is_by_sequence_stratified_and_fitted_scaling_sees_train_only():
    from rnncore.tasks.classify import make_parts

    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    train, val, test = split_labelled(labels, 0.6, 0.2, seed=0)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))  # each sequence once
    for part, size in ((train, 60), (val, 20), (test, 20)):
        assert len(part) == size and np.bincount(labels[part]).tolist() == [size * 6 // 10, size * 3 // 10,
                                                                             size // 10]
    with pytest.raises(DataError) as caught:
        split_labelled(np.array([0] * 30 + [1] * 3), 0.9, 0.05, seed=0)
    assert caught.value.key == "cannot_stratify"
    data = generate_labelled("waveform", samples=120, steps=10)
    data.x[:, :, 0] += 100.0  # far from zero: the scaler must take it away, fitted on train
    parts = make_parts(data, ExperimentConfig())
    train_values = parts.train.x.reshape(-1)
    assert abs(train_values.mean()) < 1e-4 and train_values.std() == pytest.approx(1.0, abs=1e-3)
    assert abs(parts.test.x.mean()) < 0.5 and len(parts.val) and set(parts.test.index).isdisjoint(parts.train.index)


# --- fuzzed: mutated labelled files are read or refused with a DataError, never anything else -------------

def _labelled_seeds() -> dict[str, bytes]:
    from tests.test_csv_fuzz import ROOT, head

    wide = head((ROOT / "sample_data" / "italy_power_demand.csv").read_bytes(), 4000)
    ucr = b"\n".join(wide.splitlines()[1:]).replace(b"oct_to_mar", b"1").replace(b"apr_to_sep", b"2")  # no header
    return {"wide": wide, "ucr": ucr,
            "long": long_csv(long_rows(12, 5)), "small": WIDE.encode()}


def _check_labelled(raw: bytes, label: str | None) -> None:
    from rnncore.messages import DATA_NOTES

    try:
        data = read_labelled(raw, label=label)
    except DataError as error:
        assert error.key in DATA_MESSAGES and DATA_MESSAGES[error.key].format(**error.details) == str(error)
        return
    assert data.x.ndim == 3 and len(data.x) == len(data.labels) and np.isfinite(data.x).all()
    assert 2 <= len(data.classes) and min(data.counts.values()) >= MIN_PER_CLASS
    for note in data.notes:
        assert note.key in DATA_NOTES


def test_mutated_labelled_files_are_read_or_refused_with_a_data_error():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests.test_csv_fuzz import TOKENS

    seeds = _labelled_seeds()

    @settings(derandomize=True, database=None, deadline=10_000, max_examples=200)
    @given(name=st.sampled_from(sorted(seeds)), edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(TOKENS),
                                                                         st.integers(0, 2)), min_size=1, max_size=4),
           label=st.sampled_from([None, "label", "season", "x"]))
    def fuzz(name, edits, label):
        raw = bytearray(seeds[name])
        for where, token, how in edits:
            at = int(where * len(raw))
            if how == 0:
                raw[at:at] = token
            elif how == 1:
                del raw[at:at + len(token) * 4]
            else:
                del raw[at:]
        _check_labelled(bytes(raw), label)

    fuzz()
