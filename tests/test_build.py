"""Integration: small editions built with `mkdocs build --strict`, checked in their HTML."""

from __future__ import annotations

import json
import re

import pytest

from editions import Edition, configure, content, reading_text

CHOLO = """\
term: cholo
lang: es
forms: [cholos]
definition: A *charged* word for people of mixed or Indigenous descent. Second sentence.
see_also: [caviar]
sources:
  - title: A dictionary
    publisher: A publisher
    date: "2020-01-02"
    url: https://example.org/cholo
"""
CAVIAR = "term: caviar\nlang: es\ndefinition: The affluent left.\n"


def test_term_link_contract(edition: Edition) -> None:
    edition.entry("cholo", CHOLO)
    edition.entry("caviar", CAVIAR)
    edition.write("docs/index.md", "# Home\n\nThe cholo and the cholos, and “caviar”.\n")
    result = edition.build()
    assert not result.failed, result.messages
    links = content(result.page()).select("a.edition-term")
    assert [(a["data-term"], a.get_text(), a["href"], a.get("lang"), a.span["lang"]) for a in links] == [
        ("cholo", "cholo", "glossary/#cholo", None, "es"), ("caviar", "caviar", "glossary/#caviar", None, "es")]
    assert [a.span.get_text() for a in links] == ["cholo", "caviar"]  # the form's words, in their language
    assert links[0]["title"] == "A charged word for people of mixed or Indigenous descent."


def test_a_form_in_another_language_than_its_headword_says_so(edition: Edition) -> None:
    edition.entry("defensoria", "term: Defensoría del Pueblo\nlang: es\ndefinition: The Ombudsman's office.\n"
                                "forms:\n  - form: Ombudsman\n    lang: en\n  - Defensoría\n")
    edition.write("docs/index.md", "# Home\n\nThe Ombudsman, the Defensoría, the Defensoría del Pueblo.\n")
    configure(edition, link="all")
    result = edition.build()
    assert not result.failed, result.messages
    links = content(result.page()).select("a.edition-term")
    assert [(a.get_text(), a.get("lang"), a.span["lang"]) for a in links] == [
        ("Ombudsman", None, "en"), ("Defensoría", None, "es"), ("Defensoría del Pueblo", None, "es")]
    glossary = content(result.page("glossary/index.html")).select_one("#defensoria")
    assert glossary.select_one("dfn")["lang"] == "es"
    assert [(span.get_text(), span["lang"]) for span in glossary.select(".edition-entry__forms span")] == [
        ("Ombudsman", "en"), ("Defensoría", "es")]


@pytest.mark.parametrize("directory_urls, page, expected", [
    (True, "a/b/deep/index.html", "../../../glossary/#cholo"),
    (False, "a/b/deep.html", "../../glossary.html#cholo"),
])
def test_relative_href_from_any_depth(edition: Edition, directory_urls: bool, page: str, expected: str) -> None:
    configure(edition, directory_urls=directory_urls)
    edition.entry("cholo", CHOLO.replace("see_also: [caviar]\n", ""))
    edition.write("docs/a/b/deep.md", "# Deep\n\nA cholo here.\n")
    result = edition.build()
    assert not result.failed, result.messages
    link = content(result.page(page)).select_one("a.edition-term")
    assert link["href"] == expected
    glossary = "glossary/index.html" if directory_urls else "glossary.html"
    assert (result.site / glossary).exists()


@pytest.mark.parametrize("mode, override, expected", [
    ("first", "", 1), ("all", "", 3), ("none", "", 0), ("first", "link: all\n", 3), ("all", "link: none\n", 0)])
def test_link_modes_global_and_per_entry(edition: Edition, mode: str, override: str, expected: int) -> None:
    configure(edition, link=mode)
    edition.entry("cholo", "term: cholo\ndefinition: D.\n" + override)
    edition.write("docs/index.md", "# Home\n\ncholo cholo\n\nand cholo\n")
    result = edition.build()
    assert len(content(result.page()).select("a.edition-term")) == expected


