"""Pages converted and edited ahead of time, on the worker, for this process to take over.

The render worker (:class:`~.render.RenderJob`) is idle once the definitions
and notes are rendered, while this process still converts pages.  So it goes
on converting the pages' Markdown itself, ahead of this process, runs on
each tree what the edition's treeprocessor would run (``process``), and
sends what that gave, with all that it read of the tree it started from.
The treeprocessor then applies the outcome instead of doing the work.

Nothing depends on the worker's guess of a page being right: a tree that is
not exactly the one the worker started from (a page another plugin
rewrote, an extension that behaves differently, a page the worker did not
reach) is edited here, as it always was.  The outcome depends on that tree
alone, so a tree found is the answer.

Converting a page twice is only harmless where the conversion does nothing
but turn text into HTML, and only worth it with a core to spare: see
:func:`worth_converting_twice`.
"""

from __future__ import annotations

import logging
import math
import mmap
import os
import pickle
import struct
import time
import xml.etree.ElementTree as etree
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no worker, no feed
    fcntl = None  # type: ignore[assignment]

import markdown
from markdown.treeprocessors import Treeprocessor


_FRAME = struct.Struct("I")  # the length of each pickled frame that follows in the pipe
_PAGE_AT = struct.Struct("q")  # in the shared map: the page this process converts now
PIPE_SIZE = 1 << 20

# Extensions that only turn Markdown into HTML: no files written, nothing fetched, no code run.
# A site with any other (an Extension object a plugin added, markdown-exec, plantuml, snippets), or
# with one given code of its own to run (USER_CODE_OPTIONS), never has its pages converted a second time.
PURE_EXTENSIONS = frozenset({
    "abbr", "admonition", "attr_list", "codehilite", "def_list", "extra", "fenced_code", "footnotes",
    "legacy_attrs", "legacy_em", "md_in_html", "meta", "nl2br", "sane_lists", "smarty", "tables", "toc",
    "wikilinks",
    "pymdownx.arithmatex", "pymdownx.betterem", "pymdownx.caret", "pymdownx.critic", "pymdownx.details",
    "pymdownx.emoji", "pymdownx.escapeall", "pymdownx.extra", "pymdownx.highlight", "pymdownx.inlinehilite",
    "pymdownx.keys", "pymdownx.magiclink", "pymdownx.mark", "pymdownx.progressbar", "pymdownx.saneheaders",
    "pymdownx.smartsymbols", "pymdownx.superfences", "pymdownx.tabbed", "pymdownx.tasklist", "pymdownx.tilde",
    "material.extensions.emoji",
})


# Options that hand an extension the site's own code to run (superfences' custom fences, inlinehilite's
# custom inline blocks), at any depth: pymdownx.extra passes its options on to superfences.
USER_CODE_OPTIONS = frozenset({"custom_fences", "custom_inline"})


def worth_converting_twice(extensions: Sequence[Any], configs: dict[str, Any]) -> bool:
    """Whether the worker may convert the site's pages a second time, and whether it would pay.

    Only with a core to spare (on one core the second conversion competes
    with the build), and only if every Markdown extension of the site is one
    of :data:`PURE_EXTENSIONS`, none of them given code of the site's own to
    run (:data:`USER_CODE_OPTIONS`), which may do anything.
    """
    from .collector import switched_off
    if switched_off("page-worker"):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux: no worker anyway
        cores = os.cpu_count() or 1
    if cores < 2:
        return False
    for extension in extensions:
        if not isinstance(extension, str):
            return False
        name = extension.removeprefix("markdown.extensions.")
        if name not in PURE_EXTENSIONS or _runs_user_code(configs.get(extension)):
            return False
    return True


def _runs_user_code(options: object) -> bool:
    """Whether an extension's options (nested dicts and lists) give it code of the site's own to run."""
    if isinstance(options, dict):
        return any((key in USER_CODE_OPTIONS and value) or _runs_user_code(value) for key, value in options.items())
    if isinstance(options, (list, tuple)):
        return any(_runs_user_code(value) for value in options)
    return False


