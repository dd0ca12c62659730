"""Read annotations made in other tools: a Hypothesis JSON export or W3C Web Annotations.

What is read, and from where:

* a Hypothesis export, as its client's "Export annotations" writes it: an
  object with ``export_date``, ``export_userid``, ``client_version`` and
  ``annotations``; each annotation has ``uri``, ``text``, ``tags``, ``user``,
  ``created``, ``target[].selector[]`` and, for a reply, ``references``
  (the same annotation objects as the Hypothesis API's search ``rows``, which
  are read too);
* W3C Web Annotations: an ``AnnotationCollection`` (its pages embedded under
  ``first``), an ``AnnotationPage``, one ``Annotation`` or a list of them.
  The text comes from the ``TextualBody`` bodies (of a ``Choice``, the
  ``text/markdown`` one, else ``text/plain``, else ``text/html`` as text);
  bodies with the purpose ``tagging`` are tags; other linked resources are
  sources; the note's type is kept in a term of the edition's own
  (:data:`NOTE_TYPE_TERMS`).

Nothing here knows the edition: :class:`Incoming` is what one annotation
says.  A file that cannot be read at all raises :class:`ImportFileError`; an
annotation that is malformed (no ``TextQuoteSelector``, an empty quote)
comes back with its ``fault`` set, so that the rest of the file is still
imported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .model import NOTE_TYPES

NOTE_TYPE_TERMS = ("noteType", "note_type", "editionNoteType")
"""Local names of the property that carries a note's own type (context, correction, …) in a W3C annotation.

