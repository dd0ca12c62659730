"""The print edition's book: the whole edition as one HTML document for CSS Paged Media.

The plugin hands it plain data (:class:`PrintEdition`): each page's final
HTML in reading order, the glossary entries with their rendered definitions,
the book's metadata.  Nothing here imports MkDocs or WeasyPrint (:mod:`.pdf`
lays the book out).

:func:`book_html` makes one HTML document for ``assets/print-edition.css``:
title page, contents with page numbers, the pages (editorial notes and the
author's footnotes as real footnotes, ``float: footnote``), endnotes,
sources of the notes, glossary.

The endnote rule: WeasyPrint never splits a footnote across pages, so a note
too long for the foot of a page would drift pages away from its reference.
A note whose printed words (type label and text, sources aside, whitespace
folded) run over :data:`ENDNOTE_OVER` characters is set as an endnote, with
a pointer to it at the foot of the page.  The sources of the notes at the
foot go to "Sources of the notes": no footnote carries a list of references.
"""

from __future__ import annotations

import copy
import html
import posixpath
import xml.etree.ElementTree as etree
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from .glossary import entries_in_order
from .markup import format_sources
from .print_tree import as_inline, classes, inner_html, insert_after, parse_fragment, prepend, remove_where, words

if TYPE_CHECKING:
    from .edition import Edition

ENDNOTE_OVER = 700
"""About nine lines of the footnotes' 8 pt type on an A5 page: the foot of any page holds that much."""

# What paper cannot show (scripts, media, forms) and the web page's own apparatus.
_DROPPED_TAGS = {"script", "style", "noscript", "iframe", "object", "embed", "video", "audio", "form", "button",
                 "template", "link", "meta"}
_DROPPED_CLASSES = {"headerlink", "edition-note__backref", "footnote-backref", "edition-notes"}


@dataclass(frozen=True)
class PrintPage:
    """One page of the site, as the book prints it."""

    title: str
    url: str        # the page's URL in the site, as MkDocs gives it ("index.html", "a/b/")
    html: str       # its final content HTML (notes filled in)


@dataclass(frozen=True)
class PrintEntry:
    """One glossary entry, with its rendered definition."""

    id: str
    term: str
    definition_html: str
    lang: str | None = None
    forms: tuple[tuple[str, str | None], ...] = ()   # the further forms, each with its language
    see_also: tuple[tuple[str, str], ...] = ()       # (entry id, headword)
    sources_html: str = ""


@dataclass(frozen=True)
class PrintEdition:
    """What the book is made of."""

    title: str
    pages: Sequence[PrintPage]      # in reading order, the generated glossary page left out
    entries: Sequence[PrintEntry]   # in the glossary's order
    glossary_url: str               # the glossary page's URL in the site: links to it lead to the book's glossary
    glossary_title: str = "Glossary"
    language: str = "en"
    author: str = ""
    description: str = ""
    copyright: str = ""
    date: str | None = None         # YYYY-MM-DD, for the title page and the PDF's metadata


def _counted(target: str) -> str:
    """The style naming a link's target for its page number (print-edition.css: ``target-counter(var(--t))``).

    Not ``target-counter(attr(href))``: WeasyPrint 70 does not update such a
    number when its target moves to another page in a later layout pass; it
    follows a target named by a string.
    """
    return f"--t: '#{target}'"  # the book's ids are slugs: no quote in them


def _page_link(target: str) -> str:
    """A link whose text is the page of ``target`` ("p. 12")."""
    return f'<a class="pe-pageref" href="#{target}" style="{html.escape(_counted(target))}"></a>'


def _page_key(url: str) -> str:
    """A page's URL in one spelling: ``a/b/``, ``a/b/index.html`` and ``a/b`` are one page."""
    url = url.removeprefix("./")
    return (url[:-len("index.html")] if url.endswith("index.html") else url).rstrip("/")


def _lang(tag: str | None) -> str:
    return f' lang="{html.escape(tag)}"' if tag else ""


# -- the book ---------------------------------------------------------------------------

@dataclass
class _Note:
    """An editorial note or one of the author's footnotes, as the page has it."""

    note_id: str                     # its id on the page (``note-x``, ``fn:1``)
    ref_id: str                      # its reference's id in the text
    body: list[etree.Element]        # its blocks
    kind: str                        # "editorial" or "author"
    type: str = "note"               # an editorial note's type ("context", …)
    type_label: str = ""             # as the web shows it ("Context")
    sources: etree.Element | None = None
    label: str = ""                  # its number, as its reference shows it


