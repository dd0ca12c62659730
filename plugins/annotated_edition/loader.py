"""Load and validate ``annotations/``: glossary entries and notes files.

Each file's structure is checked against the JSON Schemas (:mod:`.validation`);
the rules a schema cannot say (ids from file names, forms claimed twice,
``see_also`` targets, notes files without a page, duplicate note ids) are
checked here.  Every problem becomes a
:class:`~annotated_edition.problems.Problem` with file, line, column and fix;
nothing raises.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

from . import ablation, background
from .matcher import form_key
from .model import MARKDOWN_SUFFIXES, Annotations, GlossaryEntry, Note, Source
from .problems import Problem
from .validation import FileChecker, did_you_mean, is_valid
from .yamlload import Document, PathKey, YamlProblem, decode, load

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


# --------------------------------------------------------------------------
# Reading files.  Under `mkdocs serve` the parsed files are kept, keyed on
# modification time and size, so that a rebuild re-reads only what changed;
# a single build keeps nothing (measured: 3.5 MB less at its peak, 2,200 files).
# The cache holds parsed values, never build state.
# --------------------------------------------------------------------------

_FILE_CACHE: dict[str, tuple[tuple[int, int], Document | YamlProblem]] = {}


def _read(path: str, positions: bool = True, remember: bool = False) -> Document | YamlProblem:
    """One file parsed, or why it cannot be; ``remember`` keeps it for the next build (see above)."""
    try:
        if remember:
            stat = os.stat(path)
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = _FILE_CACHE.get(path)
            if cached and cached[0] == stamp:
                return cached[1]
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return YamlProblem(1, 1, f"cannot read the file ({exc.strerror}); check its permissions")
    try:
        result: Document | YamlProblem = load(decode(raw), positions=positions)
    except YamlProblem as problem:
        result = problem
    if remember:
        _FILE_CACHE[path] = (stamp, result)
    return result


def _relative(path: Path | str, root: Path) -> str:
    text, base = str(path), str(root).rstrip("/") + "/"
    if text.startswith(base):  # the usual case, without os.path.relpath's work
        return text[len(base):].replace(os.sep, "/")
    return Path(os.path.relpath(path, root)).as_posix()


def _sources(raw: list[dict[str, str]] | None) -> tuple[Source, ...]:
    return tuple(Source(**item) for item in raw or ())




def page_paths(docs_dir: Path) -> dict[str, str]:
    """The pages under ``docs_dir``, keyed as notes files name them (``a/b.md``), with their real path."""
    found: dict[str, str] = {}
    for path in docs_dir.rglob("*"):
        if path.suffix in MARKDOWN_SUFFIXES and path.is_file():
            relative = path.relative_to(docs_dir).as_posix()
            found[relative[: -len(path.suffix)] + ".md"] = relative
    return found


def load_annotations(root: Path, annotations_dir: Path, pages: set[str] | None = None) -> Annotations:
    """Read and validate every file under ``annotations_dir``.

    ``root`` is the folder of ``mkdocs.yml`` (paths in messages are relative to
    it); ``pages`` is the set of page paths under ``docs/`` (``a/b.md``), used
    to find notes files without a page (``None`` skips that check).
    """
    return AnnotationsLoading(root, annotations_dir, pages).result()


PARALLEL_LOADING_MINIMUM = 256
"""Annotation files from which loading is shared with a worker (below, the fork costs more than it saves)."""
LOADING_CHUNK = 64
"""Files per unit of work the worker and this process share out."""

# What reading one file gives: a glossary file its problems and entry (None if unsound); a notes
# file its problems, its path for messages, its page and its notes (None if it could not be read).
_GlossaryOutcome = tuple[list[Problem], GlossaryEntry | None]
_NotesOutcome = tuple[list[Problem], str, str, list[Note] | None]


class AnnotationsLoading:
    """Reading ``annotations/``, started now and collected with :meth:`result`.

    A build has other work to do before it needs its annotations (MkDocs
    collects the site's files first), so with hundreds of files a forked
    worker starts reading them at once, and the rest is shared out when the
    result is asked for (:class:`~.background.SharedJob`).  The result, the
    problems and their order never depend on who read which file.
    """

    def __init__(self, root: Path, annotations_dir: Path, pages: set[str] | None = None, *,
                 remember: bool = False) -> None:
        """``remember``: keep the parsed files for the next build of this process (`mkdocs serve`)."""
        self._root = root
        self._annotations_dir = annotations_dir
        self._pages = pages
        self._result: Annotations | None = None
        self._job: background.SharedJob[list[str], list[Any]] | None = None
        if not annotations_dir.is_dir():
            return
        self._files, self._listing_problems = _list_files(root, annotations_dir)
        chunks = [self._files[i:i + LOADING_CHUNK] for i in range(0, len(self._files), LOADING_CHUNK)]
        worker = not ablation.off("loading-worker") and background.possible() and background.worth_it(len(self._files), PARALLEL_LOADING_MINIMUM)
        # The work refers to no state of this object: a dropped loading leaves no reference cycle.
        self._job = background.SharedJob(
            chunks, functools.partial(_read_files, root, str(annotations_dir / "notes") + os.sep, remember),
            background=worker)

    @property
    def in_background(self) -> bool:
        """Whether a forked worker is reading files."""
        return self._job is not None and self._job.in_background

    def cancel(self) -> None:
        """Stop the worker (a build that failed before it needed its annotations)."""
        if self._job is not None:
            self._job.cancel()

    def result(self) -> Annotations:
        """The annotations, validated, with every problem found (waits for the worker if there is one)."""
        if self._result is None:
            self._result = self._join()
        return self._result

    def _join(self) -> Annotations:
        result = Annotations()
        problems = result.problems
        if self._job is None:
            problems.append(Problem(_relative(self._annotations_dir, self._root), 1, 1,
                                    "the annotations folder does not exist; create it (with glossary/ and notes/) "
                                    "or set the plugin's `annotations` option to the right folder"))
            return result
        problems.extend(self._listing_problems)
        outcomes = [outcome for chunk in self._job.results() for outcome in chunk]
        entry_docs: list[tuple[str, Document, GlossaryEntry]] = []
        invalid: set[str] = set()  # entries whose files are there but unsound: their own problems speak
        for name, outcome in zip(self._files, outcomes):
            if len(outcome) == 2:  # a glossary file
                file_problems, entry = outcome
                problems.extend(file_problems)
                if entry is not None:
                    entry_docs.append((entry.path, entry.document, entry))
                else:
                    invalid.add(os.path.basename(name)[:-len(".yml")])
                continue
            file_problems, rel, page, notes = outcome
            problems.extend(file_problems)
            if notes is None:
                continue
            if self._pages is not None and page not in self._pages:
                candidates = did_you_mean(page, self._pages)
                problems.append(Problem(rel, 1, 1, f"there is no page docs/{page} for these notes{candidates}; "
                                                   "name the notes file after its page "
                                                   "(docs/a/b.md → annotations/notes/a/b.yml)"))
            elif notes:
                result.notes[page] = notes

        entries = {entry.id: entry for _, _, entry in entry_docs}
        _check_forms(entry_docs, problems)
        _check_see_also(entry_docs, entries, invalid, problems)
        result.entries = dict(sorted(entries.items()))
        return result


def _list_files(root: Path, annotations_dir: Path) -> tuple[list[str], list[Problem]]:
    """The annotation files to read, in order, and the problems of files that are not read."""
    glossary_dir = annotations_dir / "glossary"
    notes_dir = annotations_dir / "notes"
    # Plain strings and os.walk: pathlib's comparisons cost more than the parsing at 10,000 files.
    glossary_prefix, notes_prefix = str(glossary_dir) + os.sep, str(notes_dir) + os.sep
    listed: list[str] = []
    files: list[str] = []
    problems: list[Problem] = []
    for folder, subfolders, names in os.walk(annotations_dir):
        subfolders.sort()
        listed.extend(os.path.join(folder, name) for name in names)
    for name in sorted(listed):
        inside_glossary = name.startswith(glossary_prefix) and os.sep not in name[len(glossary_prefix):]
        inside_notes = name.startswith(notes_prefix)
        base = os.path.basename(name)
        if name.endswith(".yml") and (inside_glossary or inside_notes):
            files.append(name)
            continue
        if base.startswith(".") or base.lower() in ("readme.md", "readme"):
            continue
        rel = _relative(Path(name), root)
        if name.endswith(".yaml") and (inside_glossary or inside_notes):
            problems.append(Problem(rel, 1, 1, "annotation files end in .yml; rename this file to "
                                               f"'{base[:-5]}.yml' or it is ignored"))
        elif name.startswith(glossary_prefix):
            problems.append(Problem(rel, 1, 1, "glossary entries live directly in annotations/glossary/ "
                                               "(no subfolders); move this file up"))
        else:
            problems.append(Problem(rel, 1, 1, "this file is not read: glossary entries go in "
                                               "annotations/glossary/<id>.yml and notes in "
                                               "annotations/notes/<page>.yml"))
    return files, problems


def _read_files(root: Path, notes_prefix: str, remember: bool,
                names: list[str]) -> list[_GlossaryOutcome | _NotesOutcome]:
    """Read and check one chunk of annotation files (on a worker or here): one outcome per file."""
    return [_notes_file(name, root, notes_prefix, remember) if name.startswith(notes_prefix)
            else _glossary_file(name, root, remember) for name in names]


def _glossary_file(name: str, root: Path, remember: bool) -> _GlossaryOutcome:
    """One glossary entry file read and checked: its problems, and the entry if it is sound."""
    rel = _relative(name, root)
    problems: list[Problem] = []
    # An entry needs its positions only for a message: they are read when one is written.
    parsed = _read(name, positions=ablation.off("positions-only"), remember=remember)
    if isinstance(parsed, YamlProblem):
        return [Problem(rel, parsed.line, parsed.column, parsed.message)], None
    return problems, _load_entry(name, rel, parsed, problems)


def _notes_file(name: str, root: Path, notes_prefix: str, remember: bool) -> _NotesOutcome:
    """One notes file read and checked: its problems, its path, its page (``a/b.md``) and its notes."""
    rel = _relative(name, root)
    page = name[len(notes_prefix):-len(".yml")].replace(os.sep, "/") + ".md"
    parsed = _read(name, remember=remember)
    if isinstance(parsed, YamlProblem):
        return [Problem(rel, parsed.line, parsed.column, parsed.message)], rel, page, None
    problems: list[Problem] = []
    return problems, rel, page, _load_notes(rel, parsed, problems)


def _load_entry(path: str, rel: str, doc: Document, problems: list[Problem]) -> GlossaryEntry | None:
    checker = FileChecker(rel, doc, problems)
    file_name = os.path.basename(path)
    entry_id = file_name[: -len(".yml")]
    if not ID_PATTERN.match(entry_id):
        suggestion = re.sub(r"[^a-z0-9]+", "-", entry_id.lower()).strip("-") or "entry"
        checker.report((), f"the file name '{file_name}' is not a valid entry id (lowercase ASCII letters and "
                           f"digits joined by single hyphens); rename it, for example to '{suggestion}.yml'")
    if doc.value is None:
        checker.report((), "the file is empty; a glossary entry needs at least `term:` and `definition:`")
        return None
    checker.check_schema("glossary-entry.schema.json")
    if not checker.ok:
        return None
    value = doc.value
    lang = value.get("lang")
    forms: list[str] = [value["term"]]
    langs: list[str | None] = [lang]
    paths: list[PathKey] = [("term",)]
    match_case = value.get("match_case", False)
    keys = {form_key(value["term"], match_case)}
    for index, item in enumerate(value.get("forms", [])):
        # A form is its text, or a mapping that gives its text and its own language.
        form, path = (item, ("forms", index)) if isinstance(item, str) else (item["form"], ("forms", index, "form"))
        key = form_key(form, match_case)
        if key not in keys:
            keys.add(key)
            forms.append(form)
            langs.append(lang if isinstance(item, str) else item.get("lang", lang))
            paths.append(path)
    return GlossaryEntry(
        id=entry_id, term=value["term"], definition=value["definition"], forms=tuple(forms), path=rel,
        lang=lang, match_case=match_case, link=value.get("link"),
        see_also=tuple(value.get("see_also", [])), sources=_sources(value.get("sources")),
        summary=value.get("summary"), form_paths=tuple(paths), form_langs=tuple(langs) if len(set(langs)) > 1 else (),
        document=doc if ablation.off("positions-only") else doc.positions_only(),
    )


def _load_notes(rel: str, doc: Document, problems: list[Problem]) -> list[Note]:
    checker = FileChecker(rel, doc, problems)
    if doc.value is None:
        checker.report((), "the file is empty; write a list of notes (each starting with '- quote: …') "
                           "or delete the file")
        return []
    checker.check_schema("notes.schema.json")
    if not isinstance(doc.value, list):
        return []
    notes: list[Note] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(doc.value):
        if not isinstance(item, dict):
            continue
        line, column = doc.where((index, "quote"))
        item_line = doc.where((index,))[0]
        note_id = item.get("id") if isinstance(item.get("id"), str) else f"n{index + 1}"
        if note_id.startswith("ref-"):
            checker.report((index, "id"), f"note id '{note_id}' cannot start with 'ref-': its note would take the "
                                          f"id 'note-{note_id}', which is the reference of note "
                                          f"'{note_id[4:]}'; choose another id")
            continue
        if note_id in seen:
            checker.report((index, "id") if "id" in item else (index,),
                           f"note id '{note_id}' is already used by the note at line {seen[note_id]}; "
                           "give each note on a page its own id")
            continue
        seen[note_id] = item_line
        if not is_valid("notes.schema.json", item, items=True):
            continue  # already reported by check_schema
        notes.append(Note(id=note_id, quote=item["quote"], note=item["note"], path=rel, line=line, column=column,
                          type=item.get("type", "context"), body_position=doc.where((index, "note")),
                          prefix=item.get("prefix"), suffix=item.get("suffix"),
                          sources=_sources(item.get("sources"))))
    return notes


def _check_forms(entry_docs: list[tuple[str, Document, GlossaryEntry]], problems: list[Problem]) -> None:
    """A form may belong to one entry only (case-insensitively unless both match case)."""
    claimed: dict[str, list[tuple[GlossaryEntry, str, PathKey]]] = {}
    for _, _, entry in entry_docs:
        for form, path in zip(entry.forms, entry.form_paths):
            key = form_key(form, False)
            for other, other_form, other_path in claimed.get(key, []):
                if other.id == entry.id:
                    continue
                if entry.match_case and other.match_case and form_key(form, True) != form_key(other_form, True):
                    continue
                problems.append(Problem(entry.path, *entry.where(path),
                                        f"the form '{form}' is already claimed by entry '{other.id}' "
                                        f"({other.path}:{other.where(other_path)[0]}); a form may link to one "
                                        "entry only: remove it from one of them (or set `match_case: true` on "
                                        "both if they differ in case)"))
                break
            claimed.setdefault(key, []).append((entry, form, path))


def _check_see_also(entry_docs: list[tuple[str, Document, GlossaryEntry]], entries: dict[str, GlossaryEntry],
                    invalid: set[str], problems: list[Problem]) -> None:
    """A `see_also` names another entry, once; one whose file is unsound is reported there, not here."""
    for rel, doc, entry in entry_docs:
        seen: set[str] = set()
        for index, target in enumerate(entry.see_also):
            if target != entry.id and target not in seen and (target in entries or target in invalid):
                seen.add(target)
                continue  # fine: no position needed
            line, column = doc.where(("see_also", index))
            if target == entry.id:
                problems.append(Problem(rel, line, column, f"see_also names the entry itself ('{target}'); "
                                                           "remove it"))
            elif target in seen:
                problems.append(Problem(rel, line, column, f"see_also lists '{target}' twice; remove one"))
            elif target not in entries:
                hint = did_you_mean(target, entries)
                problems.append(Problem(rel, line, column,
                                        f"see_also names '{target}', but there is no annotations/glossary/"
                                        f"{target}.yml{hint}; fix the id or add the entry"))
            seen.add(target)
