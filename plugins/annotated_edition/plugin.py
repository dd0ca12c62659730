"""The MkDocs plugin: wires the pure core into a build.

Hooks, in build order:

* ``on_config``: first (before other plugins), the package's templates, CSS
  and iframe-worker shim for Material (:mod:`.material_parts`); then take
  the guard out of the site's Markdown extensions (:mod:`.guard`), and add
  the edition's treeprocessor.
* ``on_pre_build`` (last): start reading and validating ``annotations/`` (on
  another core where worth it, while MkDocs collects the site's files).
* ``on_files``: finish reading the annotations, compile the matcher, start
  rendering definitions and notes with the site's own Markdown extensions
  (on another core where possible); add the generated glossary page and the
  edition's CSS and JS.
* ``on_page_markdown`` / ``on_page_content``: tell the treeprocessor which
  page it is on, then collect what it found (links, problems); the glossary
  page gets its entries.
* ``on_page_context``: search (priority 0) indexes the reading text, without
  the edition's apparatus; the full content is restored for the template.
* ``on_nav``: with ``epub: true``, the navigation ends with a link to the EPUB.
* ``on_env``: every page has rendered: the rendered definitions and notes
  fill the pages' placeholders and the glossary; collect its back-links;
  with ``epub: true``, start making the EPUB of the finished pages
  (:mod:`.epub`): on a worker on the other core while MkDocs writes the
  pages, or here.
* ``on_post_page``: back-links into the glossary; each annotated page gets
  the definitions its tooltips show and its citation data.
* ``on_post_build``: first, the worker's EPUB into the site; last, with
  ``pdf: true``, the print edition from the finished pages, then let go of
  the build's state.

The downloads (PDF, EPUB) are wired in :mod:`.downloads`.
* ``on_serve``: rebuild when anything under ``annotations/`` changes.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from . import ablation, collector, guard, reader
from .downloads import EpubDownload, PrintDownload
from .edition import Edition, EditionExtension, PageContext, page_context, unlinked_entries
from .glossary import (PageLinks, fill_backlinks, fill_entries, glossary_markdown,
                       glossary_sections, heading_clashes)
from .interchange import DataExport
from .loader import AnnotationsLoading, page_paths
from .material_parts import MaterialParts
from .problems import Problem
from .render import SnippetRenderer
from .search import search_html

log = get_plugin_logger("annotated_edition")

ASSETS = ("edition.css", "edition.js")
ASSET_DIR = "assets/annotated-edition"


class AnnotatedEditionConfig(base.Config):
    """The plugin's options (see the SPEC; `glossary_title` and `tooltips` are extensions)."""

    annotations = c.Type(str, default="annotations")
    glossary_page = c.Type(str, default="glossary.md")
    link = c.Choice(("first", "all", "none"), default="first")
    paragraph_numbers = c.Type(bool, default=True)
    glossary_title = c.Type(str, default="Glossary")
    tooltips = c.Type(bool, default=True)
    citation_author = c.Optional(c.Type(str))
    pdf = c.Type(bool, default=False)
    pdf_file = c.Type(str, default="edition.pdf")
    epub = c.Type(bool, default=False)
    web_annotations = c.Type(bool, default=True)   # annotations.jsonld and glossary.jsonld (interchange.py)
    term_annotations = c.Type(bool, default=False)  # term-annotations.jsonld


def report(problems: list[Problem]) -> None:
    """Log each problem under the plugin's logger, so `--strict` fails on it."""
    for problem in problems:
        log.warning(str(problem))


