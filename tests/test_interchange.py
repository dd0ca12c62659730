"""The notes and glossary as open data: annotations.jsonld (W3C Web Annotation) and glossary.jsonld (SKOS).

The files are read as other tools read them: expanded by a JSON-LD processor
(pyld) and parsed as RDF (rdflib), offline, the W3C context served from the
copy in tests/contexts/.  The selectors are checked against a build of the
same pages *without* the plugin: an extractor written here, from the
README's definition of the reading text, finds each passage there.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import yaml
from bs4 import BeautifulSoup, Comment, NavigableString
from hypothesis import given
from hypothesis import strategies as st
from pyld import jsonld

from editions import BASIC_CONFIG, FORKS_WORKERS, REPO, Edition, build_site, content

# rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

ANNO = "http://www.w3.org/ns/anno.jsonld"
ANNO_COPY = Path(__file__).parent / "contexts" / "anno.jsonld"
OA = "http://www.w3.org/ns/oa#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
MOTIVATIONS = {"assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
               "identifying", "linking", "moderating", "questioning", "replying", "tagging"}

# -- the README's reading text, extracted independently from a build without the plugin ---------------------

BLOCKS = {"address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset",
          "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
          "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
          "tr", "ul"}


def _hidden(tag: Any) -> bool:
    classes = tag.get("class") or []
    return (tag.name in ("script", "style") or "headerlink" in classes or "footnote-backref" in classes
            or (tag.name == "sup" and (tag.get("id") or "").startswith("fnref")))


def reading_text(page_html: str) -> str:
    """The README's reading text of a page's body: blocks of folded text, one line each."""
    pieces: list[str] = []

    def walk(node: Any) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                pieces.append(str(child))
            elif not _hidden(child):
                pieces.append("\0" if child.name in BLOCKS else "")
                walk(child)
                pieces.append("\0" if child.name in BLOCKS else "")

    walk(content(page_html))
    blocks = (" ".join(block.split()) for block in "".join(pieces).split("\0"))
    return "\n".join(block for block in blocks if block)


def assert_anchors(annotations: list[dict[str, Any]], texts: dict[str, str]) -> None:
    """Each annotation's selectors find its passage in the reading text of its page (``texts``, by IRI)."""
    assert annotations
    for annotation in annotations:
        target = annotation["target"]
        quote, position = target["selector"]
        text = texts[target["source"]]
        start, end = position["start"], position["end"]
        assert text[start:end] == quote["exact"], annotation["id"]
        assert text[:start].endswith(quote.get("prefix", "")), annotation["id"]
        assert text[end:].startswith(quote.get("suffix", "")), annotation["id"]
        # The quote selector alone picks the passage out, as a tool without the positions would find it.
        assert text.count(quote.get("prefix", "") + quote["exact"] + quote.get("suffix", "")) == 1, annotation["id"]


# -- offline JSON-LD ---------------------------------------------------------------------------

