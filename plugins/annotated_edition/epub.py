"""The edition as an EPUB 3 file, for e-readers.

:func:`build_epub` takes plain data (each page's title, site URL and finished
HTML, in reading order; the book's metadata) and returns the file's bytes.
Nothing here imports MkDocs.

:mod:`.xhtml` makes each page an XHTML chapter, the generated glossary page
included; this module adds the title page and has EbookLib write the
package, the navigation document (contents and landmarks), the NCX for older
readers, and the zip.  What EbookLib leaves to chance is fixed here: the zip
entries' timestamps (it dates them now) and the identifier (it draws a
random one), so that two builds of the same sources give the same bytes.
"""

from __future__ import annotations

import html
import io
import os
import re
import subprocess
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from ebooklib import epub

from .xhtml import STYLESHEET, Chapter, Chapters, plain_text

COMPRESSION = 3  # zlib's level: half the time of its default (6), for a file 6% larger


@dataclass(frozen=True)
class Page:
    """One page of the site, as the book takes it."""

    title: str                 # as the navigation names it
    url: str                   # its URL in the site (MkDocs' `page.url`): what its relative links start from
    html: str                  # its finished content
    is_glossary: bool = False  # the generated glossary page (a landmark)


@dataclass(frozen=True)
class BookInfo:
    """What the title page and the package metadata say."""

    title: str
    language: str
    modified: datetime         # dcterms:modified and the zip entries' times
    author: str = ""
    description: str = ""
    rights_html: str = ""      # MkDocs' `copyright`, which may be HTML
    site_url: str = ""         # the online edition; links to what the book lacks go there
    identity: str = ""         # what the identifier is derived from (the site's URL, else its name)
    entries: int = 0           # how many glossary entries, for the title page


def epub_file_name(site_name: str) -> str:
    """The EPUB's name in the site: the site's name as a slug (`Peru: How?` -> `peru-how.epub`)."""
    ascii_name = unicodedata.normalize("NFKD", site_name).encode("ascii", "ignore").decode()
    return (re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:80].rstrip("-") or "edition") + ".epub"


def source_date(root: Path, inputs: Iterable[Path] = ()) -> datetime:
    """When the sources last changed: SOURCE_DATE_EPOCH, else the last commit, else the newest input's mtime.

    Not the clock: two builds of the same sources must give the same file.
    ``inputs`` is only read when neither of the first two says.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        try:
            done = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%ct"], capture_output=True,
                                  text=True, timeout=20)
            epoch = done.stdout.strip() if done.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            epoch = ""
    if not epoch.isdigit():
        epoch = str(int(max((path.stat().st_mtime for path in inputs if path.is_file()), default=0)))
    return datetime.fromtimestamp(int(epoch), timezone.utc)


def book_identifier(seed: str) -> str:
    """A URN that stays the same from build to build of an edition (a UUID 5 of its address or name)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def build_epub(info: BookInfo, pages: Sequence[Page],
               resource: Callable[[str], bytes | None] = lambda path: None) -> bytes:
    """The EPUB 3 file: title page, contents, then each page in the order given.

    ``resource`` reads a file of the site by its path (the images pages
    show); what it cannot give is left out, its alternative text kept.
    """
    chapters = Chapters(info.language, info.site_url, resource, reserved=("titlepage.xhtml", "nav.xhtml"))
    read = [(chapters.add(page.title, page.url), page) for page in pages]
    # The glossary first: every page links to it and it to every page (back-links).  Read first, it is
    # the one chapter that waits for the others, which are written as soon as they are read.
    read.sort(key=lambda pair: not pair[1].is_glossary)
    for chapter, page in read:
        chapters.read(chapter, page.html)
    title = Chapter("Title page", "", "titlepage.xhtml")
    chapters.read(title, _title_page_html(info, chapters.note_count))
    chapters.finish(title)
    glossary = next((chapter for chapter, page in read if page.is_glossary), None)
    return _package(info, title, chapters, glossary)


def _title_page_html(info: BookInfo, notes: int) -> str:
    """Title, author, what the edition adds (its credits) and the licences."""
    esc = html.escape
    parts = [f'<section epub:type="titlepage" class="edition-titlepage"><h1>{esc(info.title)}</h1>']
    if info.author:
        parts.append(f'<p class="edition-titlepage__author">{esc(info.author)}</p>')
    if info.description:
        parts.append(f'<p class="edition-titlepage__description">{esc(info.description)}</p>')
    parts.append(f'<div class="edition-titlepage__credits"><h2>This edition</h2><p>The text as published, with '
                 f'{_count(info.entries, "glossary entry", "glossary entries")} and '
                 f'{_count(notes, "editorial note", "editorial notes")}. Editorial notes are numbered in brackets, '
                 '[1]; the author’s own notes, if any, plainly, 1. Paragraph numbers are those of the web edition, '
                 'for citing.</p>')
    if info.site_url:
        parts.append(f'<p>Online: <a href="{esc(info.site_url)}">{esc(info.site_url)}</a></p>')
    parts.append(f'<p>This file: {info.modified:%Y-%m-%d}.</p></div>')
    if info.rights_html:
        rights = info.rights_html if info.rights_html.lstrip().startswith("<p") else f"<p>{info.rights_html}</p>"
        parts.append(f'<div class="edition-titlepage__rights"><h2>Licences</h2>{rights}</div>')
    return "".join(parts) + "</section>"


