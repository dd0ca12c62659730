"""Typographic equivalence and form matching (pure core)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotated_edition.matcher import Form, FormMatcher
from annotated_edition.textnorm import canonical, is_word_char, normalize


def find(forms: list[tuple[str, str] | tuple[str, str, bool]], text: str) -> list[tuple[str, str]]:
    matcher = FormMatcher(Form(f[0], f[1], f[2] if len(f) > 2 else False) for f in forms)  # type: ignore[misc]
    return [(m.entry_id, text[m.start:m.end]) for m in matcher.find(text)]


# -- typographic equivalence ------------------------------------------------

def test_quotes_dashes_ellipsis_and_spaces_compare_equal() -> None:
    assert canonical("‘a’ “b” c–d—e … f\u00a0\u00a0g") == canonical("'a' \"b\" c-d-e ... f g")


def test_nfc_composed_and_decomposed_are_equal() -> None:
    assert canonical("Perú") == canonical("Peru\u0301")


def test_offsets_map_back_after_collapsing() -> None:
    text = "one   two...three"
    norm = normalize(text)
    start = norm.text.index("three")
    assert text[norm.to_original(start):norm.to_original(start + 5)] == "three"


@given(st.text(alphabet=st.sampled_from("ab .…’'-—\u00a0\ne\u0301"), max_size=40))
def test_every_canonical_offset_maps_into_the_original(text: str) -> None:
    norm = normalize(text)
    previous = 0
    for index in range(len(norm.text) + 1):
        original = norm.to_original(index)
        assert previous <= original <= len(text)
        previous = original
    assert norm.to_original(len(norm.text)) == len(text)


# -- forms ------------------------------------------------------------------

def test_whole_words_only() -> None:
    assert find([("c", "cholo")], "cholos and cholo, cholo-like") == [("c", "cholo"), ("c", "cholo")]


def test_longest_form_wins() -> None:
    forms = [("a", "Constitution"), ("b", "Fujimori constitution of 1993")]
    assert find(forms, "the Fujimori constitution of 1993 stands") == [("b", "Fujimori constitution of 1993")]


def test_edge_is_checked_only_where_the_form_has_a_letter_or_digit() -> None:
    # "'93" starts with an apostrophe: no edge check before it, but one after "3".
    assert find([("c", "'93")], "the ’93 text, x'93 and '934") == [("c", "’93"), ("c", "'93")]
    assert find([("c", "C++")], "C++ and C++11 and aC++") == [("c", "C++"), ("c", "C++")]


def test_case_insensitive_unless_match_case() -> None:
    assert find([("a", "Lima")], "LIMA lima") == [("a", "LIMA"), ("a", "lima")]
    assert find([("a", "CGTP", True)], "cgtp CGTP") == [("a", "CGTP")]


def test_typographic_equivalence_in_forms() -> None:
    assert find([("c", "93' Constitution")], "the 93’ Constitution") == [("c", "93’ Constitution")]
    assert find([("e", "Esperanza 1 mine")], "the Esperanza\u00a01  Mine") == [("e", "Esperanza\u00a01  Mine")]


def test_edges_next_to_non_ascii_letters() -> None:
    assert find([("p", "Peru")], "Perú Peru ñPeru") == [("p", "Peru")]


def test_hyphenated_compounds_expose_their_parts() -> None:
    assert find([("c", "centralist")], "an anti-centralist movement") == [("c", "centralist")]


WORDS = st.text(alphabet=st.sampled_from("abcéñ1 -'’.,"), min_size=1, max_size=8)


@settings(max_examples=200)
@given(forms=st.lists(WORDS.filter(lambda w: w.strip() != ""), min_size=1, max_size=6),
       text=st.text(alphabet=st.sampled_from("abcéñ1 -'’.,\u00a0"), max_size=80))
def test_matches_never_overlap_and_never_start_or_end_inside_a_word(forms: list[str], text: str) -> None:
    matcher = FormMatcher(Form(f"e{i}", form, False) for i, form in enumerate(forms))
    last_end = 0
    for match in matcher.find(text):
        assert last_end <= match.start < match.end <= len(text)
        last_end = match.end
        found = text[match.start:match.end]
        if is_word_char(found[0]) and match.start > 0:
            assert not is_word_char(text[match.start - 1])
        if is_word_char(found[-1]) and match.end < len(text):
            assert not is_word_char(text[match.end])
        assert any(canonical(found).lower() == canonical(f).strip().lower() for f in forms)


@settings(max_examples=200)
@given(form=st.sampled_from(["cholo", "O’Higgins", "Fujimori–Montesinos", "93'", "Lima  Metro", "e\u0301l"]),
       filler=st.lists(st.sampled_from(["a", "bb", "c,", "d.", "“e”"]), max_size=6),
       spelling=st.sampled_from([str, lambda f: f.replace("’", "'").replace("–", "-").replace("  ", "\u00a0")]),
       times=st.integers(1, 3))
def test_every_whole_word_occurrence_is_found_whatever_its_spelling(form, filler, spelling, times) -> None:
    """Completeness: a form written with other quotes, dashes or spaces is still found, every time."""
    written = spelling(form)
    text = " ".join(filler + [written] * times + filler)
    found = FormMatcher([Form("x", form, False)]).find(text)
    assert len(found) == times
    assert all(canonical(text[m.start:m.end]) == canonical(written) for m in found)


def test_longest_overlapping_form_wins_even_when_it_starts_later() -> None:
    forms = [("a", "Alan García"), ("b", "García Pérez government")]
    assert find(forms, "Alan García Pérez government") == [("b", "García Pérez government")]


# -- linking on the element tree preserves the text ---------------------------------

def _linked_html(forms: list[str], text: str) -> str:
    import markdown

    from annotated_edition.edition import Edition, EditionExtension, PageContext
    from annotated_edition.model import Annotations, GlossaryEntry
    from annotated_edition.render import SnippetRenderer

    entries = {f"e{i}": GlossaryEntry(id=f"e{i}", term=form, definition="D.", forms=(form,), path="x.yml")
               for i, form in enumerate(dict.fromkeys(forms))}
    edition = Edition(Annotations(entries=entries), SnippetRenderer([], {}), link_default="all")
    extension = EditionExtension(edition)
    extension.start_page(PageContext(src_path="index.md", glossary_href="glossary.html", paragraph_numbers=False))
    return markdown.Markdown(extensions=[extension]).convert(text)


@settings(max_examples=80, deadline=None)
@given(forms=st.lists(st.sampled_from(["cholo", "Lima", "caviar", "93’", "Fujimori constitution", "a b"]),
                      min_size=1, max_size=4),
       words=st.lists(st.sampled_from(["cholo", "cholos", "Lima", "lima,", "caviar", "’93", "93’", "Fujimori",
                                        "constitution", "a", "b", "x", "*em*", "`code`", "-", "—"]),
                      min_size=1, max_size=25))
def test_linking_preserves_the_text_and_links_whole_words_only(forms: list[str], words: list[str]) -> None:
    from bs4 import BeautifulSoup

    text = " ".join(words)
    plain = BeautifulSoup(_linked_html([], text), "html.parser")
    linked = BeautifulSoup(_linked_html(forms, text), "html.parser")
    assert linked.get_text() == plain.get_text()
    for link in linked.select("a.edition-term"):
        assert link.find_parent("code") is None
        before, after = link.previous_sibling, link.next_sibling
        surface = link.get_text()
        if isinstance(before, str) and before and is_word_char(surface[0]):
            assert not is_word_char(before[-1])
        if isinstance(after, str) and after and is_word_char(surface[-1]):
            assert not is_word_char(after[0])
