"""Anchor notes to passages by quotation, on Python-Markdown's element tree.

A page's visible text is flattened once into one string, with a map from
each text run (an element's ``text`` or ``tail``) to its offsets.  Quotes are
searched in the canonical form of that string (see :mod:`textnorm`), so
curly and straight quotes, dashes and whitespace runs compare equal; block
boundaries and raw HTML never match.  Where a passage's marks go is for
:func:`~.rules.passage_marks` to say.
"""

from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .model import Note
from .textnorm import NormalizedText, canonical, normalize

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
BOUNDARY = "\x00"  # never in a quote (control characters are refused in YAML): block edges, raw HTML
PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")
"""Python-Markdown's placeholder for a stashed piece of raw HTML (group 1: its index)."""


@dataclass(slots=True)
class Segment:
    """One run of text in the tree: ``element.text`` or ``element.tail``."""

    element: etree.Element
    attr: str                 # "text" or "tail"
    start: int                # offsets in the flat text
    end: int
    # The outermost link around this run: a note reference (itself a link)
    # must go after it, never inside it.
    link: etree.Element | None = None


# A text run as flatten() records it: Segment's fields, in order.
_Run = tuple[etree.Element, str, int, int, "etree.Element | None"]


@dataclass
class FlatText:
    """A page's visible text as one string, and where each run came from.

    Runs are kept as plain tuples (a page has hundreds, and a note touches a
    few): :meth:`segments_between` makes :class:`Segment` objects of those
    a passage covers.
    """

    text: str
    runs: list[_Run]
    starts: list[int] = field(init=False, repr=False)
    _normalized: NormalizedText | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.starts = [run[2] for run in self.runs]

    @property
    def normalized(self) -> NormalizedText:
        """The canonical text that quotes are searched in, with its map back (made when first needed)."""
        if self._normalized is None:
            self._normalized = normalize(self.text)
        return self._normalized

    def segments_between(self, start: int, end: int) -> list[Segment]:
        """Text runs overlapping the flat range [start, end)."""
        first = max(bisect.bisect_right(self.starts, start) - 1, 0)
        found = []
        for run in self.runs[first:]:
            if run[2] >= end:
                break
            if run[3] > start:
                found.append(Segment(*run))
        return found


def _visible(value: str) -> str:
    """A run's text as quotes see it: raw-HTML placeholders become boundaries (same length)."""
    return PLACEHOLDER.sub(lambda m: BOUNDARY * len(m.group()), value) if "\x02" in value else value


def flatten(root: etree.Element, skip: Callable[[etree.Element], bool]) -> FlatText:
    """Collect the visible text under ``root`` in reading order.

    ``skip(element)`` hides an element's own text and children (its tail is
    still text of the parent): permalinks, paragraph numbers, footnote
    markers.
    """
    pieces: list[str] = []
    runs: list[_Run] = []
    length = 0
    # The outermost link open at this point (see Segment.link).
    outer_link: list[etree.Element | None] = [None]

    def add(element: etree.Element, attr: str, value: str, link: etree.Element | None) -> None:
        nonlocal length
        value = _visible(value)
        runs.append((element, attr, length, length + len(value), link))
        pieces.append(value)
        length += len(value)

    def walk(element: etree.Element) -> None:
        nonlocal length
        tag = element.tag
        block = tag in BLOCK_TAGS
        if block:
            pieces.append(BOUNDARY)
            length += 1
        opens_link = tag == "a" and outer_link[-1] is None
        if opens_link:
            outer_link.append(element)
        link = outer_link[-1]
        if element.text:
            add(element, "text", element.text, link)
        for child in element:
            if not skip(child):
                walk(child)
            if child.tail:
                add(child, "tail", child.tail, link)
        if opens_link:
            outer_link.pop()
        if block:
            pieces.append(BOUNDARY)
            length += 1

    for child in root:
        if not skip(child):
            walk(child)
        if child.tail:
            add(child, "tail", child.tail, None)
    text = "".join(pieces)
    return FlatText(text, runs)


@dataclass(frozen=True)
class Anchor:
    """Where a note's passage is, in flat-text offsets."""

    note: Note
    start: int
    end: int


