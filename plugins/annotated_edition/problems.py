"""What a check finds in an edition, each pinned to a file, line and column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Finding:
    """Something found at ``path`` (relative to the folder of ``mkdocs.yml``), ``line`` and ``column`` (1-based)."""

    path: str
    line: int
    column: int
    message: str
    command: ClassVar[str] = "error"   # the GitHub Actions workflow command that shows it on a diff

    def github(self) -> str:
        """The line GitHub Actions turns into an annotation on the pull request's diff."""
        text = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        path = self.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        return f"::{self.command} file={path},line={self.line},col={self.column}::{text}"


@dataclass(frozen=True)
class Problem(Finding):
    """One mistake in ``annotations/`` (or in how it meets the pages).

    ``message`` says what is wrong and how to fix it.  The build logs it as
    a warning, so that ``--strict`` fails on it; ``check`` exits 1.
    """

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class Notice(Finding):
    """Something an editor may want to know that is not a mistake (an entry linked nowhere).

    ``check`` prints it and still exits 0; the build logs it at INFO, so
    ``--strict`` does not fail on it.
    """

    command: ClassVar[str] = "notice"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: note: {self.message}"
