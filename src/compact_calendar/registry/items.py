"""The registry resolved into calendar items: what happens when, in which zone.

An event without sessions is one item; an event with sessions is one item per session;
each deadline is an item. Every later stage (feeds, page, reminders) works on items, so
the registry's rules of interpretation (inclusive end dates, zone defaults, deadlines due
at the end of their day, month-only dates) are applied here once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Literal

from compact_calendar.registry.model import (
    Deadline,
    Event,
    Link,
    Registry,
    ReminderSettings,
    Session,
    Status,
)
from compact_calendar.registry.values import MonthDate, Offset, When, parse_offset, zone

if TYPE_CHECKING:
    from compact_calendar.registry.recurrence import Occurrence, Recurrence

__all__ = [
    "AllDay",
    "Item",
    "ItemKind",
    "ReminderPolicy",
    "Timed",
    "Timing",
    "event_timing",
    "items",
    "localize",
    "occurrence_item",
    "occurrence_items",
    "span_instants",
    "timing_of",
]

ItemKind = Literal["event", "session", "deadline"]

DEFAULT_BEFORE_DEADLINE = tuple(parse_offset(o) for o in ("14d", "3d", "1d"))
DEFAULT_BEFORE_SESSION = tuple(parse_offset(o) for o in ("7d", "1d"))
DEFAULT_AT = time(9, 0)


@dataclass(frozen=True, slots=True)
class AllDay:
    """Whole days, ``first`` to ``last`` inclusive, in the item's zone."""

    first: date
    last: date

    @property
    def end_exclusive(self) -> date:
        return self.last + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Timed:
    """From ``start`` to ``end`` (aware, expressed in the item's zone); equal for a point."""

    start: datetime
    end: datetime


Timing = AllDay | Timed


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """The reminder settings that apply to one item, defaults and overrides merged."""

    channels: tuple[str, ...]
    before_deadline: tuple[Offset, ...]
    before_session: tuple[Offset, ...]
    at: time
    timezone: str


