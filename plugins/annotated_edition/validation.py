"""Validate one annotation file against the shipped JSON Schemas, and say what is wrong.

Structure is checked against the JSON Schemas in ``schemas/`` (the single
source of truth for fields and types): fastjsonschema answers valid or not,
and jsonschema explains the rare invalid file, each fault turned into a
message a contributor can act on, at the line and column of the value.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import fastjsonschema

from . import ablation
from .problems import Problem
from .yamlload import Document, PathKey

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
    if ablation.off("fastjsonschema"):
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
    if error.validator == "anyOf":  # a form: its text, or a mapping with `form:` and `lang:`
        branch = 1 if isinstance(error.instance, dict) else 0
        chosen = [e for e in error.context if e.relative_schema_path[0] == branch and e.validator != "type"]
        if isinstance(error.instance, (dict, str)) and chosen:
            return [message for e in chosen for message in _schema_messages(e)]
        return [(tuple(error.absolute_path), False,
                 f"{_describe(error.absolute_path)} must be a form written as text, or a mapping with `form:` "
                 f"and `lang:`, not {_kind(error.instance)}")]
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


class FileChecker:
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
