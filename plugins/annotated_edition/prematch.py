"""Term matches found ahead of time, on the worker, for the pages this process is about to convert.

The render worker (:class:`~.render.RenderJob`) is idle once the definitions
and notes are rendered, while this process still converts pages.  So it goes
on converting the pages' Markdown itself, ahead of this process, finds the
glossary forms in every text of their trees, and sends what it found back,
keyed by the text itself.  The treeprocessor then looks a text's matches up
instead of scanning it.

Nothing depends on the worker's guess of a page being right: a text that is
not in what arrived (a page another plugin rewrote, an extension that behaves
differently, a page the worker did not reach) is scanned here, as it always
was.  Matches depend on the text alone, so a text found is the answer.

Converting a page twice is only harmless where the conversion does nothing
but turn text into HTML, and only worth it with a core to spare: see
:func:`worth_matching_ahead`.
"""

from __future__ import annotations

import logging
import mmap
import os
import pickle
import select
import struct
import time
import xml.etree.ElementTree as etree
from collections.abc import Callable, Sequence
from typing import Any, Protocol

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no worker, no feed
    fcntl = None  # type: ignore[assignment]

import markdown
from markdown.treeprocessors import Treeprocessor


_FRAME = struct.Struct("I")  # the length of each pickled frame that follows in the pipe
_FRAME_LIMIT = getattr(select, "PIPE_BUF", 512) - _FRAME.size
"""A write up to PIPE_BUF bytes goes into a pipe whole or not at all: a frame is never cut."""
_PAGE_AT = struct.Struct("q")  # in the shared map: the page this process converts now
PIPE_SIZE = 1 << 20

# Extensions that only turn Markdown into HTML: no files written, nothing fetched, no code run.
# A site with any other (an Extension object a plugin added, markdown-exec, plantuml, snippets,
# superfences with custom fences) never has its pages converted a second time.
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


class Finder(Protocol):
    """What finds the forms in a text (the edition's matcher, which knows its placeholders)."""

    def find(self, text: str) -> Sequence[tuple[int, int, str]]: ...


def worth_matching_ahead(extensions: Sequence[Any], configs: dict[str, Any]) -> bool:
    """Whether the worker may convert the site's pages a second time, and whether it would pay.

    Only with a core to spare (on one core the second conversion competes
    with the build), and only if every Markdown extension of the site is one
    of :data:`PURE_EXTENSIONS` (with superfences, only without custom fences,
    which may run anything).
    """
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
        if name not in PURE_EXTENSIONS:
            return False
        options = configs.get(extension) or {}
        if "superfences" in name and options.get("custom_fences"):
            return False
    return True


