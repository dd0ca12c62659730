"""A page's reading text, and where a passage lies in it: what the exported selectors count on.

The reading text (defined for users in the README, "Your notes in other
tools") is the text of the page's body as a build without the plugin shows
it: the text of every element but scripts, styles, headings' permalinks and
the author's footnote markers and back-links; each block element (see
:data:`~.anchoring.BLOCK_TAGS`) begins and ends a block; within a block each
run of whitespace is one space and the block is stripped; blocks with text
are joined by one line break.

It is computed from the flat text that notes are anchored on
(:func:`~.rules.flatten_for_quotes`, made once per page anyway), not from
the finished HTML: the few things that read differently there (raw HTML,
which the flat text holds as placeholders, and Python-Markdown's own
placeholders for footnotes and obfuscated e-mail addresses) are replaced by
what they stand for, and the whitespace is folded by two regular
expressions, so a page costs a fraction of a millisecond.  Nothing here
imports MkDocs.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from .anchoring import BLOCK_TAGS, BOUNDARY, PLACEHOLDER, FlatText
from .textnorm import WHITESPACE

CONTEXT = 32
"""Characters of reading text a quote selector gives before and after its passage, at most."""
HIDDEN_CLASSES = frozenset({"headerlink", "footnote-backref"})
"""Elements of these classes are not reading text (a heading's permalink, a footnote's way back)."""

_MARKER = "\x01"  # a point to locate; never a character of the reading text (replaced where a page has one)
_AFTER_BOUNDARY = re.compile(f"{BOUNDARY}[ {BOUNDARY}]*")
_OTHER_WHITESPACE = tuple(c for c in WHITESPACE if c.isspace() and c != " ")
"""Every character `str.isspace` calls whitespace, but the space: the README's definition of whitespace.

(Taken from the list in :mod:`.textnorm`, which a test checks, rather than from all of Unicode at
every start: that took 56 ms.)"""
# Python-Markdown's own placeholders that stay in the text until its postprocessors run: a footnote's
# no-break space and back-link text, and the "&" of an obfuscated e-mail address's character references.
_MARKDOWN_PLACEHOLDER = re.compile("\x02(qq3936677670287331zz|zz1337820767766393qq|amp)\x03(#?[0-9A-Za-z]{1,8};)?")
_PLACEHOLDER_TEXT = {"qq3936677670287331zz": "\u00a0", "zz1337820767766393qq": ""}


@dataclass(frozen=True)
class TextTarget:
    """A passage of a page's reading text, as the W3C quote and position selectors give it."""

    exact: str
    prefix: str     # up to CONTEXT characters just before it (may hold a block's line break)
    suffix: str     # up to CONTEXT characters just after it
    start: int      # offsets in the reading text, in code points
    end: int


