"""The ``.ics`` an email carries: the item as the feeds publish it, same UID and SEQUENCE.

The feeds record each entry's SEQUENCE in the state database; this reads it there and
renders the item with the feeds' own one-item renderer, so a calendar client that
imports the attachment and also subscribes to the feed sees one entry, not two.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from compact_calendar.channels.base import Delivery
from compact_calendar.errors import CompactCalendarError
from compact_calendar.feeds.calendars import render_item_calendar
from compact_calendar.feeds.store import EntryVersionStore
from compact_calendar.registry.model import Registry
from compact_calendar.registry_file import load_registry
from compact_calendar.state.database import Database

__all__ = ["FeedCalendar"]

log = logging.getLogger(__name__)


class FeedCalendar:
    """Renders a delivery's item with the feeds' versions from ``database_url``."""

    def __init__(self, database_url: str, registry_path: Path) -> None:
        self.database_url = database_url
        self.registry_path = registry_path
        self._database: Database | None = None
        self._registry: tuple[float, Registry] | None = None

    def _current_registry(self, delivery: Delivery) -> Registry:
        """The registry on disk (cached by mtime); if it cannot be read, one built from
        the delivery alone: only track names, shown as CATEGORIES, are then missing."""
        try:
            mtime = self.registry_path.stat().st_mtime
            if self._registry is None or self._registry[0] != mtime:
                registry, _checked = load_registry(self.registry_path, now=delivery.now)
                self._registry = (mtime, registry)
            return self._registry[1]
        except (OSError, CompactCalendarError):
            return Registry(calendar=delivery.calendar)

    def render(self, delivery: Delivery) -> bytes:
        if self._database is None:
            self._database = Database(self.database_url)
        versions = EntryVersionStore(self._database).load()
        registry = self._current_registry(delivery)
        return render_item_calendar(registry, delivery.item, versions, now=delivery.now)

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
        if self._database is not None:
            self._database.dispose()
            self._database = None