def test_first_is_per_page(edition: Edition) -> None:
    edition.entry("cholo", "term: cholo\ndefinition: D.\n")
    edition.write("docs/index.md", "# Home\n\ncholo cholo\n")
    edition.write("docs/other.md", "# Other\n\ncholo\n")
    result = edition.build()
    assert len(content(result.page()).select("a.edition-term")) == 1
    assert len(content(result.page("other/index.html")).select("a.edition-term")) == 1


def test_never_linked_in_headings_links_code_pre_abbr_html_footnotes(edition: Edition) -> None:
    configure(edition, link="all")
    edition.write("mkdocs.yml", (edition.root / "mkdocs.yml").read_text().replace("  - attr_list\n",
                                                                                   "  - attr_list\n  - abbr\n"))
    edition.entry("lima", "term: Lima\ndefinition: The capital.\n")
    edition.write("docs/index.md", """\
        # Lima

        ## Lima again

        [Lima](https://example.org) `Lima` <span>Lima</span> LIMA[^Lima] and Lima.

        *[LIMA]: Lima

            Lima in pre

        [^Lima]: A footnote about Lima.
        """)
    result = edition.build()
    assert not result.failed, result.messages
    links = content(result.page()).select("a.edition-term")
    # Only the plain "and Lima." and the footnote's text are linkable.
    assert [a.find_parent("li") is not None for a in links] == [False, True]
    assert all(a.find_parent(["h1", "h2", "code", "pre", "abbr", "span"]) is None for a in links)


def test_glossary_page_contract(edition: Edition) -> None:
    edition.entry("cholo", CHOLO)
    edition.entry("caviar", CAVIAR)
    edition.entry("avila", "term: Ávila\ndefinition: A place.\n")
    edition.entry("zeta", "term: zeta\ndefinition: Last.\n")
    edition.entry("apra", "term: APRA\ndefinition: A party.\n")
    edition.write("docs/index.md", "# Home\n\nThe cholo.\n\nA caviar and cholos.\n")
    edition.write("docs/other.md", "# Other\n\nOne cholo.\n")
    configure(edition, link="all")
    result = edition.build()
    assert not result.failed, result.messages
    page = content(result.page("glossary/index.html"))
    entries = page.select(".edition-entry")
    assert [e["id"] for e in entries] == ["apra", "avila", "caviar", "cholo", "zeta"]
    assert [h.get_text(strip=True).rstrip("¶") for h in page.select("h2")] == ["A", "C", "Z"]
    cholo = page.select_one("#cholo")
    assert cholo.select_one("dfn")["lang"] == "es"
    assert "charged" in cholo.select_one(".edition-entry__definition em").get_text()
    assert cholo.select_one(".edition-entry__see-also a")["href"] == "#caviar"
    assert "cholos" in cholo.select_one(".edition-entry__forms").get_text()
    source = cholo.select_one(".edition-sources li")
    assert "A dictionary" in source.get_text() and "A publisher" in source.get_text() and "2020-01-02" in source.get_text()
    assert source.select_one("a")["href"] == "https://example.org/cholo"
    backlinks = [(a.find_parent("li").get_text().split(":")[0], a["href"]) for a in cholo.select(".edition-backlinks a")]
    assert backlinks == [("Home", "../#term-cholo-1"), ("Home", "../#term-cholo-2"), ("Other", "../other/#term-cholo-1")]
    # every back-link target exists on its page
    home = content(result.page())
    assert home.select_one("#term-cholo-2").get_text() == "cholos"
    assert "Not linked in the text" in page.select_one("#zeta").get_text()


def test_glossary_page_is_in_nav_and_search(edition: Edition) -> None:
    edition.entry("cholo", CHOLO.replace("see_also: [caviar]\n", ""))
    result = edition.build()
    assert "glossary/" in result.page()
    index = json.loads((result.site / "search" / "search_index.json").read_text())
    assert any(doc["location"].startswith("glossary/") and "charged" in doc["text"] for doc in index["docs"])


