"""Rendering definitions and notes in a forked worker (render.RenderJob) gives what rendering here gives."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from annotated_edition import ablation, background, render
from annotated_edition.ablation import SWITCH as ABLATION_SWITCH
from annotated_edition.background import SWITCH as BACKGROUND_SWITCH
from annotated_edition.background import possible as background_possible
from annotated_edition.render import Rendered, RenderJob, SnippetRenderer
from editions import FORKS_WORKERS, Edition, as_a_lone_build, configure

EXTENSIONS = ["footnotes", "attr_list", "abbr"]
SNIPPETS = [
    "A plain definition.",
    "A *charged* word, with **strong** emphasis.",
    "See [the report](https://example.org/report) for more.",
    "Safe text <script>alert(1)</script> after it.",
    "A claim[^1] with its footnote.\n\n[^1]: The footnote's text.",
    "See [the archive][arch].\n\n[arch]: https://example.org/archive",
    "Another *plain* one.",
    "A plain definition.",   # the same text twice
]
TEST_PID = os.getpid()
can_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="a worker needs os.fork")


@pytest.fixture(autouse=True)
def _empty_cache_and_no_leftovers() -> Iterator[None]:
    """Each test starts without cached renderings; none may leave the collector frozen or off."""
    render._CACHE.clear()
    yield
    render._CACHE.clear()
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def inline(snippets: Sequence[str]) -> list[Rendered]:
    """The snippets rendered in this process by a fresh renderer, with nothing cached."""
    render._CACHE.clear()
    result = SnippetRenderer(EXTENSIONS, {}).render(snippets)
    render._CACHE.clear()
    return result


class CountingRenderer(SnippetRenderer):
    """Counts the calls to `render` made in the test's own process (a forked worker counts in its copy)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.calls_here = 0

    def render(self, snippets: Sequence[str]) -> list[Rendered]:
        if os.getpid() == TEST_PID:
            self.calls_here += 1
        return super().render(snippets)


class FailingInWorker(SnippetRenderer):
    """Renders normally here, raises in a forked worker."""

    def render(self, snippets: Sequence[str]) -> list[Rendered]:
        if os.getpid() != TEST_PID:
            raise RuntimeError("the worker fails")
        return super().render(snippets)


class SlowInWorker(SnippetRenderer):
    """Renders normally here; in a forked worker, takes far longer than any test may wait."""

    def render(self, snippets: Sequence[str]) -> list[Rendered]:
        if os.getpid() != TEST_PID:
            time.sleep(120)
        return super().render(snippets)


def test_snippets_are_chosen_to_cover_each_rendering_path() -> None:
    expected = inline(SNIPPETS)
    assert expected[3].removed == ("<script> with its content",) and "alert" not in expected[3].html
    assert "<em>charged</em>" in expected[1].html and 'href="https://example.org/report"' in expected[2].html
    assert "The footnote's text." in expected[4].text
    assert 'href="https://example.org/archive"' in expected[5].html and "[arch]" not in expected[5].text


def test_a_worker_renders_what_this_process_renders() -> None:
    expected = inline(SNIPPETS)
    renderer = CountingRenderer(EXTENSIONS, {})
    job = RenderJob(renderer, SNIPPETS, background=True)
    started_in_background = job.in_background
    time.sleep(1)   # the worker's few milliseconds of work are over: nothing is left to take over here
    assert job.result() == expected
    assert job.result() == expected   # asked again: the same answer
    # What the worker rendered is kept for the next build of this process.
    assert [renderer.cached(snippet) for snippet in SNIPPETS] == expected
    # Asked for explicitly, a worker is forked wherever os.fork exists (even beside other threads).
    assert started_in_background is hasattr(os, "fork")
    if started_in_background:
        assert renderer.calls_here == 0 and job.chunks_taken_over == 0   # the worker's result was used


def test_a_payload_larger_than_the_pipe_buffer_arrives_whole() -> None:
    """The worker's answer (here some hundreds of kilobytes) fills the pipe many times over."""
    snippets = [f"Entry number {i}: a *definition* long enough to make the answer weigh something, "
                f"with [a link](https://example.org/{i}) and **emphasis** {i * 7}." for i in range(1500)]
    expected = inline(snippets)
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the worker's answer never arrived"))
    signal.alarm(60)
    try:
        renderer = CountingRenderer(EXTENSIONS, {})
        job = RenderJob(renderer, snippets, background=True)
        assert job.result() == expected
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if job.in_background:   # what the worker had not reached was rendered here, and only that
        assert renderer.calls_here == job.chunks_taken_over < len(snippets) // render.CHUNK + 1


