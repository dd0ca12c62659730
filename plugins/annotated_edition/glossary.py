"""The generated glossary page: entries by letter, then back-links.

The page is Markdown with one `##` heading per letter (so the table of
contents lists letters, not entries).  The entries themselves are HTML built
here: passing megabytes of ready HTML through Python-Markdown's raw-HTML
parser would only cost time, so each letter's entries replace a placeholder
comment once the page is rendered (:func:`fill_entries`).  Back-links cannot
be known until every page has rendered; each entry carries a placeholder that
:func:`fill_backlinks` replaces, in one pass, once they are (`on_env`).
Search indexes the glossary from entries of its own, without back-links.
"""

from __future__ import annotations

import html
import re
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .edition import Edition
from .markup import format_sources
from .model import GlossaryEntry
from .problems import Problem

_BACKLINKS = re.compile(r"<!--edition-backlinks:([a-z0-9-]+)-->")
_LETTER = re.compile(r"<!--edition-glossary:(\d+)-->")


def sort_key(term: str) -> tuple[str, str]:
    """Alphabetical order in which accents, case and leading punctuation do not scatter entries."""
    decomposed = unicodedata.normalize("NFKD", term)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    letters = "".join(c for c in base if c.isalnum() or c == " ").strip()
    return (letters or base, term)


def initial(term: str) -> str:
    """The letter heading an entry files under (`#` for digits and symbols)."""
    return _initial_of(sort_key(term))


def _initial_of(key: tuple[str, str]) -> str:
    first = key[0][:1].upper()
    return first if first.isalpha() else "#"


# An edition's entries by letter, sorted once per build (the page's source, its HTML, its search view).
_GROUPS: weakref.WeakKeyDictionary[Edition, dict[str, list[GlossaryEntry]]] = weakref.WeakKeyDictionary()


def _groups(edition: Edition) -> dict[str, list[GlossaryEntry]]:
    groups = _GROUPS.get(edition)
    if groups is None:
        groups = {}
        keyed = sorted((sort_key(entry.term), index, entry) for index, entry in enumerate(edition.entries.values()))
        for key, _, entry in keyed:
            groups.setdefault(_initial_of(key), []).append(entry)
        _GROUPS[edition] = groups
    return groups


def entries_in_order(edition: Edition) -> list[GlossaryEntry]:
    """The entries in the glossary page's order."""
    return [entry for entries in _groups(edition).values() for entry in entries]


def glossary_markdown(edition: Edition, title: str = "Glossary", intro: str = "") -> str:
    """The glossary page's Markdown source: front matter, letter headings, placeholders."""
    groups = _groups(edition)
    lines = ["---", f"title: {_yaml_text(title)}", "paragraph_numbers: false", "---", "", f"# {title}", ""]
    if intro:
        lines += [intro, ""]
    for index, letter in enumerate(groups):
        lines += [f"## {letter}", "", f"<!--edition-glossary:{index}-->", ""]
    if not groups:
        lines += ["The edition has no glossary entries yet.", ""]
    return "\n".join(lines)


def glossary_sections(edition: Edition, *, for_search: bool = False) -> list[str]:
    """Each letter's entries as HTML, in the order of :func:`glossary_markdown`'s placeholders.

    ``for_search``: only headwords and definitions, the part of an entry worth
    finding through the site's search, as one paragraph of plain text each
    (Material's search parser pays for every element in pure Python).
    """
    if for_search:
        return ["".join(f"<p>{html.escape(e.term, quote=False)}: "
                        f"{html.escape(edition.definitions[e.id].text, quote=False)}</p>" for e in entries)
                for entries in _groups(edition).values()]
    return [f'<dl class="edition-glossary">{"".join(_entry_html(edition, e) for e in entries)}</dl>'
            for entries in _groups(edition).values()]


def fill_entries(content: str, sections: Sequence[str]) -> str:
    """Put each letter's entries in place of its placeholder, in one pass."""
    return _LETTER.sub(lambda match: sections[int(match.group(1))], content)


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lang(tag: str | None) -> str:
    return f' lang="{html.escape(tag)}"' if tag else ""


def _entry_html(edition: Edition, entry: GlossaryEntry) -> str:
    lang = _lang(entry.lang)
    term = html.escape(entry.term)
    parts = [f'<div class="edition-entry" id="{entry.id}">',
             f'<dt class="edition-entry__term"><dfn{lang}>{term}</dfn>'
             f'<a class="headerlink" href="#{entry.id}" title="Permanent link" '
             f'aria-label="Permanent link to {term}">&para;</a></dt>',
             '<dd class="edition-entry__body">',
             f'<div class="edition-entry__definition">{edition.definitions[entry.id].html}</div>']
    extra_forms = entry.forms[1:]
    if extra_forms:  # each in its own language
        langs = entry.form_langs[1:] or (entry.lang,) * len(extra_forms)
        forms = ", ".join(f"<span{_lang(form_lang)}>{html.escape(form)}</span>"
                          for form, form_lang in zip(extra_forms, langs))
        parts.append(f'<p class="edition-entry__forms">Also in the text as: {forms}</p>')
    if entry.see_also:
        links = ", ".join(f'<a href="#{target}">{html.escape(edition.entries[target].term)}</a>'
                          for target in entry.see_also if target in edition.entries)
        parts.append(f'<p class="edition-entry__see-also">See also: {links}</p>')
    parts.append(format_sources(entry.sources))
    parts.append(f"<!--edition-backlinks:{entry.id}-->")
    parts.append("</dd></div>")
    return "".join(parts)


def heading_clashes(edition: Edition, heading_ids: set[str]) -> list[Problem]:
    """An entry's id must not be the id of a heading on the glossary page (a letter, the title)."""
    return [Problem(edition.entries[entry_id].path, 1, 1,
                    f"the entry id '{entry_id}' is also the id of a heading on the glossary page, so links to "
                    "the entry would land on the heading; rename the file")
            for entry_id in sorted(heading_ids & set(edition.entries))]


class PageLinks(NamedTuple):
    """A page's linked occurrences of one entry, as the glossary page shows them."""

    page_title: str
    page_href: str                     # relative URL from the glossary page to the page
    paragraphs: Sequence[int | None]   # each link's paragraph number (or None); the n-th is `term-<id>-<n>`


def fill_backlinks(content: str, backlinks: Mapping[str, Sequence[PageLinks]]) -> str:
    """Replace each entry's placeholder with its back-links, in one pass."""

    escaped: dict[str, str] = {}  # a page's href and title recur under every entry it links

    def escape(text: str) -> str:
        value = escaped.get(text)
        if value is None:
            value = escaped[text] = html.escape(text, quote=True)
        return value

    def replace(match: re.Match[str]) -> str:
        entry_id = match.group(1)
        pages = backlinks.get(entry_id)
        if not pages:
            return '<p class="edition-backlinks edition-backlinks--none">Not linked in the text.</p>'
        items = []
        for page in pages:
            href = escape(page.page_href)
            links = ", ".join(
                f'<a href="{href}#term-{entry_id}-{number}">{f"&para;{paragraph}" if paragraph else f"#{number}"}</a>'
                for number, paragraph in enumerate(page.paragraphs, start=1))
            items.append(f"<li>{escape(page.page_title)}: {links}</li>")
        return (f'<div class="edition-backlinks"><p class="edition-backlinks__title">In the text</p>'
                f'<ul>{"".join(items)}</ul></div>')

    return _BACKLINKS.sub(replace, content)
