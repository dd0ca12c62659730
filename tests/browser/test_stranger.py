"""The stranger test: the wheel and the package index, and nothing else from this repository.

Build the wheel and the sdist as a maintainer would publish them, check them
as PyPI would, install the wheel into a fresh virtual environment outside the
repository (its dependencies come from the package index), start an edition
with `annotated-edition new`, run the README's two commands in it, and read
the site in Chromium from file://.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from chromium import REPO
from test_accessibility import violations

pytestmark = [pytest.mark.package, pytest.mark.browser]

# What `python -m build` needs of the repository: the package and its metadata.
PACKAGE_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "plugins")


@dataclass
class Stranger:
    """A stranger's machine: the built distributions, a virtual environment, the new edition."""

    dist: Path
    bin: Path
    edition: Path
    env: dict[str, str]
    timings: dict[str, float]

    def run(self, command: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout)


def stranger_env(bin_dir: Path) -> dict[str, str]:
    """This process's environment less everything that points into the repository or its virtual environment."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "NO_MKDOCS_2_WARNING")}
    env["PATH"] = os.pathsep.join([str(bin_dir), *[p for p in env.get("PATH", "").split(os.pathsep)
                                                   if not p.startswith(str(REPO))]])
    return env


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Stranger:
    home = tmp_path_factory.mktemp("stranger")
    assert REPO not in home.parents
    timings: dict[str, float] = {}
    started = time.perf_counter()

    # 1. The maintainer builds the distributions (from a copy: nothing written into the repository).
    source = home / "source"
    source.mkdir()
    for name in PACKAGE_SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(REPO / name, source / name)
    dist = home / "dist"
    env = stranger_env(Path(sys.executable).parent)
    build = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)],
                           env=env, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    warnings = [line for line in (build.stdout + build.stderr).splitlines() if re.search(r"(?i)warning|deprecat", line)]
    assert warnings == []
    timings["build"] = time.perf_counter() - started

    # 2. A stranger: a fresh virtual environment outside the repository, the wheel, the package index.
    started = time.perf_counter()
    environment = home / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(environment)
    bin_dir = environment / "bin"
    env = stranger_env(bin_dir)
    (wheel,) = dist.glob("*.whl")
    install = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              str(wheel)], cwd=home, env=env, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    timings["install"] = time.perf_counter() - started

    edition = home / "my-edition"
    made = Stranger(dist, bin_dir, edition, env, timings)
    run = made.run([str(bin_dir / "annotated-edition"), "new", edition.name, "--title", "The Bell: a sample",
                    "--author", "A. Stranger"], cwd=home)
    assert run.returncode == 0, run.stderr
    return made


def test_the_distributions_pass_twine_check_and_carry_the_licence(stranger: Stranger) -> None:
    import tarfile
    import zipfile

    files = sorted(stranger.dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    run = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    (wheel,) = stranger.dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for packaged in ("templates/partials/search.html", "vendor/iframe-worker/shim.js", "assets/material.css",
                     "edition_template/dot_github/workflows/pull-request.yml", "schemas/notes.schema.json"):
        assert f"annotated_edition/{packaged}" in names, packaged
    (sdist,) = stranger.dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        assert any(n.endswith("/LICENSE") and n.count("/") == 1 for n in archive.getnames())


def test_the_readme_commands_build_and_check_the_new_edition(stranger: Stranger) -> None:
    readme = (stranger.edition / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.split() for line in re.findall(r"```sh\n(.*?)```", section, flags=re.S)[-1].splitlines() if line]
    assert [c[0] for c in commands] == ["mkdocs", "annotated-edition"]
    started = time.perf_counter()
    for command in commands:
        run = stranger.run([str(stranger.bin / command[0]), *command[1:]], cwd=stranger.edition)
        assert run.returncode == 0, (command, run.stdout, run.stderr)
        assert not re.search(r"^(WARNING|ERROR) ", run.stderr, flags=re.M), run.stderr
    stranger.timings["build and check"] = time.perf_counter() - started
    assert (stranger.edition / "site" / "index.html").is_file()
    print(f"\nstranger timings: {', '.join(f'{k} {v:.1f} s' for k, v in stranger.timings.items())}")


@pytest.fixture(scope="module")
def site(stranger: Stranger) -> Path:
    """The new edition's site, as the README's build command makes it."""
    site = stranger.edition / "site"
    if not (site / "index.html").is_file():
        run = stranger.run([str(stranger.bin / "mkdocs"), "build", "--strict"], cwd=stranger.edition)
        assert run.returncode == 0, run.stderr
    return site


def test_read_from_file_a_term_a_note_search_and_no_axe_violation(browser, site: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    base = site.as_uri() + "/"
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(base + "index.html")
    tab.wait_for_selector("#edition-definitions", state="attached")

    tab.hover("a.edition-term[data-term=tide-mill]")
    tooltip = tab.locator("#edition-tooltip")
    tooltip.wait_for(state="visible")
    assert "water mill driven by the tide" in tooltip.inner_text()
    tab.mouse.move(5, 880)
    tooltip.wait_for(state="hidden")
    assert violations(tab) == []  # the page at rest

    tab.locator("sup.edition-note-ref a").first.focus()
    note = tab.locator(".md-tooltip2--active")
    note.wait_for(state="visible")
    assert "A sample note" in note.inner_text()
    assert violations(tab) == []  # with the theme's note tooltip open (a dialog: it gets a name)
    tab.keyboard.press("Escape")

    tab.click("label.md-search__icon, .md-search__input")
    tab.locator("input.md-search__input").press_sequentially("grandmother", delay=30)
    result = tab.locator(".md-search-result__item").first
    result.wait_for(state="visible", timeout=15_000)
    assert "grandmother" in result.inner_text().lower()

    tab.goto(base + "glossary.html")
    assert tab.locator("#tide-mill").is_visible()
    assert violations(tab) == []
    assert [url for url in requests if not url.startswith(base)] == []  # nothing from outside
    context.close()
