"""Load and validate ``annotations/``: glossary entries and notes files.

Structure is checked against the JSON Schemas shipped in ``schemas/`` (the
single source of truth for fields and types); the rules a schema cannot say
(ids from file names, forms claimed twice, ``see_also`` targets, notes files
without a page, duplicate note ids) are checked here.  Every problem becomes a
:class:`~annotated_edition.problems.Problem` with file, line, column and fix;
nothing raises.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema

from . import background, collector
from .matcher import form_key
from .model import MARKDOWN_SUFFIXES, Annotations, GlossaryEntry, Note, Source
from .problems import Problem
from .yamlload import Document, PathKey, YamlProblem, decode, load

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SCHEMA_FILES = ("glossary-entry.schema.json", "notes.schema.json", "source.schema.json")
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """One of the shipped JSON Schemas, parsed."""
    text = resources.files("annotated_edition").joinpath("schemas", name).read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _fast_check(name: str, items: bool = False) -> Callable[[Any], Any]:
    """A compiled validator (fastjsonschema) built from the same schema file.

    It only answers valid or not, about fifty times faster than jsonschema;
    jsonschema then explains the rare invalid file, with paths for positions.
    """
    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("$ref") in SCHEMA_FILES:
                node = {k: v for k, v in schema(node["$ref"]).items() if k not in ("$id", "$schema")}
            return {k: inline(v) for k, v in node.items() if k not in ("$id", "$schema")}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    document = inline(schema(name))
    if items:
        document = document["items"]
    document["$schema"] = "http://json-schema.org/draft-07/schema#"
    # Without details in its exceptions the generated code is half as long, and compiled (every
    # build) in half the time; the answer is only used as valid or not.
    return fastjsonschema.compile(document, detailed_exceptions=False)


def is_valid(name: str, value: Any, *, items: bool = False) -> bool:
    """Whether ``value`` satisfies the schema ``name`` (its `items` schema if ``items``)."""
    if collector.switched_off("fastjsonschema"):
        validator = _validator(name)
        if items:
            return not any(True for _ in validator.evolve(schema=validator.schema["items"]).iter_errors(value))
        return validator.is_valid(value)
    try:
        _fast_check(name, items)(value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    """jsonschema's validator: slower, but it says what is wrong and where (imported only when needed)."""
    import jsonschema
    from referencing import Registry, Resource

    registry: Registry = Registry().with_resources(
        (file, Resource.from_contents(schema(file))) for file in SCHEMA_FILES
    )
    cls = jsonschema.validators.validator_for(schema(name))
    return cls(schema(name), registry=registry)


# --------------------------------------------------------------------------
# Reading files (cached on modification time, so `mkdocs serve` re-reads only
# what changed; the cache holds parsed values, never build state)
# --------------------------------------------------------------------------

_FILE_CACHE: dict[str, tuple[tuple[int, int], Document | YamlProblem]] = {}


def _read(path: str, positions: bool = True) -> Document | YamlProblem:
    try:
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
    _FILE_CACHE[path] = (stamp, result)
    return result


def _relative(path: Path | str, root: Path) -> str:
    text, base = str(path), str(root).rstrip("/") + "/"
    if text.startswith(base):  # the usual case, without os.path.relpath's work
        return text[len(base):].replace(os.sep, "/")
    return Path(os.path.relpath(path, root)).as_posix()


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------

def _describe(path: Iterable[str | int]) -> str:
    """A field's name as a contributor reads it: `sources` item 2's `url`."""
    words: list[str] = []
    for part in path:
        if isinstance(part, int):
            words.append(f"item {part + 1}")
        else:
            words.append(f"'{part}'")
    return " → ".join(words) if words else "the file"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the text '{value}'" if len(str(value)) < 40 else "a text"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' — did you mean 'x'?' when a close choice exists, else ''."""
    import difflib  # only for a message

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


_PATTERN_HINTS = {
    "url": "must be a web address starting with http:// or https://",
    "date": "must be a date written YYYY, YYYY-MM or YYYY-MM-DD (for example 2023-05-06)",
    "accessed": "must be a date written YYYY, YYYY-MM or YYYY-MM-DD (for example 2023-05-06)",
    "lang": "must be a BCP 47 language tag such as es, qu or en",
    "id": "must be lowercase ASCII letters and digits joined by single hyphens (for example mine-fire)",
    "see_also": "must be an entry id: lowercase ASCII letters and digits joined by single hyphens",
}


