"""Facts about the edition itself: "Peru: How do we continue?", annotated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotated_edition.loader import load_annotations
from annotated_edition.matcher import Form, FormMatcher
from editions import REPO, build_the_edition, content, reading_text

SOURCE = REPO / "source" / "peru-how-do-we-continue.txt"
SHARED_SOURCE = REPO.parent / "shared" / "source" / "peru-how-do-we-continue.txt"

REQUIRED = ["caviar", "fujimorismo", "huaico", "cholo", "cgtp", "fredepa", "dina-boluarte", "veronika-mendoza",
            "constitution-1993", "esperanza-1-mine", "yanaquihua", "state-of-emergency", "alternativa-socialista",
            "subaltern", "early-elections", "constituent-process", "ayacucho", "lima", "arequipa",
            "december-2022-protests"]
ALSO_LISTED = ["pedro-castillo", "alberto-fujimori", "keiko-fujimori"]


@pytest.fixture(scope="session")
def annotations():
    return load_annotations(REPO, REPO / "annotations", {"index.md", "about.md"})


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    return build_the_edition(tmp_path_factory.mktemp("edition") / "site")


@pytest.fixture(scope="session")
def article(site: Path):
    return content((site / "index.html").read_text(encoding="utf-8"))


def test_annotations_are_clean(annotations) -> None:
    assert [str(p) for p in annotations.problems] == []


def test_text_is_the_source_word_for_word(article) -> None:
    if SHARED_SOURCE.exists():  # the vendored copy is the shared source, byte for byte
        assert SOURCE.read_bytes() == SHARED_SOURCE.read_bytes()
    expected = " ".join(SOURCE.read_text(encoding="utf-8").split())
    shown = reading_text(article, (".edition-pnum", ".edition-note-ref", ".edition-notes", ".headerlink"))
    assert shown == expected


def test_markdown_source_keeps_the_slips() -> None:
    text = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    for slip in ("of the the regime of the 93’ Constitution", "we are optimist", "there are also some progress",
                 "Veronica Mendoza", "waycos"):
        assert slip in text
    assert re.findall(r"^(#+) ", text, flags=re.M) == ["#", "##", "##", "##"]


def test_at_least_thirty_entries_each_with_sources(annotations) -> None:
    assert len(annotations.entries) >= 30
    for entry in annotations.entries.values():
        assert entry.sources, entry.id
        assert all(source.title.strip() for source in entry.sources), entry.id


def test_required_entries_exist(annotations) -> None:
    missing = [entry_id for entry_id in REQUIRED + ALSO_LISTED if entry_id not in annotations.entries]
    assert missing == []
    assert annotations.entries["caviar"].lang == "es"
    assert annotations.entries["huaico"].lang in ("es", "qu")
    assert "Fujimori constitution of 1993" in annotations.entries["constitution-1993"].forms


def test_at_least_fifteen_notes_of_three_types_each_with_sources(annotations) -> None:
    notes = annotations.notes["index.md"]
    assert len(notes) >= 15
    assert len({note.type for note in notes}) >= 3
    assert {"context", "translation", "correction", "citation"} <= {note.type for note in notes}
    for note in notes:
        assert note.sources and all(s.title.strip() for s in note.sources), note.id


def test_every_note_is_anchored(annotations, article) -> None:
    anchored = {mark["data-note"] for mark in article.select("mark.edition-quote")}
    assert anchored == {note.id for note in annotations.notes["index.md"]}
    numbers = [ref.a.get_text() for ref in article.select("sup.edition-note-ref")]
    assert numbers == [str(n) for n in range(1, len(anchored) + 1)]


def test_correction_notes_cover_the_source_slips(annotations) -> None:
    corrected = " ".join(n.quote for n in annotations.notes["index.md"] if n.type == "correction")
    for slip in ("the the", "93’", "optimist", "some progress", "Veronica Mendoza"):
        assert slip in corrected, slip


def test_required_terms_are_linked_where_they_first_appear(annotations, article) -> None:
    paragraphs = article.select("p[id^=p]")
    for entry_id in REQUIRED:
        entry = annotations.entries[entry_id]
        link = article.select_one(f"#term-{entry_id}-1")
        assert link is not None and "edition-term" in link["class"], entry_id
        matcher = FormMatcher(Form(entry_id, form, entry.match_case) for form in entry.forms)
        holder = link.find_parent("p")
        for paragraph in paragraphs:
            text = reading_text(paragraph, (".edition-pnum", ".edition-note-ref"))
            found = matcher.find(text)
            if paragraph is holder:
                assert found and text[found[0].start:found[0].end] == link.get_text(), entry_id
                break
            assert not found, f"{entry_id} appears unlinked in {paragraph['id']} before its link"


def test_foreign_terms_carry_lang_on_their_words_not_on_the_link(article, annotations) -> None:
    """A form's language covers its words; the link's title (an English definition) is in the page's language."""
    seen = 0
    for link in article.select("a.edition-term"):
        assert link.get("lang") is None
        entry = annotations.entries[link["data-term"]]
        span = link.find("span", attrs={"lang": True}, recursive=False)
        langs = dict(zip(entry.forms, entry.form_langs or (entry.lang,) * len(entry.forms)))
        expected = next((lang for form, lang in langs.items() if form.casefold() == link.get_text().casefold()),
                        entry.lang)
        assert (span["lang"] if span else None) == expected, link
        if span:
            assert span.get_text() == link.get_text()
            seen += 1
    assert seen >= 5  # Alternativa Socialista, caviar, cholo, fujimorismo, waycos