class SlowerInWorker(CountingRenderer):
    """Renders normally here; in a forked worker, a third of a second per chunk."""

    def render(self, snippets: Sequence[str]) -> list[Rendered]:
        if os.getpid() != TEST_PID:
            time.sleep(0.3)
        return super().render(snippets)


@can_fork
def test_this_process_takes_over_what_a_slow_worker_has_not_reached() -> None:
    snippets = [f"Definition {i}, with *emphasis*." for i in range(6 * render.CHUNK)]
    expected = inline(snippets)
    renderer = SlowerInWorker(EXTENSIONS, {})
    job = RenderJob(renderer, snippets, background=True)
    started = time.monotonic()
    assert job.result() == expected
    # Alone, the worker would take 1.8 s; it renders the first chunk or two, this process the rest.
    assert time.monotonic() - started < 1.2
    assert job.chunks_taken_over >= 4 and renderer.calls_here == job.chunks_taken_over
    assert [renderer.cached(snippet) for snippet in snippets] == expected


class RecordingRenderer(SnippetRenderer):
    """Records every snippet it is asked to render, in this process."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.asked: list[str] = []

    def render(self, snippets: Sequence[str]) -> list[Rendered]:
        self.asked += snippets
        return super().render(snippets)


def test_a_text_given_twice_is_rendered_once() -> None:
    """Notes often say the same thing: each copy gets the one rendering."""
    snippets = [SNIPPETS[1], SNIPPETS[2], SNIPPETS[1], SNIPPETS[1], SNIPPETS[2]]
    renderer = RecordingRenderer(EXTENSIONS, {})
    job = RenderJob(renderer, snippets, background=False)
    assert job.result() == inline(snippets)
    assert sorted(renderer.asked) == sorted([SNIPPETS[1], SNIPPETS[2]])


def test_snippets_rendered_by_an_earlier_job_are_never_sent_to_a_worker() -> None:
    first = RenderJob(SnippetRenderer(EXTENSIONS, {}), SNIPPETS, background=True)
    expected = first.result()
    again = RenderJob(CountingRenderer(EXTENSIONS, {}), SNIPPETS, background=True)
    assert not again.in_background
    assert again.result() == expected


@can_fork
def test_a_failing_worker_falls_back_to_rendering_here() -> None:
    expected = inline(SNIPPETS)
    job = RenderJob(FailingInWorker(EXTENSIONS, {}), SNIPPETS, background=True)
    assert job.in_background   # the worker was started (and will fail)
    assert job.result() == expected
    assert gc.get_freeze_count() == 0


def _reap(pid: int) -> None:
    """Whatever a failed assertion left: no worker outlives its test."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


@can_fork
def test_cancel_stops_the_worker_and_unfreezes_the_collector() -> None:
    expected = inline(SNIPPETS)
    job = RenderJob(SlowInWorker(EXTENSIONS, {}), SNIPPETS, background=True)
    assert job._job._worker is not None
    pid, read_end = job._job._worker.pid, job._job._worker._read_end
    try:
        assert gc.get_freeze_count() > 0   # frozen while the worker shares this process's memory
        started = time.monotonic()
        job.cancel()
        assert time.monotonic() - started < 10   # killed, not waited for
        with pytest.raises(OSError):
            os.fstat(read_end)   # the pipe is closed
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)      # killed and reaped: no such process any more
        assert gc.get_freeze_count() == 0 and gc.isenabled()
        job.cancel()   # twice is harmless
        # A result asked for after all is rendered here.
        assert job.result() == expected
        assert gc.get_freeze_count() == 0 and gc.isenabled()
    finally:
        _reap(pid)


@can_fork
def test_a_job_dropped_unfinished_stops_its_worker_and_unfreezes_the_collector() -> None:
    """An interrupted build drops its job without result() or cancel(): nothing may be left behind."""
    job = RenderJob(SlowInWorker(EXTENSIONS, {}), SNIPPETS, background=True)
    assert job._job._worker is not None
    pid = job._job._worker.pid
    try:
        assert gc.get_freeze_count() > 0
        del job
        gc.collect()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert gc.get_freeze_count() == 0 and gc.isenabled()
    finally:
        _reap(pid)


def test_the_switch_turns_workers_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "BACKGROUND_MINIMUM", 0)
    monkeypatch.setenv(BACKGROUND_SWITCH, "0")
    assert background_possible() is False
    job = RenderJob(CountingRenderer(EXTENSIONS, {}), SNIPPETS)
    assert not job.in_background
    assert job.result() == inline(SNIPPETS)


