"""Every published file of a registry: the feeds of SPEC.md and the web page.

:class:`SiteRenderer` is pure apart from its caches: the same registry, versions and
``now`` give the same :class:`~compact_calendar.feeds.site.Site`. The caches make a
re-render after a one-event edit cost little more than joining the unchanged pieces.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from compact_calendar.feeds.calendars import calendar_document, entry_order, version_of
from compact_calendar.feeds.catalog import EntryCatalog, EventEntries
from compact_calendar.feeds.entries import EntryContent, entry_block
from compact_calendar.feeds.feedlist import feeds_of
from compact_calendar.feeds.page import PageRenderer
from compact_calendar.feeds.site import CALENDAR_CONTENT_TYPE, Resource, Site
from compact_calendar.feeds.store import EntryVersionStore
from compact_calendar.feeds.versions import EntryVersion, EntryVersions
from compact_calendar.registry.model import Registry
from compact_calendar.state.database import Database

__all__ = ["SiteRenderer", "publish"]


class SiteRenderer:
    """Renders a :class:`Site`, reusing what unchanged events rendered to before."""

    def __init__(self, catalog: EntryCatalog | None = None) -> None:
        self.catalog = catalog or EntryCatalog()
        self.page = PageRenderer()
        self._blocks: dict[str, tuple[str, EntryVersion, str]] = {}
        self._event_files: dict[str, tuple[tuple[object, ...], Resource]] = {}
        self._lock = threading.Lock()

    def render(
        self,
        registry: Registry,
        versions: EntryVersions,
        *,
        public_url: str | None,
        now: datetime,
    ) -> Site:
        now = now.astimezone(UTC)
        events = self.catalog.entries(registry)
        with self._lock:
            resources = self._render_feeds(registry, events, versions, now)
            page = self.page.render(
                registry, events, feeds_of(registry), public_url=public_url, now=now
            )
        resources[page.path] = page
        return Site(resources=dict(sorted(resources.items())), generated_at=now)

    def _render_feeds(
        self,
        registry: Registry,
        events: Sequence[EventEntries],
        versions: EntryVersions,
        now: datetime,
    ) -> dict[str, Resource]:
        contents = sorted((c for e in events for c in e.contents), key=entry_order)
        entry_versions = {c.uid: version_of(c, versions, now) for c in contents}
        blocks = self._blocks_for(contents, entry_versions)
        newest = max((v.last_modified for v in entry_versions.values()), default=now)

        resources: dict[str, Resource] = {}
        for feed in feeds_of(registry):
            chosen = [c for c in contents if feed.selects(c)]
            resources[feed.path] = Resource(
                path=feed.path,
                body=calendar_document(
                    feed.name, feed.description, chosen, (blocks[c.uid] for c in chosen), now=now
                ),
                content_type=CALENDAR_CONTENT_TYPE,
                last_modified=max(
                    (entry_versions[c.uid].last_modified for c in chosen), default=newest
                ),
            )
        event_files: dict[str, tuple[tuple[object, ...], Resource]] = {}
        for event in events:
            path = f"events/{event.event.id}.ics"
            ordered = sorted(event.contents, key=entry_order)
            # The year matters to series that run on: their VTIMEZONE follows now.
            stamp = (now.year, *(entry_versions[c.uid] for c in ordered))
            cached = self._event_files.get(event.key)
            if cached is not None and cached[0] == stamp and cached[1].path == path:
                resource = cached[1]
            else:
                resource = Resource(
                    path=path,
                    body=calendar_document(
                        event.event.title,
                        None,
                        ordered,
                        (blocks[c.uid] for c in ordered),
                        now=now,
                    ),
                    content_type=CALENDAR_CONTENT_TYPE,
                    last_modified=max(
                        (entry_versions[c.uid].last_modified for c in ordered), default=newest
                    ),
                )
            event_files[event.key] = (stamp, resource)
            resources[path] = resource
        self._event_files = event_files
        return resources

    def _blocks_for(
        self, contents: Sequence[EntryContent], versions: dict[str, EntryVersion]
    ) -> dict[str, str]:
        previous = self._blocks
        current: dict[str, tuple[str, EntryVersion, str]] = {}
        for content in contents:
            version = versions[content.uid]
            known = previous.get(content.uid)
            if known is not None and known[0] == content.digest and known[1] == version:
                current[content.uid] = known
            else:
                block = entry_block(content, version)
                current[content.uid] = (content.digest, version, block)
        self._blocks = current
        return {uid: block for uid, (_digest, _version, block) in current.items()}


def publish(
    registry: Registry,
    db: Database,
    *,
    public_url: str | None,
    now: datetime,
    renderer: SiteRenderer,
) -> Site:
    """Record the registry's entry versions in ``db`` and render every file."""
    versions = EntryVersionStore(db, renderer.catalog).sync(registry, now)
    return renderer.render(registry, versions, public_url=public_url, now=now)
