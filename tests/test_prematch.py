"""Matches found ahead on the render worker (prematch.MatchFeed) are the matches a scan here finds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as etree
from collections.abc import Callable
from pathlib import Path

import markdown
import markdown.extensions.toc
import pytest

from annotated_edition import background
from annotated_edition.background import SWITCH as BACKGROUND_SWITCH
from annotated_edition.edition import anchor_passages, flatten_for_quotes, mark_anchors
from annotated_edition.matcher import Form, FormMatcher
from annotated_edition.model import Note
from annotated_edition.prematch import MatchFeed
from editions import Edition, configure

pytestmark = pytest.mark.skipif(not (sys.platform.startswith("linux") and hasattr(os, "fork")),
                                reason="a worker needs os.fork (Linux)")
needs_a_second_core = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="a build converts pages a second time only with a core to spare")

FORMS = [("caviar", "caviar"), ("cholo", "cholo"), ("cholo", "cholos"), ("lima", "Lima"), ("cgtp", "CGTP")]
PAGES = {
    f"page{i}.md": (f"# Page {i}\n\nThe caviar left of Lima, page {i}, and the *cholos* of the CGTP.\n\n"
                    f"- a cholo in a list\n- `caviar` in code, then caviar\n\nLima again, {i} times.\n")
    for i in range(12)
}


Prepare = Callable[[str, etree.Element, markdown.Markdown], dict]


def _mark_a_passage(page: str, root: etree.Element, md: markdown.Markdown) -> dict:
    """As the treeprocessor does before linking: a note's passage in marks, which splits texts."""
    note = Note(id="n1", quote="left of Lima, page", note="N.", path=f"notes/{page}", line=1, column=1)
    flat = flatten_for_quotes(root)
    anchors, problems = anchor_passages(flat, [note], md.htmlStash.rawHtmlBlocks)
    assert anchors and not problems
    mark_anchors(flat, anchors, [], "\x02test:")
    return {}


def _texts(source: str, prepare: Prepare | None = None, page: str = "") -> list[str]:
    """Every text and tail of a page's tree, as the build's treeprocessor would meet them."""
    md = markdown.Markdown()
    found: list[str] = []

    class Collect(markdown.treeprocessors.Treeprocessor):
        def run(self, root):  # type: ignore[no-untyped-def]
            if prepare is not None:
                prepare(page, root, md)
            found.extend(t for e in root.iter() for t in (e.text, e.tail) if t)

    md.treeprocessors.register(Collect(md), "collect", -10)
    md.convert(source)
    return found


@pytest.mark.parametrize("prepare", [None, _mark_a_passage], ids=["plain", "with a marked passage"])
def test_the_worker_sends_what_a_scan_here_finds(prepare: Prepare | None) -> None:
    matcher = FormMatcher(Form(entry, form, False) for entry, form in FORMS)
    feed = MatchFeed(matcher, list(PAGES), PAGES.__getitem__, markdown.Markdown, prepare)
    job = background.SharedJob([1], lambda chunk: chunk, background=True, then=feed.work_in_worker)
    assert job.in_background
    try:
        feed.page_started("page0.md")   # this process is on the first page: the worker takes the rest
        deadline = time.monotonic() + 30
        texts = [text for page in list(PAGES)[1:] for text in _texts(PAGES[page], prepare, page)]
        while any(feed.find(text) is None for text in texts):
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.02)
            feed.page_started("page0.md")   # takes in what has arrived
        for text in texts:
            assert feed.find(text) == matcher.find(text), text
        assert any(feed.find(text) for text in texts)   # some texts do hold terms
        assert job.results() == [1]   # the worker stops when asked, and answers
    finally:
        job.cancel()
        feed.close()
    assert feed.find("The caviar left of Lima") is None   # closed: everything is scanned here


@needs_a_second_core
def test_the_worker_sends_the_anchors_a_search_here_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker marks each page's passages before it matches, and sends their anchors, filed by page and text."""
    from annotated_edition.edition import Edition as BuildEdition
    from annotated_edition.model import Annotations, GlossaryEntry, notes_key
    from annotated_edition.render import SnippetRenderer

    monkeypatch.setenv(BACKGROUND_SWITCH, "always")
    # Other tests' servers may still run threads here; this test's work is fork-safe.
    monkeypatch.setattr(background, "possible", lambda: True)
    notes = {page: [Note(id="n1", quote=f"left of Lima, page {index}", note="N.", path=f"notes/{page}", line=1,
                         column=1)] for index, page in enumerate(PAGES)}
    entries = {"lima": GlossaryEntry(id="lima", term="Lima", definition="The capital.", forms=("Lima",),
                                     path="glossary/lima.yml")}
    edition = BuildEdition(Annotations(entries=entries, notes=notes), SnippetRenderer([], {}),
                           pages=list(PAGES), read_page=PAGES.__getitem__)
    assert edition.renders_in_background
    try:
        edition.page_started("page0.md")   # this process is on the first page: the worker takes the rest
        deadline = time.monotonic() + 30
        for page in list(PAGES)[1:]:
            flats: list = []

            class Flatten(markdown.treeprocessors.Treeprocessor):
                def run(self, root):  # type: ignore[no-untyped-def]
                    flats.append((flatten_for_quotes(root), list(self.md.htmlStash.rawHtmlBlocks)))

            md = markdown.Markdown()
            md.treeprocessors.register(Flatten(md), "flatten", -10)
            md.convert(PAGES[page])
            (flat, stash), = flats
            anchors, problems = anchor_passages(flat, notes[page], stash)
            assert anchors and not problems
            while (sent := edition.passages_found_ahead(notes_key(page), flat.text)) is None:
                assert time.monotonic() < deadline, f"no anchors arrived for {page}"
                time.sleep(0.02)
                edition.page_started("page0.md")   # takes in what has arrived
            assert list(sent) == [(0, anchor.start, anchor.end) for anchor in anchors]
        assert edition.passages_found_ahead("page1.md", "another text") is None
    finally:
        edition.cancel()


