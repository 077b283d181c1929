"""VTIMEZONE components that Outlook, ical.js and vobject read as the tz database does.

Each offset change in the years a feed needs is written as an observance of its own,
its DTSTART the local time before the change (RFC 5545 3.6.5), with no RDATE lists and
no rules. icalendar's ``Timezone.from_tzid`` is not used: it lists several dates in one
RDATE, which ical.js and vobject misread, and even with one date per RDATE line ical.js
read its Lord Howe zone half an hour off for months (tests/feeds/test_interop.py
checks every zone of tests/data/feeds/zones.yaml against five parsers).
``AoE`` and UTC are written as UTC times and need no VTIMEZONE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from compact_calendar.feeds.contentlines import format_local, line
from compact_calendar.registry.values import AOE, zone

__all__ = ["Transition", "publishes_tzid", "transitions", "vtimezone", "vtimezone_bytes"]

_UTC_NAMES = frozenset(
    {
        "UTC",
        "UCT",
        "GMT",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Greenwich",
        "Universal",
        "Zulu",
        "Etc/UTC",
        "Etc/UCT",
        "Etc/GMT",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "Etc/Greenwich",
        "Etc/Universal",
        "Etc/Zulu",
    }
)
# How far back to look for the change that set the offset in force when a feed starts.
_LOOKBACK = timedelta(days=366 * 60)


def publishes_tzid(zone_name: str) -> bool:
    """Whether times in this zone are published with a TZID (else in UTC).

    ``AoE`` is not an IANA name: ics-py and icalendar would read a ``TZID=AoE`` as UTC
    or floating, so AoE times go out as the UTC instants they are.
    """
    return zone_name != AOE and zone_name not in _UTC_NAMES


_Offset = tuple[timedelta, timedelta, str]  # utcoffset, dst, abbreviation


def _offset(tz: tzinfo, instant: datetime) -> _Offset:
    local = instant.astimezone(tz)
    return (local.utcoffset() or timedelta(0), local.dst() or timedelta(0), local.tzname() or "")


def _change_between(tz: tzinfo, before: datetime, after: datetime) -> datetime:
    """The first instant in (before, after] with the offset of ``after`` (bisection)."""
    target = _offset(tz, after)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if _offset(tz, middle) == target:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of offset: at ``instant`` the zone goes from ``before`` to ``after``."""

    instant: datetime
    before: timedelta
    after: timedelta
    dst: bool
    name: str


def _record(tz: tzinfo, before: datetime, after: datetime) -> Transition:
    instant = _change_between(tz, before, after)
    old, new = _offset(tz, instant - timedelta(seconds=1)), _offset(tz, instant)
    return Transition(instant, old[0], new[0], bool(new[1]), new[2])


def _changes_between(tz: tzinfo, start: datetime, stop: datetime) -> list[Transition]:
    """The changes found day by day from ``start`` to ``stop`` (exclusive)."""
    changes: list[Transition] = []
    cursor, current = start, _offset(tz, start)
    while cursor < stop:
        later = cursor + timedelta(days=1)
        following = _offset(tz, later)
        if following != current:
            changes.append(_record(tz, cursor, later))
        cursor, current = later, following
    return changes


@lru_cache(maxsize=1024)
def _in_force(zone_name: str, first_year: int) -> Transition:
    """The change in force when ``first_year`` starts, searched backwards a week at a time;
    a zone that has not changed within the lookback gets one into its constant offset."""
    tz = zone(zone_name)
    start = datetime(first_year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    cursor, current = start, _offset(tz, start)
    while cursor > start - _LOOKBACK:
        earlier = cursor - timedelta(days=7)
        if _offset(tz, earlier) != current:
            return _record(tz, earlier, cursor)
        cursor = earlier
    return Transition(cursor, current[0], current[0], bool(current[1]), current[2])


@lru_cache(maxsize=1024)
def _year_changes(zone_name: str, year: int) -> tuple[Transition, ...]:
    """The changes of the days starting from 31 December before ``year`` to 30 December."""
    start = datetime(year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    stop = datetime(year + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    return tuple(_changes_between(zone(zone_name), start, stop))


def transitions(zone_name: str, first_year: int, last_year: int) -> list[Transition]:
    """The offset changes of the years given, preceded by the one in force at their start.

    A zone that has not changed within the lookback gets one transition into its
    constant offset. Each year is scanned once, whatever span it is asked for in.
    """
    changes = [_in_force(zone_name, first_year)]
    for year in range(first_year, last_year + 1):
        changes += _year_changes(zone_name, year)
    # And the two days past the last year, as a VTIMEZONE's last rule may start then.
    tail = datetime(last_year + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    changes += _changes_between(zone(zone_name), tail, tail + timedelta(days=2))
    return changes


def _utc_offset(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


@lru_cache(maxsize=256)
def vtimezone(zone_name: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE of ``zone_name`` for whole years, as CRLF-terminated content lines."""
    lines = ["BEGIN:VTIMEZONE\r\n", line("TZID", zone_name)]
    for change in transitions(zone_name, first_year, last_year):
        kind = "DAYLIGHT" if change.dst else "STANDARD"
        local_before = (change.instant + change.before).replace(tzinfo=None)
        lines += [
            f"BEGIN:{kind}\r\n",
            f"DTSTART:{format_local(local_before)}\r\n",
            f"TZOFFSETFROM:{_utc_offset(change.before)}\r\n",
            f"TZOFFSETTO:{_utc_offset(change.after)}\r\n",
        ]
        if change.name:
            lines.append(line("TZNAME", change.name))
        lines.append(f"END:{kind}\r\n")
    lines.append("END:VTIMEZONE\r\n")
    return "".join(lines)


@lru_cache(maxsize=256)
def vtimezone_bytes(zone_name: str, first_year: int, last_year: int) -> bytes:
    """:func:`vtimezone`, encoded once for the many feeds and event files that use it."""
    return vtimezone(zone_name, first_year, last_year).encode()
