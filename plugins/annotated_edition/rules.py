"""The edition's rules for one page, as plain data: nothing here makes an element.

* which paragraphs get numbers (:func:`number_paragraphs`);
* where each note's passage is (:func:`anchor_passages`) and where its marks
  and its reference go in each run of text (:func:`passage_marks`);
* which glossary forms become links (:class:`TermLinker`).

A run of text is an element's ``text`` or ``tail``.  What a run gains is said
as its *content*: its text cut into pieces, with tokens between them
(:class:`MarkOpen`, :data:`MARK_CLOSE`, :class:`Reference`, :class:`LinkOpen`,
:data:`LINK_CLOSE`), always well nested.  :mod:`.markup` turns a content into
elements.  A new kind of mark is a new token here, placed by a rule, and a
new element there.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Sequence
from typing import NamedTuple, Union

from .anchoring import PLACEHOLDER, Anchor, AnchorError, FlatText, find_anchor, flatten
from .model import Note
from .problems import Problem

# The SPEC's list (headings, links, code, pre, abbr), plus elements that are code-like, defining or not text.
NEVER_LINKED = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre", "abbr", "kbd", "samp",
                          "script", "style", "textarea", "button", "svg", "math", "dfn", "var"})
_NOT_LINKED_CLASSES = frozenset({"headerlink"})
HIDDEN_FROM_QUOTES = frozenset({"headerlink", "footnote-ref"})


# -- the tokens of a run's content -------------------------------------------------

class MarkOpen(NamedTuple):
    """A note's passage starts (``<mark>``)."""

    note: Note


class MarkClose(NamedTuple):
    """The innermost open passage ends here."""


class Reference(NamedTuple):
    """A note's reference (its number, a link to the note), after its passage."""

    note: Note
    number: int


class LinkOpen(NamedTuple):
    """A term link starts: the ``ordinal``-th link to ``entry_id`` on the page; ``lang``: the form's language."""

    entry_id: str
    ordinal: int
    lang: str | None


class LinkClose(NamedTuple):
    """The term link ends here."""


MARK_CLOSE = MarkClose()
LINK_CLOSE = LinkClose()
Token = Union[MarkOpen, MarkClose, Reference, LinkOpen, LinkClose]
Content = list[Union[str, Token]]
RunKey = tuple[etree.Element, str]
"""A run of text: an element and ``"text"`` or ``"tail"``."""
Placed = tuple[int, Token]
"""A token at an offset of its run's text."""


# -- paragraph numbers ----------------------------------------------------------------

class Numbered(NamedTuple):
    """A top-level paragraph, its number and the id its number links to."""

    element: etree.Element
    number: int
    anchor_id: str


def number_paragraphs(root: etree.Element, path: str) -> tuple[list[Numbered], list[Problem]]:
    """Number the page's top-level paragraphs; give each without an id ``id="pN"``.

    A paragraph that already has an id (from attr_list) keeps it, and its
    number links to that id.  A paragraph whose ``pN`` is taken by another
    element is a problem (``path`` names the page), and gets no number.
    """
    taken = {element.get("id") for element in root.iter() if element.get("id")}
    numbered: list[Numbered] = []
    problems: list[Problem] = []
    count = 0
    for element in root:
        if element.tag != "p" or _is_raw_html_paragraph(element):
            continue
        count += 1
        anchor_id = element.get("id") or f"p{count}"
        if not element.get("id"):
            if anchor_id in taken:
                problems.append(Problem(path, 1, 1, f"paragraph {count} cannot take the id '{anchor_id}': another "
                                                    "element on the page already has it; rename that element's id"))
                continue
            element.set("id", anchor_id)
        numbered.append(Numbered(element, count, anchor_id))
    return numbered, problems


def _is_raw_html_paragraph(element: etree.Element) -> bool:
    """A `<p>` that only holds a raw-HTML placeholder is not a paragraph of text."""
    return len(element) == 0 and PLACEHOLDER.fullmatch((element.text or "").strip()) is not None


# -- passages ----------------------------------------------------------------------

def _hidden_from_quotes(element: etree.Element) -> bool:
    """Elements whose text a quotation never includes: scripts, styles, footnote markers, permalinks."""
    tag = element.tag
    if tag in ("script", "style") or (tag == "sup" and (element.get("id") or "").startswith("fnref")):
        return True
    classes = element.get("class")
    return classes is not None and not HIDDEN_FROM_QUOTES.isdisjoint(classes.split())


def flatten_for_quotes(root: etree.Element) -> FlatText:
    """A page's text as quotations see it (without footnote markers, permalinks, scripts and styles)."""
    return flatten(root, _hidden_from_quotes)


