"""Rules that relate registry values to each other, and warnings about likely mistakes.

Pure: ``now`` is passed in. Each finding is located in the file through the source map.
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from compact_calendar.errors import Diagnostic, Severity
from compact_calendar.registry.items import (
    Item,
    Timed,
    event_timing,
    items,
    localize,
    span_instants,
)
from compact_calendar.registry.model import Event, Registry, ReminderSettings
from compact_calendar.registry.source import Path, SourceMap, format_path
from compact_calendar.registry.values import MonthDate, Offset, When, show_when, zone

__all__ = ["run_rules"]

_REGISTRATION = re.compile(r"regist|inscri|sign[- ]?up|apply|application|formsite|/form", re.I)


class _Findings:
    def __init__(self, source: SourceMap, filename: str) -> None:
        self.source = source
        self.filename = filename
        self.found: list[Diagnostic] = []

    def add(self, severity: Severity, path: Path, message: str, *, key: bool = False) -> None:
        pos = self.source.locate(path, key=key)
        self.found.append(
            Diagnostic(severity, self.filename, pos.line, pos.column, format_path(path), message)
        )

    def error(self, path: Path, message: str, *, key: bool = False) -> None:
        self.add("error", path, message, key=key)

    def warning(self, path: Path, message: str, *, key: bool = False) -> None:
        self.add("warning", path, message, key=key)


def run_rules(
    registry: Registry,
    event_indexes: Sequence[int],
    source: SourceMap,
    filename: str,
    now: datetime,
) -> list[Diagnostic]:
    f = _Findings(source, filename)
    channels = set(registry.channels)
    _check_reminders(f, registry.reminders, ("reminders",), channels)
    for name, channel in registry.channels.items():
        if channel is None:
            continue  # invalid, already reported
        if channel.type == "webhook" and channel.format == "generic" and not channel.secret:
            f.warning(
                ("channels", name),
                "a generic webhook without `secret` sends unsigned requests that receivers "
                "cannot verify: add `secret: ${...}` with a whsec_ signing secret",
                key=True,
            )

    first_seen: dict[str, Path] = {}
    consistent: list[int] = []
    for position, event in enumerate(registry.events):
        path: Path = ("events", event_indexes[position])
        _unique(f, first_seen, event.id, (*path, "id"), "event")
        for i, track in enumerate(event.tracks):
            if track not in registry.tracks:
                f.error(
                    (*path, "tracks", i),
                    f"unknown track `{track}`: "
                    + _known("track", track, registry.tracks, "tracks"),
                )
        if _check_event_spans(f, event, path):
            consistent.append(position)
        _check_reminders(f, event.reminders, (*path, "reminders"), channels)
        _check_children(f, event, path, channels)
        if event.repeat is not None:
            _check_repeat(f, event, path, registry.calendar.timezone)

    good = [registry.events[p] for p in consistent]
    good_indexes = [event_indexes[p] for p in consistent]
    subset = registry.model_copy(update={"events": good})
    by_event: dict[str, list[Item]] = {}
    for item in items(subset, good_indexes):
        by_event.setdefault(item.event.id, []).append(item)
    for event, index in zip(good, good_indexes, strict=True):
        _check_event_items(f, registry, event, ("events", index), by_event.get(event.id, []), now)
    _check_overlaps(f, (i for e in by_event.values() for i in e), registry.calendar.timezone, now)
    return f.found


def _known(kind: str, name: str, names: Iterable[str], section: str) -> str:
    names = sorted(names)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    listed = ", ".join(f"`{n}`" for n in names) if names else "none yet"
    return f"define it under `{section}:` (known {kind}s: {listed})"


def _unique(f: _Findings, seen: dict[str, Path], value: str, path: Path, what: str) -> None:
    if value in seen:
        first = f.source.locate(seen[value]).line
        f.error(
            path,
            f"duplicate {what} id `{value}` (first used at line {first}): "
            "ids must be unique; rename one",
        )
    else:
        seen[value] = path


def _check_reminders(
    f: _Findings, settings: ReminderSettings | None, path: Path, channels: set[str]
) -> None:
    if settings is None:
        return
    for i, name in enumerate(settings.channels or ()):
        if name not in channels:
            f.error(
                (*path, "channels", i),
                f"unknown channel `{name}`: " + _known("channel", name, channels, "channels"),
            )
    for field in ("before_deadline", "before_session"):
        offsets: list[Offset] = getattr(settings, field) or []
        seen: set[str] = set()
        for i, offset in enumerate(offsets):
            if offset.key in seen:
                f.warning(
                    (*path, field, i),
                    f"offset {offset.key} is listed twice: the reminder goes once; remove one",
                )
            seen.add(offset.key)


def _check_span(
    f: _Findings,
    start: When,
    end: When | None,
    tz: str,
    path: Path,
    *,
    allow_month: bool,
) -> bool:
    """Check one start/end pair; True when it is consistent enough to compute with."""
    ok = True
    for field, value in (("start", start), ("end", end)):
        if isinstance(value, MonthDate) and not allow_month:
            f.error(
                (*path, field),
                f"`{value}` gives only the month: that is allowed for `status: tentative` "
                "events only; give the day (YYYY-MM-DD) or mark the event tentative",
            )
            ok = False
    if end is None or not ok:
        return ok
    if isinstance(start, datetime) != isinstance(end, datetime):
        f.error(
            (*path, "end"),
            "`start` and `end` must be of the same kind: both dates (all-day) or both "
            "date-times (timed)",
        )
        return False
    if isinstance(start, MonthDate) != isinstance(end, MonthDate):
        f.error(
            (*path, "end"),
            "a month-only `start` needs a month-only `end` (like 2018-03), or no `end`",
        )
        return False
    if isinstance(start, datetime) and isinstance(end, datetime):
        tzinfo = zone(tz)
        begin = start if start.tzinfo else localize(start, tzinfo)
        finish = end if end.tzinfo else localize(end, tzinfo)
        if finish < begin:
            f.error(
                (*path, "end"),
                f"`end` ({show_when(end)}) is before `start` ({show_when(start)}): "
                "swap them or fix the time",
            )
            return False
    elif isinstance(start, MonthDate) and isinstance(end, MonthDate):
        if end < start:
            f.error((*path, "end"), f"`end` ({end}) is before `start` ({start})")
            return False
    elif isinstance(start, date) and isinstance(end, date) and end < start:
        f.error(
            (*path, "end"),
            f"`end` ({end}) is before `start` ({start}); `end` is the last day, inclusive: "
            "for a one-day event leave it out or repeat the start date",
        )
        return False
    return True


def _check_event_spans(f: _Findings, event: Event, path: Path) -> bool:
    tz = event.timezone or "UTC"
    ok = _check_span(f, event.start, event.end, tz, path, allow_month=event.status == "tentative")
    for i, session in enumerate(event.sessions):
        ok = (
            _check_span(
                f,
                session.start,
                session.end,
                session.timezone or tz,
                (*path, "sessions", i),
                allow_month=False,
            )
            and ok
        )
    for i, deadline in enumerate(event.deadlines):
        if isinstance(deadline.due, MonthDate):
            f.error(
                (*path, "deadlines", i, "due"),
                f"`{deadline.due}` gives only the month: a deadline needs a day (YYYY-MM-DD)",
            )
    return ok


def _check_children(f: _Findings, event: Event, path: Path, channels: set[str]) -> None:
    seen: dict[str, Path] = {}
    for i, session in enumerate(event.sessions):
        _unique(f, seen, session.id, (*path, "sessions", i, "id"), "session")
        _check_reminders(f, session.reminders, (*path, "sessions", i, "reminders"), channels)
    seen = {}
    for i, deadline in enumerate(event.deadlines):
        _unique(f, seen, deadline.id, (*path, "deadlines", i, "id"), "deadline")
        _check_reminders(f, deadline.reminders, (*path, "deadlines", i, "reminders"), channels)


def _check_repeat(f: _Findings, event: Event, path: Path, calendar_zone: str) -> None:
    """Locate what :func:`recurrence.analyse` finds wrong with the event's ``repeat:``."""
    from compact_calendar.registry import recurrence  # only registries with series pay

    _, findings = recurrence.analyse(event, calendar_zone)
    for finding in findings:
        f.add(finding.severity, (*path, *finding.path), finding.message, key=finding.key)


