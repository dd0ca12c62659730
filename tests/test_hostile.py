"""Hostile pull requests: nothing executable reaches the built site."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from bs4 import BeautifulSoup

from editions import Edition

ATTACKS = {
    "script": "Hi <script>alert('x1')</script> there.",
    "iframe": "<iframe src=\"https://evil.example/\"></iframe> framed",
    "style": "<style>body{display:none}</style> styled",
    "event handler": "<b onmouseover=\"alert('x2')\">bold</b>",
    "img onerror": "<img src=x onerror=\"alert('x3')\">",
    "svg onload": "<svg onload=\"alert('x4')\"><circle/></svg>",
    "markdown javascript link": "[click](javascript:alert('x5'))",
    "encoded javascript": "<a href=\"&#106;avascript:alert('x6')\">enc</a>",
    "mixed case scheme": "<a href=\"JaVaScRiPt:alert('x7')\">case</a>",
    "data url": "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgneDgnKTwvc2NyaXB0Pg==\">data</a>",
    "object": "<object data=\"https://evil.example/x.swf\"></object>",
    "form": "<form action=\"https://evil.example/\"><input name=q></form>",
    "meta refresh": "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    "base": "<base href=\"https://evil.example/\">",
    "link stylesheet": "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">",
    "attribute breakout": "<a href=\"https://ok.example/\" title='\"><script>alert(1)</script>'>t</a>",
    "tab in scheme": "[tab](java&#9;script:alert('x10'))",
}
JAVASCRIPT_ATTACKS = ("markdown javascript link", "encoded javascript", "mixed case scheme", "tab in scheme")

BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


def hostile_edition(made: Edition) -> None:
    made.write("docs/index.md", "# Page\n\nThe cholo word and a passage here.\n")
    made.entry("cholo", "term: cholo\ndefinition: |\n" + "".join(f"  {line}\n" for line in ATTACKS.values()))
    made.entry("quote-breakout", "term: '\"><script>alert(9)</script>'\ndefinition: \"x\"\n"
                                 "sources:\n  - title: '<script>alert(10)</script>'\n"
                                 "    publisher: '<img src=x onerror=alert(11)>'\n"
                                 "    url: 'https://ok.example/\"onmouseover=\"alert(12)'\n")
    made.notes("index", "- quote: a passage here\n  note: |\n" + "".join(f"    {line}\n" for line in ATTACKS.values()))


def executable_things(site: Path) -> list[str]:
    """Everything in the site's pages that could run code or load from outside."""
    found = []
    for page in site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(True):
            if tag.name in ("iframe", "object", "embed", "form", "base", "svg") and not tag.find_parent("label"):
                if tag.name != "svg" or tag.get("onload"):
                    found.append(f"{page.name}: <{tag.name}>")
            if tag.name == "meta" and tag.get("http-equiv"):
                found.append(f"{page.name}: <meta http-equiv>")
            for name, value in tag.attrs.items():
                text = " ".join(value) if isinstance(value, list) else str(value)
                if name.startswith("on"):
                    found.append(f"{page.name}: {name}= on <{tag.name}>")
                if name in ("href", "src", "action", "formaction") and text.strip().lower().startswith(BAD_SCHEMES):
                    found.append(f"{page.name}: {name}={text[:30]}")
            if tag.name == "script" and "alert(" in tag.get_text():
                found.append(f"{page.name}: script with alert")
            if tag.name == "link" and "evil.example" in str(tag.get("href")):
                found.append(f"{page.name}: external stylesheet")
    return found


def baseline(tmp_path: Path) -> list[str]:
    """What the theme itself puts in the same pages (its search form, its meta tags)."""
    from editions import configure

    clean = Edition(tmp_path / "baseline")
    configure(clean)
    clean.write("docs/index.md", "# Page\n\nThe cholo word and a passage here.\n")
    clean.entry("cholo", "term: cholo\ndefinition: A *word* with a [link](https://example.org/) and `code`.\n")
    clean.entry("quote-breakout", "term: breakout\ndefinition: x\n")
    clean.notes("index", "- quote: a passage here\n  note: A note.\n")
    result = clean.build()
    assert not result.failed, result.messages
    return executable_things(result.site)


def test_hostile_markdown_is_inert(edition: Edition, tmp_path: Path) -> None:
    hostile_edition(edition)
    result = edition.build(strict=False)
    assert not result.failed
    assert sorted(executable_things(result.site)) == sorted(baseline(tmp_path))
    # The harmless text around the attacks survives.
    assert "bold" in result.page("glossary/index.html")


