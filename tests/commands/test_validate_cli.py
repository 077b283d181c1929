"""`compact-calendar validate` and `schema` as a user runs them: real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from compact_calendar.cli import main
from compact_calendar.commands.schema import render_schema

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "registry"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPACT_CALENDAR_")}
    return subprocess.run(
        [sys.executable, "-m", "compact_calendar", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_repository_registry_is_valid_with_only_the_expected_warnings() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    warnings = [line for line in lines if ": warning: " in line]
    assert len(warnings) == 2
    assert all("a registration link (`Registration`) but no deadline" in w for w in warnings)
    assert lines[-1] == (
        "events.yaml: valid: 9 events, 2 sessions, 0 deadlines; 0 errors, 2 warnings"
    )


def test_strict_fails_on_warnings() -> None:
    result = run("validate", "--strict")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("events.yaml: invalid: ")


def test_invalid_registry_exits_1_with_located_lines(tmp_path: Path) -> None:
    result = run("validate", "unknown_field.yaml", cwd=DATA / "invalid")
    assert result.returncode == 1
    assert result.stdout == (DATA / "invalid" / "unknown_field.expected").read_text()
    assert result.stderr == ""


def test_registry_option_and_environment_variable_name_the_file(tmp_path: Path) -> None:
    target = DATA / "invalid" / "unknown_field.yaml"
    assert run("validate", "--registry", str(target)).returncode == 1
    env = {**os.environ, "COMPACT_CALENDAR_REGISTRY": str(target)}
    result = subprocess.run(
        [sys.executable, "-m", "compact_calendar", "validate"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "unknown field `titel`" in result.stdout


def test_unreadable_file_and_bad_usage_exit_2(tmp_path: Path) -> None:
    missing = run("validate", str(tmp_path / "missing.yaml"))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert run("validate", "--no-such-flag").returncode == 2
    assert run().returncode == 2


def test_schema_command_prints_the_committed_schema() -> None:
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"calendar"}
    assert "Event" in schema["$defs"]


def test_committed_schema_is_up_to_date() -> None:
    committed = (REPO / "events.schema.json").read_text(encoding="utf-8")
    assert committed == render_schema(), "events.schema.json is stale: run `make schema`"


def test_registry_starts_with_the_yaml_language_server_schema_comment() -> None:
    first = (REPO / "events.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=events.schema.json"


def test_main_in_process_reports_invalid_registry(capsys: object) -> None:
    code = main(["validate", str(DATA / "invalid" / "dates.yaml")])
    assert code == 1
