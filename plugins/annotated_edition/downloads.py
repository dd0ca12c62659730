"""The files a reader takes away, as steps of a MkDocs build: the print edition and the EPUB.

The books themselves are made by pure modules (:mod:`.print_book` and
:mod:`.pdf`, :mod:`.xhtml` and :mod:`.epub`); here is only when and from what.
Each download is a site file from ``on_files`` on, so that MkDocs validates
the links to it; its bytes come once the pages are finished.  Their modules
(and WeasyPrint, EbookLib, lxml) are imported only by a build that makes
them: the others do not pay for loading them.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Link, Navigation
from mkdocs.structure.pages import Page

from . import ablation, background
from .edition import Edition

log = get_plugin_logger("annotated_edition")

PDF_ENV = "ANNOTATED_EDITION_PDF"
"""`1`: make the print edition in `mkdocs serve` rebuilds too; `0`: never (a placeholder stands in)."""
EPUB_LINK_TITLE = "EPUB for e-readers"
EPUB_WORKER_MINIMUM = 2_000_000
"""Characters of page HTML from which the EPUB is made on a worker (below, a fork costs more than it saves)."""


def pdf_wanted(command: str) -> bool:
    """Whether a build makes the print edition: `mkdocs build` does, `serve` only if asked."""
    wanted = os.environ.get(PDF_ENV, "").strip()
    if wanted in ("0", "1"):
        return wanted == "1"
    return command != "serve"


def _language(config: MkDocsConfig) -> str:
    return str(config.theme.get("language") or config.theme.get("locale") or "en")


def _replace_site_file(files: Files, uri: str, why: str) -> None:
    """A file of the docs where a download goes: it gives way, with a warning saying so."""
    existing = files.get_file_from_path(uri)
    if existing is not None:
        log.warning(f"docs/{uri}:1:1: {why}")
        files.remove(existing)


class PrintDownload:
    """The print edition (`pdf: true`): a PDF of the pages in reading order, the glossary and the notes."""

    def __init__(self, file_name: str, command: str) -> None:
        from . import pdf

        self.file_name = file_name
        self.made = pdf_wanted(command)  # else a one-page placeholder says why
        if self.made:
            try:
                pdf.require_weasyprint()  # before the build, not after it
            except pdf.PdfUnavailable as error:
                raise PluginError(f"annotated-edition: {error}") from None

    def add_file(self, files: Files, config: MkDocsConfig) -> None:
        """The PDF's place in the site; a build that skips it writes a PDF that says why."""
        from . import pdf

        _replace_site_file(files, self.file_name, "the print edition is written there by the annotated-edition "
                           f"plugin; remove docs/{self.file_name} or set the plugin's `pdf_file` option to another path")
        content = b"" if self.made else pdf.placeholder_pdf([
            "The print edition was not made in this build.",
            f"`mkdocs serve` makes it only with {PDF_ENV}=1 set;", "`mkdocs build` makes it unless "
            f"{PDF_ENV}=0 is set."])
        files.append(File.generated(config, self.file_name, content=content))

    def template_link(self) -> dict[str, str]:
        """The theme's link to it (`edition_downloads`, see overrides/partials/copyright.html)."""
        return {"url": self.file_name, "label": "Print edition (PDF)", "type": "application/pdf"}

    def write(self, config: MkDocsConfig, edition: Edition, pages: Sequence[Page], glossary_url: str,
              glossary_title: str, author: str) -> None:
        """Lay out the finished pages (in reading order) with WeasyPrint, into the site."""
        if not self.made:
            return
        from . import pdf
        from .print_book import print_entries

        printed = [pdf.PrintPage(page.title or page.file.src_uri, page.url, page.content or "") for page in pages]
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        date = datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%d") if epoch.isdigit() else None
        book = pdf.PrintEdition(config.site_name, printed, print_entries(edition), glossary_url, glossary_title,
                                _language(config), author, config.site_description or "", config.copyright or "",
                                date)
        started = time.perf_counter()
        try:
            result = pdf.write_pdf(book, Path(config.site_dir) / self.file_name, Path(config.site_dir))
        except pdf.PdfUnavailable as error:
            raise PluginError(f"annotated-edition: {error}") from None
        for message in result.messages:
            log.debug(f"WeasyPrint: {message}")
        if result.refused:
            log.warning(f"{self.file_name}: the print edition is made without network, so it leaves out "
                        f"{', '.join(sorted(set(result.refused)))}; keep such files under docs/ instead")
        log.info(f"print edition: {self.file_name}, {result.pages} pages, {time.perf_counter() - started:.1f} s")


class EpubDownload:
    """The EPUB (`epub: true`), made from the finished pages: on a worker where worth it, else at once.

    A worker (on the other core, while MkDocs writes the pages) leaves the
    file to `finish`; made at once, MkDocs copies it with the other files.
    The bytes are the same either way.
    """

    def __init__(self) -> None:
        self.file: File | None = None
        self._worker: background.Worker | None = None
        self._make: Callable[[], bytes] | None = None

    def add_file(self, files: Files, config: MkDocsConfig) -> None:
        """An empty file from the start, so that links to it validate; its bytes come in `start`."""
        from . import epub

        uri = epub.epub_file_name(config.site_name)
        _replace_site_file(files, uri, f"the EPUB is written to {uri} by the annotated-edition plugin "
                           "(`epub: true`); remove or rename this file")
        self.file = File.generated(config, uri, content=b"")
        files.append(self.file)

    def add_nav_link(self, nav: Navigation) -> None:
        """The navigation ends with a link to it, where a reader finds it without looking."""
        if self.file is not None:
            nav.items.append(Link(EPUB_LINK_TITLE, self.file.url))

    def start(self, config: MkDocsConfig, files: Files, pages: Sequence[Page], glossary_page: Page | None,
              author: str, root: Path, annotations_dir: Path, entries: int) -> None:
        """Make the EPUB of the finished pages, given in reading order."""
        from . import epub

        chapters = [epub.Page(page.title or page.file.src_uri, page.url, page.content or "", page is glossary_page)
                    for page in pages if page.content is not None]
        # Only read if neither SOURCE_DATE_EPOCH nor git says when the sources last changed.
        inputs = itertools.chain([Path(config.config_file_path or ".")], annotations_dir.rglob("*.yml"),
                                 (Path(f.abs_src_path) for f in files.documentation_pages() if f.abs_src_path))
        info = epub.BookInfo(
            title=config.site_name, language=_language(config), modified=epub.source_date(root, inputs),
            author=author, description=config.site_description or "", rights_html=config.copyright or "",
            site_url=config.site_url or "", identity=config.site_url or config.site_name, entries=entries)

        def resource(path: str) -> bytes | None:  # an image a page shows
            file = files.get_file_from_path(path)
            return file.content_bytes if file is not None and not file.is_documentation_page() else None

        def make() -> bytes:
            return epub.build_epub(info, chapters, resource)

        self._make = make
        if (not ablation.off("epub-worker") and background.possible()
                and background.worth_it(sum(len(page.html) for page in chapters), EPUB_WORKER_MINIMUM)):
            self._worker = background.Worker.start(make)
        if self._worker is None and self.file is not None:
            self.file.content_bytes = make()

    def finish(self) -> None:
        """The worker's EPUB into the site (or, if the worker failed, one made here)."""
        worker, self._worker = self._worker, None
        if worker is not None and self.file is not None and self._make is not None:
            done, data = worker.result()
            Path(self.file.abs_dest_path).write_bytes(data if done else self._make())
        self._make = None

    def stop(self) -> None:
        """A failed build: stop the worker."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
