"""docs/reference.md is generated from the model, and its examples are a valid registry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from compact_calendar.docs_reference import (
    EXAMPLE_PATH,
    REFERENCE_PATH,
    _models_in,
    render_reference,
)
from compact_calendar.registry.check import check_registry
from compact_calendar.registry.model import Registry

ENV = {
    "ORGANISERS_WEBHOOK_URL": "https://example.org/hook",
    "ORGANISERS_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}


def _example(repo_root: Path) -> str:
    return (repo_root / EXAMPLE_PATH).read_text(encoding="utf-8")


def _all_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    queue: list[type[BaseModel]] = [Registry]
    while queue:
        model = queue.pop()
        if model not in seen:
            seen.add(model)
            for info in model.model_fields.values():
                queue.extend(child for child, _ in _models_in(info.annotation))
    return seen


def test_reference_matches_the_model(repo_root: Path) -> None:
    expected = render_reference(_example(repo_root))
    current = (repo_root / REFERENCE_PATH).read_text(encoding="utf-8")
    assert current == expected, f"{REFERENCE_PATH} is stale: run `make docs`"


def test_example_registry_is_valid_without_warnings(repo_root: Path) -> None:
    checked = check_registry(
        _example(repo_root),
        filename=str(EXAMPLE_PATH),
        env=ENV,
        now=datetime(2017, 6, 1, tzinfo=UTC),
    )
    assert [d.format() for d in checked.diagnostics] == []
    assert checked.registry is not None


def test_every_field_of_every_model_has_a_section_with_an_example(repo_root: Path) -> None:
    reference = render_reference(_example(repo_root))
    sections = reference.split("\n### ")
    assert len(_all_models()) >= 10
    for model in _all_models():
        for name, info in model.model_fields.items():
            key = info.alias or name
            heading = f"`{key}`\n"
            matching = [s for s in sections if s.startswith(heading)]
            assert matching, f"{model.__name__}.{key} is not in the reference"
            assert any(f"```yaml\n{key}:" in s for s in matching), f"{key}: no example"


def test_field_rows_give_type_and_default(repo_root: Path) -> None:
    reference = render_reference(_example(repo_root))
    assert (
        "| [`status`](#event-status) | one of `confirmed`, `tentative`, `cancelled` "
        "| optional, default `confirmed` |"
    ) in reference
    assert "| [`due`](#deadline-due) | [date, date-time or month]" in reference
    assert "| [`id`](#calendar-info-id) | [slug](#slug) | required |" in reference
    assert "Appears at: `reminders`, `events[].reminders`" in reference
    assert "```yaml\nbefore_deadline: [14d, 3d, 1d]\n```" in reference


def test_a_field_without_an_example_is_an_error(repo_root: Path) -> None:
    without_count = _example(repo_root).replace("      count: 6\n", "")
    assert without_count != _example(repo_root)
    with pytest.raises(LookupError, match=r"Repeat\.count.*every-field\.yaml"):
        render_reference(without_count)
