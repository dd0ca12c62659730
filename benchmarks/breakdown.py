"""Where a plugin build's time goes: the plugin's hooks, the glossary page, downstream.

Runs one in-process build with timers around the plugin's hooks, its
treeprocessor, the glossary page's rendering, the rendering of definitions
and notes, the postprocessors that put raw HTML and the edition's markup in,
the garbage collector's passes, search indexing and page templates, and the
same build without the plugin for the downstream comparison.  With
``ANNOTATED_EDITION_OFF`` (ablation.py) it shows what a small mechanism
saves in the part it acts on, which the benchmark's ratios cannot tell from
noise:

    ANNOTATED_EDITION_BACKGROUND=0 ANNOTATED_EDITION_OFF=render-batch taskset -c 0 python benchmarks/breakdown.py
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


@contextlib.contextmanager
def _timed(owner: Any, name: str, bucket: str, totals: dict[str, float],
           when: Callable[..., bool] | None = None) -> Iterator[None]:
    original = getattr(owner, name)

    @functools.wraps(original)  # keeps a hook's event priority
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            if when is None or when(*args, **kwargs):
                totals[bucket] += time.perf_counter() - start

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


def measure(config_file: Path) -> dict[str, float]:
    """Seconds per part of one build of ``config_file``."""
    from material.plugins.search.plugin import SearchPlugin
    from mkdocs.commands import build as build_module
    from mkdocs.config import load_config
    from mkdocs.structure.pages import Page

    from annotated_edition.edition import EditionTreeprocessor
    from annotated_edition.plugin import AnnotatedEditionPlugin
    from annotated_edition.render import RenderJob

    totals: dict[str, float] = defaultdict(float)
    hooks = ["on_config", "on_pre_build", "on_files", "on_page_markdown", "on_page_content", "on_env", "on_post_page"]
    with contextlib.ExitStack() as stack:
        from mkdocs.plugins import CombinedEvent

        for hook in hooks:
            if not isinstance(getattr(AnnotatedEditionPlugin, hook), CombinedEvent):  # MkDocs calls its parts
                stack.enter_context(_timed(AnnotatedEditionPlugin, hook, f"plugin {hook}", totals))
        stack.enter_context(_timed(EditionTreeprocessor, "run", "plugin treeprocessor (per page)", totals))
        stack.enter_context(_timed(Page, "render", "glossary page (Markdown)", totals,
                                   when=lambda page, *a, **k: page.file.src_uri == "glossary.md"))
        stack.enter_context(_timed(Page, "render", "all pages (Markdown, incl. treeprocessor)", totals))
        stack.enter_context(_timed(SearchPlugin, "on_page_context", "search: indexing pages", totals))
        stack.enter_context(_timed(SearchPlugin, "on_post_build", "search: writing the index", totals))
        stack.enter_context(_timed(build_module, "_build_page", "templates, search, post_page", totals))
        from markdown.postprocessors import RawHtmlPostprocessor

        from annotated_edition.edition import WrittenMarkupPostprocessor

        for postprocessor in (RawHtmlPostprocessor, WrittenMarkupPostprocessor):
            stack.enter_context(_timed(postprocessor, "run", "raw HTML and the edition's markup put in (postprocessors)",
                                       totals))
        collecting: list[float] = []

        def collector_pass(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                collecting.append(time.perf_counter())
            elif collecting:
                totals["garbage collector passes"] += time.perf_counter() - collecting.pop()

        gc.callbacks.append(collector_pass)
        stack.callback(gc.callbacks.remove, collector_pass)

        original_result = RenderJob.result

        def result(job: RenderJob) -> Any:
            start = time.perf_counter()
            try:
                return original_result(job)
            finally:
                totals["rendering definitions and notes (waiting, or in this process)"] += time.perf_counter() - start
                if job.worker_seconds is not None:
                    totals["worker: rendering definitions and notes (in parallel)"] = job.worker_seconds

        stack.callback(setattr, RenderJob, "result", original_result)
        RenderJob.result = result  # type: ignore[method-assign]
        logging.getLogger("mkdocs").setLevel(logging.ERROR)
        config = load_config(str(config_file), site_dir=str(config_file.parent / "site-breakdown"))
        start = time.perf_counter()
        build_module.build(config)
        totals["total build"] = time.perf_counter() - start
    return dict(totals)


def main() -> None:
    """Print where the time goes in one `link: first` build with search at the goal size, and in its plain build."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench import GOAL, corpus_for
    from corpus import config

    corpus = corpus_for(*GOAL)
    for name, plugin in (("breakdown-plain", None), ("breakdown", "first")):
        config_file = corpus.root / f"{name}.yml"
        config_file.write_text(config(corpus, plugin=plugin, search=True))
        print(f"{'plain build' if plugin is None else 'with the plugin'} ({config_file}):")
        for part, seconds in sorted(measure(config_file).items(), key=lambda item: -item[1]):
            print(f"  {seconds:7.3f} s  {part}")


if __name__ == "__main__":
    main()