def test_every_removal_is_reported_with_file_and_line(edition: Edition) -> None:
    hostile_edition(edition)
    result = edition.build(strict=True)
    assert result.failed
    glossary = [m for m in result.messages if m.startswith("annotations/glossary/cholo.yml:2:13: the definition contains")]
    notes = [m for m in result.messages if m.startswith("annotations/notes/index.yml:2:9: the note 'n1' contains")]
    for messages in (glossary, notes):
        text = " ".join(messages)
        # each javascript: attack is caught on its own, however it is spelled
        assert text.count("'javascript:' URL") == len(JAVASCRIPT_ATTACKS), messages
        for expected in ("<script> with its content", "<iframe> with its content", "<style> with its content",
                         "attribute onmouseover=", "<img>", "<svg> with its content", "'javascript:' URL", "'data:' URL",
                         "<object>", "<form>", "<meta>", "<base>", "<link>"):
            assert expected in text, (expected, messages)


def test_the_checker_itself_sees_attacks(tmp_path: Path) -> None:
    """Guard against a checker that finds nothing: raw attacks in a page are seen."""
    page = tmp_path / "x.html"
    page.write_text("<html><body><a href='javascript:x'>a</a><b onclick='x'>b</b><iframe></iframe></body></html>")
    assert len(executable_things(tmp_path)) == 3


@pytest.mark.parametrize("raw", [
    b"\x00\x01\x02term: x\n",
    b"term: x\ndefinition: \xff\xfe\n",
    "term: x\ndefinition: \u202eevil\u202c text\n".encode(),
    b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
    b"term: x\ndefinition: " + b"y" * 700_000 + b"\n",
], ids=["nul bytes", "invalid utf-8", "bidi override", "alias bomb", "oversized"])
def test_odd_files_are_refused_and_change_nothing(edition: Edition, raw: bytes) -> None:
    edition.write("docs/index.md", "# Page\n\nThe x word.\n")
    edition.write("annotations/glossary/x.yml", raw)
    result = edition.build(strict=False)
    assert not result.failed
    problems = [m for m in result.messages if m.startswith("annotations/glossary/x.yml:")]
    if b"\xe2\x80\xae" in raw:
        # A bidi control is text, not an attack on the build: it is kept escaped-safe and rendered as text.
        assert "edition-term" in result.page()
    else:
        assert problems, result.messages
        assert "edition-term" not in result.page()


def test_one_entry_cannot_change_another_through_markdown_definitions(edition: Edition) -> None:
    """Reference-link and abbreviation definitions stay inside the entry that writes them."""
    from editions import configure

    configure(edition, extra="")
    edition.write("mkdocs.yml", (edition.root / "mkdocs.yml").read_text().replace("  - attr_list\n",
                                                                                   "  - attr_list\n  - abbr\n"))
    edition.write("docs/index.md", "# Page\n\nAn apple and a zebra.\n")
    edition.entry("apple", "term: apple\ndefinition: See [the ref] for apples.\n")
    edition.entry("zebra", "term: zebra\ndefinition: A striped Apple-lover.\n")
    edition.entry("evil", "term: evil\ndefinition: |\n  Plain.\n\n  [the ref]: https://evil.example/\n"
                          "  *[Apple]: Injected tooltip\n")
    result = edition.build()
    glossary = result.page("glossary/index.html")
    assert "evil.example" not in glossary
    assert "Injected tooltip" not in glossary


# -- the audit names everything the sanitizer removes -------------------------------------

HTML_PIECES = st.sampled_from([
    "<p>", "</p>", "<em>", "</em>", "<a href=\"https://ok.example/\">", "<a href=\"javascript:x\">", "</a>",
    "<br />", "<br>", "<hr />", "<img src=x>", "<b onclick=\"x\">", "</b>", "<script>", "</script>", "<!-- c -->",
    " rel=\"noopener noreferrer\"", "<a href=\"https://ok.example/\" rel=\"noopener noreferrer\">", "<p id=\"x\">",
    "<span lang=\"es\">", "</span>", "text", " />", "&amp;", "&lt;", "\"", "'", ">", "<", "é"])


@given(st.lists(HTML_PIECES, max_size=12).map("".join))
def test_whenever_the_sanitizer_removes_something_the_warning_names_it(fragment: str) -> None:
    from annotated_edition.render import SnippetRenderer, audit, sanitize

    renderer = SnippetRenderer([], {})
    rendered = renderer._finish(f"snippet {fragment}", fragment)  # as a build finishes a rendered snippet
    assert rendered.html == sanitize(fragment)
    assert rendered.removed == tuple(audit(fragment))  # the shortcut past the audit never hides a removal