def test_glossary_lists_every_entry_with_sources(site: Path, annotations) -> None:
    glossary = content((site / "glossary.html").read_text(encoding="utf-8"))
    listed = [entry["id"] for entry in glossary.select(".edition-entry")]
    assert sorted(listed) == sorted(annotations.entries)
    for entry in glossary.select(".edition-entry"):
        assert entry.select(".edition-sources li"), entry["id"]


def test_site_configuration() -> None:
    import yaml

    config = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    assert config["strict"] == "true"
    assert config["theme"]["font"] == "false"
    assert {"content.tooltips", "content.footnote.tooltips"} <= set(config["theme"]["features"])
    assert [list(item.values())[0] for item in config["nav"]] == ["index.md", "glossary.md", "about.md"]


def test_every_entry_is_linked_or_says_why_not() -> None:
    """`check` reports an entry linked nowhere; this edition decides each (a form that occurs, or `link: none`)."""
    import subprocess
    import sys

    checked = subprocess.run([sys.executable, "-m", "annotated_edition", "check", str(REPO)], capture_output=True,
                             text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.strip().endswith(", 0 problems, 0 notices"), checked.stdout


def _annotation_texts() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted((REPO / "annotations").rglob("*.yml")))


def test_the_fact_check_corrections_hold() -> None:
    """What an independent fact-check found wrong (issue 14) stays fixed, in every entry and note."""
    texts = _annotation_texts()
    about = (REPO / "docs" / "about.md").read_text(encoding="utf-8")
    # One account of the word's origin and of the deaths; no toll "by late February" that counts March's dead.
    assert "*wayqu*" not in texts and "*wayq'u*" in texts
    assert "late February" not in texts
    assert "drowned in the Ilave river" in texts
    # The 1993 referendum, as the JNE counted it.
    assert "52.33%" in texts and "51–52%" not in texts and "less than 55%" not in texts
    # Names as their sources write them.
    assert "José Luis Soncco Quispe" in texts and "Juan Alvarez Vita" not in texts
    # Definitions define: no argument with the article, no unattributed judgement.
    assert "never proved" not in texts and "whereas the article presents" not in texts
    assert "Ronald Atencio" in texts
    # The article's date is inferred from its address, and the about page says so.
    entry = (REPO / "annotations" / "glossary" / "alternativa-socialista.yml").read_text(encoding="utf-8")
    assert "2023-05-17" not in entry.split("sources:")[1]
    assert "address" in about


def test_forms_in_another_language_say_so(annotations) -> None:
    defensoria = annotations.entries["defensoria-del-pueblo"]
    league = annotations.entries["international-socialist-league"]
    assert defensoria.form_langs[defensoria.forms.index("Ombudsman")] == "en"
    assert league.form_langs[league.forms.index("Liga Internacional Socialista")] == "es"
