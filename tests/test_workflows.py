"""The GitHub workflows, checked by zizmor offline: no finding at medium or high severity.

It covers the project's own workflows (`.github/workflows/`) and the ones
`annotated-edition new` writes for a new edition: every `*.yml` in a
`workflows` folder under the package (its templates), or, when the
command exists, the workflows of an edition it makes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from editions import REPO

BIN = Path(sys.executable).parent
PACKAGE = REPO / "plugins" / "annotated_edition"
PROJECT_WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
SERIOUS = {"Medium", "High"}
# `uses: owner/repo@<40 hex digits> # v1.2.3`: a commit, and the version it was read from, for humans.
PINNED = re.compile(r"uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$")


def template_workflows() -> list[Path]:
    """The workflows the package carries for `annotated-edition new` (none until it has them)."""
    return sorted(PACKAGE.glob("**/workflows/*.yml"))


def new_edition_workflows(tmp_path: Path) -> list[Path]:
    """The workflows of an edition made by `annotated-edition new`, if the command exists; else none."""
    cli = BIN / "annotated-edition"
    if subprocess.run([str(cli), "new", "--help"], capture_output=True, timeout=60).returncode != 0:
        return []  # no `new` command (yet)
    target = tmp_path / "new-edition"
    made = subprocess.run([str(cli), "new", str(target), "--title", "Workflow test"],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    return sorted((target / ".github" / "workflows").glob("*.yml"))


def serious_findings(paths: list[Path]) -> list[str]:
    """zizmor's medium and high findings in these workflow files, as `path:line: audit: what` lines."""
    run = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", *map(str, paths)],
                         capture_output=True, text=True, timeout=120)
    try:
        findings = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"zizmor did not report JSON (exit {run.returncode}): {run.stderr[-2000:]}")
    lines = []
    for finding in findings:
        if finding["determinations"]["severity"] not in SERIOUS or finding.get("ignored"):
            continue
        for location in finding["locations"]:
            where = location["symbolic"]["key"]["Local"]["verbatim_path"]
            row = location["concrete"]["location"]["start_point"]["row"] + 1
            lines.append(f"{where}:{row}: {finding['ident']}: {finding['desc']} "
                         f"({location['symbolic'].get('annotation', '')})")
    return lines


def test_the_project_workflows_have_no_medium_or_high_finding() -> None:
    assert PROJECT_WORKFLOWS, "no workflow under .github/workflows"
    assert serious_findings(PROJECT_WORKFLOWS) == []


def test_the_workflows_new_writes_have_no_medium_or_high_finding(tmp_path: Path) -> None:
    workflows = new_edition_workflows(tmp_path) or template_workflows()
    if not workflows:
        pytest.skip("the package carries no workflows for new editions (annotated-edition new) yet")
    assert serious_findings(workflows) == []
    assert [line for workflow in workflows for line in unpinned(workflow)] == []


def test_zizmor_finds_what_it_should(tmp_path: Path) -> None:
    """The check can fail: a workflow with a floating tag and the default token is reported."""
    careless = tmp_path / "careless.yml"
    careless.write_text("on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - uses: actions/checkout@v4\n", encoding="utf-8")
    found = serious_findings([careless])
    assert any("unpinned-uses" in line for line in found)
    assert any("excessive-permissions" in line for line in found)


def unpinned(workflow: Path) -> list[str]:
    """The `uses:` lines of a workflow that do not name a commit and its version."""
    uses = [line.strip() for line in workflow.read_text(encoding="utf-8").splitlines()
            if re.match(r"\s*(- )?uses:", line)]
    return [f"{workflow.name}: {line}" for line in uses if not PINNED.search(line)]


@pytest.mark.parametrize("workflow", PROJECT_WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(workflow: Path) -> None:
    assert "uses:" in workflow.read_text(encoding="utf-8")
    assert unpinned(workflow) == []
