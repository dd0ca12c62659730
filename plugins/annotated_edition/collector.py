"""Keeping Python's cyclic garbage collector from redoing work.

A build's long-lived state (configuration, theme, annotations, matcher)
lives until the build ends: :func:`freeze` moves it out of the collector's
sight until :func:`thaw`.  Python advises the same right before a fork
without exec, so that a worker's collector does not write to pages it
shares with its parent.  Freezes nest: the collector thaws when the last
holder lets go.
"""

from __future__ import annotations

import gc

from . import ablation

_holders = 0


def freeze() -> None:
    """Freeze every object alive now (``gc.freeze``) until the matching :func:`thaw`."""
    global _holders
    if ablation.off("gc-freeze"):
        return
    _holders += 1
    gc.freeze()


def thaw() -> None:
    """Let go of one :func:`freeze`; the last to let go unfreezes (``gc.unfreeze``)."""
    global _holders
    if ablation.off("gc-freeze"):
        return
    _holders = max(0, _holders - 1)
    if not _holders:
        gc.unfreeze()
