"""One calendar item as a VEVENT: its content, hashed, and its versioned block.

An entry's *content* is every property that comes from the registry (times, summary,
status, place, links). Its hash decides whether the entry changed; the *block* adds the
properties that come from the state database (DTSTAMP, LAST-MODIFIED, SEQUENCE) around
it. The content is written by a chain of :data:`PropertyWriter` functions, so a later
feature (recurrence rules) adds its properties by adding a writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from compact_calendar.feeds.contentlines import (
    escape_text,
    format_date,
    format_local,
    format_utc,
    line,
    text_list,
)
from compact_calendar.feeds.timezones import publishes_tzid
from compact_calendar.feeds.versions import EntryVersion
from compact_calendar.registry.items import AllDay, Item

__all__ = [
    "DEFAULT_WRITERS",
    "POINT_LENGTH",
    "EntryContent",
    "EntryContext",
    "PropertyWriter",
    "ZoneSpan",
    "entry_block",
    "entry_content",
    "shown_title",
]

POINT_LENGTH = timedelta(minutes=15)
"""How long a point in time (a timed deadline, an event without an end) is shown.

RFC 5545 wants DTEND after DTSTART, and parsers disagree on entries without one, so a
deadline is a short entry starting at the instant it is due: alarms count down to it.
"""


@dataclass(frozen=True, slots=True)
class EntryContext:
    """What an entry needs from the registry beyond its item."""

    track_names: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ZoneSpan:
    """A zone used with TZID, and the years of the local times written in it."""

    zone: str
    first_year: int
    last_year: int


@dataclass(slots=True)
class _Lines:
    """Content lines being written, and the zones they use."""

    lines: list[str]
    spans: dict[str, tuple[int, int]]

    def timed(self, name: str, value: datetime, zone: str) -> None:
        """``value`` as a local time with its zone's TZID, when that names one instant."""
        tz = value.tzinfo
        if publishes_tzid(zone) and tz is not None:
            naive = value.replace(tzinfo=None)
            first = naive.replace(tzinfo=tz, fold=0)
            if first.utcoffset() == naive.replace(tzinfo=tz, fold=1).utcoffset():
                self.lines.append(f"{name};TZID={zone}:{format_local(value)}\r\n")
                low, high = self.spans.get(zone, (value.year, value.year))
                self.spans[zone] = (min(low, value.year), max(high, value.year))
                return
        # A wall-clock time that occurs twice when clocks go back is read as the first
        # by some clients and the second by others (ical.js): write the instant in UTC.
        self.lines.append(f"{name}:{format_utc(value)}\r\n")


PropertyWriter = Callable[[Item, EntryContext, _Lines], None]


def shown_title(item: Item) -> str:
    """The SUMMARY: Google drops cancelled entries silently, so the title says it too."""
    return f"Cancelled: {item.title}" if item.status == "cancelled" else item.title


def write_timing(item: Item, _context: EntryContext, out: _Lines) -> None:
    timing = item.timing
    if isinstance(timing, AllDay):
        out.lines.append(f"DTSTART;VALUE=DATE:{format_date(timing.first)}\r\n")
        out.lines.append(f"DTEND;VALUE=DATE:{format_date(timing.end_exclusive)}\r\n")
        return
    end = timing.end if timing.end > timing.start else timing.start + POINT_LENGTH
    out.timed("DTSTART", timing.start, item.zone)
    out.timed("DTEND", end.astimezone(timing.start.tzinfo), item.zone)


_STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


def write_summary(item: Item, _context: EntryContext, out: _Lines) -> None:
    out.lines.append(line("SUMMARY", escape_text(shown_title(item))))
    out.lines.append(f"STATUS:{_STATUS[item.status]}\r\n")
    # Deadlines, unconfirmed months and cancelled entries do not make anyone busy.
    free = item.kind == "deadline" or item.month_only or item.status == "cancelled"
    out.lines.append("TRANSP:TRANSPARENT\r\n" if free else "TRANSP:OPAQUE\r\n")


