"""Small edits on element trees parsed from HTML: what the print edition does to the finished pages.

The trees are Python's ElementTree, parsed by WeasyPrint's own HTML5 parser
(tinyhtml5), so the book's HTML reads as WeasyPrint will read it.
"""

from __future__ import annotations

import copy
import html
import xml.etree.ElementTree as etree
from collections.abc import Callable

# A footnote sits inside its paragraph, so its blocks become spans (`pe-b pe-<tag>`, blocks again in CSS).
_BLOCKS = {"p", "div", "ul", "ol", "li", "blockquote", "dl", "dt", "dd", "pre", "table", "thead", "tbody", "tr",
           "td", "th", "figure", "figcaption", "section", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "address"}


def parse_fragment(fragment: str) -> etree.Element:
    """A fragment of HTML as the ``body`` of an element tree (WeasyPrint's own HTML5 parser)."""
    import tinyhtml5

    return tinyhtml5.parse(f"<!DOCTYPE html><html><body>{fragment}</body></html>",
                           namespace_html_elements=False).find("body")


def inner_html(holder: etree.Element) -> str:
    """The text and children of ``holder`` as HTML."""
    return html.escape(holder.text or "", quote=False) + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in holder)


def words(element: etree.Element) -> str:
    """An element's words as a reader sees them, whitespace folded."""
    return " ".join("".join(element.itertext()).split())


def classes(element: etree.Element) -> set[str]:
    """The element's classes."""
    return set((element.get("class") or "").split())


def remove_where(root: etree.Element, condition: Callable[[etree.Element], bool]) -> None:
    """Remove every element that meets ``condition``, keeping the text that follows it."""
    for parent in list(root.iter()):
        for child in list(parent):
            if condition(child):
                if child.tail:
                    at = list(parent).index(child)
                    if at:
                        parent[at - 1].tail = (parent[at - 1].tail or "") + child.tail
                    else:
                        parent.text = (parent.text or "") + child.tail
                parent.remove(child)


def insert_after(parent: etree.Element, element: etree.Element, new: etree.Element) -> None:
    new.tail, element.tail = element.tail, None
    parent.insert(list(parent).index(element) + 1, new)


def prepend(target: etree.Element, source: etree.Element) -> None:
    """Put the content of ``source`` at the start of ``target``."""
    if len(source):
        source[-1].tail = (source[-1].tail or "") + (target.text or "")
        target.text = source.text
        target[0:0] = list(source)
    else:
        target.text = (source.text or "") + (target.text or "")


def as_inline(element: etree.Element) -> etree.Element:
    """A copy of ``element`` whose block elements are spans, ids dropped."""
    made = copy.deepcopy(element)
    for node in made.iter():
        if isinstance(node.tag, str):
            node.attrib.pop("id", None)
            if node.tag in _BLOCKS:
                node.set("class", f"pe-b pe-{node.tag} {node.get('class') or ''}".strip())
                node.tag = "span"
    return made