def _package(info: BookInfo, title: Chapter, chapters: Chapters, glossary: Chapter | None) -> bytes:
    """The package: metadata, the chapters in order, navigation with contents and landmarks."""
    book = epub.EpubBook()
    book.set_identifier(book_identifier(info.identity or info.site_url or info.title))
    book.set_title(info.title)
    book.set_language(info.language)
    if info.author:
        book.add_author(info.author, role="aut")
    book.add_metadata("DC", "rights", plain_text(info.rights_html) or "All rights reserved.")
    if info.description:
        book.add_metadata("DC", "description", info.description)
    style = epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css",
                          content=resources.files("annotated_edition").joinpath("assets/epub.css").read_bytes())
    book.add_item(style)
    documents = []
    for number, chapter in enumerate([title, *chapters.chapters]):
        document = _Document(uid=f"chapter-{number}" if number else "titlepage", file_name=chapter.file_name,
                             media_type="application/xhtml+xml", title=chapter.title, lang=info.language)
        document.content = chapter.content
        book.add_item(document)
        documents.append(document)
    for number, (file_name, media_type, data) in enumerate(chapters.images.values(), 1):
        book.add_item(epub.EpubItem(uid=f"image-{number}", file_name=file_name, media_type=media_type, content=data))
    nav = epub.EpubNav(title="Contents")
    nav.add_item(style)
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.spine = [documents[0], nav, *documents[1:]]
    book.toc = [epub.Link(title.file_name, title.title, "toc-0")]
    for n, chapter in enumerate(chapters.chapters, 1):  # each page, and its sections (h2)
        link = epub.Link(chapter.file_name, chapter.title, f"toc-{n}")
        sections = [epub.Link(f"{chapter.file_name}#{section}", text, f"toc-{n}-{m}")
                    for m, (section, text) in enumerate(chapter.headings, 1)]
        book.toc.append((link, sections) if sections else link)
    book.guide = [{"href": title.file_name, "title": "Title page", "type": "titlepage"},
                  {"href": nav.file_name, "title": "Contents", "type": "toc"}]
    body = [chapter for chapter in chapters.chapters if chapter is not glossary]
    if body:
        book.guide.append({"href": body[0].file_name, "title": body[0].title, "type": "bodymatter"})
    if glossary is not None:
        book.guide.append({"href": glossary.file_name, "title": glossary.title, "type": "glossary"})
    return _write(book, info.modified)


class _Document(epub.EpubHtml):
    """A chapter whose XHTML is written by :mod:`.xhtml`.

    EbookLib's own re-parses a chapter as HTML and re-indents it, which can
    put a space between two inline elements that the text has none between.
    """

    def get_content(self, default: bytes | None = None) -> bytes:
        return self.content


class _DatedZip(zipfile.ZipFile):
    """A zip whose entries are all dated :attr:`date_time`, not now (zipfile's default for a name)."""

    date_time = (1980, 1, 1, 0, 0, 0)

    def writestr(self, name: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if isinstance(name, str):
            name = zipfile.ZipInfo(name, date_time=self.date_time)
            name.external_attr, name.create_system = 0o644 << 16, 3  # the same on every system
            name.compress_type = self.compression if compress_type is None else compress_type
        super().writestr(name, data, compress_type, self.compresslevel if compresslevel is None else compresslevel)


class _Writer(epub.EpubWriter):
    def write(self) -> None:
        """EbookLib's own ``write``, on a :class:`_DatedZip`."""
        self.out = _DatedZip(self.file_name, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION)
        self.out.date_time = max(self.options["mtime"].timetuple()[:6], (1980, 1, 1, 0, 0, 0))
        self.out.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        self._write_container()
        self._write_opf()
        self._write_items()
        self.out.close()


def _write(book: epub.EpubBook, modified: datetime) -> bytes:
    target = io.BytesIO()
    writer = _Writer(target, book, {"mtime": modified, "epub2_guide": False, "epub3_pages": False,
                                    "landmark_title": "Landmarks"})
    writer.process()
    writer.write()
    return target.getvalue()


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"
