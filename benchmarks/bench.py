"""`make bench`: the plugin's cost against a plain MkDocs build of the same pages.

It generates a seeded synthetic edition (benchmarks/corpus.py) and builds it
with `mkdocs build`, each build in a fresh process, in rounds: each round
builds the plain site and every plugin variant back to back, in an order
that rotates from round to round, and a variant's ratio is taken against
that round's plain build.  Each figure is the median over the rounds.

- The goals: the ratios at 200 pages × 2,000 entries on two cores (with and
  without search) and on one core (`taskset -c 0`, where the plugin starts
  no worker), what `epub: true` adds to the `link: first` build with search,
  the peak memory against the plain build's, and the time to load 10,000
  entry files, and what the data files (`web_annotations`, on by default)
  add to the `link: first` build with search (`--data`: only that).
- The ablation table: each performance mechanism switched off on its own
  (`ANNOTATED_EDITION_OFF`, see the plugin's ablation.py), on two cores and
  on one, to show what it buys.

Both are printed and written into README.md between the bench markers.

    python benchmarks/bench.py [--rounds 8] [--ablation | --goals | --data] [--only a,b] [--no-readme]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import Corpus, config, generate  # noqa: E402

OUT = HERE / "out"
GOAL = (200, 2000)
LOAD_SIZE = (200, 10000)  # where the loading mechanisms act
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
BIN = Path(sys.executable).parent


def corpus_for(pages: int, entries: int) -> Corpus:
    root = OUT / f"corpus-{pages}p-{entries}e"
    marker = root / ".complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        generate(root, pages, entries)
        marker.write_text("ok")
    return Corpus(root, pages, entries)


def build(corpus: Corpus, name: str, text: str, env: dict[str, str] | None = None,
          cores: int | None = None) -> tuple[float, int]:
    """Seconds and peak memory (KiB, as `/usr/bin/time -f %M` reports it: wait4's maxrss) of one build."""
    config_file = corpus.root / f"{name}.yml"
    config_file.write_text(text)
    site = corpus.root / f"site-{name}"
    shutil.rmtree(site, ignore_errors=True)
    command = [str(BIN / "mkdocs"), "build", "-q", "-f", str(config_file), "-d", str(site)]
    if cores == 1:
        command = ["taskset", "-c", "0", *command]
    start = time.perf_counter()
    process = subprocess.Popen(command, env={**ENV, **(env or {})}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    stderr = process.stderr.read() if process.stderr else ""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"build {name} failed:\n{stderr[-2000:]}")
    if name != "plain" and "WARNING" in stderr:
        raise SystemExit(f"build {name} warned (a note did not anchor?):\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss


class Variant(NamedTuple):
    """One build of a round: which site, with which configuration, switches and cores."""

    label: str
    corpus: Corpus
    text: str           # its mkdocs.yml
    env: dict[str, str]
    cores: int          # 2, or 1 (pinned to the first core)


def alternate(variants: list[Variant], rounds: int) -> dict[str, list[tuple[float, int]]]:
    """Seconds and peak memory (KiB) of each variant's build in each of ``rounds`` rounds.

    Each round builds every variant, in an order that rotates from round to
    round, so that a drift of the machine touches every variant alike; the
    lists are in round order, so that a variant can be compared with another
    built in the same round.
    """
    runs: dict[str, list[tuple[float, int]]] = {v.label: [] for v in variants}
    for number in range(rounds):
        shift = number % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            name = "plain" if variant.label.startswith("plain") else "variant"  # a variant may not warn
            runs[variant.label].append(build(variant.corpus, name, variant.text, variant.env, variant.cores))
    return runs


def ratio(runs: dict[str, list[tuple[float, int]]], label: str, plain: str) -> float:
    """Median over the rounds of (``label``'s seconds ÷ ``plain``'s seconds in the same round)."""
    return statistics.median(seconds / base for (seconds, _), (base, _) in zip(runs[label], runs[plain]))


def load_time(corpus: Corpus) -> float:
    """Seconds to load and validate the corpus's entry files, in a fresh process (median of 3)."""
    code = ("import time; from pathlib import Path; from annotated_edition.loader import load_annotations;"
            f"root = Path({str(corpus.root)!r}); t = time.perf_counter();"
            "a = load_annotations(root, root / 'annotations', None);"
            "print(time.perf_counter() - t, len(a.entries))")
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
    return statistics.median(times)


# -- the goals ---------------------------------------------------------------

GOALS = [
    # (label, link mode, search, cores, at most this many times the plain build)
    ("two cores, `link: first`, search", "first", True, 2, 1.4),
    ("two cores, `link: all`, search", "all", True, 2, 1.5),
    ("two cores, `link: first`, no search", "first", False, 2, 1.35),
    ("one core (no workers), `link: first`, no search", "first", False, 1, 1.5),
]
MEMORY_GOAL = 1.5   # peak memory (maxrss) of the `link: first` build with search, against the plain build's
EPUB_GOAL = 1.10    # the `link: first` build with search and `epub: true`, against the same build without it
EPUB_LABEL = "two cores, `link: first`, search, `epub: true`"
LOAD_GOAL = 1.0     # seconds to load 10,000 entry files
DATA_GOAL = 1.05    # the `link: first` build with search (data files on, the default), against it without them
DATA_OFF_LABEL = "two cores, `link: first`, search, `web_annotations: false`"


def goals(rounds: int) -> list[str]:
    """The goals' table: each ratio, the peak memory and the load time, with the verdicts."""
    corpus = corpus_for(*GOAL)
    plain = {(search, cores): Variant(f"plain {'search' if search else 'nosearch'} {cores}", corpus,
                                      config(corpus, plugin=None, search=search), {}, cores)
             for search, cores in {(search, cores) for _, _, search, cores, _ in GOALS}}
    variants = [Variant(label, corpus, config(corpus, plugin=mode, search=search), {}, cores)
                for label, mode, search, cores, _ in GOALS]
    variants.append(Variant(EPUB_LABEL, corpus, config(corpus, plugin="first", search=True, epub=True), {}, 2))
    variants.append(Variant(DATA_OFF_LABEL, corpus, config(corpus, plugin="first", search=True, data=False), {}, 2))
    runs = alternate(list(plain.values()) + variants, rounds)
    verdict = lambda value, limit: "met" if value <= limit else "**not met**"  # noqa: E731
    lines = [f"| at {GOAL[0]} pages × {GOAL[1]:,} entries | plain build | measured | goal | |",
             "|---|---:|---:|---:|---|"]
    for label, _, search, cores, limit in GOALS:
        base = plain[(search, cores)].label
        value = ratio(runs, label, base)
        plain_seconds = statistics.median(seconds for seconds, _ in runs[base])
        lines.append(f"| {label} | {plain_seconds:.2f} s | {value:.2f}× | ≤ {limit}× | {verdict(value, limit)} |")
    # The EPUB's cost: against the same build without it, in the same round.
    epub_ratio = ratio(runs, EPUB_LABEL, GOALS[0][0])
    epub_seconds = statistics.median(seconds for seconds, _ in runs[GOALS[0][0]])
    lines.append(f"| {EPUB_LABEL}, against the same build without the EPUB | {epub_seconds:.2f} s (without) | "
                 f"{epub_ratio:.2f}× | ≤ {EPUB_GOAL:.2f}× | {verdict(epub_ratio, EPUB_GOAL)} |")
    lines.append(data_cost_line(runs))
    peak = statistics.median(memory for _, memory in runs[GOALS[0][0]]) / 1024
    plain_peak = statistics.median(memory for _, memory in runs[plain[(True, 2)].label]) / 1024
    lines.append(f"| peak memory, two cores, `link: first`, search | {plain_peak:.0f} MB | {peak:.0f} MB: "
                 f"{peak / plain_peak:.2f}× | ≤ {MEMORY_GOAL}× | {verdict(peak / plain_peak, MEMORY_GOAL)} |")
    load = load_time(corpus_for(0, 10000))
    lines.append(f"| loading and validating 10,000 entry files (a fresh process, median of 3) | | {load:.2f} s | "
                 f"< {LOAD_GOAL:.0f} s | {verdict(load, LOAD_GOAL)} |")
    return lines


def data_cost_line(runs: dict[str, list[tuple[float, int]]]) -> str:
    """The goals' row for the data files: the default build against the same build without them."""
    value = ratio(runs, GOALS[0][0], DATA_OFF_LABEL)
    seconds = statistics.median(seconds for seconds, _ in runs[DATA_OFF_LABEL])
    verdict = "met" if value <= DATA_GOAL else "**not met**"
    return (f"| two cores, `link: first`, search, with the data files (`web_annotations`, the default), against "
            f"the same build without them | {seconds:.2f} s (without) | {value:.2f}× | ≤ {DATA_GOAL:.2f}× | "
            f"{verdict} |")


def data_cost(rounds: int) -> list[str]:
    """Only the data files' cost: the default build and the build without them, alternating (``--data``)."""
    corpus = corpus_for(*GOAL)
    runs = alternate([Variant(GOALS[0][0], corpus, config(corpus, plugin="first", search=True), {}, 2),
                      Variant(DATA_OFF_LABEL, corpus, config(corpus, plugin="first", search=True, data=False), {}, 2)],
                     rounds)
    ratios = [a / b for (a, _), (b, _) in zip(runs[GOALS[0][0]], runs[DATA_OFF_LABEL])]
    return [data_cost_line(runs), f"(each round: {', '.join(f'{r:.3f}' for r in ratios)})"]


# -- ablation: what each performance mechanism buys -------------------------

MECHANISMS: list[tuple[str, str, tuple[int, int], bool, bool]] = [
    # (switch, what it does, the size it is measured at, with search, with `epub: true`)
    ("render-worker", "renders definitions and notes on the other core while the pages convert", GOAL, False, False),
    ("gc-freeze", "freezes the build's long-lived objects for the cyclic garbage collector", GOAL, False, False),
    ("render-batch", "renders the snippets joined into one Markdown document", GOAL, False, False),
    ("own-postprocessor", "puts what markup writes into the serialized page in one substitution of its own, not "
     "through Python-Markdown's raw-HTML stash (whose postprocessor scans every piece again)", GOAL, False, False),
    ("search-view", "gives search a lean view of each page (no apparatus, notes as plain text)", GOAL, True, False),
    ("data-worker", "makes the data files (`annotations.jsonld`, `glossary.jsonld`) on the other core while MkDocs "
     "writes the pages", GOAL, True, False),
    ("epub-worker", "makes the EPUB on the other core while MkDocs writes the pages", GOAL, True, True),
    ("loading-worker", "reads annotation files on the other core while MkDocs collects files", LOAD_SIZE, False, False),
    ("fastjsonschema", "validates with generated code; jsonschema only explains invalid files", LOAD_SIZE, False,
     False),
    ("positions-only", "reads an entry's positions only when a message needs them (and keeps its text, not its positions)",
     LOAD_SIZE, False, False),
]


def ablation(rounds: int, only: set[str] | None = None) -> list[str]:
    """Each mechanism's worth: the ratio with everything on, and with that one mechanism off.

    For each size and core count, ``rounds`` rounds of the plain build, the
    plugin's build with everything on, and one build for each mechanism
    switched off (see :func:`alternate`).
    """
    from annotated_edition.ablation import MECHANISMS as SWITCHES

    # A switch the plugin does not know would measure the same build twice and call it a mechanism.
    assert {m[0] for m in MECHANISMS} <= set(SWITCHES), "every row needs a switch in ablation.py"
    mechanisms = [m for m in MECHANISMS if only is None or m[0] in only]
    groups: dict[tuple[tuple[int, int], bool, bool], list[str]] = {}
    for name, _, size, search, epub in mechanisms:
        groups.setdefault((size, search, epub), []).append(name)
    results: dict[tuple[str, int], tuple[float, float]] = {}
    for (size, search, epub), names in groups.items():
        corpus = corpus_for(*size)
        plain_text = config(corpus, plugin=None, search=search)
        plugin_text = config(corpus, plugin="first", search=search, epub=epub)
        for cores in (2, 1):
            variants = [Variant("plain", corpus, plain_text, {}, cores), Variant("on", corpus, plugin_text, {}, cores)]
            variants += [Variant(name, corpus, plugin_text, {"ANNOTATED_EDITION_OFF": name}, cores) for name in names]
            runs = alternate(variants, rounds)
            on = ratio(runs, "on", "plain")
            for name in names:
                results[(name, cores)] = (on, ratio(runs, name, "plain"))
                print(f"{name} ({cores} cores, {size[0]}x{size[1]}{', search' if search else ''}"
                      f"{', epub' if epub else ''}): on "
                      f"{on:.3f}x, off {results[(name, cores)][1]:.3f}x", flush=True)
    lines = ["| mechanism | measured at | 2 cores: on | off | removal costs | 1 core: on | off | removal costs |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, what, size, search, epub in mechanisms:
        cells = []
        for cores in (2, 1):
            on, off = results[(name, cores)]
            cells += [f"{on:.2f}×", f"{off:.2f}×", f"{(off - on) * 100:+.0f}%"]
        lines.append(f"| `{name}`: {what} | {size[0]} × {size[1]:,}{', search' if search else ''}"
                     f"{', `epub: true`' if epub else ''} | "
                     + " | ".join(cells) + " |")
    return lines


def compile_plugin() -> None:
    """Compile the plugin's bytecode, as pip does when it installs a package.

    An editable install (what `make` does) leaves that to the first import,
    which writes nothing where PYTHONDONTWRITEBYTECODE is set (this machine
    sets it): every build would compile the plugin's source again, which no
    installed plugin does (MkDocs and Material come compiled).
    """
    import compileall

    import annotated_edition

    compileall.compile_dir(str(Path(annotated_edition.__file__).parent), quiet=1)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"MkDocs {version('mkdocs')}, Material {version('mkdocs-material')}, {platform.system()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="rounds per figure (median); default 8")
    parser.add_argument("--goals", action="store_true", help="only the goals")
    parser.add_argument("--ablation", action="store_true", help="only the ablation table")
    parser.add_argument("--only", help="with --ablation: these mechanisms only (comma-separated)")
    parser.add_argument("--no-readme", action="store_true", help="print only; do not rewrite README.md")
    parser.add_argument("--data", action="store_true", help="only the data files' cost (printed, not written)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    compile_plugin()
    if args.data:
        print("\n".join(data_cost(args.rounds)))
        return
    lines = [f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {machine()}. Synthetic editions "
             "(seeded; `benchmarks/corpus.py`): pages of 2,000 words, about 5% of them glossary forms, 10 notes a "
             f"page, paragraph numbers on, Material theme. Each figure is the median over {args.rounds} rounds "
             "of (plugin build ÷ plain build of the same pages in the same round).", ""]
    if not args.ablation:
        lines += goals(args.rounds) + [""]
        print("\n".join(lines), flush=True)
    if not args.goals:
        lines += ["What each performance mechanism buys (`link: first`; the ratio with everything on, with that "
                  "mechanism alone switched off, and what removing it would cost, in % of the plain build):", ""]
        lines += ablation(args.rounds, set(args.only.split(",")) if args.only else None)
    table = "\n".join(lines).rstrip()
    print("\n" + table)
    if not args.no_readme and not args.only:
        readme = REPO / "README.md"
        text = readme.read_text(encoding="utf-8")
        text = re.sub(r"(<!-- bench:start -->\n).*?(\n<!-- bench:end -->)", lambda m: m.group(1) + table + m.group(2),
                      text, flags=re.S)
        readme.write_text(text, encoding="utf-8")
        print("\nREADME.md updated.")


if __name__ == "__main__":
    main()