@pytest.mark.skipif(not (sys.platform.startswith("linux") and hasattr(os, "fork")), reason="workers are Linux-only")
def test_a_worker_is_forked_only_from_a_single_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BACKGROUND_SWITCH, raising=False)
    as_a_lone_build(monkeypatch)
    assert background_possible() is True
    monkeypatch.setenv(BACKGROUND_SWITCH, "always")
    assert background_possible() is True
    monkeypatch.setattr(background.threading, "active_count", lambda: 2)   # `mkdocs serve` rebuilding
    assert background_possible() is False


# -- a whole build, with and without a worker ------------------------------------

PAGE = """\
# Home

The cholo said that the *caviar* left had won. A [link](https://example.org) and Lima.

The cholos met again; a passage here, and a third passage. The <b>caviar</b> of Lima[^1].

[^1]: A footnote on the cholo.
"""
NOTES = """\
- quote: a passage here
  note: Checked against *a source*, see [the report](https://example.org/report).
  sources:
    - title: A report on mining
- quote: a third passage
  type: translation
  note: In Spanish, *gesta*.
"""
ENTRIES = {
    "cholo": "term: cholo\nlang: es\nforms: [cholos]\ndefinition: A *charged* word. Second sentence.\n",
    "caviar": "term: caviar\ndefinition: The affluent left, said [with irony](https://example.org/c).\n",
    "lima": "term: Lima\ndefinition: The capital, on the *Rímac* river.\n",
}
BUILT = ("index.html", "other/index.html", "glossary/index.html", "search/search_index.json",
         "annotations.jsonld", "glossary.jsonld")


def _build(root: Path, switch: str, off: str = "") -> tuple[dict[str, bytes], str]:
    """Build a small edition with `mkdocs build -v` in a fresh process, the worker switch set as given.

    A fresh process: the test process may run other threads (the browser tests' server), and a
    build never forks beside other threads.  ``off``: the mechanisms switched off (ablation.py).
    """
    made = Edition(root)
    configure(made, theme="material")   # with the search plugin (editions.BASIC_CONFIG)
    made.write("docs/index.md", PAGE)
    made.write("docs/other.md", "# Other\n\nOnly Lima and a cholo here.\n")
    for entry_id, text in ENTRIES.items():
        made.entry(entry_id, text)
    made.notes("index", NOTES)
    env = {**os.environ, BACKGROUND_SWITCH: switch, "NO_MKDOCS_2_WARNING": "1", ABLATION_SWITCH: off}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-v", "-f", str(root / "mkdocs.yml")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    site = root / "site"
    return {path: (site / path).read_bytes() for path in BUILT}, run.stderr + run.stdout


@pytest.mark.skipif(not FORKS_WORKERS, reason="builds fork a worker on Linux only, with a second core")
def test_a_build_with_a_worker_equals_a_build_without(tmp_path: Path) -> None:
    without, log_without = _build(tmp_path / "without", "0")
    with_worker, log_with = _build(tmp_path / "with", "always")   # the small edition gets a worker too
    started = "rendering definitions and notes on a worker process"
    assert started not in log_without
    assert started in log_with

    for path in BUILT:
        assert with_worker[path] == without[path], path
    # The pages hold what was rendered (by the worker, in the second build).
    home = without["index.html"].decode()
    assert "Checked against <em>a source</em>" in home and 'title="A charged word."' in home
    assert "The capital, on the <em>Rímac</em> river." in without["glossary/index.html"].decode()