class PageFeed:
    """What ``process`` gives for each of ``pages``, computed by the worker and received here page by page.

    ``read_page(page)`` gives a page's Markdown as the build converts it
    (front matter removed) and what ``process`` needs to know of the page;
    ``new_markdown()`` a Markdown instance with the site's extensions;
    ``process(page, known_of_page, root, md)``, run on each converted page's
    tree in the worker, returns what to send, by key (this process reads it
    with :meth:`known`).  Made before the worker is forked;
    :meth:`work_in_worker` is the worker's part, the other methods this
    process's.
    """

    def __init__(self, pages: Sequence[str], read_page: Callable[[str], tuple[str, Any]],
                 new_markdown: Callable[[], markdown.Markdown],
                 process: Callable[[str, Any, etree.Element, markdown.Markdown], dict[Any, Any]]) -> None:
        self._process: Callable[[str, Any, etree.Element, markdown.Markdown], dict[Any, Any]] | None = process
        self._pages = list(pages)
        self._index = {page: index for index, page in enumerate(self._pages)}
        self._read_page: Callable[[str], tuple[str, Any]] | None = read_page
        self._new_markdown: Callable[[], markdown.Markdown] | None = new_markdown
        self._known: dict[Any, Any] = {}
        self._buffer = b""
        self._read_end: int | None = None
        self._write_end: int | None = None
        self._parent_waits: Callable[[], bool] = lambda: True  # the worker's, once it works
        try:
            self._page_at = mmap.mmap(-1, _PAGE_AT.size)
            self._read_end, self._write_end = os.pipe()
            os.set_blocking(self._read_end, False)
        except OSError:  # nothing to feed through: every page is edited here
            self.close()
            return
        try:  # room for a book's pages ahead (Linux lets a process grow its pipes to 1 MiB)
            fcntl.fcntl(self._write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except (AttributeError, OSError):
            pass  # no fcntl, or a refusal: the default size (64 KiB); the worker waits while it is full
        _PAGE_AT.pack_into(self._page_at, 0, -1)

    # -- this process ----------------------------------------------------------

    def forked(self) -> None:
        """The worker has its end of the pipe: this process keeps only the reading end.

        And lets go of what only the worker uses (what it refers to, such as
        the pages' files, need not live as long as the feed here).
        """
        self._process = self._read_page = self._new_markdown = None
        if self._write_end is not None:
            try:
                os.close(self._write_end)
            except OSError:
                pass
            self._write_end = None

    def page_started(self, page: str) -> None:
        """This process starts converting ``page``: the worker skips it and those before it."""
        index = self._index.get(page)
        if self._read_end is not None and index is not None:
            _PAGE_AT.pack_into(self._page_at, 0, index)
        self._receive()

    def known(self, key: object) -> Any | None:
        """What the worker sent under ``key`` (see ``process``), else None.

        Takes in what has arrived since the page started, if ``key`` is not there yet.
        """
        found = self._known.get(key)
        if found is None and self._read_end is not None:
            self._receive()
            found = self._known.get(key)
        return found

    def forget(self, key: object) -> None:
        """Let go of what was sent under ``key`` (a page's outcome is used once)."""
        self._known.pop(key, None)

    def _receive(self) -> None:
        """Take in every whole frame the worker has sent so far, without waiting."""
        if self._read_end is None:
            return
        chunks = [self._buffer]
        while True:
            try:
                chunk = os.read(self._read_end, 1 << 18)
            except BlockingIOError:
                break
            except OSError:
                self.close()
                return
            if not chunk:
                break
            chunks.append(chunk)
        data = b"".join(chunks)
        view = memoryview(data)  # frames unpickled in place, not copied out first
        offset = 0
        while offset + _FRAME.size <= len(data):
            (size,) = _FRAME.unpack_from(data, offset)
            if offset + _FRAME.size + size > len(data):
                break
            found = pickle.loads(view[offset + _FRAME.size:offset + _FRAME.size + size])  # noqa: S301 - our child
            self._known.update(found)
            offset += _FRAME.size + size
        self._buffer = data[offset:]

    def close(self) -> None:
        """This process is done with the feed (or it could not be set up)."""
        for name in ("_read_end", "_write_end"):
            end = getattr(self, name)
            if end is not None:
                setattr(self, name, None)
                try:
                    os.close(end)
                except OSError:
                    pass
        self._known = {}
        self._process = self._read_page = self._new_markdown = None
        page_at = getattr(self, "_page_at", None)
        if page_at is not None and not page_at.closed:
            page_at.close()

    # -- the worker ----------------------------------------------------------

    def work_in_worker(self, parent_waits: Callable[[], bool]) -> None:
        """In the worker, after rendering: convert and process the pages ahead of this process, send the outcomes.

        Stops at the last page, or when the parent waits for the worker's answer.
        """
        if self._write_end is None or self._read_end is None or self._process is None:
            return
        assert self._read_page is not None and self._new_markdown is not None
        os.close(self._read_end)
        os.set_blocking(self._write_end, False)
        self._parent_waits = parent_waits
        logging.disable(logging.CRITICAL)  # the build's process reports what the pages say, once
        md = self._new_markdown()
        recorder = _Recorder(md, self._process)
        md.treeprocessors.register(recorder, "annotated_edition_ahead", -10)
        index = 0
        pace = _Pace()
        while index < len(self._pages) and not parent_waits():
            # A page is worth starting only if it is done before this process reaches it.
            index = max(index, pace.first_page_in_time(_PAGE_AT.unpack_from(self._page_at, 0)[0],
                                                       time.perf_counter()))
            if index >= len(self._pages):
                break
            started = time.perf_counter()
            recorder.found = {}
            recorder.page = self._pages[index]
            try:
                source, recorder.known_of_page = self._read_page(self._pages[index])
                md.reset()
                md.convert(source)
            except _TreeDone:  # the recorder has what it needs: no HTML to write
                pass
            except Exception:  # noqa: BLE001 - this page is edited in the build's process instead
                index += 1
                continue
            frame = pickle.dumps(recorder.found, protocol=pickle.HIGHEST_PROTOCOL) if recorder.found else b""
            pace.page_done(time.perf_counter() - started)  # (not the wait for room in the pipe)
            if frame and not self._write(_FRAME.pack(len(frame)) + frame):
                break
            index += 1
        os.close(self._write_end)

    def _write(self, frame: bytes) -> bool:
        """Write one frame, waiting while the pipe is full; False if the parent stopped reading.

        A frame may be longer than a pipe takes in one write: this process
        keeps what it has of a frame until the rest arrives (see :meth:`_receive`).
        """
        assert self._write_end is not None
        rest = memoryview(frame)
        while rest:
            try:
                rest = rest[os.write(self._write_end, rest):]
            except BlockingIOError:  # far enough ahead: wait for the parent to read, unless it waits for us
                if self._parent_waits():
                    return False
                time.sleep(0.005)
            except OSError:  # the parent has closed its end
                return False
        return True


class _Pace:
    """The worker's pace and this process's, to start only pages the worker finishes first.

    Where the two are close (a worker page converts and edits what this
    process converts and edits), starting just ahead of this process is a
    race the worker loses half the time: its outcome arrives once the page
    is done here.  So the worker starts as many pages ahead as this process
    converts, at its recent pace, while the worker does one, and a margin.
    """

    MARGIN = 1.3
    WINDOW = 8  # this process's recent pages, for its pace

    def __init__(self) -> None:
        self._own: float | None = None  # seconds per page, recent pages weighing more
        self._seen: deque[tuple[float, int]] = deque(maxlen=self.WINDOW)  # (when, the page this process was on)

    def page_done(self, seconds: float) -> None:
        """The worker took ``seconds`` over its last page."""
        self._own = seconds if self._own is None else 0.7 * self._own + 0.3 * seconds

    def first_page_in_time(self, parent_at: int, now: float) -> int:
        """The first page this process will reach after the worker has done it.

        ``parent_at`` is the page this process is on at ``now`` (seconds).
        Until both paces are known, the page after this process's.
        """
        if not self._seen or self._seen[-1][1] != parent_at:
            self._seen.append((now, parent_at))
        first = parent_at + 1
        since, then_at = self._seen[0]
        if self._own is None or parent_at <= then_at:
            return first
        parents_seconds = max(now - since, 1e-6) / (parent_at - then_at)
        return parent_at + max(1, math.ceil(self.MARGIN * self._own / parents_seconds))


class _TreeDone(Exception):
    """Raised by the recorder once it has the tree's outcome: the worker never serializes the page."""


class _Recorder(Treeprocessor):
    """Runs ``process`` on a converted page's tree (in the worker), and keeps what it gives."""

    def __init__(self, md: markdown.Markdown,
                 process: Callable[[str, Any, etree.Element, markdown.Markdown], dict[Any, Any]]) -> None:
        super().__init__(md)
        self.process = process
        self.page = ""
        self.known_of_page: Any = None
        self.found: dict[Any, Any] = {}

    def run(self, root: etree.Element) -> Any:
        self.found = self.process(self.page, self.known_of_page, root, self.md)
        raise _TreeDone
