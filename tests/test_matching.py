"""Typographic equivalence and form matching (pure core)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from annotated_edition.matcher import Form, FormMatcher
from annotated_edition.textnorm import canonical, fold_case, is_word_char, normalize


def find(forms: list[tuple[str, str] | tuple[str, str, bool]], text: str) -> list[tuple[str, str]]:
    matcher = FormMatcher(Form(f[0], f[1], f[2] if len(f) > 2 else False) for f in forms)  # type: ignore[misc]
    return [(m.entry_id, text[m.start:m.end]) for m in matcher.find(text)]


# -- typographic equivalence ------------------------------------------------

def test_every_unicode_space_is_whitespace_for_matching() -> None:
    from annotated_edition.textnorm import WHITESPACE

    assert set(WHITESPACE) == {c for c in map(chr, range(0x110000)) if c.isspace()} | {"\ufeff"}


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

def _linked_html(forms: list[str], text: str, quotes: list[str] = (), link: str = "all") -> str:  # type: ignore[assignment]
    """``text`` converted with an entry for each form and a note for each quote (its passage marked)."""
    import markdown

    from annotated_edition.edition import Edition, EditionExtension, PageContext
    from annotated_edition.model import Annotations, GlossaryEntry, Note
    from annotated_edition.render import SnippetRenderer

    entries = {f"e{i}": GlossaryEntry(id=f"e{i}", term=form, definition="D.", forms=(form,), path="x.yml")
               for i, form in enumerate(dict.fromkeys(forms))}
    notes = [Note(id=f"n{i}", quote=quote, note="N.", path="n.yml", line=1, column=1)
             for i, quote in enumerate(quotes)]
    edition = Edition(Annotations(entries=entries, notes={"index.md": notes}), SnippetRenderer([], {}),
                      link_default=link)
    extension = EditionExtension(edition)
    extension.start_page(PageContext(src_path="index.md", glossary_href="glossary.html", paragraph_numbers=False,
                                     notes=notes))
    html = markdown.Markdown(extensions=[extension]).convert(text)
    return re.sub(r'title="[0-9a-f]{16}:', 'title="TOKEN:', html)


@settings(max_examples=80, deadline=None)
@given(forms=st.lists(st.sampled_from(["cholo", "Lima", "caviar", "93’", "Fujimori constitution", "a b",
                                       "AT&T", "<b>", "x > y", 'a "b"'] ),
                      min_size=1, max_size=4),
       words=st.lists(st.sampled_from(["cholo", "cholos", "Lima", "lima,", "caviar", "’93", "93’", "Fujimori",
                                        "constitution", "a", "b", "x", "*em*", "`code`", "-", "—",
                                        "AT&T", "AT&amp;T", "&lt;b&gt;", "x", ">", "y", '"b"', "&copy;"]),
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


def _reading(html: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The page's words without note references and notes section, and each link's (start, end, entry) in them."""
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup.select("sup.edition-note-ref, section.edition-notes"):
        hidden.decompose()
    text, links = "", []
    for node in soup.descendants:
        if isinstance(node, NavigableString):
            text += str(node)
        elif node.name == "a" and "edition-term" in (node.get("class") or []):
            links.append((len(text), len(text) + len(node.get_text()), node["data-term"]))
    return text.rstrip(), links  # the notes section's line break


PASSAGE_WORDS = ["cholo", "cholos", "Lima", "Limaville", "caviar", "Socialist", "Party", "the", "a", "b", "x"]


@settings(max_examples=120, deadline=None)
@given(forms=st.lists(st.sampled_from(["cholo", "Lima", "caviar", "Socialist Party", "the Socialist", "a b", "x"]),
                      min_size=1, max_size=4),
       words=st.lists(st.sampled_from(PASSAGE_WORDS), min_size=2, max_size=20),
       cuts=st.lists(st.tuples(st.integers(0, 19), st.integers(1, 6), st.integers(0, 5), st.integers(0, 5)),
                     max_size=3),
       link=st.sampled_from(["first", "all"]))
@example(forms=["Lima"], words=["Visit", "Limaville", "today"], cuts=[(0, 2, 0, 4)], link="first")
@example(forms=["Socialist Party"], words=["met", "the", "Socialist", "Party", "today"], cuts=[(3, 2, 0, 0)],
         link="first")
