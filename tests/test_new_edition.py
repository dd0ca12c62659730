"""`annotated-edition new`: the edition it writes builds, checks, and is safe on GitHub; and what the
package gives a Material site (templates, CSS, the iframe-worker shim) so that nothing is copied by hand."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from annotated_edition import __version__
from editions import Edition, content

ODD_TITLES = [
    'Peru: "How do we continue?"',
    "# not a comment: & *not an alias* {not: a mapping} [nor a list] !tag %directive",
    "- a dash, then 'single' quotes, a back\\slash and ${{ github.event.pull_request.title }}",
    "yes",
    "null",
    "Perú, São Paulo, Ñuñoa — “curly” quotes … and 日本語",
]


def run_new(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "annotated_edition", "new", *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def new_edition(target: Path, *args: str) -> Edition:
    run = run_new(str(target), *args)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    return Edition(target)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Edition:
    """An edition as `new` writes it, with an awkward title and author."""
    return new_edition(tmp_path_factory.mktemp("new") / "edition", "--title", ODD_TITLES[0],
                       "--author", "O'Brien: the editor", "--language", "en")


@pytest.fixture(scope="module")
def built(made: Edition):
    result = made.build(strict=True)
    assert not result.failed, result.error
    assert result.messages == []
    return result


def test_it_builds_strict_with_the_term_linked_and_the_note_anchored(built) -> None:
    page = content(built.page("index.html"))
    term = page.select_one("a.edition-term[data-term=tide-mill]")
    assert term is not None and term.get_text() == "tide mill"
    assert term["href"] == "glossary.html#tide-mill"
    assert page.select_one("mark.edition-quote[data-note=still-wheel]").get_text() == "the wheel stood still for a week"
    assert page.select("section.edition-notes li#note-still-wheel")
    glossary = content(built.page("glossary.html"))
    assert glossary.select_one("#tide-mill") is not None


def test_the_site_works_offline_with_the_packages_own_shim_and_templates(built) -> None:
    """The package's parts reach the site: nothing fetched from a CDN, the search dialog named."""
    html = built.page("index.html")
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert "assets/annotated-edition/vendor/iframe-worker/shim.js" in scripts
    assert not [src for src in scripts if "//" in src]  # nothing from outside, no CDN shim
    assert (built.site / "assets/annotated-edition/vendor/iframe-worker/shim.js").stat().st_size > 1000
    assert "Martin Donath" in (built.site / "assets/annotated-edition/vendor/iframe-worker/LICENSE").read_text()
    assert 'role="dialog" aria-label="Search"' in html
    assert 'href="assets/annotated-edition/material.css"' in html
    assert (built.site / "search" / "search_index.js").is_file()  # the offline plugin's inlined index


def test_check_passes(made: Edition) -> None:
    run = made.check()
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("1 pages, 0 problems, 0 notices")
    assert "1 of 1 notes anchored" in run.stdout


def test_the_files_an_editor_needs_are_there(made: Edition) -> None:
    names = {path.relative_to(made.root).as_posix() for path in made.root.rglob("*")
             if path.is_file() and "site" not in path.relative_to(made.root).parts[:1]}  # not the built site
    assert {"mkdocs.yml", "requirements.txt", "README.md", "CONTRIBUTING.md", ".gitignore", ".pre-commit-config.yaml",
            ".github/workflows/pull-request.yml", ".github/workflows/publish.yml", "docs/index.md",
            "annotations/glossary/tide-mill.yml", "annotations/notes/index.yml"} <= names
    leftovers = [name for name in names if re.search(r"__[A-Z_]+__", (made.root / name).read_text(encoding="utf-8"))]
    assert leftovers == []
    assert not (made.root / "docs" / "glossary.md").exists()  # the plugin writes the glossary page


def test_it_depends_on_this_version_of_the_package_everywhere(made: Edition) -> None:
    pin = f"annotated-edition=={__version__}"
    assert pin in (made.root / "requirements.txt").read_text().split()
    hooks = yaml.safe_load((made.root / ".pre-commit-config.yaml").read_text())
    (hook,) = [h for repo in hooks["repos"] for h in repo["hooks"]]
    assert hook["additional_dependencies"] == [pin] and hook["entry"] == "annotated-edition check"
    for workflow in ("pull-request.yml", "publish.yml"):
        steps = [step for job in workflow_jobs(made, workflow).values() for step in job["steps"]]
        installs = [step["run"] for step in steps if "pip install" in step.get("run", "")]
        assert installs == [f'python -m pip install "{pin}"'], workflow


def workflow_jobs(made: Edition, name: str) -> dict:
    return yaml.safe_load((made.root / ".github" / "workflows" / name).read_text())["jobs"]


def test_the_pull_request_workflow_installs_once_then_checks_on_the_diff_then_builds(made: Edition) -> None:
    (job,) = workflow_jobs(made, "pull-request.yml").values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == [f'python -m pip install "annotated-edition=={__version__}"',
                    "annotated-edition check --format github", "mkdocs build --strict"]
    trigger = yaml.safe_load((made.root / ".github/workflows/pull-request.yml").read_text())[True]  # `on:`
    assert list(trigger) == ["pull_request"]  # never pull_request_target: no secrets for forks


