"""Which reminders a registry calls for, and when each is due: pure, ``now`` passed in.

A reminder is identified by a stable key built from the item, the offset and the
channel (``event/deadlines/registration|3d|secretariat``), so re-planning an edited
registry finds the same reminders again and the ledger can tell an edit from a new one.

When a reminder is due:

* before a timed item (a session at 10:00, a deadline at 17:00 AoE) the offset is exact
  elapsed time, subtracted from the item's instant in UTC: ``36h`` before 10:00 on the
  day after a DST change is still 36 real hours;
* before an all-day item, the whole days of an offset (``3d``) are calendar days before
  the item's first day (a deadline due on a date: before that date), at the policy's
  ``at`` time in the policy's zone; a wall-clock time that does not exist on that day
  (a DST gap) moves forward by the gap, one that exists twice means the first;
* an offset with hours or minutes before an all-day item (``36h``, ``1d12h``) is exact
  elapsed time before the item's moment: the start of its first day, or for a deadline
  due on a date the end of that day, when it is due.

Nothing is planned for items known only to the month, for cancelled items, or for
items whose moment has passed. Reminders already due for an item that has not passed
are planned: the ledger decides whether they go out late or have expired.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from compact_calendar.registry.items import AllDay, Item, items, localize, occurrence_items
from compact_calendar.registry.model import Registry
from compact_calendar.registry.values import Offset, zone

__all__ = [
    "KEY_SEPARATOR",
    "Plan",
    "PlannedReminder",
    "delivery_id",
    "plan",
    "remind_at",
    "reminder_key",
]

KEY_SEPARATOR = "|"


def reminder_key(item_key: str, offset: Offset, channel: str) -> str:
    """``item|offset|channel``: stable across edits that keep the item, offset and channel."""
    return f"{item_key}{KEY_SEPARATOR}{offset.key}{KEY_SEPARATOR}{channel}"


def remind_at(item: Item, offset: Offset) -> datetime:
    """When the reminder ``offset`` before ``item`` is due, in UTC."""
    if isinstance(item.timing, AllDay) and not offset.seconds:
        anchor = item.timing.last if item.kind == "deadline" else item.timing.first
        day = anchor - timedelta(days=offset.days)
        policy = item.reminders
        local = localize(datetime.combine(day, policy.at), zone(policy.timezone))
        return local.astimezone(UTC)
    return item.moment - offset.delta


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    key: str
    item: Item
    offset: Offset
    channel: str
    due: datetime
    """When it should go (UTC)."""
    moment: datetime
    """The item's instant it counts down to (UTC); a change means the item moved."""

    @property
    def zone(self) -> str:
        """The zone people reading about this reminder think in: the policy's."""
        return self.item.reminders.timezone


@dataclass(frozen=True, slots=True)
class Plan:
    """The reminders of one registry version, plus every item by key (for notices)."""

    calendar_id: str
    reminders: tuple[PlannedReminder, ...]
    items: Mapping[str, Item]
    horizon_end: datetime | None

    def by_key(self) -> dict[str, PlannedReminder]:
        return {reminder.key: reminder for reminder in self.reminders}


def _offsets(item: Item) -> Iterable[Offset]:
    policy = item.reminders
    return policy.before_deadline if item.kind == "deadline" else policy.before_session


DEFAULT_SERIES_HORIZON = timedelta(days=400)
"""How far ahead an open-ended series is planned when no horizon is given."""


def _occurrences(found: Iterable[Item], start: datetime, end: datetime) -> Iterator[Item]:
    for item in found:
        if item.recurrence is None:
            yield item
        else:
            yield from occurrence_items(item, start, end)


def _longest_offset(resolved: Iterable[Item]) -> timedelta:
    longest = timedelta(0)
    for item in resolved:
        if item.recurrence is not None:
            for offset in _offsets(item):
                longest = max(longest, offset.delta + timedelta(days=1))
    return longest


def plan(registry: Registry, now: datetime, *, horizon: timedelta | None = None) -> Plan:
    """Every reminder due to go for ``registry`` as of ``now``.

    ``horizon`` leaves out reminders due further ahead than that (re-planning later picks
    them up), so a registry running years ahead does not fill the ledger.
    """
    now = now.astimezone(UTC)
    horizon_end = now + horizon if horizon is not None else None
    known_channels = set(registry.channels)
    planned: list[PlannedReminder] = []
    by_key: dict[str, Item] = {}
    # Occurrences of a series are planned each on its own, as far ahead as reminders go.
    resolved = list(items(registry))
    series_end = (horizon_end or now + DEFAULT_SERIES_HORIZON) + _longest_offset(resolved)
    for item in _occurrences(resolved, now, series_end):
        by_key[item.key] = item
        if item.month_only or item.status == "cancelled":
            continue
        moment = item.moment
        if moment <= now:
            continue
        channels = [c for c in item.reminders.channels if c in known_channels]
        for offset in dict.fromkeys(_offsets(item)):
            due = remind_at(item, offset)
            if due >= moment or (horizon_end is not None and due > horizon_end):
                continue
            for channel in channels:
                planned.append(
                    PlannedReminder(
                        key=reminder_key(item.key, offset, channel),
                        item=item,
                        offset=offset,
                        channel=channel,
                        due=due,
                        moment=moment,
                    )
                )
    planned.sort(key=lambda r: (r.due, r.key))
    return Plan(registry.calendar.id, tuple(planned), by_key, horizon_end)


def delivery_id(calendar_id: str, key: str) -> str:
    """``msg_`` + 32 base32 characters of SHA-256(calendar id, key): stable, no ``.``.

    The ``webhook-id`` and Message-ID of every attempt at one reminder on one channel.
    """
    digest = hashlib.sha256(f"{calendar_id}\n{key}".encode()).digest()
    return "msg_" + base64.b32encode(digest[:20]).decode("ascii").lower()