def test_marked_passages_change_no_link(forms: list[str], words: list[str], cuts: list[tuple[int, int, int, int]],
                                        link: str) -> None:
    """Notes whose passages begin or end anywhere, even inside a word or a form, link the same forms, whole
    words only, and the reader's text is the same."""
    text = " ".join(words)
    quotes = []
    for first, count, trim_start, trim_end in cuts:  # a run of words, maybe cut inside its first and last word
        run = " ".join(words[first:first + count])
        quote = run[min(trim_start, len(run) // 2):len(run) - min(trim_end, len(run) // 2)].strip()
        if quote and quote not in quotes:
            quotes.append(quote)
    plain_text, plain_links = _reading(_linked_html(forms, text, link=link))
    marked = _linked_html(forms, text, quotes, link=link)
    marked_text, marked_links = _reading(marked)
    assert marked_text == plain_text
    assert [(start, end, entry) for start, end, entry in marked_links] == plain_links
    for start, end, _ in marked_links:
        assert start == 0 or not (is_word_char(marked_text[start - 1]) and is_word_char(marked_text[start]))
        assert end == len(marked_text) or not (is_word_char(marked_text[end]) and is_word_char(marked_text[end - 1]))
    assert "<mark" not in marked or all(re.findall(r"<mark[^>]*>(.+?)</mark>", marked))  # no empty mark
    assert "\x02" not in marked


@pytest.mark.parametrize("forms, quote, source, expected", [
    # A passage that begins or ends inside a word: the form is not whole there.
    (["Lima"], "Visit Lima", "Visit Limaville today.",
     '<p><mark class="edition-quote" data-note="n0">Visit Lima</mark>{ref}ville today.</p>'),
    # A passage that begins inside a form: the mark is cut at the link's edge, as the elements nest.
    (["Socialist Party"], "Party today", "We met the Socialist Party today.",
     '<p>We met the {link}Socialist <mark class="edition-quote" data-note="n0">Party</mark></a>'
     '<mark class="edition-quote" data-note="n0"> today</mark>{ref}.</p>'),
    # One that ends inside a form: its reference follows the link.
    (["Socialist Party"], "met the Socialist", "We met the Socialist Party today.",
     '<p>We <mark class="edition-quote" data-note="n0">met the </mark>{link}'
     '<mark class="edition-quote" data-note="n0">Socialist</mark> Party</a>{ref} today.</p>'),
    # One inside a form.
    (["Socialist Party"], "Socialist", "We met the Socialist Party today.",
     '<p>We met the {link}<mark class="edition-quote" data-note="n0">Socialist</mark> Party</a>{ref} today.</p>'),
    # A form inside a passage: the link sits in the mark.
    (["Socialist Party"], "the Socialist Party", "We met the Socialist Party today.",
     '<p>We met <mark class="edition-quote" data-note="n0">the {link}Socialist Party</a></mark>{ref} today.</p>'),
])
def test_a_passage_edge_inside_a_form(forms: list[str], quote: str, source: str, expected: str) -> None:
    link = ('<a class="edition-term" data-term="e0" href="glossary.html#e0" id="term-e0-1" title="TOKEN:e0">')
    ref = ('<sup class="edition-note-ref" id="note-ref-n0"><a aria-label="Editorial note 1" class="footnote-ref" '
           'href="#note-n0">1</a></sup>')
    html = _linked_html(forms, source, [quote], link="first")
    assert html.split("\n")[0] == expected.format(link=link, ref=ref)


def test_another_conversion_during_the_page_does_not_use_up_its_first_links() -> None:
    """A hook that converts Markdown with the site's extensions while the page is current (a summary, say)."""
    import markdown

    from annotated_edition.edition import Edition, EditionExtension, PageContext
    from annotated_edition.model import Annotations, GlossaryEntry
    from annotated_edition.render import SnippetRenderer

    entry = GlossaryEntry(id="lima", term="Lima", definition="D.", forms=("Lima",), path="x.yml")
    extension = EditionExtension(Edition(Annotations(entries={"lima": entry}), SnippetRenderer([], {})))
    extension.start_page(PageContext(src_path="index.md", glossary_href="g.html", paragraph_numbers=False))
    markdown.Markdown(extensions=[extension]).convert("A summary about Lima.")
    page = markdown.Markdown(extensions=[extension]).convert("The city of Lima is big.")
    assert 'id="term-lima-1"' in page and ">Lima</a>" in page


# -- the matcher against a brute-force reference ------------------------------------

def reference_find(forms: list[tuple[str, str, bool]], text: str) -> list[tuple[int, int, str]]:
    """Every form found by trying each position, the SPEC's rules applied one by one.

    ``text`` must be canonical already (offsets in it are then those `find` returns).
    Where forms have the same folded spelling, the first given whose case rule
    holds names the occurrence.
    """
    folded = fold_case(text)
    found: dict[tuple[int, int], str] = {}
    for entry_id, raw, match_case in forms:
        spelled = canonical(raw).strip()
        if not spelled:
            continue
        needle, haystack = (spelled, text) if match_case else (fold_case(spelled), folded)
        for start in range(len(text) - len(needle) + 1):
            end = start + len(needle)
            if haystack[start:end] != needle:
                continue
            if is_word_char(spelled[0]) and start > 0 and is_word_char(text[start - 1]):
                continue
            if is_word_char(spelled[-1]) and end < len(text) and is_word_char(text[end]):
                continue
            found.setdefault((start, end), entry_id)
    chosen: list[tuple[int, int, str]] = []
    for (start, end), entry_id in sorted(found.items(), key=lambda item: (item[0][0] - item[0][1], item[0][0])):
        if all(end <= other_start or other_end <= start for other_start, other_end, _ in chosen):
            chosen.append((start, end, entry_id))
    return sorted(chosen)


# No two of these have the same word shape with different edges, none ends in a combining mark
# (the tests after the next add both).
FORMS = ["ab", "ab c", "b c", "c'", "'ba", "c' ab", "é", "É", "a_b", "-x", "AB", "b", "c ab", "c ab c"]
# These add forms that share a word shape but not their edges: "x" / "-x" / "x-", "c" / "c'", "é" / "é-".
FORMS_SHARING_SHAPES = FORMS + ["x-", "x", "c", "é-"]
# These add forms that end in a combining mark (a word character, though not alphanumeric).
FORMS_ENDING_IN_A_MARK = FORMS + ["b\u0301", "ab\u0301"]
# Texts are words, each followed by a separator: mostly the forms drawn, in their own case and swapped,
# alone or two run together where they can share characters (so that they overlap often), else ASCII and
# NFC letters, digits, letters followed by a combining mark they do not compose with.
FILLERS = ["a", "b", "c", "x", "1", "ñ", "ü", "É", "b\u0301", "x\u0301", "é\u0301", "_"]
SEPARATORS = [" "] * 6 + ["", "", ",", ".", ";", ":", "!", "?", "(", ")", "'", '"', "-", "_"]


@st.composite
def forms_and_text(draw: st.DrawFn, alphabet: list[str]) -> tuple[list[tuple[str, str, bool]], str]:
    """Forms (entry id, spelling, match_case) and a canonical text made of them and of fillers."""
    chosen = draw(st.lists(st.tuples(st.sampled_from(alphabet), st.booleans()), min_size=1, max_size=6))
    forms = [(f"e{i}", form, match_case) for i, (form, match_case) in enumerate(chosen)]
    spelled = st.sampled_from([form for form, _ in chosen] + [form.swapcase() for form, _ in chosen])
    text = ""
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["filler", "form", "two forms sharing characters", "two forms sharing characters"]))
        word = draw(st.sampled_from(FILLERS) if kind == "filler" else spelled)
        if kind == "two forms sharing characters":   # e.g. "ab c" and "c ab" make "ab c ab"
            second = draw(spelled)
            shared = [k for k in range(1, min(len(word), len(second)))
                      if fold_case(word[-k:]) == fold_case(second[:k])]
            if shared:
                word += second[draw(st.sampled_from(shared)):]
        text += word + draw(st.sampled_from(SEPARATORS))
    return forms, canonical(text)


