"""Typographic equivalence, shared by form matching and quote anchoring.

The SPEC makes several spellings of the same text equal: Unicode NFC, the
apostrophe family, the double-quote family, the dash family, ``…`` and
``...``, and any run of whitespace.  :func:`normalize` maps a string to one
canonical spelling *and* keeps a map from each canonical character back to
the original offset, so a match found in the canonical text can be applied to
the original text (the element tree) without guessing.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field

APOSTROPHES = "'‘’ʼ′"
DOUBLE_QUOTES = '"“”„″'
DASHES = "-‐‑‒–—−"
# Every character ``str.isspace`` accepts, plus the zero-width no-break space (a test checks the list).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")

# One-to-one replacements keep offsets intact, so they are done with translate().
_ONE_TO_ONE = str.maketrans(
    {**{c: "'" for c in APOSTROPHES}, **{c: '"' for c in DOUBLE_QUOTES},
     **{c: "-" for c in DASHES}, **{c: " " for c in WHITESPACE}}
)
# Replacements that change length: "..." becomes "…" and a run of spaces one space.
_CONTRACTIONS = re.compile(r" {2,}|\.\.\.")


@dataclass(frozen=True)
class NormalizedText:
    """Canonical text plus the way back to offsets in the original string.

    ``breaks`` holds (canonical offset, original offset) pairs at every point
    where the two stop moving in step; between two breaks they advance
    together.  ``original_length`` lets an end offset map back exactly.
    """

    text: str
    breaks: tuple[tuple[int, int], ...]
    original_length: int
    _keys: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", tuple(b[0] for b in self.breaks))

    def to_original(self, index: int) -> int:
        """Map a canonical offset (start or end of a match) to the original string."""
        if not self.breaks:
            return index
        i = bisect.bisect_right(self._keys, index) - 1
        if i < 0:
            return index
        canonical, original = self.breaks[i]
        return min(original + (index - canonical), self.original_length)


def _nfc_with_map(text: str) -> tuple[str, list[int]]:
    """NFC-normalize ``text``, returning for each output char its source offset.

    Composition only happens inside a run made of one starter and the
    combining marks after it, so each such run is normalized on its own.
    """
    out: list[str] = []
    origin: list[int] = []
    start = 0
    length = len(text)
    while start < length:
        end = start + 1
        while end < length and unicodedata.combining(text[end]):
            end += 1
        chunk = unicodedata.normalize("NFC", text[start:end])
        out.append(chunk)
        origin.extend([start] * len(chunk))
        start = end
    return "".join(out), origin


def canonical_in_place(text: str) -> str | None:
    """The canonical spelling of ``text`` if it has the same offsets (no map needed), else None.

    The common case, in C string methods only: ASCII text whose quotes and
    dashes are already canonical and whose other whitespace becomes a space,
    one for one.
    """
    if not text.isascii():
        return None
    if "\n" in text:  # line breaks are the usual other whitespace: a plain replace is the cheapest
        text = text.replace("\n", " ")
    if not text.isprintable():  # other ASCII whitespace (tab, CR, ...), or a control character it leaves alone
        text = text.translate(_ONE_TO_ONE)
    if "  " in text or "..." in text:
        return None
    return text


def normalize(text: str) -> NormalizedText:
    """Return the canonical spelling of ``text`` with its offset map."""
    in_place = canonical_in_place(text)
    if in_place is not None:
        return NormalizedText(in_place, (), len(text))
    breaks: list[tuple[int, int]] = []
    source = text
    nfc_origin: list[int] | None = None
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        source, nfc_origin = _nfc_with_map(text)
    source = source.translate(_ONE_TO_ONE)

    pieces: list[str] = []
    last = 0
    shift = 0  # canonical offset minus source offset, after the contractions so far
    for match in _CONTRACTIONS.finditer(source):
        pieces.append(source[last:match.start()])
        pieces.append("…" if match.group().startswith(".") else " ")
        breaks.append((match.start() + shift, match.start()))
        shift -= len(match.group()) - 1
        breaks.append((match.end() + shift, match.end()))
        last = match.end()
    pieces.append(source[last:])
    canonical = "".join(pieces)

    if nfc_origin is not None:
        # Compose the NFC map with the contraction map: one break per char is
        # simplest and this path is rare (text not already in NFC).
        contraction = NormalizedText(canonical, tuple(breaks), len(source))
        nfc_origin.append(len(text))
        full = tuple(
            (i, nfc_origin[min(contraction.to_original(i), len(nfc_origin) - 1)])
            for i in range(len(canonical) + 1)
        )
        return NormalizedText(canonical, full, len(text))
    return NormalizedText(canonical, tuple(breaks), len(text))


def canonical(text: str) -> str:
    """The canonical spelling alone (for forms, quotes, prefixes, suffixes)."""
    in_place = canonical_in_place(text)
    return in_place if in_place is not None else normalize(text).text


def fold_case(text: str) -> str:
    """Lower-case ``text`` without changing its length (offsets stay valid)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def is_word_char(char: str) -> bool:
    """True for characters that continue a word: letters, digits, marks, ``_``."""
    return char.isalnum() or char == "_" or (char >= "\u0300" and unicodedata.category(char)[0] == "M")
