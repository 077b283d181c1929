"""Recurring events in the feeds: what calendar clients expand is what the registry means.

The feeds of tests/data/feeds/recurring.yaml are expanded over two years by
recurring-ical-events and by Mozilla's ical.js, and each must list exactly the
occurrences that :func:`compact_calendar.registry.items.occurrence_items` (the planner's
own view of the series) gives: same instants, same RECURRENCE-IDs, same statuses, same
titles. The series cross the DST changes of Europe/Berlin and America/New_York (RFC 5545
§3.3.10: a rule repeats the wall-clock time of DTSTART in its zone), and include a
first-Thursday rule, series that run on, skipped and extra dates (§3.8.5.1, §3.8.5.2),
and cancelled, moved and retitled occurrences (RECURRENCE-ID, §3.8.4.4).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from compact_calendar.feeds.entries import POINT_LENGTH, shown_title
from compact_calendar.feeds.feedlist import feeds_of
from compact_calendar.feeds.render import SiteRenderer
from compact_calendar.feeds.site import Site
from compact_calendar.feeds.versions import advance
from compact_calendar.registry.items import AllDay, Item, items, occurrence_items
from compact_calendar.registry.model import Registry
from compact_calendar.testing.interop import (
    EXPANSION_PARSERS,
    Instant,
    ParsedEntry,
    assert_expansions_agree,
)
from tests.feeds.conftest import digests_of, first_versions, load, render

TWO_YEARS = (date(2017, 1, 1), date(2019, 1, 1))
_STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}

Seen = tuple[str, str | None, Instant, Instant, str | None, str]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _seen(item: Item) -> Seen:
    """An occurrence as a client should see it: UID, RECURRENCE-ID, start, end, status, title."""
    if isinstance(item.timing, AllDay):
        start = Instant.of(item.timing.first)
        end = Instant.of(item.timing.end_exclusive)
    else:
        begin, finish = item.start_instant, item.end_instant
        start, end = Instant.of(begin), Instant.of(max(finish, begin + POINT_LENGTH))
    rid = None if item.occurrence is None else Instant.of(item.occurrence.recurrence_id).value
    return (item.uid, rid, start, end, _STATUS[item.status], shown_title(item))


def planned(registry: Registry, window: tuple[date, date], path: str) -> list[Seen]:
    """The occurrences the registry has in ``window`` (as the interop harness takes it)
    that the feed at ``path`` publishes."""
    feed = {f.path: f for f in feeds_of(registry)}.get(path)
    found = []
    for item in items(registry):
        if path.startswith("events/") and path != f"events/{item.event.id}.ics":
            continue
        if feed is not None and feed.kind == "deadlines" and item.kind != "deadline":
            continue
        if feed is not None and feed.kind == "track" and feed.track not in item.tracks:
            continue
        for occurrence in occurrence_items(item, *map(_midnight, window)):
            found.append(_seen(occurrence))
    return sorted(found, key=lambda s: (s[2].value, s[0], s[1] or ""))


def expanded(entries: list[ParsedEntry]) -> list[Seen]:
    return sorted(
        ((e.uid, e.recurrence_id, e.start, e.end, e.status, e.summary) for e in entries),
        key=lambda s: (s[2].value, s[0], s[1] or ""),
    )


@pytest.fixture(scope="module")
def site() -> Site:
    return render(load("recurring"))


def _feed_paths() -> list[str]:
    return sorted(p for p in render(load("recurring")).resources if p.endswith(".ics"))


@pytest.mark.parametrize("path", _feed_paths())
@pytest.mark.parametrize("parser", sorted(EXPANSION_PARSERS))
def test_clients_expand_every_feed_to_exactly_the_planned_occurrences_over_two_years(
    site: Site, path: str, parser: str
) -> None:
    expand: Callable[[bytes, date, date], list[ParsedEntry]] = EXPANSION_PARSERS[parser]
    seen = expanded(expand(site.resources[path].body, *TWO_YEARS))
    assert seen == planned(load("recurring"), TWO_YEARS, path)


def test_the_calendar_feed_holds_every_kind_of_occurrence_tested(site: Site) -> None:
    """Guards the fixture: the comparison above is only as good as what it covers."""
    occurrences = assert_expansions_agree(site.resources["calendar.ics"].body, *TWO_YEARS)
    by_uid: dict[str, list[ParsedEntry]] = {}
    for entry in occurrences:
        by_uid.setdefault(entry.uid.split("@")[0], []).append(entry)
    statuses = {e.status for e in occurrences}
    assert statuses == {"CONFIRMED", "TENTATIVE", "CANCELLED"}
    assert len(by_uid["berlin-briefing"]) == 61  # 61 Thursdays, one skipped, one added
    assert len(by_uid["ny-briefing"]) == 20
    assert len(by_uid["caucus-days"]) == 7  # 8 counted, one skipped
    assert len(by_uid["aoe-check-in"]) == 10
    assert len(by_uid["annual-forum"]) == 2  # 2017 and 2018


def test_a_weekly_series_keeps_its_local_time_across_berlin_dst_changes(site: Site) -> None:
    starts = {
        e.recurrence_id: e.start
        for e in assert_expansions_agree(
            site.resources["events/berlin-briefing.ics"].body, *TWO_YEARS
        )
    }
    # 14:00 in Berlin: 13:00 UTC in winter, 12:00 UTC in summer, and back.
    assert starts["2017-03-23T13:00:00Z"] == Instant("utc", "2017-03-23T13:00:00Z")
    assert starts["2017-03-30T12:00:00Z"] == Instant("utc", "2017-03-30T12:00:00Z")
    assert starts["2017-10-19T12:00:00Z"] == Instant("utc", "2017-10-19T12:00:00Z")
    assert starts["2017-11-09T13:00:00Z"] == Instant("utc", "2017-11-09T13:00:00Z")
    assert starts["2018-03-29T12:00:00Z"] == Instant("utc", "2018-03-29T12:00:00Z")


def test_first_thursdays_in_new_york_with_skipped_extra_cancelled_and_moved(site: Site) -> None:
    entries = assert_expansions_agree(
        site.resources["events/coordination-call.ics"].body, date(2017, 8, 1), date(2018, 4, 1)
    )
    calls = [(e.recurrence_id, e.start.value, e.status) for e in entries if "deadline" not in e.uid]
    assert calls == [
        ("2017-08-03T18:00:00Z", "2017-08-03T18:00:00Z", "CONFIRMED"),
        ("2017-09-07T18:00:00Z", "2017-09-07T18:00:00Z", "CONFIRMED"),
        # 5 October skipped, 12 October added
        ("2017-10-12T18:00:00Z", "2017-10-12T18:00:00Z", "CONFIRMED"),
        ("2017-11-02T18:00:00Z", "2017-11-02T18:00:00Z", "CANCELLED"),
        # after the change to EST, 14:00 is 19:00 UTC; 7 Dec moved to 8 Dec 09:30
        ("2017-12-07T19:00:00Z", "2017-12-08T14:30:00Z", "CONFIRMED"),
        ("2018-01-04T19:00:00Z", "2018-01-04T19:00:00Z", "CONFIRMED"),
        ("2018-02-01T19:00:00Z", "2018-02-01T19:00:00Z", "CONFIRMED"),
        ("2018-03-01T19:00:00Z", "2018-03-01T19:00:00Z", "CONFIRMED"),
    ]
    retitled = [e for e in entries if e.recurrence_id == "2018-03-01T19:00:00Z"]
    assert retitled[0].summary == "Coordination call: preparing the intergovernmental conference"


def test_a_series_that_runs_on_is_expanded_right_years_later(site: Site) -> None:
    """The VTIMEZONE of a series without end follows the clock: rendered in 2020, the
    feed carries New York's offsets far enough for ical.js to place 2021's calls."""
    registry = load("recurring")
    later = datetime(2020, 6, 1, tzinfo=UTC)
    body = render(registry, now=later).resources["events/coordination-call.ics"].body
    window = (date(2020, 6, 1), date(2022, 6, 1))
    for parser in sorted(EXPANSION_PARSERS):
        seen = expanded(EXPANSION_PARSERS[parser](body, *window))
        assert seen == planned(registry, window, "events/coordination-call.ics"), parser
    assert len(seen) == 24
    assert "DTSTART:20221106T020000\r\n" in body.decode()  # fall-back of 2022 written


def test_an_aoe_series_repeats_on_its_own_weekday_not_utcs() -> None:
    """Thursday 20:00 AoE is Friday 08:00 UTC: the rule is written in UTC-12's wall time."""
    body = render(load("recurring")).resources["events/aoe-check-in.ics"].body.decode()
    assert "DTSTART;TZID=Etc/GMT+12:20170907T200000\r\n" in body
    assert "RECURRENCE-ID;TZID=Etc/GMT+12:20170921T200000\r\n" in body
    assert "TZID=AoE" not in body
    starts = [e.start.value for e in assert_expansions_agree(body.encode(), *TWO_YEARS)]
    assert starts[:2] == ["2017-09-08T08:00:00Z", "2017-09-15T08:00:00Z"]


