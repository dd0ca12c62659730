"""A site's pages as the XHTML chapters of one book (:mod:`.epub` makes the book).

Each page's HTML is parsed into an element tree (lxml), cleaned of what
only the web needs (scripts, permalinks, tooltips, the reader's data),
given XML-safe ids, and its links are pointed at the chapters: a link to
another page leads to its chapter, a link to what the book lacks leaves for
the online edition or goes.  Notes, the editors' and the author's, become
EPUB 3 footnotes (``epub:type="noteref"`` on the reference, ``<aside
epub:type="footnote">`` for the note), which e-readers show as pop-ups.
Nothing here imports MkDocs or EbookLib.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

# What an XHTML chapter keeps.  Anything else is unwrapped (its text stays) or, for these, dropped whole.
KNOWN_TAGS = frozenset(
    "a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div "
    "dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li mark nav ol p pre q rp rt "
    "ruby s samp section small span strong sub summary sup table tbody td tfoot th thead time tr u ul var wbr".split())
DROPPED_TAGS = ("script", "style", "noscript", "template", "button", "input", "select", "textarea", "form", "iframe",
                "object", "embed", "video", "audio", "canvas", "link", "meta", "svg", "math", "source", "track")
KEPT_ATTRIBUTES = frozenset("id class href src alt lang dir title colspan rowspan headers scope datetime cite start "
                            "reversed type value width height role style open epub:type".split())
VOID_TAGS = frozenset(("br", "hr", "img", "col", "wbr"))
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp"}
STYLESHEET = "style/edition.css"

_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)  # plain elements: lxml.html's cost more
_UNWRAP = "edition-unwrap"  # what an element to be unwrapped is renamed to, for lxml's strip_tags
_WORDS = etree.XPath("descendant::text()[not(ancestor::sup)]")  # a heading's, without its note numbers
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_LATER = object()  # a link to a page not read yet


@dataclass
class Chapter:
    """One XHTML file of the book: a page, or the title page."""

    title: str
    url: str
    file_name: str
    root: Any = None                     # the content, under the <body> holding it, until it is written
    ids: dict[str, str] | None = None    # the web's ids -> XML-safe ids, once read
    content: bytes | None = None         # the XHTML file, once written
    links: list[Any] = field(default_factory=list)  # its elements with an href, until written
    headings: list[tuple[str, str]] = field(default_factory=list)  # (id, text) of its h2, for the TOC


class Chapters:
    """The chapters of one book, read one at a time; their links point at each other.

    A chapter is written (:attr:`Chapter.content`) as soon as it is read,
    unless it links to a page not read yet: then it waits for
    :meth:`finish`.  One page's tree at a time: all of them at once would
    double the build's peak memory on a large edition.
    """

    def __init__(self, language: str, site_url: str, resource: Callable[[str], bytes | None],
                 reserved: tuple[str, ...] = ()) -> None:
        self.language = language
        self.site_url = site_url     # the online edition; links to what the book lacks go there
        self.resource = resource     # a file of the site (bytes) by its path, or None
        self.chapters: list[Chapter] = []
        self.by_url: dict[str, Chapter] = {}
        self.file_names: set[str] = set(reserved)
        self.images: dict[str, tuple[str, str, bytes]] = {}  # site path -> file name, media type, bytes
        self.targets: dict[tuple[str, str], Chapter | str | None] = {}  # (page URL, href's path) -> where it goes
        self.note_count = 0          # editorial notes read

    def add(self, title: str, url: str) -> Chapter:
        """A chapter for the page at ``url``, with a file name of its own."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", posixpath.splitext(url.strip("/"))[0] or "index").strip("-") or "page"
        file_name, count = f"{stem}.xhtml", 1
        while file_name in self.file_names:
            count += 1
            file_name = f"{stem}-{count}.xhtml"
        self.file_names.add(file_name)
        chapter = Chapter(title, url, file_name)
        self.chapters.append(chapter)
        self.by_url.setdefault(_site_key(url), chapter)
        return chapter

    def read(self, chapter: Chapter, content: str) -> None:
        """Parse and clean a chapter's HTML; write it at once unless it links to a page not read yet."""
        self._parse(chapter, content)
        if self._point_links(chapter, final=False):
            self._write(chapter)

    def finish(self, *others: Chapter) -> None:
        """Write the chapters that waited for pages read after them (and ``others``, not pages)."""
        for chapter in [*others, *self.chapters]:
            if chapter.content is None:
                self._point_links(chapter, final=True)
                self._write(chapter)

    def _write(self, chapter: Chapter) -> None:
        chapter.content, chapter.root, chapter.links = xhtml(chapter, self.language), None, []

    def _parse(self, chapter: Chapter, content: str) -> None:
        """Parse a page's HTML and keep what a book needs, with XML-safe ids.

        Python visits each element once, to learn its tag and attributes and
        to note what changes; lxml drops, unwraps and strips in C.
        """
        root = chapter.root = _fragment(content)
        etree.strip_elements(root, *DROPPED_TAGS, with_tail=False)
        tags, names, notes, footnotes = set(), set(), [], []
        with_id, with_lang, empty, links = [], [], [], chapter.links
        glossaries = []
        for element in root.iter():
            tag, keys = element.tag, element.keys()
            if keys:
                if tag == "a":
                    classes = element.get("class")
                    if classes and classes != "edition-pnum":  # a paragraph number, the commonest, stays as it is
                        self._link(chapter, element, classes.split())
                    elif "href" in keys:
                        links.append(element)
                elif tag in ("section", "div", "dl") and "class" in keys:
                    classes = element.get("class").split()
                    if tag == "section" and "edition-notes" in classes:
                        notes.append(element)
                    elif tag == "div" and "footnote" in classes:
                        footnotes.append(element)
                    elif tag == "dl" and "edition-glossary" in classes:
                        glossaries.append(element)
                    elif tag == "div" and "edition-entry" in classes and element.find("dt") is not None:
                        # The glossary's <div id> around an entry's <dt> and <dd>: the id goes to the <dt>.
                        element.find("dt").set("id", element.attrib.pop("id", ""))
                        tag = element.tag = _UNWRAP
                        keys = element.keys()
                names.update(keys)
                if "id" in keys:
                    with_id.append(element)
                if "lang" in keys:
                    with_lang.append(element)
            tags.add(tag)
            if not len(element) and element.text is None and tag not in VOID_TAGS:
                empty.append(element)
        tags.discard(root.tag)
        unknown = tags - KNOWN_TAGS
        if unknown:  # their ids and languages go with them
            with_id, with_lang, empty, links[:] = ([e for e in found if e.tag not in unknown]
                                                   for found in (with_id, with_lang, empty, links))
        etree.strip_tags(root, _UNWRAP, *unknown)
        etree.strip_attributes(root, *(name for name in names if name not in KEPT_ATTRIBUTES
                                       and not name.startswith("aria-")))
        for element in root.iter("img"):
            self._image(chapter, element)
        ids: dict[str, str] = {}
        used: set[str] = set()
        for element in with_id:
            original = element.get("id")
            safe = original if _XML_NAME.fullmatch(original) and original not in used else _safe_id(original)
            safe = _unique(safe, used)
            ids.setdefault(original, safe)  # a link to an id used twice goes to the first, as in a browser
            if safe != original:
                element.set("id", safe)
            if element.tag == "h2":
                chapter.headings.append((safe, " ".join("".join(_WORDS(element)).split())))
        chapter.ids = ids
        for element in with_lang:
            element.set("xml:lang", element.get("lang"))  # XHTML's own; both must agree
        for element in empty:
            element.text = ""  # <a></a>, not <a/>, which reading systems that parse HTML misread
        for section in notes:  # after the ids: a note's aside takes its item's
            self.note_count += _as_footnotes(section, "edition-note__backref", "edition-note__number", "[{}]", links)
        for section in footnotes:
            _as_footnotes(section, "footnote-backref", "footnote-number", "{}.", links)
        for glossary in glossaries:  # EPUB's glossary semantics, for reading systems that use them
            glossary.set("epub:type", "glossary")
            for item in glossary:
                if item.tag in ("dt", "dd"):
                    item.set("epub:type", "glossterm" if item.tag == "dt" else "glossdef")

    def _link(self, chapter: Chapter, link: Any, classes: list[str]) -> None:
        """A link as the book has it: a term's leads to the glossary, a note's is a noteref, a permalink goes."""
        if "headerlink" in classes:
            link.tag, link.text = _UNWRAP, None  # its text is the pilcrow
            return
        if link.get("href") is not None:
            chapter.links.append(link)
        if "edition-term" in classes:  # its tooltip and the reader's data go
            link.attrib.pop("title", None)
            link.set("epub:type", "glossref")
        elif "footnote-ref" in classes:
            link.attrib.update({"epub:type": "noteref", "role": "doc-noteref"})
            if "edition-note-ref" in (link.getparent().get("class") or ""):  # an editorial note
                link.set("class", "edition-noteref")  # its number in brackets, as the web's CSS shows it
                link.text = f"[{''.join(link.itertext())}]"

    def _image(self, chapter: Chapter, image: Any) -> None:
        """Put a page's image in the book, or, where it cannot be had, its alternative text in its place."""
        parts = urlsplit(image.get("src", ""))
        path = None if parts.scheme or parts.netloc else _site_path(chapter.url, parts.path)
        media_type = IMAGE_TYPES.get(posixpath.splitext(path or "")[1].lower())
        if path and media_type and path not in self.images and (data := self.resource(path)) is not None:
            self.images[path] = ("images/" + re.sub(r"[^A-Za-z0-9_.-]+", "-", path), media_type, data)
        if path in self.images:
            image.set("src", self.images[path][0])
            image.set("alt", image.get("alt", ""))
            for name in ("width", "height"):
                if not image.get(name, "0").isdigit():
                    del image.attrib[name]
        else:
            alternative = image.makeelement("span", {"class": "edition-image-alt"})
            alternative.text, alternative.tail = image.get("alt", ""), image.tail
            image.getparent().replace(image, alternative)

    def _point_links(self, chapter: Chapter, final: bool) -> bool:
        """Point each link at its chapter and id in the book; a link to what the book lacks leaves the web or goes.

        Unless ``final``, nothing changes if a link goes to a page not read
        yet (its ids are not known): the chapter waits for the end.
        """
        changes, ids = [], chapter.ids
        for link in chapter.links:
            href = link.get("href")
            if href[:1] == "#" and "%" not in href:  # most links: a paragraph's number, a note's
                safe = ids.get(href[1:])
                target = f"#{safe}" if safe else None
            else:
                target = self._href(chapter, href)
                if target is _LATER and not final:
                    return False
            changes.append((link, target))
        for link, target in changes:
            if isinstance(target, str):
                link.set("href", target)
            else:
                del link.attrib["href"]
                link.tag = _UNWRAP
        etree.strip_tags(chapter.root, _UNWRAP)
        return True

    def _href(self, chapter: Chapter, href: str) -> str | object | None:
        path, _, fragment = href.partition("#")
        target: Chapter | str | None = chapter
        if path:  # the same few paths recur on every page (the glossary's): worked out once
            key = (chapter.url, path)
            if key not in self.targets:
                self.targets[key] = self._target(*key)
            target = self.targets[key]
        if not isinstance(target, Chapter):  # a URL outside the book, or None
            return f"{target}#{fragment}" if target and fragment else target
        if target.ids is None:
            return _LATER
        safe = target.ids.get(unquote(fragment) if "%" in fragment else fragment) if fragment else None
        if target is chapter:
            return f"#{safe}" if safe else None
        return f"{target.file_name}#{safe}" if safe else target.file_name

    def _target(self, base: str, path: str) -> Chapter | str | None:
        """Where the path of a link on the page at ``base`` goes: a chapter, a URL, or nowhere (None)."""
        parts = urlsplit(path)
        if parts.scheme or parts.netloc:
            return path if parts.scheme in ("http", "https", "mailto") else None  # the sanitizer allows no more
        site_path = _site_path(base, parts.path)
        chapter = self.by_url.get(_site_key(site_path))
        if chapter is not None:
            return chapter
        # An asset, or a page left out: the online edition has it, if it has an address.
        query = f"?{parts.query}" if parts.query else ""
        return urljoin(self.site_url.rstrip("/") + "/", site_path + query) if self.site_url else None


