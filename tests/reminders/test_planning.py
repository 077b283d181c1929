"""Planning: which reminders a registry calls for and when each is due (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compact_calendar.registry.values import parse_offset
from compact_calendar.reminders.planning import (
    Plan,
    delivery_id,
    plan,
    remind_at,
    reminder_key,
)

from .helpers import registry_from

NOW = datetime(2017, 1, 1, tzinfo=UTC)

HEADER = """
calendar: {id: cal, name: Cal, timezone: Europe/Vienna}
channels:
  hook: {type: webhook, url: "https://example.org/hook"}
  mail: {type: email, to: [a@example.org]}
"""


def plan_for(text: str, now: datetime = NOW, horizon: timedelta | None = None) -> Plan:
    return plan(registry_from(HEADER + text, now=now), now, horizon=horizon)


def due_times(text: str, now: datetime = NOW) -> dict[str, datetime]:
    return {r.key: r.due for r in plan_for(text, now).reminders}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_reminder_key_is_item_offset_channel() -> None:
    assert (
        reminder_key("gcm-tc5-vienna/deadlines/registration", parse_offset("P3D"), "secretariat")
        == "gcm-tc5-vienna/deadlines/registration|3d|secretariat"
    )


def test_delivery_id_is_stable_and_has_no_dot() -> None:
    first = delivery_id("cal", "e/deadlines/d|3d|hook")
    assert first == delivery_id("cal", "e/deadlines/d|3d|hook")
    assert first != delivery_id("cal", "e/deadlines/d|3d|mail")
    assert first != delivery_id("other", "e/deadlines/d|3d|hook")
    assert first.startswith("msg_")
    assert "." not in first
    assert len(first) == 36


def test_one_reminder_per_offset_and_channel() -> None:
    times = due_times(
        """
reminders: {channels: [hook, mail], before_deadline: [14d, 2w, 1d]}
events:
  - id: e
    title: E
    start: 2017-09-04
    deadlines: [{id: d, title: Register, due: 2017-08-18}]
"""
    )
    deadline_keys = sorted(k for k in times if "/deadlines/" in k)
    assert deadline_keys == [
        "e/deadlines/d|14d|hook",
        "e/deadlines/d|14d|mail",
        "e/deadlines/d|1d|hook",
        "e/deadlines/d|1d|mail",
    ]


def test_all_day_deadline_days_before_due_date_at_time_in_policy_zone() -> None:
    times = due_times(
        """
reminders: {channels: [hook], before_deadline: [3d], at: "09:00", timezone: Asia/Manila}
events:
  - id: e
    title: E
    start: 2017-09-04
    deadlines: [{id: d, title: Register, due: 2017-08-18}]
"""
    )
    # 2017-08-15 09:00 in Manila (UTC+8).
    assert times["e/deadlines/d|3d|hook"] == utc(2017, 8, 15, 1, 0)


def test_all_day_event_days_before_first_day() -> None:
    times = due_times(
        """
reminders: {channels: [hook], before_session: [7d, 1d], at: "08:30"}
events:
  - {id: e, title: E, start: 2017-09-04, end: 2017-09-05}
"""
    )
    # Vienna in September is UTC+2.
    assert times["e|7d|hook"] == utc(2017, 8, 28, 6, 30)
    assert times["e|1d|hook"] == utc(2017, 9, 3, 6, 30)


def test_timed_offsets_are_exact_elapsed_time_across_vienna_spring_change() -> None:
    # Clocks go forward on 2017-03-26 at 02:00: 10:00 on the 27th is UTC+2.
    times = due_times(
        """
reminders: {channels: [hook], before_session: [1d, 36h]}
events:
  - {id: e, title: E, start: "2017-03-27T10:00", end: "2017-03-27T12:00"}
"""
    )
    start = utc(2017, 3, 27, 8, 0)
    assert times["e|1d|hook"] == start - timedelta(hours=24)
    assert times["e|36h|hook"] == start - timedelta(hours=36)


def test_all_day_reminder_keeps_wall_time_across_vienna_autumn_change() -> None:
    # Clocks go back on 2017-10-29: 09:00 on the 28th is UTC+2, on the 30th UTC+1.
    times = due_times(
        """
reminders: {channels: [hook], before_session: [2d, 1d], at: "09:00"}
events:
  - {id: e, title: E, start: 2017-10-31}
"""
    )
    assert times["e|2d|hook"] == utc(2017, 10, 29, 8, 0)
    assert times["e|1d|hook"] == utc(2017, 10, 30, 8, 0)


@pytest.mark.parametrize(
    ("at", "start", "expected"),
    [
        # 2017-03-12 02:30 does not exist in New York: it becomes 03:30 EDT (07:30 UTC).
        pytest.param("02:30", "2017-03-13", utc(2017, 3, 12, 7, 30), id="gap-moves-forward"),
        # 2017-11-05 01:30 happens twice in New York; the first is EDT (05:30 UTC).
        pytest.param("01:30", "2017-11-06", utc(2017, 11, 5, 5, 30), id="fold-means-first"),
    ],
)
def test_at_time_in_a_dst_transition_new_york(at: str, start: str, expected: datetime) -> None:
    times = due_times(
        f"""
reminders: {{channels: [hook], before_session: [1d], at: "{at}", timezone: America/New_York}}
events:
  - {{id: e, title: E, start: {start}, timezone: America/New_York}}
