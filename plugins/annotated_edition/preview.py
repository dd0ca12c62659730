"""A definition's preview, as a term's tooltip shows it.

Wikipedia's page previews are the model: the first paragraph, cut at a
sentence end once it passes about 500 characters of rendered text.  The cut
works on the rendered, sanitized HTML and closes what it leaves open, so the
preview stays well formed; an abbreviation ("S.A.C.", "e.g.") or an initial
("J. C. Mariátegui") does not end a sentence.  The glossary page keeps the
whole definition, and an entry's ``summary`` replaces the preview.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

LIMIT = 500
"""Characters of rendered text after which the preview ends at the next sentence end."""
HARD_LIMIT = 700
"""A sentence that runs past this many characters is cut at a clause or a word, with an ellipsis."""

_VOID = frozenset({"br", "hr", "img", "wbr"})
# A sentence ends at . ! or ?, with any closing quotes or brackets, before a space and what can begin one.
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*(?=\s+[\"“‘'(¿¡]?[A-ZÀ-Þ0-9]|\s+$)")
# What a period after these does not end: initials and dotted abbreviations (S.A.C., U.S.), and common ones.
_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.(?:[A-Za-z]\.)*|\b(?:Mr|Mrs|Ms|Dr|St|No|Nos|vs|etc|cf|al|ed|eds|"
                           r"Jr|Sr|Sra|Sta|Av|Gen|Lt|Col|Prof|approx|ca|e\.g|i\.e|p|pp|vol|art|arts|Inc|Ltd|Co)\.)"
                           r"$")


class _Tokens(HTMLParser):
    """The fragment as a list of tokens: ("start", tag, raw tag), ("end", tag, raw), ("text", "", text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("void" if tag in _VOID else "start", tag, self.get_starttag_text() or f"<{tag}>"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("void", tag, self.get_starttag_text() or f"<{tag}>"))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag, f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.tokens.append(("text", "", data))


def preview(fragment: str, limit: int = LIMIT) -> str:
    """The first block of ``fragment`` (rendered HTML), cut at the first sentence end past ``limit`` characters."""
    if len(fragment) <= limit and fragment.startswith("<p>") and fragment.find("</p>") == len(fragment) - 4:
        return fragment  # one short paragraph (most definitions): nothing to cut
    parser = _Tokens()
    parser.feed(fragment)
    parser.close()
    out: list[str] = []
    open_tags: list[str] = []
    seen = 0          # characters of text written so far
    started = False   # the first block has begun
    for kind, tag, raw in parser.tokens:
        if kind == "text":
            if not open_tags and not raw.strip():
                continue  # whitespace between blocks
            started = True
            cut = _sentence_end(raw, max(0, limit - seen)) if seen + len(raw) > limit else None
            hard = limit + HARD_LIMIT - LIMIT
            if cut is not None and seen + cut <= hard:
                out.append(html.escape(raw[:cut], quote=False))
                out += [f"</{name}>" for name in reversed(open_tags)]
                return "".join(out)
            if seen + len(raw) > hard:  # no sentence ends in time: a clause or a word ends the preview
                out.append(html.escape(_clause(raw[:hard - seen], max(0, limit - seen)), quote=False) + "…")
                out += [f"</{name}>" for name in reversed(open_tags)]
                return "".join(out)
            out.append(html.escape(raw, quote=False))
            seen += len(raw)
        elif kind == "start":
            if started and not open_tags:
                break  # the first block is over: the preview is that block
            started = True
            open_tags.append(tag)
            out.append(raw)
        elif kind == "void":
            started = True
            out.append(raw)
        elif tag in open_tags:  # an end tag; a stray one is dropped
            while open_tags:
                name = open_tags.pop()
                out.append(f"</{name}>")
                if name == tag:
                    break
            if not open_tags:
                break  # the first block is over
    out += [f"</{name}>" for name in reversed(open_tags)]
    return "".join(out)


def _sentence_end(text: str, start: int) -> int | None:
    """Where the first sentence that ends at or after ``start`` in ``text`` ends (an offset), if one does."""
    for match in _SENTENCE_END.finditer(text):
        if match.end() < start:
            continue
        words = text[:match.start() + 1].split()
        if match.group()[0] == "." and words and _ABBREVIATION.search(words[-1]):
            continue
        return match.end()
    return None


def _clause(text: str, start: int) -> str:
    """``text`` up to its last clause end (``;``, ``:``, ``,``) after ``start``, else its last whole word."""
    for mark in (";", ":", ","):
        at = text.rfind(mark, start)
        if at != -1:
            return text[:at]
    at = text.rfind(" ", start)
    return (text[:at] if at != -1 else text).rstrip()