def test_notes_contract_with_author_footnotes(edition: Edition) -> None:
    edition.write("docs/index.md", """\
        # Home

        The *heroic* deed of our people[^1] and the second passage.

        Later, a third passage.

        [^1]: The author's own footnote.
        """)
    edition.notes("index", """\
        - id: third
          quote: a third passage
          type: citation
          note: Checked against *a source*.
          sources:
            - title: A report
        - quote: The heroic deed
          type: translation
          note: In Spanish, *gesta*.
        """)
    result = edition.build()
    assert not result.failed, result.messages
    page = content(result.page())
    marks = page.select("mark.edition-quote")
    assert [(m["data-note"], m.get_text()) for m in marks] == [("n2", "The "), ("n2", "heroic"), ("n2", " deed"),
                                                               ("third", "a third passage")]
    refs = page.select("sup.edition-note-ref")
    assert [(r["id"], r.a["href"], r.a.get_text(), r.a["class"]) for r in refs] == [
        ("note-ref-n2", "#note-n2", "1", ["footnote-ref"]), ("note-ref-third", "#note-third", "2", ["footnote-ref"])]
    items = page.select("section.edition-notes li.edition-note")
    assert [(li["id"], li["class"]) for li in items] == [
        ("note-n2", ["edition-note", "edition-note--translation"]),
        ("note-third", ["edition-note", "edition-note--citation"])]
    assert items[1].select_one("a.edition-note__backref")["href"] == "#note-ref-third"
    assert "A report" in items[1].get_text() and "Citation" in items[1].get_text()
    # The author's footnote keeps its own numbering and section.
    assert page.select_one("div.footnote li")["id"] == "fn:1"
    assert page.select_one("sup#fnref\\:1").get_text() == "1"


def test_a_term_in_a_marked_passage_is_linked_inside_the_mark(edition: Edition) -> None:
    edition.entry("cholo", CHOLO.replace("see_also: [caviar]\n", ""))
    edition.entry("caviar", CAVIAR)
    edition.write("docs/index.md", "# Home\n\nThe caviar left and the cholo vote, said the *caviar* press.\n")
    edition.notes("index", "- quote: left and the cholo vote, said the caviar\n  note: N.\n")
    result = edition.build()
    assert not result.failed, result.messages
    page = content(result.page())
    marks = page.select("mark.edition-quote")
    # One mark per text run: the link sits inside it, the emphasis outside.
    assert [m.get_text() for m in marks] == ["left and the cholo vote, said the ", "caviar"]
    assert [a.get_text() for a in marks[0].select("a.edition-term")] == ["cholo"]
    assert [(a.get_text(), a.find_parent("mark") is not None) for a in page.select("a.edition-term")] == [
        ("caviar", False), ("cholo", True)]
    assert reading_text(page.select_one("p"), skip=(".edition-pnum", ".edition-note-ref")) == (
        "The caviar left and the cholo vote, said the caviar press.")


def test_paragraph_numbers(edition: Edition) -> None:
    edition.write("docs/index.md", "# Home\n\nOne.\n\n- a list\n\nTwo.\n\n<div>raw</div>\n\nThree.\n")
    edition.write("docs/off.md", "---\nparagraph_numbers: false\n---\n# Off\n\nNone here.\n")
    result = edition.build()
    page = content(result.page())
    numbers = page.select("a.edition-pnum")
    assert [(a["href"], a.get_text(), a.parent["id"]) for a in numbers] == [
        ("#p1", "1", "p1"), ("#p2", "2", "p2"), ("#p3", "3", "p3")]
    assert not content(result.page("off/index.html")).select("a.edition-pnum")
    assert not content(result.page("glossary/index.html")).select("a.edition-pnum")


def test_paragraph_id_collision_is_a_warning(edition: Edition) -> None:
    edition.write("docs/index.md", "# Home\n\n## p2\n\nOne.\n\nTwo.\n")
    result = edition.build()
    assert result.failed
    assert any(m.startswith("docs/index.md:1:1: paragraph 2 cannot take the id 'p2'") for m in result.messages)


@pytest.mark.parametrize("source, notes, built", [
    ("docs/a/b.md", "a/b", "a/b/index.html"),                # a page in a subfolder
    ("docs/other.markdown", "other", "other/index.html"),    # a page with another Markdown suffix
])
def test_notes_file_follows_its_page(edition: Edition, source: str, notes: str, built: str) -> None:
    edition.write(source, "# Page\n\nA passage here.\n")
    edition.notes(notes, "- quote: passage\n  note: N.\n")
    result = edition.build()
    assert not result.failed, result.messages
    assert content(result.page(built)).select_one("mark.edition-quote").get_text() == "passage"


