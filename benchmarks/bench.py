"""`make bench`: the plugin's build cost against a plain MkDocs build of the same pages.

For each size it generates a seeded synthetic edition (benchmarks/corpus.py),
then builds it with `mkdocs build` in a fresh process: without the plugin
(plain), with `link: first` and with `link: all`, each with and without the
search plugin, same pages, theme and other plugins.  The three builds of a
run are timed back to back in a rotating order, and each ratio is the median
over runs of (plugin build / plain build of the same run).  It also times
Python-Markdown's `abbr` glossary route on the same corpus, loading 10,000
entry files, and where a plugin build's time goes.  The table is printed and
written into README.md between the bench markers.

    python benchmarks/bench.py [--runs N] [--quick] [--no-readme]
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import Corpus, config, generate  # noqa: E402

OUT = HERE / "out"
PAGE_SIZES = (50, 100, 200, 400)
ENTRY_SIZES = (200, 2000, 10000)
GOAL = (200, 2000)
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


def build_seconds(corpus: Corpus, name: str, text: str, env: dict[str, str] | None = None,
                  cores: int | None = None) -> float:
    """Seconds of one `mkdocs build` in a fresh process (``cores=1``: pinned to the first core)."""
    return build(corpus, name, text, env, cores)[0]


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


def measure(corpus: Corpus, search: bool, runs: int) -> dict[str, float]:
    """Median plain time and median ratios of first/all over ``runs`` rotated runs."""
    variants = {"plain": None, "first": "first", "all": "all"}
    texts = {name: config(corpus, plugin=plugin, search=search) for name, plugin in variants.items()}
    order = list(variants)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for run in range(runs):
        rotated = order[run % 3:] + order[:run % 3]
        for name in rotated:
            times[name].append(build_seconds(corpus, f"{name}{'' if search else '-nosearch'}", texts[name]))
    return {
        "plain": statistics.median(times["plain"]),
        "first": statistics.median(f / p for f, p in zip(times["first"], times["plain"])),
        "all": statistics.median(a / p for a, p in zip(times["all"], times["plain"])),
    }


def abbr_reference(corpus: Corpus, runs: int) -> float:
    ratios = []
    for _ in range(runs):
        plain = build_seconds(corpus, "plain", config(corpus, plugin=None, search=True))
        abbr = build_seconds(corpus, "abbr", config(corpus, plugin=None, search=True, abbr_glossary=True))
        ratios.append(abbr / plain)
    return statistics.median(ratios)


def load_time(corpus: Corpus) -> float:
    """Seconds to load and validate the corpus's entry files, in a fresh process."""
    code = ("import time; from pathlib import Path; from annotated_edition.loader import load_annotations;"
            f"root = Path({str(corpus.root)!r}); t = time.perf_counter();"
            "a = load_annotations(root, root / 'annotations', None);"
            "print(time.perf_counter() - t, len(a.entries))")
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
    return statistics.median(times)


def breakdown(corpus: Corpus) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", (
        "import sys, json; sys.path.insert(0, %r); from pathlib import Path; from breakdown import measure;"
        "print(json.dumps(measure(Path(%r))))") % (str(HERE), str(corpus.root / "first.yml"))],
        capture_output=True, text=True, env=ENV, check=True).stdout
    import json
    return json.loads(out.strip().splitlines()[-1])


# -- ablation: what each performance mechanism buys -------------------------

LOAD_SIZE = (200, 10000)
MECHANISMS: list[tuple[str, str, tuple[int, int], bool]] = [
    # (switch, what it does, the size it is measured at, with search)
    ("render-worker", "renders definitions and notes on the other core while the pages convert", GOAL, False),
    ("gc-freeze", "freezes the build's long-lived objects for the cyclic garbage collector", GOAL, False),
    ("render-batch", "renders the snippets joined into one Markdown document", GOAL, False),
    ("search-view", "gives search a lean view of each page (no apparatus, notes as plain text)", GOAL, True),
    ("loading-worker", "reads annotation files on the other core while MkDocs collects files", LOAD_SIZE, False),
    ("fastjsonschema", "validates with generated code; jsonschema only explains invalid files", LOAD_SIZE, False),
    ("positions-only", "reads an entry's positions only when a message needs them", LOAD_SIZE, False),
    ("gc-pause", "pauses the cyclic garbage collector while annotations load", LOAD_SIZE, False),
]


