"""`annotated-edition import FILE`: notes from Hypothesis or W3C Web Annotations, appended to the notes files.

The steps: read the file (:mod:`.importing`); find each annotation's page
(:func:`.import_plan.page_of`, or ``--page``); render each page as ``check``
does and flatten its text for quotes; decide note by note
(:class:`.import_plan.PagePlan`); append what anchors to
``annotations/notes/<page>.yml`` (:mod:`.notes_append`), unless it is a dry
run.  Every annotation gets one line of report; nothing is written for a
notes file that cannot be appended to.  No MkDocs here: the command line
reads the site's configuration and hands over what is needed.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as etree
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import markdown
from markdown.treeprocessors import Treeprocessor

from .anchoring import FlatText
from .cli import _strip_front_matter
from .edition import TREEPROCESSOR_PRIORITY
from .import_plan import NewNote, PagePlan, Skipped, page_addresses, page_of
from .importing import ImportFileError, Incoming, read_annotations
from .loader import load_annotations, page_paths
from .notes_append import CannotAppend, NewItem, appended_text
from .rules import flatten_for_quotes


@dataclass(frozen=True)
class Site:
    """What the import needs to know of the edition (read from its mkdocs.yml by the command line)."""

    root: Path                        # the folder of mkdocs.yml
    docs_dir: Path
    annotations_dir: Path
    site_url: str
    extensions: list[object]
    extension_configs: dict[str, object]


@dataclass
class Report:
    """What the import did, or would do: one line per annotation, and the counts."""

    entries: list[tuple[int, str]] = field(default_factory=list)   # (annotation number, line)
    imported: int = 0
    total: int = 0
    unreadable: bool = False                # the file itself could not be read
    files: set[str] = field(default_factory=set)

    @property
    def lines(self) -> list[str]:
        """The report, in the order of the annotations in the file."""
        return [line for _, line in sorted(self.entries, key=lambda entry: entry[0])]

    def add(self, incoming: Incoming | None, line: str) -> None:
        """One line of report about ``incoming`` (None: about the file)."""
        self.entries.append((incoming.number if incoming else 0, line))

    @property
    def complete(self) -> bool:
        """Every annotation was imported (the exit status is 0)."""
        return not self.unreadable and self.imported == self.total


def run_import(site: Site, file: Path, page: str | None, note_type: str, dry_run: bool) -> Report:
    """Import the annotations in ``file`` into ``site``; ``page``: their page (``a/b.md``), else from their URLs."""
    shown = _shown(file)
    report = Report()
    try:
        incoming = read_annotations(file)
    except ImportFileError as error:
        report.unreadable = True
        report.add(None, f"{shown}: {error}")
        return report
    report.total = len(incoming)
    pages = page_paths(site.docs_dir)
    addresses = page_addresses(pages)
    by_page: dict[str, list[Incoming]] = {}
    for item in incoming:
        reason = _not_a_note(item)
        target, why = (page, "") if page else page_of(item.uri, site.site_url, addresses)
        if reason or target is None:
            report.add(item, f"{shown}: {item.label()}: not imported: {reason or why}")
            continue
        by_page.setdefault(target, []).append(item)
    if not by_page:
        return report
    annotations = load_annotations(site.root, site.annotations_dir, set(pages))
    renderer = _PageRenderer(site)
    for target, items in sorted(by_page.items()):
        shown_page = Path(os.path.relpath(site.docs_dir / pages[target], site.root)).as_posix()
        try:
            flat, raw_html = renderer.flat_text(site.docs_dir / pages[target])
        except (OSError, UnicodeDecodeError) as error:
            for item in items:
                report.add(item, f"{shown}: {item.label()}: not imported: {shown_page} cannot be read as UTF-8 "
                                 f"text ({error}); save it as UTF-8 and import again")
            continue
        plan = PagePlan(shown_page, flat, annotations.notes.get(target, ()), raw_html, note_type)
        decided = [plan.decide(item, file.name) for item in items]
        notes_file = site.annotations_dir / "notes" / (target[: -len(".md")] + ".yml")
        _write(site, notes_file, decided, dry_run, shown, report)
    return report


def _not_a_note(item: Incoming) -> str:
    """Why an annotation cannot become a note, whatever its page: malformed, a reply, a page note."""
    if item.fault:
        return item.fault
    if item.reply:
        return "it is a reply to another annotation; a note cannot answer a note, so add its point to that note by hand"
    if item.page_note:
        return ("it is a page note, about no passage; notes are anchored to a quotation, so annotate the passage it "
                "is about")
    return ""


def _write(site: Site, notes_file: Path, decided: Sequence[NewNote | Skipped], dry_run: bool, shown: str,
           report: Report) -> None:
    """Append the page's new notes to its notes file (unless ``dry_run``) and report on each annotation."""
    where = Path(os.path.relpath(notes_file, site.root)).as_posix()
    new = [d for d in decided if isinstance(d, NewNote)]
    for skipped in (d for d in decided if isinstance(d, Skipped)):
        report.add(skipped.incoming, f"{shown}: {skipped.incoming.label()}: not imported: {skipped.reason}")
    if not new:
        return
    try:
        _, text, lines = appended_text(notes_file, [NewItem(n.fields, n.provenance) for n in new], site.root)
    except CannotAppend as error:
        message = str(error)
        report.add(new[0].incoming, f"{where}:{message}" if message[:1].isdigit() else f"{where}: {message}")
        for note in new:
            report.add(note.incoming, f"{shown}: {note.incoming.label()}: not imported: {where} cannot be "
                                      "appended to")
        return
    verb = "would add" if dry_run else "added"
    for note, line in zip(new, lines):
        extra = "".join(f", {key} “{note.fields[key]}”" for key in ("prefix", "suffix") if key in note.fields)
        report.add(note.incoming, f"{where}:{line}: {verb} note '{note.fields['id']}' ({note.fields['type']}) on "
                            f"“{note.fields['quote']}”{extra}, from {note.incoming.label()}")
    report.imported += len(new)
    report.files.add(where)
    if not dry_run:
        notes_file.parent.mkdir(parents=True, exist_ok=True)
        notes_file.write_bytes(text)


class _Capture(Treeprocessor):
    """Keeps the page's flat text as the edition's treeprocessor would see it (it runs at the same point)."""

    flat: FlatText | None = None

    def run(self, root: etree.Element) -> None:
        self.flat = flatten_for_quotes(root)


class _PageRenderer:
    """Renders pages with the site's Markdown extensions, as ``check`` does."""

    def __init__(self, site: Site) -> None:
        self.md = markdown.Markdown(extensions=list(site.extensions), extension_configs=site.extension_configs)
        self.capture = _Capture(self.md)
        self.md.treeprocessors.register(self.capture, "annotated_edition_import", TREEPROCESSOR_PRIORITY)

    def flat_text(self, source: Path) -> tuple[FlatText, list[str]]:
        """The page's text as quotes see it, and its raw-HTML blocks."""
        self.md.reset()
        self.md.convert(_strip_front_matter(source.read_text(encoding="utf-8-sig")))
        assert self.capture.flat is not None
        return self.capture.flat, [str(block) for block in self.md.htmlStash.rawHtmlBlocks]


def _shown(file: Path) -> str:
    """The file as messages name it: as given on the command line."""
    return str(file)
