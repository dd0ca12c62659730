"""Switches that turn one performance mechanism off, for the benchmark's ablation table.

``ANNOTATED_EDITION_OFF=render-batch,search-view`` builds without those
mechanisms: the same site, measured without what each buys
(``python benchmarks/bench.py --ablation``).  Nothing else sets them.
"""

from __future__ import annotations

import functools
import os

SWITCH = "ANNOTATED_EDITION_OFF"
MECHANISMS = ("render-worker", "render-batch", "search-view", "fastjsonschema", "positions-only", "gc-freeze",
              "loading-worker", "epub-worker", "data-worker")


def off(mechanism: str) -> bool:
    """Whether ``mechanism`` (one of :data:`MECHANISMS`) is switched off for this process."""
    return mechanism in _switched_off(os.environ.get(SWITCH, ""))


@functools.lru_cache(maxsize=8)
def _switched_off(value: str) -> frozenset[str]:
    # Asked once per annotation file: the variable's value is split once, not each time.
    return frozenset(value.split(","))
