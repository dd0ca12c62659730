"""Find every glossary form in a text in one pass.

All forms of all entries go into one Aho-Corasick automaton (pyahocorasick),
keyed on their canonical, case-folded spelling.  One scan of a text node
yields every candidate; candidates are then filtered by the whole-word rule
and the case rule, and overlaps are resolved leftmost-longest.  Nothing here
loops over entries.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from .textnorm import canonical, fold_case, is_word_char, normalize


@dataclass(frozen=True)
class Form:
    """One surface form of one entry."""

    entry_id: str
    text: str          # canonical spelling (case kept)
    match_case: bool


@dataclass(frozen=True)
class FormMatch:
    """A form found in a text: ``start``/``end`` are offsets in the original text."""

    start: int
    end: int
    entry_id: str


class FormMatcher:
    """A compiled matcher for a fixed set of forms.

    Build it once per build (it does not depend on the page) and call
    :meth:`find` on each text node.
    """

    def __init__(self, forms: Iterable[Form]) -> None:
        self._automaton = ahocorasick.Automaton()
        count = 0
        for form in forms:
            # Forms are compared in the same canonical spelling as the text they are found in.
            spelled = canonical(form.text).strip()
            if not spelled:
                continue
            form = Form(form.entry_id, spelled, form.match_case)
            key = fold_case(spelled)
            existing = self._automaton.get(key, None)
            variants = existing[1] if existing else ()
            self._automaton.add_word(key, (len(key), variants + (form,)))
            count += 1
        self.size = count
        if count:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[FormMatch]:
        """Every form occurrence to link in ``text``, in order, not overlapping."""
        if not self.size or not text:
            return []
        norm = normalize(text)
        canon = norm.text
        folded = fold_case(canon)
        candidates: list[tuple[int, int, str]] = []
        for end_index, (length, variants) in self._automaton.iter(folded):
            end = end_index + 1
            start = end - length
            if not _edges_ok(canon, start, end):
                continue
            for form in variants:
                if not form.match_case or canon[start:end] == form.text:
                    candidates.append((start, end, form.entry_id))
                    break
        if not candidates:
            return []
        # Where forms overlap the longest wins (the leftmost, between equals).
        candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
        chosen: list[tuple[int, int, str]] = []   # kept sorted by start; never overlapping
        for start, end, entry_id in candidates:
            at = bisect.bisect_left(chosen, (start,))
            if at < len(chosen) and chosen[at][0] < end:
                continue
            if at > 0 and chosen[at - 1][1] > start:
                continue
            chosen.insert(at, (start, end, entry_id))
        return [FormMatch(norm.to_original(start), norm.to_original(end), entry) for start, end, entry in chosen]


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
