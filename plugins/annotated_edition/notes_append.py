"""Append notes to a notes file without touching a byte of what is there.

A notes file is written by hand: its comments, quoting and line breaks are
the editors'.  Rewriting it through a YAML library would lose them, so new
notes are *appended* as text: each value is written by PyYAML's emitter
(which quotes whatever needs quoting), the whole item indented as the file's
list is, after a comment saying where the note came from.  Before anything
is written, the old text plus the new is read back with the edition's own
YAML reader, and must give the old notes followed by exactly the new ones.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .yamlload import YamlProblem, decode, load

SCHEMA = Path(__file__).resolve().parent / "schemas" / "notes.schema.json"


class CannotAppend(Exception):
    """The file cannot take new notes without being rewritten; its text says why and what to do."""


@dataclass(frozen=True)
class NewItem:
    """One note to append: its fields, in order, and a one-line comment above it."""

    fields: dict[str, object]
    comment: str = ""


def appended_text(path: Path, items: Sequence[NewItem], root: Path) -> tuple[bytes, bytes, list[int]]:
    """The file's bytes now, with ``items`` appended, and the line where each item starts; or :class:`CannotAppend`.

    A missing file is created (with the schema comment editors use, when the
    package's schema is inside the edition's folder ``root``); an empty one, or one holding only
    comments, is filled; a block list is appended to.  A flow-style list
    (``[…]``), a mapping or anything else is refused.
    """
    old = path.read_bytes() if path.exists() else b""
    try:
        text = decode(old)
    except YamlProblem as problem:
        raise CannotAppend(f"{problem.line}:{problem.column}: {problem.message}") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    indent = _list_indent(text)
    header = ""
    if not path.exists():
        header = _schema_comment(path, root)
    elif text and not text.endswith("\n"):
        header = newline
    addition = header
    lines: list[int] = []
    for index, item in enumerate(items):
        block = _item_text(item, indent)
        if text.strip() or index:
            addition += "\n"  # a blank line between notes, as the edition's files have
        lines.append(text.count("\n") + addition.count("\n") + 1 + (1 if item.comment.strip() else 0))
        addition += block
    if newline != "\n":
        addition = addition.replace("\n", newline)
    new = old + addition.encode("utf-8")
    _verify(text, new.decode("utf-8-sig"), items)
    return old, new, lines


def _list_indent(text: str) -> int:
    """The column of the file's top-level list (0 as a rule); :class:`CannotAppend` if it is not a block list."""
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}: " if mark else ""
        raise CannotAppend(f"{where}the file is not valid YAML; fix it first (annotated-edition check says how)") \
            from None
    if node is None:
        return 0
    if not isinstance(node, yaml.SequenceNode):
        raise CannotAppend(f"{node.start_mark.line + 1}:{node.start_mark.column + 1}: the file is not a list of "
                           "notes; fix it first (annotated-edition check says how)")
    if node.flow_style:
        raise CannotAppend(f"{node.start_mark.line + 1}:{node.start_mark.column + 1}: the notes are written as a "
                           "flow-style list ([…]), which cannot be appended to without rewriting the file; "
                           "rewrite it as a block list (each note starting with '- ') and import again")
    return node.start_mark.column


def _item_text(item: NewItem, indent: int) -> str:
    """One list item as YAML: the comment, then the note, every value quoted as it needs."""
    body = yaml.dump([item.fields], Dumper=_NoteDumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False, indent=2)
    lines = ([f"# {' '.join(item.comment.split())}\n"] if item.comment.strip() else []) + \
        body.splitlines(keepends=True)
    return "".join(" " * indent + line if line.strip() else line for line in lines)


class _NoteDumper(yaml.SafeDumper):
    """PyYAML's safe emitter, writing text with line breaks as a literal block (``|``) where it can."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Items of a nested list (sources) are indented under their key, as the edition's files are.
        super().increase_indent(flow, False)


_UNICODE_BREAKS = frozenset("\x85\u2028\u2029")
"""Line breaks that PyYAML's emitter mangles in plain, single-quoted and block styles; double quotes escape them."""


def _text_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if not _UNICODE_BREAKS.isdisjoint(value):
        style: str | None = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_NoteDumper.add_representer(str, _text_representer)


def _schema_comment(path: Path, root: Path) -> str:
    """The `$schema` comment editors use, when the package's schema is inside the edition (as in this repository)."""
    try:
        SCHEMA.relative_to(root.resolve())
    except ValueError:  # the package is installed elsewhere: no path an editor's checkout could follow
        return ""
    relative = os.path.relpath(SCHEMA, path.parent.absolute())
    return f"# yaml-language-server: $schema={Path(relative).as_posix()}\n"


def _verify(old_text: str, new_text: str, items: Sequence[NewItem]) -> None:
    """Read the new text back: the old notes, then exactly the new ones, or :class:`CannotAppend`."""
    try:
        before = load(old_text, positions=False).value if old_text.strip() else None
        after = load(new_text, positions=False).value
    except YamlProblem as problem:
        raise CannotAppend(f"{problem.line}:{problem.column}: the notes could not be appended without breaking "
                           f"the file ({problem.message}); add them by hand") from None
    expected = list(before or []) + [_as_read(item.fields) for item in items]
    if after != expected:
        raise CannotAppend("the notes could not be appended without changing how the file reads (does it end "
                           "with a document marker '...' or hold several documents?); add them by hand")


def _as_read(value: object) -> object:
    """A value as the edition's YAML reader gives it back (every scalar as text)."""
    if isinstance(value, dict):
        return {key: _as_read(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_read(item) for item in value]
    return value