def test_timed_series_give_until_in_utc_and_one_value_per_exdate_and_rdate_line(
    site: Site,
) -> None:
    body = site.resources["events/berlin-briefing.ics"].body.decode()
    assert "RRULE:FREQ=WEEKLY;UNTIL=20180426T215959Z\r\n" in body  # §3.3.10
    assert "EXDATE;TZID=Europe/Berlin:20170413T140000\r\n" in body
    assert "RDATE;TZID=Europe/Berlin:20170414T100000\r\n" in body
    caucus = site.resources["events/caucus-days.ics"].body.decode()
    assert "EXDATE;VALUE=DATE:20171211\r\n" in caucus
    assert "RECURRENCE-ID;VALUE=DATE:20180111\r\n" in caucus


def test_changed_occurrences_follow_their_series_in_every_feed_that_has_it(site: Site) -> None:
    for path in ("calendar.ics", "tracks/calls.ics", "events/coordination-call.ics"):
        body = site.resources[path].body.decode()
        assert body.count("UID:coordination-call@recurring-test\r\n") == 4, path
    assert "coordination-call@" not in site.resources["tracks/forums.ics"].body.decode()
    assert "RRULE" not in site.resources["deadlines.ics"].body.decode()


def test_changing_one_occurrence_is_a_new_version_of_the_series() -> None:
    registry = load("recurring")
    versions = first_versions(registry)
    call = next(e for e in registry.events if e.id == "coordination-call")
    assert call.repeat is not None
    # 2 November goes from cancelled to tentative; nothing else changes.
    overrides = dict(call.repeat.overrides)
    overrides["2017-11-02"] = overrides["2017-11-02"].model_copy(update={"status": "tentative"})
    repeat = call.repeat.model_copy(update={"overrides": overrides})
    edited_call = call.model_copy(update={"repeat": repeat})
    edited = registry.model_copy(
        update={"events": [edited_call if e is call else e for e in registry.events]}
    )
    before = digests_of(registry)
    after = digests_of(edited)
    changed = {uid for uid in before if before[uid] != after[uid]}
    assert changed == {"coordination-call@recurring-test"}
    update = advance(versions, after, datetime(2017, 6, 2, tzinfo=UTC))
    assert update.changed["coordination-call@recurring-test"].sequence == 1
    body = (
        SiteRenderer()
        .render(edited, update.versions, public_url=None, now=datetime(2017, 6, 2, tzinfo=UTC))
        .resources["events/coordination-call.ics"]
        .body.decode()
    )
    # Every VEVENT of the series, master and overrides, carries the new SEQUENCE.
    assert body.count("SEQUENCE:1\r\n") == 4
    assert "SEQUENCE:0\r\n" in body  # the deadline is unchanged