"""
    )
    assert times["e|1d|hook"] == expected


def test_timed_new_york_session_across_spring_change_is_exact() -> None:
    times = due_times(
        """
reminders: {channels: [hook], before_session: [7d]}
events:
  - id: e
    title: E
    start: 2017-03-13
    end: 2017-03-14
    timezone: America/New_York
    sessions:
      - {id: s, title: S, start: "2017-03-13T09:00", end: "2017-03-13T17:00"}
"""
    )
    # 09:00 EDT = 13:00 UTC; seven days of 24 hours earlier is 13:00 UTC (08:00 EST).
    assert times["e/sessions/s|7d|hook"] == utc(2017, 3, 6, 13, 0)


def test_aoe_deadline_due_on_a_date_is_the_end_of_that_day_anywhere_on_earth() -> None:
    by_key = plan_for(
        """
reminders: {channels: [hook], before_deadline: [12h, 1d], at: "09:00", timezone: AoE}
events:
  - id: e
    title: E
    start: 2017-09-04
    deadlines: [{id: d, title: Submit, due: 2017-08-18, timezone: AoE}]
"""
    ).by_key()
    # Due at 2017-08-19 00:00 AoE = 12:00 UTC; 12h before is exact.
    assert by_key["e/deadlines/d|12h|hook"].moment == utc(2017, 8, 19, 12, 0)
    assert by_key["e/deadlines/d|12h|hook"].due == utc(2017, 8, 19, 0, 0)
    # 1d before a date: the day before the due date, at 09:00 AoE.
    assert by_key["e/deadlines/d|1d|hook"].due == utc(2017, 8, 17, 21, 0)


def test_timed_deadline_offsets_subtract_from_its_instant() -> None:
    times = due_times(
        """
reminders: {channels: [hook], before_deadline: [1d, 90m]}
events:
  - id: e
    title: E
    start: 2017-09-04
    deadlines: [{id: d, title: Register, due: "2017-08-18T17:00+02:00"}]
"""
    )
    assert times["e/deadlines/d|1d|hook"] == utc(2017, 8, 17, 15, 0)
    assert times["e/deadlines/d|90m|hook"] == utc(2017, 8, 18, 13, 30)


def test_overrides_on_event_and_deadline_win() -> None:
    times = due_times(
        """
reminders: {channels: [hook], before_deadline: [14d]}
events:
  - id: e
    title: E
    start: 2017-09-04
    reminders: {channels: [mail], before_deadline: [7d]}
    deadlines:
      - {id: a, title: A, due: 2017-08-18}
      - {id: b, title: B, due: 2017-08-20, reminders: {before_deadline: [2d], at: "12:00"}}
"""
    )
    assert "e/deadlines/a|7d|mail" in times
    assert not any(k.startswith("e/deadlines/a|14d") for k in times)
    assert times["e/deadlines/b|2d|mail"] == utc(2017, 8, 18, 10, 0)


def test_nothing_for_month_only_cancelled_or_passed_items() -> None:
    times = due_times(
        """
reminders: {channels: [hook]}
events:
  - {id: month, title: M, status: tentative, start: 2017-11}
  - {id: gone, title: G, status: cancelled, start: 2017-09-04}
  - {id: tentative, title: T, status: tentative, start: 2017-09-04}
  - {id: past, title: P, start: 2016-12-01}
""",
    )
    assert {k.split("|")[0] for k in times} == {"tentative"}


def test_reminders_already_due_are_planned_while_the_item_has_not_passed() -> None:
    now = utc(2017, 9, 3, 12, 0)
    times = due_times(
        """
reminders: {channels: [hook], before_session: [7d, 1d]}
events:
  - {id: e, title: E, start: 2017-09-04}
""",
        now=now,
    )
    assert times["e|7d|hook"] < now
    assert times["e|1d|hook"] < now


def test_horizon_leaves_out_reminders_far_ahead() -> None:
    planned = plan_for(
        """
reminders: {channels: [hook], before_session: [1d]}
events:
  - {id: near, title: N, start: 2017-02-01}
  - {id: far, title: F, start: 2019-02-01}
""",
        horizon=timedelta(days=400),
    )
    assert [r.item.key for r in planned.reminders] == ["near"]
    assert set(planned.items) == {"near", "far"}


def test_moment_and_remind_at_agree_with_items() -> None:
    planned = plan_for(
        """
reminders: {channels: [hook]}
events:
  - id: e
    title: E
    start: "2017-09-04T10:00"
    deadlines: [{id: d, title: D, due: 2017-08-18}]
"""
    )
    for reminder in planned.reminders:
        assert reminder.moment == reminder.item.moment
        assert reminder.due == remind_at(reminder.item, reminder.offset)
        assert reminder.due < reminder.moment


def test_plan_is_deterministic(repo_root: object) -> None:
    registry = registry_from(
        HEADER
        + """
reminders: {channels: [hook, mail]}
events:
  - {id: b, title: B, start: 2017-09-04}
  - {id: a, title: A, start: 2017-09-04}
""",
        now=NOW,
    )
    first = [r.key for r in plan(registry, NOW).reminders]
    assert first == [r.key for r in plan(registry, NOW).reminders]
    assert first == sorted(first, key=lambda k: (plan(registry, NOW).by_key()[k].due, k))
