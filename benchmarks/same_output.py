"""Do the sites come out as they did at a reference commit?  File by file, byte for byte.

Builds the Peru edition and the benchmark's goal corpus (200 pages × 2,000
entries, `link: first` and `link: all`) twice: with the plugin as it was at
the reference commit (its `plugins/` folder, from git) and as it is now.
The Peru edition is the one at the reference commit (its text, annotations
and configuration), which the reference plugin can read: annotations written
since may use what only the current plugin knows (a form's own `lang`).
The reference's HTML is first brought to the contract's one change since
744fca6: a term link's `lang` moved from the link onto a span around its
text.  Since then, too, a tooltip shows a preview of a long definition: its
first paragraph, cut at a sentence (issue 15).  A tooltip whose text is the
start of the reference's counts as the same, and such tooltips are counted.
The plugin's own script and stylesheets (`assets/annotated-edition/`) are the
package's files, changed on purpose: they are listed, not compared; so is
what the package has brought to every Material site since (issue 17): the
link to `material.css`, the search dialog's name, and the blank lines its
templates leave; and the data files every build now writes (issue 16),
`*.jsonld` at the site's root, and the pages' links to them.
Exit status 1 if any other file differs.

    python benchmarks/same_output.py [--reference 744fca6] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench import BIN, ENV, corpus_for  # noqa: E402
from corpus import config  # noqa: E402

# <a class="edition-term" … lang="es" title="…">words</a> → <a class="edition-term" … title="…"><span lang="es">words</span></a>
_LINK_WITH_LANG = re.compile(r'(<a class="edition-term"[^>]*?) lang="([^"]*)"([^>]*>)(.*?)</a>', re.S)


def lang_on_a_span(html: str) -> str:
    """The reference's term links as the contract now writes them."""
    return _LINK_WITH_LANG.sub(lambda m: f'{m.group(1)}{m.group(3)}<span lang="{m.group(2)}">{m.group(4)}</span></a>',
                               html)


# A tooltip's definition: <div class="edition-definition" data-term="…">…</div> (no nested div inside)
_TOOLTIP = re.compile(r'(<div class="edition-definition" data-term="[^"]*">)(.*?)(</div>)', re.S)
_TAG = re.compile(r"<[^>]+>")
_MATERIAL_CSS = re.compile(r'^ *<link rel="stylesheet" href="[^"]*assets/annotated-edition/material\.css">\n', re.M)
_BLANK_LINES = re.compile(r"^[ \t]*\n", re.M)
_DATA_LINK = re.compile(r'<link rel="alternate" type="application/ld\+json" [^>]*>')


def without_template_whitespace(html: str) -> str:
    """A page without what later issues add to every page.

    That is: the link to `material.css`, the search dialog's name, the links to the data files, blank lines.
    """
    html = html.replace('role="dialog" aria-label="Search">', 'role="dialog">')
    return _BLANK_LINES.sub("", _MATERIAL_CSS.sub("", _DATA_LINK.sub("", html)))


def previews_as_reference(reference: str, current: str) -> tuple[str, int]:
    """``current`` with each tooltip that previews the reference's (its text a start of it) as in the reference.

    Also the number of such tooltips.
    """
    full = {m.group(1): m.group(2) for m in _TOOLTIP.finditer(reference)}
    shortened = 0

    def same_if_preview(match: re.Match[str]) -> str:
        nonlocal shortened
        before = full.get(match.group(1))
        if before is None or before == match.group(2):
            return match.group(0)
        preview = " ".join(_TAG.sub(" ", match.group(2)).split()).rstrip("…").rstrip()
        if not " ".join(_TAG.sub(" ", before).split()).startswith(preview):
            return match.group(0)
        shortened += 1
        return match.group(1) + before + match.group(3)

    return _TOOLTIP.sub(same_if_preview, current), shortened


def tree_at(revision: str, into: Path, *paths: str) -> Path:
    """The repository's files (``paths``, or all) as they were at ``revision``, in ``into``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, *paths], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def build(config_file: Path, site: Path, plugins: Path) -> None:
    run = subprocess.run([str(BIN / "mkdocs"), "build", "-q", "-f", str(config_file), "-d", str(site)],
                         env={**ENV, "PYTHONPATH": str(plugins)}, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{config_file}: the build failed\n{run.stderr[-3000:]}")


def read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data  # gzip's header holds a time


def differences(reference: Path, current: Path) -> list[str]:
    """What differs between two built sites, file by file."""
    found = []
    previews = 0
    names = {p.relative_to(reference) for p in reference.rglob("*") if p.is_file()}
    names |= {p.relative_to(current) for p in current.rglob("*") if p.is_file()}
    for name in sorted(names):
        old, new = reference / name, current / name
        if name.parts[:2] == ("assets", "annotated-edition") and not old.exists():
            print(f"  (the package's {name} is new)")
            continue
        if len(name.parts) == 1 and name.suffix == ".jsonld" and not old.exists():
            print(f"  ({name}: a data file, new with issue 16)")
            continue
        if not old.exists() or not new.exists():
            found.append(f"{name}: only in the {'current' if new.exists() else 'reference'} build")
            continue
        before, after = read(old), read(new)
        if name.parts[:2] == ("assets", "annotated-edition"):
            if before != after:
                print(f"  (the package's {name} changed, as it may)")
            continue
        if name.suffix == ".html":
            before_html = lang_on_a_span(before.decode("utf-8"))
            after_html, shortened = previews_as_reference(before_html, after.decode("utf-8"))
            before, after = (without_template_whitespace(before_html).encode("utf-8"),
                             without_template_whitespace(after_html).encode("utf-8"))
            previews += shortened
        if before != after:
            at = next(i for i, (a, b) in enumerate(zip(before, after)) if a != b) if len(before) and len(after) else 0
            found.append(f"{name}: differs at byte {at}: {before[max(0, at - 80):at + 80]!r} → "
                         f"{after[max(0, at - 80):at + 80]!r}")
    if previews:
        print(f"  ({previews} tooltips show a preview of a long definition, as issue 15 asks: the same otherwise)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", default="744fca6", help="the commit to compare with (default 744fca6)")
    parser.add_argument("--keep", type=Path, help="build into this folder and keep the sites")
    parser.add_argument("--peru-only", action="store_true", help="only the Peru edition (seconds, not a minute)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="same-output-"))
    work.mkdir(parents=True, exist_ok=True)
    reference_plugins = tree_at(args.reference, work / "reference", "plugins") / "plugins"
    configs = {"peru": tree_at(args.reference, work / "edition") / "mkdocs.yml"}
    corpus = corpus_for(200, 2000) if not args.peru_only else None
    for link in ("first", "all") if corpus else ():
        configs[f"corpus-{link}"] = corpus.root / f"same-output-{link}.yml"
        configs[f"corpus-{link}"].write_text(config(corpus, plugin=link, search=True))
    failed = False
    for name, config_file in configs.items():
        build(config_file, work / f"{name}-reference", reference_plugins)
        build(config_file, work / f"{name}-current", REPO / "plugins")
        found = differences(work / f"{name}-reference", work / f"{name}-current")
        files = sum(1 for p in (work / f"{name}-current").rglob("*") if p.is_file())
        print(f"{name}: {files} files, {'the same' if not found else f'{len(found)} differ'}", flush=True)
        for line in found[:10]:
            print(f"  {line}")
        failed |= bool(found)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
