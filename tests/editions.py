"""Helpers for tests: small editions built in a temporary folder.

Builds run in-process through MkDocs' own `build` (much faster than a
subprocess); the CLI is exercised as a real subprocess in its own tests.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

REPO = Path(__file__).resolve().parent.parent
LOGGER = "mkdocs.plugins.annotated_edition"
FORKS_WORKERS = sys.platform.startswith("linux") and hasattr(os, "fork") and len(os.sched_getaffinity(0)) > 1
"""Whether a build run here (in a process of its own) may fork a worker: Linux, fork, a second core."""


def as_a_lone_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let this test process fork workers as a build would: one thread (beside the test runner's), two cores."""
    from annotated_edition import background

    monkeypatch.setattr(background.threading, "active_count", lambda: 1)
    monkeypatch.setattr(background.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)

BASIC_CONFIG = """\
site_name: Test edition
use_directory_urls: {directory_urls}
theme:
  name: {theme}
markdown_extensions:
  - toc:
      permalink: true
  - footnotes
  - attr_list
plugins:
  - search
  - annotated-edition:
      link: {link}
"""


@dataclass
class BuildResult:
    """What a build left: its log lines from the plugin (and every record MkDocs logged), and the site folder."""

    site: Path
    messages: list[str]
    failed: bool
    error: str = ""
    records: list[logging.LogRecord] = field(default_factory=list)

    def page(self, path: str = "index.html") -> str:
        return (self.site / path).read_text(encoding="utf-8")


@dataclass
class Edition:
    """A throwaway edition: write files, then build or check it."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def entry(self, entry_id: str, text: str) -> Path:
        return self.write(f"annotations/glossary/{entry_id}.yml", text)

    def notes(self, page: str, text: str) -> Path:
        return self.write(f"annotations/notes/{page}.yml", text)

    def build(self, strict: bool = True, level: int = logging.WARNING) -> BuildResult:
        """Build in this process; log records from ``level`` up are collected (messages: the plugin's)."""
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import Abort, BuildError

        site = self.root / "site"
        records: list[logging.LogRecord] = []

        class Collect(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)

        handler = Collect(level=level)
        logger = logging.getLogger("mkdocs")
        logger.addHandler(handler)
        before = logger.level
        # Let records from `level` through (a command run in-process before, cli.main, may have quieted MkDocs).
        logger.setLevel(min(logger.getEffectiveLevel(), level))
        failed, error = False, ""
        try:
            config = load_config(str(self.root / "mkdocs.yml"), site_dir=str(site), strict=strict)
            build(config)
        except (Abort, BuildError) as exc:
            failed, error = True, str(exc)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(before)
        prefix = "annotated_edition: "
        messages = [r.getMessage().removeprefix(prefix) for r in records if r.name.startswith(LOGGER)]
        return BuildResult(site, messages, failed, error, records)

    def check(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "annotated_edition", "check", str(self.root), *args],
                              capture_output=True, text=True, timeout=120)


def configure(made: Edition, *, theme: str = "mkdocs", link: str = "first", directory_urls: bool = True,
              extra: str = "") -> None:
    """Rewrite an edition's mkdocs.yml with other options."""
    made.write("mkdocs.yml", BASIC_CONFIG.format(theme=theme, link=link,
                                                 directory_urls=str(directory_urls).lower()) + extra)



def content(page_html: str):
    """The page's main content (Material's article, or the mkdocs theme's main), parsed."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(page_html, "html.parser")
    return page.select_one("article.md-content__inner") or page.select_one("div[role=main]") or page


def reading_text(element, skip: tuple[str, ...] = ()) -> str:
    """The words a reader sees in ``element``, less what ``skip`` selects, whitespace folded."""
    import copy

    element = copy.copy(element)
    for selector in skip:
        for hidden in element.select(selector):
            hidden.decompose()
    return " ".join(element.get_text().split())


def build_the_edition(site: Path) -> Path:
    """This repository's edition, as `mkdocs build --strict` makes it into ``site``, which must warn of nothing."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logging.getLogger("mkdocs").addHandler(handler)
    try:
        build(load_config(str(REPO / "mkdocs.yml"), site_dir=str(site), strict=True))
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
    assert messages == []
    return site


def copy_the_edition(dest: Path, *, site_url: str | None = None) -> Path:
    """A copy of this repository's edition (configuration, pages, annotations; no screenshots) in ``dest``.

    ``site_url`` replaces the edition's (empty) one, for tests of addresses under it.
    """
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    if site_url is not None:
        config = config.replace('site_url: ""', f'site_url: "{site_url}"', 1)
        assert f'site_url: "{site_url}"' in config
    (dest / "mkdocs.yml").write_text(config, encoding="utf-8")
    for folder in ("docs", "annotations"):  # the Material parts come from the package
        shutil.copytree(REPO / folder, dest / folder, ignore=shutil.ignore_patterns("*.png", "*.jpg", "*.pdf"))
    return dest


def build_site(config_file: Path, site: Path) -> Path:
    """An edition's site as `mkdocs build` makes it into ``site``, without the print edition (it has tests of its own)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    before = os.environ.get("ANNOTATED_EDITION_PDF")
    os.environ["ANNOTATED_EDITION_PDF"] = "0"
    try:
        build(load_config(str(config_file), site_dir=str(site)))
    finally:
        if before is None:
            del os.environ["ANNOTATED_EDITION_PDF"]
        else:
            os.environ["ANNOTATED_EDITION_PDF"] = before
    return site