@pytest.fixture(scope="module")
def every_mechanism_on(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The small edition built with workers however little the work, every mechanism on."""
    return _build(tmp_path_factory.mktemp("on"), "always")[0]


# The EPUB's worker is compared with the build's process in test_epub.py (same bytes).
@pytest.mark.parametrize("mechanism", [name for name in ablation.MECHANISMS if name != "epub-worker"])
def test_a_mechanism_switched_off_builds_the_same_site(tmp_path: Path, every_mechanism_on: dict[str, bytes],
                                                       mechanism: str) -> None:
    """The benchmark's ablation measures the same work without one mechanism: the files must not differ.

    Except what the mechanism is: without its lean view, search indexes the pages' apparatus too.
    """
    built, _ = _build(tmp_path, "always", off=mechanism)
    differs = {"search/search_index.json"} if mechanism == "search-view" else set()
    for path in BUILT:
        assert (built[path] == every_mechanism_on[path]) != (path in differs), path


def test_an_in_process_build_leaves_the_collector_as_it_found_it(tmp_path: Path) -> None:
    made = Edition(tmp_path)
    configure(made, theme="material")
    made.write("docs/index.md", PAGE)
    for entry_id, text in ENTRIES.items():
        made.entry(entry_id, text)
    made.notes("index", NOTES)
    result = made.build()
    assert not result.failed, result.messages
    assert gc.isenabled() and gc.get_freeze_count() == 0


class FailingHereSlowThere(SnippetRenderer):
    """Slow in the worker; raises in this process, on a snippet that says so."""

    def render(self, snippets: Sequence[str]) -> list[Rendered]:
        if os.getpid() != TEST_PID:
            time.sleep(0.5)
        elif any("BOOM" in snippet for snippet in snippets):
            raise RuntimeError("an extension failed")
        return super().render(snippets)


@can_fork
def test_a_failure_while_taking_over_leaves_no_worker_behind() -> None:
    snippets = [f"Definition {i}." for i in range(3 * render.CHUNK)] + ["BOOM"]
    job = RenderJob(FailingHereSlowThere(EXTENSIONS, {}), snippets, background=True)
    assert job._job._worker is not None
    pid = job._job._worker.pid
    try:
        with pytest.raises(RuntimeError, match="an extension failed") as caught:
            job.result()
        # Even while the failure's traceback (and every frame in it) is still held, as a caller may:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert gc.get_freeze_count() == 0 and gc.isenabled()
        assert caught.traceback
    finally:
        _reap(pid)


@pytest.mark.skipif(not (sys.platform.startswith("linux") and hasattr(os, "fork")), reason="workers are Linux-only")
def test_a_build_that_fails_before_its_annotations_are_needed_stops_the_reading_worker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading starts in on_pre_build on a worker; a build failing before on_files leaves nothing behind."""
    monkeypatch.setenv(BACKGROUND_SWITCH, "always")
    as_a_lone_build(monkeypatch)
    started: list[background.Worker] = []
    start = background.Worker.start

    def spy(compute):  # type: ignore[no-untyped-def]
        worker = start(compute)
        if worker is not None:
            started.append(worker)
        return worker

    monkeypatch.setattr(background.Worker, "start", staticmethod(spy))
    made = Edition(tmp_path)
    configure(made, theme="material", extra="hooks:\n  - failing_hook.py\n")
    made.write("failing_hook.py", "from mkdocs.exceptions import PluginError\n"
                                  "from mkdocs.plugins import event_priority\n\n\n"
                                  "@event_priority(100)  # before the plugin's on_files\n"
                                  "def on_files(files, config):\n    raise PluginError('the hook fails')\n")
    made.write("docs/index.md", PAGE)
    for entry_id, text in ENTRIES.items():
        made.entry(entry_id, text)
    made.notes("index", NOTES)
    result = made.build()
    assert result.failed and "BuildError" in result.error
    assert len(started) == 1   # the reading worker, started in on_pre_build; rendering never started
    with pytest.raises(ProcessLookupError):
        os.kill(started[0].pid, 0)   # stopped and reaped
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.parametrize("switch", ["0", "always"])
def test_annotation_files_a_hook_writes_before_the_build_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    switch: str) -> None:
    """Reading starts last in on_pre_build: a generator hook's files are read, with a worker or without."""
    monkeypatch.setenv(BACKGROUND_SWITCH, switch)
    as_a_lone_build(monkeypatch)
    made = Edition(tmp_path)
    configure(made, theme="material", extra="hooks:\n  - generator.py\n")
    made.write("generator.py", "from pathlib import Path\n\n\n"
                               "def on_pre_build(config):\n"
                               "    glossary = Path(config.config_file_path).parent / 'annotations' / 'glossary'\n"
                               "    (glossary / 'generated.yml').write_text('term: Generated\\n"
                               "definition: Written by a hook.\\n', encoding='utf-8')\n")
    made.write("docs/index.md", PAGE + "\nA Generated word.\n")
    for entry_id, text in ENTRIES.items():
        made.entry(entry_id, text)
    made.notes("index", NOTES)
    result = made.build()
    assert not result.failed, result.messages
    glossary = (result.site / "glossary" / "index.html").read_text(encoding="utf-8")
    assert 'id="generated"' in glossary and "Written by a hook." in glossary
    assert 'data-term="generated"' in (result.site / "index.html").read_text(encoding="utf-8")
