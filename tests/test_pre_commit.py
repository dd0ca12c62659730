"""The project's pre-commit hook (`.pre-commit-hooks.yaml`), run by pre-commit on a sample edition.

`pre-commit try-repo` installs this repository (its working tree, uncommitted
changes included) into a virtual environment of its own and runs the hook on
the staged files, as a commit would. To stay fast and offline, pip installs
the package alone (no index, no build isolation, no dependencies: the
environment's seeded setuptools builds it), and a `sitecustomize` adds this
test's own site-packages *after* the hook environment's, for MkDocs and the
other dependencies. The hook's own package comes first: the repository's.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

from editions import REPO, Edition

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
HOOK = "annotated-edition-check"


def _offline_environment(tmp_path: Path) -> dict[str, str]:
    """pre-commit's environment: its own store, pip offline, this interpreter's packages behind the hook's."""
    shim = tmp_path / "shim"
    shim.mkdir()
    folders = [folder for folder in site.getsitepackages() if Path(folder).is_dir()]
    (shim / "sitecustomize.py").write_text(
        "import site\n" + "".join(f"site.addsitedir({folder!r})\n" for folder in folders), encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "VIRTUALENV_"))}
    environment.update({
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PYTHONPATH": str(shim),
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads this variable inverted: "0" turns isolation off
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
        "NO_MKDOCS_2_WARNING": "1",
    })
    return environment


def _commit_hook(edition: Edition, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Stage everything, then run the hook from this repository as `git commit` would."""
    subprocess.run(["git", "add", "-A"], cwd=edition.root, check=True)
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(REPO), HOOK], cwd=edition.root, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_the_hook_stops_a_broken_yaml_file_and_passes_once_fixed(edition: Edition, tmp_path: Path) -> None:
    edition.write("docs/index.md", "# Home\n\nThe cholo walks to Lima.\n")
    edition.entry("cholo", "term: cholo\ndefinition: Lima: a word.\n")  # `: ` in an unquoted value
    subprocess.run(["git", "init", "-q", "."], cwd=edition.root, check=True)
    environment = _offline_environment(tmp_path)

    broken = _commit_hook(edition, environment)
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1, output
    assert f"{HOOK}" in output and "Failed" in output
    assert "annotations/glossary/cholo.yml:2:" in output
    assert "YAML syntax error" in output and "Traceback" not in output

    edition.entry("cholo", "term: cholo\ndefinition: 'Lima: a word.'\n")
    fixed = _commit_hook(edition, environment)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout
