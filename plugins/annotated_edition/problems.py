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
        text = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        path = self.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        return f"::error file={path},line={self.line},col={self.column}::{text}"