def test_actions_are_pinned_by_commit_with_their_version_and_keep_no_credentials(made: Edition) -> None:
    for name in ("pull-request.yml", "publish.yml"):
        text = (made.root / ".github" / "workflows" / name).read_text()
        uses = re.findall(r"uses: (\S+)(.*)", text)
        assert uses
        for action, comment in uses:
            assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", action), action
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), (action, comment)
        for job in workflow_jobs(made, name).values():
            assert "permissions" in job, name
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False


def test_zizmor_finds_nothing_at_medium_or_high_in_the_workflows(made: Edition) -> None:
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if zizmor is None:
        pytest.fail("zizmor is a test dependency: pip install -e '.[test]'")
    run = subprocess.run([zizmor, "--offline", "--format", "json", str(made.root)],
                         capture_output=True, text=True, timeout=120)
    findings = json.loads(run.stdout)
    serious = [(f["ident"], f["determinations"]["severity"]) for f in findings
               if f["determinations"]["severity"] in ("Medium", "High")]
    assert serious == []
    assert run.returncode == 0, run.stdout  # and nothing at low either


def test_the_readme_quick_start_names_the_commands_that_build_and_check(made: Edition) -> None:
    readme = (made.root / "README.md").read_text()
    assert readme.startswith(f"# {ODD_TITLES[0]}\n")
    assert quick_start_commands(readme) == ["mkdocs build --strict", "annotated-edition check"]


def quick_start_commands(readme: str) -> list[str]:
    """The commands of the README's last shell block under "Quick start": the ones run each time."""
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line.strip() for line in blocks[-1].splitlines() if line.strip()]


@pytest.mark.parametrize("title", ODD_TITLES)
def test_any_title_gives_a_valid_configuration(tmp_path: Path, title: str) -> None:
    from mkdocs.config import load_config

    made = new_edition(tmp_path / "e", "--title", title, "--author", title)
    assert yaml.safe_load((made.root / "mkdocs.yml").read_text(encoding="utf-8"))["site_name"] == title
    config = load_config(str(made.root / "mkdocs.yml"))
    assert config.site_name == title and config.site_author == title


def test_an_odd_title_still_builds(tmp_path: Path) -> None:
    made = new_edition(tmp_path / "e", "--title", ODD_TITLES[1])
    result = made.build(strict=True)
    assert not result.failed and result.messages == []
    assert "# not a comment: &" in built_title(result.page("index.html"))  # the title reaches the page


def built_title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1)


def test_it_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    run = run_new(str(target))
    assert run.returncode == 2
    assert "not empty" in run.stderr and str(target) in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "keep me"


def test_it_accepts_an_empty_folder_and_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert run_new(str(tmp_path / "empty")).returncode == 0
    assert (tmp_path / "empty" / "mkdocs.yml").is_file()
    (tmp_path / "a-file").write_text("")
    run = run_new(str(tmp_path / "a-file"))
    assert run.returncode == 2 and "is a file" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(("args", "said"), [
    (["--title", "two\nlines"], "--title holds a line break"),
    (["--title", "  "], "--title is empty"),
    (["--language", "xx-nope"], "--language 'xx-nope' is not a language the theme knows"),
])
def test_it_refuses_what_would_break_the_edition(tmp_path: Path, args: list[str], said: str) -> None:
    run = run_new(str(tmp_path / "e"), *args)
    assert run.returncode == 2
    assert said in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "e").exists()


def test_another_language_sets_the_themes_labels(tmp_path: Path) -> None:
    made = new_edition(tmp_path / "e", "--language", "es")
    result = made.build(strict=True)
    assert not result.failed and result.messages == []
    html = result.page("index.html")
    assert '<html lang="es"' in html and 'aria-label="Búsqueda"' in html


# -- what the package gives a Material site ---------------------------------------------------

MATERIAL = """\
site_name: Parts
use_directory_urls: false
theme:
  name: material
{theme_extra}
plugins:
  - search
{offline}
  - annotated-edition
{extra}
"""


def material_site(edition: Edition, *, offline: bool = True, theme_extra: str = "", extra: str = "") -> str:
    edition.write("mkdocs.yml", MATERIAL.format(offline="  - offline" if offline else "", theme_extra=theme_extra,
                                                extra=extra))
    result = edition.build(strict=True)
    assert not result.failed and result.messages == []
    return result.page("index.html")


def test_a_sites_own_override_and_shim_win(edition: Edition) -> None:
    edition.write("overrides/partials/search.html", '<div class="md-search" data-md-component="search">ours</div>\n')
    edition.write("docs/js/iframe-worker.js", "/* a site's own copy */\n")
    html = material_site(edition, theme_extra="  custom_dir: overrides",
                         extra="extra:\n  polyfills:\n    - js/iframe-worker.js")
    assert '<div class="md-search" data-md-component="search">ours</div>' in html
    assert "js/iframe-worker.js" in html and "annotated-edition/vendor" not in html
    assert not (edition.root / "site/assets/annotated-edition/vendor").exists()


def test_without_the_offline_plugin_there_is_no_shim(edition: Edition) -> None:
    html = material_site(edition, offline=False)
    assert "iframe-worker" not in html
    assert 'role="dialog" aria-label="Search"' in html and "annotated-edition/material.css" in html


def test_other_themes_get_none_of_it(edition: Edition) -> None:
    result = edition.build(strict=True)  # the mkdocs theme
    html = result.page("index.html")
    assert "material.css" not in html and "iframe-worker" not in html
