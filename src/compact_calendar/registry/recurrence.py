"""Recurring events: the rule, the dates it skips and gains, and the occurrences they give.

Pure. A series repeats in wall-clock time in its event's zone (RFC 5545 §3.3.10): a
14:00 call in Berlin stays at 14:00 across the change to summer time. So the rule is
expanded (by ``dateutil.rrule``) on naive local times and each occurrence is then placed
in the zone, the way a calendar client that reads ``DTSTART;TZID=...`` with an RRULE does.

:func:`analyse` turns an event's ``repeat:`` into a :class:`Recurrence` and every problem
found on the way, located relative to the event; :meth:`Recurrence.between` (or
:func:`occurrences`) lists the occurrences in a window; :func:`to_ical_properties` gives
the RRULE, EXDATE and RDATE values a feed writes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Literal

from dateutil.rrule import rrule, rrulestr

if TYPE_CHECKING:
    from icalendar.prop import vRecur

from compact_calendar.registry.items import AllDay, Timed, Timing, localize, span_instants
from compact_calendar.registry.model import Event, OccurrenceOverride, Repeat, Status
from compact_calendar.registry.values import MonthDate, When, parse_when, show_when, zone

__all__ = [
    "Finding",
    "Occurrence",
    "Recurrence",
    "RecurrenceError",
    "analyse",
    "normalize_rule",
    "occurrence_key",
    "occurrences",
    "recurrence_of",
    "to_ical_properties",
]

Local = date | datetime
"""An occurrence's place in the series: a date (all-day) or a naive wall-clock time."""

_SHORT_EVERY = re.compile(r"^(\d+)\s*([dwmy])$", re.IGNORECASE)
_FREQ_BY_UNIT = {"d": "DAILY", "w": "WEEKLY", "m": "MONTHLY", "y": "YEARLY"}
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
# RFC 5545 §3.3.10 order, used to write every rule the same way.
_PART_ORDER = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_LAST_SECOND = time(23, 59, 59)


class RecurrenceError(ValueError):
    """A ``repeat:`` that cannot be turned into a series; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem with a ``repeat:``, at ``path`` relative to its event."""

    severity: Literal["error", "warning"]
    path: tuple[str | int, ...]
    message: str
    key: bool = False
    """Point at the mapping key at ``path`` rather than its value."""