def test_unanchored_note_fails_strict_but_site_builds_without(edition: Edition) -> None:
    edition.write("docs/index.md", "# Home\n\nThe release of three leaders.\n")
    edition.notes("index", "- quote: The release\n  note: fine\n- quote: release of four leaders\n  note: N.\n")
    result = edition.build()
    assert result.failed
    assert any(m.startswith("annotations/notes/index.yml:3:10: the quote “release of four leaders” is not on the page; "
                            "the closest passage is “release of three leaders.”") for m in result.messages), result.messages
    lax = edition.build(strict=False)
    assert not lax.failed and (lax.site / "index.html").exists()


def test_reading_text_is_never_altered(tmp_path) -> None:
    """The page's text, less note numbers, paragraph numbers and notes, equals the text without the plugin."""
    page = "# Title\n\nThe cholo and *the 93’ Constitution* of [Lima](https://x.org).\n\n- cholo item\n\nEnd[^1].\n\n[^1]: Foot cholo.\n"
    texts = []
    for with_plugin in (True, False):
        made = Edition(tmp_path / str(with_plugin))
        configure(made, theme="material")
        if not with_plugin:
            made.write("mkdocs.yml", (made.root / "mkdocs.yml").read_text().split("  - annotated-edition")[0])
        made.write("docs/index.md", page)
        made.entry("cholo", "term: cholo\ndefinition: D.\n")
        made.entry("constitution", "term: 93' Constitution\ndefinition: D.\n")
        made.notes("index", "- quote: the 93’ Constitution of Lima\n  note: N.\n- quote: cholo item\n  note: M.\n")
        result = made.build()
        assert not result.failed, result.messages
        texts.append(reading_text(content(result.page()), (".edition-pnum", ".edition-note-ref", ".edition-notes")))
    assert texts[0] == texts[1]
    assert "The cholo and the 93’ Constitution of Lima" in texts[0]


def test_search_indexes_the_reading_text_and_the_page_keeps_its_apparatus(edition: Edition) -> None:
    edition.entry("cholo", "term: cholo\ndefinition: A word.\n")
    edition.write("docs/index.md", "# Home\n\nThe cholo said a passage here.\n")
    edition.notes("index", "- quote: a passage here\n  note: A note on it.\n")
    result = edition.build()
    index = json.loads((result.site / "search" / "search_index.json").read_text())
    texts = {doc["location"]: doc["text"] for doc in index["docs"]}
    # The paragraph is indexed as its words alone: no "1" from the paragraph number, none from the note number.
    # (The search plugin joins text runs with spaces; only spacing may differ from the sentence.)
    assert re.sub(r"\s+([.,])", r"\1", " ".join(texts["#home"].split())) == "The cholo said a passage here.", texts
    assert not re.search(r"\d", texts["#home"])
    assert "A note on it" in " ".join(texts.values())   # notes stay searchable
    page = content(result.page())
    assert page.select_one("a.edition-term") and page.select_one("a.edition-pnum")   # the page itself is whole


def test_glossary_page_in_docs_is_reported(edition: Edition) -> None:
    edition.write("docs/glossary.md", "# My own glossary\n")
    result = edition.build()
    assert result.failed
    assert any(m.startswith("docs/glossary.md:1:1: this page is generated by the annotated-edition plugin")
               for m in result.messages)


def test_missing_annotations_folder_is_reported(edition: Edition) -> None:
    import shutil

    shutil.rmtree(edition.root / "annotations")
    result = edition.build()
    assert result.failed
    assert any(m.startswith("annotations:1:1: the annotations folder does not exist") for m in result.messages)


def test_paragraph_numbers_option_off(edition: Edition) -> None:
    edition.write("mkdocs.yml", (edition.root / "mkdocs.yml").read_text().replace(
        "      link: first\n", "      link: first\n      paragraph_numbers: false\n"))
    edition.write("docs/index.md", "# Home\n\nOne.\n\nTwo.\n")
    result = edition.build()
    assert not result.failed, result.messages
    assert not content(result.page()).select("a.edition-pnum")


