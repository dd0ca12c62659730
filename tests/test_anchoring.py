"""Anchoring notes by quotation on an element tree (pure core)."""

from __future__ import annotations

import xml.etree.ElementTree as etree

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from markdown.serializers import to_xhtml_string

from annotated_edition import markup
from annotated_edition.anchoring import AnchorError, closest_passage, find_anchor, flatten
from annotated_edition.model import Note
from annotated_edition.rules import passage_marks, run_content


def tree(html: str) -> etree.Element:
    return etree.fromstring(f"<div>{html}</div>")


def note(quote: str, note_id: str = "n1", **extra: str) -> Note:
    return Note(id=note_id, quote=quote, note="x", path="annotations/notes/index.yml", line=1, column=3, **extra)


def never(_: etree.Element) -> bool:
    return False


def anchor_all(root: etree.Element, notes: list[Note]) -> etree.Element:
    """Anchor ``notes`` in ``root`` and write their marks and references, as the edition does: the tree after."""
    flat = flatten(root, never)
    anchors = sorted((find_anchor(n, flat) for n in notes), key=lambda a: (a.start, -a.end))
    style = markup.LinkStyle("glossary.html", lambda entry_id: entry_id)
    written = markup.WrittenMarkup()
    for (element, attr), placed in passage_marks(flat, anchors).items():
        markup.write_run(element, attr, run_content(getattr(element, attr) or "", placed, ()), style, written)
    # The page as Python-Markdown finishes it: serialized, then what markup wrote in place of its placeholders.
    return etree.fromstring(written.fill(to_xhtml_string(root)))


def marked_text(root: etree.Element, note_id: str) -> str:
    return "".join("".join(_text_without_refs(m)) for m in root.iter("mark") if m.get("data-note") == note_id
                   and not any(p.get("data-note") == note_id for p in _ancestors(root, m)))


def _ancestors(root: etree.Element, target: etree.Element) -> list[etree.Element]:
    parents = {child: parent for parent in root.iter() for child in parent}
    found = []
    while target in parents:
        target = parents[target]
        found.append(target)
    return found


def visible(root: etree.Element) -> str:
    """The text a reader sees, less note references."""
    return "".join(_text_without_refs(root))


def _text_without_refs(element: etree.Element) -> list[str]:
    parts = [element.text or ""]
    for child in element:
        if child.tag != "sup":
            parts.extend(_text_without_refs(child))
        parts.append(child.tail or "")
    return parts


def test_quote_across_inline_markup_gets_one_mark_per_run() -> None:
    root = tree("<p>the <em>heroic</em> deed of our people</p>")
    root = anchor_all(root, [note("the heroic deed")])
    marks = list(root.iter("mark"))
    assert [m.text for m in marks] == ["the ", "heroic", " deed"]
    assert marked_text(root, "n1") == "the heroic deed"


def test_typographic_equivalence_in_quotes() -> None:
    root = tree("<p>the 93’ Constitution — and “caviar”</p>")
    root = anchor_all(root, [note("93' Constitution - and \"caviar\"")])
    assert marked_text(root, "n1") == "93’ Constitution — and “caviar”"


def test_reference_follows_the_last_run() -> None:
    root = tree("<p>alpha beta gamma</p>")
    root = anchor_all(root, [note("beta")])
    assert etree.tostring(root, encoding="unicode") == \
        '<div><p>alpha <mark class="edition-quote" data-note="n1">beta</mark><sup class="edition-note-ref" id="note-ref-n1"><a aria-label="Editorial note 1" class="footnote-ref" href="#note-n1">1</a></sup> gamma</p></div>'


def test_reference_goes_after_an_enclosing_link() -> None:
    root = tree('<p>see <a href="#x">the term</a> here</p>')
    root = anchor_all(root, [note("see the term")])
    html = etree.tostring(root, encoding="unicode")
    assert ('<a href="#x"><mark class="edition-quote" data-note="n1">the term</mark></a>'
            '<sup class="edition-note-ref" id="note-ref-n1"><a aria-label="Editorial note 1" class="footnote-ref" href="#note-n1">1</a></sup> here') in html


