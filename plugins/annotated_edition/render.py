"""Render annotation Markdown with the site's extensions, then sanitize it.

Definitions and notes are contributor input: after Markdown they pass through
an allow-list sanitizer (nh3, the Ammonia HTML sanitizer).  nh3 does not say
what it removed, so :func:`audit` walks the same HTML with the same allow-list
and names each thing that will go, for the warning the contract requires.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import markdown

from . import ablation
from . import background as _background
from .guard import without_guard

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "dfn", "div", "dl", "dt", "em", "i",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "hr",
})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"lang", "dir", "title"},
    "a": {"href", "hreflang"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "cite", "src", "action", "formaction", "xlink:href", "poster", "srcset"})
# Whose content goes with the tag (nh3 drops these whole, not just the tags).
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript",
                                  "svg", "math", "textarea", "select", "title"})

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")
_SPLIT = "<!-- annotated-edition:split -->"
_DEFINITION = re.compile(r"^ {0,3}\*?\[[^\]]+\]:", re.M)  # [ref]: url, *[abbr]: text, [^note]:
# Browsers drop tabs and newlines anywhere in a URL, and leading spaces and controls, before reading its scheme.
_URL_NOISE = re.compile(r"[\t\n\r]|^[\x00-\x20]+")


@functools.cache
def _cleaner() -> Any:
    """nh3's sanitizer for the allow-list, built once: building it took four fifths of each call's time."""
    import nh3  # imported when first needed: the worker renders, this process seldom does

    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def sanitize(fragment: str) -> str:
    """Return ``fragment`` with only allow-listed tags, attributes and URLs."""
    return _cleaner().clean(fragment)


def _tag_problems(tag: str, attributes: Iterable[tuple[str, str | None]]) -> list[str]:
    """What the sanitizer removes from one start tag, in words (the one statement of the allow-list rule)."""
    tag = tag.lower()
    if tag not in ALLOWED_TAGS:
        if tag in DROPPED_WITH_CONTENT:
            return [f"<{tag}> with its content"]
        return [f"<{tag}>" if tag in _VOID else f"<{tag}> (its text is kept)"]
    allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
    problems = []
    for name, value in attributes:
        name = name.lower()
        if name not in allowed:
            problems.append(f"attribute {name}=\"{_short(value or '')}\" on <{tag}>")
        elif name in URL_ATTRIBUTES and value:
            scheme = _SCHEME.match(_URL_NOISE.sub("", html.unescape(value)))
            if scheme and scheme.group(1).lower() not in URL_SCHEMES:
                problems.append(f"link to a '{scheme.group(1).lower()}:' URL on <{tag}>")
    return problems


class _Auditor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.removed: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.removed.extend(_tag_problems(tag, attrs))

    handle_startendtag = handle_starttag


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "…"


_TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")


def audit(fragment: str) -> list[str]:
    """What :func:`sanitize` will remove from ``fragment``, in words."""
    auditor = _Auditor()
    auditor.feed(fragment)
    auditor.close()
    if "<!--" in fragment and _SPLIT not in fragment:
        auditor.removed.append("an HTML comment")
    return auditor.removed


def _nothing_removed(rendered: str, clean: str) -> bool:
    """Whether the sanitizer kept everything, so there is nothing for :func:`audit` to name.

    nh3 changes what it keeps in two ways only: a link gets ``rel``, and a
    void tag loses its ``/``.  Past those, any difference is a removal, and
    the (slower) audit names it.
    """
    return clean.replace(' rel="noopener noreferrer"', "") == rendered.replace(" />", ">")


@dataclass(frozen=True)
class Rendered:
    """A snippet rendered and sanitized: the HTML, its plain text, what was removed."""

    html: str
    text: str
    removed: tuple[str, ...]

    @property
    def first_sentence(self) -> str:
        """The first sentence of the plain text, for a `title` tooltip."""
        return first_sentence(self.text)


def first_sentence(text: str, limit: int = 240) -> str:
    """The first sentence of ``text`` (up to ``limit`` characters)."""
    flat = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(?=\s+[A-Z0-9“\"'(¿¡]|\s*$)", flat)
    sentence = match.group(1) if match else flat
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def plain_text(fragment: str) -> str:
    """The text a reader sees in ``fragment`` (tags dropped, entities decoded).

    ``fragment`` is sanitized HTML (no comments, scripts or styles), so
    dropping tags with a regex is exact.
    """
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


# Rendered snippets survive `mkdocs serve` rebuilds: keyed on the extension
# configuration and the text, so a change to either renders afresh.
_CACHE: dict[tuple[str, str], Rendered] = {}
_CACHE_LIMIT = 100_000


class SnippetRenderer:
    """Renders many Markdown snippets with one Markdown instance.

    Snippets are joined into one document with a separator comment and
    rendered in a single pass; a snippet that could swallow the separator
    (an unclosed fence or HTML block, footnotes) is rendered on its own.
    """

    def __init__(self, extensions: Sequence[Any], extension_configs: dict[str, Any]) -> None:
        # Never the guard, which stops any conversion it is part of (guard.py).
        self._extensions, self._extension_configs = without_guard(extensions, extension_configs)
        self._md = self.new_markdown()
        self._key = repr((sorted(map(repr, self._extensions)), sorted(self._extension_configs.items(), key=repr)))

    @property
    def extensions(self) -> tuple[list[Any], dict[str, Any]]:
        """The Markdown extensions the renderer uses (the site's own), and their configuration."""
        return list(self._extensions), self._extension_configs

    def new_markdown(self) -> markdown.Markdown:
        """A Markdown instance with the renderer's extensions (the site's own)."""
        return markdown.Markdown(extensions=list(self._extensions), extension_configs=self._extension_configs)

    def cached(self, snippet: str) -> Rendered | None:
        """The snippet's rendering from an earlier build of this process, if any."""
        return _CACHE.get((self._key, snippet))

    def remember(self, snippet: str, result: Rendered) -> None:
        """Keep a rendering (made here or by a worker) for later builds of this process."""
        if len(_CACHE) > _CACHE_LIMIT:  # a long `mkdocs serve` session: start afresh rather than grow forever
            _CACHE.clear()
        _CACHE[(self._key, snippet)] = result

    def render(self, snippets: Sequence[str]) -> list[Rendered]:
        """Render ``snippets`` (Markdown) to sanitized HTML, in the same order."""
        results: dict[int, Rendered] = {}
        batch: list[int] = []
        alone = ablation.off("render-batch")
        for index, snippet in enumerate(snippets):
            cached = self.cached(snippet)
            if cached is not None:
                results[index] = cached
            elif alone or (_SPLIT in snippet or "[^" in snippet or "```" in snippet or "~~~" in snippet or "<" in snippet
                  or _DEFINITION.search(snippet)):
                # Alone: it could swallow the separator, or define a reference or an
                # abbreviation that would otherwise reach the other snippets of the batch.
                results[index] = self._finish(snippet, self._convert(snippet))
            else:
                batch.append(index)
        if batch:
            joined = f"\n\n{_SPLIT}\n\n".join(snippets[i] for i in batch)
            parts = self._convert(joined).split(_SPLIT)
            if len(parts) != len(batch):  # something swallowed a separator: go one by one
                parts = [self._convert(snippets[i]) for i in batch]
            for index, part in zip(batch, parts):
                results[index] = self._finish(snippets[index], part.strip())
        return [results[i] for i in range(len(snippets))]

    def _convert(self, text: str) -> str:
        self._md.reset()
        return self._md.convert(text)

    def _finish(self, snippet: str, rendered: str) -> Rendered:
        clean = sanitize(rendered)
        removed = () if _nothing_removed(rendered, clean) else tuple(audit(rendered))
        result = Rendered(clean, plain_text(clean), removed)
        self.remember(snippet, result)
        return result


# Below this many snippets to render, a worker costs more than it saves.
BACKGROUND_MINIMUM = 64
CHUNK = 128
"""Snippets per unit of work the worker and this process share out at the end."""


def _render_chunk(renderer: SnippetRenderer, snippets: list[str], chunk: list[int]) -> list[Rendered]:
    return renderer.render([snippets[i] for i in chunk])


class RenderJob:
    """Rendering of many snippets, started now and collected with :meth:`result`.

    A build needs the rendered definitions and notes only once every page
    has been converted (for the glossary page, the notes sections and the
    tooltips), so a cold build renders them in a forked worker on another
    core while this process converts the pages (a
    :class:`~.background.SharedJob`: what the worker has not reached when
    the result is asked for, this process renders).  Wherever a worker is
    not possible, or it fails, the snippets are rendered here, in the same
    chunks.  Snippets already rendered by an earlier build of this process
    come from the renderer's cache, never from a worker.
    """

    def __init__(self, renderer: SnippetRenderer, snippets: Sequence[str], *, background: bool | None = None) -> None:
        self._renderer = renderer
        self._snippets = list(snippets)
        # Each text once (notes often say the same thing): its copies get that rendering (see result).
        first_of = {snippet: i for i, snippet in reversed(list(enumerate(self._snippets)))}
        self._missing = [i for i, snippet in enumerate(self._snippets)
                         if first_of[snippet] == i and renderer.cached(snippet) is None]
        chunks = [self._missing[i:i + CHUNK] for i in range(0, len(self._missing), CHUNK)]
        self._results: list[Rendered] | None = None
        if background is None and ablation.off("render-worker"):
            background = False
        if background is None:
            background = _background.possible() and _background.worth_it(len(self._missing), BACKGROUND_MINIMUM)
        # The work refers to the renderer and the snippets, not to this job: no reference cycle keeps
        # a dropped job (and its worker) alive while the collector is frozen.
        self._job = _background.SharedJob(chunks, functools.partial(_render_chunk, renderer, self._snippets),
                                          background=background)
        self.in_background = self._job.in_background

    @property
    def worker_seconds(self) -> float | None:
        """How long the worker took to render (for the benchmark), once collected."""
        return self._job.worker_seconds

    @property
    def chunks_taken_over(self) -> int:
        """How many chunks of snippets this process rendered because the worker had not reached them."""
        return self._job.chunks_taken_over

    def result(self) -> list[Rendered]:
        """The rendered snippets, in order (waits for the worker if there is one)."""
        if self._results is None:
            rendered = [result for chunk in self._job.results() for result in chunk]
            if self.in_background:  # what the worker rendered is kept for later builds here too
                for index, result in zip(self._missing, rendered):
                    self._renderer.remember(self._snippets[index], result)
            by_text = {self._snippets[index]: result for index, result in zip(self._missing, rendered)}
            self._results = [by_text.get(snippet) or self._renderer.cached(snippet) or
                             self._renderer.render([snippet])[0] for snippet in self._snippets]
        return self._results

    def cancel(self) -> None:
        """Stop a worker whose result is no longer wanted (a build that failed)."""
        self._job.cancel()
