"""One calendar item as a VEVENT: its content, hashed, and its versioned block.

An entry's *content* is every property that comes from the registry (times, summary,
status, place, links). Its hash decides whether the entry changed; the *block* adds the
properties that come from the state database (DTSTAMP, LAST-MODIFIED, SEQUENCE) around
it. The content is written by a chain of :data:`PropertyWriter` functions.

A recurring event is one entry: the series' VEVENT (RRULE, EXDATE, RDATE) followed by
one VEVENT per changed occurrence (RECURRENCE-ID), all with the series' UID, so they
are hashed and versioned together: changing one occurrence is a change of the series.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from dateutil.rrule import rrulestr

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
from compact_calendar.registry.items import AllDay, Item, occurrence_item
from compact_calendar.registry.recurrence import Recurrence
from compact_calendar.registry.values import AOE, zone

__all__ = [
    "DEFAULT_WRITERS",
    "POINT_LENGTH",
    "EntryContent",
    "EntryContext",
    "PropertyWriter",
    "ZoneSpan",
    "entry_content",
    "entry_pieces",
    "series_tzid",
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
    open_ended: bool = False
    """A series without end uses the zone from ``first_year`` on, for as long as it runs."""


SERIES_AOE_TZID = "Etc/GMT+12"
"""The IANA name of UTC-12 (POSIX signs are inverted), under which AoE series are written.

A rule repeats in the wall-clock time of its DTSTART: written in UTC, a Thursday 20:00
AoE call would become a Friday 08:00 UTC one and a BYDAY=TH rule would miss it. Every
parser knows this name, unlike ``AoE``.
"""


def series_tzid(zone_name: str) -> str | None:
    """The TZID a series in ``zone_name`` repeats in; None where UTC times repeat alike."""
    if zone_name == AOE:
        return SERIES_AOE_TZID
    return zone_name if publishes_tzid(zone_name) else None


@dataclass(slots=True)
class _Lines:
    """Content lines being written, and the zones they use."""

    lines: list[str]
    spans: dict[str, tuple[int, int]]
    open_zones: set[str] = field(default_factory=set)

    def cover(self, zone_name: str, first_year: int, last_year: int) -> None:
        low, high = self.spans.get(zone_name, (first_year, last_year))
        self.spans[zone_name] = (min(low, first_year), max(high, last_year))

    def timed(self, name: str, value: datetime, zone: str) -> None:
        """``value`` as a local time with its zone's TZID, when that names one instant."""
        tz = value.tzinfo
        if publishes_tzid(zone) and tz is not None:
            naive = value.replace(tzinfo=None)
            first = naive.replace(tzinfo=tz, fold=0)
            if first.utcoffset() == naive.replace(tzinfo=tz, fold=1).utcoffset():
                self.lines.append(f"{name};TZID={zone}:{format_local(value)}\r\n")
                self.cover(zone, value.year, value.year)
                return
        # A wall-clock time that occurs twice when clocks go back is read as the first
        # by some clients and the second by others (ical.js): write the instant in UTC.
        self.lines.append(f"{name}:{format_utc(value)}\r\n")

    def series_value(self, name: str, value: date | datetime, zone_name: str) -> None:
        """A DTSTART, EXDATE, RDATE or RECURRENCE-ID of a series, all written alike.

        Always in the series' zone (even a wall-clock time that occurs twice): clients
        match EXDATE and RECURRENCE-ID to occurrences by value, so they must be written
        the way DTSTART is.
        """
        if not isinstance(value, datetime):
            self.lines.append(f"{name};VALUE=DATE:{format_date(value)}\r\n")
            return
        tzid = series_tzid(zone_name)
        if tzid is None:
            self.lines.append(f"{name}:{format_utc(value)}\r\n")
            return
        local = value.astimezone(zone(tzid))
        self.lines.append(f"{name};TZID={tzid}:{format_local(local)}\r\n")
        self.cover(tzid, local.year, local.year)


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
    if item.recurrence is not None:
        # The rule repeats DTSTART's wall-clock time in its zone.
        out.series_value("DTSTART", timing.start, item.zone)
    else:
        out.timed("DTSTART", timing.start, item.zone)
    out.timed("DTEND", end.astimezone(timing.start.tzinfo), item.zone)


def _last_year(recurrence: Recurrence) -> int | None:
    """The year of the series' last occurrence of the rule; None when it runs on."""
    parts = dict(part.split("=", 1) for part in recurrence.rule.split(";"))
    if "UNTIL" in parts:
        return int(parts["UNTIL"][:4])
    if "COUNT" in parts:
        first = recurrence.first
        start = first if isinstance(first, datetime) else datetime(*first.timetuple()[:3])
        last = rrulestr(recurrence.rule, dtstart=start)[-1]
        assert isinstance(last, datetime)
        return last.year
    return None


def write_recurrence(item: Item, _context: EntryContext, out: _Lines) -> None:
    """RRULE, EXDATE and RDATE of a series; RECURRENCE-ID of one of its occurrences."""
    recurrence = item.recurrence
    if recurrence is not None:
        out.lines.append(line("RRULE", recurrence.rule))
        for skipped in recurrence.exdates:
            out.series_value("EXDATE", recurrence.placed(skipped), item.zone)
        for extra in recurrence.rdates:
            out.series_value("RDATE", recurrence.placed(extra), item.zone)
        tzid = series_tzid(item.zone)
        if tzid is not None and not recurrence.all_day:
            first_year = recurrence.placed(recurrence.first).year
            last_year = _last_year(recurrence)
            out.cover(tzid, first_year, first_year if last_year is None else last_year)
            if last_year is None:
                out.open_zones.add(tzid)
    if item.occurrence is not None:
        out.series_value("RECURRENCE-ID", item.occurrence.recurrence_id, item.zone)


_STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


def write_summary(item: Item, _context: EntryContext, out: _Lines) -> None:
    out.lines.append(line("SUMMARY", escape_text(shown_title(item))))
    out.lines.append(f"STATUS:{_STATUS[item.status]}\r\n")
    # Deadlines, unconfirmed months and cancelled entries do not make anyone busy.
    free = item.kind == "deadline" or item.month_only or item.status == "cancelled"
    out.lines.append("TRANSP:TRANSPARENT\r\n" if free else "TRANSP:OPAQUE\r\n")


# An event's sessions and deadlines, and many events, share places and tracks.
@lru_cache(maxsize=4096)
def _location_line(location: str) -> str:
    return line("LOCATION", escape_text(location))


@lru_cache(maxsize=1024)
def _categories_line(names: tuple[str, ...]) -> str:
    return line("CATEGORIES", text_list(list(names)))


def write_place(item: Item, context: EntryContext, out: _Lines) -> None:
    if item.location:
        out.lines.append(_location_line(item.location))
    if item.tracks:
        names = tuple(context.track_names.get(track, track) for track in item.tracks)
        out.lines.append(_categories_line(names))
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
        due = item.moment
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
    write_recurrence,
    write_summary,
    write_place,
    write_description,
)


@dataclass(frozen=True, slots=True)
class EntryContent:
    """The registry-derived part of one VEVENT."""

    item: Item
    body: bytes
    """CRLF-terminated, folded content lines between SEQUENCE and END:VEVENT, encoded once:
    every feed and event file joins these same bytes."""
    digest: str
    """Hash of ``body`` and ``instances``: a new digest is a new version of the entry."""
    zones: tuple[ZoneSpan, ...]
    order: tuple[float, str]
    """Where the entry goes in a feed: by start (as a timestamp, which compares faster than
    an aware datetime), then UID; computed once, sorted by often."""
    uid: str
    """The item's UID, kept here as feeds look it up for every entry at every render."""
    instances: tuple[bytes, ...] = ()
    """For a series: the bodies of the VEVENTs of its changed occurrences (RECURRENCE-ID)."""


def entry_content(
    item: Item, context: EntryContext, writers: Sequence[PropertyWriter] = DEFAULT_WRITERS
) -> EntryContent:
    out = _Lines([], {})
    for write in writers:
        write(item, context, out)
    body = "".join(out.lines).encode()
    instances: list[bytes] = []
    if item.recurrence is not None:
        for occurrence in item.recurrence.changed():
            instance = _Lines([], out.spans, out.open_zones)
            instance_item = occurrence_item(item, occurrence)
            for write in writers:
                write(instance_item, context, instance)
            instances.append("".join(instance.lines).encode())
    hashed = hashlib.blake2b(body, digest_size=16)
    for text in instances:
        hashed.update(b"BEGIN:VEVENT\r\n" + text)
    spans = tuple(
        ZoneSpan(zone_name, *years, open_ended=zone_name in out.open_zones)
        for zone_name, years in sorted(out.spans.items())
    )
    order = (item.start_instant.timestamp(), item.uid)
    return EntryContent(item, body, hashed.hexdigest(), spans, order, item.uid, tuple(instances))


_END_VEVENT = b"END:VEVENT\r\n"


def entry_pieces(content: EntryContent, version: EntryVersion) -> tuple[bytes, ...]:
    """The whole VEVENT (and those of a series' changed occurrences) as byte pieces to be
    joined, with the version the state database gave the entry.

    The content's own bytes are among the pieces, not copied: a feed is one join of
    shared pieces, and versioning an entry costs only its few header lines.
    """
    stamp = format_utc(version.last_modified)
    head = (
        "BEGIN:VEVENT\r\n"
        + line("UID", escape_text(content.uid))
        + f"DTSTAMP:{stamp}\r\nLAST-MODIFIED:{stamp}\r\nSEQUENCE:{version.sequence}\r\n"
    ).encode()
    pieces: list[bytes] = []
    for body in (content.body, *content.instances):
        pieces += (head, body, _END_VEVENT)
    return tuple(pieces)


SERIES_ZONE_YEARS = 3
"""A series that runs on gets its zone's offsets written through this many years past
now: clients reading the VTIMEZONE (ical.js, vobject) would otherwise place later
occurrences with the last offset written."""


def content_zones(contents: Iterable[EntryContent], now: datetime | None = None) -> list[ZoneSpan]:
    """Every zone the entries use with TZID, with the years they need, by zone name.

    A zone used by a series that runs on is needed through :data:`SERIES_ZONE_YEARS`
    past ``now`` (or past its last year written, without ``now``).
    """
    spans: dict[str, tuple[int, int]] = {}
    open_zones: set[str] = set()
    for content in contents:
        for span in content.zones:
            first, last = spans.get(span.zone, (span.first_year, span.last_year))
            spans[span.zone] = (min(first, span.first_year), max(last, span.last_year))
            if span.open_ended:
                open_zones.add(span.zone)
    for zone_name in open_zones:
        first, last = spans[zone_name]
        reference = now.year if now is not None else last
        spans[zone_name] = (first, max(last, reference + SERIES_ZONE_YEARS))
    return [ZoneSpan(zone_name, *years) for zone_name, years in sorted(spans.items())]
