"""The build-wide edition, and the treeprocessor that applies its rules to each page.

:class:`Edition` holds what does not depend on the page: the entries, the
compiled matcher, the rendered definitions and notes.  :func:`edit_page`
applies the edition's rules (:mod:`.rules`, which decide) to one page's
element tree and writes what they decided (:mod:`.markup`, which writes).
:class:`EditionExtension` is the Python-Markdown extension that runs it on
each page, told the current page by the caller, and whose postprocessor puts
what markup wrote into the serialized page.  Nothing here imports MkDocs.
"""

from __future__ import annotations

import html
import re
import secrets
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import markdown
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HtmlStash

from . import ablation, markup
from .anchoring import Anchor
from .matcher import Form, FormMatcher, form_key
from .model import Annotations, GlossaryEntry, Note, notes_key
from .preview import preview
from .problems import Notice, Problem
from .readingtext import ReadingSource, TextTarget
from .render import Rendered, RenderJob, SnippetRenderer
from .rules import (Link, Placed, RunKey, TermLinker, anchor_passages, flatten_for_quotes, number_paragraphs,
                    passage_marks, run_content)

TREEPROCESSOR_PRIORITY = -10
"""After MkDocs' `relpath` (0): term links carry ready relative URLs and are not re-validated."""
POSTPROCESSOR_PRIORITY = 40
"""Before Python-Markdown's raw HTML (30): a written run may hold the placeholder of an author's inline tag."""


@dataclass
class PageContext:
    """What the treeprocessor needs to know about the page being rendered, and what it found there."""

    src_path: str                         # the page under docs/, e.g. "a/b.md"
    glossary_href: str                    # relative URL from this page to the glossary page
    path: str = ""                        # the page's file relative to the edition's root, for messages
    paragraph_numbers: bool = True
    link_terms: bool = True
    notes: Sequence[Note] = ()
    occurrences: dict[str, list[int | None]] = field(default_factory=dict)
    """Each linked entry's links, entries in first-seen order: the paragraph number of each (or None)."""
    problems: list[Problem] = field(default_factory=list)
    anchored: list[str] = field(default_factory=list)        # note ids in reading order
    note_targets: dict[str, TextTarget] = field(default_factory=dict)
    """Each anchored note's passage in the page's reading text (when the edition exports notes)."""
    term_targets: list[tuple[str, TextTarget]] = field(default_factory=list)
    """Each term link's entry and words in the reading text, in reading order (when it exports them)."""


def page_context(notes: dict[str, list[Note]], paragraph_numbers: bool, path: str, src: str, glossary_href: str,
                 meta: dict[str, Any]) -> PageContext:
    """What the treeprocessor is told about the page ``src`` (its front matter may turn its numbers off).

    ``path`` is the page's file from the edition's root, for messages.
    """
    numbers = meta.get("paragraph_numbers", paragraph_numbers)
    key = notes_key(src)  # notes on a/b.markdown: notes/a/b.yml
    return PageContext(src_path=key, glossary_href=glossary_href, path=path, notes=notes.get(key, ()),
                       paragraph_numbers=numbers is not False and str(numbers).lower() != "false")