def anchor_passages(flat: FlatText, notes: Sequence[Note],
                    stash: Sequence[object]) -> tuple[list[Anchor], list[Problem]]:
    """Find each note's passage in a page's flat text.

    Returns the anchors in reading order (the notes' numbers, from 1) and a
    problem for each note whose quotation is not found once in the page.
    ``stash`` is the page's raw-HTML stash, which quotations may not cross.
    """
    raw_blocks = [str(block) for block in stash]
    anchors: list[Anchor] = []
    problems: list[Problem] = []
    for note in notes:
        try:
            anchors.append(find_anchor(note, flat, raw_blocks))
        except AnchorError as error:
            problems.append(Problem(note.path, note.line, note.column, error.message))
    anchors.sort(key=lambda a: (a.start, -a.end))
    return anchors, problems


def passage_marks(flat: FlatText, anchors: Sequence[Anchor]) -> dict[RunKey, list[Placed]]:
    """Where each passage's marks and reference go, run by run (``anchors`` in reading order).

    A passage gets one mark in each run it covers; overlapping passages
    nest their marks, the outer first.  Its reference follows the end of its
    last run, or, where that run is inside a link, the link (a reference is
    a link, never inside one): those references open the link's tail.
    """
    placed: dict[RunKey, list[Placed]] = {}
    if not anchors:
        return placed
    number = {anchor.note.id: index for index, anchor in enumerate(anchors, start=1)}
    order = sorted(anchors, key=lambda a: (a.start, -a.end))  # outer marks before the marks they hold
    touched = {segment.start: segment for anchor in anchors
               for segment in flat.segments_between(anchor.start, anchor.end)}
    after_links: dict[etree.Element, list[Placed]] = {}
    for segment in sorted(touched.values(), key=lambda s: s.start):
        local = [a for a in order if a.start < segment.end and a.end > segment.start]
        points = sorted({segment.start, segment.end} | {point for anchor in local for point in (anchor.start, anchor.end)
                                                         if segment.start < point < segment.end})
        events: list[Placed] = []
        for left, right in zip(points, points[1:]):
            covering = [a for a in local if a.start <= left and right <= a.end]
            events += [(left - segment.start, MarkOpen(a.note)) for a in covering]
            for anchor in reversed(covering):  # the innermost mark closes first
                events.append((right - segment.start, MARK_CLOSE))
                if anchor.end == right:
                    reference = Reference(anchor.note, number[anchor.note.id])
                    if segment.link is None:
                        events.append((right - segment.start, reference))
                    else:
                        after_links.setdefault(segment.link, []).append((0, reference))
        placed[(segment.element, segment.attr)] = events
    for link, references in after_links.items():
        placed[(link, "tail")] = references + placed.get((link, "tail"), [])
    return placed


# -- term links --------------------------------------------------------------------

class Link(NamedTuple):
    """A form to link: its offsets in the run's text and its link's opening token."""

    start: int
    end: int
    opening: LinkOpen


FindForms = Callable[[str], Sequence[tuple[int, int, str]]]


class TermLinker:
    """Decides, run by run in reading order, which form occurrences become links.

    ``find`` gives every form occurrence in a text as ``(start, end,
    entry_id)``; ``link_modes`` says `first`, `all` or `none` for each
    entry; ``lang_of(entry_id, surface)`` the language of the form as it
    reads.  Each link is recorded in ``occurrences``, as the glossary's
    back-links need it: by entry, in first-seen order, the paragraph number
    of each link (or None); the n-th link to an entry is `term-<id>-<n>`.
    """

    def __init__(self, find: FindForms, link_modes: dict[str, str], lang_of: Callable[[str, str], str | None],
                 stash: Sequence[object], occurrences: dict[str, list[int | None]]) -> None:
        self.find = find
        self.link_modes = link_modes
        self.lang_of = lang_of
        self.stash = stash
        self.occurrences = occurrences
        self.raw_depth = 0  # how many inline raw-HTML tags are open at this point of the block
        self.paragraph: int | None = None

    def start_block(self, paragraph: int | None) -> None:
        """A new top-level block begins (``paragraph``: its number, if it has one)."""
        self.paragraph = paragraph
        self.raw_depth = 0

    @staticmethod
    def skips(element: etree.Element) -> bool:
        """Whether nothing inside ``element`` is ever linked (its tail still may be)."""
        if element.tag in NEVER_LINKED:
            return True
        if element.tag == "sup" and (element.get("id") or "").startswith("fnref"):
            return True
        classes = element.get("class")
        return classes is not None and not _NOT_LINKED_CLASSES.isdisjoint(classes.split())

    def links(self, text: str) -> list[Link]:
        """The links to make in the next run's ``text``, in order; a page's links to an entry count from 1."""
        if "\x02" in text or self.raw_depth:
            spans = self._outside_raw_html(text)
            found = [m for m in self.find(text) if any(start <= m[0] and m[1] <= end for start, end in spans)]
        else:
            found = self.find(text)
        links: list[Link] = []
        for start, end, entry_id in found:
            mode = self.link_modes[entry_id]
            paragraphs = self.occurrences.get(entry_id)
            if mode == "none" or (mode == "first" and paragraphs):
                continue
            if paragraphs is None:
                paragraphs = self.occurrences[entry_id] = []
            paragraphs.append(self.paragraph)
            links.append(Link(start, end, LinkOpen(entry_id, len(paragraphs),
                                                   self.lang_of(entry_id, text[start:end]))))
        return links

    def _outside_raw_html(self, text: str) -> list[tuple[int, int]]:
        """Stretches of ``text`` outside raw HTML (placeholders and what inline tags enclose)."""
        spans: list[tuple[int, int]] = []
        cursor = 0
        for placeholder in PLACEHOLDER.finditer(text):
            if self.raw_depth == 0 and placeholder.start() > cursor:
                spans.append((cursor, placeholder.start()))
            self.raw_depth = max(0, self.raw_depth + _tag_effect(self.stash, int(placeholder.group(1))))
            cursor = placeholder.end()
        if self.raw_depth == 0 and cursor < len(text):
            spans.append((cursor, len(text)))
        return spans


