"""Sites built by hand, for tests of serving that do not need the feed renderer; and the
seed registry served by a real ``serve`` process, for the end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compact_calendar.feeds.site import CALENDAR_CONTENT_TYPE, Resource, Site

from .serving import ServeProcess

LAST_MODIFIED = datetime(2017, 6, 1, 9, 30, 15, 250000, tzinfo=UTC)


def calendar_body(name: str, entries: int = 40) -> bytes:
    """An iCalendar feed big enough to be worth compressing."""
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{name}-{i}@test\r\nDTSTAMP:20170601T000000Z\r\n"
        f"DTSTART;VALUE=DATE:201709{i % 28 + 1:02d}\r\nSUMMARY:{name} entry {i}\r\nEND:VEVENT\r\n"
        for i in range(entries)
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "REFRESH-INTERVAL;VALUE=DURATION:PT2H\r\n"
        f"{events}END:VCALENDAR\r\n"
    ).encode()


def make_site(
    files: Mapping[str, bytes] | None = None, *, last_modified: datetime = LAST_MODIFIED
) -> Site:
    files = dict(
        files
        or {
            "calendar.ics": calendar_body("calendar"),
            "deadlines.ics": calendar_body("deadlines"),
            "tracks/gcm.ics": calendar_body("gcm"),
            "events/gcm-tc5-vienna.ics": calendar_body("vienna", 3),
            "index.html": b"<!doctype html><title>Calendar</title><h1>Upcoming</h1>" * 20,
            "static/style.css": b"body { font-family: sans-serif; }\n",
        }
    )
    resources = {}
    for path, body in files.items():
        if path.endswith(".ics"):
            content_type = CALENDAR_CONTENT_TYPE
        elif path.endswith(".css"):
            content_type = "text/css; charset=utf-8"
        else:
            content_type = "text/html; charset=utf-8"
        resources[path] = Resource(path, body, content_type, last_modified)
    return Site(resources, generated_at=last_modified)


SiteFactory = Callable[..., Site]


@pytest.fixture
def site_factory() -> SiteFactory:
    """``site_factory(files=None, last_modified=...)``: a Site of the given files."""
    return make_site


@pytest.fixture
def site() -> Site:
    return make_site()


@pytest.fixture
def registry(tmp_path: Path, repo_root: Path) -> Path:
    """A copy of the seed registry in the test's own directory."""
    path = tmp_path / "events.yaml"
    path.write_text((repo_root / "events.yaml").read_text())
    return path


@pytest.fixture
def server(registry: Path) -> Iterator[ServeProcess]:
    """``serve --no-reminders`` of :func:`registry`, killed after the test."""
    serving = ServeProcess.start(registry, "--no-reminders")
    try:
        yield serving
    finally:
        serving.kill()
