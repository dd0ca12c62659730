"""The edition's notes and term links as W3C Web Annotations (JSON-LD): plain data in, documents out.

One :func:`note_annotation` per editorial note, one :func:`term_annotation`
per linked term occurrence, each gathered in an ``AnnotationCollection``
(:func:`collection`).  The W3C context is named by its standard URL and
never fetched; the edition's own terms (the note's type, a source's access
date) come from a small context shipped with the package
(``contexts/edition.jsonld``), written inline.  Nothing here imports MkDocs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .model import Note, Source
from .readingtext import TextTarget

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
EDITION_NAMESPACE = "urn:uuid:97d05809-65aa-4ebd-853f-77cd6a28e757#"
"""The edition's own terms (``noteType``, ``accessed``, the note types) are IRIs under this namespace."""
MOTIVATIONS = {
    "context": "commenting",     # background the reader needs: a comment on the passage
    "translation": "describing",  # what the original wording says and means: describes the passage itself
    "correction": "editing",      # a slip and how to read it: a request to change the passage
    "citation": "linking",        # checks a claim or names what the passage quotes, against the sources it links
}
"""A note's type → its W3C motivation (the type is kept too, as ``noteType``)."""
TERM_MOTIVATION = "identifying"
"""A term link says which glossary concept the words name (not merely a related page, which `linking` is)."""


@cache
def shipped_context(name: str) -> dict[str, Any]:
    """A JSON-LD context the package ships (``contexts/<name>``), as the data files write it inline."""
    text = resources.files("annotated_edition").joinpath("contexts", name).read_text(encoding="utf-8")
    context: dict[str, Any] = json.loads(text)["@context"]
    return context


def edition_context() -> dict[str, Any]:
    """The edition's extra JSON-LD context (``contexts/edition.jsonld``)."""
    return shipped_context("edition.jsonld")


@dataclass(frozen=True)
class NoteData:
    """One anchored note, with what its annotation needs from the build."""

    note: Note
    page: str             # the page's IRI (absolute under site_url, else relative to the site's root)
    target: TextTarget    # its passage in the page's reading text
    html: str             # its rendered text
    text: str             # its plain text


def date_value(date: str) -> dict[str, str]:
    """A `YYYY`, `YYYY-MM` or `YYYY-MM-DD` date as a typed JSON-LD value."""
    kind = {4: "xsd:gYear", 7: "xsd:gYearMonth"}.get(len(date), "xsd:date")
    return {"@value": date, "@type": kind}


def source_properties(source: Source) -> dict[str, Any]:
    """A source's title, publisher, author and dates in Dublin Core (names as plain text: ``dc:``, not ``dcterms:``)."""
    properties: dict[str, Any] = {"dcterms:title": source.title}
    if source.publisher:
        properties["dc:publisher"] = source.publisher
    if source.author:
        properties["dc:creator"] = source.author
    if source.date:
        properties["dcterms:date"] = date_value(source.date)
    if source.accessed:
        properties["accessed"] = date_value(source.accessed)
    return properties


def _source_body(source: Source, language: str) -> dict[str, Any]:
    """A source as a body: a linked web resource; one with no address, a textual body that cites it."""
    if source.url:
        return {"id": source.url, "type": "Text", **source_properties(source)}
    citation = ". ".join(part for part in (source.title, source.author, source.publisher, source.date) if part)
    return {"type": "TextualBody", "value": citation, "format": "text/plain", "language": language,
            **source_properties(source)}


def text_target(page: str, target: TextTarget) -> dict[str, Any]:
    """A passage of a page: a quote selector and a position selector on its reading text."""
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": target.exact}
    if target.prefix:
        quote["prefix"] = target.prefix
    if target.suffix:
        quote["suffix"] = target.suffix
    return {"type": "SpecificResource", "source": page,
            "selector": [quote, {"type": "TextPositionSelector", "start": target.start, "end": target.end}]}


def note_annotation(item: NoteData, language: str) -> dict[str, Any]:
    """One editorial note as an ``Annotation``; its id is the note's own address on its page."""
    note = item.note
    choice = {"type": "Choice", "items": [
        {"type": "TextualBody", "value": item.html, "format": "text/html", "language": language},
        {"type": "TextualBody", "value": item.text, "format": "text/plain", "language": language},
        {"type": "TextualBody", "value": note.note, "format": "text/markdown", "language": language},
    ]}
    return {
        "id": f"{item.page}#note-{note.id}",
        "type": "Annotation",
        "motivation": MOTIVATIONS[note.type],
        "noteType": note.type,
        "body": [choice, *(_source_body(source, language) for source in note.sources)],
        "target": text_target(item.page, item.target),
    }


def term_annotation(page: str, link_id: str, concept: str, target: TextTarget) -> dict[str, Any]:
    """One linked term occurrence as an ``Annotation`` whose body is its glossary concept (SKOS)."""
    return {"id": f"{page}#{link_id}", "type": "Annotation", "motivation": TERM_MOTIVATION,
            "body": concept, "target": text_target(page, target)}


def collection(iri: str, label: str, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    """An ``AnnotationCollection`` holding ``annotations`` in one embedded ``AnnotationPage``."""
    document: dict[str, Any] = {"@context": [ANNO_CONTEXT, edition_context()], "id": iri,
                                "type": "AnnotationCollection", "label": label, "total": len(annotations)}
    if annotations:
        document["first"] = {"id": f"{iri}#page-1", "type": "AnnotationPage", "partOf": iri, "startIndex": 0,
                             "items": annotations}
    return document


def to_json(document: dict[str, Any]) -> bytes:
    """The document as compact UTF-8 JSON (a JSON-LD processor or ``python -m json.tool`` reads it)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
