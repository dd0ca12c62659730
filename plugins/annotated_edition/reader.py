"""What each annotated page carries for the reader's scripts (``assets/edition.js``).

The definitions its term links show as tooltips, the data "copy citation"
needs, and a script that applies a stored "clean reading" choice before the
first paint.  They go into the final HTML, after search has indexed the page.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence

CLEAN_READING_EARLY = ('<script>try{if(localStorage.getItem("annotated-edition.clean")==="1")'
                       'document.documentElement.classList.add("edition-clean")}catch(e){}</script>')


def definition_blocks(entry_ids: Iterable[str], preview: Callable[[str], str]) -> dict[str, str]:
    """Each entry's preview as the tooltips read it, by entry id (built once a build)."""
    return {entry_id: f'<div class="edition-definition" data-term="{entry_id}">{preview(entry_id)}</div>'
            for entry_id in entry_ids}


def with_reader_data(output: str, blocks: Sequence[str], heading_html: str | None, page_title: str,
                     author: str, site: str) -> str:
    """The page's final HTML with its tooltip definitions and citation data, and the early script.

    ``heading_html`` is the page's first-level heading as the table of
    contents holds it (escaped for HTML); without one, ``page_title`` names
    the page in a citation.
    """
    title = html.unescape(heading_html) if heading_html is not None else page_title
    block = (f'<div id="edition-definitions" class="edition-definitions" hidden '
             f'data-page-title="{html.escape(title, quote=True)}" '
             f'data-author="{html.escape(author, quote=True)}" '
             f'data-site="{html.escape(site, quote=True)}">{"".join(blocks)}</div>')
    # The block right after <body>: before the scripts at the end of the page, which read it.
    return insert_in_page(output, CLEAN_READING_EARLY, block)


def insert_in_page(output: str, head_end: str, body_start: str) -> str:
    """``head_end`` just before `</head>` (if any), ``body_start`` just after `<body …>` (else first), in one copy."""
    head = output.find("</head>")
    body_tag = output.find("<body", max(head, 0))
    body = output.find(">", body_tag) + 1 if body_tag != -1 else 0
    if head == -1:
        return output[:body] + body_start + output[body:]
    if body <= head:  # no <body> after the head: the block goes first, as a page without one gets it
        return "".join((body_start, output[:head], head_end, output[head:]))
    return "".join((output[:head], head_end, output[head:body], body_start, output[body:]))