def test_a_page_this_process_has_reached_is_not_matched_ahead() -> None:
    matcher = FormMatcher(Form(entry, form, False) for entry, form in FORMS)
    feed = MatchFeed(matcher, list(PAGES), PAGES.__getitem__, markdown.Markdown)
    feed.page_started("page11.md")   # the last page, before the worker starts
    job = background.SharedJob([1], lambda chunk: chunk, background=True, then=feed.work_in_worker)
    try:
        time.sleep(0.5)
        assert job.results() == [1]
        feed.page_started("page11.md")
        assert all(feed.find(text) is None for page in PAGES for text in _texts(PAGES[page]))
    finally:
        job.cancel()
        feed.close()


@needs_a_second_core
def test_a_page_rewritten_by_another_plugin_links_as_without_a_worker(tmp_path: Path) -> None:
    """The worker reads the files; a plugin changes a page's Markdown: its texts are scanned here."""

    def build(root: Path, switch: str) -> tuple[dict[str, bytes], str]:
        made = Edition(root)
        configure(made, theme="material", extra="hooks:\n  - rewrite.py\n")
        made.write("rewrite.py", "def on_page_markdown(markdown, page, config, files):\n"
                                 "    if page.file.src_uri != 'page3.md':\n"
                                 "        return markdown\n"
                                 "    return markdown.replace('Lima', 'Lima, the capital,')\n")
        made.entry("lima", "term: Lima\ndefinition: The capital.\n")
        made.entry("caviar", "term: caviar\ndefinition: A charged word.\n")
        for name, text in PAGES.items():
            made.write(f"docs/{name}", text)
        for page in range(12):   # passages on every page, one of them in the text the hook rewrites
            made.notes(f"page{page}", f"- quote: page {page}, and the\n  note: N.\n"
                                      f"- quote: cholos of the CGTP\n  note: M.\n")
        env = {**os.environ, BACKGROUND_SWITCH: switch, "NO_MKDOCS_2_WARNING": "1"}
        run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-v", "-f",
                              str(root / "mkdocs.yml")], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-3000:]
        site = root / "site"
        built = {path.relative_to(site).as_posix(): path.read_bytes() for path in site.rglob("*.html")}
        return built, run.stderr + run.stdout

    without, _ = build(tmp_path / "without", "0")
    with_worker, log = build(tmp_path / "with", "always")
    assert with_worker == without
    assert b"Lima, the capital," in without["page3/index.html"]
    # The unchanged texts came from the worker.
    # (How many pages' passages arrive in time depends on the two processes' pace: another test checks them.)
    assert re.search(r"the terms of [1-9]\d* texts and the passages of \d+ pages were found ahead", log), log
    assert b"</a>, the capital,, <mark class=\"edition-quote\" data-note=\"n1\">page 3, and the<" in without[
        "page3/index.html"]


def test_a_page_the_worker_cannot_read_is_left_to_this_process() -> None:
    """A page the worker cannot read is left to this process."""
    matcher = FormMatcher(Form(entry, form, False) for entry, form in FORMS)

    def read(page: str) -> str:
        if page == "page1.md":
            raise OSError("gone")
        return PAGES[page]

    feed = MatchFeed(matcher, list(PAGES), read, markdown.Markdown)
    job = background.SharedJob([1], lambda chunk: chunk, background=True, then=feed.work_in_worker)
    try:
        time.sleep(0.5)
        feed.page_started("page0.md")
        assert all(feed.find(text) is None for text in _texts(PAGES["page1.md"]) if text not in
                   {t for page in list(PAGES)[2:] for t in _texts(PAGES[page])})
        assert feed.find(_texts(PAGES["page2.md"])[1]) == matcher.find(_texts(PAGES["page2.md"])[1])
        assert job.results() == [1]
    finally:
        job.cancel()
        feed.close()


