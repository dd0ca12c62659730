"""Read one annotations file as plain data, keeping where every node was.

The contract asks for plain YAML: every scalar is the text written, and
anchors, aliases and tags are refused.  Building the value straight from
``yaml.parse`` events does all of that before anything is constructed, keeps
an alias bomb from ever expanding, and remembers the line and column of every
key and value so validation can point at the exact spot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Union

import yaml

try:  # libyaml's parser, driven directly: about ten times faster than pure Python.
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None

MAX_FILE_BYTES = 512 * 1024
"""A glossary entry or a notes file is text; half a megabyte is already a book."""

PathKey = tuple[Union[str, int], ...]
_STRUCTURE_EVENTS = (yaml.StreamStartEvent, yaml.DocumentStartEvent, yaml.DocumentEndEvent, yaml.StreamEndEvent)
_Scalar, _Alias = yaml.ScalarEvent, yaml.AliasEvent
_SequenceStart, _SequenceEnd = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_MappingEnd = yaml.MappingEndEvent
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Control characters YAML's reader refuses (C0 but tab and newlines, DEL, C1 but NEL, U+FFFE/U+FFFF).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


@dataclass
class Document:
    """A parsed file: its value and the position of each node.

    ``positions`` maps a path (keys and list indexes from the root) to the
    (line, column) of the value there; ``key_positions`` maps the path of a
    mapping value to the position of its key.  Positions are 1-based.
    """

    value: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    plain_scalars: set[PathKey] = field(default_factory=set)
    source: str | None = field(default=None, repr=False)
    """The text, while positions are still to be read from it (see :func:`load`)."""

    def positions_only(self) -> Document:
        """This document for messages only: its positions (still to be read, if they are), not its value.

        What outlives loading keeps this lighter copy: a file read on a worker
        crosses back to the build's process in two thirds of the time.
        """
        if self.source is None:
            return Document(value=None, positions=self.positions, key_positions=self.key_positions,
                            plain_scalars=self.plain_scalars)
        return Document(value=None, source=self.source)

    def where(self, path: PathKey, *, key: bool = False) -> tuple[int, int]:
        """Best position for ``path``: the node itself, else its nearest parent."""
        if self.source is not None and len(path) == 1 and not key and isinstance(path[0], str):
            # A top-level key of a block mapping (`term: …`) is found in the text, without parsing it again:
            # an entry's notice asks this of thousands of valid files.
            found = re.search(rf"^{re.escape(path[0])}:[ \t]*(?=\S)", self.source, re.M)
            if found:
                return self.source.count("\n", 0, found.start()) + 1, found.end() - found.start() + 1
        if self.source is not None:  # the first question about a position: read them all now
            located = load(self.source)
            self.positions, self.key_positions = located.positions, located.key_positions
            self.plain_scalars, self.source = located.plain_scalars, None
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))


class YamlProblem(Exception):
    """The file cannot be read as plain YAML; carries the position and the fix."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def decode(raw: bytes) -> str:
    """Decode a file's bytes as UTF-8, or explain where it is not."""
    if len(raw) > MAX_FILE_BYTES:
        raise YamlProblem(1, 1, f"the file is {len(raw):,} bytes, over the limit of {MAX_FILE_BYTES:,}; "
                                "split it or shorten it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(line, column, f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; "
                                        "save the file as UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    control = _CONTROL.search(text)
    if control:
        before = text[: control.start()]
        line = before.count("\n") + 1
        column = control.start() - (before.rfind("\n") + 1) + 1
        raise YamlProblem(line, column, f"control character U+{ord(control.group()):04X} is not allowed; "
                                        "delete it")
    return text


def load(text: str, *, positions: bool = True) -> Document:
    """Parse ``text`` as plain YAML (one document) into a :class:`Document`.

    ``positions=False``: the value only, and which top-level keys hold plain
    (unquoted) scalars; the positions are read from the text again the first
    time :meth:`Document.where` is asked (for a message, which a valid file
    never needs).  A file that is not plain YAML raises the same
    :class:`YamlProblem` either way.
    """
    events = _events(text)
    if not positions:
        quick = _values(events)
        if quick is not None:
            value, plain_keys = quick
            return Document(value=value, plain_scalars={(key,) for key in plain_keys}, source=text)
        # Something is wrong: the full reading below says what, and where.
    doc = Document(value=None)
    stack: list[tuple[str, Any, PathKey, Any]] = []  # (kind, container, path, pending key)
    root_set = False

    def place(value: Any, position: tuple[int, int], is_container: bool, plain: bool = False) -> PathKey:
        nonlocal root_set
        if not stack:
            if root_set:
                raise YamlProblem(*position, "a file holds one YAML document; remove the '---' "
                                             "separator and what follows, or move it to its own file")
            doc.value = value
            root_set = True
            path: PathKey = ()
        else:
            kind, container, parent_path, pending = stack[-1]
            if kind == "seq":
                path = parent_path + (len(container),)
                container.append(value)
            elif pending is None:
                if is_container:
                    raise YamlProblem(*position, "a key must be plain text, not a list or a mapping")
                if value in container:
                    first = doc.key_positions.get(parent_path + (value,), position)
                    raise YamlProblem(*position, f"the key '{value}' appears twice in this mapping "
                                                 f"(first at line {first[0]}); keep only one")
                stack[-1] = (kind, container, parent_path, (value, position))
                return parent_path
            else:
                key, key_position = pending
                path = parent_path + (key,)
                container[key] = value
                doc.key_positions[path] = key_position
                stack[-1] = (kind, container, parent_path, None)
        doc.positions[path] = position
        if plain:
            doc.plain_scalars.add(path)
        return path

    for event in events:
        kind = type(event)
        if kind in _STRUCTURE_EVENTS:
            continue
        if kind is _SequenceEnd or kind is _MappingEnd:
            stack.pop()
            continue
        position = (event.start_mark.line + 1, event.start_mark.column + 1)
        refusal = _refusal(kind, event)
        if refusal:
            raise YamlProblem(*position, refusal)
        if kind is _Scalar:
            awaiting_key = bool(stack) and stack[-1][0] == "map" and stack[-1][3] is None
            value, plain = _scalar(event, awaiting_key)
            place(value, position, False, plain)
        elif kind is _SequenceStart:
            container: list[Any] = []
            path = place(container, position, True)
            stack.append(("seq", container, path, None))
        else:  # mapping start
            mapping: dict[str, Any] = {}
            path = place(mapping, position, True)
            stack.append(("map", mapping, path, None))
    if not root_set:
        doc.value = None
    return doc


def _refusal(kind: type, event: Any) -> str:
    """Why an event is not plain YAML (an alias, an anchor, a tag), or "" if it is."""
    if kind is _Alias:
        return f"alias '*{event.anchor}' is not allowed: annotations use plain YAML; write the value out in full"
    if event.anchor:
        return f"anchor '&{event.anchor}' is not allowed: annotations use plain YAML; remove it"
    if event.tag and not (kind is _Scalar and event.tag == "!"):
        return (f"tag '{event.tag}' is not allowed: annotations use plain YAML; remove it (quote the value if "
                "it starts with '!')")
    return ""


def _scalar(event: Any, is_key: bool) -> tuple[Any, bool]:
    """A scalar's value (its text, or None for an empty or null plain value) and whether it was plain.

    A key is always the text written.
    """
    plain = bool(event.implicit[0]) and not event.style
    return (None if plain and not is_key and event.value in _NULLS else event.value), plain


def _values(events: list[Any]) -> tuple[Any, set[str]] | None:
    """The value of a plain-YAML event stream and its top-level plain keys; None at anything :func:`load` refuses.

    The same rules as :func:`load` without the bookkeeping of positions (a
    third of the time): anchors, aliases, tags, duplicate keys, container
    keys and a second document all answer None.
    """
    stack: list[list[Any]] = []   # [container, is_mapping, pending key or _NO_KEY]
    root: Any = None
    root_set = False
    plain_keys: set[str] = set()
    for event in events:
        kind = type(event)
        if kind in _STRUCTURE_EVENTS:
            continue
        if kind is _SequenceEnd or kind is _MappingEnd:
            stack.pop()
            continue
        if _refusal(kind, event):
            return None
        plain = False
        if kind is _Scalar:
            value, plain = _scalar(event, bool(stack) and stack[-1][1] and stack[-1][2] is _NO_KEY)
        elif kind is _SequenceStart:
            value = []
        else:
            value = {}
        if not stack:
            if root_set:
                return None
            root, root_set = value, True
        else:
            top = stack[-1]
            if not top[1]:
                top[0].append(value)
            elif top[2] is _NO_KEY:
                if kind is not _Scalar or value in top[0]:
                    return None
                top[2] = value
                continue
            else:
                top[0][top[2]] = value
                if plain and len(stack) == 1:
                    plain_keys.add(top[2])
                top[2] = _NO_KEY
        if kind is _SequenceStart:
            stack.append([value, False, _NO_KEY])
        elif kind is not _Scalar:
            stack.append([value, True, _NO_KEY])
    return root, plain_keys


_NO_KEY = object()


def _parse_events(text: str) -> list[Any]:
    """The parse events of ``text``: only events, nothing is ever constructed."""
    if _CParser is None:  # pragma: no cover - depends on how PyYAML was built
        return list(yaml.parse(text, Loader=yaml.SafeLoader))
    parser = _CParser(text)
    events = []
    event = parser.get_event()
    while event is not None:
        events.append(event)
        event = parser.get_event()
    return events


def _events(text: str) -> list[Any]:
    """All parse events of ``text``, or a :class:`YamlProblem` at the syntax error."""
    try:
        return _parse_events(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _pos(mark) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        raise YamlProblem(line, column, f"YAML syntax error: {what}; check the indentation and quoting "
                                        "around this line (values with ': ' or starting with a quote or "
                                        "'[' need quotes around them)") from None
    except yaml.YAMLError as exc:  # reader errors (odd characters)
        raise YamlProblem(1, 1, f"YAML error: {exc}; save the file as plain UTF-8 text") from None
