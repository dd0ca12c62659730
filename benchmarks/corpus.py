"""A seeded synthetic edition for the benchmark.

Pages of prose in which about 5% of words are glossary forms (a few entries
recur often, as real terms do: Zipf-like weights), one YAML file per entry,
and notes anchored by quotes that occur once on their page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

SYLLABLES = ["ka", "lo", "mi", "ra", "tu", "pe", "su", "na", "vo", "qui", "cha", "yu", "ri", "do", "fe", "ga",
             "hu", "ja", "le", "mo", "ni", "po", "sa", "te", "wa", "xo", "ze", "bri", "pla", "tro"]


@dataclass(frozen=True)
class Corpus:
    root: Path
    pages: int
    entries: int


def _word(rng: random.Random, low: int = 1, high: int = 4) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(low, high)))


def generate(root: Path, pages: int, entries: int, words_per_page: int = 2000, notes_per_page: int = 10,
             seed: int = 2023) -> Corpus:
    """Write docs/, annotations/ and a base config (theme, extensions) under ``root``."""
    rng = random.Random(seed)
    vocabulary = sorted({_word(rng) for _ in range(6000)})
    terms: list[str] = []
    seen: set[str] = set(vocabulary)
    while len(terms) < entries:
        candidate = (_word(rng, 2, 4) + ("" if rng.random() < 0.7 else " " + _word(rng, 2, 3))).capitalize()
        if candidate.lower() not in seen:
            seen.add(candidate.lower())
            terms.append(candidate)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(entries)]

    glossary = root / "annotations" / "glossary"
    glossary.mkdir(parents=True, exist_ok=True)
    (root / "annotations" / "notes").mkdir(parents=True, exist_ok=True)
    for index, term in enumerate(terms):
        (glossary / f"e{index:05d}.yml").write_text(
            f"term: {term}\nforms:\n  - {term}s\ndefinition: >-\n  {term} is a *synthetic* entry number {index}. "
            f"It has a second sentence with a [link](https://example.org/{index}).\n"
            f"sources:\n  - title: Source {index}\n    publisher: Bench\n    date: \"2023\"\n", encoding="utf-8")

    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    nav = []
    for page in range(pages):
        words = []
        for _ in range(words_per_page):
            if rng.random() < 0.05:
                words.append(rng.choices(terms, weights)[0])
            else:
                words.append(rng.choice(vocabulary))
        paragraphs: list[list[str]] = []
        for start in range(0, len(words), 80):
            chunk = words[start:start + 80]
            chunk[0] = chunk[0].capitalize()
            if rng.random() < 0.3:
                chunk[3] = f"*{chunk[3]}*"
            chunk[-1] += "."
            paragraphs.append(chunk)
        body = f"# Page {page}\n\n" + "\n\n".join(
            (f"## Section {i // 5}\n\n" if i % 5 == 0 and i else "") + " ".join(p) for i, p in enumerate(paragraphs)) + "\n"
        name = f"page-{page:04d}.md"
        (docs / name).write_text(body, encoding="utf-8")
        nav.append(name)
        shown = [[w.replace("*", "") for w in p] for p in paragraphs]
        text = "\n".join(" ".join(p) for p in shown)
        notes: list[str] = []
        for number in range(notes_per_page):
            for _ in range(50):
                words_of = rng.choice(shown)
                at = rng.randrange(0, len(words_of) - 6)
                quote = " ".join(words_of[at:at + 6])
                if text.count(quote) == 1 and not any(quote in q or q in quote for q in notes):
                    notes.append(quote)
                    break
        (root / "annotations" / "notes" / f"page-{page:04d}.yml").write_text(
            "".join(f"- quote: \"{q}\"\n  note: Note {n} on this passage, with *emphasis*.\n"
                    for n, q in enumerate(notes)), encoding="utf-8")
    (docs / "index.md").write_text("# Synthetic edition\n\nGenerated for the benchmark.\n", encoding="utf-8")
    return Corpus(root, pages, entries)


def config(corpus: Corpus, *, plugin: str | None, search: bool, abbr_glossary: bool = False,
           epub: bool = False, data: bool = True) -> str:
    """An mkdocs.yml for ``corpus``: plugin None (plain), "first" or "all"; ``epub`` turns the plugin's on,
    ``data=False`` its data files (`web_annotations`) off."""
    lines = ["site_name: Bench", "use_directory_urls: false", "theme:", "  name: material", "  font: false",
             "  features: [content.tooltips, content.footnote.tooltips]", "markdown_extensions:",
             "  - toc:", "      permalink: true", "  - footnotes", "  - attr_list"]
    if abbr_glossary:
        lines += ["  - abbr:", "      glossary:"]
        for path in sorted((corpus.root / "annotations" / "glossary").glob("*.yml")):
            term = path.read_text(encoding="utf-8").split("\n", 1)[0].removeprefix("term: ")
            lines.append(f"        \"{term}\": \"{term} is a synthetic entry.\"")
    plugins = []
    if search:
        plugins.append("  - search")
    if plugin:
        plugins += ["  - annotated-edition:", f"      link: {plugin}", "      paragraph_numbers: true"]
        if epub:
            plugins.append("      epub: true")
        if not data:
            plugins.append("      web_annotations: false")
    lines += ["plugins:" if plugins else "plugins: []"] + plugins
    return "\n".join(lines) + "\n"