@dataclass(frozen=True)
class _RenderedText:
    definitions: dict[str, Rendered]
    note_bodies: list[Rendered]     # in the order of Edition.note_index
    summaries: dict[str, Rendered]  # the entries that have a `summary`
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

    def __init__(self, annotations: Annotations, renderer: SnippetRenderer, link_default: str = "first") -> None:
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
        self._token = secrets.token_hex(8)
        self._note_placeholder = re.compile(f"<!--edition-note:{self._token}:(\\d+):(\\d+)-->")
        self._title_marker = f'title="{self._token}:'  # a title's placeholder, up to the entry's id
        self._rendered: _RenderedText | None = None
        self._summarized = [entry for entry in self.entries.values() if entry.summary]
        snippets = ([e.definition for e in self.entries.values()] + [n.note for _, n in self._notes]
                    + [e.summary or "" for e in self._summarized])
        self._job = RenderJob(renderer, snippets)
        self.exports_notes = False
        """Whether pages record where their notes' passages are in their reading text (:mod:`.readingtext`)."""
        self.exports_terms = False
        """Whether pages record where their term links are in their reading text."""

    def lang_of(self, entry_id: str, surface: str) -> str | None:
        """The language of an entry's form as it reads in the text (``surface``): its own, else the entry's."""
        entry = self.entries[entry_id]
        if entry.form_langs:
            key = form_key(surface, entry.match_case)
            for form, lang in zip(entry.forms, entry.form_langs):
                if form_key(form, entry.match_case) == key:
                    return lang
        return entry.lang

    def _collect(self) -> _RenderedText:
        if self._rendered is None:
            rendered = self._job.result()
            definitions = dict(zip(self.entries, rendered))
            bodies = rendered[len(self.entries):len(self.entries) + len(self._notes)]
            summaries = dict(zip((e.id for e in self._summarized), rendered[len(self.entries) + len(self._notes):]))
            problems: list[Problem] = []
            for entry in self.entries.values():
                if definitions[entry.id].removed:
                    problems += _removed(entry.path, entry.where(("definition",)), definitions[entry.id],
                                         "definition")
                if entry.id in summaries and summaries[entry.id].removed:
                    problems += _removed(entry.path, entry.where(("summary",)), summaries[entry.id], "summary")
            for (_, note), body in zip(self._notes, bodies):
                if body.removed:
                    problems += _removed(note.path, note.body_position, body, f"note '{note.id}'")
            # The plain-text tooltip of every link to an entry, computed once per build.
            self._rendered = _RenderedText(definitions, bodies, summaries, problems,
                                           {key: _attribute(value.first_sentence)
                                            for key, value in definitions.items()})
        return self._rendered

    @property
    def definitions(self) -> dict[str, Rendered]:
        """Each entry's rendered definition, by entry id."""
        return self._collect().definitions

    def preview(self, entry_id: str) -> str:
        """What a term's tooltip shows of its entry: the rendered `summary`, else the definition's preview."""
        rendered = self._collect()
        summary = rendered.summaries.get(entry_id)
        return summary.html if summary is not None else preview(rendered.definitions[entry_id].html)

    def summary(self, entry_id: str) -> Rendered | None:
        """The rendered `summary` of an entry, if it has one."""
        return self._collect().summaries.get(entry_id)

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

    def note_placeholder(self, page: str, note_id: str, number: int) -> str:
        """The text of the comment that stands for a note's body until :meth:`finish_html`."""
        return f"edition-note:{self._token}:{self.note_index[(page, note_id)]}:{number}"

    def title_placeholder(self, entry_id: str) -> str:
        """The `title` a term link carries until :meth:`finish_html`."""
        return f"{self._token}:{entry_id}"

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
            return markup.note_html(item.type, rendered.note_bodies[index].html, item.sources, item.id,
                                    int(match.group(2)))

        # Note bodies are only in the edition's notes section, the page's last.
        section = content.rfind(markup.NOTES_SECTION_START)
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


def _attribute(text: str) -> str:
    """``text`` escaped for a double-quoted attribute (``&``, ``<``, ``>`` and ``"``)."""
    return html.escape(text, quote=False).replace('"', "&quot;")


def _removed(path: str, position: tuple[int, int], rendered: Rendered, what: str) -> list[Problem]:
    return [Problem(path, *position, f"the {what} contains {removed}, which was removed from the page for "
                                     "safety; use plain Markdown instead") for removed in rendered.removed]


def unlinked_entries(edition: Edition, pages: Iterable[PageContext]) -> list[Notice]:
    """Entries that no page links, for the editor's information (entries set to `link: none` are meant so).

    ``pages`` are the edition's converted pages.  Such an entry still has
    its place on the glossary page ("Not linked in the text").
    """
    linked: set[str] = set()
    for page in pages:
        linked.update(page.occurrences)
    return [Notice(entry.path, *entry.where(("term",)),
                   f"the entry '{entry.term}' is linked nowhere in the edition: none of its forms occurs in the "
                   "text of a page (headings, code and links are never linked). Add a form as the text writes it, "
                   "or keep the entry for the glossary page and see_also; `link: none` says so and silences this")
            for entry_id, entry in edition.annotations.entries.items()
            if entry_id not in linked and edition.link_modes[entry_id] != "none"]


# -- one page --------------------------------------------------------------------------

def edit_page(edition: Edition, page: PageContext, root: etree.Element, stash: HtmlStash,
              written: markup.WrittenMarkup) -> None:
    """Number a converted page's paragraphs, mark its notes' passages and link its glossary forms.

    The rules decide (:mod:`.rules`); markup writes (:mod:`.markup`).
    ``stash`` is the page's raw-HTML stash, whose raw HTML the rules read;
    what markup writes goes in ``written``.  What the page gains is
    recorded in ``page``.
    """
    page.occurrences.clear()  # a page converted again counts its links anew
    numbered, problems = (number_paragraphs(root, page.path or f"docs/{page.src_path}") if page.paragraph_numbers
                          else ([], []))
    page.problems += problems
    anchors: list[Anchor] = []
    marks: dict[RunKey, list[Placed]] = {}
    linking = page.link_terms and edition.matcher.size
    reading: ReadingSource | None = None  # the reading text's source, for the exported selectors
    if page.notes or (edition.exports_terms and linking):  # on the text as converted, before anything is written
        flat = flatten_for_quotes(root)
        if edition.exports_terms or (edition.exports_notes and page.notes):
            reading = ReadingSource(flat, stash.rawHtmlBlocks)
        anchors, problems = anchor_passages(flat, page.notes, stash.rawHtmlBlocks) if page.notes else ([], [])
        page.problems += problems
        page.anchored += [anchor.note.id for anchor in anchors]
        marks = passage_marks(flat, anchors)
    style = markup.LinkStyle(page.glossary_href, edition.title_placeholder)
    spots: list[tuple[etree.Element, str, list[Link]]] | None = [] if edition.exports_terms else None
    if linking:
        linker = TermLinker(edition.matcher.find, edition.link_modes, edition.lang_of, stash.rawHtmlBlocks,
                            page.occurrences)
        paragraph_of = {id(item.element): item.number for item in numbered}
        for block in list(root):
            linker.start_block(paragraph_of.get(id(block)))
            _link_terms(linker, block, marks, style, written, spots)
            # Top-level tails are whitespace between blocks: nothing to link.
    if reading is not None:
        _record_targets(page, reading, anchors if edition.exports_notes else [], spots or [])
    for (element, attr), placed in marks.items():  # passages in runs never linked (code, headings, links)
        markup.write_run(element, attr, run_content(getattr(element, attr) or "", placed, ()), style, written)
    for item in numbered:
        markup.number_paragraph(item, written)
    if anchors:  # after the last block
        markup.append_notes_section(root, anchors, lambda anchor, number: edition.note_placeholder(
            page.src_path, anchor.note.id, number), written)