@dataclass(frozen=True, slots=True)
class Change:
    """An override resolved against its series: what one occurrence becomes."""

    status: Status | None
    start: Local | None
    end: Local | None
    title: str | None
    location: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of a series, as it actually happens."""

    key: str
    """Stable within the series: the original start, ``20171102`` or ``20171102T140000``."""
    recurrence_id: date | datetime
    """The original start (RECURRENCE-ID): a date, or an aware time in the event's zone."""
    timing: Timing
    status: Status
    moved: bool
    """Whether an override gave it another start or end than the rule did."""
    title: str | None = None
    """Override of the event's title for this occurrence only, if any."""
    location: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A validated series, in its event's zone."""

    zone: str
    rule: str
    """The RRULE value as a feed writes it: UNTIL in UTC for a timed series (§3.3.10)."""
    first: Local
    """DTSTART: a date, or a naive wall-clock time in ``zone``."""
    length: timedelta
    """How long each occurrence lasts: whole days (all-day) or an exact span (timed)."""
    status: Status
    exdates: tuple[Local, ...] = ()
    rdates: tuple[Local, ...] = ()
    overrides: tuple[tuple[Local, Change], ...] = ()
    _expander: rrule | None = field(default=None, compare=False, repr=False)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.first, datetime)

    @property
    def tzinfo(self) -> tzinfo:
        return zone(self.zone)

    def placed(self, local: Local) -> date | datetime:
        """A series value as a feed writes it: a date, or an aware time in the zone."""
        if isinstance(local, datetime):
            return localize(local, self.tzinfo)
        return local

    def between(self, start: datetime, end: datetime) -> list[Occurrence]:
        """The occurrences overlapping ``[start, end)`` (aware), in order of start.

        A zero-length occurrence is in the window when it starts inside it. Cancelled
        occurrences are included, with ``status="cancelled"``, so that callers can
        announce them; a moved occurrence counts where it moved to.
        """
        tz = self.tzinfo
        skipped = set(self.exdates)
        changes = dict(self.overrides)
        margin = self.length + timedelta(days=2)
        low = start.astimezone(tz).replace(tzinfo=None) - margin
        high = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=2)
        candidates = set(self._expand(low, high))
        candidates.update(d for d in self.rdates if low <= _as_datetime(d) <= high)
        candidates.update(changes)
        found = []
        for local in sorted(candidates - skipped, key=_as_datetime):
            occurrence = self._occurrence(local, changes.get(local))
            timing = occurrence.timing
            begin, finish = span_instants(timing, tz)
            if begin < end and (finish > start or (begin == finish and begin >= start)):
                found.append(occurrence)
        found.sort(key=lambda o: (span_instants(o.timing, tz)[0], o.key))
        return found

    def changed(self) -> list[Occurrence]:
        """Every occurrence an override changes, wherever it falls: the RECURRENCE-ID
        instances a feed publishes beside the series."""
        return sorted(
            (self._occurrence(local, change) for local, change in self.overrides),
            key=lambda o: _as_datetime(_date_or_naive(o.recurrence_id)),
        )

    def _expand(self, low: datetime, high: datetime) -> list[Local]:
        assert self._expander is not None
        values = self._expander.between(low, high, inc=True)
        if self.all_day:
            return [v.date() for v in values]
        return list(values)

    def _timing(self, start: Local, end: Local | None) -> Timing:
        tz = self.tzinfo
        if isinstance(start, datetime):
            begin = localize(start, tz)
            if isinstance(end, datetime):
                return Timed(begin, localize(end, tz))
            return Timed(begin, (begin.astimezone(UTC) + self.length).astimezone(tz))
        last = end if end is not None else start + self.length - timedelta(days=1)
        return AllDay(start, _date_of(last))

    def _occurrence(self, local: Local, change: Change | None) -> Occurrence:
        original = self._timing(local, None)
        if change is None:
            return Occurrence(
                occurrence_key(local), self.placed(local), original, self.status, False
            )
        timing = original if change.start is None else self._timing(change.start, change.end)
        status: Status = (
            "cancelled" if self.status == "cancelled" else (change.status or self.status)
        )
        return Occurrence(
            key=occurrence_key(local),
            recurrence_id=self.placed(local),
            timing=timing,
            status=status,
            moved=timing != original,
            title=change.title,
            location=change.location,
            description=change.description,
        )


def occurrence_key(local: Local) -> str:
    """The stable key of an occurrence from its original start (date or wall-clock time)."""
    if isinstance(local, datetime):
        return local.strftime("%Y%m%dT%H%M%S")
    return local.strftime("%Y%m%d")


def occurrences(
    event: Event, calendar_zone: str, start: datetime, end: datetime
) -> list[Occurrence]:
    """The occurrences of a (valid) recurring event overlapping ``[start, end)``."""
    return recurrence_of(event, calendar_zone).between(start, end)


def recurrence_of(event: Event, calendar_zone: str) -> Recurrence:
    """The series of a recurring event that passed validation.

    Raises :class:`RecurrenceError` with the first problem when the event has no valid
    ``repeat:`` (which validation reports in full, located).
    """
    recurrence, findings = analyse(event, calendar_zone)
    if recurrence is None:
        errors = [f.message for f in findings if f.severity == "error"]
        raise RecurrenceError(errors[0] if errors else f"event `{event.id}` does not repeat")
    return recurrence