def ablation(pairs: int, only: set[str] | None = None) -> list[str]:
    """Each mechanism's worth: the ratio with everything on, and with that one mechanism off.

    For each size and core count, ``pairs`` rounds; each round builds the
    plain site and every variant, in an order that rotates from round to
    round, and each variant's ratio is taken against that round's plain
    build.  A cell is the median over the rounds.
    """
    from annotated_edition.ablation import MECHANISMS as SWITCHES

    # A switch the plugin does not know would measure the same build twice and call it a mechanism.
    assert {m[0] for m in MECHANISMS} <= set(SWITCHES), "every row needs a switch in ablation.py"
    mechanisms = [m for m in MECHANISMS if only is None or m[0] in only]
    groups: dict[tuple[tuple[int, int], bool], list[str]] = {}
    for name, _, size, search in mechanisms:
        groups.setdefault((size, search), []).append(name)
    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    for (size, search), names in groups.items():
        corpus = corpus_for(*size)
        plain_text = config(corpus, plugin=None, search=search)
        plugin_text = config(corpus, plugin="first", search=search)
        variants = [("on", {})] + [(name, {"ANNOTATED_EDITION_OFF": name}) for name in names]
        for cores in (2, 1):
            ratios: dict[str, list[float]] = {label: [] for label, _ in variants}
            plain_times: list[float] = []
            for round_number in range(pairs):
                order = [("plain", None)] + variants
                shift = round_number % len(order)
                order = order[shift:] + order[:shift]
                seconds: dict[str, float] = {}
                for label, env in order:
                    text = plain_text if env is None else plugin_text
                    seconds[label] = build_seconds(corpus, "plain" if env is None else "ablate", text, env, cores)
                plain_times.append(seconds["plain"])
                for label, _ in variants:
                    ratios[label].append(seconds[label] / seconds["plain"])
            on = statistics.median(ratios["on"])
            for name in names:
                results[(name, cores)] = (on, statistics.median(ratios[name]), statistics.median(plain_times))
                print(f"{name} ({cores} cores, {size[0]}x{size[1]}{', search' if search else ''}): on "
                      f"{on:.3f}x, off {results[(name, cores)][1]:.3f}x, plain {statistics.median(plain_times):.2f}s",
                      flush=True)
    lines = ["| mechanism | measured at | 2 cores: on | off | removal costs | 1 core: on | off | removal costs |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, what, size, search in mechanisms:
        cells = []
        for cores in (2, 1):
            on, off, _ = results[(name, cores)]
            cells += [f"{on:.2f}×", f"{off:.2f}×", f"{(off - on) * 100:+.0f}%"]
        lines.append(f"| `{name}`: {what} | {size[0]} × {size[1]}{', search' if search else ''} | "
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
    parser.add_argument("--runs", type=int, default=3, help="runs per size (median); default 3")
    parser.add_argument("--quick", action="store_true", help="only the goal size, 1 run")
    parser.add_argument("--no-readme", action="store_true", help="print only; do not rewrite README.md")
    parser.add_argument("--ablation", action="store_true", help="only the ablation table (each mechanism off)")
    parser.add_argument("--pairs", type=int, default=8, help="rounds per ablation cell (median); default 8")
    parser.add_argument("--only", help="with --ablation: these mechanisms only (comma-separated)")
    args = parser.parse_args()
    if args.ablation:
        OUT.mkdir(exist_ok=True)
        compile_plugin()
        print("\n".join(ablation(args.pairs, set(args.only.split(",")) if args.only else None)))
        return
    runs = 1 if args.quick else args.runs
    sizes = [GOAL] if args.quick else sorted({(p, GOAL[1]) for p in PAGE_SIZES} | {(GOAL[0], e) for e in ENTRY_SIZES})
    OUT.mkdir(exist_ok=True)
    compile_plugin()

    rows = []
    for pages, entries in sizes:
        corpus = corpus_for(pages, entries)
        with_search = measure(corpus, True, runs)
        without = measure(corpus, False, runs)
        rows.append((pages, entries, with_search, without))
        print(f"{pages} pages, {entries} entries: plain {with_search['plain']:.2f}s, first {with_search['first']:.2f}x, "
              f"all {with_search['all']:.2f}x | no search: plain {without['plain']:.2f}s, first "
              f"{without['first']:.2f}x, all {without['all']:.2f}x", flush=True)

    goal_corpus = corpus_for(*GOAL)
    abbr = abbr_reference(goal_corpus, runs)
    load = load_time(corpus_for(0, 10000)) if not args.quick else float("nan")  # entry files only
    parts = breakdown(goal_corpus)

    lines = [
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {machine()}.",
        f"Synthetic editions (seeded): pages of 2,000 words, about 5% of them glossary forms, 10 notes a page, "
        f"paragraph numbers on, Material theme. Each cell is the median over {runs} run(s) of "
        "(plugin build ÷ plain build of the same pages, timed back to back); plain builds in seconds. "
        "The plugin's bytecode is compiled first, as pip compiles an installed package's.",
        "",
        "| pages | entries | plain, search (s) | `link: first` | `link: all` | plain, no search (s) | `first`, no search | `all`, no search |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for pages, entries, s, n in rows:
        lines.append(f"| {pages} | {entries} | {s['plain']:.2f} | {s['first']:.2f}× | {s['all']:.2f}× | "
                     f"{n['plain']:.2f} | {n['first']:.2f}× | {n['all']:.2f}× |")
    goal = next(r for r in rows if (r[0], r[1]) == GOAL)
    verdict = lambda value, limit: f"{value:.2f}× (goal ≤ {limit}×: {'met' if value <= limit else 'not met'})"  # noqa: E731
    lines += [
        "",
        f"At {GOAL[0]} pages × {GOAL[1]} entries: with search, `link: first` {verdict(goal[2]['first'], 1.5)}, "
        f"`link: all` {verdict(goal[2]['all'], 1.8)}; without search, `link: first` {verdict(goal[3]['first'], 1.25)}.",
        f"Reference, same corpus: Python-Markdown's `abbr` with its `glossary` option costs {abbr:.2f}× the plain build.",
    ]
    if load == load:  # not NaN
        lines.append(f"Loading and validating 10,000 glossary entry files (no notes): {load:.2f} s, median of 3 "
                     "fresh processes.")
    keys = ["plugin on_config", "plugin on_pre_build", "plugin on_files", "plugin treeprocessor (per page)", "plugin on_page_markdown", "plugin on_page_content",
            "plugin on_env", "plugin on_post_page", "glossary page (Markdown)",
            "worker: rendering definitions and notes (in parallel)", "search: indexing pages",
            "templates, search, post_page", "total build"]
    lines += ["", f"Where the time goes in one in-process `link: first` build with search at {GOAL[0]} × {GOAL[1]} "
                  "(seconds; hooks are the plugin's own; search and templates are downstream):", "",
              "| part | seconds |", "|---|---:|"]
    lines += [f"| {key} | {parts.get(key, 0.0):.2f} |" for key in keys]
    table = "\n".join(lines)
    print("\n" + table)
    if not args.no_readme:
        readme = REPO / "README.md"
        text = readme.read_text(encoding="utf-8")
        text = re.sub(r"(<!-- bench:start -->\n).*?(\n<!-- bench:end -->)", lambda m: m.group(1) + table + m.group(2),
                      text, flags=re.S)
        readme.write_text(text, encoding="utf-8")
        print("\nREADME.md updated.")


if __name__ == "__main__":
    main()
