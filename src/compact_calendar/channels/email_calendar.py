"""The ``.ics`` an email carries: the item as the feeds publish it, same UID and SEQUENCE.

The feeds record each entry's SEQUENCE in the state database; this reads it there and
renders the item with the feeds' own one-item renderer, so a calendar client that
imports the attachment and also subscribes to the feed sees one entry, not two.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from compact_calendar.channels.base import Delivery
from compact_calendar.feeds.calendars import render_item_calendar
from compact_calendar.feeds.store import EntryVersionStore
from compact_calendar.registry.model import Registry
from compact_calendar.state.database import Database

__all__ = ["FeedCalendar"]

log = logging.getLogger(__name__)


class FeedCalendar:
    """Renders a delivery's item with the feeds' versions from ``database_url``."""

    def __init__(self, database_url: str, registry: Callable[[], Registry | None]) -> None:
        self.database_url = database_url
        self.registry = registry
        self._store: EntryVersionStore | None = None

    def render(self, delivery: Delivery) -> bytes:
        if self._store is None:
            # One store, so versions are re-read only when the feeds have changed them.
            self._store = EntryVersionStore(Database(self.database_url))
        # Without the registry (a channel used before any was loaded) only the track
        # names, shown as CATEGORIES, are missing.
        registry = self.registry() or Registry(calendar=delivery.calendar)
        return render_item_calendar(registry, delivery.item, self._store.load(), now=delivery.now)

    async def __call__(self, delivery: Delivery) -> bytes | None:
        try:
            return await asyncio.to_thread(self.render, delivery)
        except Exception:
            # An email without its attachment is better than no reminder at all.
            log.warning(
                "cannot attach %s.ics to the reminder %s; sending it without",
                delivery.item.event.id,
                delivery.id,
                exc_info=True,
            )
            return None

    def close(self) -> None:
        if self._store is not None:
            self._store.db.dispose()
            self._store = None
