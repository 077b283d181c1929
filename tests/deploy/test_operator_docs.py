"""The operators' guide names every metric the process exposes and every setting."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import generate_latest

from compact_calendar import metrics


def _guide(repo_root: Path) -> str:
    return (repo_root / "docs" / "operators.md").read_text(encoding="utf-8")


def test_every_exposed_metric_is_explained(repo_root: Path) -> None:
    exposition = generate_latest(metrics.REGISTRY).decode()
    families = {
        name
        for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", exposition, re.MULTILINE)
        if not name.endswith("_created")
    }
    documented = set(re.findall(r"^\| `(compact_calendar_\w+)", _guide(repo_root), re.MULTILINE))
    assert families
    assert families == documented


def test_every_setting_is_documented(repo_root: Path, settings_names: set[str]) -> None:
    documented = set(re.findall(r"^\| `(COMPACT_CALENDAR_\w+)`", _guide(repo_root), re.MULTILINE))
    assert settings_names == documented