def test_a_worker_far_ahead_waits_for_room_instead_of_stopping(monkeypatch: pytest.MonkeyPatch) -> None:
    from annotated_edition import prematch

    monkeypatch.setattr(prematch, "PIPE_SIZE", 4096)   # one page's frames at a time
    many = {f"p{i}.md": PAGES["page1.md"].replace("page 1", f"page {i}") for i in range(80)}
    matcher = FormMatcher(Form(entry, form, False) for entry, form in FORMS)
    feed = MatchFeed(matcher, list(many), many.__getitem__, markdown.Markdown)
    job = background.SharedJob([1], lambda chunk: chunk, background=True, then=feed.work_in_worker)
    try:
        last = [t for t in _texts(many["p79.md"]) if "page 79" in t]
        deadline = time.monotonic() + 60
        while feed.find(last[0]) is None:   # the last page's own text arrives, through a pipe of one page
            assert time.monotonic() < deadline, "the worker stopped when the pipe was full"
            time.sleep(0.01)
            feed.page_started("p0.md")
        assert feed.find(last[0]) == matcher.find(last[0])
        assert job.results() == [1]
    finally:
        job.cancel()
        feed.close()


def test_the_worker_stops_when_this_process_waits_even_with_the_pipe_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is read while this process waits for the renderings: the worker must not block on the pipe."""
    from annotated_edition import prematch

    monkeypatch.setattr(prematch, "PIPE_SIZE", 4096)
    many = {f"p{i}.md": PAGES["page1.md"].replace("page 1", f"page {i}") for i in range(3000)}
    matcher = FormMatcher(Form(entry, form, False) for entry, form in FORMS)
    feed = MatchFeed(matcher, list(many), many.__getitem__, markdown.Markdown)
    job = background.SharedJob([1], lambda chunk: chunk, background=True, then=feed.work_in_worker)
    answers: list[list[int]] = []
    try:
        time.sleep(0.5)   # the worker fills the pipe, which nobody drains
        waiting = threading.Thread(target=lambda: answers.append(job.results()))
        waiting.start()
        waiting.join(10)
        assert not waiting.is_alive(), "the worker kept waiting for room in the pipe"
        assert answers == [[1]]
        assert job.worker_seconds is not None   # the worker answered; nothing was computed again here
    finally:
        job.cancel()   # (unblocks the thread if the worker hung)
        feed.close()


def test_work_after_the_chunks_that_fails_keeps_the_chunks() -> None:
    def fails(parent_waits) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("the extra work fails")

    here = os.getpid()
    job = background.SharedJob([1, 2, 3], lambda chunk: (chunk, os.getpid() == here), background=True, then=fails)
    results = job.results()
    assert [chunk for chunk, _ in results] == [1, 2, 3]
    assert job.worker_seconds is not None   # the worker's answer was used


def test_pages_are_converted_twice_only_with_text_only_extensions_and_a_core_to_spare(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from annotated_edition.prematch import worth_matching_ahead

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert worth_matching_ahead(["toc", "footnotes", "attr_list", "markdown.extensions.tables"], {})
    assert worth_matching_ahead(["pymdownx.superfences"], {"pymdownx.superfences": {}})
    assert not worth_matching_ahead(["toc", "markdown_exec"], {})        # runs code blocks
    assert not worth_matching_ahead(["pymdownx.snippets"], {})            # reads (and may fetch) files
    assert not worth_matching_ahead(["toc", markdown.extensions.toc.TocExtension()], {})  # unknown object
    assert not worth_matching_ahead(["pymdownx.superfences"],
                                    {"pymdownx.superfences": {"custom_fences": [{"name": "python"}]}})
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not worth_matching_ahead(["toc"], {})                           # one core: it would compete


_BUILD_AND_WATCH_THE_EDITION = """
import sys, weakref
from annotated_edition import edition
made = []
original = edition.Edition.__init__
def init(self, *args, **kwargs):
    original(self, *args, **kwargs)
    made.append((weakref.ref(self), self._feed is not None))
edition.Edition.__init__ = init
from mkdocs.commands import build
from mkdocs.config import load_config
build.build(load_config(sys.argv[1]))
(alive, fed), = made
print(fed, alive() is None)
"""


@needs_a_second_core
def test_the_edition_is_freed_when_the_build_lets_go_of_it(tmp_path: Path) -> None:
    """No reference cycle through the worker's work keeps the edition for the collector (or the exit)."""
    made = Edition(tmp_path)
    configure(made, theme="material")
    made.entry("lima", "term: Lima\ndefinition: The capital.\n")
    for name, text in PAGES.items():
        made.write(f"docs/{name}", text)
    made.notes("page3", "- quote: left of Lima, page 3\n  note: N.\n")
    env = {**os.environ, BACKGROUND_SWITCH: "always", "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-c", _BUILD_AND_WATCH_THE_EDITION, str(tmp_path / "mkdocs.yml")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["True", "True"]   # the worker matched ahead, and the edition is gone
