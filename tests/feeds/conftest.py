"""Registries of tests/data/feeds rendered with a fixed clock and fresh versions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compact_calendar.feeds.catalog import EntryCatalog
from compact_calendar.feeds.render import SiteRenderer
from compact_calendar.feeds.site import Site
from compact_calendar.feeds.versions import EntryVersions, advance
from compact_calendar.registry.model import Registry
from compact_calendar.registry_file import load_registry

REPO = Path(__file__).resolve().parents[2]
FEED_DATA = REPO / "tests" / "data" / "feeds"
REGISTRIES = {
    "events": REPO / "events.yaml",
    "zones": FEED_DATA / "zones.yaml",
    "hostile": FEED_DATA / "hostile.yaml",
    "recurring": FEED_DATA / "recurring.yaml",
}
FIRST_PUBLISHED = datetime(2017, 5, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)


def load(name: str) -> Registry:
    registry, _checked = load_registry(REGISTRIES[name], now=NOW, env={})
    return registry


def digests_of(registry: Registry, catalog: EntryCatalog | None = None) -> dict[str, str]:
    """Every entry's content digest, by UID (from a fresh catalog unless one is given)."""
    catalog = catalog or EntryCatalog()
    return {c.uid: c.digest for e in catalog.entries(registry) for c in e.contents}


def first_versions(registry: Registry, when: datetime = FIRST_PUBLISHED) -> EntryVersions:
    return advance({}, digests_of(registry), when).versions


def render(
    registry: Registry,
    versions: EntryVersions | None = None,
    *,
    renderer: SiteRenderer | None = None,
    public_url: str | None = "https://calendar.example.org",
    now: datetime = NOW,
) -> Site:
    renderer = renderer or SiteRenderer()
    if versions is None:
        versions = first_versions(registry)
    return renderer.render(registry, versions, public_url=public_url, now=now)


@pytest.fixture
def render_named() -> Callable[[str], Site]:
    return lambda name: render(load(name))
