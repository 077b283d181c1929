"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run the way a registry repository
runs them: ``pre-commit try-repo`` installs this project into its own environment."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from compact_calendar.precommit import main as precommit_main

GOOD = """\
# A registry repository's events.yaml.
calendar:
  id: sample
  name: Sample calendar
  timezone: Europe/Zurich

events:
  - id: forum
    title: Civil society forum
    start: 2030-05-04
"""

# Legal but probably a mistake: a registration link and no deadline (a warning).
WARNING_ONLY = GOOD.replace(
    "    start: 2030-05-04\n",
    "    start: 2030-05-04\n    links:\n"
    "      - {title: Registration, url: 'https://example.org/register'}\n",
)
BROKEN = GOOD.replace("    title: Civil society forum\n", "    titel: Civil society forum\n")

# What a source distribution of the project holds: enough for pip to build it.
PROJECT_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_manifest_names_hooks_that_run_validate(repo_root: Path) -> None:
    manifest = yaml.safe_load((repo_root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for hook in manifest}
    assert set(hooks) == {"compact-calendar-validate", "compact-calendar-validate-strict"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["entry"].startswith("python -m compact_calendar.precommit")
        assert hook["pass_filenames"] is True
    assert hooks["compact-calendar-validate-strict"]["entry"].endswith("--strict")
    pattern = re.compile(hooks["compact-calendar-validate"]["files"])
    assert pattern.search("events.yaml")
    assert pattern.search("calendars/asia/events.yml")
    assert not pattern.search("my-events.yaml.bak")
    assert not pattern.search("other.yaml")


def test_wrapper_validates_each_file_and_fails_if_any_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, broken = tmp_path / "a" / "events.yaml", tmp_path / "b" / "events.yaml"
    for path, text in ((good, GOOD), (broken, BROKEN)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    assert precommit_main([str(good)]) == 0
    assert precommit_main([str(good), str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"{broken}:9:5: error: events[0].titel: unknown field `titel`" in out
    assert f"{good}: valid" in out


def test_wrapper_passes_strict_and_format_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(WARNING_ONLY, encoding="utf-8")
    assert precommit_main([str(path)]) == 0
    assert precommit_main(["--strict", "--format", "github", str(path)]) == 1
    assert f"::warning file={path},line=12,col=9," in capsys.readouterr().out


@pytest.fixture(scope="module")
def project_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This working tree's project files as a committed git repository, so the hooks are
    tried as they are now, whether or not they are committed here yet."""
    root = Path(__file__).resolve().parents[2]
    snapshot = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, snapshot / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, snapshot / name)
    _git(snapshot, "init", "-q", "-b", "main")
    _git(snapshot, "add", "-A")
    _git(snapshot, "commit", "-q", "-m", "snapshot")
    return snapshot


def _try_repo(project: Path, registry_repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(registry_repo.parent / "pre-commit-home")
    return subprocess.run(
        [str(pre_commit), "try-repo", str(project), "--files", *files],
        cwd=registry_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_try_repo_passes_a_good_registry_and_fails_a_broken_one(
    project_snapshot: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "registry-repo"
    (repo / "asia").mkdir(parents=True)
    (repo / "events.yaml").write_text(GOOD, encoding="utf-8")
    (repo / "asia" / "events.yaml").write_text(WARNING_ONLY, encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "registry")

    # Both hooks at once: one environment is built for the pair.
    both = _try_repo(project_snapshot, repo, "events.yaml", "asia/events.yaml")
    report = both.stdout + both.stderr
    assert both.returncode == 1, report
    assert "compact-calendar validate....." in report
    lines = report.splitlines()
    plain = next(line for line in lines if line.startswith("compact-calendar validate."))
    strict = next(line for line in lines if line.startswith("compact-calendar validate --strict"))
    assert plain.endswith("Passed"), report
    assert strict.endswith("Failed"), report
    assert "asia/events.yaml:12:9: warning: events[0].links[0]" in report

    (repo / "events.yaml").write_text(BROKEN, encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "typo")
    broken = _try_repo(project_snapshot, repo, "events.yaml")
    report = broken.stdout + broken.stderr
    assert broken.returncode == 1, report
    plain = next(
        line for line in report.splitlines() if line.startswith("compact-calendar validate.")
    )
    assert plain.endswith("Failed"), report
    assert "events.yaml:9:5: error: events[0].titel: unknown field `titel`" in report
