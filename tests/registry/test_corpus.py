"""Broken and suspicious registries under tests/data/registry, with the exact output
`compact-calendar validate` gives for each (file, line, column and message)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from compact_calendar.commands.validate import summary
from compact_calendar.registry.check import check_registry

DATA = Path(__file__).resolve().parent.parent / "data" / "registry"
CASES = sorted(DATA.glob("*/*.yaml"))
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def validate_output(path: Path) -> str:
    checked = check_registry(path.read_text(encoding="utf-8"), filename=path.name, env={}, now=NOW)
    lines = [d.format() for d in checked.diagnostics]
    lines.append(summary(checked))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_validate_reports_exactly_the_expected_diagnostics(path: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8")
    assert validate_output(path) == expected


@pytest.mark.parametrize("path", sorted(DATA.glob("invalid/*.yaml")), ids=lambda p: p.stem)
def test_every_invalid_registry_is_reported_invalid_with_located_errors(path: Path) -> None:
    checked = check_registry(path.read_text(encoding="utf-8"), filename="f", env={}, now=NOW)
    assert checked.registry is None
    assert checked.errors
    for diagnostic in checked.diagnostics:
        assert diagnostic.line >= 1
        assert diagnostic.column >= 1
        assert diagnostic.message


def test_all_errors_are_reported_in_one_run_across_sections() -> None:
    output = validate_output(DATA / "invalid" / "bad_values.yaml")
    wheres = [line.split(": ")[2] for line in output.splitlines()[:-1]]
    assert {"calendar.id", "channels.mail.to[0]", "reminders.at", "events[0].status"} <= set(wheres)