def _as_footnotes(section: Any, backref_class: str, number_class: str, label: str, links: list[Any]) -> int:
    """Turn a notes list (the web's ``<ol>`` of items) into ``<aside epub:type="footnote">``, one per note.

    Each note starts with its number, a link back to its reference (the
    web's back-link at its end goes).  Returns how many notes there were.
    """
    count = 0
    for listing in section.findall("ol"):
        at = section.index(listing)
        for item in listing.findall("li"):
            count += 1
            body = item[0] if len(item) == 1 and item[0].tag == "div" else item  # the web's note: <li><div>
            aside = section.makeelement("aside", {"class": item.get("class", "footnote"), "epub:type": "footnote",
                                                  "role": "doc-footnote"})
            if item.get("id"):
                aside.set("id", item.get("id"))
            aside.text = body.text
            aside.extend(list(body))
            number = aside.makeelement("a", {"class": number_class})
            number.text = label.format(count)
            for back in [a for a in aside.iter("a") if backref_class in (a.get("class") or "")]:
                number.set("href", back.get("href", ""))
                links.append(number)
                _remove(back)
            first = aside[0] if len(aside) and aside[0].tag == "p" and not (aside.text or "").strip() else None
            if first is None:
                first = aside.makeelement("p", {})
                aside.insert(0, first)
            number.tail = " " + (first.text or "")
            first.text = None
            first.insert(0, number)
            section.insert(at, aside)
            at += 1
        section.remove(listing)
    return count