_OVERLAP_HORIZON = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class _Slot:
    """A timed stretch that occupies a track: an item, or one occurrence of a series."""

    start: datetime
    end: datetime
    item: Item
    label: str


def _check_overlaps(
    f: _Findings, all_items: Iterable[Item], calendar_zone: str, now: datetime
) -> None:
    """Warn when two timed entries of the same track overlap, which is usually a time
    copied along with an entry and never changed.

    Parallel sessions of one event are normal, so within an event only entries with the
    very same times are reported. Series are compared occurrence by occurrence within
    400 days of their start and of ``now``. Each entry is reported once, at most.
    """
    by_track: dict[str, list[_Slot]] = {}
    for item in all_items:
        if item.kind == "deadline" or item.status == "cancelled":
            continue
        for slot in _slots(item, calendar_zone, now):
            if slot.end <= slot.start:
                continue  # a point in time occupies nothing
            for track in item.tracks or ("",):
                by_track.setdefault(track, []).append(slot)
    reported: set[str] = set()
    for track, slots in sorted(by_track.items()):
        slots.sort(key=lambda s: (s.start, s.end, s.item.key))
        running: list[tuple[datetime, int, _Slot]] = []  # min-heap by end
        for order, slot in enumerate(slots):
            while running and running[0][0] <= slot.start:
                heapq.heappop(running)
            if slot.item.key not in reported:
                other = _clash(slot, running)
                if other is not None:
                    reported.add(slot.item.key)
                    _warn_overlap(f, track, slot, other)
            heapq.heappush(running, (slot.end, order, slot))