class MatchFeed:
    """Matches for the texts of ``pages``, found by the worker and received here page by page.

    ``read_page(page)`` gives a page's Markdown as the build converts it (front
    matter removed); ``new_markdown()`` a Markdown instance with the site's
    extensions; ``prepare(page, root, md)`` does to a converted page's tree
    what the edition's treeprocessor does before it links terms (it marks
    the notes' passages, which splits texts), and returns more to send, by
    keys that are not texts (this process reads them with :meth:`known`).  Made before the worker is forked; :meth:`work_in_worker` is
    the worker's part, the other methods this process's.
    """

    def __init__(self, finder: Finder, pages: Sequence[str], read_page: Callable[[str], str],
                 new_markdown: Callable[[], markdown.Markdown],
                 prepare: Callable[[str, etree.Element, markdown.Markdown], dict[Any, Any]] | None = None) -> None:
        self._finder = finder
        self._prepare = prepare
        self._pages = list(pages)
        self._index = {page: index for index, page in enumerate(self._pages)}
        self._read_page = read_page
        self._new_markdown = new_markdown
        self._known: dict[str, list[tuple[int, int, str]]] = {}  # (start, end, entry_id), as in FormMatch
        self._buffer = b""
        self._read_end: int | None = None
        self._write_end: int | None = None
        self._parent_waits: Callable[[], bool] = lambda: True  # the worker's, once it works
        try:
            self._page_at = mmap.mmap(-1, _PAGE_AT.size)
            self._read_end, self._write_end = os.pipe()
            os.set_blocking(self._read_end, False)
        except OSError:  # nothing to feed through: every text is scanned here
            self.close()
            return
        try:  # room for a book's pages ahead (Linux lets a process grow its pipes to 1 MiB)
            fcntl.fcntl(self._write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except (AttributeError, OSError):
            pass  # no fcntl, or a refusal: the default size (64 KiB); the worker waits while it is full
        _PAGE_AT.pack_into(self._page_at, 0, -1)

    # -- this process ----------------------------------------------------------

    def forked(self) -> None:
        """The worker has its end of the pipe: this process keeps only the reading end."""
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

    def known(self, key: object) -> object | None:
        """Whatever else the worker sent under ``key`` (see ``prepare``), else None."""
        return self._known.get(key) if self._known else None  # type: ignore[call-overload]

    def find(self, text: str) -> list[tuple[int, int, str]] | None:
        """The text's matches if the worker sent them (FormMatch's fields, as plain tuples), else None."""
        return self._known.get(text) if self._known else None

    def _receive(self) -> None:
        """Take in every whole frame the worker has sent so far, without waiting."""
        if self._read_end is None:
            return
        chunks = [self._buffer]
        while True:
            try:
                chunk = os.read(self._read_end, 1 << 16)
            except BlockingIOError:
                break
            except OSError:
                self.close()
                return
            if not chunk:
                break
            chunks.append(chunk)
        data = b"".join(chunks)
        offset = 0
        while offset + _FRAME.size <= len(data):
            (size,) = _FRAME.unpack_from(data, offset)
            if offset + _FRAME.size + size > len(data):
                break
            found = pickle.loads(data[offset + _FRAME.size:offset + _FRAME.size + size])  # noqa: S301 - our child
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
        page_at = getattr(self, "_page_at", None)
        if page_at is not None and not page_at.closed:
            page_at.close()

    # -- the worker ----------------------------------------------------------

    def work_in_worker(self, parent_waits: Callable[[], bool]) -> None:
        """In the worker, after rendering: convert the pages ahead of this process and send their matches.

        Stops at the last page, or when the parent waits for the worker's answer.
        """
        if self._write_end is None or self._read_end is None:
            return
        os.close(self._read_end)
        os.set_blocking(self._write_end, False)
        self._parent_waits = parent_waits
        self._sent: set[str] = set()  # texts already sent for an earlier page ("\n", "), ")
        logging.disable(logging.CRITICAL)  # the build's process reports what the pages say, once
        md = self._new_markdown()
        recorder = _Recorder(md, self._finder, self._prepare)
        md.treeprocessors.register(recorder, "annotated_edition_prematch", -10)
        index = 0
        while index < len(self._pages) and not parent_waits():
            index = max(index, _PAGE_AT.unpack_from(self._page_at, 0)[0] + 1)
            if index >= len(self._pages):
                break
            recorder.found = {}
            recorder.page = self._pages[index]
            try:
                md.reset()
                md.convert(self._read_page(self._pages[index]))
            except Exception:  # noqa: BLE001 - this page is scanned in the build's process instead
                index += 1
                continue
            if not self._send(recorder.found):
                break
            index += 1
        os.close(self._write_end)

    def _send(self, found: dict[Any, Sequence[Any]]) -> bool:
        """Write ``found`` as frames that each fit a pipe's atomic write; False if the parent stopped reading."""
        # Plain tuples: a named tuple's class is looked up and called for each one unpickled.
        items = [(key, [tuple(match) for match in matches]) for key, matches in found.items()
                 if key not in self._sent]
        self._sent.update(key for key, _ in items)
        start = 0
        while start < len(items):
            count = len(items) - start
            while True:
                frame = pickle.dumps(dict(items[start:start + count]), protocol=pickle.HIGHEST_PROTOCOL)
                if len(frame) <= _FRAME_LIMIT or count == 1:
                    break
                count = max(1, count // 2)
            if len(frame) <= _FRAME_LIMIT:
                if not self._write(_FRAME.pack(len(frame)) + frame):
                    return False
            start += count  # a single text too big for one frame is left to be scanned here
        return True


    def _write(self, frame: bytes) -> bool:
        """Write one frame, waiting while the pipe is full (the parent takes frames in at each page)."""
        assert self._write_end is not None
        while True:
            try:
                os.write(self._write_end, frame)
                return True
            except BlockingIOError:  # far enough ahead: wait for the parent to read, unless it waits for us
                if self._parent_waits():
                    return False
                time.sleep(0.02)
            except OSError:  # the parent has closed its end
                return False


class _Recorder(Treeprocessor):
    """Finds the glossary forms of every text and tail of a converted page (in the worker)."""

    def __init__(self, md: markdown.Markdown, finder: Finder,
                 prepare: Callable[[str, etree.Element, markdown.Markdown], dict[Any, Any]] | None) -> None:
        super().__init__(md)
        self.finder = finder
        self.prepare = prepare
        self.page = ""
        self.found: dict[Any, Sequence[Any]] = {}

    def run(self, root: etree.Element) -> Any:
        found = self.found
        if self.prepare is not None:
            found.update(self.prepare(self.page, root, self.md))
        for element in root.iter():
            for text in (element.text, element.tail):
                if text and text not in found:
                    found[text] = self.finder.find(text)
        return None
