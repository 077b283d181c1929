"""Every published file of a registry: the feeds of SPEC.md and the web page.

:class:`SiteRenderer` is pure apart from its caches: the same registry, versions and
``now`` give the same :class:`~compact_calendar.feeds.site.Site`. Each entry's bytes are
encoded once and shared: a feed is one ``b"".join`` of its entries' pieces. A feed or
event file whose entries (and versions) did not change is reused as the same
:class:`Resource` object, so after a one-event edit only the feeds holding that event
and its own file are joined again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain

from compact_calendar.feeds.calendars import calendar_document, entry_order, version_of
from compact_calendar.feeds.catalog import EntryCatalog, EventEntries
from compact_calendar.feeds.entries import EntryContent, entry_pieces
from compact_calendar.feeds.feedlist import FeedInfo, feeds_of
from compact_calendar.feeds.page import PageRenderer
from compact_calendar.feeds.site import CALENDAR_CONTENT_TYPE, Resource, Site
from compact_calendar.feeds.store import EntryVersionStore
from compact_calendar.feeds.versions import EntryVersion, EntryVersions
from compact_calendar.gcpause import cycle_collection_paused
from compact_calendar.registry.model import Registry
from compact_calendar.state.database import Database

__all__ = ["SiteRenderer", "publish"]


_Pieces = tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class _Built:
    """A feed file and what it was built from: rebuilt only when any of that changes."""

    stamp: tuple[object, ...]
    resource: Resource


class SiteRenderer:
    """Renders a :class:`Site`, reusing what unchanged events rendered to before."""

    def __init__(self, catalog: EntryCatalog | None = None) -> None:
        self.catalog = catalog or EntryCatalog()
        self.page = PageRenderer()
        self._blocks: dict[str, tuple[str, EntryVersion, _Pieces]] = {}
        self._feeds: dict[str, _Built] = {}
        self._event_files: dict[str, _Built] = {}
        self._store: EntryVersionStore | None = None
        self._lock = threading.Lock()

    def version_store(self, db: Database) -> EntryVersionStore:
        """The versions of ``db``, kept between renders (re-read only when they change)."""
        with self._lock:
            if self._store is None or self._store.db is not db:
                self._store = EntryVersionStore(db, self.catalog)
            return self._store

    def render(
        self,
        registry: Registry,
        versions: EntryVersions,
        *,
        public_url: str | None,
        now: datetime,
    ) -> Site:
        now = now.astimezone(UTC)
        feeds = feeds_of(registry)
        with cycle_collection_paused():
            events = self.catalog.entries(registry)
            with self._lock:
                resources = self._render_feeds(events, feeds, versions, now)
                page = self.page.render(registry, events, feeds, public_url=public_url, now=now)
        resources[page.path] = page
        return Site(resources=dict(sorted(resources.items())), generated_at=now)

    def _render_feeds(
        self,
        events: Sequence[EventEntries],
        feeds: Sequence[FeedInfo],
        versions: EntryVersions,
        now: datetime,
    ) -> dict[str, Resource]:
        contents = sorted((c for e in events for c in e.contents), key=entry_order)
        entry_versions = {c.uid: version_of(c, versions, now) for c in contents}
        blocks = self._blocks_for(contents, entry_versions)
        newest = max((v.last_modified for v in entry_versions.values()), default=now)

        def build(
            path: str,
            name: str,
            description: str | None,
            chosen: Sequence[EntryContent],
            cache: dict[str, _Built],
            key: str,
            previous: dict[str, _Built],
        ) -> Resource:
            chosen_blocks = [blocks[c.uid] for c in chosen]
            # The same block objects mean the same entries at the same versions (the
            # comparison is by identity first); the year matters to series that run on,
            # whose VTIMEZONE follows now.
            stamp = (path, name, description, now.year, chosen_blocks)
            built = previous.get(key)
            if built is None or built.stamp != stamp:
                body = calendar_document(
                    name, description, chosen, chain.from_iterable(chosen_blocks), now=now
                )
                resource = Resource(
                    path=path,
                    body=body,
                    content_type=CALENDAR_CONTENT_TYPE,
                    last_modified=max(
                        (entry_versions[c.uid].last_modified for c in chosen), default=newest
                    ),
                )
                built = _Built(stamp, resource)
            cache[key] = built
            return built.resource

        resources: dict[str, Resource] = {}
        built_feeds: dict[str, _Built] = {}
        for feed in feeds:
            chosen = [c for c in contents if feed.selects(c)]
            resources[feed.path] = build(
                feed.path, feed.name, feed.description, chosen, built_feeds, feed.path, self._feeds
            )
        self._feeds = built_feeds
        event_files: dict[str, _Built] = {}
        for event in events:
            path = f"events/{event.event.id}.ics"
            ordered = sorted(event.contents, key=entry_order)
            resources[path] = build(
                path, event.event.title, None, ordered, event_files, event.key, self._event_files
            )
        self._event_files = event_files
        return resources

    def _blocks_for(
        self, contents: Sequence[EntryContent], versions: dict[str, EntryVersion]
    ) -> dict[str, _Pieces]:
        previous = self._blocks
        current: dict[str, tuple[str, EntryVersion, _Pieces]] = {}
        for content in contents:
            version = versions[content.uid]
            known = previous.get(content.uid)
            if known is not None and known[0] == content.digest and known[1] == version:
                current[content.uid] = known
            else:
                current[content.uid] = (content.digest, version, entry_pieces(content, version))
        self._blocks = current
        return {uid: pieces for uid, (_digest, _version, pieces) in current.items()}


def publish(
    registry: Registry,
    db: Database,
    *,
    public_url: str | None,
    now: datetime,
    renderer: SiteRenderer,
) -> Site:
    """Record the registry's entry versions in ``db`` and render every file."""
    with cycle_collection_paused():
        versions = renderer.version_store(db).sync(registry, now)
    return renderer.render(registry, versions, public_url=public_url, now=now)
