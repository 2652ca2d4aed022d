"""Which legacy encoding a file that is not UTF-8 was written in.

Spreadsheet programs save "CSV" in the system's legacy code page: Windows-1252 in the West, GB18030 (GBK)
in mainland China, Big5 in Taiwan and Hong Kong, Shift-JIS in Japan. The bytes alone do not say which, and
Windows-1252 reads any bytes (日期 saved as GB18030 reads "ÈÕÆÚ"), so each candidate is decoded strictly
and its text scored:

- the Western reading is odd where its non-ASCII characters do not look like accented letters of words: a
  run of two or more of them with a letter in no word that also has an ASCII letter ("ÈÕÆÚ", "2018Äê1ÔÂ";
  "Größe", "ação" and "“Élan”" are fine), or with two symbols ("±±"), or a C1 control character;
- a Chinese or Japanese reading is plausible by the share of its non-ASCII characters that are common in
  that encoding: the first level of hanzi or kanji, kana, CJK punctuation and fullwidth forms (where a
  character lies in its encoding says how common it is: GB2312's level 1, Big5's frequent hanzi, JIS level 1).
  Western bytes read as one of them land mostly in the rare levels.

A Chinese or Japanese reading wins only when most runs of the Western reading are odd and most of its own
characters are common; otherwise the file is read as Windows-1252, as before. We chose this over a
general detector (charset-normalizer): with a handful of CJK header cells among digits, a detector's
language models have little to go on, and it may pick other Western code pages for accented text that
Windows-1252 has always read.
"""

from __future__ import annotations

import re
from string import ascii_letters

WESTERN = "cp1252"  # Windows-1252; Latin-1 where a byte is undefined in it (0x81, 0x8D, 0x8F, 0x90, 0x9D)
# codec -> (the name people know, whether the bytes of one of its characters make it a common one)
EAST_ASIAN = {
    "gb18030": ("GB18030", lambda b: len(b) == 2 and (0xA1 <= b[0] <= 0xA3 or 0xB0 <= b[0] <= 0xD7) and b[1] >= 0xA1),
    "cp950": ("Big5", lambda b: len(b) == 2 and 0xA1 <= b[0] <= 0xC6),
    "cp932": ("Shift-JIS", lambda b: len(b) == 2 and (0x81 <= b[0] <= 0x83 or 0x88 <= b[0] <= 0x98)),
}
ODD_WESTERN = 0.5  # the share of odd runs from which the Western reading is not believed
COMMON = 0.6  # the share of common characters from which an East Asian reading is believed
SAMPLE = 200_000  # characters scored (the whole file is decoded)
RARE_SYMBOLS = set("¤¦¨¯¸¬¶ˆ˜†‡‹›\xad")  # in Windows-1252, but hardly ever in Western text
TRAIL_BYTES = set("@[\\]^_`{|}~")  # ASCII that Big5 and Shift-JIS use as second bytes, rare by an accented letter
LEAD_SYMBOLS = set("¡¢¤¥¦§¨©«¬®¯±²³´¶·¸¹»¼½¾¿")  # Big5's first bytes; before a letter hardly in Western text
TYPOGRAPHIC = set("“”‘’«»–—…\xa0")  # marks that stand beside each other in Western text (”… or «–)
RUN = re.compile(r"[^\x00-\x7f]+")
WORD = re.compile(r"[^\W\d_]+")


def name(codec: str) -> str:
    """The encoding's name as people know it."""
    return EAST_ASIAN[codec][0] if codec in EAST_ASIAN else "Windows-1252"


def western(raw: bytes) -> str:
    """The bytes as Windows-1252 (Latin-1 where a byte is undefined there)."""
    return raw.decode(WESTERN if all(b not in raw for b in b"\x81\x8d\x8f\x90\x9d") else "latin-1")


def oddness(text: str) -> float:
    """The share of the runs of non-ASCII characters of ``text`` that Western text would not hold (0: none)."""
    text = text[:SAMPLE]
    runs = list(RUN.finditer(text))
    odd = sum(_odd(text, run) for run in runs)
    return odd / len(runs) if runs else 0.0


def _odd(text: str, run: re.Match) -> bool:
    """Whether a run of non-ASCII characters is unlike Western text: a C1 control character, or two or more
    characters with a letter in no word that has an ASCII letter, or with two symbols."""
    chars = run[0]
    if any("\x80" <= ch <= "\x9f" or ch in RARE_SYMBOLS for ch in chars):
        return True
    if len(chars) == 1:
        after = text[run.end()] if run.end() < len(text) else ""
        before = text[run.start() - 1] if run.start() else ""
        return TRAIL_BYTES.isdisjoint((before, after)) is False or chars in LEAD_SYMBOLS and after in ascii_letters
    joins_left = run.start() > 0 and text[run.start() - 1] in ascii_letters
    joins_right = run.end() < len(text) and text[run.end()] in ascii_letters
    for word in WORD.finditer(chars):
        if not (word.start() == 0 and joins_left or word.end() == len(chars) and joins_right):
            return True
    return sum(not ch.isalpha() and ch not in TYPOGRAPHIC for ch in chars) > 1


def common_share(text: str, codec: str) -> float:
    """The share of the non-ASCII characters of ``text`` that are common ones in ``codec`` (0: none)."""
    counts: dict[str, int] = {}
    for ch in "".join(RUN.findall(text[:SAMPLE])):
        counts[ch] = counts.get(ch, 0) + 1
    total = sum(counts.values())
    if not total:
        return 0.0
    is_common = EAST_ASIAN[codec][1]
    return sum(n for ch, n in counts.items() if is_common(ch.encode(codec))) / total


def guess(raw: bytes) -> tuple[str, str, str | None]:
    """(the text, the codec it was read with, another codec that reads it as plausibly, or None) of bytes
    that are not UTF-8."""
    readings = {WESTERN: western(raw)}
    for codec in EAST_ASIAN:
        try:
            readings[codec] = raw.decode(codec)
        except UnicodeDecodeError:
            continue
    shares = {codec: common_share(text, codec) for codec, text in readings.items() if codec != WESTERN}
    believed = sorted((codec for codec, share in shares.items() if share >= COMMON), key=shares.get, reverse=True)
    odd = oddness(readings[WESTERN])
    if believed and odd >= ODD_WESTERN:
        chosen = believed[0]
        return readings[chosen], chosen, believed[1] if len(believed) > 1 else None
    return readings[WESTERN], WESTERN, believed[0] if believed and odd > 0 else None
