"""`annotated-edition check [PATH]`: validate an edition without building it; `new DIR`: start one;
`import FILE`: notes from Hypothesis or another Web Annotation tool.

It reads the edition's ``mkdocs.yml`` for the plugin's options and the
site's Markdown extensions, loads and validates ``annotations/``, and renders
every page with the same treeprocessor as the build, to anchor the notes'
quotes and to find the entries that no page links.  No theme, no search,
nothing written: the same messages as ``mkdocs build`` in a fraction of its
time.  An entry linked nowhere is a notice (``note:`` in text, ``::notice``
under ``--format github``), not a problem.

Exit status: 0 clean (notices or not), 1 on any problem, 2 on a usage error.

``annotated-edition import FILE [--page docs/x.md] [--type context]
[--dry-run]`` appends notes made in Hypothesis or another W3C Web Annotation
tool to the notes files (:mod:`.import_command`); it exits 1 when some
annotation was not imported, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

import markdown

from .edition import Edition, EditionExtension, PageContext, unlinked_entries
from .guard import without_guard
from .loader import load_annotations, page_paths
from .newedition import DEFAULT_TITLE, NewEdition, NewEditionError, theme_languages
from .problems import Notice, Problem
from .render import SnippetRenderer

class _UsageError(Exception):
    pass


def _load_site(config_file: Path) -> Any:
    """The edition's MkDocs configuration, or a usage error."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        from mkdocs.config import load_config
    except ImportError as exc:  # pragma: no cover - mkdocs is a dependency
        raise _UsageError(f"cannot import MkDocs: {exc}") from None
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    try:
        return load_config(str(config_file))
    except Exception as exc:  # noqa: BLE001 - any error in loading the site configuration is a usage error here
        raise _UsageError(f"{config_file}: cannot load the site configuration: {exc}") from None


def _site_config(config_file: Path) -> tuple[dict[str, object], list[object], dict[str, object], str]:
    """The plugin options, Markdown extensions and configs, and docs_dir of an edition."""
    return _site_parts(_load_site(config_file))


def _site_parts(config: Any) -> tuple[dict[str, object], list[object], dict[str, object], str]:
    """The plugin options, Markdown extensions and configs, and docs_dir of a loaded MkDocs configuration."""
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


def _config_file(path: Path) -> Path:
    config_file = path if path.is_file() else path / "mkdocs.yml"
    if not config_file.is_file():
        raise _UsageError(f"no mkdocs.yml in {path}; give the edition's folder or its mkdocs.yml")
    return config_file


def check(path: Path) -> tuple[list[Problem], list[Notice], dict[str, int]]:
    """Validate the edition whose ``mkdocs.yml`` is in (or is) ``path``: its problems and notices."""
    config_file = _config_file(path)
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
    _add_import_parser(commands)
    new_parser = commands.add_parser("new", help="start a new edition in an empty folder, ready to build")
    new_parser.add_argument("path", help="the folder to create (it must not exist, or be empty)")
    new_parser.add_argument("--title", default=DEFAULT_TITLE, help="the edition's title (the site's name)")
    new_parser.add_argument("--author", default="", help="the author named in citations")
    new_parser.add_argument("--language", default="en", help="the language of the theme's labels (en, es, pt-BR, …)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code not in (0, None) else 0
    if args.command == "new":
        return _new(args)
    try:
        if args.command == "import":
            return _import(args)
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


def _add_import_parser(commands: Any) -> None:
    from .model import NOTE_TYPES

    parser = commands.add_parser("import", help="append notes made in Hypothesis or another W3C Web Annotation "
                                                "tool to the notes files")
    parser.add_argument("file", help="a Hypothesis JSON export, or W3C Web Annotations (an AnnotationCollection, "
                                     "an AnnotationPage or a list of Annotations)")
    parser.add_argument("--page", help="the page all the annotations are about (docs/x.md); by default each "
                                       "annotation's page is found from its address under site_url")
    parser.add_argument("--type", choices=NOTE_TYPES, default="context", dest="note_type",
                        help="the type of a note whose annotation has no type:<type> tag (default: context)")
    parser.add_argument("--dry-run", action="store_true", help="write nothing; say what would be done")
    parser.add_argument("--edition", default=".", help="the edition's folder or its mkdocs.yml (default: .)")


def _import(args: argparse.Namespace) -> int:
    """`annotated-edition import`: exit 0 when every annotation became a note, 1 otherwise."""
    from .import_command import Site, run_import

    config_file = _config_file(Path(args.edition))
    config = _load_site(config_file)
    options, extensions, configs, docs_dir = _site_parts(config)
    root = config_file.resolve().parent
    docs = Path(docs_dir)
    page = None
    if args.page:
        page = _page_argument(args.page, root, docs)
    if not Path(args.file).is_file():
        raise _UsageError(f"{args.file}: no such file; give the path of the exported annotations")
    site = Site(root=root, docs_dir=docs, annotations_dir=root / str(options["annotations"]),
                site_url=str(config.site_url or ""), extensions=extensions, extension_configs=configs)
    report = run_import(site, Path(args.file), page, args.note_type, args.dry_run)
    for line in report.lines:
        print(line)
    if report.unreadable:
        print("nothing imported")
        return 1
    files = len(report.files)
    done = "would be imported" if args.dry_run else "imported"
    print(f"{report.imported} of {report.total} annotation{'s' if report.total != 1 else ''} {done} "
          f"into {files} notes file{'s' if files != 1 else ''}" + (" (dry run: nothing written)" if args.dry_run
                                                                   else ""))
    return 0 if report.complete else 1


def _page_argument(given: str, root: Path, docs: Path) -> str:
    """``--page docs/a/b.md`` (or ``a/b.md``) as a notes key, or a usage error."""
    from .loader import page_paths

    pages = page_paths(docs)
    candidate = Path(given)
    absolute = candidate if candidate.is_absolute() else (root / candidate)
    for path in (absolute, docs / candidate):
        try:
            relative = path.resolve().relative_to(docs.resolve()).as_posix()
        except ValueError:
            continue
        key = relative.rsplit(".", 1)[0] + ".md" if "." in Path(relative).name else relative + ".md"
        if key in pages:
            return key
    raise _UsageError(f"--page {given}: no such page under {os.path.relpath(docs, root)}/; give a page's path "
                      "such as docs/index.md")


def _new(args: argparse.Namespace) -> int:
    """`annotated-edition new`: write the edition, then say how to build it."""
    made = NewEdition(Path(args.path), title=args.title, author=args.author, language=args.language)
    try:
        written = made.write(theme_languages())
    except NewEditionError as error:
        print(f"annotated-edition: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"annotated-edition: cannot write the edition in {args.path}: {error.strerror or error}; "
              "choose a folder you can write to", file=sys.stderr)
        return 2
    print(f"A new edition in {made.target}: {len(written)} files ({', '.join(str(p) for p in written[:4])}, …).")
    print("Next, in that folder:\n"
          "  python -m pip install -r requirements.txt   # once\n"
          "  mkdocs build --strict                       # the site, into site/\n"
          "  annotated-edition check                     # the annotations, against the text")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
