"""Broken editions: every mistake is caught the same way by `check` and by the build.

For each case, the CLI (a real subprocess) exits 1 and prints the file, line
and message; `mkdocs build --strict` fails with the same message; neither
prints a traceback.
"""

from __future__ import annotations

import pytest

from editions import Edition

PAGE = "# Peru\n\nThe cholo and the caviar left. The release of three leaders. A house and a house.\n"
GOOD_ENTRY = "term: cholo\ndefinition: A word.\n"

# (name, files to write, expected "path:line:column: message start")
CASES = [
    ("yaml syntax", {"annotations/glossary/cholo.yml": "term: cholo\ndefinition: [unclosed\n"},
     "annotations/glossary/cholo.yml:3:1: YAML syntax error"),
    ("bad indentation", {"annotations/glossary/cholo.yml": "term: cholo\n definition: x\n"},
     "annotations/glossary/cholo.yml:2:12: YAML syntax error"),
    ("not utf-8", {"annotations/glossary/cholo.yml": b"term: cholo\ndefinition: caf\xe9\n"},
     "annotations/glossary/cholo.yml:2:16: byte 0xe9 is not valid UTF-8"),
    ("empty file", {"annotations/glossary/cholo.yml": ""}, "annotations/glossary/cholo.yml:1:1: the file is empty"),
    ("list for mapping", {"annotations/glossary/cholo.yml": "- term: cholo\n"},
     "annotations/glossary/cholo.yml:1:1: a glossary entry file holds one mapping"),
    ("unknown field", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "defintion: x\n"},
     "annotations/glossary/cholo.yml:3:1: unknown field 'defintion' — did you mean 'definition'?"),
    ("missing definition", {"annotations/glossary/cholo.yml": "term: cholo\n"},
     "annotations/glossary/cholo.yml:1:1: missing required field 'definition'"),
    ("empty term", {"annotations/glossary/cholo.yml": "term: ''\ndefinition: x\n"},
     "annotations/glossary/cholo.yml:1:7: 'term' is empty"),
    ("forms not a list", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "forms: cholos\n"},
     "annotations/glossary/cholo.yml:3:8: 'forms' must be a list"),
    ("bad link mode", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "link: always\n"},
     "annotations/glossary/cholo.yml:3:7: 'link' is 'always'"),
    ("quoted boolean", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "match_case: 'true'\n"},
     "annotations/glossary/cholo.yml:3:13: 'match_case' must be true or false"),
    ("bad id", {"annotations/glossary/Cholo.yml": GOOD_ENTRY},
     "annotations/glossary/Cholo.yml:1:1: the file name 'Cholo.yml' is not a valid entry id"),
    ("bad lang", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "lang: spanish language\n"},
     "annotations/glossary/cholo.yml:3:7: 'lang' is 'spanish language', but must be a BCP 47 language tag"),
    ("dangling see_also", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "see_also:\n  - caviarr\n",
                           "annotations/glossary/caviar.yml": "term: caviar\ndefinition: x\n"},
     "annotations/glossary/cholo.yml:4:5: see_also names 'caviarr', but there is no annotations/glossary/caviarr.yml"),
    ("form claimed twice", {"annotations/glossary/cholo.yml": GOOD_ENTRY,
                            "annotations/glossary/mestizo.yml": "term: mestizo\ndefinition: x\nforms: [Cholo]\n"},
     "annotations/glossary/mestizo.yml:3:9: the form 'Cholo' is already claimed by entry 'cholo'"),
    ("source without title", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "sources:\n  - url: https://x.org\n"},
     "annotations/glossary/cholo.yml:4:5: missing required field 'title' in this source"),
    ("javascript url", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "sources:\n  - title: t\n    url: javascript:x\n"},
     "annotations/glossary/cholo.yml:5:10: 'sources' → item 1 → 'url' is 'javascript:x'"),
    ("bad date", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "sources:\n  - title: t\n    date: 06/05/2023\n"},
     "annotations/glossary/cholo.yml:5:11: 'sources' → item 1 → 'date' is '06/05/2023'"),
    ("yaml alias", {"annotations/glossary/cholo.yml": "term: &t cholo\ndefinition: *t\n"},
     "annotations/glossary/cholo.yml:1:7: anchor '&t' is not allowed"),
    ("python tag", {"annotations/glossary/cholo.yml": "term: !!python/object/apply:os.system [ls]\ndefinition: x\n"},
     "annotations/glossary/cholo.yml:1:7: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("duplicate key", {"annotations/glossary/cholo.yml": GOOD_ENTRY + "term: again\n"},
     "annotations/glossary/cholo.yml:3:1: the key 'term' appears twice"),
    ("notes without page", {"annotations/notes/intro.yml": "- quote: cholo\n  note: x\n"},
     "annotations/notes/intro.yml:1:1: there is no page docs/intro.md for these notes"),
    ("notes as mapping", {"annotations/notes/index.yml": "quote: cholo\nnote: x\n"},
     "annotations/notes/index.yml:1:1: a notes file is a list of notes"),
    ("note missing text", {"annotations/notes/index.yml": "- quote: cholo\n"},
     "annotations/notes/index.yml:1:3: missing required field 'note' in this note"),
    ("bad note type", {"annotations/notes/index.yml": "- quote: cholo\n  type: gloss\n  note: x\n"},
     "annotations/notes/index.yml:2:9: item 1 → 'type' is 'gloss'"),
    ("duplicate note id", {"annotations/notes/index.yml":
                           "- id: a\n  quote: cholo\n  note: x\n- id: a\n  quote: caviar\n  note: y\n"},
     "annotations/notes/index.yml:4:7: note id 'a' is already used by the note at line 1"),
    ("orphaned quote", {"annotations/notes/index.yml": "- quote: release of four leaders\n  note: x\n"},
     "annotations/notes/index.yml:1:10: the quote “release of four leaders” is not on the page; the closest passage "
     "is “release of three leaders.”"),
    ("ambiguous quote", {"annotations/notes/index.yml": "- quote: house\n  note: x\n"},
     "annotations/notes/index.yml:1:10: the quote “house” occurs twice on the page"),
    ("wrong prefix", {"annotations/notes/index.yml": "- quote: house\n  prefix: the\n  note: x\n"},
     "annotations/notes/index.yml:1:10: the quote occurs twice on the page, but never with the prefix “the”"),
    ("script in definition", {"annotations/glossary/cholo.yml": "term: cholo\ndefinition: Hi <script>alert(1)</script>\n"},
     "annotations/glossary/cholo.yml:2:13: the definition contains <script> with its content, which was removed"),
    ("yaml extension", {"annotations/glossary/cholo.yaml": GOOD_ENTRY},
     "annotations/glossary/cholo.yaml:1:1: annotation files end in .yml"),
]


