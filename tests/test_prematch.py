"""Pages edited ahead on the render worker (prematch.PageFeed) are edited as this process edits them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as etree
from pathlib import Path

import markdown
import markdown.extensions.toc
import pytest

from annotated_edition import background
from annotated_edition.background import SWITCH as BACKGROUND_SWITCH
from annotated_edition.matcher import Form, FormMatcher
from annotated_edition.model import Note
from annotated_edition.prematch import PageFeed, _Pace
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
MATCHER = FormMatcher(Form(entry, form, False) for entry, form in FORMS)


def _matches_of_every_text(page: str, known: object, root: etree.Element, md: markdown.Markdown) -> dict:
    """A process for the feed's own tests: the matches of every text and tail, by text."""
    return {text: MATCHER.find(text) for element in root.iter() for text in (element.text, element.tail) if text}


def _read(pages: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda page: (pages[page], None)


def _texts(source: str) -> list[str]:
    """Every text and tail of a page's tree, as the build's treeprocessor would meet them."""
    md = markdown.Markdown()
    found: list[str] = []

    class Collect(markdown.treeprocessors.Treeprocessor):
        def run(self, root):  # type: ignore[no-untyped-def]
            found.extend(t for e in root.iter() for t in (e.text, e.tail) if t)

    md.treeprocessors.register(Collect(md), "collect", -10)
    md.convert(source)
    return found


def _feed(pages: dict[str, str], read=None) -> tuple[PageFeed, background.SharedJob]:  # type: ignore[no-untyped-def]
    feed = PageFeed(list(pages), read or _read(pages), markdown.Markdown, _matches_of_every_text)
    job = background.SharedJob([1], lambda chunk: chunk, background=True, then=feed.work_in_worker)
    assert job.in_background
    feed.forked()
    return feed, job


def test_the_worker_sends_what_its_process_gives_for_each_page() -> None:
    feed, job = _feed(PAGES)
    try:
        feed.page_started("page0.md")   # this process is on the first page: the worker takes the rest
        deadline = time.monotonic() + 30
        texts = [text for page in list(PAGES)[1:] for text in _texts(PAGES[page])]
        while any(feed.known(text) is None for text in texts):
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.02)
        for text in texts:
            assert feed.known(text) == MATCHER.find(text), text
        assert any(feed.known(text) for text in texts)   # some texts do hold terms
        assert job.results() == [1]   # the worker stops when asked, and answers
    finally:
        job.cancel()
        feed.close()
    assert feed.known("The caviar left of Lima") is None   # closed: everything is done here