def to_ical_properties(recurrence: Recurrence) -> list[tuple[str, vRecur | date | datetime]]:
    """The properties that make a VEVENT the series, in the order to add them.

    One value per EXDATE and RDATE line: several dates on one line are misread by some
    clients (vobject, ical.js). Times carry the event's zone; the feed writes its TZID.
    """
    from icalendar.prop import vRecur  # only feeds need it; validation stays light

    properties: list[tuple[str, vRecur | date | datetime]] = [
        ("RRULE", vRecur.from_ical(recurrence.rule))
    ]
    properties += [("EXDATE", recurrence.placed(d)) for d in recurrence.exdates]
    properties += [("RDATE", recurrence.placed(d)) for d in recurrence.rdates]
    return properties


# ---------------------------------------------------------------------------
# The rule


def normalize_rule(every: str) -> str:
    """``every:`` as an RFC 5545 RRULE value without UNTIL/COUNT, parts in RFC order.

    Raises :class:`RecurrenceError` for anything a calendar client could not show the
    same way, with a message saying what to write instead.
    """
    text = every.strip()
    if match := _SHORT_EVERY.match(text):
        interval = int(match.group(1))
        if interval < 1:
            raise RecurrenceError(f"`{text}` never repeats: the interval must be 1 or more")
        freq = _FREQ_BY_UNIT[match.group(2).lower()]
        return f"FREQ={freq}" + (f";INTERVAL={interval}" if interval > 1 else "")
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if "=" not in text:
        raise RecurrenceError(
            f"`{every}` is not a repeat interval: write 1d, 2w, 1m or 1y, or an RFC 5545 "
            'rule such as "FREQ=MONTHLY;BYDAY=1TH"'
        )
    parts: dict[str, list[str]] = {}
    for chunk in text.split(";"):
        name, sep, value = chunk.strip().partition("=")
        name = name.strip().upper()
        if not sep or not name or not value.strip():
            raise RecurrenceError(
                f"`{chunk.strip()}` in `{every}` is not NAME=VALUE: write parts like "
                "FREQ=WEEKLY;BYDAY=MO,WE separated by `;`"
            )
        if name in parts:
            raise RecurrenceError(f"{name} is given twice in `{every}`: keep one")
        parts[name] = [v.strip().upper() for v in value.split(",")]
    _check_parts(parts, every)
    return ";".join(f"{n}={','.join(parts[n])}" for n in _PART_ORDER if n in parts)


def _check_parts(parts: dict[str, list[str]], every: str) -> None:
    for name in parts:
        if name not in _PART_ORDER:
            raise RecurrenceError(
                f"{name} is not part of an RFC 5545 rule: calendar clients would ignore or "
                "reject it; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, WKST"
            )
    if "UNTIL" in parts or "COUNT" in parts:
        name = "UNTIL" if "UNTIL" in parts else "COUNT"
        raise RecurrenceError(
            f"write the end of the series as `{name.lower()}:` beside `every:` rather than "
            f"{name} inside the rule (then dates are read in the event's zone)"
        )
    freq = _single(parts, "FREQ", every)
    if freq in ("SECONDLY", "MINUTELY", "HOURLY"):
        raise RecurrenceError(
            f"FREQ={freq} repeats more often than daily, which calendar clients (Google, "
            "Outlook, Apple) cannot show: use FREQ=DAILY, or one event per time of day"
        )
    if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise RecurrenceError(
            f"FREQ={freq} is not a frequency: use DAILY, WEEKLY, MONTHLY or YEARLY"
        )
    for name in ("BYSECOND", "BYMINUTE", "BYHOUR"):
        if name in parts:
            raise RecurrenceError(
                f"{name} sets times of day, which Outlook and Google Calendar cannot show "
                "in a series: the time comes from `start`; make one event per time of day"
            )
    for name in ("BYWEEKNO", "BYYEARDAY"):
        if name in parts:
            raise RecurrenceError(
                f"{name} cannot be represented by Outlook or Google Calendar: describe the "
                "series with BYMONTH, BYMONTHDAY or BYDAY instead"
            )
    if "INTERVAL" in parts:
        _numbers(parts, "INTERVAL", 1, 1000, every, signed=False)
    months = _numbers(parts, "BYMONTH", 1, 12, every, signed=False)
    month_days = _numbers(parts, "BYMONTHDAY", 1, 31, every, signed=True)
    positions = _numbers(parts, "BYSETPOS", 1, 366, every, signed=True)
    days = _weekdays(parts, freq)
    if "WKST" in parts and _single(parts, "WKST", every) not in _WEEKDAYS:
        raise RecurrenceError(f"WKST={parts['WKST'][0]} is not a weekday: use MO to SU")
    if month_days and freq == "WEEKLY":
        raise RecurrenceError(
            "BYMONTHDAY cannot be used with FREQ=WEEKLY (RFC 5545): use FREQ=MONTHLY"
        )
    if month_days and not _month_day_possible(months or list(range(1, 13)), month_days):
        raise RecurrenceError(
            f"`{every}` never happens: none of the months has day "
            + ", ".join(str(d) for d in month_days)
        )
    if positions:
        _check_positions(freq, positions, days, month_days, every)