def _schema_messages(error: Any) -> list[tuple[PathKey, bool, str]]:
    """Turn one schema error into (path of the node at fault, is-key, message) for each fault."""
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        path: PathKey = tuple(error.absolute_path)
        return [(path + (key,), True, f"unknown field '{key}'{did_you_mean(str(key), allowed)} (allowed here: "
                                      f"{', '.join(allowed)}); fix the spelling or remove the field")
                for key in error.instance if key not in allowed]
    return [_schema_message(error)]


def _schema_message(error: Any) -> tuple[PathKey, bool, str]:
    """Turn one schema error into (path of the node at fault, is-key, message)."""
    path: PathKey = tuple(error.absolute_path)
    field_name = next((p for p in reversed(path) if isinstance(p, str)), "")
    where = _describe(path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        name = missing[0] if missing else "?"
        hint = {"term": "the headword", "definition": "the entry's text", "quote": "the passage as it reads on the page",
                "note": "the note's text", "title": "the source's title"}.get(name, "a value")
        place = "this note" if "quote" in error.validator_value else ("this source" if name == "title" else "the entry")
        return path, False, f"missing required field '{name}' in {place}; add `{name}: …` with {hint}"
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [key for key in error.instance if key not in allowed]
        key = extras[0] if extras else "?"
        hint = did_you_mean(str(key), allowed)
        return path + (key,), True, (f"unknown field '{key}'{hint} (allowed here: {', '.join(allowed)}); "
                                     "fix the spelling or remove the field")
    if error.validator == "type":
        expected = error.validator_value
        if error.instance is None:
            return path, False, f"{where} is empty; write a value after '{field_name}:'"
        if expected == "boolean":
            return path, False, f"{where} must be true or false (unquoted), not {_kind(error.instance)}"
        if expected == "array" and not path:
            return path, False, ("a notes file is a list of notes, but this file holds "
                                 f"{_kind(error.instance)}; start each note with '- quote: …'")
        if expected == "array":
            return path, False, (f"{where} must be a list, not {_kind(error.instance)}; write each item on its "
                                 "own line starting with '- '")
        if expected == "object":
            if not path:
                return path, False, ("a glossary entry file holds one mapping (term:, definition:, …), "
                                     f"not {_kind(error.instance)}")
            return path, False, f"{where} must be a mapping of fields (name: value), not {_kind(error.instance)}"
        return path, False, f"{where} must be text, not {_kind(error.instance)}; quote it if needed"
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        hint = did_you_mean(str(error.instance), choices)
        return path, False, f"{where} is '{error.instance}'{hint}; use one of: {', '.join(choices)}"
    if error.validator == "minLength":
        return path, False, f"{where} is empty; write its text or remove the field"
    if error.validator == "pattern":
        hint = _PATTERN_HINTS.get(field_name, f"does not match {error.validator_value}")
        return path, False, f"{where} is '{error.instance}', but {hint}"
    return path, False, f"{where}: {error.message}"


# --------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------

class _FileChecker:
    """Validates one parsed file and reports problems with its positions."""

    def __init__(self, rel: str, doc: Document, sink: list[Problem]) -> None:
        self.rel = rel
        self.doc = doc
        self.sink = sink
        self.ok = True

    def report(self, path: PathKey, message: str, *, key: bool = False) -> None:
        line, column = self.doc.where(path, key=key)
        self.sink.append(Problem(self.rel, line, column, message))
        self.ok = False

    def check_schema(self, schema_name: str) -> None:
        self._coerce_booleans()
        if is_valid(schema_name, self.doc.value):
            self._check_dates(self.doc.value)
            return
        errors = sorted(_validator(schema_name).iter_errors(self.doc.value),
                        key=lambda e: (self.doc.where(tuple(e.absolute_path)), str(e.validator)))
        seen: set[tuple[PathKey, str]] = set()
        for error in errors:
            for path, is_key, message in _schema_messages(error):
                if (path, message) in seen:
                    continue
                seen.add((path, message))
                self.report(path, message, key=is_key)
        if self.ok:
            self._check_dates(self.doc.value)

    def _coerce_booleans(self) -> None:
        """`match_case: true` is the one boolean; every other scalar stays text."""
        value = self.doc.value
        if isinstance(value, dict) and ("match_case",) in self.doc.plain_scalars:
            raw = value.get("match_case")
            if raw in _TRUE:
                value["match_case"] = True
            elif raw in _FALSE:
                value["match_case"] = False

    def _check_dates(self, value: Any) -> None:
        """Full dates must exist on the calendar (the schema only checks their shape)."""
        holders: list[tuple[PathKey, Any]] = [((), value)] if isinstance(value, dict) else \
            [((index,), item) for index, item in enumerate(value)] if isinstance(value, list) else []
        for path, holder in holders:
            if not isinstance(holder, dict):
                continue
            for index, source in enumerate(holder.get("sources") or ()):
                for key in ("date", "accessed"):
                    date = source.get(key) if isinstance(source, dict) else None
                    if isinstance(date, str) and len(date) == 10:
                        try:
                            datetime.date.fromisoformat(date)
                        except ValueError:
                            where = path + ("sources", index, key)
                            self.report(where, f"{_describe(where)} is '{date}', which is not a real "
                                               "calendar date; check the day and month")


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

    def __init__(self, root: Path, annotations_dir: Path, pages: set[str] | None = None) -> None:
        self._root = root
        self._annotations_dir = annotations_dir
        self._pages = pages
        self._result: Annotations | None = None
        self._job: background.SharedJob[list[str], list[Any]] | None = None
        if not annotations_dir.is_dir():
            return
        self._files, self._listing_problems = _list_files(root, annotations_dir)
        chunks = [self._files[i:i + LOADING_CHUNK] for i in range(0, len(self._files), LOADING_CHUNK)]
        worker = not collector.switched_off("loading-worker") and background.possible() and background.worth_it(len(self._files), PARALLEL_LOADING_MINIMUM)
        # The work refers to no state of this object: a dropped loading leaves no reference cycle.
        self._job = background.SharedJob(
            chunks, functools.partial(_read_files, root, str(annotations_dir / "notes") + os.sep),
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
            with collector.paused():  # many small objects, no cycles (see collector.py)
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
        for outcome in outcomes:
            if len(outcome) == 2:  # a glossary file
                file_problems, entry = outcome
                problems.extend(file_problems)
                if entry is not None:
                    entry_docs.append((entry.path, entry.document, entry))
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
        _check_see_also(entry_docs, entries, problems)
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


def _read_files(root: Path, notes_prefix: str, names: list[str]) -> list[_GlossaryOutcome | _NotesOutcome]:
    """Read and check one chunk of annotation files (on a worker or here): one outcome per file."""
    return [_notes_file(name, root, notes_prefix) if name.startswith(notes_prefix) else _glossary_file(name, root)
            for name in names]


def _glossary_file(name: str, root: Path) -> _GlossaryOutcome:
    """One glossary entry file read and checked: its problems, and the entry if it is sound."""
    rel = _relative(name, root)
    problems: list[Problem] = []
    # An entry needs its positions only for a message: they are read when one is written.
    parsed = _read(name, positions=collector.switched_off("positions-only"))
    if isinstance(parsed, YamlProblem):
        return [Problem(rel, parsed.line, parsed.column, parsed.message)], None
    return problems, _load_entry(name, rel, parsed, problems)


def _notes_file(name: str, root: Path, notes_prefix: str) -> _NotesOutcome:
    """One notes file read and checked: its problems, its path, its page (``a/b.md``) and its notes."""
    rel = _relative(name, root)
    page = name[len(notes_prefix):-len(".yml")].replace(os.sep, "/") + ".md"
    parsed = _read(name)
    if isinstance(parsed, YamlProblem):
        return [Problem(rel, parsed.line, parsed.column, parsed.message)], rel, page, None
    problems: list[Problem] = []
    return problems, rel, page, _load_notes(rel, parsed, problems)


def _load_entry(path: str, rel: str, doc: Document, problems: list[Problem]) -> GlossaryEntry | None:
    checker = _FileChecker(rel, doc, problems)
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
    forms: list[str] = [value["term"]]
    paths: list[PathKey] = [("term",)]
    match_case = value.get("match_case", False)
    keys = {form_key(value["term"], match_case)}
    for index, form in enumerate(value.get("forms", [])):
        key = form_key(form, match_case)
        if key not in keys:
            keys.add(key)
            forms.append(form)
            paths.append(("forms", index))
    return GlossaryEntry(
        id=entry_id, term=value["term"], definition=value["definition"], forms=tuple(forms), path=rel,
        lang=value.get("lang"), match_case=value.get("match_case", False), link=value.get("link"),
        see_also=tuple(value.get("see_also", [])), sources=_sources(value.get("sources")),
        form_paths=tuple(paths), document=doc if collector.switched_off("positions-only") else doc.positions_only(),
    )


def _load_notes(rel: str, doc: Document, problems: list[Problem]) -> list[Note]:
    checker = _FileChecker(rel, doc, problems)
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
                    problems: list[Problem]) -> None:
    for rel, doc, entry in entry_docs:
        seen: set[str] = set()
        for index, target in enumerate(entry.see_also):
            if target != entry.id and target not in seen and target in entries:
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
