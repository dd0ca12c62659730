"""The plugin under ProperDocs, and `mkdocs serve` rebuilding on annotation changes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from editions import Edition, configure, content

BIN = Path(sys.executable).parent


def test_builds_unchanged_under_properdocs(edition: Edition) -> None:
    """ProperDocs reads the same `mkdocs.plugins` entry point and mkdocs.yml."""
    configure(edition, theme="material")
    edition.write("docs/index.md", "# Home\n\nThe cholo, and a passage here.\n")
    edition.entry("cholo", "term: cholo\nlang: es\ndefinition: A word.\n")
    edition.notes("index", "- quote: a passage here\n  note: N.\n")
    site = edition.root / "pd-site"
    run = subprocess.run([str(BIN / "properdocs"), "build", "--strict", "-f", str(edition.root / "mkdocs.yml"),
                          "-d", str(site)], capture_output=True, text=True, timeout=180,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr
    page = content((site / "index.html").read_text())
    assert page.select_one("a.edition-term")["href"] == "glossary/#cholo"
    assert page.select_one("mark.edition-quote").get_text() == "a passage here"
    assert (site / "glossary" / "index.html").exists()


def test_properdocs_strict_fails_on_annotation_mistakes(edition: Edition) -> None:
    configure(edition, theme="material")
    edition.entry("cholo", "term: cholo\ndefintion: A word.\n")
    run = subprocess.run([str(BIN / "properdocs"), "build", "--strict", "-f", str(edition.root / "mkdocs.yml"),
                          "-d", str(edition.root / "pd-site")], capture_output=True, text=True, timeout=180)
    assert run.returncode != 0
    assert "annotations/glossary/cholo.yml:2:1: unknown field 'defintion'" in run.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def _wait_for(url: str, predicate, timeout: float = 40.0) -> str:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            last = _fetch(url)
            if predicate(last):
                return last
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {url}; last page had {len(last)} characters")


def test_serve_rebuilds_when_annotations_change(edition: Edition) -> None:
    edition.write("docs/index.md", "# Home\n\nThe cholo and the caviar.\n")
    edition.entry("cholo", "term: cholo\ndefinition: First version.\n")
    port = _free_port()
    server = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--livereload",
                               "-a", f"127.0.0.1:{port}", "-f", str(edition.root / "mkdocs.yml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(base, lambda page: "First version." in page)
        # changed
        time.sleep(1.1)
        edition.entry("cholo", "term: cholo\ndefinition: Second version.\n")
        _wait_for(base, lambda page: "Second version." in page and "First version." not in page)
        # added
        edition.entry("caviar", "term: caviar\ndefinition: The affluent left.\n")
        page = _wait_for(base, lambda page: 'data-term="caviar"' in page)
        assert page.count('class="edition-term"') == 2
        # removed: nothing of the old entry leaks into the next build
        (edition.root / "annotations" / "glossary" / "caviar.yml").unlink()
        page = _wait_for(base, lambda page: 'data-term="caviar"' not in page)
        glossary = _fetch(base + "glossary/")
        assert 'id="caviar"' not in glossary and 'id="cholo"' in glossary
    finally:
        server.terminate()
        server.wait(timeout=10)
