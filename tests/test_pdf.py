"""The print edition (`pdf: true`): the PDF that WeasyPrint makes, read back with pypdf.

Text is read with its size and place: the article's words are the 10 pt
type inside the text block (paragraph numbers, note numbers, footnotes,
running heads and page numbers are smaller or outside it), and hyphenation
(U+2010 at a line's end) and line breaks are folded away before comparing.
The numbers of list items ("1.") are left out too: the PDF paints them apart
from their items' text, so a text extractor finds them out of place.
"""

from __future__ import annotations

import logging
import re
import socket
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from annotated_edition import pdf
from editions import BASIC_CONFIG, REPO, Edition, build_the_edition, content, reading_text

pytestmark = pytest.mark.pdf

SOURCE = REPO / "source" / "peru-how-do-we-continue.txt"
PDF_NAME = "peru-how-do-we-continue.pdf"
TEXT_BLOCK = (45.0, 48.0)  # the page's top and bottom margins in points (print-edition.css), less a little
BODY_SIZE = 9.9            # the reading text is 10 pt; everything smaller is apparatus
LIST_NUMBER = re.compile(r"\d+\.")


def folded(text: str) -> str:
    """Text compared without whitespace, line-end hyphens or typographic variants."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if not c.isspace() and c not in "\u2010\u00ad")


@dataclass
class Run:
    page: int
    size: float
    text: str


def runs(reader: PdfReader) -> list[Run]:
    """Every piece of text inside the text block (running heads and page numbers left out), with its size."""
    found: list[Run] = []
    for index, page in enumerate(reader.pages):
        height = float(page.mediabox.height)

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float, index: int = index,
                  height: float = height) -> None:
            if not text:
                return
            y = height - (cm[1] * tm[4] + cm[3] * tm[5] + cm[5])  # from the top of the page
            if TEXT_BLOCK[0] <= y <= height - TEXT_BLOCK[1] and not LIST_NUMBER.fullmatch(text.strip()):
                found.append(Run(index, abs(size * tm[3] * cm[3]), text))

        page.extract_text(visitor_text=visit)
    return found


def page_text(all_runs: list[Run], page: int) -> str:
    return folded("".join(run.text for run in all_runs if run.page == page))


def links(reader: PdfReader) -> list[tuple[int, str]]:
    """Each internal link of the PDF: its page and the named destination it leads to."""
    found = []
    for index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            target = annotation.get("/Dest")
            if target is None and "/A" in annotation:
                target = annotation["/A"].get("/D")
            if isinstance(target, str):
                found.append((index, target))
    return found


def dest_page(reader: PdfReader, name: str) -> int:
    return reader.get_destination_page_number(reader.named_destinations[name])


@pytest.fixture(scope="module")
def peru(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The edition as `mkdocs build --strict` makes it (its mkdocs.yml turns `pdf` on)."""
    return build_the_edition(tmp_path_factory.mktemp("print") / "site")


@pytest.fixture(scope="module")
def book(peru: Path) -> PdfReader:
    return PdfReader(peru / PDF_NAME)


@pytest.fixture(scope="module")
def book_runs(book: PdfReader) -> list[Run]:
    return runs(book)


@pytest.fixture(scope="module")
def notes(peru: Path) -> list[tuple[str, str, list[str]]]:
    """Each editorial note of the article: id, number, type label, text (sources aside), its sources' titles."""
    found = []
    for number, item in enumerate(content((peru / "index.html").read_text(encoding="utf-8")).select(
            "li.edition-note"), start=1):
        titles = [cite.get_text() for cite in item.select(".edition-sources cite")]
        text = reading_text(item, (".edition-sources", ".edition-note__backref", ".edition-note__type"))
        label = item.select_one(".edition-note__type").get_text()
        found.append((item["id"].removeprefix("note-"), number, label, text, titles))
    return found


def test_the_article_is_in_the_book_in_order(book_runs: list[Run]) -> None:
    source = SOURCE.read_text(encoding="utf-8")
    assert "\u2010" not in source  # so that the line-end hyphen can be told from the text's own
    body = folded("".join(run.text for run in book_runs if run.size >= BODY_SIZE))
    assert folded(source) in body


def test_every_note_and_source_is_in_the_book(book_runs: list[Run], notes: list) -> None:
    everything = folded("".join(run.text for run in book_runs))
    assert len(notes) >= 15
    for note_id, number, label, text, titles in notes:
        assert folded(f"[{number}] {label}.") in everything and folded(text) in everything, note_id
        for title in titles:
            assert folded(title) in everything, (note_id, title)


