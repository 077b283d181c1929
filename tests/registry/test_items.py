"""Resolving the registry into calendar items: UIDs, zones, inclusive ends, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from compact_calendar.registry.check import check_registry
from compact_calendar.registry.items import (
    AllDay,
    Item,
    Timed,
    items,
    localize,
    occurrence_items,
)
from compact_calendar.registry.model import Registry
from compact_calendar.registry.values import parse_offset, zone

NOW = datetime(2017, 6, 1, tzinfo=UTC)

REGISTRY = """\
calendar: {id: mfa, name: MFA, timezone: Asia/Manila}
channels:
  secretariat: {type: email, to: [s@example.org]}
reminders: {before_deadline: [7d], at: "08:30"}
events:
  - id: tc5
    title: Fifth thematic consultation
    start: 2017-09-04
    end: 2017-09-05
    timezone: Europe/Vienna
    location: Vienna, Austria
    deadlines:
      - {id: registration, title: Registration closes, due: 2017-08-18}
      - {id: paper, title: Papers, due: "2017-08-20T17:00", timezone: AoE,
         reminders: {before_deadline: [36h]}}
  - id: gfmd
    title: GFMD
    start: 2017-06-28
    end: 2017-06-30
    timezone: Europe/Berlin
    sessions:
      - {id: csd-1, title: Civil Society Day, start: "2017-06-29T09:00", end: "2017-06-29T18:00"}
      - {id: opening, title: Opening, start: "2017-06-28T08:00Z", end: "2017-06-28T09:00Z"}
  - id: call
    title: Call
    start: "2017-08-03T14:00"