def _single(parts: dict[str, list[str]], name: str, every: str) -> str:
    values = parts.get(name)
    if not values:
        raise RecurrenceError(
            f"`{every}` has no {name}: start the rule with FREQ=DAILY, WEEKLY, MONTHLY or YEARLY"
        )
    if len(values) != 1:
        raise RecurrenceError(f"{name} takes one value, not {','.join(values)}")
    return values[0]


def _numbers(
    parts: dict[str, list[str]], name: str, low: int, high: int, every: str, *, signed: bool
) -> list[int]:
    numbers = []
    for value in parts.get(name, []):
        try:
            number = int(value)
        except ValueError:
            number = 0
        if not (low <= abs(number) <= high) or (number < 0 and not signed):
            span = f"{low} to {high}" + (
                f" (or -{high} to -{low}, counting back)" if signed else ""
            )
            raise RecurrenceError(f"{name}={value} in `{every}` is out of range: use {span}")
        numbers.append(number)
    return numbers


def _weekdays(parts: dict[str, list[str]], freq: str) -> list[str]:
    days = []
    for value in parts.get("BYDAY", []):
        match = _BYDAY.match(value)
        if not match:
            raise RecurrenceError(
                f"BYDAY={value} is not a weekday: use MO, TU, WE, TH, FR, SA, SU, with a "
                "number before it for monthly rules (1TH = first Thursday, -1FR = last Friday)"
            )
        if match.group(1):
            number = int(match.group(1))
            limit = {"MONTHLY": 5, "YEARLY": 53}.get(freq)
            if limit is None:
                raise RecurrenceError(
                    f"BYDAY={value}: a numbered weekday needs FREQ=MONTHLY or FREQ=YEARLY "
                    f"(RFC 5545); with FREQ={freq} write the weekday alone ({match.group(2)})"
                )
            if not 1 <= abs(number) <= limit:
                raise RecurrenceError(
                    f"BYDAY={value} is out of range: a {freq.lower()} rule counts weekdays "
                    f"from 1 to {limit} (or -1 to -{limit} from the end)"
                )
        days.append(value)
    return days


def _month_day_possible(months: Iterable[int], month_days: list[int]) -> bool:
    return any(abs(day) <= _DAYS_IN_MONTH[month - 1] for month in months for day in month_days)


