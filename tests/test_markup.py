"""What markup writes by hand is byte for byte what Python-Markdown's serializer writes for the same elements.

The edition writes its markup as HTML text (markup.py) so that the
serializer need not walk it; the pages must read as if it had.  The
elements below are the ones the edition made before, serialized.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

from hypothesis import given
from hypothesis import strategies as st
from markdown.serializers import to_xhtml_string

from annotated_edition import markup
from annotated_edition.anchoring import Anchor
from annotated_edition.model import Note
from annotated_edition.rules import Numbered

# Ids and types as an author might write them (attr_list ids, note ids), escaping's characters included.
TEXTS = st.text(alphabet=st.sampled_from('ab1-_ "&<>\'#;é'), min_size=1, max_size=12)


@given(anchor_id=TEXTS, number=st.integers(1, 999), text=TEXTS)
def test_a_paragraph_number_reads_as_the_serializer_writes_it(anchor_id: str, number: int, text: str) -> None:
    as_elements = etree.Element("p")
    link = etree.SubElement(as_elements, "a", {"aria-label": f"Paragraph {number}", "class": "edition-pnum",
                                               "href": f"#{anchor_id}"})
    link.text, link.tail = str(number), text
    paragraph = etree.Element("p")
    paragraph.text = text
    written = markup.WrittenMarkup()
    markup.number_paragraph(Numbered(paragraph, number, anchor_id), written)
    assert written.fill(to_xhtml_string(paragraph)) == to_xhtml_string(as_elements)


@given(notes=st.lists(st.tuples(TEXTS, TEXTS), min_size=1, max_size=4), body=TEXTS)
def test_the_notes_section_reads_as_the_serializer_writes_it(notes: list[tuple[str, str]], body: str) -> None:
    anchors = [Anchor(Note(id=note_id, quote="q", note="n", path="p.yml", line=1, column=1, type=note_type), 0, 1)
               for note_id, note_type in notes]
    section = etree.Element("section", {"aria-labelledby": markup.NOTES_TITLE_ID, "class": "edition-notes"})
    title = etree.SubElement(section, "h2", {"class": "edition-notes__title", "id": markup.NOTES_TITLE_ID})
    title.text = markup.NOTES_TITLE
    items = etree.SubElement(section, "ol", {"class": "edition-notes__list"})
    for number, anchor in enumerate(anchors, start=1):
        item = etree.SubElement(items, "li", {"class": f"edition-note edition-note--{anchor.note.type}",
                                              "id": f"note-{anchor.note.id}"})
        holder = etree.SubElement(item, "div", {"class": "edition-note__body"})
        holder.append(etree.Comment(f"{body}:{number}"))
    assert markup.notes_section(anchors, lambda anchor, number: f"{body}:{number}") == to_xhtml_string(section)
    assert to_xhtml_string(section).startswith(markup.NOTES_SECTION_START)
