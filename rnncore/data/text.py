"""Text for a character language model: reading a file, its vocabulary, its split, its baselines.

``read_text(content, name)`` decodes an uploaded file as UTF-8 (a byte-order mark is dropped, Windows line
ends become ``\\n``) and refuses, with a DataError that says what to do, an empty file, a binary one, one in
another encoding, one over the upload limit and one too short to split. ``Vocabulary.fit(train)`` keeps the
``most`` commonest characters of the *training* part (ties by first appearance) and maps every other
character to one unknown symbol, counted. ``split_text`` splits by position into train, validation and test
(like a series: no shuffling). ``baseline_bits`` scores the unigram and bigram models fitted on the training
part (add-one smoothing) in bits per character on another part: what a recurrent model must beat.
``load_text`` reads a bundled text (``TEXT_SAMPLES``) or a text file's path.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnncore.config import DataConfig
from rnncore.data.reading import MAX_BYTES
from rnncore.data.samples import Bundled
from rnncore.errors import DataError
from rnncore.home import sample_folder

MOST_CHARACTERS = DataConfig.SETTINGS["vocabulary"].default  # the vocabulary's cap: data.vocabulary's default
MIN_CHARACTERS = 200  # a text shorter than this cannot be split into three useful parts
UNKNOWN = "\ufffd"  # the symbol every character outside the vocabulary becomes


def _refuse(key: str, **details) -> DataError:
    return DataError.keyed(key, **details)


class Text(str):
    """A text and where it came from: its ``name``, a file's SHA-256 (``checksum``; "" for a bundled sample) and
    the characters of the whole text it was cut from (``whole``; its own length when it was not cut). A slice of it
    is a plain string."""

    def __new__(cls, text: str, name: str = "text", checksum: str = "", whole: int | None = None):
        made = super().__new__(cls, text)
        made.name, made.checksum, made.whole = name, checksum, len(text) if whole is None else whole
        return made

    def identity(self) -> dict:
        """What a run keeps of its text to find it again, as a series' ``Dataset.identity``: name, characters, and
        a file's SHA-256 (None for a sample)."""
        return {"name": self.name, "rows": len(self), "sha256": self.checksum or None}

    def cut(self, most: int) -> Text:
        """Its first ``most`` characters, as a file of those would be (their UTF-8 bytes' SHA-256)."""
        if len(self) <= most:
            return self
        part = str(self)[:most]
        return Text(part, self.name, hashlib.sha256(part.encode("utf-8")).hexdigest() if self.checksum else "",
                    self.whole)


def read_text(content: bytes, name: str = "text") -> Text:
    """The text of an uploaded file (UTF-8) named after the file, or DataError: empty, binary, another encoding,
    too big, too short."""
    if len(content) > MAX_BYTES:
        raise _refuse("too_big", limit=f"{MAX_BYTES / 1e6:g}")
    if not content.strip():
        raise _refuse("empty_text", name=name)
    if b"\x00" in content[:65536]:
        raise _refuse("binary_text", name=name)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        raise _refuse("not_utf8", name=name, line=line, byte=f"0x{content[exc.start]:02x}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) < MIN_CHARACTERS:
        raise _refuse("text_too_short", name=name, count=len(text), least=MIN_CHARACTERS)
    return Text(text, name.rsplit(".", 1)[0] if "." in name else name, hashlib.sha256(content).hexdigest())


@dataclass(frozen=True)
class Vocabulary:
    """The characters a model reads and predicts: index 0 is the unknown symbol, then by frequency."""

    chars: tuple[str, ...]  # chars[0] == UNKNOWN
    unknown: int = 0  # characters of the text it was fitted on that became UNKNOWN

    @classmethod
    def fit(cls, text: str, most: int = MOST_CHARACTERS) -> Vocabulary:
        if most < 2:
            raise ValueError("most must be at least 2: the unknown symbol and one character")
        counts = Counter(text)
        order = {ch: i for i, ch in enumerate(dict.fromkeys(text))}  # first appearance, for ties
        kept = sorted((ch for ch in counts if ch != UNKNOWN), key=lambda ch: (-counts[ch], order[ch]))[:most - 1]
        unknown = len(text) - sum(counts[ch] for ch in kept)
        return cls((UNKNOWN, *kept), unknown)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        index = {ch: i for i, ch in enumerate(self.chars)}
        return np.fromiter((index.get(ch, 0) for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def split_text(text: str, train_fraction: float, val_fraction: float) -> tuple[str, str, str]:
    """(train, validation, test) by position: the first ``train_fraction`` of the characters, then the next
    ``val_fraction``, then the rest."""
    n = len(text)
    a = int(round(n * train_fraction))
    b = int(round(n * (train_fraction + val_fraction)))
    return text[:a], text[a:b], text[b:]


def baseline_bits(train: np.ndarray, part: np.ndarray, size: int, context: int = 0) -> dict[str, float]:
    """Bits per character on ``part`` (ids) of the unigram and bigram models fitted on ``train`` (ids), each
    with add-one smoothing over a vocabulary of ``size``. The first ``context`` characters are only read,
    not scored (a model with a lookback predicts from its ``lookback``-th character on); with none, the
    bigram scores the first character by the unigram. ``{"unigram": bits, "bigram": bits}``."""
    if len(part) <= context:
        raise ValueError("nothing to score")
    unigram = np.bincount(train, minlength=size).astype(np.float64) + 1.0
    unigram /= unigram.sum()
    pairs = np.ones((size, size), dtype=np.float64)
    np.add.at(pairs, (train[:-1], train[1:]), 1.0)
    pairs /= pairs.sum(axis=1, keepdims=True)
    scored = part[context:]
    uni = -np.log2(unigram[scored]).mean()
    if context:
        bi = -np.log2(pairs[part[context - 1:-1], scored]).mean()
    else:
        bi = -(np.log2(unigram[part[0]]) + np.log2(pairs[part[:-1], part[1:]]).sum()) / len(part)
    return {"unigram": float(uni), "bigram": float(bi)}


def perplexity(bits_per_char: float) -> float:
    """The perplexity of a model that spends ``bits_per_char`` bits a character: 2 ** bits."""
    return math.pow(2.0, bits_per_char)


# sample:NAME for the charlm task (sources in sample_data/README.md), with the settings recommended for each
TEXT_SAMPLES = {
    "genesis": Bundled("genesis.txt", {"window": {"lookback": 36}, "model": {"hidden_size": 31},
                                       "train": {"epochs": 15, "batch_size": 32, "lr": 0.012}}),
    "tang300": Bundled("tang300.txt", {"window": {"lookback": 22}, "model": {"cell": "rnn", "hidden_size": 13},
                                       "train": {"epochs": 40, "batch_size": 16, "lr": 0.01}}),
}


def load_text(source: str) -> Text:
    """The text of ``sample:NAME`` or a text file's path; DataError when it cannot be used."""
    kind, _, name = source.partition(":")
    if kind == "sample" and name:
        if name not in TEXT_SAMPLES:
            raise DataError.keyed("unknown_sample", name=name, choices=", ".join(TEXT_SAMPLES))
        path = sample_folder() / TEXT_SAMPLES[name].file
    else:
        path = Path(source)
    try:
        with open(path, "rb") as file:
            content = file.read(MAX_BYTES + 1)
    except OSError:
        raise DataError.keyed("no_file", path=str(path)) from None
    text = read_text(content, path.name)
    return Text(text, name) if kind == "sample" else text
