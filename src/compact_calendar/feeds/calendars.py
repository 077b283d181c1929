"""Whole VCALENDAR documents: a header, the VTIMEZONEs the entries use, the entries.

Entries are ordered by start and UID, so the bytes depend on what the registry says,
not on the order events are written in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from compact_calendar.feeds.catalog import context_of
from compact_calendar.feeds.contentlines import escape_text, format_duration, line
from compact_calendar.feeds.entries import EntryContent, content_zones, entry_content, entry_pieces
from compact_calendar.feeds.timezones import vtimezone_bytes
from compact_calendar.feeds.versions import EntryVersion, EntryVersions, first_version
from compact_calendar.registry.items import Item
from compact_calendar.registry.model import Registry

__all__ = [
    "PRODID",
    "REFRESH_INTERVAL",
    "calendar_document",
    "entry_order",
    "render_item_calendar",
    "version_of",
]

PRODID = "-//compact-calendar//compact-calendar//EN"
REFRESH_INTERVAL = timedelta(hours=4)
"""How often subscribers are asked to re-read a feed: deadlines move, but rarely hourly."""


def entry_order(content: EntryContent) -> tuple[float, str]:
    return content.order


_REFRESH = format_duration(REFRESH_INTERVAL)
_END_VCALENDAR = b"END:VCALENDAR\r\n"


def _header(name: str, description: str | None) -> str:
    escaped_name = escape_text(name)
    lines = [
        "BEGIN:VCALENDAR\r\n",
        "VERSION:2.0\r\n",
        line("PRODID", PRODID),
        "CALSCALE:GREGORIAN\r\n",
        "METHOD:PUBLISH\r\n",
        line("NAME", escaped_name),
        line("X-WR-CALNAME", escaped_name),
    ]
    if description and description.strip():
        escaped_description = escape_text(description.strip())
        lines.append(line("DESCRIPTION", escaped_description))
        lines.append(line("X-WR-CALDESC", escaped_description))
    lines.append(f"REFRESH-INTERVAL;VALUE=DURATION:{_REFRESH}\r\n")
    lines.append(f"X-PUBLISHED-TTL:{_REFRESH}\r\n")
    return "".join(lines)


def version_of(content: EntryContent, versions: EntryVersions, fallback: datetime) -> EntryVersion:
    """The entry's recorded version; an entry never synced is version 0 at ``fallback``."""
    return versions.get(content.uid) or first_version(content.digest, fallback)


def calendar_document(
    name: str,
    description: str | None,
    contents: Sequence[EntryContent],
    pieces: Iterable[bytes],
    *,
    now: datetime | None = None,
) -> bytes:
    """A VCALENDAR of ``contents`` whose VEVENTs (in the same order) are ``pieces`` joined.

    ``now`` decides how far ahead the VTIMEZONEs of series that run on go. The document
    is one join of byte pieces shared with every other feed: nothing is re-encoded.
    """
    zones = [
        vtimezone_bytes(span.zone, span.first_year, span.last_year)
        for span in content_zones(contents, now)
    ]
    return b"".join((_header(name, description).encode(), *zones, *pieces, _END_VCALENDAR))


def render_item_calendar(
    registry: Registry,
    item: Item,
    versions: EntryVersions,
    *,
    now: datetime | None = None,
) -> bytes:
    """One item as a calendar of one entry, with the UID and SEQUENCE the feeds give it.

    For an email's ``.ics`` attachment. ``now`` dates an entry the version store has not
    seen yet; without it such an entry is an error, as its DTSTAMP would be invented.
    """
    content = entry_content(item, context_of(registry))
    version = versions.get(item.uid)
    if version is None:
        if now is None:
            raise ValueError(f"no recorded version of {item.uid}: sync the entry versions first")
        version = first_version(content.digest, now)
    return calendar_document(item.title, None, [content], entry_pieces(content, version), now=now)
