"""Text for the character language model (rnncore.data.text): the reader on broken and tricky files, the
vocabulary fitted on the training part with its unknown symbol, the split by position, and the unigram and
bigram baselines in bits per character, on the bundled Chinese poems."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncore.data.reading import MAX_BYTES
from rnncore.data.text import MIN_CHARACTERS, UNKNOWN, Vocabulary, baseline_bits, perplexity, read_text, split_text
from rnncore.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
POEMS = ROOT / "sample_data" / "tang300.txt"
LINE = "The quick brown fox jumps over the lazy dog. "


@pytest.mark.parametrize(("content", "key", "said"), [
    (b"", "empty_text", "is empty"),
    (b"  \n\t\n", "empty_text", "is empty"),
    (b"GIF89a\x00\x01\x02" + b"x" * 300, "binary_text", "binary data"),
    ("caf\u00e9 ".encode("latin-1") * 100, "not_utf8", "byte 0xe9 on line 1"),
    ("床前明月光".encode("gb18030") * 60, "not_utf8", "is not UTF-8 text"),
    (b"short text", "text_too_short", f"has 10 characters; a language model needs at least {MIN_CHARACTERS}"),
])
def test_a_file_that_is_not_usable_text_is_refused_with_what_to_do(content, key, said):
    with pytest.raises(DataError) as caught:
        read_text(content, "notes.txt")
    assert caught.value.key == key and said in str(caught.value) and "notes.txt" in str(caught.value)


def test_a_file_over_the_upload_limit_is_refused():
    with pytest.raises(DataError) as caught:
        read_text(b"a" * (MAX_BYTES + 1))
    assert caught.value.key == "too_big"


def test_utf8_with_a_bom_and_windows_line_ends_reads_as_plain_lines():
    text = read_text(b"\xef\xbb\xbf" + (LINE + "\r\n").encode() * 10)
    assert not text.startswith("\ufeff") and "\r" not in text and text.count("\n") == 10


def test_the_bundled_poems_read_and_split_by_position():
    text = read_text(POEMS.read_bytes(), POEMS.name)
    assert len(text) == 29_577 and "床前明月光" in text
    train, val, test = split_text(text, 0.8, 0.1)
    assert train + val + test == text
    assert abs(len(train) - 0.8 * len(text)) <= 1 and abs(len(val) - 0.1 * len(text)) <= 1


def test_the_vocabulary_keeps_the_commonest_characters_of_training_and_counts_the_rest_unknown():
    vocab = Vocabulary.fit("aaabbc" + "d", most=3)
    assert vocab.chars == (UNKNOWN, "a", "b") and vocab.unknown == 2 and len(vocab) == 3
    assert vocab.encode("abcz").tolist() == [1, 2, 0, 0]
    assert vocab.decode([1, 2, 0]) == "ab" + UNKNOWN
    tie = Vocabulary.fit("xyyx", most=3)  # a tie goes to the character seen first
    assert tie.chars == (UNKNOWN, "x", "y")
    poems = Vocabulary.fit(read_text(POEMS.read_bytes()))
    assert len(poems) == 256 and poems.unknown > 0 and poems.chars[1] in "，。\n"


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_encoding_then_decoding_gives_the_text_back_where_every_character_is_known(text):
    vocab = Vocabulary.fit(text, most=len(set(text)) + 1)
    assert vocab.unknown == (text.count(UNKNOWN))
    assert vocab.decode(vocab.encode(text)) == text


def test_the_bigram_beats_the_unigram_on_real_text_and_a_uniform_text_costs_log2_of_its_vocabulary():
    text = read_text(POEMS.read_bytes())
    train, val, _ = split_text(text, 0.8, 0.1)
    vocab = Vocabulary.fit(train)
    bits = baseline_bits(vocab.encode(train), vocab.encode(val), len(vocab))
    assert 0 < bits["bigram"] < bits["unigram"] < math.log2(len(vocab))
    assert perplexity(bits["unigram"]) == pytest.approx(2 ** bits["unigram"])

    rng = np.random.default_rng(0)
    uniform = rng.integers(0, 8, 200_000)
    flat = baseline_bits(uniform[:100_000], uniform[100_000:], 8)
    assert flat["unigram"] == pytest.approx(3.0, abs=0.01) and flat["bigram"] == pytest.approx(3.0, abs=0.02)
    cycle = np.tile(np.arange(8), 5000)  # each character decides the next: the bigram knows, the unigram not
    known = baseline_bits(cycle[:20_000], cycle[20_000:], 8)
    assert known["unigram"] == pytest.approx(3.0, abs=0.01) and known["bigram"] < 0.01
