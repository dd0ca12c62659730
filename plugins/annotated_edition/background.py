"""Work done in a forked worker process, on the machine's other core.

A build runs in one thread, so a second core sits idle.  :class:`Worker`
forks the process (the child has everything the parent had, without any
copying up front), runs a function there, and sends its picklable result
back through a pipe.  :class:`SharedJob` splits work into chunks that a
worker and this process share out.  Where a fork is not safe or not
possible, nothing is started and the caller does the work itself: the
result never depends on whether a worker ran.
"""

from __future__ import annotations

import gc
import mmap
import os
import pickle
import signal
import struct
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from . import collector

SWITCH = "ANNOTATED_EDITION_BACKGROUND"
"""`0` (or `off`) never forks; `always` forks however small the work; unset, the callers' thresholds decide."""


def possible() -> bool:
    """May a worker be forked here?  Linux only, with a second core, and only from a single-threaded process.

    Forking a process that runs other threads (`mkdocs serve` rebuilds from
    its server thread) can copy a lock in a held state; macOS and Windows
    have no safe fork; on one core a worker only competes with the build
    (measured: 3% slower).  Everywhere else the work is done in this process.
    """
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1
            and os.environ.get(SWITCH, "").strip().lower() not in ("0", "off", "no", "false")
            and len(os.sched_getaffinity(0)) > 1)


def worth_it(size: int, minimum: int) -> bool:
    """Whether ``size`` units of work are worth a worker (``minimum`` of them, or any under `always`)."""
    if os.environ.get(SWITCH, "").strip().lower() == "always":
        return size > 0
    return size >= minimum


class Worker:
    """A forked child computing ``compute()``; :meth:`result` waits for it and unpickles the answer."""

    def __init__(self, pid: int, read_end: int) -> None:
        self.pid = pid
        self._read_end = read_end
        self._done = False
        # A worker dropped unfinished (an interrupted build) is still stopped, and the collector thawed.
        self._finalizer = weakref.finalize(self, _stop, pid, read_end, True)

    @classmethod
    def start(cls, compute: Callable[[], Any]) -> Worker | None:
        """Fork a child that runs ``compute`` and sends back its result; None if no child could start."""
        if not hasattr(os, "fork"):
            return None
        for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        try:
            read_end, write_end = os.pipe()
        except OSError:  # out of file descriptors: the caller works alone
            return None
        # What exists now is shared with the child: frozen, the collector does not write to its
        # pages in the child's copy (Python's advice for fork).  Thawed once the child is done.
        collector.freeze()
        try:
            pid = os.fork()
        except OSError:  # no memory or process slots: the caller works alone
            collector.thaw()
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
            status = 0
            try:
                os.close(read_end)
                gc.disable()  # short-lived: collecting cycles would only cost time
                payload = pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(payload)
            except BaseException:  # noqa: BLE001 - the parent does the work itself instead
                status = 1
            finally:
                os._exit(status)
        os.close(write_end)
        return cls(pid, read_end)

    def result(self) -> tuple[bool, Any]:
        """Wait for the child: (True, its result), or (False, None) if it failed."""
        if self._done:
            return False, None
        self._done = True
        self._finalizer.detach()
        try:
            with os.fdopen(self._read_end, "rb") as pipe:
                payload = pipe.read()
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:  # reaped elsewhere: the payload speaks for itself
                status = 0
        finally:
            collector.thaw()
        if status != 0 or not payload:
            return False, None
        try:
            return True, pickle.loads(payload)  # noqa: S301 - our own child's output
        except Exception:  # noqa: BLE001 - a truncated payload: the caller does the work itself
            return False, None

    def stop(self) -> None:
        """Kill a child whose result is no longer wanted."""
        if not self._done:
            self._done = True
            self._finalizer.detach()
            _stop(self.pid, self._read_end, True)


def _stop(pid: int, read_end: int, thaw: bool) -> None:
    if thaw:
        collector.thaw()
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
    try:
        os.close(read_end)
    except OSError:
        pass


Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

