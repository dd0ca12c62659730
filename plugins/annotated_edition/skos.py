"""The glossary as SKOS (JSON-LD): a ``ConceptScheme`` with one ``Concept`` per entry.

SKOS has no standard JSON-LD context, so the edition ships its own
(``contexts/glossary.jsonld``) and writes it inline: nothing is fetched to
read the file.  Nothing here imports MkDocs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import GlossaryEntry, Source
from .webannotation import date_value, shipped_context


def glossary_context() -> dict[str, Any]:
    """The glossary's JSON-LD context (``contexts/glossary.jsonld``)."""
    return shipped_context("glossary.jsonld")


@dataclass(frozen=True)
class EntryData:
    """One glossary entry, with its definition and summary as plain text."""

    entry: GlossaryEntry
    definition: str
    summary: str | None = None


def labels(entry: GlossaryEntry, language: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The entry's ``prefLabel`` (its headword) and ``altLabel``s (its other forms), by language.

    A form is in its own language, else the entry's, else the edition's
    (``language``).  SKOS forbids a label that is both preferred and
    alternative, so a form that reads as the headword in its language is
    left out, as is a repeated one.
    """
    langs = entry.form_langs or (entry.lang,) * len(entry.forms)
    headword_lang = langs[0] or language
    alternatives: dict[str, list[str]] = {}
    for form, lang in zip(entry.forms[1:], langs[1:]):
        lang = lang or language
        if (form == entry.term and lang == headword_lang) or form in alternatives.get(lang, ()):
            continue
        alternatives.setdefault(lang, []).append(form)
    return {headword_lang: entry.term}, alternatives


def _source(source: Source) -> dict[str, Any]:
    """A source: the resource at its address (a blank node without one), with its title, publisher and date."""
    node: dict[str, Any] = {"id": source.url} if source.url else {}
    node["title"] = source.title
    if source.publisher:
        node["publisher"] = source.publisher
    if source.author:
        node["author"] = source.author
    if source.date:
        node["date"] = date_value(source.date)
    if source.accessed:
        node["accessed"] = date_value(source.accessed)
    return node


def concept(item: EntryData, glossary: str, language: str) -> dict[str, Any]:
    """One entry as a ``skos:Concept`` whose IRI is its place on the glossary page (``glossary``)."""
    entry = item.entry
    preferred, alternatives = labels(entry, language)
    node: dict[str, Any] = {"id": f"{glossary}#{entry.id}", "type": "Concept", "inScheme": glossary,
                            "topConceptOf": glossary, "prefLabel": preferred}
    if alternatives:
        node["altLabel"] = alternatives
    node["definition"] = {language: item.definition}
    if item.summary:
        node["summary"] = {language: item.summary}
    if entry.see_also:
        node["related"] = [f"{glossary}#{other}" for other in entry.see_also]
    if entry.sources:
        node["source"] = [_source(source) for source in entry.sources]
    return node


def concept_scheme(glossary: str, title: str, language: str, entries: list[EntryData]) -> dict[str, Any]:
    """The glossary as a ``skos:ConceptScheme`` (its IRI: the glossary page's) and its concepts."""
    scheme = {"id": glossary, "type": "ConceptScheme", "prefLabel": {language: title},
              "title": {"@value": title, "@language": language}}
    return {"@context": glossary_context(),
            "@graph": [scheme, *(concept(item, glossary, language) for item in entries)]}