def _record_targets(page: PageContext, reading: ReadingSource, anchors: Sequence[Anchor],
                    spots: Sequence[tuple[etree.Element, str, Sequence[Link]]]) -> None:
    """Where the page's passages and term links are in its reading text (:mod:`.readingtext`)."""
    terms: list[tuple[str, tuple[int, int]]] = []
    for element, attr, links in spots:
        start = reading.run_start(element, attr)
        if start is not None:
            terms += [(link.opening.entry_id, (start + link.start, start + link.end)) for link in links]
    targets = reading.targets([(anchor.start, anchor.end) for anchor in anchors] + [span for _, span in terms])
    page.note_targets = {anchor.note.id: target for anchor, target in zip(anchors, targets)}
    page.term_targets = [(entry_id, target) for (entry_id, _), target in zip(terms, targets[len(anchors):])]


def _link_terms(linker: TermLinker, element: etree.Element, marks: dict[RunKey, list[Placed]],
                style: markup.LinkStyle, written: markup.WrittenMarkup,
                spots: list[tuple[etree.Element, str, list[Link]]] | None) -> None:
    """Link the forms in ``element``'s runs, in reading order, and write each run with its passages' marks.

    What the linker decides depends on what it has seen (a page's first
    link to an entry, raw HTML open), so runs are decided in reading order:
    the element's text, then each child and the tail after it.
    """
    if linker.skips(element):
        return
    _link_run(linker, element, "text", marks, style, written, spots)
    for child in element:
        _link_terms(linker, child, marks, style, written, spots)
        _link_run(linker, child, "tail", marks, style, written, spots)


def _link_run(linker: TermLinker, element: etree.Element, attr: str, marks: dict[RunKey, list[Placed]],
              style: markup.LinkStyle, written: markup.WrittenMarkup,
              spots: list[tuple[etree.Element, str, list[Link]]] | None) -> None:
    text = getattr(element, attr)
    links = linker.links(text) if text else []
    if spots is not None and links:  # where they are, for the exported term annotations
        spots.append((element, attr, links))
    placed = marks.pop((element, attr), ()) if marks else ()  # most pages' runs hold no passage
    if links or placed:
        markup.write_run(element, attr, run_content(text or "", placed, links), style, written)


class EditionExtension(markdown.Extension):
    """Registers the edition's treeprocessor and postprocessor; the caller sets the edition and the page first.

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
        treeprocessor = EditionTreeprocessor(md, self)
        md.treeprocessors.register(treeprocessor, "annotated_edition", TREEPROCESSOR_PRIORITY)
        md.postprocessors.register(WrittenMarkupPostprocessor(md, treeprocessor), "annotated_edition",
                                   POSTPROCESSOR_PRIORITY)


class EditionTreeprocessor(Treeprocessor):
    """Numbers paragraphs, anchors notes and links glossary forms on one page (see :func:`edit_page`)."""

    def __init__(self, md: markdown.Markdown, extension: EditionExtension) -> None:
        super().__init__(md)
        self.extension = extension
        self.written = markup.WrittenMarkup()
        """What markup wrote on the page being converted."""

    def run(self, root: etree.Element) -> None:
        self.written = markup.WrittenMarkup(self.md.htmlStash if ablation.off("own-postprocessor") else None)
        page, edition = self.extension.page, self.extension.edition
        if page is None or edition is None:
            return
        edit_page(edition, page, root, self.md.htmlStash, self.written)


class WrittenMarkupPostprocessor(Postprocessor):
    """Puts what the treeprocessor wrote in place of its placeholders in the serialized page."""

    def __init__(self, md: markdown.Markdown, treeprocessor: EditionTreeprocessor) -> None:
        super().__init__(md)
        self.treeprocessor = treeprocessor

    def run(self, text: str) -> str:
        return self.treeprocessor.written.fill(text)