def test_each_note_is_at_the_foot_of_its_page_or_an_endnote_by_the_rule(book: PdfReader, book_runs: list[Run],
                                                                         notes: list) -> None:
    pages_of = {}
    for page, target in links(book):
        pages_of.setdefault(target, page)
    endnotes_start = dest_page(book, "pe-endnotes")
    kinds = set()
    for note_id, number, label, text, _ in notes:
        reference = pages_of[f"pg0-note-{note_id}"]  # the note number's link in the text
        assert reference < endnotes_start
        if len(f"{label} {text}") > pdf.ENDNOTE_OVER:  # the rule, as the README says it
            kinds.add("endnote")
            assert dest_page(book, f"pg0-note-{note_id}-pointer") == reference, note_id  # the pointer at the foot
            assert dest_page(book, f"pg0-note-{note_id}") >= endnotes_start, note_id
        else:
            kinds.add("footnote")
            assert dest_page(book, f"pg0-note-{note_id}") == reference, note_id
            assert folded(f"[{number}] {label}. {text}") in page_text(book_runs, reference), note_id
    assert kinds == {"endnote", "footnote"}  # the edition has both: the rule is exercised


def test_the_glossary_is_whole_and_gives_pages(peru: Path, book: PdfReader, book_runs: list[Run]) -> None:
    everything = folded("".join(run.text for run in book_runs))
    glossary = content((peru / "glossary.html").read_text(encoding="utf-8"))
    entries = glossary.select(".edition-entry")
    assert len(entries) >= 30
    linked = 0
    for entry in entries:
        entry_id = entry["id"]
        assert folded(entry.select_one("dfn").get_text()) in everything, entry_id
        assert folded(reading_text(entry.select_one(".edition-entry__definition"))) in everything, entry_id
        for cite in entry.select(".edition-sources cite"):
            assert folded(cite.get_text()) in everything, entry_id
        if f"pg0-term-{entry_id}-1" in book.named_destinations:
            # The term's first occurrence gives its entry's page, and the entry gives the occurrence's page.
            linked += 1
            first = dest_page(book, f"pg0-term-{entry_id}-1")
            where = dest_page(book, f"gl-{entry_id}")
            pointers = [run.text.strip() for run in book_runs if run.page == first and run.text.startswith("→")]
            assert f"→{where + 1}" in pointers, entry_id
            assert (where, f"pg0-term-{entry_id}-1") in links(book) or \
                (where + 1, f"pg0-term-{entry_id}-1") in links(book), entry_id
    assert linked >= 20


def test_contents_give_each_chapter_its_page(book: PdfReader) -> None:
    contents = book.pages[1].extract_text()
    assert contents.startswith("Contents")
    for title in ("Glossary", "Endnotes", "Sources of the notes"):
        line = next(line for line in contents.splitlines() if line.startswith(title))
        anchor = {"Glossary": "gl", "Endnotes": "pe-endnotes", "Sources of the notes": "pe-note-sources"}[title]
        assert line.rstrip().endswith(str(dest_page(book, anchor) + 1)), line


PAGE_NUMBER = re.compile(r"(?:→|p\.\s?|\.\s)(\d+)")  # "→34", "p. 34", "(p. 34)", a contents line's ". 34"


def test_every_page_number_the_book_prints_is_right(peru: Path, book: PdfReader) -> None:
    """Contents, term pointers, see-also, passages, sources: the number in each link is the page it leads to.

    The text in a link's box is read with PDFium (pypdf cannot bound text by
    a box); of a link's boxes on a page, the widest text holds its number.
    """
    import pypdfium2

    document = pypdfium2.PdfDocument(peru / PDF_NAME)
    checked = 0
    for index, page in enumerate(book.pages):
        text_page = document[index].get_textpage()
        shown: dict[str, str] = {}
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            target = annotation.get("/Dest") or (annotation.get("/A") or {}).get("/D")
            if not isinstance(target, str):
                continue
            x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
            inside = text_page.get_text_bounded(min(x1, x2), min(y1, y2) - 2, max(x1, x2), max(y1, y2) + 2)
            if len(inside) > len(shown.get(target, "")):
                shown[target] = inside
        for target, inside in shown.items():
            numbers = PAGE_NUMBER.findall(inside)
            if numbers:
                assert int(numbers[-1]) == dest_page(book, target) + 1, (index + 1, inside, target)
                checked += 1
    assert checked > 100


def test_every_internal_link_leads_somewhere(book: PdfReader) -> None:
    targets = {target for _, target in links(book)}
    assert len(targets) > 100
    assert targets <= set(book.named_destinations)


def test_fonts_are_embedded(book: PdfReader) -> None:
    fonts = {}
    for page in book.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[font.get("/BaseFont")] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts


def test_the_site_links_to_the_book_from_every_page_and_the_about_page(peru: Path) -> None:
    from bs4 import BeautifulSoup

    for name in ("index.html", "glossary.html", "about.html"):
        page = BeautifulSoup((peru / name).read_text(encoding="utf-8"), "html.parser")
        link = page.select_one("nav.edition-downloads a[type='application/pdf']")
        assert link is not None and (peru / link["href"]).is_file(), name  # relative: works from file:// too
    about = content((peru / "about.html").read_text(encoding="utf-8"))
    assert [a["href"] for a in about.select(f"a[href$='{PDF_NAME}']")] == [PDF_NAME]
    assert (peru / PDF_NAME).read_bytes().startswith(b"%PDF-")


