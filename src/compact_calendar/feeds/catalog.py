"""The registry's entries with their content, computed once per version of each event.

Re-rendering after an edit should cost what the edit touched: an event whose text and
context are unchanged reuses the entries computed for it before. The cache holds only
the events of the latest registry, so it never grows past one registry's worth.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from compact_calendar.feeds.entries import (
    DEFAULT_WRITERS,
    EntryContent,
    EntryContext,
    PropertyWriter,
    entry_content,
)
from compact_calendar.registry.items import items
from compact_calendar.registry.model import Event, Registry

__all__ = ["EntryCatalog", "EventEntries", "context_of"]


@dataclass(frozen=True, slots=True)
class EventEntries:
    """One event and the entries it publishes (itself or its sessions, its deadlines)."""

    event: Event
    key: str
    """The event's text and everything else its entries depend on."""
    contents: tuple[EntryContent, ...]


def context_of(registry: Registry) -> EntryContext:
    return EntryContext(track_names={key: track.name for key, track in registry.tracks.items()})


def _context_key(registry: Registry) -> str:
    """What, besides the event itself, shapes its items: zone and id defaults, tracks,
    reminder defaults and channel names."""
    return json.dumps(
        [
            registry.calendar.id,
            registry.calendar.timezone,
            {key: track.name for key, track in registry.tracks.items()},
            registry.reminders.model_dump(mode="json"),
            list(registry.channels),
        ],
        sort_keys=True,
    )


class EntryCatalog:
    """Entries of a registry by event, reusing those of unchanged events."""

    def __init__(self, writers: Sequence[PropertyWriter] = DEFAULT_WRITERS) -> None:
        self._writers = tuple(writers)
        self._cache: dict[str, EventEntries] = {}
        # Keys by event object: the feeds, the version sync and the page ask about the
        # same parsed registry in turn, and serialising 10,000 events costs more than
        # everything else a re-render does.
        self._keys: dict[int, tuple[Event, str, str]] = {}
        self._lock = threading.Lock()

    def entries(self, registry: Registry) -> list[EventEntries]:
        """Every event's entries, in registry order.

        A cached item's ``path`` is where its event was when first computed: feeds and
        page never show it; use :func:`compact_calendar.registry.items.items` for
        located messages.
        """
        context = context_of(registry)
        prefix = _context_key(registry)
        with self._lock:
            previous = self._cache
            current: dict[str, EventEntries] = {}
            known_keys = self._keys
            keys: dict[int, tuple[Event, str, str]] = {}
            result: list[EventEntries] = []
            for position, event in enumerate(registry.events):
                known = known_keys.get(id(event))
                if known is not None and known[0] is event and known[1] == prefix:
                    key = known[2]
                else:
                    key = prefix + event.model_dump_json()
                keys[id(event)] = (event, prefix, key)
                found = current.get(key) or previous.get(key)
                if found is None:
                    alone = registry.model_copy(update={"events": [event]})
                    contents = tuple(
                        entry_content(item, context, self._writers)
                        for item in items(alone, event_indexes=[position])
                    )
                    found = EventEntries(event, key, contents)
                current[key] = found
                result.append(found)
            self._cache = current
            self._keys = keys
        return result
