"""What the edition writes: its elements, and its HTML outside the pages' trees.

:func:`write_run` turns a run's content (see :mod:`.rules`) into elements in
the tree; the other builders make one element each.  The class names and
attributes are the SPEC's.  Python-Markdown's serializer writes them, with
the page, after every treeprocessor.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as etree
from collections.abc import Callable, Sequence

from .anchoring import Anchor
from .model import Source
from .rules import MARK_CLOSE, Content, LinkOpen, MarkOpen, Numbered, Reference

NOTE_TYPE_LABELS = {"context": "Context", "translation": "Translation", "correction": "Correction",
                    "citation": "Citation"}
NOTES_TITLE = "Editorial notes"
NOTES_TITLE_ID = "edition-notes-title"
NOTES_SECTION_START = f'<section aria-labelledby="{NOTES_TITLE_ID}" class="edition-notes">'
"""The notes section's opening tag as the serializer writes it (attributes in lexical order)."""


class LinkStyle:
    """How a page's term links are written: the glossary's URL from the page, and each link's title."""

    def __init__(self, glossary_href: str, title: Callable[[str], str]) -> None:
        self.glossary_href = glossary_href
        self.title = title  # an entry's id -> the link's `title`

    def link(self, opening: LinkOpen) -> etree.Element:
        """``<a class="edition-term" data-term href id title>``; its text goes in a ``<span lang>`` if it has one."""
        entry_id = opening.entry_id
        return etree.Element("a", {"class": "edition-term", "data-term": entry_id,
                                   "href": f"{self.glossary_href}#{entry_id}",
                                   "id": f"term-{entry_id}-{opening.ordinal}", "title": self.title(entry_id)})


def mark(opening: MarkOpen) -> etree.Element:
    """The highlight of a note's passage (one per run it covers)."""
    return etree.Element("mark", {"class": "edition-quote", "data-note": opening.note.id})


def reference(ref: Reference) -> etree.Element:
    """A note's number after its passage, linking to the note."""
    sup = etree.Element("sup", {"class": "edition-note-ref", "id": f"note-ref-{ref.note.id}"})
    link = etree.SubElement(sup, "a", {"aria-label": f"Editorial note {ref.number}", "class": "footnote-ref",
                                       "href": f"#note-{ref.note.id}"})
    link.text = str(ref.number)
    return sup


def write_run(element: etree.Element, attr: str, content: Content, style: LinkStyle,
              container: etree.Element | None) -> None:
    """Put ``content`` in place of the run ``attr`` (`text` or `tail`) of ``element``.

    A tail's new elements follow ``element`` in its ``container``.
    """
    holder = etree.Element("div")
    open_elements = [holder]
    for piece in content:
        if isinstance(piece, str):
            _append_text(open_elements[-1], piece)
        elif isinstance(piece, MarkOpen):
            highlight = mark(piece)
            open_elements[-1].append(highlight)
            open_elements.append(highlight)
        elif isinstance(piece, LinkOpen):
            link = style.link(piece)
            open_elements[-1].append(link)
            open_elements.append(link)
            if piece.lang:  # the form's language covers its words, not the link's title
                open_elements.append(etree.SubElement(link, "span", {"lang": piece.lang}))
        elif isinstance(piece, Reference):
            open_elements[-1].append(reference(piece))
        else:  # the end of a mark or of a link (and of its span)
            closed = open_elements.pop()
            if piece is not MARK_CLOSE and closed.tag == "span":
                open_elements.pop()
    if attr == "text":
        element.text = holder.text
        element[0:0] = list(holder)
    else:
        assert container is not None, "a tail is written in its element's container"
        element.tail = holder.text
        at = list(container).index(element) + 1
        container[at:at] = list(holder)


def _append_text(container: etree.Element, text: str) -> None:
    if len(container):
        last = container[-1]
        last.tail = (last.tail or "") + text
    else:
        container.text = (container.text or "") + text


def number_paragraph(numbered: Numbered) -> None:
    """Put the paragraph's visible number, a link to its id, at its start."""
    paragraph = numbered.element
    number = etree.Element("a", {"aria-label": f"Paragraph {numbered.number}", "class": "edition-pnum",
                                 "href": f"#{numbered.anchor_id}"})
    number.text = str(numbered.number)
    number.tail = paragraph.text
    paragraph.text = None
    paragraph.insert(0, number)


def notes_section(anchors: Sequence[Anchor], body: Callable[[Anchor, int], str]) -> etree.Element:
    """The page's notes section, one item per anchored note in reading order.

    Each note's body is a comment with the text ``body(anchor, number)``: the
    edition fills it once definitions and notes are rendered.
    """
    section = etree.Element("section", {"aria-labelledby": NOTES_TITLE_ID, "class": "edition-notes"})
    title = etree.SubElement(section, "h2", {"class": "edition-notes__title", "id": NOTES_TITLE_ID})
    title.text = NOTES_TITLE
    items = etree.SubElement(section, "ol", {"class": "edition-notes__list"})
    for number, anchor in enumerate(anchors, start=1):
        note = anchor.note
        item = etree.SubElement(items, "li", {"class": f"edition-note edition-note--{note.type}", "id": f"note-{note.id}"})
        holder = etree.SubElement(item, "div", {"class": "edition-note__body"})
        holder.append(etree.Comment(body(anchor, number)))
    return section


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
