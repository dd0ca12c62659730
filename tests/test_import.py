"""`annotated-edition import`: notes from Hypothesis and W3C Web Annotations, appended to the notes files.

`tests/data/hypothesis-export.json` is a Hypothesis export in the format of
the Hypothesis client's "Export annotations" (an object with `export_date`,
`export_userid`, `client_version` and `annotations`; each annotation as the
Hypothesis API returns it: see `src/types/api.ts` and
`src/sidebar/services/annotations-exporter.tsx` in hypothesis/client).  It
was written for these tests, on a copy of the Peru edition published at
https://example.org/peru/: its ids, dates, version and the offsets of its
Range and TextPosition selectors are illustrative; its quotes are the
article's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from editions import REPO, Edition, build_site, copy_the_edition

from annotated_edition.cli import main

SAMPLE = Path(__file__).parent / "data" / "hypothesis-export.json"
SITE_URL = "https://example.org/peru/"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "annotated_edition", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def peru(tmp_path: Path) -> Path:
    """A copy of the Peru edition, as if published at SITE_URL."""
    return copy_the_edition(tmp_path / "peru", site_url=SITE_URL)


def test_a_hypothesis_export_becomes_notes_and_the_edition_still_checks(peru: Path) -> None:
    notes = peru / "annotations" / "notes" / "index.yml"
    before = notes.read_bytes()
    result = run("import", str(SAMPLE), "--edition", str(peru))
    out = result.stdout
    assert result.returncode == 1, out  # five of the seven are not imported
    assert "Traceback" not in result.stderr + out
    after = notes.read_bytes()
    assert after.startswith(before)  # every byte that was there is still there
    added = after[len(before):].decode("utf-8")
    # The two annotations that anchor, each after a comment naming its annotator, date and address.
    assert ("# imported from hypothesis-export.json, by acct:ana.editor@hypothes.is (Ana Editor), made "
            "2026-11-28T10:15:02.318941+00:00, https://hypothes.is/a/Yk1vQ2hLRDhFZmFub3RlMQ\n"
            "- id: broad-sectors-of-the-lima\n  quote: broad sectors of the Lima middle class\n  type: context\n"
            in added)
    # "an articulation of" is twice in its paragraph: the suffix picks the one the annotation was made on.
    assert "- id: an-articulation-of\n  quote: an articulation of\n  suffix: criminals,\n  type: translation\n" in added
    assert "    url: https://lis-isl.org/?p=37490\n" in added  # its bare URL became a source
    # The reply, the page note, the changed quote, the passage already noted and the other site are reported.
    assert "annotation 3: not imported: it is a reply to another annotation" in out
    assert "annotation 4: not imported: it is a page note, about no passage" in out
    assert ("annotation 5 (“the release of four leaders of the Defense Front”): not imported: its quote is not on "
            "docs/index.md; the closest passage is “the release of three leaders of the Defense Front”") in out
    assert ("annotation 6 (“the Indian, the cholo”): not imported: its passage already has a note: note "
            "'indio-cholo' (annotations/notes/index.yml:304)") in out
    assert "annotation 7 (“an unprecedented process”): not imported: it is about another site" in out
    assert out.rstrip().endswith("2 of 7 annotations imported into 1 notes file")
    checked = run("check", str(peru))
    assert checked.returncode == 0, checked.stdout
    assert "28 of 28 notes anchored" in checked.stdout


def test_page_option_imports_annotations_made_on_another_copy_and_never_twice(peru: Path, capsys) -> None:
    assert main(["import", str(SAMPLE), "--edition", str(peru)]) == 1
    capsys.readouterr()
    notes = peru / "annotations" / "notes" / "index.yml"
    before = notes.read_bytes()
    # The publisher's copy of the article: --page says which page it is.
    assert main(["import", str(SAMPLE), "--edition", str(peru), "--page", "docs/index.md"]) == 1
    out = capsys.readouterr().out
    assert "added note 'an-unprecedented-process' (citation)" in out
    assert "annotation 1 (“broad sectors of the Lima middle class”): not imported: its passage already has a note: " \
           "note 'broad-sectors-of-the-lima'" in out
    assert notes.read_bytes().startswith(before)
    assert notes.read_bytes().count(b"- id: broad-sectors-of-the-lima") == 1


def test_dry_run_writes_nothing_and_says_what_it_would_do(peru: Path, capsys) -> None:
    notes = peru / "annotations" / "notes" / "index.yml"
    before = notes.read_bytes()
    assert main(["import", str(SAMPLE), "--edition", str(peru), "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "would add note 'broad-sectors-of-the-lima' (context)" in out
    assert "2 of 7 annotations would be imported into 1 notes file (dry run: nothing written)" in out
    assert notes.read_bytes() == before


# -- small editions: W3C input, notes files in every state --------------------------------

PAGE = "# Home\n\nA house by the river. A house on the hill.\n\nThe caviar left: “yes”, they said.\n"


@pytest.fixture
def site(edition: Edition) -> Edition:
    edition.write("mkdocs.yml", (edition.root / "mkdocs.yml").read_text() + f"site_url: {SITE_URL}\n")
    edition.write("docs/index.md", PAGE)
    edition.write("docs/a/b.md", "# B\n\nA page further down.\n")
    return edition


def w3c(exact: str, text: str, *, source: str = SITE_URL, prefix: str = "", suffix: str = "",
        **extra: object) -> dict[str, object]:
    """A W3C Annotation with a TextQuoteSelector and a TextualBody."""
    return {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation",
            "body": {"type": "TextualBody", "value": text, "format": "text/plain"},
            "target": {"source": source, "selector": {"type": "TextQuoteSelector", "exact": exact,
                                                      "prefix": prefix, "suffix": suffix}}, **extra}


def import_json(edition: Edition, data: object, *args: str, capsys) -> tuple[int, str]:
    path = edition.write("in.json", json.dumps(data, ensure_ascii=False))
    status = main(["import", str(path), "--edition", str(edition.root), *args])
    return status, capsys.readouterr().out


def test_w3c_collection_page_and_list_are_read(site: Edition, capsys) -> None:
    page = {"type": "AnnotationPage", "items": [w3c("by the river", "One.")]}
    collection = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationCollection",
                  "first": {**page, "next": {"type": "AnnotationPage",
                                             "items": [w3c("A page further", "Two.", source=SITE_URL + "a/b.html")]}}}
    status, out = import_json(site, collection, capsys=capsys)
    assert status == 0, out
    assert "1 notes file" not in out and "2 of 2 annotations imported into 2 notes files" in out
    assert "quote: A page further" in (site.root / "annotations/notes/a/b.yml").read_text()
    status, out = import_json(site, {"type": "AnnotationPage", "items": [w3c("on the hill", "Three.")]},
                              capsys=capsys)
    assert status == 0, out
    status, out = import_json(site, [w3c("they said", "Four.")], capsys=capsys)
    assert status == 0, out
    assert site.check().returncode == 0


def test_w3c_bodies_type_tags_sources_and_replies(site: Edition, capsys) -> None:
    choice = {"type": "Choice", "items": [
        {"type": "TextualBody", "value": "<p>The <em>caviar</em> left.</p>", "format": "text/html"},
        {"type": "TextualBody", "value": "The caviar left.", "format": "text/plain"},
        {"type": "TextualBody", "value": "The *caviar* left.", "format": "text/markdown"}]}
    source = {"id": "https://example.com/report", "type": "Text", "title": "A report", "publisher": "A paper"}
    data = [
        {**w3c("The caviar left", ""), "body": [choice, source], "ed:noteType": "correction",
         "id": "https://example.org/peru/index.html#note-caviar"},
        {**w3c("A house", "Tagged.", suffix=" on the hill"),
         "body": [{"type": "TextualBody", "value": "Tagged.", "purpose": "commenting"},
                  {"type": "TextualBody", "value": "type:citation", "purpose": "tagging"}]},
        {**w3c("by the river", "A reply."), "motivation": "replying"},
        {"type": "Annotation", "body": {"type": "TextualBody", "value": "Whole page."}, "target": SITE_URL},
    ]
    status, out = import_json(site, data, capsys=capsys)
    assert status == 1, out
    written = (site.root / "annotations/notes/index.yml").read_text()
    assert ("- id: caviar\n  quote: The caviar left\n  type: correction\n  note: The *caviar* left.\n  sources:\n"
            "    - title: A report\n      url: https://example.com/report\n      publisher: A paper\n") in written
    # "A house" is there twice: the annotation's suffix says which, and the note gets a suffix of its own.
    assert "- id: a-house\n  quote: A house\n  prefix: river.\n  type: citation\n  note: Tagged.\n" in written
    assert "annotation 3 (“by the river”): not imported: it is a reply" in out
    assert "annotation 4: not imported: it is a page note" in out
    assert site.check().returncode == 0


def test_relative_addresses_without_site_url_and_absolute_ones_need_page(edition: Edition, capsys) -> None:
    edition.write("docs/index.md", PAGE)
    status, out = import_json(edition, [w3c("by the river", "One.", source="index.html"),
                                        w3c("on the hill", "Two.", source="https://example.org/")],
                              "--type", "translation", capsys=capsys)
    assert status == 1
    assert "added note 'by-the-river' (translation)" in out
    assert ("annotation 2 (“on the hill”): not imported: the edition has no site_url, so the page of "
            "https://example.org/ cannot be told; give it with --page docs/<page>.md") in out


@pytest.mark.parametrize("existing, expected_start", [
    (None, "# imported from in.json\n- id: by-the-river\n"),                # a missing file is created
    ("", "# imported from in.json\n- id: by-the-river\n"),                   # an empty one is filled
    ("# Notes on the home page.\n", "# Notes on the home page.\n\n# imported"),  # only a comment
    ("- quote: on the hill\n  note: 'Kept # as is'   # a comment\n",
     "- quote: on the hill\n  note: 'Kept # as is'   # a comment\n\n# imported"),
    ("- quote: on the hill\n  note: no newline at the end", "- quote: on the hill\n  note: no newline at the end\n\n#"),
    ("- quote: on the hill\r\n  note: Windows\r\n", "- quote: on the hill\r\n  note: Windows\r\n\r\n# imported"),
    ("  - quote: on the hill\n    note: indented list\n", "  - quote: on the hill\n    note: indented list\n\n  #"),
])
def test_notes_files_are_appended_to_byte_for_byte(site: Edition, existing: str | None, expected_start: str,
                                                   capsys) -> None:
    notes = site.root / "annotations/notes/index.yml"
    if existing is not None:
        notes.write_bytes(existing.encode("utf-8"))
    status, out = import_json(site, [w3c("by the river", "One: “two” # three")], capsys=capsys)
    assert status == 0, out
    written = notes.read_bytes().decode("utf-8")
    assert written.startswith(expected_start)
    assert yaml.safe_load(written)[-1]["note"] == "One: “two” # three"
    assert site.check().returncode == 0


def test_a_flow_style_list_is_reported_and_left_alone(site: Edition, capsys) -> None:
    notes = site.root / "annotations/notes/index.yml"
    notes.write_text("[{quote: on the hill, note: Flow.}]\n")
    status, out = import_json(site, [w3c("by the river", "One.")], capsys=capsys)
    assert status == 1
    assert ("annotations/notes/index.yml:1:1: the notes are written as a flow-style list ([…]), which cannot be "
            "appended to without rewriting the file; rewrite it as a block list") in out
    assert "not imported: annotations/notes/index.yml cannot be appended to" in out
    assert notes.read_text() == "[{quote: on the hill, note: Flow.}]\n"


@pytest.mark.parametrize("content, message", [
    ("{not json", "in.json: line 1, column 2: not JSON"),
    ('{"hello": "world"}', "in.json: the file is neither a Hypothesis export (an object with `annotations`) nor W3C "
                           "Web Annotations"),
    ('[1, 2]', "in.json: item 1 of the list is not an annotation"),
    (json.dumps({"type": "AnnotationCollection", "first": "https://example.org/page1"}),
     "in.json: page 1 of the AnnotationCollection is only a link ('https://example.org/page1'), and nothing is "
     "fetched"),
    (json.dumps([{"type": "Annotation", "body": "x", "target": {"source": SITE_URL, "selector": {
        "type": "TextPositionSelector", "start": 1, "end": 5}}}]),
     "in.json: annotation 1: not imported: has no TextQuoteSelector (selectors: TextPositionSelector)"),
    (json.dumps([w3c("  ", "Empty.")]), "in.json: annotation 1: not imported: its TextQuoteSelector has an empty "
                                        "`exact`"),
    (json.dumps({"annotations": [{"uri": SITE_URL, "text": "", "tags": [], "target": [{"source": SITE_URL,
        "selector": [{"type": "TextQuoteSelector", "exact": "by the river"}]}]}]}),
     "in.json: annotation 1 (“by the river”): not imported: it is a highlight with no text"),
])
def test_bad_files_get_a_message_not_a_traceback(site: Edition, content: str, message: str) -> None:
    site.write("in.json", content)
    result = run("import", str(site.root / "in.json"), "--edition", str(site.root))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line.replace(str(site.root) + "/", "") for line in result.stdout.splitlines()]
    assert any(line.startswith(message) for line in lines), result.stdout
    assert lines[-1] in ("nothing imported", "0 of 1 annotation imported into 0 notes files")
    assert not (site.root / "annotations/notes/index.yml").exists()


def test_usage_errors_exit_2(site: Edition, capsys) -> None:
    assert main(["import", str(site.root / "missing.json"), "--edition", str(site.root)]) == 2
    site.write("in.json", "[]")
    assert main(["import", str(site.root / "in.json"), "--edition", str(site.root), "--page", "docs/nope.md"]) == 2
    assert "--page docs/nope.md: no such page under docs/" in capsys.readouterr().err


# -- any text is written as valid YAML that reads back the same ----------------------------

from hypothesis import given, strategies as st  # noqa: E402

from annotated_edition.importing import _clean  # noqa: E402
from annotated_edition.notes_append import NewItem, appended_text  # noqa: E402
from annotated_edition.yamlload import load  # noqa: E402

# What can reach the emitter: any text without surrogates, less the control characters the import drops.
TEXT = st.text(st.characters(blacklist_categories=("Cs",))).map(_clean)
HAZARDS = st.sampled_from(["'", '"', ": ", " #", "# ", "- ", "-", "? ", "|", ">", "&a", "*a", "!x", "%", "@", "`",
                           "{", "[", "]", "}", ",", "\n", "\n\n", " \n", "\t", "yes", "null", "~", "1e3", "0x1F",
                           "...", "---", "\u2028", "\x85", "\ufeff", "é", "ñ", "—", "“", "’", " ", ""])
HAZARDOUS = st.lists(st.one_of(HAZARDS, TEXT), max_size=8).map("".join)


@given(note=HAZARDOUS, quote=HAZARDOUS, comment=HAZARDOUS, url_title=HAZARDOUS)
def test_any_text_round_trips_through_the_appended_yaml(tmp_path_factory, note: str, quote: str, comment: str,
                                                       url_title: str) -> None:
    folder = tmp_path_factory.mktemp("notes")
    path = folder / "index.yml"
    existing = "# yaml-language-server: $schema=x.json\n- quote: kept   # as written\n  note: >-\n    Folded.\n"
    path.write_text(existing, encoding="utf-8")
    fields = {"id": "n-x", "quote": quote, "type": "context", "note": note,
              "sources": [{"title": url_title, "url": "https://example.org/a?b=c#d"}]}
    old, new, _ = appended_text(path, [NewItem(fields, comment), NewItem({"quote": note, "note": quote})], folder)
    assert new.startswith(old) and old == existing.encode("utf-8")
    read = load(new.decode("utf-8"), positions=False).value
    assert read == [{"quote": "kept", "note": "Folded."}, fields, {"quote": note, "note": quote}]


# -- round trip: the Peru edition's notes, exported as W3C Web Annotations, imported back -----

def test_round_trip_export_then_import_gives_back_the_notes(tmp_path: Path) -> None:
    from annotated_edition.loader import load_annotations
    from annotated_edition.textnorm import canonical

    copy = copy_the_edition(tmp_path / "peru")
    (copy / "annotations" / "notes" / "index.yml").unlink()  # a copy of the edition with no notes
    exported = build_site(REPO / "mkdocs.yml", tmp_path / "site") / "annotations.jsonld"  # the edition's own export
    result = run("import", str(exported), "--edition", str(copy))
    assert result.returncode == 0, result.stdout
    original = load_annotations(REPO, REPO / "annotations", {"index.md", "about.md"}).notes["index.md"]
    imported = load_annotations(copy, copy / "annotations", {"index.md", "about.md"}).notes["index.md"]

    def kept(note) -> tuple[object, ...]:
        return note.id, canonical(note.quote).strip(), note.type, note.note, note.sources

    assert sorted(map(kept, imported)) == sorted(map(kept, original))
    assert run("check", str(copy)).returncode == 0


@pytest.mark.parametrize("uri, page", [
    ("https://example.org/peru", "index.md"), ("https://example.org/peru/", "index.md"),
    ("http://example.org/peru/index.html", "index.md"), ("https://EXAMPLE.org/peru/a/b/?q=1", "a/b.md"),
    ("https://example.org/peru/a/b.html#note-x", "a/b.md"), ("https://example.org/peru/a/", "a/index.md"),
    ("index.html", "index.md"), ("./a/b.html", "a/b.md"), ("./", "index.md"),
    ("https://example.org/other/", None), ("https://example.org/peru/nowhere/", None), ("", None),
])
def test_the_page_of_an_address(uri: str, page: str | None) -> None:
    from annotated_edition.import_plan import page_addresses, page_of

    assert page_of(uri, SITE_URL, page_addresses(["index.md", "a/b.md", "a/index.md"]))[0] == page


def test_a_page_that_is_not_utf8_is_reported(site: Edition, capsys) -> None:
    site.write("docs/index.md", b"# Home\n\nA caf\xe9 by the river.\n")
    status, out = import_json(site, [w3c("by the river", "One.")], capsys=capsys)
    assert status == 1
    assert "not imported: docs/index.md cannot be read as UTF-8 text" in out