A key matches whatever prefix or namespace it is written under
(``noteType``, ``ed:noteType``, ``https://…#noteType``): the export writes it
under the namespace the README documents.
"""
TYPE_TAG = re.compile(r"^\s*type\s*:\s*(\S+)\s*$", re.IGNORECASE)
"""A tag that says the note's type: ``type:correction``."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


class ImportFileError(Exception):
    """The file cannot be imported at all; its text says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Incoming:
    """One annotation as another tool wrote it, reduced to what a note needs."""

    number: int                      # its place in the file, from 1, for messages
    uri: str | None                  # the annotated document
    exact: str | None                # the TextQuoteSelector's quote (None: no quote)
    prefix: str = ""                 # the text just before it, as the tool saw it
    suffix: str = ""
    text: str = ""                   # the note's text (Markdown, or plain text)
    tags: tuple[str, ...] = ()
    note_type: str | None = None     # from the edition's own term or a `type:` tag
    note_id: str | None = None       # from an id ending in `#note-<id>` (our own export)
    sources: tuple[dict[str, str], ...] = ()
    creator: str | None = None
    created: str | None = None
    identifier: str | None = None    # the annotation's own id or address
    reply: bool = False
    page_note: bool = False          # about the whole page: no passage
    fault: str | None = None         # malformed: what is wrong and how to fix it

    def label(self) -> str:
        """How messages name it: its number, and its quote when it has one."""
        if self.exact and self.exact.strip():
            quote = " ".join(self.exact.split())
            return f"annotation {self.number} (“{quote if len(quote) <= 50 else quote[:49] + '…'}”)"
        return f"annotation {self.number}"


def read_annotations(path: Path) -> list[Incoming]:
    """Every annotation in the file at ``path``, or :class:`ImportFileError`."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(f"cannot read the file ({error.strerror}); check the path and its permissions") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ImportFileError(f"byte {error.start} is not UTF-8; save the file as UTF-8 JSON") from None
    except json.JSONDecodeError as error:
        raise ImportFileError(f"line {error.lineno}, column {error.colno}: not JSON ({error.msg}); give a "
                              "Hypothesis JSON export or a W3C Web Annotation file (.json or .jsonld)") from None
    items = list(_annotation_objects(data))
    return [(_read_w3c if _is_w3c(item) else _read_hypothesis)(number, item) for number, item in enumerate(items, 1)]


def _types(value: dict[str, Any]) -> set[str]:
    """The object's ``type`` (or ``@type``), one or several, without a prefix."""
    found = value.get("type", value.get("@type"))
    names = found if isinstance(found, list) else [found]
    return {_local_name(name) for name in names if isinstance(name, str)}


def _local_name(name: str) -> str:
    """``oa:TextQuoteSelector`` and ``http://www.w3.org/ns/oa#TextQuoteSelector`` are ``TextQuoteSelector``."""
    return re.split(r"[:#/]", name.rstrip("/#"))[-1]


_UNKNOWN_SHAPE = ("is neither a Hypothesis export (an object with `annotations`) nor W3C Web Annotations (an "
                  "AnnotationCollection, an AnnotationPage, an Annotation or a list of them); export the "
                  "annotations again, as JSON")


def _annotation_objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for index, item in enumerate(data, start=1):
            if not isinstance(item, dict) or not (_is_w3c(item) or _is_hypothesis(item)):
                raise ImportFileError(f"item {index} of the list is not an annotation; the list may hold only W3C "
                                      "Annotations or Hypothesis annotations")
            yield item
        return
    if not isinstance(data, dict):
        raise ImportFileError("the file " + _UNKNOWN_SHAPE)
    kinds = _types(data)
    if "annotations" in data or "rows" in data:  # Hypothesis: its export, or an API search response
        rows = data.get("annotations", data.get("rows"))
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ImportFileError("`annotations` must be a list of annotation objects; export the annotations "
                                  "again from Hypothesis")
        yield from rows
    elif "AnnotationCollection" in kinds:
        yield from _collection_items(data)
    elif "AnnotationPage" in kinds:
        yield from _page_items(data, "the AnnotationPage")
    elif _is_w3c(data):
        yield data
    else:
        raise ImportFileError("the file " + _UNKNOWN_SHAPE)


def _collection_items(collection: dict[str, Any]) -> Iterator[dict[str, Any]]:
    page = collection.get("first")
    if page is None and isinstance(collection.get("items"), list):  # pages left out, items given directly
        yield from _page_items(collection, "the AnnotationCollection")
        return
    seen = 0
    while page is not None:
        seen += 1
        if not isinstance(page, dict):
            raise ImportFileError(f"page {seen} of the AnnotationCollection is only a link ({page!r}), and "
                                  "nothing is fetched; save each AnnotationPage and import it, or embed the "
                                  "pages under `first` and `next`")
        yield from _page_items(page, f"page {seen} of the AnnotationCollection")
        page = page.get("next")


def _page_items(page: dict[str, Any], what: str) -> list[dict[str, Any]]:
    items = page.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) and _is_w3c(item) for item in items):
        raise ImportFileError(f"{what} has no list of Annotations under `items`; export the annotations again")
    return items


def _is_w3c(item: dict[str, Any]) -> bool:
    return "Annotation" in _types(item)


def _is_hypothesis(item: dict[str, Any]) -> bool:
    return "uri" in item and isinstance(item.get("target"), list)


# -- Hypothesis ------------------------------------------------------------------------

def _read_hypothesis(number: int, item: dict[str, Any]) -> Incoming:
    targets = [t for t in item.get("target") or () if isinstance(t, dict)]
    selectors = [s for t in targets for s in _listed(t.get("selector")) if isinstance(s, dict)]
    tags = tuple(tag for tag in item.get("tags") or () if isinstance(tag, str))
    user = _text(item.get("user"))
    display = item.get("user_info", {}).get("display_name") if isinstance(item.get("user_info"), dict) else None
    links = item.get("links") if isinstance(item.get("links"), dict) else {}
    incoming = Incoming(
        number=number, uri=_text(item.get("uri")) or (_text(targets[0].get("source")) if targets else None),
        exact=None, text=_clean(_text(item.get("text")) or ""), tags=tags, note_type=_type_from_tags(tags),
        creator=f"{user} ({display})" if user and isinstance(display, str) and display else user,
        created=_text(item.get("created")), identifier=_text(links.get("html")) or _text(item.get("id")),
        reply=bool(item.get("references")), page_note=not selectors)
    return _with_quote(incoming, selectors)


