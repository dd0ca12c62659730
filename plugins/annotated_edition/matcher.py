"""Find every glossary form in a text in one pass.

All forms of all entries go into one Aho-Corasick automaton (pyahocorasick),
keyed on their canonical, case-folded spelling.  One scan of a text node
yields every candidate; candidates are then filtered by the whole-word rule
and the case rule, and overlaps are resolved leftmost-longest.  Nothing here
loops over entries.

A plain automaton would also report every form found inside a longer word
(in a book, most candidates), each to be refused one by one in Python.  So
the automaton reads the text's *word shape*, in which every character that is
not a word character is a space, and a form that begins or ends with a word
character is keyed with a space on that side: it can only be found where a
word begins or ends.  Candidates are then checked against the text itself
(the shape maps every punctuation mark to a space) and by the exact
whole-word rule (which also counts combining marks as part of a word).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import NamedTuple

import ahocorasick

from .textnorm import canonical, canonical_in_place, fold_case, is_word_char, normalize


class Form(NamedTuple):
    """One surface form of one entry."""

    entry_id: str
    text: str          # canonical spelling (case kept)
    match_case: bool


class FormMatch(NamedTuple):
    """A form found in a text: ``start``/``end`` are offsets in the original text."""

    start: int
    end: int
    entry_id: str


_ASCII_SHAPE = bytes(c if chr(c).isalnum() or chr(c) == "_" else 32 for c in range(128)) + bytes([32] * 128)
_NOT_WORD = re.compile(r"\W")  # the complement of str.isalnum() and "_"


def word_shape(text: str) -> str:
    """``text`` with every character that is not a word character as a space (same length)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_SHAPE).decode("ascii")
    return _NOT_WORD.sub(" ", text)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


class _Spelling(NamedTuple):
    """One folded spelling of one or more forms, and where its edges sit in its automaton key."""

    folded: str
    length: int
    leading_space: int   # 1 when the key has a boundary space before the spelling
    trailing_space: int
    mark_at_edge: bool   # it begins or ends with a combining mark: the shape cannot settle that edge
    all_word: bool       # only word characters: where its shape matches, the text is the spelling
    forms: tuple[Form, ...]


class FormMatcher:
    """A compiled matcher for a fixed set of forms.

    Build it once per build (it does not depend on the page) and call
    :meth:`find` on each text node.
    """

    def __init__(self, forms: Iterable[Form]) -> None:
        self._automaton = ahocorasick.Automaton()
        count = 0
        by_shape: dict[str, list[_Spelling]] = {}
        for form in forms:
            # Forms are compared in the same canonical spelling as the text they are found in.
            spelled = canonical(form.text).strip()
            if not spelled:
                continue
            form = Form(form.entry_id, spelled, form.match_case)
            folded = fold_case(spelled)
            leading, trailing = int(_is_word(folded[0])), int(_is_word(folded[-1]))
            shape = " " * leading + word_shape(folded) + " " * trailing
            # Forms whose shapes coincide ("x", "-x", "x-") share a key; each keeps its own edges.
            spellings = by_shape.setdefault(shape, [])
            for index, spelling in enumerate(spellings):
                if spelling.folded == folded:
                    spellings[index] = spelling._replace(forms=spelling.forms + (form,))
                    break
            else:
                marked = is_word_char(folded[0]) != bool(leading) or is_word_char(folded[-1]) != bool(trailing)
                spellings.append(_Spelling(folded, len(folded), leading, trailing, marked, " " not in word_shape(folded),
                                           (form,)))
            count += 1
        for shape, spellings in by_shape.items():
            self._automaton.add_word(shape, tuple(spellings))
        self.size = count
        if count:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[FormMatch]:
        """Every form occurrence to link in ``text``, in order, not overlapping."""
        if not self.size or not text:
            return []
        canon = canonical_in_place(text)
        norm = None  # the way back to the text's offsets, where the canonical spelling moved them
        if canon is None:
            norm = normalize(text)
            canon = norm.text
            if not norm.breaks:
                norm = None
        folded = fold_case(canon)
        candidates: list[tuple[int, int, str]] = []
        length = len(canon)
        # Padded with a space on each side, so that the text's edges are word edges; offsets shift by one.
        for last, spellings in self._automaton.iter(" " + word_shape(folded) + " "):
            # ``last`` ends the key in the padded shape: minus the key's trailing space and the
            # padding's one character, the spelling ends at ``last - trailing_space``.
            # (Unpacked: this loop runs for every occurrence of every form, and names cost lookups.)
            for spelled, size, _, trailing_space, mark_at_edge, all_word, forms in spellings:
                end = last - trailing_space
                start = end - size
                if not all_word and folded[start:end] != spelled:
                    continue  # the shape matched, the punctuation did not
                # The shape settled the edges, unless the spelling or a neighbour has a combining mark
                # there (not in \w, yet part of a word): only a character from U+0300 on can be one.
                if (mark_at_edge or (start and canon[start - 1] >= "\u0300")
                        or (end < length and canon[end] >= "\u0300")) and not _edges_ok(canon, start, end):
                    continue
                for form in forms:
                    if not form.match_case or canon[start:end] == form.text:
                        candidates.append((start, end, form.entry_id))
                        break
        if not candidates:
            return []
        chosen = candidates if _in_order_apart(candidates) else _longest_first(candidates)
        if norm is None:  # canonical offsets are the original ones
            return [FormMatch(start, end, entry) for start, end, entry in chosen]
        return [FormMatch(norm.to_original(start), norm.to_original(end), entry) for start, end, entry in chosen]


def _in_order_apart(candidates: list[tuple[int, int, str]]) -> bool:
    """Whether the candidates follow each other without overlapping (the usual case: nothing to choose)."""
    last_end = 0
    for start, end, _ in candidates:
        if start < last_end:
            return False
        last_end = end
    return True


def _longest_first(candidates: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Where forms overlap the longest wins (the leftmost, between equals); the kept ones in text order."""
    candidates = sorted(candidates, key=lambda c: (c[0] - c[1], c[0]))
    chosen: list[tuple[int, int, str]] = []   # kept sorted by start; never overlapping
    for start, end, entry_id in candidates:
        at = bisect.bisect_left(chosen, (start,))
        if at < len(chosen) and chosen[at][0] < end:
            continue
        if at > 0 and chosen[at - 1][1] > start:
            continue
        chosen.insert(at, (start, end, entry_id))
    return chosen


def _edges_ok(text: str, start: int, end: int) -> bool:
    """Whole-word rule: an edge is checked only where the form has a word char."""
    # Checked outside-in: the neighbour is usually a space, which settles it.
    if start > 0 and is_word_char(text[start - 1]) and is_word_char(text[start]):
        return False
    if end < len(text) and is_word_char(text[end]) and is_word_char(text[end - 1]):
        return False
    return True


def form_key(text: str, match_case: bool) -> str:
    """The spelling under which two forms count as the same (for clash checks)."""
    spelled = canonical(text).strip()
    return spelled if match_case else fold_case(spelled)