class ReadingSource:
    """A page's flat text, with what each placeholder in it reads as; made before the page is edited.

    ``stash`` is the page's raw-HTML stash.  The flat text's runs are read
    here, while the element tree still holds the text they were made of.
    """

    def __init__(self, flat: FlatText, stash: Sequence[object]) -> None:
        self.flat = flat
        text = flat.text.replace(_MARKER, "\ufffd") if _MARKER in flat.text else flat.text
        self.text = text
        replacements: list[tuple[int, int, str]] = []
        if "\x02" in text:  # footnotes, obfuscated addresses
            replacements += [(m.start(), m.end(), _placeholder_text(m)) for m in _MARKDOWN_PLACEHOLDER.finditer(text)]
        if stash:  # raw HTML: the flat text holds a boundary for each placeholder's characters
            for element, attr, start, _, _ in flat.runs:
                value = getattr(element, attr)
                if value and "\x02" in value:
                    replacements += [(start + m.start(), start + m.end(), _stash_text(stash, int(m.group(1))))
                                     for m in PLACEHOLDER.finditer(value)]
        replacements.sort()
        self.replacements = replacements
        self._run_starts: dict[tuple[int, str], int] | None = None

    def run_start(self, element: etree.Element, attr: str) -> int | None:
        """Where a run of text (an element's ``text`` or ``tail``) begins in the flat text."""
        if self._run_starts is None:
            self._run_starts = {(id(run[0]), run[1]): run[2] for run in self.flat.runs}
        return self._run_starts.get((id(element), attr))

    def targets(self, spans: Sequence[tuple[int, int]]) -> list[TextTarget]:
        """Each span of the flat text (a passage, a form) as a passage of the reading text.

        A span's edges are characters of text, not whitespace (quotes and
        forms are stripped), so no run of whitespace crosses them.
        """
        if not spans:
            return []
        points = sorted({point for span in spans for point in span})
        pieces: list[str] = []
        cursor = 0
        index = 0
        text = self.text
        for start, end, replacement in self.replacements:
            while index < len(points) and points[index] <= start:
                pieces += (text[cursor:points[index]], _MARKER)
                cursor = points[index]
                index += 1
            pieces += (text[cursor:start], replacement)
            cursor = end
        for point in points[index:]:
            pieces += (text[cursor:point], _MARKER)
            cursor = point
        pieces.append(text[cursor:])
        parts = fold("".join(pieces)).split(_MARKER)
        reading = "".join(parts)
        where: dict[int, int] = {}
        offset = 0
        for point, part in zip(points, parts):
            offset += len(part)
            where[point] = offset
        return [_target(reading, where[start], where[end]) for start, end in spans]


def fold(text: str) -> str:
    """Flat text (blocks' edges as boundaries) as reading text: whitespace folded, blocks one a line.

    Written for speed, with plain string operations that allocate little (a
    page's text is folded once a build; splitting it into words cost twice
    as much inside a build): every whitespace character becomes a space,
    runs of spaces are halved until none is left, and a pattern that starts
    with a boundary, which the regular expression engine finds by a plain
    search, folds the runs of boundaries and spaces.
    """
    for space in _OTHER_WHITESPACE:
        if space in text:
            text = text.replace(space, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    text = _AFTER_BOUNDARY.sub(BOUNDARY, text).replace(" " + BOUNDARY, BOUNDARY)
    return text.strip(f" {BOUNDARY}").replace(BOUNDARY, "\n")


def _target(reading: str, start: int, end: int) -> TextTarget:
    return TextTarget(reading[start:end], reading[max(0, start - CONTEXT):start], reading[end:end + CONTEXT],
                      start, end)


def _placeholder_text(match: re.Match[str]) -> str:
    if match.group(1) == "amp":
        return html.unescape("&" + (match.group(2) or "amp;"))
    return _PLACEHOLDER_TEXT[match.group(1)] + (match.group(2) or "")


def _stash_text(stash: Sequence[object], index: int) -> str:
    """What a piece of raw HTML reads as: its text, block edges as boundaries."""
    if index >= len(stash):
        return ""
    item = stash[index]
    fragment = item if isinstance(item, str) else etree.tostring(item, encoding="unicode", method="html")  # type: ignore[arg-type]
    reader = _FragmentText()
    reader.feed(str(fragment))
    reader.close()
    return "".join(reader.pieces)


class _FragmentText(HTMLParser):
    """The reading text of an HTML fragment, by the same rules as a page's."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden: list[str] = []  # the open elements whose text is not reading text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.hidden:
            if tag == self.hidden[-1]:
                self.hidden.append(tag)
            return
        values = dict(attrs)
        if (tag in ("script", "style") or (tag == "sup" and (values.get("id") or "").startswith("fnref"))
                or not HIDDEN_CLASSES.isdisjoint((values.get("class") or "").split())):
            self.hidden.append(tag)
        elif tag in BLOCK_TAGS:
            self.pieces.append(BOUNDARY)

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            if tag == self.hidden[-1]:
                self.hidden.pop()
        elif tag in BLOCK_TAGS:
            self.pieces.append(BOUNDARY)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces.append(data)
