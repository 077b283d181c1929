"""Recurring events: ``repeat:`` validation and the occurrence engine (RFC 5545 §3.3.10,
§3.8.5 EXDATE/RDATE, §3.8.4.4 RECURRENCE-ID), checked against independent expanders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from compact_calendar.registry.check import check_registry
from compact_calendar.registry.items import AllDay, Timed, Timing
from compact_calendar.registry.model import Event, Registry
from compact_calendar.registry.recurrence import (
    Occurrence,
    Recurrence,
    RecurrenceError,
    normalize_rule,
    occurrences,
    recurrence_of,
    to_ical_properties,
)
from compact_calendar.testing.interop import (
    Instant,
    ParsedEntry,
    expand_with_icaljs,
    expand_with_recurring_ical_events,
)

NOW = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TWO_YEARS = (datetime(2017, 1, 1, tzinfo=UTC), datetime(2019, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def recurrence_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "registry" / "recurrence"


@pytest.fixture(scope="module")
def series(recurrence_dir: Path) -> Registry:
    checked = check_registry(
        (recurrence_dir / "series.yaml").read_text(), filename="series.yaml", env={}, now=NOW
    )
    assert checked.diagnostics == []
    assert checked.registry is not None
    return checked.registry


def event(registry: Registry, event_id: str) -> Event:
    return next(e for e in registry.events if e.id == event_id)


def series_of(registry: Registry, event_id: str) -> Recurrence:
    return recurrence_of(event(registry, event_id), registry.calendar.timezone)


def starts(found: list[Occurrence]) -> list[str]:
    return [
        f"{o.timing.start:%Y-%m-%d %H:%M%z}"
        if isinstance(o.timing, Timed)
        else f"{o.timing.first}..{o.timing.last}"
        for o in found
    ]


def registry_with(repeat_yaml: str, *, start: str = "2017-08-03T14:00", extra: str = "") -> str:
    return (
        "calendar: {id: cal, name: Cal, timezone: Europe/Berlin}\n"
        "events:\n"
        "  - id: call\n"
        "    title: Call\n"
        f"    start: {start}\n"
        f"{extra}"
        "    repeat:\n" + "".join(f"      {line}\n" for line in repeat_yaml.splitlines())
    )


def diagnostics(text: str) -> list[str]:
    checked = check_registry(text, filename="events.yaml", env={}, now=NOW)
    return [
        f"{d.line}:{d.column}: {d.severity}: {d.where}: {d.message}" for d in checked.diagnostics
    ]


# --- the rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "rule"),
    [
        ("1d", "FREQ=DAILY"),
        ("2w", "FREQ=WEEKLY;INTERVAL=2"),
        ("1m", "FREQ=MONTHLY"),
        ("1Y", "FREQ=YEARLY"),
        ("FREQ=MONTHLY;BYDAY=1TH", "FREQ=MONTHLY;BYDAY=1TH"),
        ("RRULE:freq=weekly;byday=mo,we;interval=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE"),
        (
            "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        ),
    ],
)
def test_every_is_normalized_to_an_rfc5545_rule_in_canonical_order(every: str, rule: str) -> None:
    assert normalize_rule(every) == rule


@pytest.mark.parametrize(
    ("every", "says"),
    [
        ("FREQ=HOURLY", "more often than daily"),
        ("FREQ=MINUTELY;INTERVAL=30", "more often than daily"),
        ("FREQ=DAILY;BYHOUR=9,14", "BYHOUR sets times of day"),
        ("FREQ=YEARLY;BYWEEKNO=20", "BYWEEKNO cannot be represented"),
        ("FREQ=YEARLY;BYEASTER=0", "BYEASTER is not part of an RFC 5545 rule"),
        ("FREQ=WEEKLY;COUNT=5", "`count:` beside `every:`"),
        ("FREQ=WEEKLY;UNTIL=20171231", "`until:` beside `every:`"),
        ("FREQ=WEEKLY;BYDAY=1MO", "numbered weekday needs FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=6MO", "out of range"),
        ("FREQ=MONTHLY;BYDAY=XX", "not a weekday"),
        ("FREQ=WEEKLY;BYMONTHDAY=3", "cannot be used with FREQ=WEEKLY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never happens"),
        ("FREQ=MONTHLY;BYDAY=1MO;BYSETPOS=2", "never happen"),
        ("FREQ=DAILY;BYSETPOS=2;BYDAY=MO", "never happen"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "out of range"),
        ("FREQ=MONTHLY;INTERVAL=0", "out of range"),
        ("FREQ=FORTNIGHTLY", "not a frequency"),
        ("BYDAY=MO", "has no FREQ"),
        ("FREQ=WEEKLY;FREQ=DAILY", "given twice"),
        ("FREQ=WEEKLY;BYDAY", "not NAME=VALUE"),
        ("fortnightly", "not a repeat interval"),
        ("0w", "never repeats"),
    ],
)
def test_rules_clients_cannot_show_are_refused_with_a_fix(every: str, says: str) -> None:
    with pytest.raises(RecurrenceError, match=says):
        normalize_rule(every)


# --- occurrences: DST, monthly by weekday, open-ended, except/also, overrides ---------


def test_weekly_series_keeps_its_wall_clock_time_across_both_dst_changes_in_berlin(
    series: Registry,
) -> None:
    found = occurrences(
        event(series, "berlin-briefing"),
        series.calendar.timezone,
        datetime(2017, 3, 16, tzinfo=UTC),
        datetime(2017, 4, 7, tzinfo=UTC),
    )
    # Clocks went forward on 26 March: same 14:00, one hour less from UTC.
    assert starts(found) == [
        "2017-03-16 14:00+0100",
        "2017-03-23 14:00+0100",
        "2017-03-30 14:00+0200",
        "2017-04-06 14:00+0200",
    ]
    autumn = series_of(series, "berlin-briefing").between(
        datetime(2017, 10, 20, tzinfo=UTC), datetime(2017, 11, 4, tzinfo=UTC)
    )
    assert [o.timing.start.astimezone(UTC).hour for o in autumn if isinstance(o.timing, Timed)] == [
        12,
        13,
    ]
    assert all(
        isinstance(o.timing, Timed) and o.timing.end - o.timing.start == timedelta(hours=1)
        for o in found + autumn
    )


def test_except_skips_and_also_adds_an_occurrence(series: Registry) -> None:
    found = series_of(series, "berlin-briefing").between(
        datetime(2017, 4, 10, tzinfo=UTC), datetime(2017, 4, 22, tzinfo=UTC)
    )
    assert starts(found) == ["2017-04-14 10:00+0200", "2017-04-20 14:00+0200"]
    assert [o.key for o in found] == ["20170414T100000", "20170420T140000"]


def test_until_is_inclusive_of_its_whole_day_and_written_in_utc_for_a_timed_series(
    series: Registry,
) -> None:
    briefing = series_of(series, "berlin-briefing")
    assert briefing.rule == "FREQ=WEEKLY;UNTIL=20171130T225959Z"
    last = briefing.between(datetime(2017, 11, 20, tzinfo=UTC), datetime(2018, 2, 1, tzinfo=UTC))
    assert starts(last) == ["2017-11-23 14:00+0100", "2017-11-30 14:00+0100"]


def test_first_thursday_of_the_month_in_new_york_across_dst_with_cancel_and_move(
    series: Registry,
) -> None:
    found = series_of(series, "coordination-call").between(
        datetime(2017, 8, 1, tzinfo=UTC), datetime(2018, 4, 1, tzinfo=UTC)
    )
    assert starts(found) == [
        "2017-08-03 14:00-0400",
        "2017-09-07 14:00-0400",
        # 2017-10-05 skipped; 2017-10-12 added
        "2017-10-12 14:00-0400",
        "2017-11-02 14:00-0400",  # cancelled, still listed so it can be announced
        "2017-12-08 09:30-0500",  # moved from Thu 7 Dec 14:00
        "2018-01-04 14:00-0500",
        "2018-02-01 14:00-0500",
        "2018-03-01 14:00-0500",
    ]
    by_key = {o.key: o for o in found}
    assert by_key["20171102T140000"].status == "cancelled"
    assert not by_key["20171102T140000"].moved
    moved = by_key["20171207T140000"]
    assert moved.moved
    assert (moved.status, moved.location) == ("confirmed", "Room B")
    assert moved.recurrence_id == datetime(2017, 12, 7, 14, 0, tzinfo=NEW_YORK)
    assert all(o.status == "confirmed" for k, o in by_key.items() if k != "20171102T140000")


def test_an_open_ended_series_runs_on_and_is_bounded_by_the_window(series: Registry) -> None:
    call = series_of(series, "coordination-call")
    assert call.rule == "FREQ=MONTHLY;BYDAY=1TH"  # neither UNTIL nor COUNT
    far = call.between(datetime(2040, 1, 1, tzinfo=UTC), datetime(2041, 1, 1, tzinfo=UTC))
    assert len(far) == 12
    assert starts(far)[0] == "2040-01-05 14:00-0500"  # the first Thursday of 2040


def test_a_moved_occurrence_counts_where_it_moved_to(series: Registry) -> None:
    call = series_of(series, "coordination-call")
    on_the_eighth = call.between(
        datetime(2017, 12, 8, tzinfo=UTC), datetime(2017, 12, 9, tzinfo=UTC)
    )
    assert [o.key for o in on_the_eighth] == ["20171207T140000"]
    assert call.between(datetime(2017, 12, 7, tzinfo=UTC), datetime(2017, 12, 8, tzinfo=UTC)) == []


def test_an_all_day_series_with_count_and_a_moved_day(series: Registry) -> None:
    caucus = series_of(series, "caucus-day")
    assert caucus.rule == "FREQ=WEEKLY;COUNT=6;INTERVAL=2"
    found = caucus.between(*TWO_YEARS)
    assert [(o.key, o.timing) for o in found] == [
        ("20171016", AllDay(date(2017, 10, 16), date(2017, 10, 16))),
        ("20171030", AllDay(date(2017, 10, 30), date(2017, 10, 30))),
        ("20171113", AllDay(date(2017, 11, 14), date(2017, 11, 14))),
        ("20171127", AllDay(date(2017, 11, 27), date(2017, 11, 27))),
        ("20171211", AllDay(date(2017, 12, 11), date(2017, 12, 11))),
        ("20171225", AllDay(date(2017, 12, 25), date(2017, 12, 25))),
    ]
    assert [o.moved for o in found] == [False, False, True, False, False, False]


def test_a_multi_day_all_day_series_keeps_its_length(series: Registry) -> None:
    forum = series_of(series, "annual-forum")
    assert forum.rule == "FREQ=YEARLY;UNTIL=20191231"
    assert [o.timing for o in forum.between(*TWO_YEARS)] == [
        AllDay(date(2017, 12, 4), date(2017, 12, 6)),
        AllDay(date(2018, 12, 4), date(2018, 12, 6)),
    ]


def test_ical_properties_give_one_date_per_exdate_and_rdate_line_in_the_event_zone(
    series: Registry,
) -> None:
    properties = to_ical_properties(series_of(series, "coordination-call"))
    assert [(name, value) for name, value in properties if name != "RRULE"] == [
        ("EXDATE", datetime(2017, 10, 5, 14, 0, tzinfo=NEW_YORK)),
        ("RDATE", datetime(2017, 10, 12, 14, 0, tzinfo=NEW_YORK)),
    ]
    rrule = dict(properties)["RRULE"]
    assert isinstance(rrule, icalendar.vRecur)
    assert rrule == icalendar.vRecur({"FREQ": ["MONTHLY"], "BYDAY": ["1TH"]})


def test_items_of_a_recurring_event_are_unchanged_for_now(series: Registry) -> None:
    # Phase 1 leaves items() alone: a series is still one item, at its first occurrence.
    from compact_calendar.registry.items import items

    briefing = [i for i in items(series) if i.event.id == "berlin-briefing"]
    assert len(briefing) == 1
    assert briefing[0].timing == Timed(
        datetime(2017, 3, 2, 14, 0, tzinfo=BERLIN), datetime(2017, 3, 2, 15, 0, tzinfo=BERLIN)
    )


# --- located errors and warnings ----------------------------------------------------


def test_every_repeat_error_is_reported_at_its_line_and_column(recurrence_dir: Path) -> None:
    text = (recurrence_dir / "errors.yaml").read_text()
    assert diagnostics(text) == [
        "11:14: error: events[0].repeat.every: FREQ=HOURLY repeats more often than daily, "
        "which calendar clients (Google, Outlook, Apple) cannot show: use FREQ=DAILY, or one "
        "event per time of day",
        "17:14: error: events[1].repeat.until: `until` (2017-08-01) is before `start` "
        "(2017-08-03T14:00): the series would never happen; fix the date",
        "24:14: error: events[2].repeat.count: give either `until` or `count`, not both: "
        "the series ends by one of them",
        "29:14: error: events[3].repeat.every: `start` (Wed 2017-08-02 14:00) is not an "
        "occurrence of `FREQ=MONTHLY;BYDAY=1TH`, and calendar clients disagree about such a "
        "series: start it on its first occurrence, Thu 2017-08-03 14:00",
        "35:16: error: events[4].repeat.except[0]: 2017-08-11 is not an occurrence of this "
        "series, so it cannot be skipped (nearest: Thu 2017-08-10 14:00 and Thu 2017-08-17 "
        "14:00): fix the date",
        "36:14: warning: events[4].repeat.also[0]: 2017-08-10 is already an occurrence of "
        "this series: remove it from `also`",
        "38:9: error: events[4].repeat.overrides.2017-08-12: 2017-08-12 is not an occurrence "
        "of this series (nearest: Thu 2017-08-10 14:00 and Thu 2017-08-17 14:00): key the "
        "override by the original date of the occurrence it changes",
        "39:29: error: events[4].repeat.overrides.2017-08-17.start: this series is timed: "
        "write a date-time (YYYY-MM-DDTHH:MM)",
        "44:5: error: events[5].repeat: an event with `sessions` cannot also `repeat`: make "
        "the recurring part its own event (each occurrence is then one calendar entry)",
        "52:14: error: events[6].repeat.every: `FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30` never "
        "happens: none of the months has day 30",
        "59:7: error: events[7].repeat.except: every occurrence of the series is skipped: "
        "nothing would be published; remove dates from `except` or drop the event",
    ]


@pytest.mark.parametrize(
    ("repeat", "start", "expected"),
    [
        (
            "every: 1w\noverrides:\n  2017-13-01: {status: cancelled}",
            "2017-08-03T14:00",
            "9:9: error: events[0].repeat.overrides.2017-13-01: an override is keyed by its "
            "occurrence's date: `2017-13-01` is not a real date or time (month must be in 1..12)",
        ),
        (
            "every: 1w\nuntil: 2017-08-20T10:00",
            "2017-08-03",
            "8:14: error: events[0].repeat.until: an all-day series ends on a day: write "
            "`until` as a date (YYYY-MM-DD)",
        ),
        (
            "every: 1m",
            "2017-08-31T14:00",
            "7:14: warning: events[0].repeat.every: a monthly series from day 31 skips the "
            "months that have no day 31: for the last day of each month write "
            '"FREQ=MONTHLY;BYMONTHDAY=-1"',
        ),
        (
            "every: 1w\nexcept: [2017-08-10]\nalso: [2017-08-10]",
            "2017-08-03T14:00",
            "9:14: error: events[0].repeat.also[0]: 2017-08-10 is both skipped (`except`) and "
            "added (`also`): keep one",
        ),
        (
            "every: 1w\nexcept: [2017-08-10]\noverrides:\n  2017-08-10: {status: cancelled}",
            "2017-08-03T14:00",
            "10:9: error: events[0].repeat.overrides.2017-08-10: the occurrence on 2017-08-10 "
            "is skipped by `except`: remove it from `except` or from `overrides`",
        ),
        (
            "every: 1w\noverrides:\n  2017-08-10: {start: 2017-08-10T16:00, end: 2017-08-10T15:00}",
            "2017-08-03T14:00",
            "9:52: error: events[0].repeat.overrides.2017-08-10.end: `end` (2017-08-10T15:00) "
            "is before `start` (2017-08-10T16:00)",
        ),
        (
            "every: 1w\nalso: [2017-08-05T09:00]\noverrides:\n  2017-08-05: {title: Extra}",
            "2017-08-03T14:00",
            None,
        ),
        (
            "every: FREQ=WEEKLY;BYDAY=TH\nalso: [2017-08-10T09:00]\noverrides:\n"
            "  2017-08-10: {status: cancelled}",
            "2017-08-03T14:00",
            "10:9: error: events[0].repeat.overrides.2017-08-10: 2017-08-10 has several "
            "occurrences (14:00, 09:00): key the override by the date and time, like "
            "2017-11-02T14:00",
        ),
        (
            "every: 1d\nuntil: 2017-08-05\noverrides:\n  2017-08-04: {}",
            "2017-08-03",
            "10:9: warning: events[0].repeat.overrides.2017-08-04: this override changes "
            "nothing: remove it",
        ),
    ],
)
def test_repeat_findings_are_located(repeat: str, start: str, expected: str | None) -> None:
    found = diagnostics(registry_with(repeat, start=start))
    assert found == ([expected] if expected else [])


def test_month_only_start_cannot_repeat() -> None:
    text = registry_with("every: 1m", start="2018-02", extra="    status: tentative\n")
    assert diagnostics(text) == [
        "7:5: error: events[0].repeat: a recurring event needs a start day, not only a month: "
        "give `start` as YYYY-MM-DD"
    ]


def test_offsets_in_repeat_dates_are_read_in_the_event_zone() -> None:
    # 12:00Z is 14:00 in Berlin in summer: the same occurrence.
    text = registry_with("every: 1w\nexcept: [2017-08-10T12:00Z]")
    assert diagnostics(text) == []


# --- overlaps within a track --------------------------------------------------------

OVERLAPS = """\
calendar: {id: cal, name: Cal, timezone: Europe/Zurich}
tracks: {gcm: {name: GCM}, gcr: {name: GCR}}
events:
  - id: forum
    title: Forum
    tracks: [gcm]
    start: 2017-06-28T09:00
    end: 2017-06-28T18:00
    sessions:
      - {id: a, title: A, start: 2017-06-28T09:00, end: 2017-06-28T12:00}
      - {id: b, title: B, start: 2017-06-28T10:00, end: 2017-06-28T11:00}
      - {id: c, title: C, start: 2017-06-28T09:00, end: 2017-06-28T12:00}
  - id: briefing
    title: Briefing
    tracks: [gcm]
    start: 2017-06-28T11:30
    end: 2017-06-28T12:30
  - id: other-track
    title: Other track
    tracks: [gcr]
    start: 2017-06-28T09:00
    end: 2017-06-28T18:00
  - id: weekly
    title: Weekly
    tracks: [gcr]
    start: 2017-06-07T08:00
    end: 2017-06-07T09:30
    repeat: {every: 1w}
  - id: back-to-back
    title: Back to back
    tracks: [gcm]
    start: 2017-06-28T12:30
    end: 2017-06-28T13:00