class AnchorError(Exception):
    """A note could not be anchored; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def find_anchor(note: Note, flat: FlatText, raw_html: Sequence[str] = ()) -> Anchor:
    """Find the one passage ``note`` quotes, or raise :class:`AnchorError`."""
    text = flat.normalized.text
    quote = canonical(note.quote).strip()
    if not quote:
        raise AnchorError("the quote is only whitespace; copy the passage from the page")
    hits = _occurrences(text, quote)
    prefix = canonical(note.prefix).strip() if note.prefix else ""
    suffix = canonical(note.suffix).strip() if note.suffix else ""
    chosen = [h for h in hits if _fits(text, h, h + len(quote), prefix, suffix)]
    if len(chosen) == 1:
        start = chosen[0]
        return Anchor(note, flat.normalized.to_original(start), flat.normalized.to_original(start + len(quote)))
    if not hits:
        for block in raw_html:
            if quote in canonical(_strip_tags(block)):
                raise AnchorError(f"the quote “{_clip(quote)}” is only inside raw HTML on the page, which cannot "
                                  "be annotated; quote a passage of the Markdown text instead")
        raise AnchorError(_no_match_message(quote, text))
    contexts = "; ".join(f"({i}) “…{_context(text, h, h + len(quote))}…”" for i, h in enumerate(hits, 1))
    if not chosen:
        given = " and ".join(x for x in (f"prefix “{note.prefix}”" if prefix else "",
                                          f"suffix “{note.suffix}”" if suffix else "") if x)
        raise AnchorError(f"the quote occurs {_times(len(hits))} on the page, but never with the {given}: "
                          f"{contexts}; fix the {'prefix' if prefix else 'suffix'} to match the text just "
                          f"{'before' if prefix else 'after'} the passage")
    picks = "; ".join(f"({i}) {_pick(text, h, chosen, len(quote))}" for i, h in enumerate(chosen, 1))
    raise AnchorError(f"the quote “{_clip(quote)}” occurs {_times(len(chosen))} on the page: {contexts}; "
                      f"add a prefix or suffix to pick one — {picks}")


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _occurrences(text: str, quote: str) -> list[int]:
    hits = []
    index = text.find(quote)
    while index != -1:
        hits.append(index)
        index = text.find(quote, index + 1)
    return hits


def _fits(text: str, start: int, end: int, prefix: str, suffix: str) -> bool:
    if prefix:
        before = text[:start]
        if not (before.endswith(prefix) or before.rstrip().endswith(prefix)):
            return False
    if suffix:
        after = text[end:]
        if not (after.startswith(suffix) or after.lstrip().startswith(suffix)):
            return False
    return True


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _context(text: str, start: int, end: int, width: int = 30) -> str:
    before = text[max(0, start - width):start].split(BOUNDARY)[-1]
    after = text[end:end + width].split(BOUNDARY)[0]
    return f"{before}[{_clip(text[start:end], 40)}]{after}".strip()


def _pick(text: str, start: int, hits: Iterable[int], length: int) -> str:
    """The shortest `prefix` (else `suffix`) of whole words that picks this hit alone, as a hint."""
    prefix, suffix = distinguishing_context(text, start, hits, length)
    if prefix:
        return f'prefix: "{prefix}"'
    if suffix:
        return f'suffix: "{suffix}"'
    return "no prefix or suffix within the paragraph tells it apart: quote a longer passage"


def distinguishing_context(text: str, start: int, hits: Iterable[int], length: int) -> tuple[str | None, str | None]:
    """The shortest ``prefix`` (else ``suffix``) of whole words that picks the hit at ``start`` alone.

    ``text`` is a page's canonical flat text, ``hits`` every offset where the
    quote (``length`` characters) occurs.  Returns ``(prefix, None)``,
    ``(None, suffix)``, or ``(None, None)`` when nothing within the
    paragraph tells this hit apart.
    """
    others = [h for h in hits if h != start]
    before = text[:start].split(BOUNDARY)[-1].split(" ")
    after = text[start + length:].split(BOUNDARY)[0].split(" ")
    for count in range(1, max(len(before), len(after)) + 1):
        prefix = " ".join(before[-count:]).strip()
        if prefix and not any(_fits(text, h, h + length, prefix, "") for h in others):
            return prefix, None
        suffix = " ".join(after[:count]).strip()
        if suffix and not any(_fits(text, h, h + length, "", suffix) for h in others):
            return None, suffix
    return None, None


def occurrences(text: str, quote: str) -> list[int]:
    """Every offset of ``quote`` in ``text`` (overlapping ones too)."""
    return _occurrences(text, quote)


def _strip_tags(fragment: str) -> str:
    return re.sub(r"<[^>]*>", " ", fragment)


def _no_match_message(quote: str, text: str) -> str:
    closest, ratio = closest_passage(quote, text)
    if closest is None:
        return f"the quote “{_clip(quote)}” is not on the page; copy the passage exactly as it reads there"
    return (f"the quote “{_clip(quote)}” is not on the page; the closest passage is “{closest}” "
            f"({ratio:.0%} similar): copy the passage exactly as it reads on the page")


def closest_passage(quote: str, text: str) -> tuple[str | None, float]:
    """The run of whole words in ``text`` most like ``quote``, and how alike (0–1).

    Only windows near a place where one of the quote's longer words occurs are
    scored (a close passage shares some words with the quote), so a miss on a
    book-length page costs milliseconds, not seconds; with no shared word, every
    window is scored.
    """
    span = len(quote)
    words = [(m.start(), m.end()) for m in re.finditer("[^ \x00]+", text)]
    if not words:
        return None, 0.0
    starts = [w[0] for w in words]
    candidates = _candidate_words(quote, text, starts) or range(len(words))
    import difflib  # only for a message

    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)
    best: tuple[float, int, int] = (0.0, 0, 0)
    for i in candidates:
        start = words[i][0]
        for j in range(i, len(words)):
            end = words[j][1]
            if end - start > span * 1.3 + 1:
                break
            if end - start < span * 0.7 or BOUNDARY in text[start:end]:
                continue
            matcher.set_seq1(text[start:end])
            if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
                continue
            ratio = matcher.ratio()
            if ratio > best[0]:
                best = (ratio, start, end)
    if best[0] < 0.5:
        return None, best[0]
    return text[best[1]:best[2]], best[0]


def _candidate_words(quote: str, text: str, starts: list[int], limit: int = 4000) -> list[int]:
    """Indexes of words where a window resembling ``quote`` could begin."""
    found: set[int] = set()
    position = 0
    for word in quote.split(" "):
        if len(word) >= 4:
            index = text.find(word)
            while index != -1:
                # The window may begin up to the word's offset in the quote (and a margin) earlier.
                first = bisect.bisect_left(starts, index - position - len(quote) // 5 - 1)
                last = bisect.bisect_right(starts, index - position + len(quote) // 5 + 1)
                found.update(range(first, last))
                if len(found) > limit:
                    return []
                index = text.find(word, index + 1)
        position += len(word) + 1
    return sorted(found)