def _clash(slot: _Slot, running: Iterable[tuple[datetime, int, _Slot]]) -> _Slot | None:
    for _, _, other in running:
        if other.item.key == slot.item.key:
            continue
        same_event = other.item.event.id == slot.item.event.id
        if not same_event or (other.start, other.end) == (slot.start, slot.end):
            return other
    return None


def _slots(item: Item, calendar_zone: str, now: datetime) -> Iterator[_Slot]:
    if not isinstance(item.timing, Timed):
        return
    if item.event.repeat is None:
        yield _Slot(item.timing.start, item.timing.end, item, _when(item))
        return
    from compact_calendar.registry import recurrence

    try:
        series = recurrence.recurrence_of(item.event, calendar_zone)
    except recurrence.RecurrenceError:
        return  # reported by _check_repeat
    seen: set[str] = set()
    first = item.timing.start
    for begin in (first, now):
        for occurrence in series.between(begin, begin + _OVERLAP_HORIZON):
            if occurrence.key in seen or occurrence.status == "cancelled":
                continue
            seen.add(occurrence.key)
            timing = occurrence.timing
            if isinstance(timing, Timed):
                label = f"{timing.start:%Y-%m-%d %H:%M} {item.zone}"
                yield _Slot(timing.start, timing.end, item, label)


def _warn_overlap(f: _Findings, track: str, slot: _Slot, other: _Slot) -> None:
    what = "session" if slot.item.kind == "session" else "event"
    where = f"in track `{track}`" if track else "in the calendar"
    line = f.source.locate((*other.item.path, "start")).line
    if other.item.event.id == slot.item.event.id:
        message = (
            f"this {what} ({slot.label}) has exactly the times of `{other.item.key}` "
            f"(line {line}): if it was copied, give it its own `start` and `end`"
        )
    else:
        message = (
            f"this {what} ({slot.label}) overlaps `{other.item.key}` ({other.label}, "
            f"line {line}) {where}: check the times, or put one in another track"
        )
    f.warning((*slot.item.path, "start"), message)