def test_a_paragraph_keeps_its_own_id_and_its_number_links_to_it(edition: Edition) -> None:
    edition.write("docs/index.md", "# Home\n\nIntro here.\n{: #intro }\n\nNext.\n")
    result = edition.build()
    assert not result.failed, result.messages
    page = content(result.page())
    assert page.select_one("#intro a.edition-pnum")["href"] == "#intro"
    assert page.select_one("#p2 a.edition-pnum")["href"] == "#p2"


def test_entry_id_that_is_a_heading_id_on_the_glossary_page(edition: Edition) -> None:
    edition.entry("c", "term: cholo\ndefinition: D.\n")
    result = edition.build()
    assert any(m.startswith("annotations/glossary/c.yml:1:1: the entry id 'c' is also the id of a heading")
               for m in result.messages), result.messages


def test_citation_title_is_not_escaped_twice(edition: Edition) -> None:
    edition.write("docs/index.md", "# Peru & Chile\n\nText.\n")
    result = edition.build()
    assert 'data-page-title="Peru &amp; Chile"' in result.page()


def test_search_indexes_notes_as_plain_text_and_the_glossary_by_headword_and_definition(edition: Edition) -> None:
    """Material's search: each note is one paragraph under "Editorial notes"; labels, sources, back-links stay out."""
    from bs4 import BeautifulSoup

    configure(edition, theme="material")
    edition.entry("cholo", CHOLO)   # its source: "A dictionary", "A publisher"
    edition.entry("caviar", CAVIAR)
    edition.entry("zeta", "term: Zeta\nforms: [zetas]\n"
                          "definition: The **last** one, see [this](https://example.org).\n")
    edition.write("docs/index.md", "# Home\n\nThe cholo said a passage here.\n\nLater, a third passage.\n")
    edition.notes("index", """\
        - quote: a passage here
          note: Checked against *a source*, see [the report](https://example.org/report).
          sources:
            - title: A report on mining
              publisher: The Ministry
        - quote: a third passage
          type: translation
          note: In Spanish, **gesta**.
        """)
    result = edition.build()
    assert not result.failed, result.messages
    docs = json.loads((result.site / "search" / "search_index.json").read_text())["docs"]

    def text(doc: dict) -> str:
        return " ".join(BeautifulSoup(doc["text"], "html.parser").get_text(" ").split())

    home = [doc for doc in docs if not doc["location"].startswith("glossary/")]
    notes = [doc for doc in home if doc["title"] == "Editorial notes"]
    assert len(notes) == 1, home
    # The notes' text in reading order, as plain text, and nothing else: no numbers, labels, sources, "↩".
    assert text(notes[0]) == "Checked against a source, see the report. In Spanish, gesta."
    everything = " ".join(text(doc) + " " + doc["title"] for doc in home)
    for absent in ("Context", "Translation", "A report on mining", "The Ministry", "↩", "Sources"):
        assert absent not in everything, absent

    glossary = " ".join(text(doc) for doc in docs if doc["location"].startswith("glossary/"))
    for entry in ("cholo: A charged word for people of mixed or Indigenous descent. Second sentence.",
                  "caviar: The affluent left.", "Zeta: The last one, see this."):
        assert entry in glossary, glossary
    for absent in ("A dictionary", "A publisher", "Also in the text as", "zetas", "See also", "In the text"):
        assert absent not in glossary, absent


def test_an_author_cannot_write_the_plugins_placeholders(edition: Edition) -> None:
    """Raw HTML that looks like the edition's own placeholders stays as the author wrote it."""
    edition.entry("cholo", "term: cholo\ndefinition: A charged word.\n")
    edition.write("docs/index.md", "# Home\n\nThe cholo said a passage here.\n\n"
                  "<!--edition-note:7:1--><!--edition-note:0:1-->\n\n"
                  'Raw: <a class="edition-term" data-term="nope" href="#x">one</a> and '
                  '<a class="edition-term" data-term="cholo" title="mine" href="#y">two</a>.\n')
    edition.notes("index", "- quote: a passage here\n  note: The real note.\n")
    result = edition.build()
    assert not result.failed, result.messages
    html_text = result.page()
    assert "<!--edition-note:7:1-->" in html_text and "<!--edition-note:0:1-->" in html_text   # left alone
    assert html_text.count("The real note.") == 1                          # only in its own place
    assert 'data-term="nope" href="#x">one</a>' in html_text
    assert 'data-term="cholo" title="mine" href="#y">two</a>' in html_text  # no second title
    linked = content(html_text).select("a.edition-term[id]")
    assert [link["title"] for link in linked] == ["A charged word."]


