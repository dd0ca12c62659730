"""Loading and validating annotations: one test per rule, with file and line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotated_edition.loader import load_annotations
from annotated_edition.yamlload import YamlProblem, decode, load
from editions import as_a_lone_build

GOOD = "term: cholo\ndefinition: A word.\n"


def run(tmp_path: Path, files: dict[str, str | bytes], pages: set[str] | None = None):
    for name, text in files.items():
        path = tmp_path / "annotations" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (tmp_path / "annotations" / "glossary").mkdir(parents=True, exist_ok=True)
    return load_annotations(tmp_path, tmp_path / "annotations", pages if pages is not None else {"index.md"})


def only(result) -> str:
    assert len(result.problems) == 1, [str(p) for p in result.problems]
    return str(result.problems[0])


# -- plain YAML -------------------------------------------------------------

def test_every_scalar_is_text() -> None:
    doc = load("term: yes\ndate: 2001\nforms: [null-ish, 1.5, on]\n")
    assert doc.value == {"term": "yes", "date": "2001", "forms": ["null-ish", "1.5", "on"]}


@pytest.mark.parametrize("text, expected", [
    ("term: &a x\n", "anchor '&a' is not allowed"),
    ("term: x\ndefinition: *a\n", "alias '*a' is not allowed"),
    ("term: !!python/object/apply:os.system ['echo']\n", "tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("term: !custom x\n", "tag '!custom' is not allowed"),
])
def test_anchors_aliases_and_tags_are_refused_before_construction(text: str, expected: str) -> None:
    with pytest.raises(YamlProblem) as caught:
        load(text)
    assert expected in caught.value.message


def test_alias_bomb_is_refused_in_linear_time() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20))
    with pytest.raises(YamlProblem) as caught:
        load(bomb)
    assert caught.value.line == 1 and "anchor" in caught.value.message


def test_invalid_utf8_reports_line_and_column() -> None:
    with pytest.raises(YamlProblem) as caught:
        decode(b"term: ok\ndefinition: caf\xe9\n")
    assert (caught.value.line, caught.value.column) == (2, 16)
    assert "not valid UTF-8" in caught.value.message


def test_oversized_file_is_refused() -> None:
    with pytest.raises(YamlProblem) as caught:
        decode(b"term: x\ndefinition: " + b"a" * 600_000)
    assert "over the limit" in caught.value.message


# -- glossary entries ---------------------------------------------------------

def test_valid_entry_loads_with_headword_as_first_form(tmp_path: Path) -> None:
    result = run(tmp_path, {"glossary/cholo.yml": GOOD + "forms: [cholos, Cholo]\n"})
    assert result.problems == []
    assert result.entries["cholo"].forms == ("cholo", "cholos")


def test_unknown_field_suggests_the_right_one(tmp_path: Path) -> None:
    result = run(tmp_path, {"glossary/cholo.yml": "term: cholo\ndefintion: A word.\n"})
    messages = [str(p) for p in result.problems]
    assert "annotations/glossary/cholo.yml:2:1: unknown field 'defintion' — did you mean 'definition'?" in \
        " ".join(messages)
    assert any("missing required field 'definition'" in m for m in messages)


def test_missing_term(tmp_path: Path) -> None:
    assert only(run(tmp_path, {"glossary/cholo.yml": "definition: A word.\n"})).startswith(
        "annotations/glossary/cholo.yml:1:1: missing required field 'term'")


def test_empty_value(tmp_path: Path) -> None:
    assert "annotations/glossary/cholo.yml:2:12: 'definition' is empty" in only(
        run(tmp_path, {"glossary/cholo.yml": "term: cholo\ndefinition:\n"}))


def test_forms_written_as_text_not_list(tmp_path: Path) -> None:
    message = only(run(tmp_path, {"glossary/cholo.yml": GOOD + "forms: cholos\n"}))
    assert message.startswith("annotations/glossary/cholo.yml:3:8: 'forms' must be a list")


def test_bad_link_mode_suggests(tmp_path: Path) -> None:
    message = only(run(tmp_path, {"glossary/cholo.yml": GOOD + "link: frist\n"}))
    assert "3:7: 'link' is 'frist' — did you mean 'first'?; use one of: first, all, none" in message


def test_match_case_must_be_boolean(tmp_path: Path) -> None:
    assert "must be true or false" in only(run(tmp_path, {"glossary/cholo.yml": GOOD + "match_case: \"yes\"\n"}))
    assert run(tmp_path, {"glossary/cholo.yml": GOOD + "match_case: true\n"}).entries["cholo"].match_case is True


def test_bad_file_name(tmp_path: Path) -> None:
    message = only(run(tmp_path, {"glossary/Cholo_Word.yml": GOOD}))
    assert "annotations/glossary/Cholo_Word.yml:1:1: the file name 'Cholo_Word.yml' is not a valid entry id" in message
    assert "cholo-word.yml" in message


def test_bad_lang(tmp_path: Path) -> None:
    assert "3:7: 'lang' is 'Spanish', but must be a BCP 47 language tag" in only(
        run(tmp_path, {"glossary/cholo.yml": GOOD + "lang: Spanish\n"}))


def test_source_url_scheme(tmp_path: Path) -> None:
    text = GOOD + "sources:\n  - title: T\n    url: javascript:alert(1)\n"
    assert "5:10: 'sources' → item 1 → 'url' is 'javascript:alert(1)', but must be a web address" in only(
        run(tmp_path, {"glossary/cholo.yml": text}))


def test_source_needs_title(tmp_path: Path) -> None:
    text = GOOD + "sources:\n  - url: https://example.org\n"
    assert "4:5: missing required field 'title' in this source" in only(run(tmp_path, {"glossary/cholo.yml": text}))


@pytest.mark.parametrize("date", ["2023-13-01", "23-05-06", "May 2023"])
def test_source_date_format(tmp_path: Path, date: str) -> None:
    text = GOOD + f"sources:\n  - title: T\n    date: \"{date}\"\n"
    assert "must be a date written YYYY, YYYY-MM or YYYY-MM-DD" in only(run(tmp_path, {"glossary/cholo.yml": text}))


def test_impossible_calendar_date(tmp_path: Path) -> None:
    text = GOOD + "sources:\n  - title: T\n    date: 2023-02-30\n"
    assert "5:11: 'sources' → item 1 → 'date' is '2023-02-30', which is not a real calendar date" in only(
        run(tmp_path, {"glossary/cholo.yml": text}))


def test_dangling_see_also(tmp_path: Path) -> None:
    files = {"glossary/cholo.yml": GOOD + "see_also:\n  - cavair\n", "glossary/caviar.yml": "term: caviar\ndefinition: D.\n"}
    assert "annotations/glossary/cholo.yml:4:5: see_also names 'cavair', but there is no annotations/glossary/" \
           "cavair.yml — did you mean 'caviar'?" in only(run(tmp_path, files))


def test_see_also_naming_an_invalid_entry_leaves_it_to_that_entrys_own_message(tmp_path: Path) -> None:
    files = {"glossary/cholo.yml": GOOD + "see_also:\n  - caviar\n", "glossary/caviar.yml": "term: caviar\n"}
    message = only(run(tmp_path, files))   # one message: caviar's own, not "there is no ….yml"
    assert message.startswith("annotations/glossary/caviar.yml:1:1: missing required field 'definition'")


def test_a_form_may_give_its_own_language(tmp_path: Path) -> None:
    text = ("term: Defensoría del Pueblo\nlang: es\ndefinition: D.\nforms:\n  - Defensoría\n"
            "  - form: Ombudsman\n    lang: en\n")
    result = run(tmp_path, {"glossary/defensoria.yml": text})
    assert result.problems == []
    entry = result.entries["defensoria"]
    assert entry.forms == ("Defensoría del Pueblo", "Defensoría", "Ombudsman")
    assert entry.form_langs == ("es", "es", "en")


def test_forms_in_the_entrys_language_keep_no_list_of_languages(tmp_path: Path) -> None:
    result = run(tmp_path, {"glossary/cholo.yml": GOOD + "lang: es\nforms:\n  - cholos\n  - form: chola\n"})
    assert result.problems == [] and result.entries["cholo"].form_langs == ()


@pytest.mark.parametrize("item, expected", [
    ("  - form: Ombudsman\n    lang: English\n", "6:11: 'forms' → item 1 → 'lang' is 'English', but must be a BCP 47"),
    ("  - lang: en\n", "5:5: missing required field 'form'"),
    ("  - form: Ombudsman\n    langs: en\n", "6:5: unknown field 'langs' — did you mean 'lang'?"),
    ("  - [Ombudsman]\n", "5:5: 'forms' → item 1 must be a form written as text, or a mapping with `form:` and "
                          "`lang:`, not a list"),
    ("  - ''\n", "5:5: 'forms' → item 1 is empty"),
])
def test_a_wrong_form_is_reported_where_it_is(tmp_path: Path, item: str, expected: str) -> None:
    message = only(run(tmp_path, {"glossary/cholo.yml": GOOD + "lang: es\nforms:\n" + item}))
    assert message.startswith("annotations/glossary/cholo.yml:") and expected in message, message


def test_see_also_self(tmp_path: Path) -> None:
    assert "names the entry itself" in only(run(tmp_path, {"glossary/cholo.yml": GOOD + "see_also: [cholo]\n"}))


def test_form_claimed_by_two_entries(tmp_path: Path) -> None:
    files = {"glossary/a.yml": "term: Lima\ndefinition: D.\n", "glossary/b.yml": "term: B\ndefinition: D.\nforms: [LIMA]\n"}
    message = only(run(tmp_path, files))
    assert message.startswith("annotations/glossary/b.yml:3:9: the form 'LIMA' is already claimed by entry 'a' "
                              "(annotations/glossary/a.yml:1)")


def test_same_form_in_different_case_allowed_when_both_match_case(tmp_path: Path) -> None:
    files = {"glossary/a.yml": "term: Lima\ndefinition: D.\nmatch_case: true\n",
             "glossary/b.yml": "term: LIMA\ndefinition: D.\nmatch_case: true\n"}
    assert run(tmp_path, files).problems == []


def test_list_instead_of_mapping(tmp_path: Path) -> None:
    assert "holds one mapping (term:, definition:, …), not a list" in only(
        run(tmp_path, {"glossary/cholo.yml": "- term: cholo\n"}))


def test_empty_file(tmp_path: Path) -> None:
    assert "annotations/glossary/cholo.yml:1:1: the file is empty" in only(run(tmp_path, {"glossary/cholo.yml": ""}))


def test_yaml_syntax_error_position(tmp_path: Path) -> None:
    message = only(run(tmp_path, {"glossary/cholo.yml": "term: cholo\ndefinition: \"unclosed\n"}))
    assert message.startswith("annotations/glossary/cholo.yml:3:1: YAML syntax error")


def test_duplicate_key(tmp_path: Path) -> None:
    assert "2:1: the key 'term' appears twice in this mapping (first at line 1)" in only(
        run(tmp_path, {"glossary/cholo.yml": "term: a\nterm: b\ndefinition: D.\n"}))


def test_yaml_extension_is_named(tmp_path: Path) -> None:
    assert "rename this file to 'cholo.yml'" in only(run(tmp_path, {"glossary/cholo.yaml": GOOD}))


# -- notes --------------------------------------------------------------------

def test_notes_get_default_ids_in_file_order(tmp_path: Path) -> None:
    result = run(tmp_path, {"notes/index.yml": "- quote: a\n  note: x\n- quote: b\n  note: y\n"})
    assert [n.id for n in result.notes["index.md"]] == ["n1", "n2"]


def test_notes_file_without_page(tmp_path: Path) -> None:
    assert "annotations/notes/intro.yml:1:1: there is no page docs/intro.md for these notes — did you mean " \
           "'index.md'?" in only(run(tmp_path, {"notes/intro.yml": "- quote: a\n  note: x\n"}))


def test_duplicate_note_ids(tmp_path: Path) -> None:
    text = "- id: fire\n  quote: a\n  note: x\n- id: fire\n  quote: b\n  note: y\n"
    assert "annotations/notes/index.yml:4:7: note id 'fire' is already used by the note at line 1" in only(
        run(tmp_path, {"notes/index.yml": text}))


def test_bad_note_type(tmp_path: Path) -> None:
    assert "annotations/notes/index.yml:2:9: item 1 → 'type' is 'contxt' — did you mean 'context'?" in only(
        run(tmp_path, {"notes/index.yml": "- quote: a\n  type: contxt\n  note: x\n"}))


def test_notes_file_as_mapping(tmp_path: Path) -> None:
    assert "a notes file is a list of notes" in only(run(tmp_path, {"notes/index.yml": "quote: a\nnote: x\n"}))


def test_note_missing_quote(tmp_path: Path) -> None:
    assert "annotations/notes/index.yml:1:3: missing required field 'quote' in this note" in only(
        run(tmp_path, {"notes/index.yml": "- note: x\n"}))


def test_stray_file(tmp_path: Path) -> None:
    assert "annotations/misc.txt:1:1: this file is not read" in only(run(tmp_path, {"misc.txt": "hello"}))


# -- nothing raises ---------------------------------------------------------

@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.binary(max_size=200) | st.text(alphabet=st.sampled_from("term:definition- \n\"'&*!{}[]#|>?,"),
                                         max_size=120).map(str.encode))
def test_any_bytes_give_problems_not_exceptions(tmp_path: Path, raw: bytes) -> None:
    result = run(tmp_path, {"glossary/x.yml": raw, "notes/index.yml": raw})
    for problem in result.problems:
        assert problem.line >= 1 and problem.column >= 1 and problem.message


def test_note_id_that_would_collide_with_a_reference_id(tmp_path: Path) -> None:
    message = only(run(tmp_path, {"notes/index.yml": "- id: ref-x\n  quote: a\n  note: x\n"}))
    assert message.startswith("annotations/notes/index.yml:1:7: note id 'ref-x' cannot start with 'ref-'")


def test_keys_are_named_as_written_and_every_unknown_key_is_reported(tmp_path: Path) -> None:
    result = run(tmp_path, {"glossary/cholo.yml": GOOD + "~: 3\ndefintion: x\n"})
    messages = [str(p) for p in result.problems]
    assert any(m.startswith("annotations/glossary/cholo.yml:3:1: unknown field '~'") for m in messages), messages
    assert any(m.startswith("annotations/glossary/cholo.yml:4:1: unknown field 'defintion'") for m in messages)


def test_match_case_entries_keep_forms_that_differ_in_case(tmp_path: Path) -> None:
    result = run(tmp_path, {"glossary/us.yml": "term: US\ndefinition: D.\nmatch_case: true\nforms: [us, U.S.]\n"})
    assert result.entries["us"].forms == ("US", "us", "U.S.")


def test_c1_control_character_is_reported_where_it_is(tmp_path: Path) -> None:
    message = only(run(tmp_path, {"glossary/cholo.yml": "term: cholo\ndefinition: ab\u0090c\n"}))
    assert message.startswith("annotations/glossary/cholo.yml:2:15: control character U+0090 is not allowed")


# -- reading values first, positions on demand ------------------------------------------

YAML_SAMPLES = [
    "term: Lima\ndefinition: The capital.\n",
    "term: 'Lima'\nmatch_case: true\nforms: [a, 'b', \"c\"]\nsources:\n  - title: T\n    date: '2023'\n",
    "term: x\nnested:\n  - {a: 1, b: [2, 3]}\n  - ~\n  - ''\nempty:\n",
    "- quote: a\n  note: b\n- quote: c\n  note: >-\n    folded\n    text\n",
    "",
    "just text\n",
    "a: &anchor 1\n", "a: 1\nb: *x\n", "a: !!str 1\n", "a: 1\na: 2\n", "? [a]\n: 1\n", "a: 1\n---\nb: 2\n",
    "a: [1, 2\n",
]


@pytest.mark.parametrize("text", YAML_SAMPLES)
def test_values_without_positions_are_the_same_and_positions_come_on_demand(text: str) -> None:
    try:
        full = load(text)
    except YamlProblem as problem:
        with pytest.raises(YamlProblem) as quick_problem:
            load(text, positions=False)
        assert (quick_problem.value.line, quick_problem.value.column, quick_problem.value.message) == \
            (problem.line, problem.column, problem.message)
        return
    quick = load(text, positions=False)
    assert quick.value == full.value
    top_level = {path for path in full.plain_scalars if len(path) == 1 and isinstance(path[0], str)}
    assert quick.plain_scalars == top_level
    for path in [*full.positions, ("missing", 0)]:
        assert quick.where(path) == full.where(path)   # read from the text when first asked
        assert quick.where(path, key=True) == full.where(path, key=True)
    assert quick.plain_scalars == full.plain_scalars


plain_data = st.recursive(
    st.one_of(st.text(max_size=8), st.none()),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(min_size=1, max_size=6), children, max_size=4)),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(data=plain_data)
def test_any_plain_document_reads_the_same_without_positions(data: object) -> None:
    import yaml

    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        full = load(text)
    except YamlProblem:
        with pytest.raises(YamlProblem):
            load(text, positions=False)
        return
    quick = load(text, positions=False)
    assert quick.value == full.value
    assert quick.plain_scalars == {path for path in full.plain_scalars if len(path) == 1 and isinstance(path[0], str)}


# -- loading shared with a worker ------------------------------------------------------

def _many_entries(root: Path) -> None:
    glossary = root / "annotations" / "glossary"
    glossary.mkdir(parents=True)
    (root / "annotations" / "notes").mkdir()
    for i in range(24):
        (glossary / f"e{i:02d}.yml").write_text(
            f"term: Term {i}\nforms: [form {i}]\ndefinition: Definition *{i}*.\n"
            + (f"see_also: [e{23 - i:02d}]\n" if i % 3 == 0 else ""), encoding="utf-8")
    # Broken files in both halves: a syntax error, a schema error, a form claimed twice across the halves,
    # a see_also to nowhere.
    (glossary / "e03.yml").write_text("term: [unclosed\n", encoding="utf-8")
    (glossary / "e05.yml").write_text("term: Five\ndefinition: D.\nlink: sometimes\n", encoding="utf-8")
    (glossary / "e20.yml").write_text("term: Twenty\nforms: [form 1]\ndefinition: D.\nsee_also: [nowhere]\n",
                                      encoding="utf-8")


NOTES_PAGES = {"a.md"}


def _many_notes(root: Path) -> None:
    """Notes files among the entries: one for a page, one without a page, one broken, one empty list."""
    notes = root / "annotations" / "notes"
    (notes / "a.yml").write_text('- quote: "Term 1"\n  note: A note on *one*.\n- quote: "Term 2"\n'
                                 "  id: second\n  type: translation\n  note: Another.\n", encoding="utf-8")
    (notes / "b.yml").write_text('- quote: "x"\n  note: "No page for me."\n', encoding="utf-8")
    (notes / "c.yml").write_text("- quote: [unclosed\n", encoding="utf-8")
    (notes / "d").mkdir()
    (notes / "d" / "e.yml").write_text("[]\n", encoding="utf-8")


def _summary(annotations) -> tuple[list[str], list[tuple[str, tuple[str, ...], str]], list[tuple[int, int]],
                                   dict[str, list[tuple[str, str, int, int, tuple[int, int]]]]]:
    return ([str(problem) for problem in annotations.problems],
            [(entry.id, entry.forms, entry.definition) for entry in annotations.entries.values()],
            [entry.where(("definition",)) for entry in annotations.entries.values()],
            {page: [(n.id, n.note, n.line, n.column, n.body_position) for n in notes]
             for page, notes in annotations.notes.items()})


def _load_alone(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:
    from annotated_edition import background

    with monkeypatch.context() as patch:
        patch.setenv(background.SWITCH, "0")
        alone = _summary(load_annotations(root, root / "annotations", NOTES_PAGES))
    return alone


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need os.fork")
def test_loading_shared_with_a_worker_gives_what_loading_alone_gives(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from annotated_edition import background, loader

    _many_entries(tmp_path)
    _many_notes(tmp_path)
    monkeypatch.setattr(loader, "PARALLEL_LOADING_MINIMUM", 2)
    monkeypatch.setattr(loader, "LOADING_CHUNK", 4)  # 28 files: 7 chunks to share out
    as_a_lone_build(monkeypatch)
    started: list[object] = []
    start = background.Worker.start

    def spy(compute):  # type: ignore[no-untyped-def]
        worker = start(compute)
        started.append(worker)
        return worker

    monkeypatch.setattr(background.Worker, "start", staticmethod(spy))
    alone = _load_alone(tmp_path, monkeypatch)
    assert started == []
    loading = loader.AnnotationsLoading(tmp_path, tmp_path / "annotations", NOTES_PAGES)
    assert loading.in_background and len(started) == 1
    shared = _summary(loading.result())
    assert shared == alone
    job = loading._job
    assert job is not None and job.worker_seconds is not None   # the worker answered: nothing fell back
    # Once the worker has read every chunk (notes files included), its answers alone make the result.
    waited = loader.AnnotationsLoading(tmp_path, tmp_path / "annotations", NOTES_PAGES)
    assert waited._job is not None
    deadline = time.monotonic() + 30
    while background._FIELD.unpack_from(waited._job._progress, background._WORKER_AT)[0] < 6:  # on the last
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert _summary(waited.result()) == alone
    assert waited._job.chunks_taken_over == 0 and waited._job.worker_seconds is not None
    problems = "\n".join(alone[0])
    assert "e03.yml:2:1: YAML syntax error" in problems and "e05.yml:3:" in problems and "e20.yml:4:12:" in problems
    assert "already claimed by entry 'e01'" in problems
    assert "notes/b.yml:1:1: there is no page docs/b.md" in problems and "notes/c.yml:2:1: YAML syntax error" in problems
    assert "notes/d/e.yml:1:1: there is no page docs/d/e.md" in problems
    assert [note[0] for note in alone[3]["a.md"]] == ["n1", "second"]


def test_serve_re_reads_only_the_files_that_changed_and_a_build_keeps_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`remember` (`mkdocs serve`) keeps parsed files for the next rebuild; a single build keeps nothing."""
    from annotated_edition import background, loader

    _many_entries(tmp_path)
    _many_notes(tmp_path)
    monkeypatch.setenv(background.SWITCH, "0")
    monkeypatch.setattr(loader, "_FILE_CACHE", {})
    parsed: list[str] = []
    parse = loader.load

    def spy(text, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(text)
        return parse(text, **kwargs)

    monkeypatch.setattr(loader, "load", spy)

    def loading(remember: bool) -> tuple:
        parsed.clear()
        return _summary(loader.AnnotationsLoading(tmp_path, tmp_path / "annotations", NOTES_PAGES,
                                                  remember=remember).result())

    built = loading(remember=False)
    assert len(parsed) == 28 and loader._FILE_CACHE == {}
    assert loading(remember=True) == built and len(parsed) == 28
    assert loading(remember=True) == built and parsed == []  # nothing changed: nothing parsed again
    entry = tmp_path / "annotations" / "glossary" / "e01.yml"
    entry.write_text("term: Term one, changed\ndefinition: Changed.\n", encoding="utf-8")
    changed = loading(remember=True)
    assert parsed == ["term: Term one, changed\ndefinition: Changed.\n"]
    assert ("e01", ("Term one, changed",), "Changed.") in changed[1]


def _slow_in_the_worker(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """A forked worker sleeps ``seconds`` before each chunk it reads; this process reads at once."""
    from annotated_edition import loader

    here = os.getpid()
    read_files = loader._read_files

    def slow(*args):  # type: ignore[no-untyped-def]
        if os.getpid() != here:
            time.sleep(seconds)
        return read_files(*args)

    monkeypatch.setattr(loader, "_read_files", slow)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need os.fork")
def test_files_the_worker_has_not_reached_are_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that is slow to start (a busy machine): this process reads the rest when it needs them."""
    from annotated_edition import loader

    _many_entries(tmp_path)
    _many_notes(tmp_path)
    monkeypatch.setattr(loader, "PARALLEL_LOADING_MINIMUM", 2)
    monkeypatch.setattr(loader, "LOADING_CHUNK", 4)
    as_a_lone_build(monkeypatch)
    alone = _load_alone(tmp_path, monkeypatch)
    _slow_in_the_worker(monkeypatch, 1.0)
    loading = loader.AnnotationsLoading(tmp_path, tmp_path / "annotations", NOTES_PAGES)
    assert loading.in_background
    assert _summary(loading.result()) == alone
    # The worker was still on its first chunk (or not yet started): this process read every other one.
    assert loading._job is not None and loading._job.chunks_taken_over >= 6
    assert loading._job.worker_seconds is not None   # and the worker's answer was used


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need os.fork")
def test_a_cancelled_loading_leaves_no_worker_and_no_frozen_collector(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from annotated_edition import loader

    _many_entries(tmp_path)
    monkeypatch.setattr(loader, "PARALLEL_LOADING_MINIMUM", 2)
    as_a_lone_build(monkeypatch)
    _slow_in_the_worker(monkeypatch, 120)
    loading = loader.AnnotationsLoading(tmp_path, tmp_path / "annotations", set())
    assert loading._job is not None and loading._job._worker is not None
    pid = loading._job._worker.pid
    assert gc.get_freeze_count() > 0
    loading.cancel()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert gc.get_freeze_count() == 0