"""


def test_overlapping_entries_of_one_track_are_warned_about_once_each() -> None:
    found = [d for d in diagnostics(OVERLAPS) if "overlaps" in d or "exactly" in d]
    assert found == [
        # parallel sessions of one event are fine; an exact copy of one is not
        "12:34: warning: events[0].sessions[2].start: this session (2017-06-28 09:00 "
        "Europe/Zurich) has exactly the times of `forum/sessions/a` (line 10): if it was "
        "copied, give it its own `start` and `end`",
        "16:12: warning: events[1].start: this event (2017-06-28 11:30 Europe/Zurich) "
        "overlaps `forum/sessions/a` (2017-06-28 09:00 Europe/Zurich, line 10) in track "
        "`gcm`: check the times, or put one in another track",
        # a series is compared occurrence by occurrence: 28 June 08:00 is one of them
        "21:12: warning: events[2].start: this event (2017-06-28 09:00 Europe/Zurich) "
        "overlaps `weekly` (2017-06-28 08:00 Europe/Zurich, line 26) in track `gcr`: check "
        "the times, or put one in another track",
    ]


# --- agreement with independent expanders ---------------------------------------------


def _calendar_ics(registry: Registry, zones_ics: bytes) -> bytes:
    calendar = icalendar.Calendar.from_ical(zones_ics)
    for registry_event in registry.events:
        recurrence = recurrence_of(registry_event, registry.calendar.timezone)
        uid = f"{registry_event.id}@{registry.calendar.id}"
        day = datetime.combine(recurrence.first, datetime.min.time(), tzinfo=UTC)
        first = recurrence.between(day - timedelta(days=2), day + timedelta(days=3))[0]
        master = _vevent(uid, registry_event.title, first)
        for name, value in to_ical_properties(recurrence):
            master.add(name, value)
        calendar.add_component(master)
        for changed in recurrence.changed():
            instance = _vevent(uid, changed.title or registry_event.title, changed)
            instance.add("RECURRENCE-ID", changed.recurrence_id)
            calendar.add_component(instance)
    ics: bytes = calendar.to_ical()
    return ics


def _vevent(uid: str, title: str, occurrence: Occurrence) -> icalendar.Event:
    component = icalendar.Event()
    component.add("UID", uid)
    component.add("DTSTAMP", datetime(2017, 6, 1, tzinfo=UTC))
    component.add("SUMMARY", title)
    component.add("STATUS", occurrence.status.upper())
    begin, finish = _bounds(occurrence.timing)
    component.add("DTSTART", begin)
    component.add("DTEND", finish)
    return component


def _bounds(timing: Timing) -> tuple[date | datetime, date | datetime]:
    """DTSTART and DTEND of a timing: exact times, or days with an exclusive end."""
    if isinstance(timing, Timed):
        return timing.start, timing.end
    return timing.first, timing.end_exclusive


def _as_entries(registry: Registry, start: datetime, end: datetime) -> list[tuple[object, ...]]:
    entries = []
    for registry_event in registry.events:
        for o in occurrences(registry_event, registry.calendar.timezone, start, end):
            begin, finish = _bounds(o.timing)
            entries.append(
                (
                    f"{registry_event.id}@{registry.calendar.id}",
                    Instant.of(o.recurrence_id).value,
                    o.status.upper(),
                    Instant.of(begin),
                    Instant.of(finish),
                )
            )
    return sorted(entries, key=lambda e: (str(e[3]), str(e[0])))


def _keys(parsed: list[ParsedEntry]) -> list[tuple[object, ...]]:
    rows = [(p.uid, p.recurrence_id, p.status, p.start, p.end) for p in parsed]
    return sorted(rows, key=lambda e: (str(e[3]), str(e[0])))


@pytest.mark.slow
def test_own_occurrences_agree_exactly_with_recurring_ical_events_and_icaljs_over_two_years(
    series: Registry, recurrence_dir: Path
) -> None:
    ics = _calendar_ics(series, (recurrence_dir / "vtimezones.ics").read_bytes())
    window = (date(2017, 1, 1), date(2019, 1, 1))
    ours = _as_entries(series, *TWO_YEARS)
    assert len(ours) > 60  # every series contributes
    assert _keys(expand_with_recurring_ical_events(ics, *window)) == ours
    assert _keys(expand_with_icaljs(ics, *window)) == ours