def test_a_written_run_keeps_the_authors_inline_html_and_leaves_no_placeholder(edition: Edition) -> None:
    """What the edition writes goes in after serializing, before the author's own inline HTML: both survive."""
    configure(edition, link="all")
    edition.entry("cholo", "term: cholo\ndefinition: A charged word.\n")
    # An author's copy of a placeholder, framed as the edition frames its own: it stays text.
    edition.write("docs/index.md", "# Home\n\nA <b>cholo</b> and cholo <kbd>Ctrl</kbd> said \x02edition-markup:0\x03 "
                  "here.\n\ncholo\n")
    edition.notes("index", "- quote: said edition-markup:0 here\n  note: A note.\n")
    result = edition.build()
    assert not result.failed, result.messages
    html_text = result.page()
    assert "\x02" not in html_text and "\x03" not in html_text
    paragraph = content(html_text).select_one("p#p1")
    assert paragraph.select_one("b").get_text() == "cholo" and paragraph.select_one("b a") is None  # raw: not linked
    assert paragraph.select_one("kbd").get_text() == "Ctrl"
    assert [a.get_text() for a in paragraph.select("a.edition-term")] == ["cholo"]
    assert paragraph.select_one("mark.edition-quote").get_text() == "said edition-markup:0 here"
    # A paragraph that is only a link stays one paragraph, numbered.
    second = content(html_text).select_one("p#p2")
    assert [a.get_text() for a in second.select("a")] == ["2", "cholo"]
    assert len(content(html_text).select("section.edition-notes li.edition-note")) == 1


def test_the_early_script_and_the_definitions_find_their_place() -> None:
    from annotated_edition.reader import insert_in_page as _insert_in_page

    assert _insert_in_page("<html><head>H</head><body class=x>B</body>", "S", "D") == \
        "<html><head>HS</head><body class=x>DB</body>"
    assert _insert_in_page("<html><head>H</head><main>M", "S", "D") == "D<html><head>HS</head><main>M"
    assert _insert_in_page("<p>no head</p>", "S", "D") == "D<p>no head</p>"


def test_tooltips_show_a_preview_or_the_summary_and_the_glossary_the_whole_definition(edition: Edition) -> None:
    from bs4 import BeautifulSoup

    long = " ".join(f"Sentence number {i} of the definition says something." for i in range(30))
    edition.entry("huaico", f"term: huaico\ndefinition: >-\n  {long}\n\n  A second paragraph.\n")
    edition.entry("cholo", CHOLO.replace("definition:", "summary: A *short* preview.\ndefinition:"))
    edition.entry("caviar", CAVIAR)
    edition.write("docs/index.md", "# Home\n\nA huaico and a cholo.\n")
    result = edition.build()
    assert not result.failed, result.messages
    page = BeautifulSoup(result.page(), "html.parser")
    huaico = page.select_one('#edition-definitions [data-term="huaico"]')
    text = huaico.get_text()
    assert 500 <= len(text) < 560 and text.endswith("says something.") and long.startswith(text)
    assert "second paragraph" not in text
    assert page.select_one('#edition-definitions [data-term="cholo"]').decode_contents() == \
        "<p>A <em>short</em> preview.</p>"
    glossary = BeautifulSoup(result.page("glossary/index.html"), "html.parser")
    assert "A second paragraph." in glossary.select_one("#huaico").get_text()
    assert "charged word" in glossary.select_one("#cholo").get_text()      # the summary is not the definition


def test_a_summary_is_sanitized_and_reported_at_its_line(edition: Edition) -> None:
    edition.entry("cholo", CHOLO.replace("definition:", "summary: Hi <script>alert(1)</script>\ndefinition:"))
    edition.entry("caviar", CAVIAR)
    edition.write("docs/index.md", "# Home\n\nA cholo.\n")
    result = edition.build(strict=True)
    assert result.failed
    assert any(m.startswith("annotations/glossary/cholo.yml:") and "the summary contains <script>" in m
               for m in result.messages), result.messages
