"""axe-core on the article, the glossary and the about page, in both palettes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def violations(tab) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    # Material animates its header when the page scrolls, a frame or two after the scroll: measure
    # contrast at rest, once no animation has run for ten frames in a row, not mid-transition.
    tab.wait_for_function("""() => new Promise(resolve => {
        let quiet = 0;
        const tick = () => {
            quiet = document.getAnimations().some(a => a.playState === "running") ? 0 : quiet + 1;
            if (quiet >= 10) resolve(true); else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
    })""")
    result = Axe().run(tab)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result.response["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["index.html", "glossary.html", "about.html"])
def test_no_axe_violations(browser, server, scheme: str, name: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    tab.goto(server + name)
    assert violations(tab) == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_with_a_tooltip_open_and_in_clean_reading(browser, server, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    tab.goto(server + "index.html")
    tab.focus("a.edition-term[data-term=caviar]")
    tab.locator("#edition-tooltip").wait_for(state="visible")
    assert violations(tab) == []
    tab.keyboard.press("Escape")
    tab.click("button.edition-clean-toggle")
    assert violations(tab) == []
    context.close()


def test_no_axe_violations_with_the_theme_s_note_tooltip_open(browser, server) -> None:
    """Keyboard focus on a note number opens Material's footnote tooltip, a dialog: it must have a name."""
    tab = browser.new_page()
    tab.goto(server + "index.html")
    tab.focus("sup.edition-note-ref > a")
    dialog = tab.locator(".md-tooltip2[role=dialog]").first
    dialog.wait_for(state="attached")
    tab.wait_for_timeout(300)  # the theme fills and shows it over a few frames
    assert dialog.get_attribute("aria-label") == "Editorial note"
    assert violations(tab) == []
    tab.close()


def test_foreign_terms_carry_lang(browser, server) -> None:
    tab = browser.new_page()
    tab.goto(server + "index.html")
    langs = tab.eval_on_selector_all("a.edition-term[data-term=caviar], a.edition-term[data-term=huaico]",
                                     "links => links.map(a => [a.lang, a.firstElementChild.lang])")
    assert langs == [["", "es"], ["", "es"]]  # the words are Spanish; the link's English title is not
    tab.goto(server + "glossary.html")
    assert tab.get_attribute("#caviar dfn", "lang") == "es"
    tab.close()
