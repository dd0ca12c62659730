"""`annotated-edition check [PATH]`: validate an edition without building it.

It reads the edition's ``mkdocs.yml`` for the plugin's options and the
site's Markdown extensions, loads and validates ``annotations/``, and renders
every page with the same treeprocessor as the build, to anchor the notes'
quotes and to find the entries that no page links.  No theme, no search,
nothing written: the same messages as ``mkdocs build`` in a fraction of its
time.  An entry linked nowhere is a notice (``note:`` in text, ``::notice``
under ``--format github``), not a problem.

Exit status: 0 clean (notices or not), 1 on any problem, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import markdown

from .edition import Edition, EditionExtension, PageContext, unlinked_entries
from .guard import without_guard
from .loader import load_annotations, page_paths
from .problems import Notice, Problem
from .render import SnippetRenderer

class _UsageError(Exception):
    pass


def _site_config(config_file: Path) -> tuple[dict[str, object], list[object], dict[str, object], str]:
    """The plugin options, Markdown extensions and configs, and docs_dir of an edition."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        from mkdocs.config import load_config
    except ImportError as exc:  # pragma: no cover - mkdocs is a dependency
        raise _UsageError(f"cannot import MkDocs: {exc}") from None
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    try:
        config = load_config(str(config_file))
    except Exception as exc:  # noqa: BLE001 - any error in loading the site configuration is a usage error here
        raise _UsageError(f"{config_file}: cannot load the site configuration: {exc}") from None
    plugin = config.plugins.get("annotated-edition")
    if plugin is not None:
        options = dict(plugin.config)
    else:  # the plugin's own defaults, from its config class
        from .plugin import AnnotatedEditionConfig

        defaults = AnnotatedEditionConfig()
        defaults.load_dict({})
        defaults.validate()
        options = dict(defaults)
    # check renders the pages itself: without the guard, which would stop it (guard.py).
    extensions, configs = without_guard(
        (e for e in config.markdown_extensions if not isinstance(e, EditionExtension)), dict(config.mdx_configs))
    return options, extensions, configs, str(config.docs_dir)


def check(path: Path) -> tuple[list[Problem], list[Notice], dict[str, int]]:
    """Validate the edition whose ``mkdocs.yml`` is in (or is) ``path``: its problems and notices."""
    config_file = path if path.is_file() else path / "mkdocs.yml"
    if not config_file.is_file():
        raise _UsageError(f"no mkdocs.yml in {path}; give the edition's folder or its mkdocs.yml")
    root = config_file.resolve().parent
    options, extensions, configs, docs_dir = _site_config(config_file)
    docs = Path(docs_dir)
    pages = page_paths(docs)
    annotations = load_annotations(root, root / str(options["annotations"]), set(pages))
    edition = Edition(annotations, SnippetRenderer(extensions, configs), str(options["link"]))
    page_problems: list[Problem] = []
    extension = EditionExtension(edition)
    md = markdown.Markdown(extensions=[*extensions, extension], extension_configs=configs)
    anchored = 0
    converted: list[PageContext] = []
    for page, source_path in sorted(pages.items()):
        context = PageContext(src_path=page, glossary_href="", paragraph_numbers=False,
                              notes=annotations.notes.get(page, ()))
        try:
            source = (docs / source_path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            if context.notes:
                where = Path(os.path.relpath(docs / source_path, root)).as_posix()
                page_problems.append(Problem(where, 1, 1, f"the page cannot be read as UTF-8 text ({error}); save "
                                                          "it as UTF-8 so its notes can be anchored"))
            continue
        extension.start_page(context)
        md.reset()
        md.convert(_strip_front_matter(source))
        page_problems.extend(context.problems)
        anchored += len(context.anchored)
        converted.append(context)
    extension.start_page(None)
    # The definitions and notes were rendered on another core meanwhile, where possible.
    problems = [*edition.problems, *edition.rendering_problems(), *page_problems]
    notices = unlinked_entries(edition, converted)
    summary = {"entries": len(annotations.entries), "notes": anchored,
               "notes_total": sum(len(n) for n in annotations.notes.values()), "pages": len(pages),
               "problems": len(problems), "notices": len(notices)}
    return problems, notices, summary


def _strip_front_matter(text: str) -> str:
    """Drop a leading YAML front matter block, as MkDocs does before rendering."""
    if text.startswith("---"):
        lines = text.splitlines(keepends=True)
        for index in range(1, len(lines)):
            if lines[index].rstrip() in ("---", "..."):
                return "".join(lines[index + 1:])
    return text


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `annotated-edition` console script."""
    parser = argparse.ArgumentParser(prog="annotated-edition",
                                     description="Tools for annotated editions built with MkDocs.")
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="validate annotations against the pages, without building")
    check_parser.add_argument("path", nargs="?", default=".", help="the edition's folder or its mkdocs.yml")
    check_parser.add_argument("--format", choices=("text", "github"), default="text",
                              help="github: ::error and ::notice lines that GitHub shows on a pull request's diff")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code not in (0, None) else 0
    try:
        problems, notices, summary = check(Path(args.path))
    except _UsageError as error:
        print(f"annotated-edition: {error}", file=sys.stderr)
        return 2
    for item in [*problems, *notices]:
        print(item.github() if args.format == "github" else str(item))
    print(f"{summary['entries']} entries, {summary['notes']} of {summary['notes_total']} notes anchored, "
          f"{summary['pages']} pages, {summary['problems']} problem{'s' if summary['problems'] != 1 else ''}, "
          f"{summary['notices']} notice{'s' if summary['notices'] != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
