"""Problems found in an edition, each pinned to a file, line and column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in ``annotations/`` (or in how it meets the pages).

    ``path`` is relative to the folder of ``mkdocs.yml``; ``line`` and
    ``column`` are 1-based.  ``message`` says what is wrong and how to fix it.
    The build logs it as a warning, so that ``--strict`` fails on it.
    """

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"

    def github(self) -> str:
        """The `::error` line GitHub Actions turns into an annotation on the pull request's diff."""
        return _workflow_command("error", self)


@dataclass(frozen=True)
class Notice:
    """Something an editor may want to know that is not a mistake (an entry linked nowhere).

    ``check`` prints it and still exits 0; the build logs it at INFO, so
    ``--strict`` does not fail on it.
    """

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: note: {self.message}"

    def github(self) -> str:
        """The `::notice` line GitHub Actions shows on the pull request's diff."""
        return _workflow_command("notice", self)


def _workflow_command(command: str, item: Problem | Notice) -> str:
    text = item.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    path = item.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    return f"::{command} file={path},line={item.line},col={item.column}::{text}"
