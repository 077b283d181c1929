"""Read an iCalendar feed with several independent parsers and compare them.

A feed is only as good as the way calendar clients read it. This module parses
the same ``.ics`` bytes with five independent implementations and reduces what
each one understood to a list of :class:`ParsedEntry` (UID, RECURRENCE-ID,
summary, status, start and end as absolute instants), so that a test can
assert that they all see the same entries at the same instants:

=========================  ====================================================
parser                     how it resolves ``DTSTART;TZID=...``
=========================  ====================================================
``icalendar`` (7.x)        Its timezone provider (``zoneinfo``) first: IANA
                           names, Windows names and vendor-prefixed
                           ("globally unique") TZIDs resolve to the system /
                           ``tzdata`` database, *not* to the VTIMEZONE in the
                           file. The file's VTIMEZONE is used only for TZIDs
                           that database does not know (such as ``AoE``); it is
                           cached process-wide on first sight, so we empty that
                           cache before each parse. A TZID with neither gives a
                           floating (naive) time. So for IANA TZIDs icalendar
                           checks the file's VTIMEZONE against the real tz
                           database: a wrong VTIMEZONE makes it disagree with
                           vobject and ical.js.
``vobject`` (0.9.x)        The file's VTIMEZONE, compiled by
                           ``dateutil.tz.tzical`` and registered in a
                           process-wide map where the *first* definition seen
                           for a TZID wins; we reset that map around each
                           parse. A TZID with no VTIMEZONE (or one defined
                           after its first use) falls back to ``pytz``; an
                           unknown one gives a floating time (and vobject
                           logs an error).
``ics`` (ics-py 0.7)       ``dateutil.tz.gettz(TZID)`` (system tz database)
                           only. ics-py parses VEVENTs *before* VTIMEZONEs
                           (it dispatches in alphabetical order), so the
                           file's VTIMEZONE is never applied to an event; a
                           TZID unknown to the system database, and a floating
                           time, silently become UTC.
``recurring-ical-events``  Built on icalendar, so the same resolution; it also
                           applies ``X-WR-TIMEZONE`` (via ``x-wr-timezone``).
                           It expands: occurrences overlapping a window.
``ical.js`` (Mozilla)      The file's VTIMEZONE only (ical.js ships no zone
                           database); a TZID without one stays floating. Run
                           under node by ``tests/interop/icaljs_dump.mjs``.
=========================  ====================================================

Every timed value is reported in UTC (``Instant(kind="utc")``), every DATE
value as a date (``kind="date"``), a time with no resolvable zone as
``kind="floating"`` (wall-clock time, not converted), and a missing end as
``kind="none"``. Ends are *not* invented by this module: each adapter reports
the end its library gives. icalendar, recurring-ical-events, ics-py and
ical.js apply RFC 5545's default when there is neither DTEND nor DURATION
(the start, or the next day for a DATE); vobject gives nothing (``"none"``).
That difference is deliberate: a feed entry without DTEND makes the parsers
disagree, which a test then catches.

This module must stay importable without pytest: comparison failures are
plain :class:`AssertionError`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "EXPANSION_PARSERS",
    "ICALJS_ENV_VAR",
    "NO_END",
    "PARSERS",
    "Instant",
    "InstantKind",
    "InteropToolMissingError",
    "ParsedEntry",
    "assert_expansions_agree",
    "assert_parsers_agree",
    "expand_with_all",
    "expand_with_icaljs",
    "expand_with_recurring_ical_events",
    "parse_with_all",
    "parse_with_icalendar",
    "parse_with_icaljs",
    "parse_with_ics_py",
    "parse_with_vobject",
]

InstantKind = Literal["date", "utc", "floating", "none"]

ICALJS_ENV_VAR: Final = "COMPACT_CALENDAR_ICALJS"
"""Environment variable naming the ``icaljs_dump.mjs`` script to run."""

_ICALJS_SCRIPT: Final = Path("tests") / "interop" / "icaljs_dump.mjs"
_ICALJS_TIMEOUT_SECONDS: Final = 120

# A window wide enough to hold every entry of a feed without recurrences, so that
# recurring-ical-events can take part in parse_with_all().
_WHOLE_WINDOW: Final = (date(1900, 1, 1), date(2200, 1, 1))


@dataclass(frozen=True, order=True)
class Instant:
    """A start or end as a parser understood it.

    ``kind`` is ``"date"`` (value ``YYYY-MM-DD``, an all-day value),
    ``"utc"`` (value ``YYYY-MM-DDTHH:MM:SSZ``, a timed value converted to UTC),
    ``"floating"`` (value ``YYYY-MM-DDTHH:MM:SS``, wall-clock time with no
    zone the parser could resolve) or ``"none"`` (value ``""``, no end given).
    """

    kind: InstantKind
    value: str

    def __str__(self) -> str:
        if self.kind == "none":
            return "(none)"
        if self.kind == "floating":
            return f"{self.value} (floating)"
        return self.value

    @classmethod
    def of(cls, value: date | datetime | None) -> Instant:
        """Convert a Python date/datetime: aware -> UTC, naive -> floating."""
        if value is None:
            return NO_END
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                return cls("floating", value.replace(microsecond=0).isoformat())
            utc = value.astimezone(UTC)
            return cls("utc", utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return cls("date", value.isoformat())


NO_END: Final = Instant("none", "")
"""The sentinel end of an entry whose parser gave no end."""


@dataclass(frozen=True)
class ParsedEntry:
    """One VEVENT (or one occurrence, when expanding) as a parser read it.

    ``recurrence_id`` is the value of an :class:`Instant` (a date, or a UTC
    time ending in ``Z``): the RECURRENCE-ID of an override, or, in expansion
    results, the original start of the occurrence of a recurring series.
    It is ``None`` for a plain entry and for the master of a series.
    """

    uid: str
    recurrence_id: str | None
    summary: str
    status: str | None
    start: Instant
    end: Instant

    @property
    def key(self) -> tuple[str, str | None, Instant, Instant]:
        """What the parsers must agree on: (uid, recurrence_id, start, end)."""
        return (self.uid, self.recurrence_id, self.start, self.end)


class InteropToolMissingError(RuntimeError):
    """node, the ical.js package or the dump script is not available."""


def _sort_key(entry: ParsedEntry) -> tuple[str, str, str, str, str]:
    return (
        entry.start.value,
        entry.uid,
        entry.recurrence_id or "",
        entry.end.value,
        entry.summary,
    )


def _sorted(entries: Iterable[ParsedEntry]) -> list[ParsedEntry]:
    return sorted(entries, key=_sort_key)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


# --------------------------------------------------------------------------
# icalendar


@contextmanager
def _fresh_icalendar_timezone_cache() -> Iterator[None]:
    """Forget VTIMEZONEs icalendar cached from earlier parses in this process.

    icalendar caches the first VTIMEZONE it sees for each TZID unknown to
    zoneinfo and reuses it for later calendars; emptying the private cache makes
    every parse behave as in a fresh process. Best effort: if icalendar's
    internals change, parsing still works, only without the reset.
    """
    from icalendar.timezone import tzp

    cache = getattr(tzp, "_TZP__tz_cache", None)
    if isinstance(cache, dict):
        cache.clear()
    yield


def _icalendar_events(ics: bytes) -> list[Any]:
    import icalendar

    with _fresh_icalendar_timezone_cache():
        calendars = icalendar.Calendar.from_ical(ics, multiple=True)
    return [event for calendar in calendars for event in calendar.walk("VEVENT")]


def _icalendar_end(event: Any) -> Instant:
    from icalendar.error import IncompleteComponent

    try:
        return Instant.of(event.end)
    except IncompleteComponent:
        return NO_END


def parse_with_icalendar(ics: bytes) -> list[ParsedEntry]:
    """Parse with icalendar: one entry per VEVENT (masters and overrides).

    TZIDs resolve through zoneinfo first, the file's VTIMEZONE only for names
    zoneinfo does not know. The end is ``Event.end``: DTEND, else DTSTART +
    DURATION, else RFC 5545's default (the start, or start + 1 day for a DATE).
    """
    entries = []
    for event in _icalendar_events(ics):
        rid = event.get("RECURRENCE-ID")
        entries.append(
            ParsedEntry(
                uid=str(event.get("UID", "")),
                recurrence_id=None if rid is None else Instant.of(rid.dt).value,
                summary=str(event.get("SUMMARY", "")),
                status=_text(event.get("STATUS")),
                start=Instant.of(event.start),
                end=_icalendar_end(event),
            )
        )
    return _sorted(entries)


# --------------------------------------------------------------------------
# vobject


@contextmanager
def _fresh_vobject_tzid_registry() -> Iterator[None]:
    """Let the VTIMEZONEs of the file being parsed win in vobject.

    vobject keeps one process-wide TZID -> tzinfo map and never replaces an
    entry, so the first definition of a TZID seen by the process (or a pytz
    zone looked up earlier) would shadow the file's own. We empty the map
    (keeping UTC) for the duration of one parse and restore it afterwards.
    Not thread-safe.
    """
    import vobject.icalendar

    registry = vars(vobject.icalendar).get("__tzidMap")
    if not isinstance(registry, dict):
        yield
        return
    saved = dict(registry)
    registry.clear()
    vobject.icalendar.registerTzid("UTC", vobject.icalendar.utc)
    try:
        yield
    finally:
        registry.clear()
        registry.update(saved)


def _vobject_value(component: Any, name: str) -> Any:
    line = getattr(component, name, None)
    return None if line is None else line.value


def parse_with_vobject(ics: bytes) -> list[ParsedEntry]:
    """Parse with vobject: one entry per VEVENT (masters and overrides).

    TZIDs resolve through the file's VTIMEZONE (via ``dateutil.tz.tzical``),
    else pytz, else floating. The end is DTEND, else DTSTART + DURATION, else
    ``"none"``: vobject does not apply RFC 5545's default.
    """
    import vobject

    entries = []
    with _fresh_vobject_tzid_registry():
        for calendar in vobject.readComponents(ics.decode("utf-8")):
            for event in calendar.contents.get("vevent", []):
                start = _vobject_value(event, "dtstart")
                end = _vobject_value(event, "dtend")
                duration = _vobject_value(event, "duration")
                if end is None and duration is not None:
                    end = start + duration
                rid = _vobject_value(event, "recurrence_id")
                entries.append(
                    ParsedEntry(
                        uid=str(_vobject_value(event, "uid") or ""),
                        recurrence_id=None if rid is None else Instant.of(rid).value,
                        summary=str(_vobject_value(event, "summary") or ""),
                        status=_text(_vobject_value(event, "status")),
                        start=Instant.of(start),
                        end=Instant.of(end),
                    )
                )
    return _sorted(entries)


# --------------------------------------------------------------------------
# ics-py


def _arrow_instant(value: Any, *, all_day: bool) -> Instant:
    if value is None:
        return NO_END
    if all_day:
        # ics-py represents a DATE as midnight UTC.
        return Instant("date", value.date().isoformat())
    return Instant.of(value.datetime)


def _ics_py_recurrence_id(event: Any) -> str | None:
    """ics-py keeps RECURRENCE-ID unparsed in ``extra``; read it its own way."""
    from ics.utils import iso_to_arrow

    for line in event.extra:
        if getattr(line, "name", "").upper() == "RECURRENCE-ID":
            is_date = "T" not in line.value
            return _arrow_instant(iso_to_arrow(line), all_day=is_date).value
    return None


def parse_with_ics_py(ics: bytes) -> list[ParsedEntry]:
    """Parse with ics-py 0.7: one entry per VEVENT (masters and overrides).

    ics-py ignores VTIMEZONE for events: a TZID resolves only through the system
    tz database (``dateutil.tz.gettz``); an unknown TZID or a floating time
    becomes UTC without warning. ``all_day`` events are read as dates. The end
    is ``Event.end``: DTEND, else DTSTART + DURATION, else the start (+1 day for
    all-day events). RRULE, RDATE and EXDATE are not interpreted (kept in
    ``extra``).
    """
    import ics as ics_py

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calendar = ics_py.Calendar(ics.decode("utf-8"))
    entries = []
    for event in calendar.events:
        all_day = bool(event.all_day)
        entries.append(
            ParsedEntry(
                uid=str(event.uid or ""),
                recurrence_id=_ics_py_recurrence_id(event),
                summary=str(event.name or ""),
                status=_text(event.status),
                start=_arrow_instant(event.begin, all_day=all_day),
                end=_arrow_instant(event.end, all_day=all_day),
            )
        )
    return _sorted(entries)


# --------------------------------------------------------------------------
# recurring-ical-events


def _recurs(event: Any) -> bool:
    """Whether an icalendar VEVENT belongs to a series (master or override)."""
    return "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def expand_with_recurring_ical_events(ics: bytes, start: date, end: date) -> list[ParsedEntry]:
    """Expand with recurring-ical-events: every occurrence overlapping the window.

    The window is [start, end) with both dates taken as 00:00 UTC; an
    occurrence is in it when it overlaps it (a zero-length one when
    ``start <= its start < end``). RRULE, RDATE, EXDATE and RECURRENCE-ID
    overrides apply. ``recurrence_id`` is set for every occurrence of a
    recurring series (its original start) and for overrides, ``None`` for
    plain events. Time zones resolve as in icalendar.
    """
    import icalendar
    import recurring_ical_events

    with _fresh_icalendar_timezone_cache():
        calendars = icalendar.Calendar.from_ical(ics, multiple=True)
    entries = []
    for calendar in calendars:
        recurring_uids = {
            str(event.get("UID", "")) for event in calendar.walk("VEVENT") if _recurs(event)
        }
        query = recurring_ical_events.of(calendar)
        for occurrence in query.between(_utc_midnight(start), _utc_midnight(end)):
            uid = str(occurrence.get("UID", ""))
            rid = occurrence.get("RECURRENCE-ID")
            entries.append(
                ParsedEntry(
                    uid=uid,
                    recurrence_id=(
                        Instant.of(rid.dt).value
                        if rid is not None and uid in recurring_uids
                        else None
                    ),
                    summary=str(occurrence.get("SUMMARY", "")),
                    status=_text(occurrence.get("STATUS")),
                    start=Instant.of(occurrence.start),
                    end=_icalendar_end(occurrence),
                )
            )
    return _sorted(entries)


# --------------------------------------------------------------------------
# ical.js (node)


def _repo_root_candidates() -> Iterator[Path]:
    # src/compact_calendar/testing/interop.py -> repository root (src layout).
    yield Path(__file__).resolve().parents[3]
    cwd = Path.cwd().resolve()
    yield cwd
    yield from cwd.parents


def _icaljs_script() -> Path:
    configured = os.environ.get(ICALJS_ENV_VAR)
    if configured:
        script = Path(configured).expanduser().resolve()
        if not script.is_file():
            raise InteropToolMissingError(
                f"{ICALJS_ENV_VAR}={configured!r} does not name a file; point it at "
                "tests/interop/icaljs_dump.mjs of a compact-calendar checkout"
            )
        return script
    for root in _repo_root_candidates():
        script = root / _ICALJS_SCRIPT
        if script.is_file():
            return script
    raise InteropToolMissingError(
        f"cannot find {_ICALJS_SCRIPT.as_posix()}: run the tests from a compact-calendar "
        f"checkout, or set {ICALJS_ENV_VAR} to the script's path"
    )


def _icaljs_command(script: Path) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise InteropToolMissingError(
            "node is not installed (needed to run ical.js): install Node.js "
            "(scripts/install-test-deps.sh does), then run `npm ci` in the repository root"
        )
    # node resolves "ical.js" from node_modules/ in the script's folder or above.
    for folder in (script.parent, *script.parents):
        if (folder / "node_modules" / "ical.js" / "package.json").is_file():
            break
    else:
        raise InteropToolMissingError(
            f"the npm package ical.js is not installed for {script}: run `npm ci` in "
            "the repository root (the folder holding package-lock.json)"
        )
    return [node, str(script)]


def _run_icaljs(ics: bytes, extra_args: Sequence[str] = ()) -> list[ParsedEntry]:
    script = _icaljs_script()
    command = [*_icaljs_command(script), *extra_args]
    result = subprocess.run(
        command,
        input=ics,
        capture_output=True,
        timeout=_ICALJS_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"ical.js dump failed (exit {result.returncode}): {stderr}")
    payload = json.loads(result.stdout)
    return _sorted(_icaljs_entry(raw) for raw in payload["entries"])


def _icaljs_instant(raw: Mapping[str, Any] | None) -> Instant:
    if raw is None or raw.get("none"):
        return NO_END
    for kind in ("date", "utc", "floating"):
        if kind in raw:
            return Instant(kind, str(raw[kind]))
    raise ValueError(f"unexpected instant from ical.js: {raw!r}")


def _icaljs_entry(raw: Mapping[str, Any]) -> ParsedEntry:
    rid = raw.get("recurrence_id")
    return ParsedEntry(
        uid=str(raw.get("uid") or ""),
        recurrence_id=None if rid is None else _icaljs_instant(rid).value,
        summary=str(raw.get("summary") or ""),
        status=_text(raw.get("status")),
        start=_icaljs_instant(raw["start"]),
        end=_icaljs_instant(raw.get("end")),
    )


def parse_with_icaljs(ics: bytes) -> list[ParsedEntry]:
    """Parse with Mozilla's ical.js under node: one entry per VEVENT.

    Runs ``node tests/interop/icaljs_dump.mjs`` (or the script named by
    ``$COMPACT_CALENDAR_ICALJS``). TZIDs resolve through the file's VTIMEZONE
    only. The end is ``ICAL.Event#endDate``: DTEND, else DTSTART + DURATION,
    else the start (+1 day for a DATE). Raises
    :class:`InteropToolMissingError` when node or the ical.js package is
    missing (run ``npm ci`` in the repository root).
    """
    return _run_icaljs(ics)


def expand_with_icaljs(ics: bytes, start: date, end: date) -> list[ParsedEntry]:
    """Expand with ical.js (``ICAL.Event#iterator``) over [start, end).

    Same window rule and ``recurrence_id`` convention as
    :func:`expand_with_recurring_ical_events`.
    """
    return _run_icaljs(ics, ["--expand", start.isoformat(), end.isoformat()])


# --------------------------------------------------------------------------
# comparing

PARSERS: Final[Mapping[str, Callable[[bytes], list[ParsedEntry]]]] = {
    "icalendar": parse_with_icalendar,
    "vobject": parse_with_vobject,
    "ics-py": parse_with_ics_py,
    "ical.js": parse_with_icaljs,
}
"""The parsers that read VEVENT components one by one."""

EXPANSION_PARSERS: Final[Mapping[str, Callable[[bytes, date, date], list[ParsedEntry]]]] = {
    "recurring-ical-events": expand_with_recurring_ical_events,
    "ical.js": expand_with_icaljs,
}
"""The parsers that expand recurring events into occurrences."""


def _has_recurrence(ics: bytes) -> bool:
    return any(_recurs(event) for event in _icalendar_events(ics))


def parse_with_all(ics: bytes) -> dict[str, list[ParsedEntry]]:
    """Parse with every parser; returns ``{parser name: sorted entries}``.

    Always icalendar, vobject, ics-py and ical.js. recurring-ical-events takes
    part too when no VEVENT recurs (no RRULE, RDATE or RECURRENCE-ID): then its
    expansion over a very wide window lists exactly the components. For a feed
    with recurrences, compare the expansions with :func:`expand_with_all` /
    :func:`assert_expansions_agree` as well.
    """
    results = {name: parse(ics) for name, parse in PARSERS.items()}
    if not _has_recurrence(ics):
        results["recurring-ical-events"] = expand_with_recurring_ical_events(ics, *_WHOLE_WINDOW)
    return results


def expand_with_all(ics: bytes, start: date, end: date) -> dict[str, list[ParsedEntry]]:
    """Expand with recurring-ical-events and ical.js over [start, end)."""
    return {name: expand(ics, start, end) for name, expand in EXPANSION_PARSERS.items()}


def _format_entries(entries: Sequence[ParsedEntry]) -> str:
    if not entries:
        return "(no entry)"
    return "; ".join(f"start {entry.start}, end {entry.end}" for entry in entries)


def _describe_disagreement(results: Mapping[str, Sequence[ParsedEntry]]) -> str:
    names = list(results)
    counts = ", ".join(f"{name}={len(results[name])}" for name in names)
    lines = [f"parsers disagree (entry counts: {counts})"]

    grouped: dict[tuple[str, str | None], dict[str, list[ParsedEntry]]] = defaultdict(
        lambda: {name: [] for name in names}
    )
    for name in names:
        for entry in results[name]:
            grouped[(entry.uid, entry.recurrence_id)][name].append(entry)

    def order(item: tuple[str, str | None]) -> tuple[str, str]:
        return (item[0], item[1] or "")

    for uid, rid in sorted(grouped, key=order):
        per_parser = grouped[(uid, rid)]
        views = {name: tuple(sorted(e.key for e in per_parser[name])) for name in names}
        if len(set(views.values())) == 1:
            continue
        label = f"UID {uid}" + (f" RECURRENCE-ID {rid}" if rid else "")
        lines.append(f"- {label}:")
        missing = [name for name in names if not per_parser[name]]
        if missing:
            lines.append(f"    missing in: {', '.join(missing)}")
        single = all(len(per_parser[name]) == 1 for name in names if per_parser[name])
        present = [name for name in names if per_parser[name]]
        if single:
            for field in ("start", "end"):
                by_value: dict[Instant, list[str]] = defaultdict(list)
                for name in present:
                    by_value[getattr(per_parser[name][0], field)].append(name)
                if len(by_value) > 1:
                    lines.append(f"    {field}:")
                    for value, who in sorted(by_value.items(), key=lambda kv: -len(kv[1])):
                        lines.append(f"      {value!s:<32} <- {', '.join(who)}")
        else:
            for name in present:
                lines.append(f"    {name}: {_format_entries(per_parser[name])}")
    return "\n".join(lines)


def _assert_agree(results: Mapping[str, list[ParsedEntry]]) -> list[ParsedEntry]:
    keys = {name: Counter(entry.key for entry in entries) for name, entries in results.items()}
    reference = next(iter(keys.values()))
    if any(counter != reference for counter in keys.values()):
        raise AssertionError(_describe_disagreement(results))
    return next(iter(results.values()))


def assert_parsers_agree(ics: bytes) -> list[ParsedEntry]:
    """Assert that every parser of :func:`parse_with_all` reads the same entries.

    Compares the multisets of (uid, recurrence_id, start, end), hence also the
    count. Raises :class:`AssertionError` naming, per UID and RECURRENCE-ID,
    which parser saw which start or end. Returns the agreed entries, sorted
    by start (the icalendar parser's entries, including summary and status).
    """
    return _assert_agree(parse_with_all(ics))


def assert_expansions_agree(ics: bytes, start: date, end: date) -> list[ParsedEntry]:
    """Assert that recurring-ical-events and ical.js expand to the same occurrences."""
    return _assert_agree(expand_with_all(ics, start, end))