# -- W3C Web Annotation --------------------------------------------------------------

def _read_w3c(number: int, item: dict[str, Any]) -> Incoming:
    targets = [_target(t) for t in _listed(item.get("target"))]
    uri = next((source for source, _ in targets if source), None)
    selectors = [s for _, found in targets for s in found]
    texts: list[str] = []
    tags: list[str] = []
    sources: list[dict[str, str]] = []
    if isinstance(item.get("bodyValue"), str):
        texts.append(item["bodyValue"])
    for body in _listed(item.get("body")):
        _read_body(body, texts, tags, sources)
    motivations = {_local_name(m) for m in _listed(item.get("motivation")) if isinstance(m, str)}
    identifier = _text(item.get("id", item.get("@id")))
    note_type = _type_from_terms(item) or _type_from_tags(tuple(tags))
    incoming = Incoming(
        number=number, uri=uri, exact=None, text=_clean("\n\n".join(t for t in texts if t.strip())),
        tags=tuple(tags), note_type=note_type, note_id=_our_note_id(identifier), sources=tuple(sources),
        creator=_agent(item.get("creator")), created=_text(item.get("created")), identifier=identifier,
        reply="replying" in motivations, page_note=not selectors)
    return _with_quote(incoming, selectors)


def _target(target: Any) -> tuple[str | None, list[dict[str, Any]]]:
    """A target's document and its selectors (a bare IRI is the whole document)."""
    if isinstance(target, str):
        return target, []
    if not isinstance(target, dict):
        return None, []
    source = target.get("source", target.get("id", target.get("@id")))
    selectors = [s for s in _listed(target.get("selector")) if isinstance(s, dict)]
    for selector in list(selectors):  # a Choice of selectors offers its items
        if "Choice" in _types(selector):
            selectors += [s for s in _listed(selector.get("items")) if isinstance(s, dict)]
    return (source if isinstance(source, str) else None), selectors


def _read_body(body: Any, texts: list[str], tags: list[str], sources: list[dict[str, str]]) -> None:
    if isinstance(body, str):
        if body.startswith(("http://", "https://")):
            sources.append({"title": _bracketed(body), "url": body})
        return
    if not isinstance(body, dict):
        return
    kinds = _types(body)
    purposes = {_local_name(p) for p in _listed(body.get("purpose")) if isinstance(p, str)}
    if "Choice" in kinds:
        choice = [b for b in _listed(body.get("items")) if isinstance(b, dict) and "value" in b]
        if choice:
            best = min(choice, key=lambda b: _FORMAT_RANK.get(_text(b.get("format")) or "", 3))
            _read_body({**best, "purpose": body.get("purpose", best.get("purpose"))}, texts, tags, sources)
        return
    value = body.get("value", body.get("rdf:value"))
    if isinstance(value, str) and _field(body, "dcterms:title", "dc:title"):
        # A textual body that cites a work (our export writes a source without an address so): a source.
        cited = _source(body)
        if cited:
            sources.append(cited)
        return
    if isinstance(value, str):
        if "tagging" in purposes:
            tags.append(value)
        elif _text(body.get("format")) == "text/html":
            texts.append(_html_text(value))
        else:
            texts.append(value)
        return
    source = _source(body)
    if source:
        sources.append(source)


_FORMAT_RANK = {"text/markdown": 0, "text/x-markdown": 0, "text/plain": 1, "": 1, "text/html": 2}
"""Which of a Choice's texts becomes the note: Markdown keeps it whole; plain text next; HTML last."""


