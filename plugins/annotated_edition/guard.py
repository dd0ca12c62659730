"""The guard: a Markdown extension that stops a build the annotated-edition plugin is not part of.

An edition names it in ``mkdocs.yml``::

    markdown_extensions:
      - annotated_edition.guard

A builder that reads ``mkdocs.yml`` but does not run MkDocs plugins
(Zensical), or a ``mkdocs.yml`` whose plugin entry was removed, would
otherwise publish the text without its term links, notes and glossary, and
say nothing. Such a builder still loads the Markdown extensions, so the
guard's preprocessor stops it at the first page with :data:`MESSAGE`.

Where the plugin runs (MkDocs, ProperDocs), its ``on_config`` takes the guard
out of the site's extensions before any page is converted (:func:`remove`),
and the places where the edition renders Markdown itself (``check``,
definitions and notes) leave it out (:func:`without_guard`). The guard fires
only when a page is converted, not when it is loaded: MkDocs builds a
Markdown instance with every extension to validate ``mkdocs.yml`` before
any plugin runs.

Imports nothing but Markdown, so that any builder can load it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

NAME = "annotated_edition.guard"
"""The extension's name in ``markdown_extensions``."""

MESSAGE = (
    "this is an annotated edition, and the annotated-edition plugin is not running in this build: "
    "its glossary links, editorial notes and glossary page would be missing. Build it with MkDocs 1.6 "
    "or ProperDocs and the plugin (`pip install annotated-edition`, and `- annotated-edition` under "
    "`plugins:` in mkdocs.yml); Zensical and other builders that do not run MkDocs plugins cannot build it. "
    f"(`{NAME}` in mkdocs.yml's markdown_extensions stops such builds.)"
)


class PluginNotRunning(Exception):
    """A page was converted with the guard in place: the plugin is not part of this build."""


class GuardPreprocessor(Preprocessor):
    """Stops the conversion of the first page it sees."""

    def run(self, lines: list[str]) -> list[str]:
        raise _builder_error(MESSAGE)


class GuardExtension(Extension):
    """Registers the guard's preprocessor (converting a page then fails with :data:`MESSAGE`)."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Markdown's API)
        # First among the preprocessors: nothing of the page is worked on.
        md.preprocessors.register(GuardPreprocessor(md), "annotated_edition_guard", 1000)


def makeExtension(**kwargs: Any) -> GuardExtension:  # noqa: N802 (Markdown's API)
    """Python-Markdown's entry point for ``markdown_extensions: - annotated_edition.guard``."""
    return GuardExtension(**kwargs)


def is_guard(extension: object) -> bool:
    """Whether an item of a ``markdown_extensions`` list is the guard (a name, ``module:Class``, or an instance)."""
    if isinstance(extension, GuardExtension):
        return True
    return isinstance(extension, str) and extension.split(":", 1)[0].strip() == NAME


def without_guard(extensions: Iterable[Any], configs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The extensions and their configurations, less the guard: for Markdown the edition renders itself."""
    return ([extension for extension in extensions if not is_guard(extension)],
            {name: config for name, config in configs.items() if not is_guard(name)})


def remove(extensions: list[Any], configs: dict[str, Any]) -> bool:
    """Take the guard out of a site's extensions, in place (the plugin is running); whether it was there."""
    kept, kept_configs = without_guard(extensions, configs)
    found = len(kept) != len(extensions)
    extensions[:] = kept
    for name in set(configs) - set(kept_configs):
        del configs[name]
    return found


def _builder_error(message: str) -> Exception:
    """The error to raise: also the running builder's own `BuildError`, for a clean message.

    MkDocs and ProperDocs print a `BuildError` as a message and exit 1; any
    other error gets a traceback. The guard imports neither: the error is a
    `BuildError` of each one already loaded (the running builder is among
    them; Zensical loads neither, and gets a plain :class:`PluginNotRunning`).
    """
    builders = []
    for module_name in ("mkdocs.exceptions", "properdocs.exceptions"):
        build_error = getattr(sys.modules.get(module_name), "BuildError", None)
        if isinstance(build_error, type) and issubclass(build_error, Exception):
            builders.append(build_error)
    if not builders:
        return PluginNotRunning(message)
    error_class = type("PluginNotRunning", (*builders, PluginNotRunning), {"__module__": __name__})
    return error_class(message)
