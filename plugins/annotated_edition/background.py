"""One computation in a forked worker process, on the machine's other core.

A build runs in one thread, so a second core sits idle.  :class:`Worker`
forks the process (the child has everything the parent had, without any
copying up front), runs a function there, and sends its picklable result
back through a pipe.  Where a fork is not safe or not possible, nothing is
started and the caller does the work itself: the result never depends on
whether a worker ran.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

from . import collector

SWITCH = "ANNOTATED_EDITION_BACKGROUND"
"""`0` (or `off`) never forks; `always` forks however small the work; unset, the callers' thresholds decide."""


def possible() -> bool:
    """May a worker be forked here?  Linux only, and only from a single-threaded process.

    Forking a process that runs other threads (`mkdocs serve` rebuilds from
    its server thread) can copy a lock in a held state; macOS and Windows
    have no safe fork.  Everywhere else the work is done in this process.
    """
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1
            and os.environ.get(SWITCH, "").strip().lower() not in ("0", "off", "no", "false"))


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
