"""A definition's preview: its first paragraph, cut at a sentence end past about 500 characters."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from hypothesis import given
from hypothesis import strategies as st

from annotated_edition.preview import HARD_LIMIT, LIMIT, preview


def text_of(fragment: str) -> str:
    return "".join(etree.fromstring(f"<div>{fragment}</div>").itertext())


def sentence(words: int, end: str = ".") -> str:
    return " ".join(["Word"] + ["word"] * (words - 1)) + end


def test_a_short_definition_is_its_own_preview() -> None:
    fragment = "<p>A <em>huaico</em> is a mudslide.</p>"
    assert preview(fragment) == fragment


def test_only_the_first_paragraph() -> None:
    assert preview("<p>First.</p>\n<p>Second.</p>") == "<p>First.</p>"
    assert preview("<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<p>after</p>") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"


def test_a_long_paragraph_is_cut_at_the_first_sentence_end_past_the_limit() -> None:
    sentences = [sentence(12) for _ in range(20)]   # 20 sentences of about 70 characters
    cut = preview("<p>" + " ".join(sentences) + "</p>")
    text = text_of(cut)
    assert LIMIT <= len(text) < LIMIT + 80
    assert text.endswith(".") and " ".join(sentences).startswith(text)


def test_markup_open_at_the_cut_is_closed() -> None:
    long = " ".join(sentence(12) for _ in range(10))
    cut = preview(f"<p><strong>Bold: {long} And more.</strong> After.</p>")
    assert cut.endswith("</strong></p>")
    assert text_of(cut).startswith("Bold:")


def test_an_abbreviation_or_an_initial_does_not_end_a_sentence() -> None:
    head = " ".join(sentence(12) for _ in range(8))  # 488 characters: the limit falls in "S.A.C."
    fragment = f"<p>{head} The mine belongs to Minera Yanaquihua S.A.C. It is in Arequipa. J. Pérez said so.</p>"
    text = text_of(preview(fragment))
    assert text.endswith("It is in Arequipa.")


def test_entities_and_attributes_survive_the_cut() -> None:
    long = " ".join(sentence(12) for _ in range(10))
    fragment = f'<p>Caf&eacute; &amp; <a href="https://example.org/?a=1&amp;b=2">link</a>. {long}</p>'
    cut = preview(fragment)
    assert cut.startswith('<p>Café &amp; <a href="https://example.org/?a=1&amp;b=2">link</a>.')
    assert text_of(cut).startswith("Café & link.")


words = st.text(alphabet="abcdefghij", min_size=1, max_size=9)
sentences = st.lists(words, min_size=1, max_size=30).map(lambda w: " ".join(w).capitalize() + ".")
paragraphs = st.lists(sentences, min_size=1, max_size=40).map(" ".join)
wrappers = st.sampled_from(["{}", "<em>{}</em>", "<strong>{}</strong>", "{} <code>x</code>"])


@given(st.lists(st.tuples(paragraphs, wrappers), min_size=1, max_size=4))
def test_any_preview_is_well_formed_and_a_prefix_of_the_first_paragraph(blocks) -> None:
    fragment = "\n".join(f"<p>{wrapper.format(text)}</p>" for text, wrapper in blocks)
    first = text_of(f"<p>{blocks[0][1].format(blocks[0][0])}</p>")
    cut = preview(fragment)
    text = text_of(cut)           # parses: the preview is well formed
    assert first.startswith(text.removesuffix("…"))
    if len(first) <= LIMIT:
        assert text == first
    elif text != first:
        assert LIMIT <= len(text) <= HARD_LIMIT + 1
        assert re.search(r"[.!?]$", text) or text.endswith("…")


def test_a_sentence_that_runs_on_is_cut_at_a_clause_with_an_ellipsis() -> None:
    run_on = "; ".join(f"clause {i} goes on and on, without an end" for i in range(40))
    text = text_of(preview(f"<p>Start {run_on}.</p>"))
    assert text.endswith("without an end…") and LIMIT <= len(text) <= HARD_LIMIT + 1
