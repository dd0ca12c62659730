"""The edition's annotations as plain, immutable data."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .problems import Problem

NOTE_TYPES = ("context", "translation", "correction", "citation")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkdn", ".mkd")
"""What MkDocs reads as a page."""
LINK_MODES = ("first", "all", "none")


@dataclass(frozen=True)
class Source:
    """A work a glossary entry or note relies on."""

    title: str
    url: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    accessed: str | None = None


@dataclass(frozen=True)
class GlossaryEntry:
    """One glossary entry (``annotations/glossary/<id>.yml``)."""

    id: str
    term: str
    definition: str
    forms: tuple[str, ...]           # the headword first, then the extra forms
    path: str                        # relative to the edition's root
    lang: str | None = None
    match_case: bool = False
    link: str | None = None          # None: the plugin option decides
    see_also: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    form_paths: tuple[tuple[Any, ...], ...] = ()   # where each form is written in the file
    form_langs: tuple[str | None, ...] = ()
    """Each form's language where some form has one of its own (else empty): the entry's ``lang`` by default."""
    summary: str | None = None       # the tooltip's preview, where the definition's first paragraph will not do
    document: Any = field(default=None, repr=False, compare=False)  # its file, for positions in messages

    def where(self, path: tuple[Any, ...]) -> tuple[int, int]:
        """Line and column of a field of this entry's file (read only when a message needs it)."""
        return self.document.where(path) if self.document is not None else (1, 1)


@dataclass(frozen=True)
class Note:
    """One editorial note, anchored to a passage of a page by quotation."""

    id: str
    quote: str
    note: str
    path: str                        # the notes file, relative to the edition's root
    line: int                        # where the note's `quote` is written
    column: int
    type: str = "context"
    body_position: tuple[int, int] = (1, 1)  # where the note's `note` text is written
    prefix: str | None = None
    suffix: str | None = None
    sources: tuple[Source, ...] = ()


@dataclass
class Annotations:
    """Everything under ``annotations/``, validated, with what was wrong."""

    entries: dict[str, GlossaryEntry] = field(default_factory=dict)
    notes: dict[str, list[Note]] = field(default_factory=dict)   # page src path (a/b.md) -> notes
    problems: list[Problem] = field(default_factory=list)


def notes_key(page: str) -> str:
    """The key of a page's notes: ``a/b.md`` for ``a/b.markdown`` (their file is ``notes/a/b.yml``)."""
    stem, suffix = os.path.splitext(page)
    return stem + ".md" if suffix in MARKDOWN_SUFFIXES else page
