"""Loading never shows a traceback: any text gives a model or located diagnostics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compact_calendar.errors import UsageError
from compact_calendar.registry import source
from compact_calendar.registry.check import check_registry
from compact_calendar.registry.source import load_yaml
from compact_calendar.registry_file import read_registry

NOW = datetime(2017, 6, 1, tzinfo=UTC)
VALID = (Path(__file__).resolve().parents[2] / "events.yaml").read_text(encoding="utf-8")


def assert_located(text: str) -> None:
    checked = check_registry(text, filename="f.yaml", env={}, now=NOW)
    assert checked.registry is not None or checked.errors
    for d in checked.diagnostics:
        assert d.line >= 1
        assert d.column >= 1
        assert d.message
        assert "Traceback" not in d.message


yaml_text = st.text(
    alphabet=st.sampled_from(list("abc:- \n\t{}[],&*!|>'\"#%@`?0129.TZ+$")), max_size=200
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_text)
def test_arbitrary_text_never_raises(text: str) -> None:
    assert_located(text)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["2017-09-04", "2017-09-04T10:00", "2018-02", "14d", "AoE", "09:00"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "calendar",
                    "events",
                    "id",
                    "title",
                    "start",
                    "end",
                    "timezone",
                    "tracks",
                    "channels",
                    "deadlines",
                    "sessions",
                    "due",
                    "name",
                    "type",
                    "to",
                    "x",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_arbitrary_structures_never_raise(document: Any) -> None:
    assert_located(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.text(max_size=3))
def test_edits_of_the_real_registry_never_raise(position: int, inserted: str) -> None:
    assert_located(VALID[:position] + inserted + VALID[position + 1 :])


def test_positions_are_kept_for_values_and_keys() -> None:
    data, positions, problems = load_yaml("a:\n  b: [1, 2]\n  c: x\n")
    assert problems == []
    assert data == {"a": {"b": [1, 2], "c": "x"}}
    assert positions.locate(("a", "b", 1)) == source.Position(2, 10)
    assert positions.locate(("a", "c"), key=True) == source.Position(3, 3)
    assert positions.locate(("a", "c")) == source.Position(3, 6)
    assert positions.locate(("a", "missing", 4)) == source.Position(2, 3)


def test_yaml_1_1_surprises_are_kept_as_written() -> None:
    data, _, _ = load_yaml("at: 09:00\nstart: 2017-09-04\nno: no\ncount: 5\n")
    assert data == {"at": "09:00", "start": "2017-09-04", "no": False, "count": 5}


def test_environment_references_are_resolved_and_escapable() -> None:
    data, _, problems = load_yaml("a: ${X}/y\nb: $${X}\n", env={"X": "v"})
    assert problems == []
    assert data == {"a": "v/y", "b": "${X}"}


def test_merge_keys_are_supported() -> None:
    data, _, problems = load_yaml("d: &d {x: 1, y: 2}\ne: {<<: *d, y: 3}\n")
    assert problems == []
    assert data["e"] == {"x": 1, "y": 3}


def test_a_self_referencing_alias_is_a_located_error() -> None:
    _, _, problems = load_yaml("x: &x [*x]\n")
    assert [p.message for p in problems] == ["an alias refers to a value that contains itself"]


def test_an_oversized_file_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import compact_calendar.registry_file as registry_file

    monkeypatch.setattr(registry_file, "MAX_REGISTRY_BYTES", 1024)
    path = tmp_path / "events.yaml"
    path.write_text("x" * 2048 * 1024)
    checked = read_registry(path, now=NOW, env={})
    assert [d.format() for d in checked.diagnostics] == [
        f"{path}:1:1: error: the file is 2 MiB, over the 0 MiB limit: split or trim it"
    ]


def test_text_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "events.yaml"
    path.write_bytes(b"calendar:\n  name: caf\xe9\n")
    checked = read_registry(path, now=NOW, env={})
    assert [d.format() for d in checked.diagnostics] == [
        f"{path}:2:12: error: this is not UTF-8 text: save the file as UTF-8 in your editor"
    ]


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_registry(tmp_path / "nope.yaml", now=NOW, env={})
