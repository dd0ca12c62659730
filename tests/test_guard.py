"""The guard (`annotated_edition.guard`): a build without the plugin stops, one with it is unchanged.

Zensical reads mkdocs.yml and its Markdown extensions but runs no MkDocs
plugin: without the guard it publishes the text bare and reports nothing.
It is installed (the newest version this machine's package index can
install) into a virtual environment of its own, made once and kept in
pytest's cache folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from editions import REPO, Edition, configure, content

from annotated_edition.guard import MESSAGE, NAME

BIN = Path(sys.executable).parent
# 0.0.73: later versions need a `zensical-ui` that this machine's package index lacks.
ZENSICAL = "zensical==0.0.73"
GUARDED = f"""\
markdown_extensions:
  - toc:
      permalink: true
  - footnotes
  - attr_list
  - {NAME}
"""


def guarded(edition: Edition, *, plugin: bool = True, theme: str = "mkdocs") -> Edition:
    """The sample edition with the guard in its extensions (and, unless `plugin` is false, the plugin)."""
    configure(edition, theme=theme)
    config = (edition.root / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("markdown_extensions:\n  - toc:\n      permalink: true\n  - footnotes\n  - attr_list\n",
                            GUARDED)
    if not plugin:
        config = config[:config.index("  - annotated-edition:")]
    edition.write("mkdocs.yml", config)
    edition.write("docs/index.md", "# Home\n\nThe cholo walks, and a passage here.\n")
    edition.entry("cholo", "term: cholo\nlang: es\ndefinition: A *word* with [a link](https://example.org/).\n")
    edition.notes("index", "- quote: a passage here\n  note: A **note**.\n")
    return edition


@pytest.mark.parametrize("background", ["0", "always"])
def test_a_build_with_the_plugin_is_unchanged(edition: Edition, background: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages, definitions and notes (rendered here or on a worker) all convert with the guard named."""
    monkeypatch.setenv("ANNOTATED_EDITION_BACKGROUND", background)
    result = guarded(edition).build()
    assert not result.failed, result.error
    page = content(result.page())
    assert page.select_one("a.edition-term")["data-term"] == "cholo"
    assert page.select_one(".edition-note strong").get_text() == "note"
    glossary = content(result.page("glossary/index.html"))
    assert glossary.select_one("#cholo").find("em").get_text() == "word"


def test_mkdocs_without_the_plugin_prints_the_message_without_a_traceback(edition: Edition) -> None:
    guarded(edition, plugin=False)
    run = subprocess.run([str(BIN / "mkdocs"), "build", "-f", str(edition.root / "mkdocs.yml"),
                          "-d", str(edition.root / "site")], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 1
    assert MESSAGE in run.stderr and "Traceback" not in run.stderr


def test_check_ignores_the_guard(edition: Edition) -> None:
    run = guarded(edition).check()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 entries, 1 of 1 notes anchored, 1 pages, 0 problems" in run.stdout


def test_properdocs_builds_with_the_guard_and_stops_without_the_plugin(edition: Edition, tmp_path: Path) -> None:
    guarded(edition, theme="material")
    command = [str(BIN / "properdocs"), "build", "--strict", "-f", str(edition.root / "mkdocs.yml")]
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([*command, "-d", str(tmp_path / "with")], capture_output=True, text=True, timeout=180,
                         env=environment)
    assert run.returncode == 0, run.stderr
    assert 'class="edition-term"' in (tmp_path / "with" / "index.html").read_text(encoding="utf-8")
    guarded(edition, plugin=False, theme="material")
    run = subprocess.run([*command, "-d", str(tmp_path / "without")], capture_output=True, text=True, timeout=180,
                         env=environment)
    assert run.returncode == 1
    assert MESSAGE in run.stderr and "Traceback" not in run.stderr


def test_this_edition_names_the_guard() -> None:
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"\n  - {NAME}" in config.split("markdown_extensions:", 1)[1].split("\n\n", 1)[0]


@pytest.fixture(scope="session")
def zensical(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `zensical` command, from a virtual environment of its own, made once and kept in pytest's cache."""
    cache = getattr(request.config, "cache", None)  # none under `-p no:cacheprovider`: then made for this run only
    folder = cache.mkdir("zensical-venv") if cache is not None else tmp_path_factory.mktemp("zensical-venv")
    python = folder / "bin" / "python"
    installed = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('zensical'))"],
                               capture_output=True, text=True) if python.exists() else None
    if installed is None or installed.returncode != 0 or installed.stdout.strip() != ZENSICAL.split("==")[1]:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True, timeout=120)
        made = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               ZENSICAL], capture_output=True, text=True, timeout=600)
        assert made.returncode == 0, f"could not install {ZENSICAL}: {made.stderr[-3000:]}"
    return folder / "bin" / "zensical"


def _zensical_build(zensical: Path, edition: Edition) -> subprocess.CompletedProcess[str]:
    """`zensical build` in the edition, with this repository's package importable (as an editor would have it)."""
    return subprocess.run([str(zensical), "build", "-f", "mkdocs.yml"], cwd=edition.root, capture_output=True,
                          text=True, timeout=180, env={**os.environ, "PYTHONPATH": str(REPO / "plugins")})


@pytest.mark.zensical
def test_zensical_fails_loudly_with_the_message(zensical: Path, edition: Edition) -> None:
    guarded(edition, theme="material")
    run = _zensical_build(zensical, edition)
    assert run.returncode != 0
    assert MESSAGE in run.stdout + run.stderr


@pytest.mark.zensical
def test_without_the_guard_zensical_silently_drops_the_apparatus(zensical: Path, edition: Edition) -> None:
    """Why the guard exists: the same edition, guard left out, builds 'fine' with no term link."""
    guarded(edition, theme="material")
    config = edition.root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(f"  - {NAME}\n", ""), encoding="utf-8")
    run = _zensical_build(zensical, edition)
    assert run.returncode == 0, run.stdout + run.stderr
    page = (edition.root / "site" / "index.html").read_text(encoding="utf-8")
    assert "The cholo walks" in page and "edition-term" not in page