def test_nested_notes_nest_their_marks() -> None:
    root = tree("<p>one two three four</p>")
    root = anchor_all(root, [note("one two three", "outer"), note("two", "inner")])
    assert marked_text(root, "outer") == "one two three"
    assert marked_text(root, "inner") == "two"
    assert visible(root) == "one two three four"


def test_quote_never_spans_blocks() -> None:
    root = tree("<p>end of one</p><p>start of two</p>")
    with pytest.raises(AnchorError):
        find_anchor(note("one start"), flatten(root, never))


def test_no_match_names_the_closest_passage() -> None:
    root = tree("<p>the release of three leaders of the Defense Front</p>")
    with pytest.raises(AnchorError) as caught:
        find_anchor(note("release of four leaders"), flatten(root, never))
    assert "the closest passage is “release of three leaders”" in caught.value.message
    assert "% similar" in caught.value.message


def test_ambiguous_quote_lists_candidates_and_a_prefix_for_each() -> None:
    root = tree("<p>the red house and the blue house</p>")
    with pytest.raises(AnchorError) as caught:
        find_anchor(note("house"), flatten(root, never))
    message = caught.value.message
    assert "occurs twice" in message
    assert "[house]" in message and 'prefix: "red"' in message and 'prefix: "blue"' in message


def test_ambiguity_offers_a_suffix_when_no_prefix_can_tell() -> None:
    root = tree("<p>house one, house two</p>")
    with pytest.raises(AnchorError) as caught:
        find_anchor(note("house"), flatten(root, never))
    assert '(1) suffix: "one,"' in caught.value.message


def test_prefix_and_suffix_pick_one() -> None:
    root = tree("<p>the red house and the blue house</p>")
    flat = flatten(root, never)
    assert flat.text[find_anchor(note("house", prefix="blue"), flat).start - 5:][:10] == "blue house"
    assert find_anchor(note("house", suffix="and"), flat).start == flat.text.index("house")


def test_wrong_prefix_is_reported() -> None:
    root = tree("<p>the red house</p>")
    with pytest.raises(AnchorError) as caught:
        find_anchor(note("house", prefix="green"), flatten(root, never))
    assert "never with the prefix “green”" in caught.value.message


def test_raw_html_reason() -> None:
    root = etree.Element("div")
    etree.SubElement(root, "p").text = "text \x02wzxhzdk:0\x03"
    with pytest.raises(AnchorError) as caught:
        find_anchor(note("hidden words"), flatten(root, never), ["<div>hidden words</div>"])
    assert "only inside raw HTML" in caught.value.message


def test_closest_passage_gives_up_on_unrelated_text() -> None:
    assert closest_passage("zzzz qqqq", "alpha beta gamma")[0] is None


WORD = st.sampled_from(["alpha", "beta", "gamma", "delta", "épsilon", "’93", "—", "x"])


@settings(max_examples=150, deadline=None)
@given(words=st.lists(WORD, min_size=3, max_size=14), cut=st.data())
def test_marks_cover_exactly_the_quote_and_text_is_unchanged(words: list[str], cut: st.DataObject) -> None:
    # Build a paragraph whose words are spread over plain text, <em> and <a>.
    kinds = cut.draw(st.lists(st.sampled_from(["t", "em", "a"]), min_size=len(words), max_size=len(words)))
    html = "".join(w + " " if k == "t" else f"<{k}>{w}</{k}> " for w, k in zip(words, kinds))
    root = tree(f"<p>{html}</p>")
    before = visible(root)
    start = cut.draw(st.integers(0, len(words) - 1))
    end = cut.draw(st.integers(start + 1, len(words)))
    quote = " ".join(words[start:end])
    flat = flatten(root, never)
    text = flat.normalized.text
    assume(sum(text.startswith(quote, i) for i in range(len(text))) == 1)
    root = anchor_all(root, [note(quote)])
    assert visible(root) == before
    assert marked_text(root, "n1") == quote