@pytest.mark.parametrize("name, files, expected", CASES, ids=[c[0] for c in CASES])
def test_mistake_is_reported_by_check_and_build(edition: Edition, name: str, files: dict[str, str | bytes],
                                                 expected: str) -> None:
    edition.write("docs/index.md", PAGE)
    for path, text in files.items():
        edition.write(path, text)

    checked = edition.check()
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert any(line.startswith(expected) for line in checked.stdout.splitlines()), checked.stdout
    assert "Traceback" not in checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1].endswith(("notice", "notices"))

    built = edition.build(strict=True)
    assert built.failed
    assert any(message.startswith(expected) for message in built.messages), built.messages
    assert "Traceback" not in " ".join(built.messages)


def test_clean_edition_passes_check_with_summary(edition: Edition) -> None:
    edition.write("docs/index.md", PAGE)
    edition.entry("cholo", GOOD_ENTRY)
    edition.notes("index", "- quote: release of three leaders\n  note: x\n")
    checked = edition.check()
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.strip() == "1 entries, 1 of 1 notes anchored, 1 pages, 0 problems, 0 notices"


UNLINKED = "term: huaico\ndefinition: A mudslide.\n"


def test_entry_linked_nowhere_is_a_notice_not_a_problem(edition: Edition) -> None:
    """Check prints it and exits 0; the build logs it at INFO and `--strict` passes."""
    import logging

    edition.write("docs/index.md", PAGE)
    edition.entry("cholo", GOOD_ENTRY)
    edition.entry("huaico", UNLINKED)
    edition.entry("quiet", "term: huayco\nlink: none\ndefinition: Kept for see_also.\n")
    checked = edition.check()
    assert checked.returncode == 0, checked.stdout
    lines = checked.stdout.splitlines()
    assert lines[0].startswith("annotations/glossary/huaico.yml:1:7: note: the entry 'huaico' is linked nowhere "
                               "in the edition"), lines
    assert len(lines) == 2, "one notice (a `link: none` entry is unlinked on purpose), then the summary"
    assert lines[-1] == "3 entries, 0 of 0 notes anchored, 1 pages, 0 problems, 1 notice"

    github = edition.check("--format", "github")
    assert github.returncode == 0
    assert github.stdout.splitlines()[0].startswith(
        "::notice file=annotations/glossary/huaico.yml,line=1,col=7::the entry 'huaico' is linked nowhere")

    built = edition.build(strict=True, level=logging.INFO)
    assert not built.failed, built.error
    notices = [r for r in built.records if "linked nowhere" in r.getMessage()]
    assert [r.levelno for r in notices] == [logging.INFO]
    assert "annotations/glossary/huaico.yml:1:7" in notices[0].getMessage()


def test_github_format(edition: Edition) -> None:
    edition.write("docs/index.md", PAGE)
    edition.entry("cholo", GOOD_ENTRY + "defintion: x\n")
    checked = edition.check("--format", "github")
    assert checked.returncode == 1
    assert checked.stdout.splitlines()[0].startswith(
        "::error file=annotations/glossary/cholo.yml,line=3,col=1::unknown field 'defintion'")


def test_usage_errors_exit_2(edition: Edition, tmp_path) -> None:
    import subprocess
    import sys

    missing = subprocess.run([sys.executable, "-m", "annotated_edition", "check", str(tmp_path / "nowhere")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no mkdocs.yml" in missing.stderr
    bad_flag = subprocess.run([sys.executable, "-m", "annotated_edition", "check", "--format", "xml"],
                              capture_output=True, text=True)
    assert bad_flag.returncode == 2


def test_console_script_is_installed(edition: Edition) -> None:
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    script = shutil.which("annotated-edition", path=str(Path(sys.executable).parent))
    assert script is not None
    edition.write("docs/index.md", PAGE)
    assert subprocess.run([script, "check", str(edition.root)], capture_output=True).returncode == 0


def test_check_reports_a_page_that_is_not_utf8(edition: Edition) -> None:
    edition.write("docs/index.md", b"# Page\n\ncaf\xe9 au lait.\n")
    edition.notes("index", "- quote: au lait\n  note: x\n")
    checked = edition.check()
    assert checked.returncode == 1
    assert "Traceback" not in checked.stdout + checked.stderr
    assert checked.stdout.startswith("docs/index.md:1:1: the page cannot be read as UTF-8 text")