_OPENING_TAG = re.compile(r"^<([A-Za-z][\w:-]*)\b[^>]*?(/?)>$", re.S)
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                       "track", "wbr"})


def _tag_effect(stash: Sequence[object], index: int) -> int:
    """+1 for an inline raw-HTML opening tag, -1 for a closing tag, 0 otherwise."""
    if index >= len(stash):
        return 0
    raw = str(stash[index]).strip()  # an inline raw-HTML stash entry is one tag
    if raw.startswith("</"):
        return -1
    opening = _OPENING_TAG.match(raw)
    if opening and not opening.group(2) and opening.group(1).lower() not in VOID_TAGS:
        return 1
    return 0


# -- a run's content ------------------------------------------------------------------

def run_content(text: str, marks: Sequence[Placed], links: Sequence[Link]) -> Content:
    """A run's text with its passage marks and its links, well nested.

    Tokens at a link's edges stay outside it.  A link that a passage's edge
    cuts (the passage begins or ends inside the form) closes the marks open
    where it begins and opens them again inside it; it closes those open
    where it ends inside it and opens them again after it; a note reference
    inside it goes after it.  A mark left empty by this goes.
    """
    content: Content = []
    if not marks:  # most runs: links and the text between them
        cursor = 0
        for start, end, opening in links:
            if start > cursor:
                content.append(text[cursor:start])
            content += [opening, text[start:end], LINK_CLOSE]
            cursor = end
        if cursor < len(text):
            content.append(text[cursor:])
        return content
    open_notes: list[Note] = []  # the passages open at this point, outermost first
    cursor = 0
    index = 0

    def follow(token: Token) -> None:
        if isinstance(token, MarkOpen):
            open_notes.append(token.note)
        elif token is MARK_CLOSE and open_notes:
            open_notes.pop()

    def take_until(limit: int) -> None:  # the tokens before ``limit`` (and at it), with the text before each
        nonlocal cursor, index
        while index < len(marks) and marks[index][0] <= limit:
            offset, token = marks[index]
            content.append(text[cursor:offset])
            content.append(token)
            follow(token)
            cursor = max(cursor, offset)
            index += 1

    for start, end, opening in links:
        take_until(start)
        content.append(text[cursor:start])
        inside = []
        while index < len(marks) and marks[index][0] < end:
            inside.append(marks[index])
            index += 1
        if not inside:
            content += [opening, text[start:end], LINK_CLOSE]
        else:
            content += [MARK_CLOSE] * len(open_notes) + [opening] + [MarkOpen(note) for note in open_notes]
            moved: list[Token] = []
            position = start
            for offset, token in inside:
                content.append(text[position:offset])
                position = offset
                if isinstance(token, Reference):
                    moved.append(token)
                else:
                    content.append(token)
                    follow(token)
            content.append(text[position:end])
            content += [MARK_CLOSE] * len(open_notes) + [LINK_CLOSE] + moved
            content += [MarkOpen(note) for note in open_notes]
        cursor = end
    take_until(len(text))
    content.append(text[cursor:])
    return _without_empty_marks([piece for piece in content if piece != ""])


def _without_empty_marks(content: Content) -> Content:
    """Drop a mark opened and closed at once (where a link's edge met a passage's)."""
    kept: Content = []
    for piece in content:
        if piece is MARK_CLOSE and kept and isinstance(kept[-1], MarkOpen):
            kept.pop()
        else:
            kept.append(piece)
    return kept
