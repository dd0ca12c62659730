"""Pausing Python's cyclic garbage collector around allocation-heavy work.

Parsing thousands of YAML files or walking a page's tree allocates hundreds
of thousands of small objects, none of them in a reference cycle (they are
freed by reference counting).  Left running, the cyclic collector would scan
them again and again as they pile up; paused, it catches up once at the end.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (it is restored as it was)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
