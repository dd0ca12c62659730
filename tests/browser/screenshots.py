"""Regenerate the README's screenshots: `make screenshots`.

Builds the edition, opens it in Chromium (chromium.py says which) and saves, under
docs/assets/screenshots/: the article with a term tooltip open, the
glossary, the article in the dark palette, on a 390 × 844 phone a term's
preview and a note opened by a tap, and the print edition's first page of
the article (rendered with PDFium).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from chromium import REPO, launch_options  # noqa: E402

OUT = REPO / "docs" / "assets" / "screenshots"


def main() -> None:
    site = Path(tempfile.mkdtemp()) / "site"
    subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "-q", "-d", str(site)], cwd=REPO,
                   check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    OUT.mkdir(parents=True, exist_ok=True)
    base = site.as_uri() + "/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        for scheme, name in (("light", "article-tooltip.png"), ("dark", "article-dark.png")):
            page = browser.new_page(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
            page.goto(base + "index.html")
            term = page.locator("a.edition-term[data-term=caviar]")
            term.scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, 220)")
            if scheme == "light":
                term.hover()
                page.locator("#edition-tooltip").wait_for(state="visible")
            page.screenshot(path=str(OUT / name))
            page.close()
        phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                    device_scale_factor=2)
        for selector, name in (("a.edition-term[data-term=dina-boluarte]", "phone-term.png"),
                               ("sup.edition-note-ref > a", "phone-note.png")):
            page = phone.new_page()
            page.goto(base + "index.html")
            page.locator(selector).first.scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, -200)")
            page.locator(selector).first.tap()
            page.locator("#edition-tooltip").wait_for(state="visible")
            page.screenshot(path=str(OUT / name))
            page.close()
        phone.close()
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(base + "glossary.html#cholo")
        page.screenshot(path=str(OUT / "glossary.png"))
        browser.close()
    print_page(site)
    print(f"screenshots written to {OUT}")


def print_page(site: Path) -> None:
    """The print edition's first page of the article: running head, paragraph numbers, footnotes."""
    import pypdfium2
    from pypdf import PdfReader

    book = next(site.glob("*.pdf"))
    reader = PdfReader(book)
    first = reader.get_destination_page_number(reader.named_destinations["pg0"])
    pypdfium2.PdfDocument(book)[first].render(scale=2).to_pil().save(OUT / "pdf-page.png", optimize=True)


if __name__ == "__main__":
    main()
