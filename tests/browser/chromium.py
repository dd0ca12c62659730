"""Which Chromium the browser tests open, as Playwright is given it.

Here (and on Debian CI) it is Debian's `chromium`, given to Playwright as
`executable_path`: Playwright cannot download browsers on this machine. On
GitHub's runners the workflow installs Playwright's own build
(`playwright install --with-deps chromium`) and sets
``ANNOTATED_EDITION_CHROMIUM=playwright``, so no test needs editing:

* unset or ``debian``: Debian's `chromium` (or ``$CHROMIUM``, a path);
* ``playwright``: the browser Playwright installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHOICE_VARIABLE = "ANNOTATED_EDITION_CHROMIUM"
CHOICES = ("debian", "playwright")


def chromium_choice() -> str:
    """`debian` or `playwright`, from ``$ANNOTATED_EDITION_CHROMIUM`` (default `debian`)."""
    choice = os.environ.get(CHOICE_VARIABLE, "").strip().lower() or "debian"
    if choice not in CHOICES:
        pytest.fail(f"{CHOICE_VARIABLE}={choice!r}: unknown browser; set it to 'debian' (Debian's chromium, "
                    "the default) or 'playwright' (the browser `playwright install chromium` downloads)")
    return choice


def chromium_path() -> str | None:
    """The Chromium executable for Playwright's `executable_path`; None for Playwright's own browser."""
    if chromium_choice() == "playwright":
        return None
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Debian's chromium is required for the browser tests: apt-get install chromium "
                    f"(or set {CHOICE_VARIABLE}=playwright after `playwright install chromium`)")
    return found


def launch_options() -> dict[str, Any]:
    """Keyword arguments for `playwright.chromium.launch`: the chosen browser, offline and quiet."""
    return {"executable_path": chromium_path(), "args": CHROMIUM_ARGS}