# -- small editions ------------------------------------------------------------------------

def with_pdf(edition: Edition, extra: str = "      pdf: true\n") -> None:
    edition.write("mkdocs.yml", BASIC_CONFIG.format(theme="mkdocs", link="first", directory_urls="true") + extra)


def test_nothing_is_fetched_while_the_book_is_made(edition: Edition, monkeypatch: pytest.MonkeyPatch) -> None:
    with_pdf(edition)
    from PIL import Image  # WeasyPrint's own dependency

    (edition.root / "docs").mkdir(exist_ok=True)
    Image.new("RGB", (4, 4), "navy").save(edition.root / "docs" / "pic.png")
    edition.write("docs/index.md", """\
        # Home

        A cholo here, and a passage with a note.[^1]

        ![remote](https://example.org/remote.png) ![local](pic.png)

        <img src="http://example.org/raw.png" alt="raw"> <img src="file:///etc/hostname" alt="outside">

        [^1]: The author's own footnote.
        """)
    edition.write("docs/other.md", "# Other\n\nBack to [the first paragraph](index.md#p1).\n")
    edition.entry("cholo", "term: cholo\ndefinition: A word.\n")
    edition.notes("index", "- quote: a passage with a note\n  note: An editorial note.\n")
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    result = edition.build(strict=False)
    assert not result.failed, result.error
    assert attempts == []
    refused = [m for m in result.messages if "without network" in m]
    assert len(refused) == 1
    for url in ("https://example.org/remote.png", "http://example.org/raw.png", "file:///etc/hostname"):
        assert url in refused[0]
    reader = PdfReader(result.site / "edition.pdf")
    images = {image.name for page in reader.pages for image in page.images}  # pages share their resources
    assert len(images) == 1  # the site's own picture
    # The author's footnote and the editorial note are each at the foot of their reference's page.
    page_links = links(reader)
    texts = runs(reader)
    for target, words in (("pg0-fn:1", "The author's own footnote."), ("pg0-note-n1", "An editorial note.")):
        page = next(page for page, name in page_links if name == target)
        assert dest_page(reader, target) == page
        assert folded(words) in page_text(texts, page)
    assert ("pg0-p1" in reader.named_destinations
            and any(target == "pg0-p1" for page, target in page_links if page > 0))  # the other page's link


def test_an_edition_without_the_option_writes_no_pdf(edition: Edition) -> None:
    result = edition.build()
    assert not result.failed, result.messages
    assert list(result.site.rglob("*.pdf")) == []


def test_a_build_that_skips_the_book_leaves_a_placeholder_that_says_so(edition: Edition,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOTATED_EDITION_PDF", "0")
    with_pdf(edition, "      pdf: true\n      pdf_file: print/book.pdf\n")
    edition.write("docs/index.md", "# Home\n\nThe [print edition](print/book.pdf).\n")
    result = edition.build()  # strict: the link to the PDF is valid
    assert not result.failed, result.messages
    reader = PdfReader(result.site / "print" / "book.pdf")
    assert len(reader.pages) == 1
    assert "not made in this build" in reader.pages[0].extract_text()


def test_serve_skips_the_book_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from annotated_edition.downloads import PDF_ENV, pdf_wanted

    monkeypatch.delenv(PDF_ENV, raising=False)
    assert pdf_wanted("build")
    assert not pdf_wanted("serve")
    monkeypatch.setenv(PDF_ENV, "1")
    assert pdf_wanted("serve")
    monkeypatch.setenv(PDF_ENV, "0")
    assert not pdf_wanted("build")


def test_without_weasyprint_the_build_says_what_to_install(edition: Edition, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("ANNOTATED_EDITION_PDF", raising=False)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint: ImportError
    with_pdf(edition)
    with caplog.at_level(logging.ERROR, logger="mkdocs"):
        result = edition.build()
    assert result.failed
    assert "needs WeasyPrint" in caplog.text and "pip install 'annotated-edition[pdf]'" in caplog.text
    assert not (result.site / "edition.pdf").exists()


def test_the_fetcher_serves_only_the_site_and_data(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.txt").write_text("inside")
    (tmp_path / "b.txt").write_text("outside")
    refused: list[str] = []
    fetcher = pdf._local_fetcher(tmp_path / "site", refused)
    assert fetcher.fetch((tmp_path / "site" / "a.txt").as_uri()).read() == b"inside"
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    for url in ((tmp_path / "b.txt").as_uri(), (tmp_path / "site" / ".." / "b.txt").as_uri(),
                "https://example.org/x.css", "ftp://example.org/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(refused) == 4
