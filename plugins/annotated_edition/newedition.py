"""`annotated-edition new DIR`: a complete edition, ready to build, from the files in ``edition_template/``.

The template's files are copied with a few placeholders filled in
(``__VERSION__``, ``__SITE_NAME__``, ``__TITLE__``, ``__AUTHOR_LINE__``,
``__LANGUAGE__``); a name that starts with ``dot_`` becomes a dot-file
(``dot_github/`` → ``.github/``), since package data leaves dot-files out.
What goes into YAML is written as a double-quoted scalar, so any title
gives a valid ``mkdocs.yml``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from importlib.abc import Traversable

TEMPLATE = "edition_template"
DOT_PREFIX = "dot_"
PLACEHOLDER = re.compile(r"__[A-Z_]+__")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# What a YAML scalar may hold (YAML 1.1's printable characters); a title is one line of them.
PRINTABLE = re.compile("^[\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")
DEFAULT_TITLE = "An annotated edition"


class NewEditionError(Exception):
    """A reason not to write the edition, said so that the user can fix it."""


@dataclass(frozen=True)
class NewEdition:
    """What the user asked for: where, and the few facts the files need."""

    target: Path
    title: str = DEFAULT_TITLE
    author: str = ""
    language: str = "en"

    def check(self, languages: set[str]) -> None:
        """Refuse what would give a broken edition or overwrite anything (``languages``: what the theme knows)."""
        if self.target.exists() and not self.target.is_dir():
            raise NewEditionError(f"{self.target} is a file; give the path of a new or empty folder")
        if self.target.is_dir() and any(self.target.iterdir()):
            raise NewEditionError(f"{self.target} is not empty; give the path of a new or empty folder, "
                                  "so that nothing in it is overwritten")
        for option, value in (("--title", self.title), ("--author", self.author)):
            if not PRINTABLE.match(value):
                raise NewEditionError(f"{option} holds a line break or a control character; give it on one line "
                                      "of printable text")
        if not self.title.strip():
            raise NewEditionError("--title is empty; give the edition's title")
        if not LANGUAGE.match(self.language) or (languages and self.language not in languages):
            known = ", ".join(sorted(languages)) if languages else "a language tag such as en, es or pt-BR"
            raise NewEditionError(f"--language {self.language!r} is not a language the theme knows; give one of: "
                                  f"{known}")

    def values(self) -> dict[str, str]:
        """Each placeholder's text: YAML values as double-quoted scalars (JSON strings are valid YAML)."""
        author_line = (f"site_author: {yaml_string(self.author)}" if self.author.strip()
                       else '# site_author: "Your name"   # the author named in citations')
        return {"__VERSION__": __version__, "__SITE_NAME__": yaml_string(self.title),
                "__TITLE__": self.title, "__AUTHOR_LINE__": author_line, "__LANGUAGE__": self.language}

    def write(self, languages: set[str]) -> list[Path]:
        """Check, then write every file of the edition: the paths written, relative to the target."""
        self.check(languages)
        values = self.values()
        written: list[Path] = []
        for relative, text in template_files():
            filled = PLACEHOLDER.sub(lambda match: values.get(match.group(0), match.group(0)), text)
            path = self.target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(filled, encoding="utf-8")
            written.append(Path(relative))
        return written


def yaml_string(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (quotes, colons, ``#`` and the like stay text)."""
    return json.dumps(text, ensure_ascii=False)


def template_files() -> list[tuple[PurePosixPath, str]]:
    """The template's files: (path in the new edition, text), dot-files renamed, in a stable order."""
    found: list[tuple[PurePosixPath, str]] = []
    pending: list[tuple[PurePosixPath, Traversable]] = [(PurePosixPath(), resources.files("annotated_edition") / TEMPLATE)]
    while pending:
        relative, folder = pending.pop()
        for item in folder.iterdir():
            if item.name == "__pycache__":
                continue
            name = "." + item.name[len(DOT_PREFIX):] if item.name.startswith(DOT_PREFIX) else item.name
            if item.is_dir():
                pending.append((relative / name, item))
            else:
                found.append((relative / name, item.read_text(encoding="utf-8")))
    return sorted(found)


def theme_languages() -> set[str]:
    """The languages Material for MkDocs has templates for (empty if it cannot be found)."""
    try:
        languages = resources.files("material") / "templates" / "partials" / "languages"
        return {item.name.removesuffix(".html") for item in languages.iterdir() if item.name.endswith(".html")}
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return set()
