"""Fixtures for the tests in this folder (helpers live in editions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from editions import BASIC_CONFIG, Edition

# Properties are about correctness, not speed: no per-example deadline, so a busy CI machine cannot fail them.
settings.register_profile("edition", deadline=None)
settings.load_profile("edition")


@pytest.fixture
def edition(tmp_path: Path) -> Edition:
    """An edition with one page and no annotations yet (mkdocs theme: fast)."""
    made = Edition(tmp_path)
    made.write("mkdocs.yml", BASIC_CONFIG.format(theme="mkdocs", link="first", directory_urls="true"))
    made.write("docs/index.md", "# Home\n\nA plain page.\n")
    (tmp_path / "annotations" / "glossary").mkdir(parents=True)
    (tmp_path / "annotations" / "notes").mkdir(parents=True)
    return made
