"""The build-wide edition and the per-page work on the element tree.

:class:`Edition` holds what does not depend on the page: the entries, the
compiled matcher, the rendered definitions and notes.  :class:`EditionExtension`
is a Python-Markdown extension whose treeprocessor, told the current page by
the caller (:meth:`EditionExtension.start_page`), numbers paragraphs,
anchors notes and links terms.  Nothing here imports MkDocs.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import secrets
import weakref
import xml.etree.ElementTree as etree
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import markdown
from markdown.postprocessors import Postprocessor
from markdown.serializers import _escape_attrib_html, _escape_cdata  # the escaping of Python-Markdown's output
from markdown.treeprocessors import Treeprocessor

from .anchoring import PLACEHOLDER, Anchor, AnchorError, FlatText, find_anchor, flatten, wrap
from .matcher import Form, FormMatcher
from .model import Annotations, GlossaryEntry, Note, Source, notes_key
from .prematch import PageFeed, worth_converting_twice
from .problems import Problem
from .render import Rendered, RenderJob, SnippetRenderer

# The SPEC's list (headings, links, code, pre, abbr), plus elements that are code-like, defining or not text.
NEVER_LINKED = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre", "abbr", "kbd", "samp",
                          "script", "style", "textarea", "button", "svg", "math", "dfn", "var"})
# (The edition's own numbers, references and notes section are never elements in the tree: see
# _TermLinker.  Quotations and links never meet them.)
HIDDEN_FROM_QUOTES = frozenset({"headerlink", "footnote-ref"})
_NOT_LINKED_CLASSES = frozenset({"headerlink"})
NOTE_TYPE_LABELS = {"context": "Context", "translation": "Translation", "correction": "Correction",
                    "citation": "Citation"}
NOTES_TITLE = "Editorial notes"
NOTES_TITLE_ID = "edition-notes-title"
# The notes section's opening tag as Python-Markdown serializes it (attributes in lexical order).
NOTES_SECTION_START = f'<section aria-labelledby="{NOTES_TITLE_ID}" class="edition-notes">'
TREEPROCESSOR_PRIORITY = -10
"""After MkDocs' `relpath` (0): term links carry ready relative URLs and are not re-validated."""
FRAGMENT_POSTPROCESSOR_PRIORITY = 25
"""After Python-Markdown's raw HTML (30), before `&` substitution (20), which then reaches the fragments too."""


@dataclass
class PageContext:
    """What the treeprocessor needs to know about the page being rendered."""

    src_path: str                         # the page under docs/, e.g. "a/b.md"
    glossary_href: str                    # relative URL from this page to the glossary page
    path: str = ""                        # the page's file relative to the edition's root, for messages
    paragraph_numbers: bool = True
    link_terms: bool = True
    notes: Sequence[Note] = ()
    occurrences: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)
    """Each linked entry's links, entries in first-seen order: (the link's id, its paragraph number or None)."""
    problems: list[Problem] = field(default_factory=list)
    anchored: list[str] = field(default_factory=list)        # note ids in reading order
    fragments: list[str] = field(default_factory=list)       # the edition's HTML, by placeholder number


_SEARCH_NOISE = re.compile(
    r'<a aria-label="Paragraph \d+" class="edition-pnum" href="#p\d+">\d+</a>'
    r'|<sup class="edition-note-ref" id="note-ref-[a-z0-9-]+"><a aria-label="Editorial note \d+" '
    r'class="footnote-ref" href="#note-[a-z0-9-]+">\d+</a></sup>')
_TERM_LINK_OPENING = '<a class="edition-term" '
_MARK = re.compile(r"</?mark\b[^>]*>")


def searchable_html(content: str) -> str:
    """A page's HTML as search should index it: the reading text, without the edition's apparatus.

    Paragraph and note numbers go (they are not words of the text), term
    links become their words and highlights lose their tags (Material's index
    keeps no `mark`, so dropping them changes nothing in it): the search
    index, built in pure Python, pays for every element, and its result
    snippets read better without stray numbers.  Term links never contain
    another link, so the first `</a>` closes each.
    """
    return _MARK.sub("", _unlink_terms(_SEARCH_NOISE.sub("", content)))


def _unlink_terms(content: str) -> str:
    """Term links become their words (split and join: three times faster than a regex here)."""
    pieces = content.split(_TERM_LINK_OPENING)
    words = [pieces[0]]
    for piece in pieces[1:]:
        opened = piece.find(">") + 1
        closed = piece.find("</a>", opened)
        if not opened or closed == -1:  # not one of ours after all (raw HTML cut short): keep it
            words += (_TERM_LINK_OPENING, piece)
            continue
        words += (piece[opened:closed], piece[closed + 4:])
    return "".join(words)