def _check_positions(
    freq: str, positions: list[int], days: list[str], month_days: list[int], every: str
) -> None:
    """Refuse BYSETPOS values that can never select anything.

    Besides being a mistake, such a rule makes dateutil search to the year 9999.
    """
    if not days and not month_days:
        raise RecurrenceError(
            "BYSETPOS picks from the days that BYDAY or BYMONTHDAY give: add one of them"
        )
    largest: int | None = None
    if freq == "DAILY":
        largest = 1
    elif freq == "WEEKLY":
        largest = len(days)
    elif freq == "MONTHLY" and month_days and not days:
        largest = len(month_days)
    elif freq == "MONTHLY" and days and not month_days:
        # A numbered weekday (1TH) gives one day a month; a plain one up to five.
        largest = sum(1 if d[0] in "+-0123456789" else 5 for d in days)
    if largest is not None and any(abs(p) > largest for p in positions):
        raise RecurrenceError(
            f"BYSETPOS in `{every}` asks for a position beyond the {largest} day(s) each "
            f"{freq.lower().removesuffix('ly').replace('dai', 'day')} can have: "
            "the series would never happen"
        )


# ---------------------------------------------------------------------------
# The series


def analyse(event: Event, calendar_zone: str) -> tuple[Recurrence | None, list[Finding]]:
    """Build the series of ``event`` and report every problem, located in the event.

    Returns ``(None, findings)`` when an error makes the series unusable; warnings come
    with a usable series.
    """
    repeat = event.repeat
    if repeat is None:
        return None, []
    findings: list[Finding] = []
    builder = _Builder(event, repeat, calendar_zone, findings)
    recurrence = builder.build()
    if any(f.severity == "error" for f in findings):
        return None, findings
    return recurrence, findings


