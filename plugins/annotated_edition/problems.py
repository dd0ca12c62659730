"""Problems found in an edition, each pinned to a file, line and column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in ``annotations/`` (or in how it meets the pages).

    ``path`` is relative to the folder of ``mkdocs.yml``; ``line`` and
    ``column`` are 1-based.  ``message`` says what is wrong and how to fix it.
    ``level`` is ``"warning"`` or ``"error"``: both fail ``--strict``.
    """

    path: str
    line: int
    column: int
    message: str
    level: str = "warning"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"

    def github(self) -> str:
        """The line GitHub Actions turns into an annotation on the diff."""
        text = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        kind = "error" if self.level == "error" else "warning"
        return f"::{kind} file={self.path},line={self.line},col={self.column}::{text}"
