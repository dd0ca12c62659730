"""What the edition writes: its HTML in the pages and outside them.

:func:`write_run` turns a run's content (see :mod:`.rules`) into HTML that
takes the run's place in the page; paragraph numbers and the notes section
go in the same way, as HTML text the page's tree holds a placeholder for
(:class:`WrittenMarkup`), never as elements: Python-Markdown's serializer
walks every element in Python.  The HTML is what the serializer would write
for the same elements (text escaped the same way, attributes in lexical
order), and the class names and attributes are the SPEC's.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Sequence

from markdown.serializers import _escape_attrib_html, _escape_cdata  # the page's own escaping, to the byte
from markdown.util import ETX, STX, HtmlStash

from .anchoring import Anchor
from .model import Source
from .rules import Content, LinkOpen, MarkOpen, Numbered, Reference

NOTE_TYPE_LABELS = {"context": "Context", "translation": "Translation", "correction": "Correction",
                    "citation": "Citation"}
NOTES_TITLE = "Editorial notes"
NOTES_TITLE_ID = "edition-notes-title"
NOTES_SECTION_START = f'<section aria-labelledby="{NOTES_TITLE_ID}" class="edition-notes">'
"""The notes section's opening tag as the serializer writes it (attributes in lexical order)."""


class LinkStyle:
    """How a page's term links are written: the glossary's URL from the page, and each link's title."""

    def __init__(self, glossary_href: str, title: Callable[[str], str]) -> None:
        self.title = title  # an entry's id -> the link's `title`
        self._href = _escape_attrib_html(glossary_href)  # escaped once a page, not once a link

    def link(self, opening: LinkOpen) -> str:
        """``<a class="edition-term" data-term href id title>``, and ``<span lang>`` for its text if it has one."""
        entry_id = _escape_attrib_html(opening.entry_id)
        # Attributes in lexical order, as the serializer writes them.
        tag = (f'<a class="edition-term" data-term="{entry_id}" href="{self._href}'
               f'#{entry_id}" id="term-{entry_id}-{opening.ordinal}" '
               f'title="{_escape_attrib_html(self.title(opening.entry_id))}">')
        # The form's language covers its words, not the link's title.
        return f'{tag}<span lang="{_escape_attrib_html(opening.lang)}">' if opening.lang else tag


def mark(opening: MarkOpen) -> str:
    """The highlight of a note's passage (one per run it covers)."""
    return f'<mark class="edition-quote" data-note="{_escape_attrib_html(opening.note.id)}">'


def reference(ref: Reference) -> str:
    """A note's number after its passage, linking to the note."""
    note_id = _escape_attrib_html(ref.note.id)
    return (f'<sup class="edition-note-ref" id="note-ref-{note_id}"><a aria-label="Editorial note {ref.number}" '
            f'class="footnote-ref" href="#note-{note_id}">{ref.number}</a></sup>')


class WrittenMarkup:
    """What markup wrote on one page, each piece standing in the page's tree as a placeholder until serialized.

    Python-Markdown's raw-HTML stash does the same for raw HTML, but its
    postprocessor scans every stored piece again for placeholders inside it
    (what that costs: the README's Performance section).  :meth:`fill` runs
    before that postprocessor, so an author's inline tag inside a run is
    still put in by it, in the page.  The placeholder is framed by STX and
    ETX, which Python-Markdown removes from the page's source, so no
    author's text can pass for one.
    """

    _PLACEHOLDER = re.compile(f"{STX}edition-markup:(\\d+){ETX}")

    def __init__(self, stash: HtmlStash | None = None) -> None:
        """``stash``: hand the HTML to Python-Markdown's raw-HTML stash instead (the ablation's `own-postprocessor`)."""
        self.pieces: list[str] = []
        self._stash = stash

    def store(self, piece: str) -> str:
        """Keep ``piece`` (HTML); the placeholder that stands for it in the tree."""
        if self._stash is not None:
            return self._stash.store(piece)
        self.pieces.append(piece)
        return f"{STX}edition-markup:{len(self.pieces) - 1}{ETX}"

    def fill(self, page: str) -> str:
        """The serialized ``page`` with each placeholder replaced by its HTML."""
        if not self.pieces:
            return page
        return self._PLACEHOLDER.sub(lambda match: self.pieces[int(match.group(1))], page)


