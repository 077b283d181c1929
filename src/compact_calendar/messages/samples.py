"""Deliveries built without the reminder engine: for ``send-test``, previews and tests."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

from compact_calendar.channels.base import Delivery, DeliveryKind
from compact_calendar.errors import UsageError
from compact_calendar.registry.items import Item, items
from compact_calendar.registry.model import Registry
from compact_calendar.registry.values import Offset

__all__ = ["delivery_for", "find_item", "next_item", "trial_delivery"]


def find_item(registry: Registry, key: str) -> Item:
    """The item with ``key`` (``event``, ``event/deadlines/d``, ``event/sessions/s``)."""
    for item in items(registry):
        if item.key == key:
            return item
    known = ", ".join(item.key for item in items(registry))
    raise UsageError(f"no item {key!r} in the registry; items are: {known}")


def next_item(registry: Registry, now: datetime) -> Item | None:
    """The next deadline or event still ahead of ``now``, else the last one."""
    every = list(items(registry))
    ahead = [item for item in every if item.end_instant > now and item.status != "cancelled"]
    if ahead:
        return min(ahead, key=lambda item: item.start_instant)
    return max(every, key=lambda item: item.start_instant, default=None)


def delivery_for(
    registry: Registry,
    item: Item,
    *,
    now: datetime,
    kind: DeliveryKind = "reminder",
    channel: str = "preview",
    offset: Offset | None = None,
    due: datetime | None = None,
    late: bool = False,
    public_url: str | None = None,
    previous: Item | None = None,
    attempt: int = 1,
) -> Delivery:
    """A delivery of ``item`` as the engine would make it, with a stable id."""
    offset_key = offset.key if offset else "none"
    reminder_key = f"{item.key}/{kind}/{offset_key}"
    digest = hashlib.sha256(f"{reminder_key}|{channel}".encode()).hexdigest()[:24]
    return Delivery(
        id=f"msg_{digest}",
        reminder_key=reminder_key,
        kind=kind,
        item=item,
        calendar=registry.calendar,
        offset=offset,
        due=(due or now).astimezone(UTC),
        now=now.astimezone(UTC),
        late=late,
        attempt=attempt,
        public_url=public_url or registry.calendar.url,
        previous=previous,
    )


def trial_delivery(
    registry: Registry, channel: str, *, now: datetime, public_url: str | None = None
) -> Delivery:
    """A ``test`` delivery for ``channel`` about the next item, so it shows real content."""
    item = next_item(registry, now)
    if item is None:
        raise UsageError("the registry has no events: add one to send a test message about it")
    delivery = delivery_for(
        registry, item, now=now, kind="test", channel=channel, public_url=public_url
    )
    # A fresh id per run: a test is not a reminder, and receivers must not de-duplicate it.
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
    return replace(delivery, id=f"{delivery.id}_{stamp}")