def _compare_with_the_reference(case: tuple[list[tuple[str, str, bool]], str]) -> None:
    forms, text = case
    assert canonical(text) == text and normalize(text).breaks == ()   # offsets are the same in both
    matcher = FormMatcher(Form(*form) for form in forms)
    assert [(m.start, m.end, m.entry_id) for m in matcher.find(text)] == reference_find(forms, text)


@settings(max_examples=200, deadline=None)
@given(case=forms_and_text(FORMS))
def test_find_agrees_with_a_brute_force_reference(case: tuple[list[tuple[str, str, bool]], str]) -> None:
    _compare_with_the_reference(case)


@settings(max_examples=200, deadline=None)
@example(case=([("e0", "x", False), ("e1", "-x", False)], "a x"))
@example(case=([("e0", "x", False), ("e1", "-x", False)], "x"))
@given(case=forms_and_text(FORMS_SHARING_SHAPES))
def test_find_agrees_with_the_reference_when_forms_share_a_word_shape(
        case: tuple[list[tuple[str, str, bool]], str]) -> None:
    _compare_with_the_reference(case)


@settings(max_examples=200, deadline=None)
@example(case=([("e0", "b\u0301", False)], "b\u0301ab"))
@given(case=forms_and_text(FORMS_ENDING_IN_A_MARK))
def test_find_agrees_with_the_reference_for_forms_ending_in_a_combining_mark(
        case: tuple[list[tuple[str, str, bool]], str]) -> None:
    _compare_with_the_reference(case)


