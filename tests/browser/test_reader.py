"""What a reader sees and does, in real Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

TERM = "a.edition-term[data-term=caviar]"


def open_article(page, server: str):
    page.goto(server + "index.html")
    page.wait_for_selector("#edition-definitions", state="attached")
    return page


# -- term tooltips ------------------------------------------------------------

def test_hover_shows_the_rendered_definition_and_moving_away_closes_it(page, server) -> None:
    open_article(page, server)
    page.hover(TERM)
    tooltip = page.locator("#edition-tooltip")
    tooltip.wait_for(state="visible")
    assert "affluent" in tooltip.inner_text()
    assert tooltip.locator("em").count() >= 1                      # rendered Markdown, not plain text
    assert tooltip.locator("a.edition-tooltip__more").get_attribute("href") == "glossary.html#caviar"
    assert page.get_attribute(TERM, "aria-describedby") == "edition-tooltip"
    assert page.get_attribute(TERM, "title") is None              # no second, native tooltip
    page.mouse.move(5, 880)
    tooltip.wait_for(state="hidden")


def test_keyboard_focus_shows_and_escape_closes(page, server) -> None:
    open_article(page, server)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('edition-term')"):
            break
    else:
        pytest.fail("no linked term is reachable with Tab")
    tooltip = page.locator("#edition-tooltip")
    tooltip.wait_for(state="visible")
    focused = page.evaluate("document.activeElement.dataset.term")
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "edition-tooltip"
    assert focused and tooltip.inner_text()
    page.keyboard.press("Escape")
    tooltip.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.term") == focused


def test_tap_shows_the_definition_then_a_second_tap_follows_the_link(browser, server) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone = context.new_page()
    open_article(phone, server)
    phone.locator(TERM).scroll_into_view_if_needed()
    phone.tap(TERM)
    phone.locator("#edition-tooltip").wait_for(state="visible")
    assert phone.url.endswith("index.html")
    phone.tap(TERM)
    phone.wait_for_url(re.compile(r"glossary\.html#caviar$"))
    context.close()


def test_the_link_still_leads_to_the_glossary_entry(page, server) -> None:
    open_article(page, server)
    page.click(TERM)
    page.wait_for_url(re.compile(r"glossary\.html#caviar$"))
    assert page.locator("#caviar").is_visible()


# -- notes ----------------------------------------------------------------------

def test_note_reference_shows_its_note_on_hover(page, server) -> None:
    open_article(page, server)
    reference = page.locator("sup.edition-note-ref a").nth(3)
    target = reference.get_attribute("href")
    reference.hover()
    tooltip = page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible")
    note_text = page.locator(f"li{target} .edition-note__body > p").nth(1).inner_text()
    assert note_text[:60] in tooltip.inner_text()


def test_note_reference_shows_its_note_on_focus(page, server) -> None:
    open_article(page, server)
    page.locator("sup.edition-note-ref a").first.focus()
    page.locator(".md-tooltip2--active").wait_for(state="visible")


def test_notes_section_shows_types_and_links_back(page, server) -> None:
    open_article(page, server)
    items = page.locator("section.edition-notes li.edition-note")
    assert items.count() >= 15
    labels = set(page.locator(".edition-note__type").all_inner_texts())
    assert {"CONTEXT", "TRANSLATION", "CORRECTION", "CITATION"} <= {label.upper() for label in labels}
    first = items.first
    first.locator("a.edition-note__backref").click()
    page.wait_for_url(re.compile(r"#note-ref-"))
    reference = page.locator(page.url.split("#")[1].join(["#", ""]))
    assert reference.is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_marked_passages_are_highlighted_in_both_palettes(browser, server, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    open_article(tab, server)
    background = tab.eval_on_selector("mark.edition-quote", "m => getComputedStyle(m).backgroundColor")
    page_background = tab.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent", page_background)
    assert tab.get_attribute("body", "data-md-color-scheme") == ("slate" if scheme == "dark" else "default")
    context.close()


# -- clean reading --------------------------------------------------------------

def word_boxes(page) -> list[list[float]]:
    return page.evaluate("""() => [...document.querySelectorAll('.md-content__inner p, .md-content__inner h2')]
        .map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })""")


def test_clean_reading_hides_everything_at_once_without_moving_text_and_persists(page, server) -> None:
    open_article(page, server)
    toggle = page.locator("button.edition-clean-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    before = word_boxes(page)
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    assert page.eval_on_selector("mark.edition-quote", "m => getComputedStyle(m).backgroundColor") == "rgba(0, 0, 0, 0)"
    assert page.eval_on_selector("sup.edition-note-ref", "s => getComputedStyle(s).visibility") == "hidden"
    assert page.eval_on_selector("a.edition-term", "a => getComputedStyle(a).textDecorationColor") == "rgba(0, 0, 0, 0)"
    assert word_boxes(page) == before
    page.reload()
    assert page.get_attribute("html", "class") and "edition-clean" in page.get_attribute("html", "class")
    page.goto(server + "about.html")
    assert page.locator("button.edition-clean-toggle").get_attribute("aria-pressed") == "true"
    page.locator("button.edition-clean-toggle").click()
    page.goto(server + "index.html")
    assert "edition-clean" not in (page.get_attribute("html", "class") or "")


# -- citing ---------------------------------------------------------------------

def test_paragraph_numbers_are_permalinks_and_copy_a_citation(browser, server) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    open_article(tab, server)
    tab.click("a.edition-pnum[href='#p5']")
    tab.wait_for_url(re.compile(r"#p5$"))
    assert tab.locator("#p5").is_visible()
    tab.hover("#p5")
    tab.click("#p5 > button.edition-cite")
    tab.wait_for_function("document.querySelector('.edition-status') && "
                          "document.querySelector('.edition-status').textContent.includes('copied')")
    copied = tab.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Alternativa Socialista, “Peru: How do we continue?”")
    assert "paragraph 5." in copied and copied.endswith("index.html#p5")
    context.close()


# -- print ------------------------------------------------------------------------

def test_print_stylesheet(page, server) -> None:
    open_article(page, server)
    page.hover(TERM)
    page.locator("#edition-tooltip").wait_for(state="visible")
    page.emulate_media(media="print")
    hidden = page.evaluate("""() => ['#edition-tooltip', 'button.edition-clean-toggle', 'button.edition-cite']
        .map(s => getComputedStyle(document.querySelector(s)).display)""")
    assert hidden == ["none", "none", "none"]
    term_color, text_color, decoration = page.eval_on_selector(
        TERM, "a => [getComputedStyle(a).color, getComputedStyle(a.parentElement).color, getComputedStyle(a).textDecorationLine]")
    assert term_color == text_color and decoration == "none"
    assert page.locator("section.edition-notes").is_visible()
    assert page.locator("sup.edition-note-ref").first.is_visible()
    assert page.locator("a.edition-pnum").first.is_visible()
    pdf = page.pdf()
    assert pdf[:4] == b"%PDF"


# -- one build, everywhere, offline -------------------------------------------------

def visit_all(tab, base: str) -> list[str]:
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    for name in ("index.html", "glossary.html", "about.html"):
        tab.goto(base + name)
        tab.wait_for_load_state("networkidle")
    return requests


def search_works(tab, base: str) -> bool:
    tab.goto(base + "index.html")
    tab.click("label.md-search__icon, .md-search__input")
    tab.locator("input.md-search__input").press_sequentially("Yanaquihua", delay=30)
    tab.locator(".md-search-result__item").first.wait_for(state="visible", timeout=15_000)
    return tab.locator(".md-search-result__item").count() > 0


def test_served_over_http_loads_nothing_from_outside_and_search_works(page, server) -> None:
    requests = visit_all(page, server)
    assert requests and all(url.startswith(server) for url in requests), [u for u in requests if not u.startswith(server)]
    assert search_works(page, server)


def test_opened_from_file_loads_nothing_from_outside_and_search_works(browser, site: Path) -> None:
    context = browser.new_context()
    tab = context.new_page()
    base = site.as_uri() + "/"
    requests = visit_all(tab, base)
    outside = [url for url in requests if not url.startswith(base)]
    assert requests and outside == []
    assert search_works(tab, base)
    # tooltips work from a file:// copy too
    tab.goto(base + "index.html")
    tab.hover(TERM)
    tab.locator("#edition-tooltip").wait_for(state="visible")
    context.close()