# The shared progress, fields each written by one side only: at offset 0 the chunk the worker
# is on (-1 before the first), at offset 8 the lowest chunk this process has taken.
_FIELD = struct.Struct("q")
_WORKER_AT, _PARENT_FROM = 0, _FIELD.size


class SharedJob(Generic[Chunk, Result]):
    """``compute`` over ``chunks``, started now on a worker and shared out when :meth:`results` is asked.

    The worker computes chunks from the first on.  When this process asks
    for the results, it computes chunks from the last one back, telling the
    worker through a shared progress map where to stop, so that both cores
    finish together; where the two meet, a chunk may be computed twice,
    never not at all.  Without a worker (``background`` false, no fork, a
    failure), every chunk is computed here, in the same chunks: the results
    never depend on where they were computed.
    """

    def __init__(self, chunks: Sequence[Chunk], compute: Callable[[Chunk], Result], *, background: bool) -> None:
        self._chunks = list(chunks)
        self._compute = compute
        self._worker: Worker | None = None
        self.in_background = False
        self.worker_seconds: float | None = None
        """How long the worker computed (for the benchmark), once collected."""
        self.chunks_taken_over = 0
        """How many chunks this process computed because the worker had not reached them."""
        if not (background and self._chunks):
            return
        # Shared with the worker (an anonymous shared mapping survives fork).
        try:
            self._progress = mmap.mmap(-1, 2 * _FIELD.size)
        except OSError:  # no memory to map: compute here instead
            return
        _FIELD.pack_into(self._progress, _WORKER_AT, -1)
        _FIELD.pack_into(self._progress, _PARENT_FROM, len(self._chunks))
        self._worker = Worker.start(self._compute_in_worker)
        self.in_background = self._worker is not None
        if self._worker is None:
            self._progress.close()

    def _compute_in_worker(self) -> tuple[float, dict[int, bytes]]:
        """In the worker: chunks from the first on, until this process has taken the rest.

        Each chunk's result is pickled as soon as it is computed, while this
        process is busy elsewhere: the answer it waits for is then ready to send.
        """
        started = time.perf_counter()
        done: dict[int, bytes] = {}
        for number, chunk in enumerate(self._chunks):
            if number >= _FIELD.unpack_from(self._progress, _PARENT_FROM)[0]:
                break  # the parent computes this one and the rest itself
            _FIELD.pack_into(self._progress, _WORKER_AT, number)
            done[number] = pickle.dumps(self._compute(chunk), protocol=pickle.HIGHEST_PROTOCOL)
        return time.perf_counter() - started, done

    def results(self) -> list[Result]:
        """Each chunk's result, in order (shares out what the worker has not reached)."""
        shared = self._collect() if self._worker is not None else None
        return shared if shared is not None else [self._compute(chunk) for chunk in self._chunks]

    def _collect(self) -> list[Result] | None:
        """The worker's results joined with those this process takes over, or None if it failed."""
        assert self._worker is not None
        mine: dict[int, Result] = {}
        number = len(self._chunks) - 1
        try:
            while number > _FIELD.unpack_from(self._progress, _WORKER_AT)[0]:  # the worker has not reached it
                _FIELD.pack_into(self._progress, _PARENT_FROM, number)
                mine[number] = self._compute(self._chunks[number])
                number -= 1
        except BaseException:  # computing failed here: nothing may be left running
            self.cancel()
            raise
        worker, self._worker = self._worker, None
        ok, answer = worker.result()
        self._progress.close()
        if not ok:
            return None
        seconds, theirs = answer
        self.worker_seconds = seconds
        self.chunks_taken_over = len(mine)
        joined: list[Result] = []
        try:
            for number in range(len(self._chunks)):
                if number in mine:
                    joined.append(mine[number])
                elif number in theirs:
                    joined.append(pickle.loads(theirs[number]))  # noqa: S301 - our own child's output
                else:
                    return None
        except Exception:  # noqa: BLE001 - a damaged answer: the caller computes everything here
            return None
        return joined

    def cancel(self) -> None:
        """Stop a worker whose results are no longer wanted (a build that failed)."""
        if self._worker is not None:
            worker, self._worker = self._worker, None
            worker.stop()
            self._progress.close()