@dataclass(frozen=True, slots=True)
class Item:
    kind: ItemKind
    key: str
    """Stable identity in the calendar: ``e``, ``e/sessions/s`` or ``e/deadlines/d``."""
    uid: str
    path: tuple[str | int, ...]
    """Where the item is written in the registry, for locating messages."""
    event: Event
    session: Session | None
    deadline: Deadline | None
    title: str
    zone: str
    timing: Timing
    month_only: bool
    status: Status
    tracks: tuple[str, ...]
    location: str | None
    url: str | None
    description: str | None
    links: tuple[Link, ...]
    reminders: ReminderPolicy
    recurrence: Recurrence | None = None
    """For a recurring event: the series (``timing`` is then its first occurrence)."""
    occurrence: Occurrence | None = None
    """For one occurrence of a series (see :func:`occurrence_items`)."""

    @property
    def tzinfo(self) -> tzinfo:
        return zone(self.zone)

    @property
    def start_instant(self) -> datetime:
        """When the item begins (all-day: midnight in its zone), in UTC."""
        return _begin(self.timing, self.tzinfo).astimezone(UTC)

    @property
    def moment(self) -> datetime:
        """The instant the item counts down to, in UTC: a deadline's due time (the end of
        its day, for a date), else the start."""
        if self.kind == "deadline" and isinstance(self.timing, AllDay):
            return self.end_instant
        return self.start_instant

    @property
    def end_instant(self) -> datetime:
        """When the item is over (all-day: the midnight after its last day), in UTC.

        For a deadline due on a date this is the end of that day: the instant it is due.
        """
        return _finish(self.timing, self.tzinfo).astimezone(UTC)


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz`` to a wall-clock time.

    A time that falls in a DST gap (clocks jump over it) is moved forward by the gap, as
    a person whose 02:30 meeting falls on the night clocks go forward would expect; a
    time that occurs twice (clocks go back) means its first occurrence.
    """
    aware = naive.replace(tzinfo=tz, fold=0)
    # In a gap, fold=0 applies the offset from before the jump, which lands after it
    # (02:30 becomes 03:30), as RFC 5545 section 3.3.5 prescribes; the round trip
    # through UTC makes that wall time explicit. Elsewhere it changes nothing.
    return aware.astimezone(UTC).astimezone(tz)


def _begin(timing: Timing, tz: tzinfo) -> datetime:
    if isinstance(timing, Timed):
        return timing.start
    return localize(datetime.combine(timing.first, time()), tz)


def _finish(timing: Timing, tz: tzinfo) -> datetime:
    if isinstance(timing, Timed):
        return timing.end
    return localize(datetime.combine(timing.end_exclusive, time()), tz)


def span_instants(timing: Timing, tz: tzinfo) -> tuple[datetime, datetime]:
    """Where a timing begins and ends as aware instants: all-day items from midnight in
    ``tz`` to the midnight after their last day."""
    return _begin(timing, tz), _finish(timing, tz)


def _resolve_instant(value: datetime, tz: tzinfo) -> datetime:
    if value.tzinfo is None:
        return localize(value, tz)
    return value.astimezone(tz)


def timing_of(start: When, end: When | None, tz: tzinfo) -> tuple[Timing, bool]:
    """The timing of a start and optional end, and whether it is known only to the month.

    Assumes the registry's rules hold (both dates or both date-times, end not before start).
    """
    if isinstance(start, MonthDate):
        last = end.last_day if isinstance(end, MonthDate) else start.last_day
        return AllDay(start.first_day, last), True
    if isinstance(start, datetime):
        begin = _resolve_instant(start, tz)
        finish = _resolve_instant(end, tz) if isinstance(end, datetime) else begin
        return Timed(begin, finish), False
    if isinstance(end, MonthDate):
        return AllDay(start, end.last_day), False
    last = end if isinstance(end, date) and not isinstance(end, datetime) else start
    return AllDay(start, last), False


def event_timing(event: Event, calendar_zone: str) -> tuple[Timing, bool]:
    return timing_of(event.start, event.end, zone(event.timezone or calendar_zone))


def _deadline_timing(due: When, tz: tzinfo) -> Timing:
    if isinstance(due, datetime):
        instant = _resolve_instant(due, tz)
        return Timed(instant, instant)
    if isinstance(due, MonthDate):
        return AllDay(due.last_day, due.last_day)
    return AllDay(due, due)


def _merge(base: ReminderPolicy, override: ReminderSettings | None) -> ReminderPolicy:
    if override is None:
        return base
    return ReminderPolicy(
        channels=tuple(override.channels) if override.channels is not None else base.channels,
        before_deadline=tuple(override.before_deadline)
        if override.before_deadline is not None
        else base.before_deadline,
        before_session=tuple(override.before_session)
        if override.before_session is not None
        else base.before_session,
        at=override.at if override.at is not None else base.at,
        timezone=override.timezone if override.timezone is not None else base.timezone,
    )


def default_policy(registry: Registry) -> ReminderPolicy:
    base = ReminderPolicy(
        channels=tuple(registry.channels),
        before_deadline=DEFAULT_BEFORE_DEADLINE,
        before_session=DEFAULT_BEFORE_SESSION,
        at=DEFAULT_AT,
        timezone=registry.calendar.timezone,
    )
    return _merge(base, registry.reminders)


def items(registry: Registry, event_indexes: Sequence[int] | None = None) -> Iterator[Item]:
    """Every calendar item of the registry, in registry order.

    ``event_indexes`` gives each event's position in the file when some events were left
    out of ``registry`` (because they are invalid), so that paths still point at the file.
    """
    calendar_id = registry.calendar.id
    defaults = default_policy(registry)
    for position, event in enumerate(registry.events):
        index = event_indexes[position] if event_indexes is not None else position
        event_zone = event.timezone or registry.calendar.timezone
        event_policy = _merge(defaults, event.reminders)
        path: tuple[str | int, ...] = ("events", index)
        tracks = tuple(event.tracks)
        if not event.sessions:
            timing, month_only = timing_of(event.start, event.end, zone(event_zone))
            recurrence = None
            if event.repeat is not None:
                from compact_calendar.registry.recurrence import analyse

                # None only for an invalid series, which validation reports, located.
                recurrence, _ = analyse(event, registry.calendar.timezone)
            yield Item(
                kind="event",
                key=event.id,
                uid=f"{event.id}@{calendar_id}",
                path=path,
                event=event,
                session=None,
                deadline=None,
                title=event.title,
                zone=event_zone,
                timing=timing,
                month_only=month_only,
                status=event.status,
                tracks=tracks,
                location=event.location,
                url=event.url,
                description=event.description,
                links=tuple(event.links),
                reminders=event_policy,
                recurrence=recurrence,
            )
        for s_index, session in enumerate(event.sessions):
            session_zone = session.timezone or event_zone
            timing, month_only = timing_of(session.start, session.end, zone(session_zone))
            status: Status = (
                "cancelled" if event.status == "cancelled" else (session.status or event.status)
            )
            yield Item(
                kind="session",
                key=f"{event.id}/sessions/{session.id}",
                uid=f"{event.id}.session.{session.id}@{calendar_id}",
                path=(*path, "sessions", s_index),
                event=event,
                session=session,
                deadline=None,
                title=f"{event.title}: {session.title}",
                zone=session_zone,
                timing=timing,
                month_only=month_only,
                status=status,
                tracks=tracks,
                location=session.location or event.location,
                url=session.url or event.url,
                description=session.description or event.description,
                links=(*session.links, *event.links),
                reminders=_merge(event_policy, session.reminders),
            )
        for d_index, deadline in enumerate(event.deadlines):
            deadline_zone = deadline.timezone or event_zone
            yield Item(
                kind="deadline",
                key=f"{event.id}/deadlines/{deadline.id}",
                uid=f"{event.id}.deadline.{deadline.id}@{calendar_id}",
                path=(*path, "deadlines", d_index),
                event=event,
                session=None,
                deadline=deadline,
                title=f"{deadline.title}: {event.title}",
                zone=deadline_zone,
                timing=_deadline_timing(deadline.due, zone(deadline_zone)),
                month_only=isinstance(deadline.due, MonthDate),
                status="cancelled" if event.status == "cancelled" else "confirmed",
                tracks=tracks,
                location=event.location,
                url=deadline.url or event.url,
                description=deadline.description,
                links=(*deadline.links, *event.links),
                reminders=_merge(event_policy, deadline.reminders),
            )


def occurrence_items(item: Item, start: datetime, end: datetime) -> Iterator[Item]:
    """The occurrences of ``item`` overlapping ``[start, end)``, each as an item of its own.

    An item that does not repeat is its only occurrence (when it overlaps the window).
    Occurrence keys add the original start (``call@20171102T140000``) so that editing
    the series changes only the keys of occurrences that change; the UID stays the
    series' UID, as in the feeds.
    """
    if item.recurrence is None:
        if item.start_instant < end and (
            item.end_instant > start or item.start_instant == item.end_instant >= start
        ):
            yield item
        return
    for occurrence in item.recurrence.between(start, end):
        yield occurrence_item(item, occurrence)


def occurrence_item(series: Item, occurrence: Occurrence) -> Item:
    """One occurrence of ``series`` as an item, with what an override changes."""
    return replace(
        series,
        key=f"{series.key}@{occurrence.key}",
        timing=occurrence.timing,
        status=occurrence.status,
        title=occurrence.title or series.title,
        location=occurrence.location or series.location,
        description=occurrence.description or series.description,
        recurrence=None,
        occurrence=occurrence,
    )
