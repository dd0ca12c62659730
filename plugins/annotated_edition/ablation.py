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
              "loading-worker", "epub-worker", "data-worker", "own-postprocessor")


@functools.cache
def off(mechanism: str) -> bool:
    """Whether ``mechanism`` (one of :data:`MECHANISMS`) is switched off for this process.

    Read once per process (the benchmark starts a process per build): some
    mechanisms are asked about once per annotation file.
    """
    return mechanism in os.environ.get(SWITCH, "").split(",")