"""


@pytest.fixture
def registry() -> Registry:
    checked = check_registry(REGISTRY, filename="r.yaml", env={}, now=NOW)
    assert checked.registry is not None, checked.diagnostics
    return checked.registry


def by_key(registry: Registry) -> dict[str, Item]:
    return {item.key: item for item in items(registry)}


def test_uids_contain_calendar_event_and_session_or_deadline_ids(registry: Registry) -> None:
    uids = [item.uid for item in items(registry)]
    assert uids == [
        "tc5@mfa",
        "tc5.deadline.registration@mfa",
        "tc5.deadline.paper@mfa",
        "gfmd.session.csd-1@mfa",
        "gfmd.session.opening@mfa",
        "call@mfa",
    ]
    assert len(set(uids)) == len(uids)


def test_an_event_with_sessions_is_published_as_its_sessions(registry: Registry) -> None:
    found = by_key(registry)
    assert "gfmd" not in found
    assert found["gfmd/sessions/csd-1"].title == "GFMD: Civil Society Day"


def test_all_day_end_is_inclusive_and_exclusive_end_is_the_next_day(registry: Registry) -> None:
    item = by_key(registry)["tc5"]
    assert item.timing == AllDay(date(2017, 9, 4), date(2017, 9, 5))
    assert isinstance(item.timing, AllDay)
    assert item.timing.end_exclusive == date(2017, 9, 6)
    assert item.start_instant == datetime(2017, 9, 3, 22, 0, tzinfo=UTC)
    assert item.end_instant == datetime(2017, 9, 5, 22, 0, tzinfo=UTC)


def test_date_due_deadline_is_due_at_the_end_of_its_day_in_the_event_zone(
    registry: Registry,
) -> None:
    item = by_key(registry)["tc5/deadlines/registration"]
    assert item.zone == "Europe/Vienna"
    assert item.end_instant == datetime(2017, 8, 18, 22, 0, tzinfo=UTC)
    assert item.title == "Registration closes: Fifth thematic consultation"


def test_deadline_may_name_its_own_zone_and_override_reminders(registry: Registry) -> None:
    item = by_key(registry)["tc5/deadlines/paper"]
    assert isinstance(item.timing, Timed)
    assert item.timing.start.astimezone(UTC) == datetime(2017, 8, 21, 5, 0, tzinfo=UTC)
    assert item.reminders.before_deadline == (parse_offset("36h"),)
    assert item.reminders.at == time(8, 30)
    assert item.reminders.channels == ("secretariat",)


def test_naive_times_are_local_to_the_item_zone_and_offsets_are_kept(registry: Registry) -> None:
    found = by_key(registry)
    csd = found["gfmd/sessions/csd-1"]
    assert csd.start_instant == datetime(2017, 6, 29, 7, 0, tzinfo=UTC)
    opening = found["gfmd/sessions/opening"]
    assert opening.start_instant == datetime(2017, 6, 28, 8, 0, tzinfo=UTC)
    assert isinstance(opening.timing, Timed)
    assert opening.timing.start.utcoffset() == zone("Europe/Berlin").utcoffset(
        datetime(2017, 6, 28, 10)
    )


def test_an_event_without_end_is_a_point_in_time(registry: Registry) -> None:
    call = by_key(registry)["call"]
    assert isinstance(call.timing, Timed)
    assert call.timing.start == call.timing.end
    assert call.zone == "Asia/Manila"


def test_localize_moves_a_time_in_a_dst_gap_forward_and_takes_the_first_of_a_fold() -> None:
    vienna = zone("Europe/Vienna")
    gap = localize(datetime(2017, 3, 26, 2, 30), vienna)
    assert (gap.hour, gap.minute) == (3, 30)
    assert gap.astimezone(UTC) == datetime(2017, 3, 26, 1, 30, tzinfo=UTC)
    fold = localize(datetime(2017, 10, 29, 2, 30), vienna)
    assert fold.astimezone(UTC) == datetime(2017, 10, 29, 0, 30, tzinfo=UTC)
    new_york = localize(datetime(2017, 3, 12, 2, 30), zone("America/New_York"))
    assert new_york.astimezone(UTC) == datetime(2017, 3, 12, 7, 30, tzinfo=UTC)


SERIES = """\
calendar: {id: mfa, name: MFA, timezone: Europe/Berlin}
events:
  - id: call
    title: Coordination call
    start: "2017-10-05T14:00"
    end: "2017-10-05T15:00"
    repeat:
      every: "FREQ=MONTHLY;BYDAY=1TH"
      count: 4
      overrides:
        "2017-11-02T14:00": {status: cancelled}
"""


def test_a_recurring_event_is_one_item_with_its_series_and_occurrences_of_its_own() -> None:
    checked = check_registry(SERIES, filename="r.yaml", env={}, now=NOW)
    assert checked.registry is not None, checked.diagnostics
    (series,) = list(items(checked.registry))
    assert series.recurrence is not None
    window = (datetime(2017, 10, 1, tzinfo=UTC), datetime(2018, 3, 1, tzinfo=UTC))
    found = list(occurrence_items(series, *window))
    assert [o.key for o in found] == [
        "call@20171005T140000",
        "call@20171102T140000",
        "call@20171207T140000",
        "call@20180104T140000",
    ]
    assert [o.status for o in found] == ["confirmed", "cancelled", "confirmed", "confirmed"]
    assert {o.uid for o in found} == {"call@mfa"}
    # 14:00 in Berlin stays 14:00 after the clocks go back on 29 October.
    assert [o.start_instant.hour for o in found] == [12, 13, 13, 13]


def test_an_item_that_does_not_repeat_is_its_own_only_occurrence(registry: Registry) -> None:
    item = by_key(registry)["tc5"]
    inside = (datetime(2017, 9, 1, tzinfo=UTC), datetime(2017, 9, 10, tzinfo=UTC))
    outside = (datetime(2017, 10, 1, tzinfo=UTC), datetime(2017, 10, 10, tzinfo=UTC))
    assert list(occurrence_items(item, *inside)) == [item]
    assert list(occurrence_items(item, *outside)) == []