def _source(body: dict[str, Any]) -> dict[str, str] | None:
    """A linked resource as a source: title, url, author, publisher, date (the fields a source may have)."""
    url = _text(body.get("id", body.get("@id", body.get("source"))))
    url = url if url and re.match(r"^https?://[^\s/?#.]\S*$", url) else None
    title = _field(body, "title", "name", "dc:title", "dcterms:title", "label")
    if not title and not url:
        return None
    source = {"title": title or _bracketed(url or "")}
    if url:
        source["url"] = url
    for key, names in (("author", ("author", "creator", "dcterms:creator", "dc:creator")),
                       ("publisher", ("publisher", "dcterms:publisher", "dc:publisher")),
                       ("date", ("date", "dcterms:date", "dcterms:issued", "issued"))):
        value = _field(body, *names) if key != "author" else (_field(body, *names) or _agent(body.get("creator")))
        if value and (key != "date" or re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?", value)):
            source[key] = value
    return source


def _field(value: dict[str, Any], *names: str) -> str | None:
    for name in names:
        found = value.get(name)
        if isinstance(found, dict):  # a JSON-LD value object
            found = found.get("@value")
        if isinstance(found, list) and found and isinstance(found[0], str):
            found = found[0]
        if isinstance(found, str) and found.strip():
            return _clean(found)
    return None


def _agent(agent: Any) -> str | None:
    """Who made it: a name, a nickname, or an id."""
    for one in _listed(agent):
        if isinstance(one, str):
            return one
        if isinstance(one, dict):
            name = _field(one, "name", "nickname", "id", "@id")
            if name:
                return name
    return None


def _type_from_terms(item: dict[str, Any]) -> str | None:
    for key, value in item.items():
        if _local_name(key) in NOTE_TYPE_TERMS:
            for one in _listed(value):
                one = one.get("@id", one.get("id")) if isinstance(one, dict) else one
                if isinstance(one, str) and _local_name(one) in NOTE_TYPES:
                    return _local_name(one)
    return None


def _type_from_tags(tags: Iterable[str]) -> str | None:
    """The type a `type:<type>` tag names (checked against the note types later, with a message)."""
    for tag in tags:
        match = TYPE_TAG.match(tag)
        if match:
            return match.group(1).lower()
    return None


def _our_note_id(identifier: str | None) -> str | None:
    """The note id in an address this edition exported (`…#note-<id>`)."""
    match = re.search(r"#note-([a-z0-9]+(?:-[a-z0-9]+)*)$", identifier or "")
    return match.group(1) if match else None


# -- shared ----------------------------------------------------------------------------

def _with_quote(incoming: Incoming, selectors: list[dict[str, Any]]) -> Incoming:
    """Add the TextQuoteSelector's quote and context, or say what is wrong with the annotation."""
    if incoming.page_note:
        return incoming
    quotes = [s for s in selectors if "TextQuoteSelector" in _types(s)]
    if not quotes:
        kinds = ", ".join(sorted({k for s in selectors for k in _types(s)})) or "none"
        return replace(incoming, fault=f"has no TextQuoteSelector (selectors: {kinds}), so there is no quote to "
                                       "anchor it by; annotate the passage again in a tool that records the quoted "
                                       "text, or write the note by hand")
    selector = quotes[0]
    exact = _clean(_text(selector.get("exact")) or "")
    if not exact.strip():
        return replace(incoming, exact=exact, fault="its TextQuoteSelector has an empty `exact`, so there is no "
                                                    "quote to anchor it by; give the quoted passage in `exact`")
    return replace(incoming, exact=exact, prefix=_clean(_text(selector.get("prefix")) or ""),
                   suffix=_clean(_text(selector.get("suffix")) or ""))


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _clean(text: str) -> str:
    """Without control characters, which a YAML file may not hold (line breaks and tabs stay)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _bracketed(url: str) -> str:
    """A title the editors supply for a source known only by its address (the README's square brackets)."""
    return "[" + re.sub(r"^https?://", "", url) + "]"


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "br", "div", "li", "blockquote"):
            self.parts.append("\n\n" if tag != "br" else "\n")


def _html_text(html: str) -> str:
    """An HTML body's text, paragraphs apart (the last resort: a Choice without plain text or Markdown)."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()