def _naive_values(event: Event, path: Path) -> Iterable[tuple[Path, datetime, str]]:
    tz = event.timezone
    for field in ("start", "end"):
        value = getattr(event, field)
        if isinstance(value, datetime) and value.tzinfo is None:
            yield (*path, field), value, tz or ""
    for i, session in enumerate(event.sessions):
        for field in ("start", "end"):
            value = getattr(session, field)
            if isinstance(value, datetime) and value.tzinfo is None:
                yield (*path, "sessions", i, field), value, session.timezone or tz or ""
    for i, deadline in enumerate(event.deadlines):
        if isinstance(deadline.due, datetime) and deadline.due.tzinfo is None:
            yield (*path, "deadlines", i, "due"), deadline.due, deadline.timezone or tz or ""


def _check_event_items(
    f: _Findings,
    registry: Registry,
    event: Event,
    path: Path,
    event_items: list[Item],
    now: datetime,
) -> None:
    calendar_zone = registry.calendar.timezone
    for value_path, naive, tz_name in _naive_values(event, path):
        tzinfo = zone(tz_name or calendar_zone)
        resolved = localize(naive, tzinfo)
        if resolved.replace(tzinfo=None) != naive:
            f.warning(
                value_path,
                f"{naive:%Y-%m-%d %H:%M} does not exist in {tz_name or calendar_zone} "
                f"(clocks go forward that night); it is read as {resolved:%H:%M}",
            )

    timing, _ = event_timing(event, calendar_zone)
    event_start, event_end = span_instants(timing, zone(event.timezone or calendar_zone))

    for item in event_items:
        if item.kind == "session" and (
            item.start_instant < event_start or item.end_instant > event_end
        ):
            f.error(
                (*item.path, "start"),
                f"this session ({_when(item)}) is outside its event's dates "
                f"({_span(event)}): move the session or widen the event's `start`/`end`",
            )
        if item.kind != "deadline" or item.month_only:
            continue
        due = item.moment
        due_path = (*item.path, "due")
        if due > event_end:
            f.error(
                due_path,
                f"this deadline ({_when(item)}) is after its event has ended ({_span(event)}): "
                "a deadline comes before what it belongs to; fix the date",
            )
        elif due > event_start:
            f.warning(
                due_path,
                f"this deadline ({_when(item)}) falls after its event has started "
                f"({_span(event)}); registration usually closes before: check the date",
            )
        if event.status != "cancelled" and event_start > now >= due:
            f.warning(
                due_path,
                f"this deadline passed ({_when(item)}) but the event is still to come: "
                "update the date if it was extended, or remove the deadline",
            )

    if not event.deadlines and event.status != "cancelled":
        link_sets: list[tuple[Path, Any]] = [((*path, "links"), event.links)]
        link_sets += [
            ((*path, "sessions", i, "links"), s.links) for i, s in enumerate(event.sessions)
        ]
        for links_path, links in link_sets:
            for i, link in enumerate(links):
                if _REGISTRATION.search(link.title) or _REGISTRATION.search(link.url):
                    f.warning(
                        (*links_path, i),
                        f"a registration link (`{link.title}`) but no deadline: add "
                        "`deadlines:` with the closing date so reminders go out",
                    )


def _when(item: Item) -> str:
    if isinstance(item.timing, Timed):
        start = item.timing.start
        return f"{start:%Y-%m-%d %H:%M} {item.zone}"
    if item.timing.first == item.timing.last:
        return item.timing.first.isoformat()
    return f"{item.timing.first.isoformat()} to {item.timing.last.isoformat()}"


def _span(event: Event) -> str:
    start = show_when(event.start)
    return f"{start} to {show_when(event.end)}" if event.end is not None else start
