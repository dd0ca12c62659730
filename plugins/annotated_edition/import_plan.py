"""Decide what becomes of each imported annotation: a note on a page, or a reason why not.

Pure: given the pages' addresses, a page's flat text (as :mod:`.rules`
flattens it for quotes) and its notes, each :class:`~.importing.Incoming`
becomes a :class:`NewNote` (the mapping to write) or a :class:`Skipped`
(what to tell the user).  The quote is anchored by the same rules as
``check`` (:mod:`.anchoring`): a ``prefix`` or ``suffix`` is added only
where the quote alone occurs more than once, and the note is anchored again
with it before it is accepted.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .anchoring import (BOUNDARY, AnchorError, FlatText, closest_passage, distinguishing_context, find_anchor,
                        occurrences)
from .importing import Incoming
from .model import NOTE_TYPES, Note
from .textnorm import canonical

_URL = re.compile(r"(?<![\w(<\[\"'=/])https?://[^\s<>()\[\]\"'`]+")
"""A bare URL in a note's text (not inside Markdown's link syntax or an autolink)."""
_ID_TAKEN_BY_DEFAULT = re.compile(r"^n\d+$")  # a note without an id is n1, n2, …: never reuse those


@dataclass(frozen=True)
class NewNote:
    """An annotation that anchors: the note to append, and where it came from (a YAML comment)."""

    incoming: Incoming
    fields: dict[str, object]        # id, quote, prefix/suffix, type, note, sources: in the file's order
    provenance: str                  # who made it, when, and its address


@dataclass(frozen=True)
class Skipped:
    """An annotation that is not imported, and why (a sentence that ends with what to do)."""

    incoming: Incoming
    reason: str


def page_addresses(pages: Iterable[str]) -> dict[str, str]:
    """Every relative address under which a page may be reached, to its notes key (``a/b.md``).

    Both URL styles are known (``a/b/`` and ``a/b.html``), so annotations made on
    a copy built either way find their page.
    """
    found: dict[str, str] = {}
    for page in sorted(pages):
        stem = page[: -len(".md")]
        folder = stem[: -len("index")] if stem == "index" or stem.endswith("/index") else None
        names = [folder, folder + "index.html", folder.rstrip("/")] if folder is not None else \
            [stem + "/", stem + ".html", stem, stem + "/index.html"]
        for name in names:
            found.setdefault(name, page)
    return found


def page_of(uri: str | None, site_url: str, addresses: dict[str, str]) -> tuple[str | None, str]:
    """The page an annotation's document is, and, when there is none, why (a reason that ends with a fix)."""
    if not uri:
        return None, "it names no document; give its page with --page docs/<page>.md"
    parts = urlsplit(uri)
    if parts.scheme or parts.netloc:
        if not site_url:
            return None, (f"the edition has no site_url, so the page of {uri} cannot be told; give it with "
                          "--page docs/<page>.md, or set site_url in mkdocs.yml")
        site = urlsplit(site_url if site_url.endswith("/") else site_url + "/")
        same_host = parts.netloc.lower() == site.netloc.lower() and parts.scheme in ("http", "https", site.scheme)
        path = parts.path if parts.path.endswith("/") or parts.path + "/" != site.path else site.path
        if not same_host or not path.startswith(site.path):
            return None, (f"it is about another site ({uri}, not under {site_url}); import it with --page "
                          "docs/<page>.md if it annotates a copy of one of the edition's pages")
        relative = path[len(site.path):]
    else:  # a relative address (an export without site_url): relative to the site's root
        relative = posixpath.normpath("/" + parts.path).lstrip("/") + ("/" if parts.path.endswith("/") else "")
        relative = "" if relative in ("/", ".") else relative
    page = addresses.get(unquote(relative))
    if page is None:
        return None, f"no page of the edition is at {uri}; give its page with --page docs/<page>.md"
    return page, ""