def _remove(element: Any) -> None:
    """Take ``element`` out of the tree, keeping the text after it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _fragment(content: str) -> Any:
    """A page's HTML parsed: the ``<body>`` that holds it."""
    return etree.fromstring(f"<html><body>{content}</body></html>", _PARSER).find("body")


def xhtml(chapter: Chapter, language: str) -> bytes:
    """The chapter's XHTML file."""
    root, esc = chapter.root, html.escape
    root.text = root.text or ""
    body = etree.tostring(root, encoding="unicode")[len("<body>"):-len("</body>")]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" '
            f'xmlns:epub="http://www.idpf.org/2007/ops" lang="{esc(language)}" xml:lang="{esc(language)}">\n'
            f'<head>\n<title>{esc(chapter.title)}</title>\n<link rel="stylesheet" type="text/css" href="{STYLESHEET}"/>'
            f'\n</head>\n<body>\n{body}\n</body>\n</html>\n').encode("utf-8")


def _safe_id(value: str) -> str:
    """``value`` as an XML name (XHTML ids are): `fn:1` -> `fn-1`, `1993` -> `_1993`."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", value)
    return safe if safe[:1].isalpha() or safe[:1] == "_" else f"_{safe}"


def _unique(value: str, used: set[str]) -> str:
    candidate, count = value, 1
    while candidate in used:
        count += 1
        candidate = f"{value}-{count}"
    used.add(candidate)
    return candidate


def _site_path(base: str, path: str) -> str:
    """A link's target as a path from the site's root, from the URL of the page it is on."""
    joined = posixpath.normpath(posixpath.join(posixpath.dirname("/" + base), unquote(path)))
    return joined.lstrip("/")


def _site_key(path: str) -> str:
    """A page's path with what tells its URL styles apart removed: `a/index.html`, `a/` and `a` are one."""
    key = posixpath.normpath("/" + path).lstrip("/")
    key = key[:-len("index.html")] if key.endswith("index.html") else key
    return key.rstrip("/")


def plain_text(fragment: str) -> str:
    """The words of an HTML fragment (MkDocs' `copyright`, for dc:rights)."""
    return " ".join("".join(_fragment(fragment).itertext()).split()) if fragment else ""