def load_document(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader: the W3C context from its copy in tests/, anything else refused."""
    if url != ANNO:
        raise jsonld.JsonLdError(f"no network in the tests: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(ANNO_COPY.read_text(encoding="utf-8"))}


def expand(document: dict[str, Any], base: str) -> list[dict[str, Any]]:
    return jsonld.expand(document, {"documentLoader": load_document, "base": base})


def rdf_graph(document: dict[str, Any], base: str):
    """The document parsed by rdflib's own JSON-LD parser, the W3C context given from its copy."""
    import rdflib

    document = copy.deepcopy(document)
    contexts = document["@context"] if isinstance(document["@context"], list) else [document["@context"]]
    document["@context"] = [load_document(c)["document"]["@context"] if c == ANNO else c for c in contexts]
    return rdflib.Graph().parse(data=json.dumps(document), format="json-ld", base=base)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a connection was attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# -- the Peru edition, with and without the plugin -----------------------------------------------

@pytest.fixture(scope="module")
def peru(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("peru") / "site"
    return build_site(REPO / "mkdocs.yml", site)


@pytest.fixture(scope="module")
def peru_plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same pages built by MkDocs and Material alone."""
    folder = tmp_path_factory.mktemp("peru-plain")
    config = _without_the_plugin(yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8")))
    config["docs_dir"] = str(REPO / "docs")
    config["strict"] = False
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return build_site(folder / "mkdocs.yml", folder / "site")


def _without_the_plugin(config: dict[str, Any]) -> dict[str, Any]:
    """An mkdocs.yml's settings less the plugin and the guard that stops a build without it."""
    config["plugins"] = [p for p in config["plugins"] if not (isinstance(p, dict) and "annotated-edition" in p)]
    config["markdown_extensions"] = [e for e in config["markdown_extensions"] if e != "annotated_edition.guard"]
    return config


def _json(site: Path, name: str) -> dict[str, Any]:
    return json.loads((site / name).read_text(encoding="utf-8"))


def test_peru_notes_anchor_on_the_pages_built_without_the_plugin(peru: Path, peru_plain: Path) -> None:
    from annotated_edition.loader import load_annotations

    notes = load_annotations(REPO, REPO / "annotations", None).notes
    items = _json(peru, "annotations.jsonld")["first"]["items"]
    assert len(items) == sum(len(page_notes) for page_notes in notes.values()) == 26
    texts = {"index.html": reading_text((peru_plain / "index.html").read_text(encoding="utf-8"))}
    assert_anchors(items, texts)


def test_peru_term_links_anchor_on_the_pages_built_without_the_plugin(peru: Path, peru_plain: Path) -> None:
    items = _json(peru, "term-annotations.jsonld")["first"]["items"]
    pages = {item["target"]["source"] for item in items}
    texts = {page: reading_text((peru_plain / page).read_text(encoding="utf-8")) for page in pages}
    assert_anchors(items, texts)
    # One annotation per term link on the pages, each identifying the concept its link leads to.
    for page in pages:
        links = BeautifulSoup((peru / page).read_text(encoding="utf-8"), "html.parser").select("a.edition-term")
        mine = [item for item in items if item["target"]["source"] == page]
        assert [f"{page}#{link['id']}" for link in links] == [item["id"] for item in mine]
        assert [item["body"] for item in mine] == [link["href"] for link in links]
        assert all(item["motivation"] == "identifying" for item in mine)


def test_peru_files_expand_and_parse_as_rdf_offline(peru: Path, no_network: None) -> None:
    import rdflib
    from rdflib.namespace import RDF

    base = "https://edition.invalid/"
    for name, kind, count in (("annotations.jsonld", OA + "Annotation", 26),
                              ("term-annotations.jsonld", OA + "Annotation", None),
                              ("glossary.jsonld", SKOS + "Concept", 33)):
        document = _json(peru, name)
        expanded = expand(document, base + name)
        assert expanded, name
        graph = rdf_graph(document, base + name)
        things = set(graph.subjects(RDF.type, rdflib.URIRef(kind)))
        assert len(things) == (count if count is not None else document["total"]), name
        assert all(str(thing).startswith(base) for thing in things)  # relative IRIs, resolved against the file


def test_every_annotation_has_what_the_w3c_model_requires(peru: Path) -> None:
    for name in ("annotations.jsonld", "term-annotations.jsonld"):
        collection = _json(peru, name)
        assert collection["@context"][0] == ANNO
        assert collection["type"] == "AnnotationCollection" and collection["id"] == name
        page = collection["first"]
        assert page["type"] == "AnnotationPage" and page["partOf"] == name and page["id"]
        assert collection["total"] == len(page["items"])
        ids = [item["id"] for item in page["items"]]
        assert len(set(ids)) == len(ids)
        for item in page["items"]:
            assert item["type"] == "Annotation" and "#" in item["id"]
            assert item["motivation"] in MOTIVATIONS
            assert "body" in item and item["target"]["source"] == item["id"].split("#")[0]
            quote, position = item["target"]["selector"]
            assert quote["type"] == "TextQuoteSelector" and quote["exact"]
            assert len(quote.get("prefix", "")) <= 32 and len(quote.get("suffix", "")) <= 32
            assert position["type"] == "TextPositionSelector"
            assert position["end"] - position["start"] == len(quote["exact"])
    for item in _json(peru, "annotations.jsonld")["first"]["items"]:
        choice, *sources = item["body"]
        assert choice["type"] == "Choice"
        assert [body["format"] for body in choice["items"]] == ["text/html", "text/plain", "text/markdown"]
        assert all(body["type"] == "TextualBody" and body["language"] == "en" and body["value"].strip()
                   for body in choice["items"])
        # Sources: linked resources where they have an address, else a textual body citing them.
        assert sources and all(source["id"].startswith(("http://", "https://")) if "id" in source
                               else source["type"] == "TextualBody" for source in sources)
        assert item["noteType"] in ("context", "translation", "correction", "citation")


def test_note_types_map_to_motivations_and_stay_readable_as_rdf(peru: Path) -> None:
    document = _json(peru, "annotations.jsonld")
    expected = {"context": "commenting", "translation": "describing", "correction": "editing",
                "citation": "linking"}
    for item in document["first"]["items"]:
        assert item["motivation"] == expected[item["noteType"]]
    expanded = expand(document, "https://edition.invalid/annotations.jsonld")
    page = expanded[0]["http://www.w3.org/ns/activitystreams#first"][0]
    annotations = page["http://www.w3.org/ns/activitystreams#items"][0]["@list"]
    types = {a["urn:uuid:97d05809-65aa-4ebd-853f-77cd6a28e757#noteType"][0]["@id"] for a in annotations}
    assert types == {f"urn:uuid:97d05809-65aa-4ebd-853f-77cd6a28e757#{t}" for t in expected}
    assert {a[OA + "motivatedBy"][0]["@id"] for a in annotations} == {OA + m for m in expected.values()}


def test_glossary_is_skos(peru: Path, no_network: None) -> None:
    import rdflib
    from rdflib.namespace import RDF, SKOS as S

    base = "https://edition.invalid/glossary.jsonld"
    graph = rdf_graph(_json(peru, "glossary.jsonld"), base)
    scheme = rdflib.URIRef("https://edition.invalid/glossary.html")
    assert (scheme, RDF.type, S.ConceptScheme) in graph
    concepts = set(graph.subjects(RDF.type, S.Concept))
    for concept in concepts:
        assert (concept, S.inScheme, scheme) in graph
        preferred = list(graph.objects(concept, S.prefLabel))
        alternative = set(graph.objects(concept, S.altLabel))
        assert len(preferred) == 1 and preferred[0].language
        assert all(label.language for label in alternative)
        assert not alternative & set(preferred)  # SKOS: never both
        assert len(list(graph.objects(concept, S.definition))) == 1
        for related in graph.objects(concept, S.related):
            assert related in concepts
    mendoza = rdflib.URIRef("https://edition.invalid/glossary.html#defensoria-del-pueblo")
    labels = {(str(label), label.language) for label in graph.objects(mendoza, S.altLabel)}
    assert ("Ombudsman", "en") in labels
    assert {label.language for label in graph.objects(mendoza, S.prefLabel)} == {"es"}
    sources = list(graph.objects(mendoza, rdflib.URIRef("http://purl.org/dc/terms/source")))
    assert sources and all(graph.value(source, rdflib.URIRef("http://purl.org/dc/terms/title")) for source in sources)


def test_pages_link_to_the_data_that_concerns_them(peru: Path) -> None:
    def alternates(page: str) -> set[str]:
        soup = BeautifulSoup((peru / page).read_text(encoding="utf-8"), "html.parser")
        links = soup.head.select('link[rel=alternate][type="application/ld+json"]')
        for link in links:
            assert (peru / urljoin(page, link["href"])).is_file()
        return {link["href"] for link in links}

    assert alternates("index.html") == {"annotations.jsonld", "term-annotations.jsonld", "glossary.jsonld"}
    assert alternates("glossary.html") == {"glossary.jsonld"}


# -- awkward markup, a site_url, and the options ---------------------------------------------

AWKWARD_PAGE = """\
# A page *with* markup

Some text with a footnote[^1] and more &mdash; an entity, then <span class="x">raw inline</span> HTML and a
line break  
here and `code words` and **bold “quoted” words** in Lima.

<div class="raw-block">
<p>Raw block text.</p>
</div>

- First item with the Ombudsman
- Second item
    - the nested item

| col a | col b |
|---|---|
| cell one | cell two |

> A quotation in a blockquote.

Last paragraph, with an address <me@example.org> and Lima again.

[^1]: The footnote's own text.
"""

AWKWARD_NOTES = """\
- quote: a footnote and more
  note: Across the author's footnote marker.
- quote: HTML and a line break here
  type: correction
  note: Across a line break.
- quote: bold "quoted" words
  type: translation
  note: The page has curly quotes; the YAML straight ones.
- quote: the nested item
  note: In a nested list.
- quote: cell two
  type: citation
  note: In a table.
  sources:
    - title: A source without an address
      publisher: Nobody
      date: "2023-05"
- quote: A quotation in a blockquote.
  note: In a blockquote.
- quote: own text
  note: In the footnote.
- quote: Last paragraph
  note: After the raw block.
- quote: Some
  note: The page's first words after its heading.
"""


@pytest.fixture
def awkward(edition: Edition) -> Edition:
    edition.write("docs/index.md", AWKWARD_PAGE)
    edition.write("docs/other/page.md", "# Other\n\nA second page about Lima.\n")
    edition.notes("index", AWKWARD_NOTES)
    edition.entry("lima", "term: Lima\nlang: es\ndefinition: The capital.\nsummary: Peru's capital.\n"
                          "sources:\n  - title: T\n    url: https://example.org/lima\n")
    edition.entry("ombudsman", "term: Defensoría del Pueblo\nlang: es\nforms:\n  - form: Ombudsman\n    lang: en\n"
                               "definition: The ombudsman's office.\nsee_also: [lima]\n")
    return edition


def _plain_build(made: Edition) -> Path:
    """The edition's pages built with its configuration less the plugin."""
    config = _without_the_plugin(yaml.safe_load((made.root / "mkdocs.yml").read_text(encoding="utf-8")))
    plain = made.root / "plain.yml"
    plain.write_text(yaml.safe_dump(config), encoding="utf-8")
    return build_site(plain, made.root / "plain")


def test_selectors_hold_across_footnotes_raw_html_lists_and_tables(awkward: Edition, no_network: None) -> None:
    config = BASIC_CONFIG.format(theme="mkdocs", link="all", directory_urls="true")
    awkward.write("mkdocs.yml", config.replace("  - attr_list\n", "  - attr_list\n  - tables\n  - abbr\n")
                  + "      term_annotations: true\n")
    result = awkward.build()
    assert not result.failed and result.messages == []
    plain = _plain_build(awkward)
    texts = {page: reading_text((plain / (page.removeprefix("./") or "") / "index.html").read_text(encoding="utf-8"))
             for page in ("./", "other/page/")}
    notes = _json(result.site, "annotations.jsonld")["first"]["items"]
    assert len(notes) == 9
    assert_anchors(notes, texts)
    curly = next(item for item in notes if item["noteType"] == "translation")
    assert curly["target"]["selector"][0]["exact"] == "bold “quoted” words"  # from the page, not the YAML
    first = next(item for item in notes if item["target"]["selector"][0]["exact"] == "Some")
    assert first["target"]["selector"][0]["prefix"] == "A page with markup\n"
    assert first["target"]["selector"][1]["start"] == len("A page with markup\n")
    terms = _json(result.site, "term-annotations.jsonld")["first"]["items"]
    assert {item["target"]["source"] for item in terms} == {"./", "other/page/"}
    assert_anchors(terms, texts)
    cited = next(item for item in notes if item["noteType"] == "citation")
    assert cited["body"][1]["type"] == "TextualBody" and "id" not in cited["body"][1]
    assert cited["body"][1]["dcterms:date"] == {"@value": "2023-05", "@type": "xsd:gYearMonth"}
    for document in ("annotations.jsonld", "term-annotations.jsonld", "glossary.jsonld"):
        assert expand(_json(result.site, document), "https://edition.invalid/" + document)


def test_with_a_site_url_the_ids_are_absolute(awkward: Edition) -> None:
    awkward.write("mkdocs.yml", "site_url: https://example.org/edition\n" + (awkward.root / "mkdocs.yml").read_text())
    result = awkward.build()
    assert not result.failed
    collection = _json(result.site, "annotations.jsonld")
    assert collection["id"] == "https://example.org/edition/annotations.jsonld"
    for item in collection["first"]["items"]:
        assert item["id"].startswith("https://example.org/edition/#note-")
        assert item["target"]["source"] == "https://example.org/edition/"
    concepts = _json(result.site, "glossary.jsonld")["@graph"]
    assert concepts[0]["id"] == "https://example.org/edition/glossary/"
    ombudsman = next(c for c in concepts if c["id"].endswith("#ombudsman"))
    assert ombudsman["prefLabel"] == {"es": "Defensoría del Pueblo"}
    assert ombudsman["altLabel"] == {"en": ["Ombudsman"]}
    assert ombudsman["related"] == ["https://example.org/edition/glossary/#lima"]
    lima = next(c for c in concepts if c["id"].endswith("#lima"))
    assert lima["summary"] == {"en": "Peru's capital."} and lima["definition"] == {"en": "The capital."}
    # Pages still point to the files relatively, so that a copy on disk works.
    page = BeautifulSoup(result.page("other/page/index.html"), "html.parser")
    assert {link["href"] for link in page.select("link[rel=alternate]")} == {"../../glossary.jsonld"}


def test_the_options_turn_the_files_off(awkward: Edition) -> None:
    awkward.write("mkdocs.yml", (awkward.root / "mkdocs.yml").read_text() + "      web_annotations: false\n")
    result = awkward.build()
    assert not result.failed
    assert not list(result.site.glob("*.jsonld"))
    assert 'type="application/ld+json"' not in result.page()


@pytest.mark.skipif(not FORKS_WORKERS, reason="builds fork a worker on Linux only, with a second core")
def test_a_worker_makes_the_same_files(awkward: Edition) -> None:
    """The data files made on a worker are the ones made in the build's process, byte for byte.

    Each build runs in a fresh process: this one may run other threads (the browser tests' server),
    and a build never forks beside other threads.
    """
    awkward.write("mkdocs.yml", (awkward.root / "mkdocs.yml").read_text() + "      term_annotations: true\n")
    made, logs = {}, {}
    for switch in ("always", "0"):  # a worker however little the work; never
        site = awkward.root / f"site-{switch}"
        run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-v", "-f",
                              str(awkward.root / "mkdocs.yml"), "-d", str(site)],
                             env={**os.environ, "ANNOTATED_EDITION_BACKGROUND": switch, "NO_MKDOCS_2_WARNING": "1"},
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr[-3000:]
        made[switch] = {path.name: path.read_bytes() for path in site.glob("*.jsonld")}
        logs[switch] = run.stderr + run.stdout
    assert len(made["0"]) == 3 and all(made["0"].values())
    assert made["always"] == made["0"]
    started = "making the data files on a worker process"
    assert started in logs["always"] and started not in logs["0"]


def test_a_page_file_in_the_way_gives_way_with_a_warning(awkward: Edition) -> None:
    awkward.write("docs/annotations.jsonld", "{}")
    result = awkward.build(strict=False)
    assert any(message.startswith("docs/annotations.jsonld:1:1: the annotated-edition plugin writes its data there")
               for message in result.messages)
    assert _json(result.site, "annotations.jsonld")["type"] == "AnnotationCollection"


@given(st.lists(st.sampled_from(["a", "é", "word", "“", " ", "  ", "\n", "\t", "\xa0", "\u2009", "\u3000", "\x00"]),
                max_size=40))
def test_folding_is_the_readme_definition(pieces: list[str]) -> None:
    from annotated_edition.readingtext import fold

    text = "".join(pieces)
    blocks = (" ".join(block.split()) for block in text.split("\0"))
    assert fold(text) == "\n".join(block for block in blocks if block)
