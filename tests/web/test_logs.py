"""Log lines: one per event, for people by default and as JSON on request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from compact_calendar.logs import configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def log_twice(log_format: str) -> str:
    stream = io.StringIO()
    configure_logging(log_format, stream=stream)  # type: ignore[arg-type]
    log = logging.getLogger("compact_calendar.test")
    log.warning("registry invalid:\nline two", extra={"event": "registry_degraded", "errors": 2})
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    return stream.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_text_lines_are_one_per_event_even_with_newlines_in_the_message() -> None:
    lines = log_twice("text").splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("WARNING registry invalid:\\nline two")
    assert lines[1].endswith("INFO    Started server process [42]")


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_the_extra_fields() -> None:
    entries = [json.loads(line) for line in log_twice("json").splitlines()]
    assert entries[0]["level"] == "warning"
    assert entries[0]["message"] == "registry invalid:\nline two"
    assert entries[0]["event"] == "registry_degraded"
    assert entries[0]["errors"] == 2
    assert entries[0]["logger"] == "compact_calendar.test"
    assert entries[1]["logger"] == "uvicorn.error"
    assert "color_message" not in entries[1]