def write_place(item: Item, context: EntryContext, out: _Lines) -> None:
    if item.location:
        out.lines.append(line("LOCATION", escape_text(item.location)))
    if item.tracks:
        names = [context.track_names.get(track, track) for track in item.tracks]
        out.lines.append(line("CATEGORIES", text_list(names)))
    if item.url:
        out.lines.append(line("URL;VALUE=URI", item.url))


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _clock(value: datetime) -> str:
    return f"{value.day} {value:%b %Y %H:%M}"


def description_text(item: Item) -> str:
    """The DESCRIPTION: clients hide URL, so the links are repeated here."""
    parts: list[str] = []
    if item.description and item.description.strip():
        parts.append(item.description.strip())
    timing = item.timing
    if item.kind == "deadline":
        due = item.end_instant if isinstance(timing, AllDay) else item.start_instant
        if isinstance(timing, AllDay):
            local = f"by the end of {_day(timing.last)} ({item.zone})"
        else:
            local = f"at {_clock(timing.start)} ({item.zone})"
        parts.append(f"Due {local}, that is {_clock(due.astimezone(UTC))} UTC.")
    elif item.month_only and isinstance(timing, AllDay):
        parts.append(f"Dates to be confirmed: {timing.first:%B %Y}.")
    if item.status == "cancelled":
        parts.append("This has been cancelled.")
    links: list[str] = []
    if item.url:
        label = "Register or submit" if item.kind == "deadline" else "More information"
        links.append(f"{label}: {item.url}")
    links.extend(f"{link.title}: {link.url}" for link in item.links)
    if links:
        parts.append("\n".join(links))
    if item.kind != "event":
        parts.append(f"Part of: {item.event.title}")
    return "\n\n".join(parts)


def write_description(item: Item, _context: EntryContext, out: _Lines) -> None:
    text = description_text(item)
    if text:
        out.lines.append(line("DESCRIPTION", escape_text(text)))


DEFAULT_WRITERS: tuple[PropertyWriter, ...] = (
    write_timing,
    write_summary,
    write_place,
    write_description,
)


@dataclass(frozen=True, slots=True)
class EntryContent:
    """The registry-derived part of one VEVENT."""

    item: Item
    body: str
    """CRLF-terminated, folded content lines between SEQUENCE and END:VEVENT."""
    digest: str
    """Hash of ``body``: a new digest is a new version of the entry."""
    zones: tuple[ZoneSpan, ...]

    @property
    def uid(self) -> str:
        return self.item.uid


def entry_content(
    item: Item, context: EntryContext, writers: Sequence[PropertyWriter] = DEFAULT_WRITERS
) -> EntryContent:
    out = _Lines([], {})
    for write in writers:
        write(item, context, out)
    body = "".join(out.lines)
    digest = hashlib.blake2b(body.encode(), digest_size=16).hexdigest()
    spans = tuple(ZoneSpan(zone, *years) for zone, years in sorted(out.spans.items()))
    return EntryContent(item, body, digest, spans)


def entry_block(content: EntryContent, version: EntryVersion) -> str:
    """The whole VEVENT: content plus the version the state database gave it."""
    stamp = format_utc(version.last_modified)
    return (
        "BEGIN:VEVENT\r\n"
        + line("UID", escape_text(content.uid))
        + f"DTSTAMP:{stamp}\r\nLAST-MODIFIED:{stamp}\r\nSEQUENCE:{version.sequence}\r\n"
        + content.body
        + "END:VEVENT\r\n"
    )


def content_zones(contents: Iterable[EntryContent]) -> list[ZoneSpan]:
    """Every zone the entries use with TZID, with the years they need, by zone name."""
    spans: dict[str, tuple[int, int]] = {}
    for content in contents:
        for span in content.zones:
            first, last = spans.get(span.zone, (span.first_year, span.last_year))
            spans[span.zone] = (min(first, span.first_year), max(last, span.last_year))
    return [ZoneSpan(zone, *years) for zone, years in sorted(spans.items())]