def write_run(element: etree.Element, attr: str, content: Content, style: LinkStyle, written: WrittenMarkup) -> None:
    """Put ``content`` in place of the run ``attr`` (`text` or `tail`) of ``element``.

    The run's text becomes the placeholder of its HTML, kept in ``written``
    (see the module's docstring).
    """
    pieces: list[str] = []
    closing: list[str] = []  # the end tags of what is open, innermost last
    text = ""  # adjacent text joins before escaping, as in an element's text
    for piece in content:
        if isinstance(piece, str):
            text += piece
            continue
        if text:
            pieces.append(_escape_cdata(text))
            text = ""
        if isinstance(piece, MarkOpen):
            pieces.append(mark(piece))
            closing.append("</mark>")
        elif isinstance(piece, LinkOpen):
            pieces.append(style.link(piece))
            closing.append("</span></a>" if piece.lang else "</a>")
        elif isinstance(piece, Reference):
            pieces.append(reference(piece))
        else:  # the end of a mark or of a link
            pieces.append(closing.pop())
    if text:
        pieces.append(_escape_cdata(text))
    setattr(element, attr, written.store("".join(pieces)))


def number_paragraph(numbered: Numbered, written: WrittenMarkup) -> None:
    """Put the paragraph's visible number, a link to its id, at its start."""
    number = numbered.number
    link = (f'<a aria-label="Paragraph {number}" class="edition-pnum" '
            f'href="#{_escape_attrib_html(numbered.anchor_id)}">{number}</a>')
    paragraph = numbered.element
    paragraph.text = written.store(link) + (paragraph.text or "")


def append_notes_section(root: etree.Element, anchors: Sequence[Anchor], body: Callable[[Anchor, int], str],
                         written: WrittenMarkup) -> None:
    """Put the page's notes section after its last block (see :func:`notes_section`).

    A page with anchored notes has text, so it has a last block.
    """
    last = root[-1]
    last.tail = (last.tail or "") + written.store(notes_section(anchors, body))


def notes_section(anchors: Sequence[Anchor], body: Callable[[Anchor, int], str]) -> str:
    """The page's notes section, one item per anchored note in reading order.

    Each note's body is a comment with the text ``body(anchor, number)``: the
    edition fills it once definitions and notes are rendered.
    """
    items = "".join(f'<li class="edition-note edition-note--{_escape_attrib_html(anchor.note.type)}" '
                    f'id="note-{_escape_attrib_html(anchor.note.id)}"><div class="edition-note__body">'
                    f"<!--{_escape_cdata(body(anchor, number))}--></div></li>"
                    for number, anchor in enumerate(anchors, start=1))
    return (f'{NOTES_SECTION_START}<h2 class="edition-notes__title" id="{NOTES_TITLE_ID}">{NOTES_TITLE}</h2>'
            f'<ol class="edition-notes__list">{items}</ol></section>')


def note_html(note_type: str, body_html: str, sources: Sequence[Source], note_id: str, number: int) -> str:
    """What fills a note's item: its type, its rendered text, its sources, the way back to its passage."""
    return (f"<p class=\"edition-note__type\">{NOTE_TYPE_LABELS[note_type]}</p>"
            f"{body_html}{format_sources(sources)}"
            f"<a class=\"edition-note__backref\" href=\"#note-ref-{note_id}\" "
            f"aria-label=\"Back to the passage of note {number}\">&#8617;</a>")


def format_source(source: Source) -> str:
    """One source as HTML: author, “title”, publisher, date, link."""
    parts = []
    if source.author:
        parts.append(html.escape(source.author))
    parts.append(f"<cite>{html.escape(source.title)}</cite>")
    if source.publisher:
        parts.append(html.escape(source.publisher))
    if source.date:
        parts.append(f"<time datetime=\"{html.escape(source.date)}\">{html.escape(source.date)}</time>")
    text = ", ".join(parts) + "."
    if source.url:
        url = html.escape(source.url, quote=True)
        text += f" <a class=\"edition-source__url\" href=\"{url}\">{html.escape(source.url)}</a>"
    if source.accessed:
        text += f" (accessed {html.escape(source.accessed)})"
    return text


def format_sources(sources: Sequence[Source], heading: str = "Sources") -> str:
    """A list of sources as an HTML block (empty when there are none)."""
    if not sources:
        return ""
    items = "".join(f"<li>{format_source(s)}</li>" for s in sources)
    return (f"<div class=\"edition-sources\"><p class=\"edition-sources__title\">{heading}</p>"
            f"<ol>{items}</ol></div>")