class _Book:
    """Builds the book's HTML: :meth:`document` calls :meth:`page` for each page, then adds the back."""

    def __init__(self, edition: PrintEdition) -> None:
        self.edition = edition
        self.anchors = {_page_key(page.url): f"pg{index}" for index, page in enumerate(edition.pages)}
        self.anchors[_page_key(edition.glossary_url)] = "gl"
        self.contents: list[tuple[int, str, str]] = []     # (level, title, id)
        self.endnotes: list[tuple[str, str]] = []           # (page title, HTML)
        self.note_sources: list[tuple[str, str]] = []       # (page title, HTML)
        self.occurrences: dict[str, list[str]] = {}         # entry id -> its first link's id on each page

    def _target(self, href: str, folder: str, prefix: str) -> str | None:
        """Where a link of a page in ``folder`` leads in the book; None: nowhere (a file of the site, say)."""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            return href if parts.scheme in ("http", "https", "mailto") else None
        if not parts.path:
            return f"#{prefix}-{parts.fragment}" if parts.fragment else None
        anchor = self.anchors.get(_page_key(posixpath.normpath(posixpath.join(folder, unquote(parts.path)))))
        if anchor is None:
            return None
        return f"#{anchor}-{parts.fragment}" if parts.fragment else f"#{anchor}"

    def _relink(self, root: etree.Element, base: str, prefix: str) -> None:
        """Make a page's ids unique in the book; point its links at the book and its images at the site."""
        folder = base if base.endswith("/") or not base else posixpath.dirname(base)
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            if element.get("id"):
                element.set("id", f"{prefix}-{element.get('id')}")
            element.attrib.pop("title", None)  # tooltips have no place on paper
            href, src = element.get("href"), element.get("src")
            if element.tag == "a" and href is not None:
                target = self._target(href, folder, prefix)
                if target is None:
                    del element.attrib["href"]
                    continue
                element.set("href", target)
                if target.startswith(("http:", "https:")) and words(element) != href:  # print the address
                    element.set("class", f"{element.get('class') or ''} pe-url".strip())
            elif element.tag == "img" and src and not urlsplit(src).scheme:  # from the site's root
                element.set("src", quote(posixpath.normpath(posixpath.join(folder, unquote(src)))))

    def page(self, index: int, page: PrintPage) -> str:
        """One page of the site as a chapter of the book."""
        prefix = f"pg{index}"
        body = parse_fragment(page.html)
        notes = self._notes(body)  # read with the page's own ids, relinked in place with the page
        self._relink(body, page.url, prefix)
        remove_where(body, lambda e: not isinstance(e.tag, str) or e.tag in _DROPPED_TAGS
                     or bool(classes(e) & _DROPPED_CLASSES) or (e.tag == "div" and "footnote" in classes(e)))
        headings = [e for e in body.iter() if e.tag in ("h1", "h2")]
        if not headings or headings[0].tag != "h1":  # every chapter opens with its title
            title = etree.Element("h1")
            title.text, title.tail, body.text = page.title, body.text, None
            body.insert(0, title)
            headings.insert(0, title)
        for number, heading in enumerate(headings):
            heading.set("id", heading.get("id") or f"{prefix}-heading-{number}")
            shown = copy.deepcopy(heading)
            remove_where(shown, lambda e: e.tag == "sup")  # the note numbers
            heading.set("data-title", words(shown))  # the running head's
            self.contents.append((int(heading.tag[1]), words(shown), heading.get("id", "")))
        self._terms(body)
        elements = {e.get("id"): e for e in body.iter() if isinstance(e.tag, str) and e.get("id")}
        parents = {child: parent for parent in body.iter() for child in parent}
        for note in notes:
            reference = elements.get(f"{prefix}-{note.ref_id}")
            if reference is not None:
                self._set_note(note, prefix, page.title, reference, parents[reference])
        return f'<section class="pe-chapter" id="{prefix}">{inner_html(body)}</section>'

    @staticmethod
    def _notes(body: etree.Element) -> list[_Note]:
        """The page's editorial notes and author's footnotes, each with its reference's id and number."""
        notes = []
        for item in body.iter("li"):
            item_id = item.get("id", "")
            if "edition-note" in classes(item) and item_id.startswith("note-"):
                holder = item.find("div") if item.find("div") is not None else item
                parts = {name: next((c for c in holder if name in classes(c)), None)
                         for name in ("edition-note__type", "edition-sources")}
                kept = [c for c in holder if c not in parts.values() and "edition-note__backref" not in classes(c)]
                note_type = next((c[len("edition-note--"):] for c in classes(item) if c.startswith("edition-note--")),
                                 "note")
                label = parts["edition-note__type"]
                sources = parts["edition-sources"]
                notes.append(_Note(item_id, f"note-ref-{item_id[5:]}", kept, "editorial", note_type,
                                   words(label) if label is not None else "",
                                   sources.find("ol") if sources is not None else None))
            elif item_id.startswith("fn:"):
                notes.append(_Note(item_id, "", list(item), "author"))
        # A note's number is its reference's text; an author's footnote is found by its reference's link.
        references = {e.find("a").get("href", "")[1:]: e for e in body.iter("sup")
                      if e.find("a") is not None and "footnote-ref" in classes(e.find("a"))}
        for note in notes:
            if note.note_id in references:
                note.ref_id = note.ref_id or references[note.note_id].get("id", "")
                note.label = words(references[note.note_id])
        return notes

    def _terms(self, body: etree.Element) -> None:
        """Record each entry's first link on the page; the book's first also gives the entry's page ("→12")."""
        parents = {child: parent for parent in body.iter() for child in parent}
        on_page: set[str] = set()
        for link in [e for e in body.iter("a") if "edition-term" in classes(e) and e.get("id")]:
            entry_id, href = link.get("data-term", ""), link.get("href", "")
            if entry_id in on_page or not href.startswith("#"):
                continue
            on_page.add(entry_id)
            self.occurrences.setdefault(entry_id, []).append(link.get("id", ""))
            if len(self.occurrences[entry_id]) == 1:  # after the link: its underline would run under the number
                insert_after(parents[link], link, etree.Element(
                    "a", {"class": "pe-glossref", "href": href, "style": _counted(href[1:])}))

    def _set_note(self, note: _Note, prefix: str, page_title: str, reference: etree.Element,
                  parent: etree.Element) -> None:
        """Put the note at the foot of its reference's page, or among the endnotes with a pointer there."""
        holder = etree.Element("div")
        holder.extend(note.body)
        label = f"[{note.label}]" if note.kind == "editorial" else note.label
        head = (f'<span class="pe-num">{html.escape(label)}</span> '
                + (f'<span class="pe-type">{html.escape(note.type_label)}.</span> ' if note.type_label else ""))
        sources = ("" if note.sources is None else '<div class="edition-sources"><p class="edition-sources__title">'
                   f'Sources</p>{etree.tostring(note.sources, encoding="unicode", method="html")}</div>')
        back = f'<p class="pe-note-head">{head}{_page_link(reference.get("id", ""))}</p>'
        footnote = etree.Element("span", {"class": f"pe-fn pe-fn--{note.kind} pe-fn--{note.type}"})
        if len(" ".join(filter(None, (note.type_label, words(holder))))) > ENDNOTE_OVER:
            footnote.set("id", f"{prefix}-{note.note_id}-pointer")
            prepend(footnote, parse_fragment(f'<span>{head}Set among the endnotes for its length: '
                                             f'{_page_link(f"{prefix}-{note.note_id}")}.</span>').find("span"))
            self.endnotes.append((page_title, f'<div class="pe-endnote" id="{prefix}-{note.note_id}">{back}'
                                              f'{inner_html(holder)}{sources}</div>'))
        else:
            footnote.set("id", f"{prefix}-{note.note_id}")
            blocks = [as_inline(block) for block in holder]
            first = blocks[0] if blocks and "pe-b" in classes(blocks[0]) else footnote
            prepend(first, parse_fragment(f"<span>{head}</span>").find("span"))  # run in with the first paragraph
            footnote.extend(blocks)
            if sources:
                target = f"{prefix}-{note.note_id}-sources"
                more = etree.SubElement(footnote, "span", {"class": "pe-fn__sources"})
                more.text = "Sources: "
                etree.SubElement(more, "a", {"class": "pe-pageref", "href": f"#{target}", "style": _counted(target)})
                self.note_sources.append((page_title, f'<div class="pe-source-item" id="{target}">{back}'
                                                      f'{sources}</div>'))
        insert_after(parent, reference, footnote)

    def _entry(self, entry: PrintEntry) -> str:
        """One glossary entry, its headword run into its definition, as in a dictionary.

        Not a heading kept with the next lines by ``break-after: avoid``: the
        fewer boxes WeasyPrint moves back and forth, the steadier the layout.
        """
        definition = parse_fragment(entry.definition_html)
        self._relink(definition, self.edition.glossary_url, "gl")
        if not (len(definition) and definition[0].tag == "p" and not (definition.text or "").strip()):
            definition.insert(0, etree.Element("p"))  # a definition that opens with a list, say
        prepend(definition[0], parse_fragment(f'<span><dfn id="gl-{entry.id}"{_lang(entry.lang)}>'
                                              f'{html.escape(entry.term)}</dfn> </span>').find("span"))
        parts = [f'<div class="pe-entry">{inner_html(definition)}']
        if entry.forms:
            forms = ", ".join(f"<span{_lang(lang)}>{html.escape(form)}</span>" for form, lang in entry.forms)
            parts.append(f'<p class="pe-entry__forms">Also in the text as: {forms}</p>')
        if entry.see_also:
            links = ", ".join(f'<a class="pe-see" href="#gl-{target}" style="{html.escape(_counted("gl-" + target))}">'
                              f'{html.escape(term)}</a>' for target, term in entry.see_also)
            parts.append(f'<p class="pe-entry__see-also">See also: {links}</p>')
        where = ", ".join(_page_link(target) for target in self.occurrences.get(entry.id, []))
        parts.append(f'<p class="pe-entry__where">{f"In the text: {where}" if where else "Not linked in the text."}'
                     f'</p>{entry.sources_html}</div>')
        return "".join(parts)

    def _back_section(self, section_id: str, title: str, items: list[tuple[str, str]], intro: str) -> str:
        """Endnotes or sources of the notes, under each page's title when there are several pages."""
        if not items:
            return ""
        self.contents.append((1, title, section_id))
        parts = [f'<section class="pe-back" id="{section_id}"><h1 data-title="{title}">{title}</h1>'
                 f'<p class="pe-intro">{intro}</p>']
        group = None
        for page_title, item in items:
            if page_title != group and len(self.edition.pages) > 1:
                parts.append(f"<h2>{html.escape(page_title)}</h2>")
            group = page_title
            parts.append(item)
        return "".join(parts) + "</section>"

    def document(self) -> str:
        """The whole book."""
        from .glossary import initial  # the glossary page's letters

        edition = self.edition
        chapters = "".join(self.page(index, page) for index, page in enumerate(edition.pages))
        back = [self._back_section("pe-endnotes", "Endnotes", self.endnotes,
                                   f"Editorial notes whose words run over {ENDNOTE_OVER} characters, too long for "
                                   "the foot of a page. Each gives the page of its passage."),
                self._back_section("pe-note-sources", "Sources of the notes", self.note_sources,
                                   "The sources of the editorial notes printed at the foot of the page.")]
        if edition.entries:
            self.contents.append((1, edition.glossary_title, "gl"))
            letters: dict[str, list[str]] = {}
            for entry in edition.entries:
                letters.setdefault(initial(entry.term), []).append(self._entry(entry))
            name = html.escape(edition.glossary_title)
            back.append(f'<section class="pe-glossary" id="gl"><h1 data-title="{name}">{name}</h1>'
                        + "".join(f'<h2 class="pe-letter">{html.escape(letter)}</h2>{"".join(entries)}'
                                  for letter, entries in letters.items()) + "</section>")
        contents = "".join(f'<li class="pe-toc-{level}"><a href="#{target}" style="{html.escape(_counted(target))}">'
                           f"{html.escape(title)}</a></li>" for level, title, target in self.contents)
        meta = "".join(f'<meta name="{name}" content="{html.escape(value)}">' for name, value in (
            ("author", edition.author), ("description", edition.description), ("generator", "annotated-edition"),
            ("dcterms.created", edition.date), ("dcterms.modified", edition.date)) if value)
        title, made = html.escape(edition.title), f", {html.escape(edition.date)}" if edition.date else ""
        front = (f'<section class="pe-title-page"><h1 class="pe-book-title">{title}</h1>'
                 + "".join(f'<p class="pe-{kind}">{html.escape(text)}</p>' for kind, text in (
                     ("author", edition.author), ("description", edition.description)) if text)
                 + f'<div class="pe-colophon"><p>Print edition of the annotated web edition{made}.</p>'
                 + (f"<p>{html.escape(edition.copyright)}</p>" if edition.copyright else "") + "</div></section>"
                 f'<nav class="pe-contents" aria-label="Contents"><h1>Contents</h1><ol>{contents}</ol></nav>')
        return (f'<!DOCTYPE html><html lang="{html.escape(edition.language)}"><head><meta charset="utf-8">'
                f"<title>{title}</title>{meta}</head><body>{front}{chapters}{''.join(back)}</body></html>")


def book_html(edition: PrintEdition) -> str:
    """The whole book as one HTML document, for :func:`.pdf.stylesheet` (no WeasyPrint needed)."""
    return _Book(edition).document()


def print_entries(edition: Edition) -> list[PrintEntry]:
    """The edition's glossary entries as the book prints them, in the glossary's order."""
    definitions, entries = edition.definitions, edition.entries
    return [PrintEntry(entry.id, entry.term, definitions[entry.id].html, entry.lang,
                       tuple(zip(entry.forms[1:], entry.form_langs[1:] or (entry.lang,) * len(entry.forms))),
                       tuple((key, entries[key].term) for key in entry.see_also if key in entries),
                       format_sources(entry.sources))
            for entry in entries_in_order(edition)]