class AnnotatedEditionPlugin(BasePlugin[AnnotatedEditionConfig]):
    """Merges glossary entries and notes from YAML into the rendered pages."""

    supports_multiple_instances = False
    _freezes = 0  # how many freezes of the garbage collector this build holds (collector.py)
    _command = "build"

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Remember whether this is `mkdocs serve`, whose rebuilds skip the print edition and re-read only
        the annotation files that changed.

        (Having this hook also makes MkDocs keep one plugin object across
        `serve` rebuilds; every build starts afresh in `on_config` all the same.)
        """
        self._command = command

    @event_priority(100)
    def _add_material_parts(self, config: MkDocsConfig) -> MkDocsConfig:
        """Before other plugins' `on_config`: the package's templates, CSS and shim for Material (material_parts.py)."""
        self.material_parts = MaterialParts.configure(config)
        return config

    def _configure(self, config: MkDocsConfig) -> MkDocsConfig:
        self.root = Path(config.config_file_path or ".").resolve().parent
        self.annotations_dir = (self.root / self.config.annotations).resolve()
        # The configuration and theme live through the build: out of the cyclic collector's sight
        # until it ends (on_post_build, on_build_error).  See collector.py.
        self._freeze()
        self._loading: AnnotationsLoading | None = None  # started in on_pre_build
        # The plugin is running: the guard, which stops builds without it, goes (guard.py).
        guard.remove(config.markdown_extensions, config.mdx_configs)
        # Definitions and notes render with the site's extensions, without the edition's own.
        self._renderer = SnippetRenderer(list(config.markdown_extensions), dict(config.mdx_configs))
        self.extension = EditionExtension(None)
        config.markdown_extensions.append(self.extension)  # type: ignore[arg-type]
        for name in ASSETS:
            target = config.extra_css if name.endswith(".css") else config.extra_javascript
            target.append(f"{ASSET_DIR}/{name}")  # type: ignore[arg-type]
        self.contexts: dict[str, tuple[Page, PageContext]] = {}
        # A page's path in messages is its file's path from the edition's root: docs/ and the page's.
        docs = Path(os.path.relpath(config.docs_dir, self.root)).as_posix()
        self._docs_prefix = "" if docs == "." else f"{docs}/"
        self.glossary_page: Page | None = None
        self._nav_pages: list[Page] = []  # the reading order
        self.print_edition = PrintDownload(self.config.pdf_file, self._command) if self.config.pdf else None
        self.epub = EpubDownload() if self.config.epub else None
        self.data = DataExport(self.config.web_annotations, self.config.term_annotations)
        self._glossary_unfinished = ""
        self._definition_blocks: dict[str, str] = {}
        # Search's view of the pages is made only for a search plugin (`search`, `material/search`).
        self._search = not ablation.off("search-view") and any(name.split("/")[-1] == "search" for name in config.plugins)
        return config

    on_config = CombinedEvent(_add_material_parts, _configure)

    @event_priority(-100)
    def on_pre_build(self, config: MkDocsConfig) -> None:
        """Start reading ``annotations/``: on a worker where it is worth one, while MkDocs collects files.

        Last among the plugins and hooks, so that a hook or plugin that writes
        annotation files in `on_config` or `on_pre_build` is always read; what
        the worker has not reached is read in on_files, where the annotations
        are first needed.
        """
        self._loading = self._start_loading(config)

    def _start_loading(self, config: MkDocsConfig) -> AnnotationsLoading:
        return AnnotationsLoading(self.root, self.annotations_dir, set(page_paths(Path(config.docs_dir))),
                                  remember=self._command == "serve")

    def _start_edition(self, config: MkDocsConfig) -> None:
        """Read the annotations, compile the matcher and start rendering (on a worker where possible)."""
        loading = self._loading or self._start_loading(config)  # on_pre_build started it, in a build
        annotations, self._loading = loading.result(), None
        self._freeze()  # the annotations live through the build too
        self.edition = Edition(annotations, self._renderer, self.config.link)
        self.extension.edition = self.edition
        if self.edition.renders_in_background:
            log.debug("rendering definitions and notes on a worker process while the pages convert")
        report(self.edition.problems)

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        self._start_edition(config)
        uri = self.config.glossary_page
        existing = files.get_file_from_path(uri)
        if existing is not None:
            log.warning(f"docs/{uri}:1:1: this page is generated by the annotated-edition plugin from "
                        f"annotations/glossary/; remove docs/{uri} or set the plugin's `glossary_page` "
                        "option to another path")
            files.remove(existing)
        content = glossary_markdown(self.edition, self.config.glossary_title)
        self.glossary_file = File.generated(config, uri, content=content)
        files.append(self.glossary_file)
        self.data.on_files(files, config, self.edition)
        for download in (self.print_edition, self.epub):
            if download is not None:
                download.add_file(files, config)
        package = resources.files("annotated_edition").joinpath("assets")
        for name in ASSETS:
            files.append(File.generated(config, f"{ASSET_DIR}/{name}",
                                        content=package.joinpath(name).read_bytes()))
        self.material_parts.add_files(files, config)
        return files

    def on_nav(self, nav: Any, config: MkDocsConfig, files: Files) -> Any:
        """The reading order (print edition, EPUB); with ``epub: true``, the navigation ends with a link to it."""
        self._nav_pages = list(nav.pages)
        if self.epub is not None:
            self.epub.add_nav_link(nav)
        return nav

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        src = page.file.src_uri
        if src == self.glossary_file.src_uri:
            self.extension.start_page(None)
            return markdown
        context = page_context(self.edition.annotations.notes, self.config.paragraph_numbers,
                               f"{self._docs_prefix}{src}", src,
                               get_relative_url(self.glossary_file.url, page.file.url), page.meta)
        self.contexts[src] = (page, context)
        self.extension.start_page(context)
        return markdown

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        self.extension.start_page(None)
        if page.file.src_uri == self.glossary_file.src_uri:
            self.glossary_page = page  # its entries go in once the definitions are rendered (on_env)
            self._report_glossary_id_clashes(page)
        elif page.file.src_uri in self.contexts:
            report(self.contexts[page.file.src_uri][1].problems)
        return html

    def _report_glossary_id_clashes(self, page: Page) -> None:
        """An entry's id must not be the id of a heading on the glossary page (a letter, the title)."""
        heading_ids: set[str] = set()
        pending = list(page.toc.items)
        while pending:
            item = pending.pop()
            heading_ids.add(item.id)
            pending.extend(item.children)
        report(heading_clashes(self.edition, heading_ids))

    @event_priority(100)
    def _give_search_the_reading_text(self, context: Any, page: Page, config: MkDocsConfig, nav: Any) -> Any:
        """Before search (priority 0) indexes the page: hand it the text without the apparatus."""
        if not self._search:
            return context
        if page is self.glossary_page and page.content:
            self._full_content = page.content
            page.content = fill_entries(self._glossary_unfinished, glossary_sections(self.edition, for_search=True))
        elif page.file.src_uri in self.contexts and page.content:
            self._full_content = page.content
            page_context = self.contexts[page.file.src_uri][1]
            page.content = search_html(page.content, page_context.anchored,
                                       lambda note_id: self.edition.note_body(page_context.src_path, note_id).text)
        return context

    @event_priority(-100)
    def _restore_page_content(self, context: Any, page: Page, config: MkDocsConfig, nav: Any) -> Any:
        """After search, before the template: the page gets its full content back."""
        full = getattr(self, "_full_content", None)
        if full is not None:
            page.content = full
            self._full_content = None
        return context

    on_page_context = CombinedEvent(_give_search_the_reading_text, _restore_page_content)

    @event_priority(50)
    def on_env(self, env: Any, config: MkDocsConfig, files: Files) -> Any:
        """Every page is converted: fill in what was rendered meanwhile, and collect the back-links.

        Early (priority 50), so that other plugins' `on_env` see finished pages.
        """
        report(self.edition.rendering_problems())
        for notice in unlinked_entries(self.edition, [context for _, context in self.contexts.values()]):
            log.info(str(notice))  # information, not a problem: `--strict` does not fail on it
        # Each entry's definition as the tooltips read it (on_post_page), built once.
        self._definition_blocks = (reader.definition_blocks(self.edition.entries, self.edition.preview)
                                   if self.config.tooltips else {})
        for page, _ in self.contexts.values():
            if page.content is not None:
                page.content = self.edition.finish_html(page.content)
        if self.print_edition is not None:
            env.globals["edition_downloads"] = [self.print_edition.template_link()]
        self._fill_glossary()
        self.data.on_env(config, self.edition, self.contexts.values(), self.glossary_page, self.config.glossary_title)
        if self.epub is not None:  # of the finished pages, in reading order
            ordered = self._nav_pages + [f.page for f in files.documentation_pages() if f.page is not None
                                         and f.page not in self._nav_pages and not f.inclusion.is_excluded()]
            self.epub.start(config, files, ordered, self.glossary_page, self._author(config), self.root,
                            self.annotations_dir, len(self.edition.entries))
        return env

    def _author(self, config: MkDocsConfig) -> str:
        return self.config.citation_author or config.site_author or ""

    def _fill_glossary(self) -> None:
        """The glossary page's entries, and each entry's back-links to where the pages link it."""
        glossary = self.glossary_page
        if glossary is None or glossary.content is None:
            return
        backlinks: dict[str, list[PageLinks]] = {}
        for page, context in self.contexts.values():
            href = get_relative_url(page.url, glossary.url)
            if (page.url == "" or page.url.endswith("/")) and not href.endswith("/"):
                href += "/"  # "..#x" works, but "../#x" is what a directory URL looks like
            title = page.title or page.file.src_uri  # a property MkDocs computes on each access
            for entry_id, paragraphs in context.occurrences.items():
                backlinks.setdefault(entry_id, []).append(PageLinks(title, href, paragraphs))
        # The glossary keeps its letter placeholders too: search gets entries of its own (on_page_context),
        # without the back-links.
        self._glossary_unfinished = glossary.content
        glossary.content = fill_backlinks(fill_entries(glossary.content, glossary_sections(self.edition)), backlinks)

    @event_priority(100)
    def _finish_epub(self, config: MkDocsConfig) -> None:
        """The workers' EPUB and data files into the site, before other plugins see the site."""
        self.data.finish()
        if self.epub is not None:
            self.epub.finish()

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        """Tooltip definitions and citation data on annotated pages, after search has indexed the content."""
        output = self.data.head_links(output, page)
        entry = self.contexts.get(page.file.src_uri)
        if entry is None:
            return output
        linked = entry[1].occurrences if self.config.tooltips else ()  # the entries, in first-seen order
        heading = page.toc.items[0] if page.toc.items and page.toc.items[0].level == 1 else None
        return reader.with_reader_data(output, [self._definition_blocks[entry_id] for entry_id in linked],
                                       heading.title if heading else None, page.title or "",
                                       self._author(config),
                                       config.site_name or "")

    @event_priority(-100)
    def _release(self, config: MkDocsConfig) -> None:
        """The site is written: let go of the build's pages, texts and edition.

        The next build (`mkdocs serve`) starts afresh in `on_config`; what is
        worth keeping across builds lives in the loader's and renderer's caches.
        Let go of here, the edition's tens of thousands of objects are freed
        once, instead of being scanned by each of the collector's passes when
        the interpreter exits after `mkdocs build`.  The print edition is made
        first, from the finished pages.
        """
        if getattr(self, "print_edition", None) is not None and hasattr(self, "edition"):
            in_order = [page for page in self._nav_pages if page.file.src_uri in self.contexts]
            in_order += [page for page, _ in self.contexts.values() if page not in in_order]  # not in the nav
            self.print_edition.write(config, self.edition, in_order, self.glossary_file.url,
                                     self.config.glossary_title, self._author(config))
        self.contexts = {}
        self._glossary_unfinished = ""
        self.glossary_page = None
        self._nav_pages = []
        self.epub = self.print_edition = None
        self._definition_blocks = {}
        self.extension.edition = None  # the extension stays in the site's configuration
        self.__dict__.pop("edition", None)
        self._thaw()

    on_post_build = CombinedEvent(_finish_epub, _release)

    def _freeze(self) -> None:
        collector.freeze()
        self._freezes += 1

    def _thaw(self) -> None:
        while self._freezes:
            self._freezes -= 1
            collector.thaw()

    def on_build_error(self, error: Exception) -> None:
        """A failed build: stop reading and rendering in the background."""
        loading = getattr(self, "_loading", None)
        if loading is not None:
            loading.cancel()
            self._loading = None
        edition = getattr(self, "edition", None)
        if edition is not None:
            edition.cancel()
        if getattr(self, "epub", None) is not None:
            self.epub.stop()
        if hasattr(self, "data"):
            self.data.stop()
        self._thaw()

    def on_serve(self, server: Any, config: MkDocsConfig, builder: Any) -> Any:
        if self.annotations_dir.is_dir():
            server.watch(str(self.annotations_dir))
        return server
