"""What the site's search indexes of an annotated page: its reading text.

Paragraph and note numbers are not words of the text, and a result snippet
reads better without them; a note is found by its words, not by its type
label, sources or back-link.  So search (which runs on each page's HTML in
``on_page_context``) is given a view of the page without the apparatus; the
page itself keeps everything.  Material's search parser, in pure Python,
pays for every element, so the view is also the cheaper one to index.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from .markup import NOTES_SECTION_START, NOTES_TITLE, NOTES_TITLE_ID

_APPARATUS = re.compile(
    r'<a aria-label="Paragraph \d+" class="edition-pnum" href="#p\d+">\d+</a>'
    r'|<sup class="edition-note-ref" id="note-ref-[a-z0-9-]+"><a aria-label="Editorial note \d+" '
    r'class="footnote-ref" href="#note-[a-z0-9-]+">\d+</a></sup>')
_TERM_LINK_OPENING = '<a class="edition-term" '
_MARK = re.compile(r"</?mark\b[^>]*>")
_FORM_LANGUAGE = re.compile(r'<span lang="[^"]*">|</span>')


def searchable_html(content: str) -> str:
    """A page's HTML as search should index it: the reading text, without the edition's apparatus.

    Paragraph and note numbers go, term links become their words and
    highlights lose their tags (Material's index keeps no `mark`, so
    dropping them changes nothing in it).
    """
    return _MARK.sub("", _unlink_terms(_APPARATUS.sub("", content)))


def _unlink_terms(content: str) -> str:
    """Term links become their words (split and join: three times faster than a regex here).

    Term links never contain another link, so the first `</a>` closes each;
    the span that gives a form its language goes with the link.
    """
    pieces = content.split(_TERM_LINK_OPENING)
    words = [pieces[0]]
    for piece in pieces[1:]:
        opened = piece.find(">") + 1
        closed = piece.find("</a>", opened)
        if not opened or closed == -1:  # not one of ours after all (raw HTML cut short): keep it
            words += (_TERM_LINK_OPENING, piece)
            continue
        inside = piece[opened:closed]
        words += (_FORM_LANGUAGE.sub("", inside) if "<span" in inside else inside, piece[closed + 4:])
    return "".join(words)


def search_html(content: str, anchored: Sequence[str], note_text: Callable[[str], str]) -> str:
    """A page's finished HTML as search should index it.

    The reading text without the apparatus (:func:`searchable_html`), and
    the notes (``anchored``: the page's note ids in reading order;
    ``note_text``: a note's plain text) as a heading and one paragraph each.
    """
    # The edition's notes section is the page's last (an author's look-alike could only come earlier).
    start = content.rfind(NOTES_SECTION_START)
    if start != -1 and anchored:
        # Notes, sources and back-links cannot hold a <section>: the first closing tag is the section's.
        end = content.find("</section>", start)
        end = len(content) if end == -1 else end + len("</section>")
        notes = "".join(f"<p>{html.escape(note_text(note_id), quote=False)}</p>" for note_id in anchored)
        content = content[:start] + f'<h2 id="{NOTES_TITLE_ID}">{NOTES_TITLE}</h2>{notes}' + content[end:]
    return searchable_html(content)
