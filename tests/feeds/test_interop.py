"""Every feed is read alike by icalendar, vobject, ics-py, recurring-ical-events and ical.js.

The registries cover DST changes (America/New_York in November and March, the half-hour
shift of Australia/Lord_Howe), Asia/Kathmandu's +05:45, AoE, multi-day all-day items,
month-only dates, sessions, cancellations, hostile text and recurring series (whose
expansion tests/feeds/test_recurrence.py checks).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from compact_calendar.registry.items import AllDay, Item, items, occurrence_item
from compact_calendar.testing.interop import Instant, assert_parsers_agree
from tests.feeds.conftest import REGISTRIES, load, render


def _instants(item: Item) -> tuple[Instant, Instant]:
    from datetime import timedelta

    if isinstance(item.timing, AllDay):
        return (
            Instant("date", item.timing.first.isoformat()),
            Instant("date", item.timing.end_exclusive.isoformat()),
        )
    begin = item.start_instant
    finish = item.end_instant
    if finish == begin:
        finish = begin + timedelta(minutes=15)
    return Instant.of(begin), Instant.of(finish.astimezone(UTC))


def _expected_instants(name: str) -> dict[tuple[str, str | None], tuple[Instant, Instant]]:
    """What the registry means, independently of the feed writer: each entry by UID and
    RECURRENCE-ID (a series, then each of its changed occurrences)."""
    expected: dict[tuple[str, str | None], tuple[Instant, Instant]] = {}
    for item in items(load(name)):
        expected[item.uid, None] = _instants(item)
        if item.recurrence is not None:
            for occurrence in item.recurrence.changed():
                rid = Instant.of(occurrence.recurrence_id).value
                expected[item.uid, rid] = _instants(occurrence_item(item, occurrence))
    return expected


@pytest.mark.parametrize("name", sorted(REGISTRIES))
def test_every_feed_is_read_alike_by_every_parser_at_the_registry_instants(name: str) -> None:
    site = render(load(name))
    expected = _expected_instants(name)
    feeds = [r for path, r in site.resources.items() if path.endswith(".ics")]
    assert feeds
    for resource in feeds:
        entries = assert_parsers_agree(resource.body)
        for entry in entries:
            key = (entry.uid, entry.recurrence_id)
            assert (entry.start, entry.end) == expected[key], (resource.path, key)
    everything = assert_parsers_agree(site.resources["calendar.ics"].body)
    assert sorted((e.uid, e.recurrence_id or "") for e in everything) == sorted(
        (uid, rid or "") for uid, rid in expected
    )


def test_ambiguous_wall_time_is_published_as_its_utc_instant() -> None:
    body = render(load("zones")).resources["events/ny-second-130.ics"].body.decode()
    # 01:30 occurs twice on 5 Nov 2017 in New York; this is the second (EST, -05:00).
    assert "DTSTART:20171105T063000Z\r\n" in body
    entries = assert_parsers_agree(body.encode())
    assert entries[0].start == Instant.of(datetime(2017, 11, 5, 6, 30, tzinfo=UTC))


def test_aoe_deadline_is_due_at_the_end_of_the_day_anywhere_on_earth() -> None:
    body = render(load("zones")).resources["events/kathmandu-forum.ics"].body.decode()
    assert "TZID=AoE" not in body
    assert "DTSTART:20171201T120000Z" not in body  # 12:00 AoE is 00:00 UTC the next day
    assert "DTSTART:20171202T000000Z\r\nDTEND:20171202T001500Z\r\n" in body
    assert "DTSTART;VALUE=DATE:20171130\r\nDTEND;VALUE=DATE:20171201\r\n" in body
    unfolded = body.replace("\r\n ", "")
    assert "Due by the end of 30 Nov 2017 (AoE)\\, that is 1 Dec 2017 12:00 UTC." in unfolded


def test_month_only_dates_span_the_month() -> None:
    entries = assert_parsers_agree(
        render(load("zones")).resources["events/negotiations-2018.ics"].body
    )
    assert (entries[0].start, entries[0].end) == (
        Instant.of(date(2018, 2, 1)),
        Instant.of(date(2018, 3, 1)),
    )