def test_a_yoruba_form_is_not_found_inside_a_longer_word() -> None:
    # NFC keeps "ọ́" as "ọ" + U+0301: the form ends in a combining mark, which the word shape cannot see.
    assert find([("oyo", "Ọ̀yọ́")], "Ọ̀yọ́ and Ọ̀yọ́bá") == [("oyo", "Ọ̀yọ́")]


@pytest.mark.parametrize("forms", [[("jr", "Jr"), ("jr-dot", "Jr.")], [("jr-dot", "Jr."), ("jr", "Jr")]])
def test_a_form_and_the_same_form_with_a_final_period_are_both_found(forms: list[tuple[str, str]]) -> None:
    # Both have the word shape " jr ", with their edges in different places.
    assert find(forms, "Jr said to Jr. Smith") == [("jr", "Jr"), ("jr-dot", "Jr.")]


def test_the_reference_itself() -> None:
    """The reference applies the rules the examples above spell out."""
    entries = [("a", "b c", False), ("b", "ab c", False), ("c", "AB", True), ("d", "ab", False), ("e", "-x", False)]
    text = "ab c, AB ab cab, a-x x -x"
    assert [(entry, text[start:end]) for start, end, entry in reference_find(entries, text)] == [
        ("b", "ab c"), ("c", "AB"), ("d", "ab"), ("e", "-x"), ("e", "-x")]


@pytest.mark.parametrize("source, surface", [
    ("Call AT&T &amp; co. &copy; today.", "AT&T"),   # entities in the same text, restored after the link
    ("Call AT&T today.", "AT&T"),
    ("Is x > y here?", "x > y"),
])
def test_a_term_link_keeps_the_text_as_python_markdown_writes_it(source: str, surface: str) -> None:
    """A link is an element of the tree: outside it the page is unchanged, inside it its words, in their language."""
    import markdown

    from annotated_edition.edition import Edition, EditionExtension, PageContext
    from annotated_edition.model import Annotations, GlossaryEntry
    from annotated_edition.render import SnippetRenderer

    entry = GlossaryEntry(id="e-1", term=surface, definition="D.", forms=(surface,), path="x.yml", lang="es")
    edition = Edition(Annotations(entries={"e-1": entry}), SnippetRenderer([], {}))
    extension = EditionExtension(edition)
    extension.start_page(PageContext(src_path="a/index.md", glossary_href="../glossary/?x=1&y=2",
                                     paragraph_numbers=False))
    written = markdown.Markdown(extensions=[extension]).convert(source)
    opening = (f'<a class="edition-term" data-term="e-1" href="../glossary/?x=1&amp;y=2#e-1" id="term-e-1-1" '
               f'title="{edition.title_placeholder("e-1")}"><span lang="es">')
    assert opening in written
    start = written.index(opening)
    end = written.index("</span></a>", start)
    words = written[start + len(opening):end]   # the surface as the serializer escapes it
    assert written[:start] + words + written[end + len("</span></a>"):] == markdown.Markdown().convert(source)