def test_a_frame_larger_than_the_pipe_arrives_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited page can be longer than a pipe holds: the worker writes it in pieces, as room frees."""
    from annotated_edition import prematch

    monkeypatch.setattr(prematch, "PIPE_SIZE", 4096)
    big = {f"p{i}.md": f"Page {i}: " + " ".join(f"word{i}x{n}" for n in range(20_000)) for i in range(3)}
    feed = PageFeed(list(big), _read(big), markdown.Markdown,
                    lambda page, known, root, md: {page: "".join(e.text or "" for e in root.iter()).strip()})
    job = background.SharedJob([1], lambda chunk: chunk, background=True, then=feed.work_in_worker)
    feed.forked()
    try:
        deadline = time.monotonic() + 30
        while feed.known("p2.md") is None:
            assert time.monotonic() < deadline, "the large frames never arrived"
            time.sleep(0.01)
        for page, source in big.items():
            assert feed.known(page) == source   # whole, and in order
            assert len(source.encode()) > 4 * 4096
        assert job.results() == [1]
    finally:
        job.cancel()
        feed.close()


def test_the_worker_starts_only_pages_it_finishes_before_this_process_reaches_them() -> None:
    pace = _Pace()
    assert pace.first_page_in_time(10, now=0.0) == 11   # nothing known yet: the next page
    pace.page_done(0.012)   # the worker takes 12 ms a page
    assert pace.first_page_in_time(10, now=0.001) == 11   # this process's pace is not known yet
    assert pace.first_page_in_time(14, now=0.040) == 14 + 2   # it does a page in 10 ms: 1.3 x 12 / 10 -> 2 ahead
    assert pace.first_page_in_time(34, now=0.080) == 34 + 5   # 24 pages in 80 ms: 1.3 x 12 / 3.3 -> 5 ahead
    slow = _Pace()
    slow.first_page_in_time(0, now=0.0)
    slow.page_done(0.001)
    assert slow.first_page_in_time(1, now=0.1) == 2   # a slow process: the next page is enough


def test_a_page_this_process_has_reached_is_not_edited_ahead() -> None:
    feed = PageFeed(list(PAGES), _read(PAGES), markdown.Markdown, _matches_of_every_text)
    feed.page_started("page11.md")   # the last page, before the worker starts
    job = background.SharedJob([1], lambda chunk: chunk, background=True, then=feed.work_in_worker)
    feed.forked()
    try:
        time.sleep(0.5)
        assert job.results() == [1]
        feed.page_started("page11.md")
        assert all(feed.known(text) is None for page in PAGES for text in _texts(PAGES[page]))
    finally:
        job.cancel()
        feed.close()


@needs_a_second_core
def test_a_page_rewritten_by_another_plugin_links_as_without_a_worker(tmp_path: Path) -> None:
    """The worker reads the files; a plugin changes a page's Markdown: that page is edited here."""

    def build(root: Path, switch: str) -> tuple[dict[str, bytes], str]:
        made = Edition(root)
        configure(made, theme="material", extra="hooks:\n  - rewrite.py\n")
        # Each page takes this process a while: the worker, which reads the files itself, is ahead.
        made.write("rewrite.py", "import time\n"
                                 "def on_page_markdown(markdown, page, config, files):\n"
                                 "    time.sleep(0.05)\n"
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
    # Other pages came from the worker; the rewritten one cannot have (its words are not the file's).
    assert re.search(r"[1-9]\d* pages were edited ahead on the worker", log), log
    assert b"</a>, the capital,, <mark class=\"edition-quote\" data-note=\"n1\">page 3, and the<" in without[
        "page3/index.html"]


@needs_a_second_core
def test_the_worker_edits_each_page_as_this_process_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit from the worker is used only for the very tree and context it was made for, and equals an edit here."""
    from annotated_edition.edition import Edition as BuildEdition
    from annotated_edition.edition import EditionExtension, PageContext
    from annotated_edition.model import Annotations, GlossaryEntry, notes_key
    from annotated_edition.render import SnippetRenderer

    monkeypatch.setenv(BACKGROUND_SWITCH, "always")
    # Other tests' servers may still run threads here; this test's work is fork-safe.
    monkeypatch.setattr(background, "possible", lambda: True)
    notes = {notes_key(page): [Note(id="n1", quote=f"left of Lima, page {index}", note="N.",
                                    path=f"notes/{page}", line=1, column=1)] for index, page in enumerate(PAGES)}
    notes["page5.md"].append(Note(id="n2", quote="not on the page", note="N.", path="notes/page5.md", line=3,
                                  column=1))
    entries = {"lima": GlossaryEntry(id="lima", term="Lima", definition="The capital.", forms=("Lima",),
                                     path="glossary/lima.yml"),
               "cholo": GlossaryEntry(id="cholo", term="cholo", definition="A word.", forms=("cholo", "cholos"),
                                      link="all", path="glossary/cholo.yml")}

    def context(page: str, href: str = "glossary/", numbers: bool = True) -> PageContext:
        return PageContext(src_path=notes_key(page), glossary_href=href, paragraph_numbers=numbers,
                           notes=notes.get(notes_key(page), ()))

    edition = BuildEdition(Annotations(entries=entries, notes=notes), SnippetRenderer([], {}),
                           pages=list(PAGES), read_page=lambda page: (PAGES[page], context(page)))
    assert edition.renders_in_background
    extension = EditionExtension(edition)

    def convert(source: str, page: PageContext) -> tuple[str, PageContext]:
        extension.start_page(page)
        return markdown.Markdown(extensions=["attr_list", extension]).convert(source), page

    def edited_here(source: str, page: PageContext) -> tuple[str, PageContext]:
        with monkeypatch.context() as patched:
            patched.setattr(edition, "edited_ahead", lambda *args: False)
            return convert(source, page)

    def outcome(made: tuple[str, PageContext]) -> tuple[object, ...]:
        html, page = made
        return html, page.occurrences, page.anchored, page.problems

    try:
        edition.page_started("page0.md")   # this process is on the first page: the worker takes the rest
        deadline = time.monotonic() + 30
        for page in [p for p in list(PAGES)[1:] if p != "page5.md"]:
            while True:   # the same page, converted until the worker's edit has arrived and is used
                before = edition.pages_ahead
                # Another conversion with the page's context first (a hook rendering a summary):
                # it is not the page, and leaves the page's edit for the page.
                convert("A word on Lima, elsewhere.", context(page))
                assert edition.pages_ahead == before
                ahead = convert(PAGES[page], context(page))
                if edition.pages_ahead == before + 1:
                    break
                assert time.monotonic() < deadline, f"no edit arrived for {page}"
                time.sleep(0.02)
            assert outcome(ahead) == outcome(edited_here(PAGES[page], context(page))), page
            assert "edition-quote" in ahead[0] and 'href="glossary/#lima"' in ahead[0]
        # Not used: for another tree, for another context, or where the worker's edit found a problem.
        for source, page in [(PAGES["page3.md"].replace("Lima", "Lima, the capital,"), context("page3.md")),
                             (PAGES["page4.md"], context("page4.md", href="../glossary/")),
                             (PAGES["page6.md"], context("page6.md", numbers=False)),
                             (PAGES["page5.md"], context("page5.md"))]:
            before = edition.pages_ahead
            made = convert(source, page)
            assert edition.pages_ahead == before, page.src_path
            assert outcome(made) == outcome(edited_here(source, context(page.src_path, page.glossary_href,
                                                                           page.paragraph_numbers)))
        # The problem is reported from this process's own edit.
        assert [problem.line for problem in convert(PAGES["page5.md"], context("page5.md"))[1].problems] == [3]
    finally:
        edition.cancel()


def test_a_page_the_worker_cannot_read_is_left_to_this_process() -> None:
    def read(page: str) -> tuple[str, None]:
        if page == "page1.md":
            raise OSError("gone")
        return PAGES[page], None

    feed, job = _feed(PAGES, read)
    try:
        time.sleep(0.5)
        feed.page_started("page0.md")
        assert all(feed.known(text) is None for text in _texts(PAGES["page1.md"]) if text not in
                   {t for page in list(PAGES)[2:] for t in _texts(PAGES[page])})
        assert feed.known(_texts(PAGES["page2.md"])[1]) == MATCHER.find(_texts(PAGES["page2.md"])[1])
        assert job.results() == [1]
    finally:
        job.cancel()
        feed.close()


def test_a_worker_far_ahead_waits_for_room_instead_of_stopping(monkeypatch: pytest.MonkeyPatch) -> None:
    from annotated_edition import prematch

    monkeypatch.setattr(prematch, "PIPE_SIZE", 4096)   # one page's frames at a time
    many = {f"p{i}.md": PAGES["page1.md"].replace("page 1", f"page {i}") for i in range(80)}
    feed, job = _feed(many)
    try:
        last = [t for t in _texts(many["p79.md"]) if "page 79" in t]
        deadline = time.monotonic() + 60
        while feed.known(last[0]) is None:   # the last page's own text arrives, through a pipe of one page
            assert time.monotonic() < deadline, "the worker stopped when the pipe was full"
            time.sleep(0.01)
            feed.page_started("p0.md")
        assert feed.known(last[0]) == MATCHER.find(last[0])
        assert job.results() == [1]
    finally:
        job.cancel()
        feed.close()


def test_the_worker_stops_when_this_process_waits_even_with_the_pipe_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is read while this process waits for the renderings: the worker must not block on the pipe."""
    from annotated_edition import prematch

    monkeypatch.setattr(prematch, "PIPE_SIZE", 4096)
    many = {f"p{i}.md": PAGES["page1.md"].replace("page 1", f"page {i}") for i in range(3000)}
    feed, job = _feed(many)
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
    from annotated_edition.prematch import worth_converting_twice

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert worth_converting_twice(["toc", "footnotes", "attr_list", "markdown.extensions.tables"], {})
    assert worth_converting_twice(["pymdownx.superfences"], {"pymdownx.superfences": {}})
    assert not worth_converting_twice(["toc", "markdown_exec"], {})        # runs code blocks
    assert not worth_converting_twice(["pymdownx.snippets"], {})            # reads (and may fetch) files
    assert not worth_converting_twice(["toc", markdown.extensions.toc.TocExtension()], {})  # unknown object
    assert not worth_converting_twice(["pymdownx.superfences"],
                                    {"pymdownx.superfences": {"custom_fences": [{"name": "python"}]}})
    # The same, handed on by pymdownx.extra; and inlinehilite's custom inline blocks.
    assert not worth_converting_twice(["pymdownx.extra"], {"pymdownx.extra": {
        "pymdownx.superfences": {"custom_fences": [{"name": "python"}]}}})
    assert not worth_converting_twice(["pymdownx.inlinehilite"], {"pymdownx.inlinehilite": {
        "custom_inline": [{"name": "math"}]}})
    assert worth_converting_twice(["pymdownx.extra"], {"pymdownx.extra": {"pymdownx.superfences": {}}})
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not worth_converting_twice(["toc"], {})                           # one core: it would compete


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