def format_source(source: Source) -> str:
    """One source as HTML: author, “title”, publisher, date, link."""
    parts = []
    if source.author:
        parts.append(html.escape(source.author))
    title = html.escape(source.title)
    parts.append(f"<cite>{title}</cite>")
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


@dataclass(frozen=True)
class _RenderedText:
    definitions: dict[str, Rendered]
    note_bodies: list[Rendered]     # in the order of Edition.note_index
    problems: list[Problem]
    title_attributes: dict[str, str]  # each link's tooltip (its definition's first sentence), escaped


class Edition:
    """The edition as the build sees it: entries, matcher, rendered text.

    The rendered definitions and notes are not needed until every page has
    been converted: pages carry placeholders for them (note bodies, link
    titles) that :meth:`finish_html` fills.  So rendering starts here, on
    another core where possible (:class:`~.render.RenderJob`), and is
    collected the first time a rendered text is asked for.
    """

    def __init__(self, annotations: Annotations, renderer: SnippetRenderer, link_default: str = "first", *,
                 pages: Sequence[str] = (),
                 read_page: Callable[[str], tuple[str, PageContext]] | None = None) -> None:
        """``pages`` (in the order the build converts them) and ``read_page`` (a page's Markdown as the
        build converts it, and its context as the build will give it) let the render worker, once
        done, edit pages ahead of this process (:mod:`~.prematch`)."""
        self.annotations = annotations
        self.entries: dict[str, GlossaryEntry] = annotations.entries
        self.matcher = FormMatcher(
            Form(entry.id, form, entry.match_case)
            for entry in self.entries.values() for form in entry.forms
        )
        self.link_modes: dict[str, str] = {key: entry.link or link_default for key, entry in self.entries.items()}
        """`first`, `all` or `none` for each entry."""
        self._notes = [(page, note) for page, page_notes in annotations.notes.items() for note in page_notes]
        # A note's place in that list names its body in the placeholder a page carries.
        self.note_index: dict[tuple[str, str], int] = {
            (page, note.id): index for index, (page, note) in enumerate(self._notes)}
        self.problems: list[Problem] = list(annotations.problems)
        """Problems found in loading; those found in rendering come with :meth:`rendering_problems`."""
        # Placeholders name this build's token: an author cannot write one by chance or on purpose.
        # Drawn before the worker starts, which writes the same placeholders (see _page_ahead).
        self._token = secrets.token_hex(8)
        self._note_placeholder = re.compile(f"<!--edition-note:{self._token}:(\\d+):(\\d+)-->")
        self._title_marker = f'title="{self._token}:'  # a title's placeholder, up to the entry's id
        self.fragment_marker = f"\x02{self._token}:"
        """Starts the placeholder a text carries for a mark, a note reference, a term link, a paragraph
        number or the notes section until the page's HTML is written (:class:`FragmentPostprocessor`).

        Python-Markdown removes STX (``\\x02``) from the source, so no page
        text holds one: like its own raw-HTML placeholders, it is unforgeable.
        """
        self.fragment_placeholder = re.compile(re.escape(self.fragment_marker) + "\\d+\x03")
        """A whole placeholder of the edition's own."""
        self._scanner = PlaceholderAwareMatcher(self.matcher, self.fragment_marker, self.fragment_placeholder)
        self.find = self._scanner.find
        """Every form occurrence to link in a text, in its offsets (see :class:`PlaceholderAwareMatcher`)."""
        self.pages_ahead = 0
        """How many pages the worker had edited (the rest were edited here)."""
        self._openings: dict[str, dict[str, tuple[str, str]]] = {}
        self._rendered: _RenderedText | None = None
        self._feed: PageFeed | None = None
        # Everything the pages' editing uses is set: the worker's copy of this edition is whole.
        # Its work refers to the edition weakly: no reference cycle keeps the edition alive once
        # the build lets go of it (on_post_build).
        feed = (PageFeed(pages, read_page, renderer.new_markdown, functools.partial(_page_ahead, weakref.ref(self)))
                if pages and read_page is not None and worth_converting_twice(*renderer.extensions) else None)
        snippets = [e.definition for e in self.entries.values()] + [n.note for _, n in self._notes]
        self._job = RenderJob(renderer, snippets, then=feed.work_in_worker if feed is not None else None)
        if feed is not None and self._job.in_background:
            self._feed = feed
            feed.forked()
        elif feed is not None:
            feed.close()

    def page_started(self, page: str) -> None:
        """The build starts converting ``page`` (one of ``pages``): take in the pages edited ahead."""
        if self._feed is not None:
            self._feed.page_started(page)

    def edited_ahead(self, page: PageContext, root: etree.Element, stash: Sequence[object]) -> bool:
        """Give ``root`` the worker's edit of this very tree in this very context, if it sent one.

        Returns whether it did; the page's fragments, links, anchored notes
        are then as :func:`edit_page` would have left them.
        """
        if self._feed is None or page.fragments:  # (fragments are numbered from 0 in the worker's edit)
            return False
        key = ("page", page.src_path)
        outcome: PageOutcome | None = self._feed.known(key)
        if outcome is None:
            return False
        read, elements = what_editing_reads(root, stash, page)
        if read != outcome.read:  # rewritten by a plugin, converted otherwise, or another conversion
            return False
        self._feed.forget(key)  # used once: it need not stay in memory
        outcome.apply(elements, page)
        self.pages_ahead += 1
        return True

    def _collect(self) -> _RenderedText:
        if self._rendered is None:
            rendered = self._job.result()
            self._close_feed()  # every page is converted
            definitions = dict(zip(self.entries, rendered))
            bodies = rendered[len(self.entries):]
            problems: list[Problem] = []
            for entry in self.entries.values():
                if definitions[entry.id].removed:
                    problems += _removed(entry.path, entry.where(("definition",)), definitions[entry.id],
                                         "definition")
            for (_, note), body in zip(self._notes, bodies):
                if body.removed:
                    problems += _removed(note.path, note.body_position, body, f"note '{note.id}'")
            # The plain-text tooltip of every link to an entry, computed once per build.
            self._rendered = _RenderedText(definitions, bodies, problems,
                                           {key: _attribute(value.first_sentence)
                                            for key, value in definitions.items()})
        return self._rendered

    @property
    def definitions(self) -> dict[str, Rendered]:
        """Each entry's rendered definition, by entry id."""
        return self._collect().definitions

    def note_body(self, page: str, note_id: str) -> Rendered:
        """The rendered text of note ``note_id`` on ``page``."""
        return self._collect().note_bodies[self.note_index[(page, note_id)]]

    def rendering_problems(self) -> list[Problem]:
        """What the sanitizer removed from definitions and notes (waits for the rendering)."""
        return self._collect().problems

    @property
    def renders_in_background(self) -> bool:
        """Whether a forked worker is rendering the definitions and notes."""
        return self._job.in_background

    def cancel(self) -> None:
        """Stop rendering in the background (the build failed)."""
        self._job.cancel()
        self._close_feed()

    def _close_feed(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None

    def finish_html(self, content: str) -> str:
        """Fill a converted page's placeholders: note bodies and the titles of term links.

        Placeholders carry this build's random token, so nothing an author
        writes in a page can pass for one; one whose note or entry is unknown
        is left as it is.
        """
        rendered = self._collect()
        notes, titles = self._notes, rendered.title_attributes

        def note(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if index >= len(notes):
                return match.group(0)
            item = notes[index][1]
            return (f"<p class=\"edition-note__type\">{NOTE_TYPE_LABELS[item.type]}</p>"
                    f"{rendered.note_bodies[index].html}{format_sources(item.sources)}"
                    f"<a class=\"edition-note__backref\" href=\"#note-ref-{item.id}\" "
                    f"aria-label=\"Back to the passage of note {match.group(2)}\">&#8617;</a>")

        # Note bodies are only in the edition's notes section, the page's last (see search_html).
        section = content.rfind(NOTES_SECTION_START)
        if section != -1:
            content = content[:section] + self._note_placeholder.sub(note, content[section:])
        # Titles, one for each term link: split and join (half the time of a regex with a callback).
        pieces = content.split(self._title_marker)
        filled = [pieces[0]]
        for piece in pieces[1:]:
            end = piece.find('"')
            key = piece[:end]
            # The entry id, as the attribute holds it (ids need no escaping; an author's look-alike might).
            text = titles.get(html.unescape(key) if "&" in key else key) if end != -1 else None
            if text is None:  # not a title this build wrote: left as it is
                filled += (self._title_marker, piece)
            else:
                filled += ('title="', text, piece[end:])
        return "".join(filled)

    def note_placeholder(self, page: str, note_id: str, number: int) -> str:
        """The text of the comment that stands for a note's body until :meth:`finish_html`."""
        return f"edition-note:{self._token}:{self.note_index[(page, note_id)]}:{number}"

    def link_openings(self, glossary_href: str) -> dict[str, tuple[str, str]]:
        """The opening tags of links to the glossary at ``glossary_href``, by entry (see :meth:`link_opening`).

        Kept for the build: pages at the same depth share them.
        """
        return self._openings.setdefault(glossary_href, {})

    def link_opening(self, entry_id: str, glossary_href: str) -> tuple[str, str]:
        """A term link's opening tag, in two parts around its ordinal (its id is ``term-<entry>-<ordinal>``)."""
        entry = self.entries[entry_id]
        escaped_id = _escape_attrib_html(entry_id)
        href = _escape_attrib_html(f"{glossary_href}#{entry_id}")
        lang = f' lang="{_escape_attrib_html(entry.lang)}"' if entry.lang else ""
        title = _escape_attrib_html(self.title_placeholder(entry_id))  # the text: finish_html
        return (f'<a class="edition-term" data-term="{escaped_id}" href="{href}" id="term-{escaped_id}-',
                f'"{lang} title="{title}">')

    def fill_fragments(self, content: str, fragments: Sequence[str]) -> str:
        """Put each fragment of HTML (by number) in place of its placeholder in ``content``."""
        marker = self.fragment_marker
        pieces = content.split(marker)
        filled = [pieces[0]]
        for piece in pieces[1:]:
            number, closed, rest = piece.partition("\x03")
            if closed and number.isdigit() and int(number) < len(fragments):
                filled += (fragments[int(number)], rest)
            else:  # not a placeholder this page wrote: left as it is
                filled += (marker, piece)
        return "".join(filled)

    def title_placeholder(self, entry_id: str) -> str:
        """The `title` a term link carries until :meth:`finish_html`."""
        return f"{self._token}:{entry_id}"

    def search_html(self, content: str, page: str, anchored: Sequence[str]) -> str:
        """A page's finished HTML as search should index it.

        The reading text without the apparatus (:func:`searchable_html`), and
        the notes (``anchored``: the page's note ids in reading order) as a
        heading and one paragraph of plain text each: their type labels,
        sources and back-links are not worth finding, and Material's search
        parser pays for every element in pure Python.
        """
        # The edition's notes section is the page's last (an author's look-alike could only come earlier).
        start = content.rfind(NOTES_SECTION_START)
        if start != -1 and anchored:
            # Notes, sources and back-links cannot hold a <section>: the first closing tag is the section's.
            end = content.find("</section>", start)
            end = len(content) if end == -1 else end + len("</section>")
            notes = "".join(f"<p>{html.escape(self.note_body(page, note_id).text, quote=False)}</p>"
                            for note_id in anchored)
            content = (content[:start] + f'<h2 id="{NOTES_TITLE_ID}">{NOTES_TITLE}</h2>{notes}'
                       + content[end:])
        return searchable_html(content)


class PlaceholderAwareMatcher:
    """Finds forms in a text that may hold the edition's placeholders (marks and note references).

    A placeholder is not text: forms are found in the text without them,
    so that the whole-word rule sees the words the reader sees, and each
    match is mapped back to the text, as tightly as it goes (placeholders at
    its edges stay outside it; those inside, where a passage begins or ends
    in the middle of a form, are in it).  Python-Markdown's raw-HTML
    placeholders stay in the text, as they always were.
    """

    def __init__(self, matcher: FormMatcher, marker: str, placeholder: re.Pattern[str]) -> None:
        self.matcher = matcher
        self.marker = marker
        self.placeholder = placeholder

    def find(self, text: str) -> Sequence[tuple[int, int, str]]:
        """``(start, end, entry_id)`` of every form occurrence to link in ``text``, in text offsets."""
        if self.marker not in text:
            return self.matcher.find(text)
        pieces: list[str] = []
        clean_starts: list[int] = []  # where each piece of text begins without the placeholders
        text_starts: list[int] = []   # and in the text
        clean_length = cursor = 0
        for placeholder in self.placeholder.finditer(text):
            if placeholder.start() > cursor:
                pieces.append(text[cursor:placeholder.start()])
                clean_starts.append(clean_length)
                text_starts.append(cursor)
                clean_length += placeholder.start() - cursor
            cursor = placeholder.end()
        if cursor < len(text):
            pieces.append(text[cursor:])
            clean_starts.append(clean_length)
            text_starts.append(cursor)
        found = []
        for start, end, entry_id in self.matcher.find("".join(pieces)):
            first = bisect.bisect_right(clean_starts, start) - 1       # the piece the match begins in
            last = bisect.bisect_right(clean_starts, end - 1) - 1      # and the one it ends in
            found.append((text_starts[first] + start - clean_starts[first],
                          text_starts[last] + end - clean_starts[last], entry_id))
        return found


def _attribute(text: str) -> str:
    """``text`` escaped for a double-quoted attribute (``&``, ``<``, ``>`` and ``"``)."""
    return html.escape(text, quote=False).replace('"', "&quot;")


def _removed(path: str, position: tuple[int, int], rendered: Rendered, what: str) -> list[Problem]:
    return [Problem(path, *position, f"the {what} contains {removed}, which was removed from the page for "
                                     "safety; use plain Markdown instead") for removed in rendered.removed]


class EditionExtension(markdown.Extension):
    """Registers the edition's treeprocessor; the caller sets the edition and the page first.

    The extension can be made before the edition (a build adds it to the
    site's extensions while the annotations are still being read).
    """

    def __init__(self, edition: Edition | None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.edition = edition
        self.page: PageContext | None = None

    def start_page(self, page: PageContext | None) -> None:
        """Tell the treeprocessor which page the next conversion is."""
        self.page = page

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.treeprocessors.register(EditionTreeprocessor(md, self), "annotated_edition", TREEPROCESSOR_PRIORITY)
        md.postprocessors.register(FragmentPostprocessor(md, self), "annotated_edition_fragments",
                                   FRAGMENT_POSTPROCESSOR_PRIORITY)


class EditionTreeprocessor(Treeprocessor):
    """Numbers paragraphs, anchors notes and links glossary forms on one page (see :func:`edit_page`)."""

    def __init__(self, md: markdown.Markdown, extension: EditionExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, root: etree.Element) -> None:
        page, edition = self.extension.page, self.extension.edition
        if page is None or edition is None:
            return
        stash = self.md.htmlStash.rawHtmlBlocks
        if not edition.edited_ahead(page, root, stash):
            edit_page(edition, page, root, stash)


def edit_page(edition: Edition, page: PageContext, root: etree.Element, stash: Sequence[object]) -> None:
    """Number the paragraphs of a converted page's tree, anchor its notes and link its glossary forms.

    Only texts, tails and paragraph ids change: the edition's elements go
    into texts as placeholders (see :class:`_TermLinker`).  ``stash`` is the
    page's raw-HTML stash.  What the page gains is recorded in ``page``.
    """
    # (Pausing the cyclic collector here saves nothing, measured: it only moves the collection.)
    numbered = _number_paragraphs(root, page) if page.paragraph_numbers else []
    # Passages first: term links are then placeholders in the text (see _TermLinker), and a link
    # in a marked passage sits in its <mark>.
    anchors, marks = _anchor_notes(root, page, edition, stash) if page.notes else ([], MarkPlaceholders())
    if page.link_terms and edition.matcher.size:
        paragraph_of = {id(element): number for element, number, _ in numbered}
        _TermLinker(edition, page, paragraph_of, stash, marks).walk(root)
    # The numbers and the notes section last, as placeholders (see _TermLinker) that nothing above
    # should see: a quotation skips numbers, and forms are never found in them.
    marker = edition.fragment_marker
    for element, number, anchor_id in numbered:
        page.fragments.append(f'<a aria-label="Paragraph {number}" class="edition-pnum" '
                              f'href="#{_escape_attrib_html(anchor_id)}">{number}</a>')
        element.text = f"{marker}{len(page.fragments) - 1}\x03{element.text or ''}"
    if anchors:  # after the last block: the tail of the page's last element
        page.fragments.append(_notes_section(anchors, page, edition))
        last = root[-1]
        last.tail = f"{last.tail or ''}{marker}{len(page.fragments) - 1}\x03"


# -- paragraph numbers -------------------------------------------------------

def _number_paragraphs(root: etree.Element, page: PageContext) -> list[tuple[etree.Element, int, str]]:
    """Give each top-level paragraph id="pN"; the paragraphs with their numbers and ids.

    A paragraph that already has an id (from attr_list) keeps it, and its
    number links to that id.  The visible numbers go in once the terms are
    linked (:func:`edit_page`), written as the serializer would write the element
    ``<a aria-label="Paragraph N" class="edition-pnum" href="#pN">N</a>``.
    """
    taken = {element.get("id") for element in root.iter() if element.get("id")}
    numbered: list[tuple[etree.Element, int, str]] = []
    count = 0
    for element in root:
        if element.tag != "p" or _is_raw_html_paragraph(element):
            continue
        count += 1
        anchor_id = element.get("id") or f"p{count}"
        if not element.get("id"):
            if anchor_id in taken:
                page.problems.append(Problem(page.path or f"docs/{page.src_path}", 1, 1,
                                             f"paragraph {count} cannot take the id '{anchor_id}': another "
                                             "element on the page already has it; rename that element's id"))
                continue
            element.set("id", anchor_id)
        numbered.append((element, count, anchor_id))
    return numbered


# -- notes -------------------------------------------------------------------

def _anchor_notes(root: etree.Element, page: PageContext, edition: Edition,
                  stash: Sequence[object]) -> tuple[list[Anchor], MarkPlaceholders]:
    flat = flatten_for_quotes(root)
    anchors, problems = anchor_passages(flat, page.notes, stash)
    page.problems.extend(problems)
    marks = mark_anchors(flat, anchors, page.fragments, edition.fragment_marker)
    page.anchored.extend(a.note.id for a in anchors)
    return anchors, marks


def _notes_section(anchors: Sequence[Anchor], page: PageContext, edition: Edition) -> str:
    """The notes section, written as the serializer would write its elements.

    Each note's body is a comment: rendered on another core meanwhile, it
    is filled in by :meth:`Edition.finish_html`.
    """
    # Ids and types are checked by the schema; escaped all the same, as the serializer would.
    items = "".join(
        f'<li class="edition-note edition-note--{_escape_attrib_html(anchor.note.type)}" '
        f'id="note-{_escape_attrib_html(anchor.note.id)}"><div class="edition-note__body">'
        f'<!--{edition.note_placeholder(page.src_path, anchor.note.id, number)}--></div></li>'
        for number, anchor in enumerate(anchors, start=1))
    return (f'{NOTES_SECTION_START}<h2 class="edition-notes__title" id="{NOTES_TITLE_ID}">{NOTES_TITLE}</h2>'
            f'<ol class="edition-notes__list">{items}</ol></section>')


# -- pages edited ahead, on the worker ----------------------------------------

def what_editing_reads(root: etree.Element, stash: Sequence[object],
                       page: PageContext) -> tuple[tuple[object, ...], list[etree.Element]]:
    """All that :func:`edit_page` reads of a page; the tree's elements in document order.

    That is the page's context (its notes are those of its path), the raw-HTML
    stash, and the tree: each element's tag, number of children, ``id``,
    ``class``, text and tail, in document order (which, with the numbers of
    children, fixes the tree's shape).  Not ``href`` or ``src``: MkDocs
    rewrites them in the build's process only, and the edit never reads them.
    Two pages that read the same are edited the same.
    """
    elements = list(root.iter())
    shape = [(element.tag if type(element.tag) is str else getattr(element.tag, "__name__", "?"), len(element),
              element.get("id"), element.get("class"), element.text, element.tail) for element in elements]
    return (page.src_path, page.glossary_href, page.paragraph_numbers, page.link_terms,
            [str(block) for block in stash], shape), elements


@dataclass
class PageOutcome:
    """What :func:`edit_page` did to one tree, to be done again to the same tree in another process."""

    read: tuple[object, ...]
    """What the edit read (:func:`what_editing_reads`): the same tree elsewhere reads the same."""
    changed: list[tuple[int, str | None, str | None, str | None]]
    """(an element's place in document order, its text, its tail, its new id or None)"""
    fragments: list[str]
    occurrences: dict[str, list[tuple[str, int | None]]]
    anchored: list[str]

    @classmethod
    def of(cls, read: tuple[object, ...], elements: Sequence[etree.Element], page: PageContext) -> PageOutcome:
        """The outcome of an edit of ``elements`` that read ``read`` (their texts, tails and ids before it)."""
        # The tree's part of what was read: (tag, children, id, class, text, tail) by element.
        shape: Sequence[tuple[object, ...]] = read[-1]  # type: ignore[assignment]
        changed = []
        for index, (element, (_, _, anchor_id, _, text, tail)) in enumerate(zip(elements, shape)):
            now_id = element.get("id")
            if element.text is not text or element.tail is not tail or now_id != anchor_id:
                changed.append((index, element.text, element.tail, now_id if now_id != anchor_id else None))
        return cls(read, changed, page.fragments, page.occurrences, page.anchored)

    def apply(self, elements: Sequence[etree.Element], page: PageContext) -> None:
        """Do the edit again on ``elements`` (of a tree that reads as the edited one did)."""
        for index, text, tail, anchor_id in self.changed:
            element = elements[index]
            element.text, element.tail = text, tail
            if anchor_id is not None:
                element.set("id", anchor_id)
        page.fragments.extend(self.fragments)
        for entry_id, links in self.occurrences.items():
            page.occurrences.setdefault(entry_id, []).extend(links)
        page.anchored.extend(self.anchored)


def _page_ahead(edition_ref: Callable[[], Edition | None], uri: str, page: PageContext, root: etree.Element,
                md: markdown.Markdown) -> dict[object, object]:
    """In the worker: edit a page converted ahead of the build, and give its outcome, by page.

    Nothing for a page whose edit finds a problem: the build's process
    edits it and reports the problem itself.
    """
    edition = edition_ref()
    stash = md.htmlStash.rawHtmlBlocks
    if edition is None or page.fragments:
        return {}
    read, elements = what_editing_reads(root, stash, page)
    edit_page(edition, page, root, stash)
    if page.problems:
        return {}
    return {("page", page.src_path): PageOutcome.of(read, elements, page)}


def _hidden_from_quotes(element: etree.Element) -> bool:
    """Elements whose text a quotation never includes: scripts, styles, numbers and references."""
    tag = element.tag
    if tag in ("script", "style") or (tag == "sup" and (element.get("id") or "").startswith("fnref")):
        return True
    classes = element.get("class")
    return classes is not None and not HIDDEN_FROM_QUOTES.isdisjoint(classes.split())


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


@dataclass
class MarkPlaceholders:
    """The placeholders of a page's marks and note references, for links that cross a passage's edge."""

    closing: str = ""                                          # every mark's end
    note_of_opening: dict[str, str] = field(default_factory=dict)  # a mark's start -> its note
    opening_of_note: dict[str, str] = field(default_factory=dict)  # a note -> a start of its mark
    references: set[str] = field(default_factory=set)


def mark_anchors(flat: FlatText, anchors: Sequence[Anchor], fragments: list[str], marker: str) -> MarkPlaceholders:
    """Wrap each passage (``anchors`` in reading order) in marks, then the note's reference.

    They go into the texts as placeholders (``marker``, the number of their
    HTML in ``fragments``, STX): see :class:`_TermLinker`.  The elements are
    ``<mark class="edition-quote" data-note="ID">`` and
    ``<sup class="edition-note-ref" id="note-ref-ID"><a aria-label="Editorial
    note N" class="footnote-ref" href="#note-ID">N</a></sup>``, written as
    the serializer would write them.  Returns which placeholder is which.
    """
    marks = MarkPlaceholders()
    if not anchors:
        return marks
    number = {a.note.id: i for i, a in enumerate(anchors, start=1)}

    def placeholder(html: str) -> str:
        fragments.append(html)
        return f"{marker}{len(fragments) - 1}\x03"

    marks.closing = placeholder("</mark>")

    def opening(note: Note) -> str:
        made = placeholder(f'<mark class="edition-quote" data-note="{_escape_attrib_html(note.id)}">')
        marks.note_of_opening[made] = note.id
        marks.opening_of_note[note.id] = made
        return made

    def reference(note: Note) -> str:
        escaped, shown = _escape_attrib_html(note.id), number[note.id]
        made = placeholder(f'<sup class="edition-note-ref" id="note-ref-{escaped}"><a aria-label="Editorial note '
                           f'{shown}" class="footnote-ref" href="#note-{escaped}">{shown}</a></sup>')
        marks.references.add(made)
        return made

    wrap(flat, anchors, opening, marks.closing, reference)
    return marks


def flatten_for_quotes(root: etree.Element) -> FlatText:
    """A page's text as quotations see it (without numbers, references, scripts and styles)."""
    return flatten(root, _hidden_from_quotes)


def _is_raw_html_paragraph(element: etree.Element) -> bool:
    """A `<p>` that only holds a raw-HTML placeholder is not a paragraph of text."""
    return len(element) == 0 and PLACEHOLDER.fullmatch((element.text or "").strip()) is not None


class _TermLinker:
    """Walks one page's tree and turns glossary forms into links.

    A link goes into its text as a placeholder, and its HTML, written here as
    Python-Markdown's serializer would write the element, into the page's
    ``fragments``; :class:`FragmentPostprocessor` puts it in place.  The
    edition's treeprocessor runs after every other (its priority is below
    MkDocs' own and Python-Markdown's), so no treeprocessor misses the
    elements; Python-Markdown keeps raw HTML the same way.  Measured on a
    book-sized edition, a link costs a third of an element's time: no element
    to create, insert and serialize, attribute by attribute, on every page.
    """

    def __init__(self, edition: Edition, page: PageContext, paragraph_of: dict[int, int],
                 stash: Sequence[object], marks: MarkPlaceholders | None = None) -> None:
        self.edition = edition
        self.page = page
        self.paragraph_of = paragraph_of
        self.stash = stash
        self.marks = marks if marks is not None else MarkPlaceholders()
        self.find = edition.find
        self.counts: dict[str, int] = {}  # this conversion's links to each entry (another may share the page)
        self.openings = edition.link_openings(page.glossary_href)
        self.paragraph: int | None = None
        self.raw_depth = 0  # how many inline raw-HTML tags are open at this point
        self._link_end = ""  # the placeholder of `</a>`, for links that cross a passage's edge

    def walk(self, root: etree.Element) -> None:
        for child in list(root):
            self.paragraph = self.paragraph_of.get(id(child))
            self.raw_depth = 0
            self._walk(child)
            # Top-level tails are whitespace between blocks: nothing to link.

    def _skip(self, element: etree.Element) -> bool:
        tag = element.tag
        if tag in NEVER_LINKED:
            return True
        if tag == "sup" and (element.get("id") or "").startswith("fnref"):
            return True
        classes = element.get("class")
        return classes is not None and not _NOT_LINKED_CLASSES.isdisjoint(classes.split())

    def _walk(self, element: etree.Element) -> None:
        if self._skip(element):
            return
        if element.text:
            element.text = self._link(element.text)
        for child in element:
            self._walk(child)
            if child.tail:
                child.tail = self._link(child.tail)

    def _linkable_spans(self, text: str) -> list[tuple[int, int]]:
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

    def _link(self, text: str) -> str:
        """``text`` with a placeholder for each link in place of its form.

        Each link is written as the serializer writes an element (attributes
        in lexical order, escaped alike) and recorded for the glossary's
        back-links, by entry; a page's links to an entry are numbered from 1.
        """
        if "\x02" in text or self.raw_depth:
            spans = self._linkable_spans(text)
            matches = [m for m in self.find(text) if any(start <= m[0] and m[1] <= end for start, end in spans)]
        else:
            matches = self.find(text)
        if not matches:
            return text
        modes, counts, occurrences = self.edition.link_modes, self.counts, self.page.occurrences
        fragments, marker, paragraph = self.page.fragments, self.edition.fragment_marker, self.paragraph
        pieces: list[str] = []
        cursor = 0
        crossed = False
        # Matches are FormMatch tuples, or plain tuples of the same fields from the worker.
        for start, end, entry_id in matches:
            mode = modes[entry_id]
            seen = counts.get(entry_id, 0)
            if mode == "none" or (mode == "first" and seen):
                continue
            ordinal = counts[entry_id] = seen + 1
            opening = self.openings.get(entry_id)
            if opening is None:
                opening = self.openings[entry_id] = self.edition.link_opening(entry_id, self.page.glossary_href)
            occurrences.setdefault(entry_id, []).append((f"term-{entry_id}-{ordinal}", paragraph))
            surface = text[start:end]
            pieces.append(text[cursor:start])
            if marker in surface:  # a passage begins or ends inside the form
                fragments.append(f"{opening[0]}{ordinal}{opening[1]}")
                pieces.append(self._crossing_link(text, start, end, f"{marker}{len(fragments) - 1}\x03"))
                crossed = True
            else:
                if "&" in surface or "<" in surface or ">" in surface:
                    surface = _escape_cdata(surface)
                fragments.append(f"{opening[0]}{ordinal}{opening[1]}{surface}</a>")
                pieces += (marker, str(len(fragments) - 1), "\x03")
            cursor = end
        if not pieces:
            return text
        pieces.append(text[cursor:])
        linked = "".join(pieces)
        return self._without_empty_marks(linked) if crossed else linked

    def _crossing_link(self, text: str, start: int, end: int, link_start: str) -> str:
        """A link whose form a passage's edge cuts: as the elements would nest.

        Marks open where the link begins are closed before it and opened
        again inside it; marks open where it ends are closed inside it and
        opened again after it; a note reference inside it goes after it (a
        reference is a link, never inside one).  The link's text stays in
        the tree's text, for the serializer to escape.
        """
        marks = self.marks
        if not self._link_end:
            self.page.fragments.append("</a>")
            self._link_end = f"{self.edition.fragment_marker}{len(self.page.fragments) - 1}\x03"
        placeholders = list(self.edition.fragment_placeholder.finditer(text))
        open_notes: list[str] = []
        for placeholder in placeholders:  # the marks open where the link begins
            if placeholder.start() >= start:
                break
            self._follow(placeholder.group(), open_notes)
        pieces = [marks.closing] * len(open_notes) + [link_start]
        pieces += [marks.opening_of_note[note] for note in open_notes]
        moved: list[str] = []
        cursor = start
        for placeholder in placeholders:
            if placeholder.start() < start or placeholder.start() >= end:
                continue
            pieces.append(text[cursor:placeholder.start()])
            if placeholder.group() in marks.references:
                moved.append(placeholder.group())
            else:
                pieces.append(placeholder.group())
                self._follow(placeholder.group(), open_notes)
            cursor = placeholder.end()
        pieces.append(text[cursor:end])
        pieces += [marks.closing] * len(open_notes) + [self._link_end] + moved
        pieces += [marks.opening_of_note[note] for note in open_notes]
        return "".join(pieces)

    def _follow(self, placeholder: str, open_notes: list[str]) -> None:
        """Keep ``open_notes`` (the marks open at this point) in step with one placeholder."""
        note = self.marks.note_of_opening.get(placeholder)
        if note is not None:
            open_notes.append(note)
        elif placeholder == self.marks.closing and open_notes:
            open_notes.pop()

    def _without_empty_marks(self, text: str) -> str:
        """Drop a mark opened and closed at once (where a link's edge met a passage's)."""
        marks = self.marks
        empty = re.compile(f"({self.edition.fragment_placeholder.pattern}){re.escape(marks.closing)}")
        while True:
            cleaned = empty.sub(lambda m: "" if m.group(1) in marks.note_of_opening else m.group(0), text)
            if cleaned == text:
                return text
            text = cleaned


class FragmentPostprocessor(Postprocessor):
    """Puts the page's term links and paragraph numbers in place of their placeholders in the HTML.

    See :class:`_TermLinker`: the elements as the serializer would have written them.
    """

    def __init__(self, md: markdown.Markdown, extension: EditionExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, text: str) -> str:
        page, edition = self.extension.page, self.extension.edition
        if page is None or edition is None or not page.fragments:
            return text
        filled = edition.fill_fragments(text, page.fragments)
        page.fragments = []  # in place: not kept through the build
        return filled


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
