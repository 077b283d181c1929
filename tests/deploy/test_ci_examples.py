"""The CI examples run commands and hooks that exist, with options the CLI accepts."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

from compact_calendar.cli import build_parser


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _commands(workflow: Any) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for job_name, job in workflow["jobs"].items():
        runs = [shlex.split(step["run"]) for step in job["steps"] if "run" in step]
        out[job_name] = [argv[1:] for argv in runs if argv[0] == "compact-calendar"]
    return out


def test_workflow_validates_with_annotations_then_exports_on_main(repo_root: Path) -> None:
    workflow = _load(repo_root / "examples/ci/github-actions.yml")
    commands = _commands(workflow)
    (validate,) = commands["validate"]
    args = build_parser(validate[0]).parse_args(validate)
    assert (args.command, args.format, args.path) == ("validate", "github", "events.yaml")
    (export,) = commands["publish"]
    args = build_parser(export[0]).parse_args(export)
    assert (args.command, args.out) == ("export", "public")
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "validate"
    assert "refs/heads/main" in publish["if"]
    uploads = [s for s in publish["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert uploads[0]["with"]["path"] == args.out
    # `on` is YAML 1.1's true: PyYAML reads the key as a boolean.
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) == {"pull_request", "push"}


def test_pre_commit_example_uses_hooks_this_repository_offers(repo_root: Path) -> None:
    offered = {hook["id"] for hook in _load(repo_root / ".pre-commit-hooks.yaml")}
    config = _load(repo_root / "examples/ci/pre-commit-config.yaml")
    used = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert used
    assert used <= offered
