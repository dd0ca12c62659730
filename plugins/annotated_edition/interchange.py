"""The edition's notes and glossary as open data, as steps of a MkDocs build.

With ``web_annotations`` (default on), the site gets ``annotations.jsonld``
(the notes as W3C Web Annotations, :mod:`.webannotation`) and
``glossary.jsonld`` (the glossary as SKOS, :mod:`.skos`); with
``term_annotations``, ``term-annotations.jsonld`` too (each term link as an
annotation).  Each is a site file from ``on_files`` on, so that MkDocs
validates links to it; its bytes come in ``on_env``, once every page is
converted: made on a worker on the other core where there are many
(``finish`` writes them in ``on_post_build``), else here.  Each page's head
links to the files that concern it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from . import ablation, background, skos, webannotation
from .edition import Edition, PageContext
from .reader import insert_in_page

log = get_plugin_logger("annotated_edition")

NOTES_FILE = "annotations.jsonld"
GLOSSARY_FILE = "glossary.jsonld"
TERMS_FILE = "term-annotations.jsonld"
WORKER_MINIMUM = 1000
"""Annotations and concepts from which the files are made on a worker, while MkDocs writes the pages."""
_TITLES = {NOTES_FILE: "Editorial notes (W3C Web Annotations)", GLOSSARY_FILE: "Glossary (SKOS)",
           TERMS_FILE: "Glossary terms in the text (W3C Web Annotations)"}


@dataclass
class _Links:
    """Which data files concern a page."""

    notes: bool = False
    glossary: bool = False
    terms: bool = False


class DataExport:
    """Writes the data files of one build and links pages to them."""

    def __init__(self, notes: bool, terms: bool) -> None:
        self.notes = notes
        self.terms = terms
        self.files: dict[str, File] = {}
        self._links: dict[str, _Links] = {}  # by page file
        self._worker: background.Worker | None = None
        self._make: Callable[[], dict[str, bytes]] | None = None

    def on_files(self, files: Files, config: MkDocsConfig, edition: Edition) -> None:
        """The data files join the site (empty until on_env); pages record where their passages are."""
        edition.exports_notes = self.notes
        edition.exports_terms = self.terms
        names = ([NOTES_FILE, GLOSSARY_FILE] if self.notes else []) + ([TERMS_FILE] if self.terms else [])
        self.files = {}
        self._links = {}
        for name in names:
            if (existing := files.get_file_from_path(name)) is not None:
                log.warning(f"docs/{name}:1:1: the annotated-edition plugin writes its data there "
                            "(`web_annotations`, `term_annotations`); remove or rename this file")
                files.remove(existing)
            self.files[name] = File.generated(config, name, content=b"")
            files.append(self.files[name])

    def on_env(self, config: MkDocsConfig, edition: Edition, pages: Iterable[tuple[Page, PageContext]],
               glossary: Page | None, glossary_title: str) -> None:
        """Every page is converted: make the data files, on a worker where worth it (see :meth:`finish`)."""
        if not self.files:
            return
        pages = list(pages)
        for page, context in pages:
            links = self._links.setdefault(page.file.src_uri, _Links())
            links.glossary = bool(context.occurrences)
            links.notes = self.notes and bool(context.note_targets)
            links.terms = self.terms and bool(context.term_targets)
        if glossary is not None:
            self._links.setdefault(glossary.file.src_uri, _Links()).glossary = True
        edition.definitions  # noqa: B018 - rendered before a fork: the worker must not wait for the renderer

        def make() -> dict[str, bytes]:
            return self._documents(config, edition, pages, glossary, glossary_title)

        self._make = make
        work = sum(len(context.note_targets) + len(context.term_targets) for _, context in pages)
        if (not ablation.off("data-worker") and background.possible()
                and background.worth_it(work + len(edition.entries), WORKER_MINIMUM)):
            self._worker = background.Worker.start(make)
            log.debug("making the data files on a worker process while the pages are written")
        if self._worker is None:
            for name, data in make().items():
                self.files[name].content_bytes = data

    def finish(self) -> None:
        """The worker's files into the site (made here if it failed); MkDocs has written empty ones."""
        worker, self._worker = self._worker, None
        if worker is not None and self._make is not None:
            done, documents = worker.result()
            for name, data in (documents if done else self._make()).items():
                Path(self.files[name].abs_dest_path).write_bytes(data)
        self._make = None

    def stop(self) -> None:
        """A failed build: stop the worker."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        self._make = None

    def _documents(self, config: MkDocsConfig, edition: Edition, pages: list[tuple[Page, PageContext]],
                   glossary: Page | None, glossary_title: str) -> dict[str, bytes]:
        """The data files' bytes, by name."""
        base = _site_base(config.site_url)
        language = str(config.theme.get("language") or config.theme.get("locale") or "en")
        glossary_iri = _iri(base, glossary.url) if glossary is not None else None
        notes: list[dict[str, object]] = []
        terms: list[dict[str, object]] = []
        for page, context in pages:
            iri = _iri(base, page.url)
            if self.notes:
                for note in context.notes:
                    target = context.note_targets.get(note.id)
                    if target is not None:
                        body = edition.note_body(context.src_path, note.id)
                        notes.append(webannotation.note_annotation(
                            webannotation.NoteData(note, iri, target, body.html, body.text), language))
            if self.terms and glossary_iri is not None:
                counts: dict[str, int] = {}
                for entry_id, target in context.term_targets:
                    counts[entry_id] = counts.get(entry_id, 0) + 1
                    terms.append(webannotation.term_annotation(iri, f"term-{entry_id}-{counts[entry_id]}",
                                                               f"{glossary_iri}#{entry_id}", target))
        name = config.site_name or ""
        documents: dict[str, bytes] = {}
        if NOTES_FILE in self.files:
            documents[NOTES_FILE] = webannotation.to_json(webannotation.collection(
                base + NOTES_FILE, f"{name}: editorial notes".strip(": "), notes))
        if GLOSSARY_FILE in self.files and glossary_iri is not None:
            definitions = edition.definitions
            entries = [skos.EntryData(entry, definitions[entry_id].text,
                                      summary.text if (summary := edition.summary(entry_id)) else None)
                       for entry_id, entry in edition.entries.items()]
            documents[GLOSSARY_FILE] = webannotation.to_json(
                skos.concept_scheme(glossary_iri, glossary_title, language, entries))
        if TERMS_FILE in self.files:
            documents[TERMS_FILE] = webannotation.to_json(webannotation.collection(
                base + TERMS_FILE, f"{name}: glossary terms in the text".strip(": "), terms))
        return documents

    def head_links(self, output: str, page: Page) -> str:
        """``output`` (a page's HTML) with a `<link rel="alternate">` in its head to each data file that concerns it."""
        links = self._links.get(page.file.src_uri)
        if links is None:
            return output
        wanted = [name for name, on in ((NOTES_FILE, links.notes), (TERMS_FILE, links.terms),
                                         (GLOSSARY_FILE, links.glossary)) if on and name in self.files]
        if not wanted:
            return output
        tags = "".join(f'<link rel="alternate" type="application/ld+json" '
                       f'href="{get_relative_url(name, page.url)}" title="{_TITLES[name]}">' for name in wanted)
        return insert_in_page(output, tags, "")


def _site_base(site_url: str | None) -> str:
    """What the data's IRIs start with: the site's URL, else nothing (relative to the site's root)."""
    if not site_url:
        return ""
    return site_url if site_url.endswith("/") else site_url + "/"


def _iri(base: str, url: str) -> str:
    """A page's IRI: its URL under the site's; without one, from the site's root (the root page: `./`)."""
    return base + url if base else url or "./"
