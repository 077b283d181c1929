"""Rules that relate registry values to each other, and warnings about likely mistakes.

Pure: ``now`` is passed in. Each finding is located in the file through the source map.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from compact_calendar.errors import Diagnostic, Severity
from compact_calendar.registry.items import Item, Timed, event_timing, items, localize
from compact_calendar.registry.model import Event, Registry, ReminderSettings
from compact_calendar.registry.source import Path, SourceMap, format_path
from compact_calendar.registry.values import MonthDate, Offset, When, zone

__all__ = ["run_rules"]

_REGISTRATION = re.compile(r"regist|inscri|sign[- ]?up|apply|application|formsite|/form", re.I)
_EVERY = re.compile(r"^\d+\s*[dwmy]$")


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

    first_seen: dict[str, int] = {}
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
            _check_repeat(f, event, path)

    good = [registry.events[p] for p in consistent]
    good_indexes = [event_indexes[p] for p in consistent]
    subset = registry.model_copy(update={"events": good})
    by_event: dict[str, list[Item]] = {}
    for item in items(subset, good_indexes):
        by_event.setdefault(item.event.id, []).append(item)
    for event, index in zip(good, good_indexes, strict=True):
        _check_event_items(f, registry, event, ("events", index), by_event.get(event.id, []), now)
    return f.found


def _known(kind: str, name: str, names: Iterable[str], section: str) -> str:
    names = sorted(names)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    listed = ", ".join(f"`{n}`" for n in names) if names else "none yet"
    return f"define it under `{section}:` (known {kind}s: {listed})"


def _unique(f: _Findings, seen: dict[str, int], value: str, path: Path, what: str) -> None:
    line = f.source.locate(path).line
    if value in seen:
        f.error(
            path,
            f"duplicate {what} id `{value}` (first used at line {seen[value]}): "
            "ids must be unique; rename one",
        )
    else:
        seen[value] = line


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
                f"`end` ({_show(end)}) is before `start` ({_show(start)}): "
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


def _show(value: When) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return value.isoformat() if isinstance(value, date) else str(value)


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
            ok = False
    return ok


def _check_children(f: _Findings, event: Event, path: Path, channels: set[str]) -> None:
    seen: dict[str, int] = {}
    for i, session in enumerate(event.sessions):
        _unique(f, seen, session.id, (*path, "sessions", i, "id"), "session")
        _check_reminders(f, session.reminders, (*path, "sessions", i, "reminders"), channels)
    seen = {}
    for i, deadline in enumerate(event.deadlines):
        _unique(f, seen, deadline.id, (*path, "deadlines", i, "id"), "deadline")
        _check_reminders(f, deadline.reminders, (*path, "deadlines", i, "reminders"), channels)


def _check_repeat(f: _Findings, event: Event, path: Path) -> None:
    repeat = event.repeat
    assert repeat is not None
    rpath = (*path, "repeat")
    every = repeat.every.strip()
    if not _EVERY.match(every.lower()) and "FREQ=" not in every.upper():
        f.error(
            (*rpath, "every"),
            f"`{every}` is not a repeat interval: write 1d, 2w, 1m or 1y, or an RFC 5545 "
            'rule such as "FREQ=MONTHLY;BYDAY=1TH"',
        )
    if repeat.until is not None and repeat.count is not None:
        f.error(
            (*rpath, "count"),
            "give either `until` or `count`, not both: the series ends by one of them",
        )
    if isinstance(event.start, MonthDate):
        f.error((*rpath,), "a recurring event needs a start day, not only a month", key=True)


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
    event_zone = zone(event.timezone or calendar_zone)
    if isinstance(timing, Timed):
        event_start, event_end = timing.start, timing.end
    else:
        event_start = localize(datetime.combine(timing.first, time()), event_zone)
        event_end = localize(datetime.combine(timing.end_exclusive, time()), event_zone)

    for item in event_items:
        if item.kind == "session" and (
            item.start_instant < event_start or item.end_instant > event_end
        ):
            f.error(
                (*item.path, "start"),
                f"this session ({_when(item)}) is outside its event's dates "
                f"({_span(event)}): move the session or widen the event's `start`/`end`",
            )
        if item.kind != "deadline":
            continue
        due = item.end_instant if not isinstance(item.timing, Timed) else item.timing.start
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
    start = _show(event.start)
    return f"{start} to {_show(event.end)}" if event.end is not None else start


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