@dataclass
class PagePlan:
    """The decisions for one page: its flat text and notes, and the passages already noted."""

    page: str
    flat: FlatText
    existing: Sequence[Note]
    raw_html: Sequence[str] = ()
    default_type: str = "context"
    taken_ids: set[str] = field(default_factory=set)
    noted: dict[tuple[int, int], str] = field(default_factory=dict)   # anchored passage -> what notes it

    def __post_init__(self) -> None:
        self.taken_ids |= {note.id for note in self.existing}
        for note in self.existing:
            try:
                anchor = find_anchor(note, self.flat, self.raw_html)
            except AnchorError:
                continue  # `check` reports it; it notes no passage
            self.noted.setdefault((anchor.start, anchor.end), f"note '{note.id}' ({note.path}:{note.line})")

    def decide(self, incoming: Incoming, source_file: str) -> NewNote | Skipped:
        """A note for ``incoming`` (from ``source_file``), or why it is not imported."""
        text = incoming.text.strip()
        if not text:
            return Skipped(incoming, "it is a highlight with no text; write its note in the other tool and export "
                                     "again, or write the note by hand")
        note_type = incoming.note_type or self.default_type
        if note_type not in NOTE_TYPES:
            return Skipped(incoming, f"its type '{note_type}' is not a note type; tag it type:"
                                     f"{' or type:'.join(NOTE_TYPES)}")
        quote = " ".join((incoming.exact or "").split())
        located = self._locate(incoming, quote)
        if isinstance(located, str):
            return Skipped(incoming, located)
        prefix, suffix, span = located
        if span in self.noted:
            return Skipped(incoming, f"its passage already has a note: {self.noted[span]}")
        note_id = self._new_id(incoming.note_id, quote)
        self.noted[span] = f"the {incoming.label()} imported just before"
        fields: dict[str, object] = {"id": note_id, "quote": quote}
        if prefix:
            fields["prefix"] = prefix
        if suffix:
            fields["suffix"] = suffix
        fields["type"] = note_type
        fields["note"] = text
        sources = _merged_sources(incoming.sources, _bare_urls(text))
        if sources:
            fields["sources"] = sources
        return NewNote(incoming, fields, _provenance(incoming, source_file))

    def _locate(self, incoming: Incoming, quote: str) -> tuple[str | None, str | None, tuple[int, int]] | str:
        """The prefix, suffix and span that anchor ``quote`` where the annotation means, or why none does."""
        text = self.flat.normalized.text
        wanted = canonical(quote).strip()
        hits = occurrences(text, wanted)
        if not hits:
            closest, ratio = closest_passage(wanted, text)
            where = f"; the closest passage is “{closest}” ({ratio:.0%} similar)" if closest else ""
            return (f"its quote is not on {self.page}{where}: the page may have changed since it was annotated; "
                    "annotate the passage again, or fix the quote by hand")
        hit = hits[0] if len(hits) == 1 else _best_hit(text, hits, len(wanted), incoming)
        if hit is None:
            return (f"its quote occurs {len(hits)} times on {self.page} and its prefix and suffix do not tell "
                    "which one it means; write the note by hand with a prefix or suffix")
        prefix, suffix = (None, None) if len(hits) == 1 else distinguishing_context(text, hit, hits, len(wanted))
        if len(hits) > 1 and not (prefix or suffix):
            return (f"its quote occurs {len(hits)} times on {self.page} and no words around it within the "
                    "paragraph tell this one apart; annotate a longer passage")
        probe = Note(id="imported", quote=quote, note="", path="", line=0, column=0, prefix=prefix, suffix=suffix)
        try:
            anchor = find_anchor(probe, self.flat, self.raw_html)
        except AnchorError as error:
            return f"its quote does not anchor on {self.page}: {error.message}"
        if anchor.start != self.flat.normalized.to_original(hit):
            return f"its quote anchors elsewhere on {self.page} than it was made; write the note by hand"
        return prefix, suffix, (anchor.start, anchor.end)

    def _new_id(self, wanted: str | None, quote: str) -> str:
        """The note's id: the one it had in this edition's export if free, else made from its first words."""
        if wanted and wanted not in self.taken_ids and not _ID_TAKEN_BY_DEFAULT.match(wanted) \
                and not wanted.startswith("ref-"):
            self.taken_ids.add(wanted)
            return wanted
        ascii_words = unicodedata.normalize("NFKD", quote).encode("ascii", "ignore").decode().lower()
        words = re.findall(r"[a-z0-9]+", ascii_words)[:5]
        base = "-".join(words)[:40].strip("-") or "imported"
        if _ID_TAKEN_BY_DEFAULT.match(base) or base.startswith("ref-") or base == "ref":
            base = "imported-" + base
        candidate, counter = base, 1
        while candidate in self.taken_ids:
            counter += 1
            candidate = f"{base}-{counter}"
        self.taken_ids.add(candidate)
        return candidate


def _best_hit(text: str, hits: list[int], length: int, incoming: Incoming) -> int | None:
    """Of several places, the one whose surroundings agree best with the annotation's prefix and suffix."""
    prefix = canonical(incoming.prefix)
    suffix = canonical(incoming.suffix)
    if not prefix.strip() and not suffix.strip():
        return None

    def agreement(hit: int) -> int:
        before = text[:hit].replace(BOUNDARY, " ")
        after = text[hit + length:].replace(BOUNDARY, " ")
        return _common_suffix(" ".join(before.split()), " ".join(prefix.split())) + \
            _common_prefix(" ".join(after.split()), " ".join(suffix.split()))

    scores = sorted(((agreement(hit), hit) for hit in hits), reverse=True)
    if scores[0][0] == 0 or scores[0][0] == scores[1][0]:
        return None
    return scores[0][1]


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def _bare_urls(text: str) -> list[str]:
    """The bare URLs in a note's text, in order, without the punctuation that ends a sentence."""
    found: list[str] = []
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?*_~")
        if url not in found and re.match(r"^https?://[^\s/?#.]\S*$", url):
            found.append(url)
    return found


def _merged_sources(sources: Sequence[dict[str, str]], urls: Sequence[str]) -> list[dict[str, str]]:
    """The annotation's linked sources, then a source for each bare URL of its text not already among them."""
    merged = [dict(source) for source in sources]
    known = {source.get("url") for source in merged}
    merged += [{"title": "[" + re.sub(r"^https?://", "", url) + "]", "url": url} for url in urls if url not in known]
    return merged


def _provenance(incoming: Incoming, source_file: str) -> str:
    """The YAML comment above an imported note: the file, the annotator, the date and the address."""
    parts = [f"imported from {source_file}"]
    if incoming.creator:
        parts.append(f"by {incoming.creator}")
    if incoming.created:
        parts.append(f"made {incoming.created}")
    if incoming.identifier:
        parts.append(incoming.identifier)
    return ", ".join(" ".join(part.split()) for part in parts)
