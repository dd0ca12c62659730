"""The edition on a 390 × 844 touch screen: previews and notes in popovers that fit the screen."""

from __future__ import annotations

import re

import pytest

from test_accessibility import violations

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
LONG = "a.edition-term[data-term=dina-boluarte]"   # the longest definition of the edition


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(**PHONE)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(server + "index.html")
    tab.wait_for_selector("#edition-definitions", state="attached")
    yield tab
    context.close()


def inside_the_screen(tab, selector: str) -> bool:
    box = tab.locator(selector).bounding_box()
    assert box is not None
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844


def tap(tab, selector: str) -> None:
    tab.locator(selector).first.scroll_into_view_if_needed()
    tab.locator(selector).first.tap()


def test_a_tapped_term_opens_a_preview_inside_the_screen(phone, server) -> None:
    tap(phone, LONG)
    popover = phone.locator("#edition-tooltip")
    popover.wait_for(state="visible")
    assert inside_the_screen(phone, "#edition-tooltip")
    assert phone.get_attribute(LONG, "aria-expanded") == "true"
    # Nothing is cut off: the popover shows all it holds, its link included, without scrolling.
    assert phone.evaluate("(e => e.scrollHeight <= e.clientHeight + 1)(document.getElementById('edition-tooltip'))")
    body = popover.locator(".edition-tooltip__body").inner_text()
    more = popover.locator("a.edition-tooltip__more")
    assert more.inner_text() == "Read more in the glossary"
    assert more.get_attribute("href") == "glossary.html#dina-boluarte"
    # A preview, not the whole definition: the glossary keeps that.
    phone.goto(server + "glossary.html")
    whole = phone.locator("#dina-boluarte .edition-entry__definition").inner_text()
    assert 400 <= len(body) < len(whole)
    assert whole.startswith(body.rstrip(". ")[:200])
    assert re.search(r"([.!?][\"”’)]*|…)$", body.strip()), "the preview ends at a sentence end, or a clause's"


def test_the_preview_link_leads_to_the_whole_entry(phone) -> None:
    tap(phone, LONG)
    phone.locator("#edition-tooltip a.edition-tooltip__more").tap()
    phone.wait_for_url(re.compile(r"glossary\.html#dina-boluarte$"))


def test_a_tapped_note_number_opens_the_note_without_leaving_the_passage(phone) -> None:
    reference = "sup.edition-note-ref > a"
    tap(phone, reference)
    popover = phone.locator("#edition-tooltip")
    popover.wait_for(state="visible")
    target = phone.locator(reference).first.get_attribute("href")
    assert phone.url.endswith("index.html"), "the first tap does not jump to the notes"
    assert inside_the_screen(phone, "#edition-tooltip")
    note_text = phone.locator(f"li{target} .edition-note__type ~ p").first.inner_text()
    assert note_text[:80] in popover.inner_text()
    link = popover.locator("a.edition-tooltip__more")
    assert link.get_attribute("href") == target
    link.tap()
    phone.wait_for_url(re.compile(re.escape(target) + "$"))


def test_a_second_tap_on_a_note_number_follows_it(phone) -> None:
    reference = "sup.edition-note-ref > a"
    tap(phone, reference)
    phone.locator("#edition-tooltip").wait_for(state="visible")
    target = phone.locator(reference).first.get_attribute("href")
    phone.locator(reference).first.tap()
    phone.wait_for_url(re.compile(re.escape(target) + "$"))


def test_keyboard_and_screen_reader_on_a_touch_screen(phone) -> None:
    """aria-expanded on the trigger, Escape closes, and focus returns to the trigger."""
    tap(phone, LONG)
    phone.locator("#edition-tooltip").wait_for(state="visible")
    assert phone.get_attribute(LONG, "aria-expanded") == "true"
    assert phone.get_attribute(LONG, "aria-describedby") == "edition-tooltip"
    phone.locator("#edition-tooltip a.edition-tooltip__more").focus()
    phone.keyboard.press("Escape")
    phone.locator("#edition-tooltip").wait_for(state="hidden")
    assert phone.get_attribute(LONG, "aria-expanded") == "false"
    assert phone.evaluate("document.activeElement.dataset.term") == "dina-boluarte"
    # A note number, too.
    tap(phone, "sup.edition-note-ref > a")
    phone.locator("#edition-tooltip").wait_for(state="visible")
    assert phone.locator("sup.edition-note-ref > a").first.get_attribute("aria-expanded") == "true"
    phone.keyboard.press("Escape")
    phone.locator("#edition-tooltip").wait_for(state="hidden")
    assert phone.locator("sup.edition-note-ref > a").first.get_attribute("aria-expanded") == "false"


def test_a_tap_elsewhere_closes_the_popover(phone) -> None:
    tap(phone, LONG)
    phone.locator("#edition-tooltip").wait_for(state="visible")
    phone.touchscreen.tap(200, 800)
    phone.locator("#edition-tooltip").wait_for(state="hidden")


@pytest.mark.parametrize("name", ["index.html", "glossary.html", "about.html"])
def test_no_axe_violations_at_phone_size(browser, server, name: str) -> None:
    context = browser.new_context(**PHONE)
    tab = context.new_page()
    tab.goto(server + name)
    assert violations(tab) == []
    context.close()


def test_no_axe_violations_with_popovers_open_at_phone_size(phone) -> None:
    tap(phone, LONG)
    phone.locator("#edition-tooltip").wait_for(state="visible")
    assert violations(phone) == []
    phone.keyboard.press("Escape")
    phone.locator("#edition-tooltip").wait_for(state="hidden")
    tap(phone, "sup.edition-note-ref > a")
    phone.locator("#edition-tooltip").wait_for(state="visible")
    assert violations(phone) == []