class _Builder:
    def __init__(
        self, event: Event, repeat: Repeat, calendar_zone: str, findings: list[Finding]
    ) -> None:
        self.event = event
        self.repeat = repeat
        self.zone_name = event.timezone or calendar_zone
        self.tz = zone(self.zone_name)
        self.findings = findings

    def error(self, path: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        self.findings.append(Finding("error", ("repeat", *path), message, key))

    def warning(self, path: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        self.findings.append(Finding("warning", ("repeat", *path), message, key))

    def local(self, value: datetime) -> datetime:
        """A registry date-time as wall-clock time in the event's zone."""
        if value.tzinfo is None:
            return value
        return value.astimezone(self.tz).replace(tzinfo=None)

    def build(self) -> Recurrence | None:
        event, repeat = self.event, self.repeat
        if event.sessions:
            self.error(
                (),
                "an event with `sessions` cannot also `repeat`: make the recurring part its "
                "own event (each occurrence is then one calendar entry)",
                key=True,
            )
            return None
        if isinstance(event.start, MonthDate) or isinstance(event.end, MonthDate):
            self.error(
                (),
                "a recurring event needs a start day, not only a month: give `start` as YYYY-MM-DD",
                key=True,
            )
            return None
        try:
            rule = normalize_rule(repeat.every)
        except RecurrenceError as exc:
            self.error(("every",), str(exc))
            return None
        first, length = self.first_and_length()
        if length < timedelta(0):
            return None  # `end` before `start`: reported by the span rules
        all_day = not isinstance(first, datetime)
        until_bound, until_value = self.until(first)
        if repeat.until is not None and repeat.count is not None:
            self.error(
                ("count",),
                "give either `until` or `count`, not both: the series ends by one of them",
            )
            return None
        if until_bound is None and repeat.until is not None:
            return None
        full_rule, local_rule = rule, rule
        if until_bound is not None and until_value is not None:
            full_rule = _with_part(rule, "UNTIL", until_value)
            # dateutil compares UNTIL with the naive wall-clock DTSTART: give it local time.
            local_rule = _with_part(rule, "UNTIL", f"{_as_datetime(until_bound):%Y%m%dT%H%M%S}")
        elif repeat.count is not None:
            full_rule = local_rule = _with_part(rule, "COUNT", str(repeat.count))
        try:
            expander = rrulestr(local_rule, dtstart=_as_datetime(first))
        except ValueError as exc:  # our checks should leave dateutil nothing to refuse
            self.error(("every",), f"`{repeat.every}` is not a valid rule ({exc})")
            return None
        assert isinstance(expander, rrule)
        if not self.starts_series(expander, first, rule):
            return None
        self.warn_short_months(rule, first)
        exdates = self.exceptions(expander, all_day)
        rdates = self.extras(expander, all_day, first, set(exdates))
        if not self.any_left(expander, exdates, rdates):
            return None
        overrides = self.overrides(expander, all_day, set(exdates), set(rdates))
        return Recurrence(
            zone=self.zone_name,
            rule=full_rule,
            first=first,
            length=length,
            status=event.status,
            exdates=tuple(exdates),
            rdates=tuple(rdates),
            overrides=tuple(overrides),
            _expander=expander,
        )

    def first_and_length(self) -> tuple[Local, timedelta]:
        start, end = self.event.start, self.event.end
        if isinstance(start, datetime):
            first = self.local(start)
            if isinstance(end, datetime):
                begin = localize(first, self.tz)
                finish = localize(self.local(end), self.tz)
                return first, finish.astimezone(UTC) - begin.astimezone(UTC)
            return first, timedelta(0)
        assert isinstance(start, date)
        last = end if isinstance(end, date) and not isinstance(end, datetime) else start
        return start, last - start + timedelta(days=1)

    def until(self, first: Local) -> tuple[Local | None, str | None]:
        """The last moment an occurrence may start, and its RRULE spelling."""
        until = self.repeat.until
        if until is None:
            return None, None
        if isinstance(until, MonthDate):
            self.error(("until",), f"`{until}` gives only the month: write the last day")
            return None, None
        bound: Local
        if isinstance(first, datetime):
            if isinstance(until, datetime):
                bound = self.local(until)
            else:
                bound = datetime.combine(until, _LAST_SECOND)
        elif isinstance(until, datetime):
            self.error(
                ("until",),
                "an all-day series ends on a day: write `until` as a date (YYYY-MM-DD)",
            )
            return None, None
        else:
            bound = until
        if _as_datetime(bound) < _as_datetime(first):
            self.error(
                ("until",),
                f"`until` ({show_when(until)}) is before `start` ({show_when(first)}): "
                "the series would never happen; fix the date",
            )
            return None, None
        if isinstance(bound, datetime):
            # A timed series with a TZID must give UNTIL in UTC (RFC 5545 §3.3.10).
            utc = localize(bound, self.tz).astimezone(UTC)
            return bound, utc.strftime("%Y%m%dT%H%M%SZ")
        return bound, bound.strftime("%Y%m%d")

    def starts_series(self, expander: rrule, first: Local, rule: str) -> bool:
        """Whether ``start`` is the series' first occurrence, as clients assume."""
        start_at = _as_datetime(first)
        found = expander.after(start_at, inc=True)
        if found == start_at:
            return True
        if found is None:
            self.error(
                ("every",),
                f"`{rule}` produces no occurrence from {show_when(first)}"
                + (" before `until`" if self.repeat.until is not None else "")
                + ": check the rule and the dates",
            )
            return False
        shown = found if isinstance(first, datetime) else found.date()
        self.error(
            ("every",),
            f"`start` ({_weekday(first)}) is not an occurrence of `{rule}`, and calendar "
            f"clients disagree about such a series: start it on its first occurrence, "
            f"{_weekday(shown)}",
        )
        return False

    def warn_short_months(self, rule: str, first: Local) -> None:
        parts = dict(p.split("=", 1) for p in rule.split(";"))
        if any(name in parts for name in ("BYDAY", "BYMONTHDAY", "BYMONTH")):
            return
        if parts["FREQ"] == "MONTHLY" and first.day > 28:
            self.warning(
                ("every",),
                f"a monthly series from day {first.day} skips the months that have no day "
                f"{first.day}: for the last day of each month write "
                '"FREQ=MONTHLY;BYMONTHDAY=-1"',
            )
        elif parts["FREQ"] == "YEARLY" and (first.month, first.day) == (2, 29):
            self.warning(("every",), "a yearly series from 29 February happens in leap years only")

    def named(
        self, expander: rrule, value: When, all_day: bool, extra: Iterable[Local] = ()
    ) -> list[Local]:
        """The occurrences (of the rule, or among ``extra``) that ``value`` names.

        A date names the occurrences on that day; a date-time names the one starting then.
        """
        if all_day:
            if isinstance(value, datetime) or not isinstance(value, date):
                return []
            at = datetime.combine(value, time())
            found: list[Local] = [value] if expander.after(at, inc=True) == at else []
            return found + [d for d in extra if d == value]
        if isinstance(value, datetime):
            at = self.local(value)
            found = [at] if expander.after(at, inc=True) == at else []
            return found + [d for d in extra if d == at]
        if not isinstance(value, date):
            return []
        day_start = datetime.combine(value, time())
        on_day = expander.between(day_start, day_start + timedelta(days=1), inc=True)
        found = [d for d in on_day if d.date() == value]
        return found + [d for d in extra if isinstance(d, datetime) and d.date() == value]

    def exceptions(self, expander: rrule, all_day: bool) -> list[Local]:
        skipped: list[Local] = []
        for i, value in enumerate(self.repeat.except_):
            path = ("except", i)
            if isinstance(value, MonthDate):
                self.error(path, f"`{value}` gives only the month: write the day skipped")
                continue
            if all_day and isinstance(value, datetime):
                self.error(path, "this series is all-day: write the day skipped as a date")
                continue
            found = self.named(expander, value, all_day)
            if not found:
                self.error(
                    path,
                    f"{show_when(value)} is not an occurrence of this series, so it cannot be "
                    f"skipped ({self.nearest(expander, value, all_day)}): fix the date",
                )
                continue
            for local in found:
                if local in skipped:
                    self.warning(path, f"{show_when(value)} is listed twice in `except`")
                else:
                    skipped.append(local)
        return sorted(skipped, key=_as_datetime)

    def extras(
        self, expander: rrule, all_day: bool, first: Local, skipped: set[Local]
    ) -> list[Local]:
        extra: list[Local] = []
        for i, value in enumerate(self.repeat.also):
            path = ("also", i)
            if isinstance(value, MonthDate):
                self.error(path, f"`{value}` gives only the month: write the extra day")
                continue
            local: Local
            if all_day:
                if isinstance(value, datetime):
                    self.error(path, "this series is all-day: write the extra day as a date")
                    continue
                local = value
            elif isinstance(value, datetime):
                local = self.local(value)
            else:
                assert isinstance(first, datetime)
                local = datetime.combine(value, first.time())
            if local in skipped:
                self.error(
                    path,
                    f"{show_when(value)} is both skipped (`except`) and added (`also`): keep one",
                )
            elif local in extra or expander.after(_as_datetime(local), inc=True) == _as_datetime(
                local
            ):
                self.warning(
                    path,
                    f"{show_when(value)} is already an occurrence of this series: remove it "
                    "from `also`",
                )
            else:
                extra.append(local)
        return sorted(extra, key=_as_datetime)

    def any_left(self, expander: rrule, exdates: list[Local], rdates: list[Local]) -> bool:
        if rdates:
            return True
        skipped = {_as_datetime(d) for d in exdates}
        head = list(itertools.islice(iter(expander), len(skipped) + 1))
        if any(value not in skipped for value in head):
            return True
        self.error(
            ("except",),
            "every occurrence of the series is skipped: nothing would be published; "
            "remove dates from `except` or drop the event",
            key=True,
        )
        return False

    def overrides(
        self, expander: rrule, all_day: bool, skipped: set[Local], extra: set[Local]
    ) -> Iterator[tuple[Local, Change]]:
        seen: dict[Local, str] = {}
        for name, override in self.repeat.overrides.items():
            path = ("overrides", name)
            try:
                when = parse_when(name)
            except ValueError as exc:
                self.error(path, f"an override is keyed by its occurrence's date: {exc}", key=True)
                continue
            if isinstance(when, MonthDate) or (all_day and isinstance(when, datetime)):
                self.error(
                    path,
                    f"`{name}`: key an override by the date of the occurrence it changes "
                    "(YYYY-MM-DD)",
                    key=True,
                )
                continue
            found = self.named(expander, when, all_day, extra)
            if len(found) > 1:
                found = [d for d in found if d not in skipped] or found
            if not found:
                self.error(
                    path,
                    f"{name} is not an occurrence of this series "
                    f"({self.nearest(expander, when, all_day)}): key the override by the "
                    "original date of the occurrence it changes",
                    key=True,
                )
                continue
            if len(found) > 1:
                times = ", ".join(f"{d:%H:%M}" for d in found if isinstance(d, datetime))
                self.error(
                    path,
                    f"{name} has several occurrences ({times}): key the override by the "
                    "date and time, like 2017-11-02T14:00",
                    key=True,
                )
                continue
            local = found[0]
            if local in skipped:
                self.error(
                    path,
                    f"the occurrence on {name} is skipped by `except`: remove it from "
                    "`except` or from `overrides`",
                    key=True,
                )
                continue
            if local in seen:
                self.error(
                    path,
                    f"{name} changes the same occurrence as `{seen[local]}`: merge them",
                    key=True,
                )
                continue
            seen[local] = name
            change = self.change(path, override, all_day)
            if change is not None:
                yield local, change

    def change(
        self, path: tuple[str | int, ...], override: OccurrenceOverride, all_day: bool
    ) -> Change | None:
        values: dict[str, Local | None] = {}
        for name in ("start", "end"):
            value = getattr(override, name)
            if value is None:
                values[name] = None
            elif isinstance(value, MonthDate) or all_day == isinstance(value, datetime):
                kind = "a date (YYYY-MM-DD)" if all_day else "a date-time (YYYY-MM-DDTHH:MM)"
                self.error((*path, name), f"this series is {_kind(all_day)}: write {kind}")
                return None
            else:
                values[name] = self.local(value) if isinstance(value, datetime) else value
        start, end = values["start"], values["end"]
        if start is not None and end is not None and _as_datetime(end) < _as_datetime(start):
            self.error(
                (*path, "end"), f"`end` ({show_when(end)}) is before `start` ({show_when(start)})"
            )
            return None
        if end is not None and start is None:
            self.error(
                (*path, "end"),
                "a moved occurrence needs its new `start` too (the end alone is ambiguous)",
            )
            return None
        if (
            not any(
                v is not None for v in (start, override.status, override.title, override.location)
            )
            and override.description is None
        ):
            self.warning(path, "this override changes nothing: remove it", key=True)
        return Change(
            status=override.status,
            start=start,
            end=end,
            title=override.title,
            location=override.location,
            description=override.description,
        )

    def nearest(self, expander: rrule, value: When, all_day: bool) -> str:
        if isinstance(value, MonthDate):
            return "give a day"
        at = _as_datetime(value if not isinstance(value, datetime) else self.local(value))
        near = [expander.before(at), expander.after(at)]
        shown = [_weekday(d.date() if all_day else d) for d in near if d is not None]
        return "nearest: " + " and ".join(shown) if shown else "the series has no occurrence"


def _with_part(rule: str, name: str, value: str) -> str:
    freq, _, rest = rule.partition(";")
    return f"{freq};{name}={value}" + (f";{rest}" if rest else "")


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time())


def _date_or_naive(value: date | datetime) -> date | datetime:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def _date_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _kind(all_day: bool) -> str:
    return "all-day" if all_day else "timed"


def _weekday(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return f"{value:%a %Y-%m-%d %H:%M}"
    return f"{value:%a %Y-%m-%d}"
