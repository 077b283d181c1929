"""The registry's value types: when things happen, offsets, zones, slugs, URLs.

Each parser takes what YAML gave (usually the text the user wrote) and returns a typed
value or raises ``ValueError`` with a message that says how to write it correctly.
"""

from __future__ import annotations

import calendar as _calendar
import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

__all__ = [
    "AOE",
    "URL",
    "Email",
    "MonthDate",
    "Offset",
    "OffsetValue",
    "Slug",
    "TimeOfDay",
    "When",
    "WhenValue",
    "ZoneName",
    "parse_offset",
    "parse_when",
    "show_when",
    "zone",
]

AOE = "AoE"
_AOE_TZ = timezone(timedelta(hours=-12), AOE)
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s*(Z|[+-]\d{2}(?::?\d{2})?))?$"
)
_SHORT_OFFSET = re.compile(r"^(\d+)\s*([dhmw])$")
_ISO_DURATION = re.compile(
    r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.IGNORECASE
)
# scheme://[userinfo@]host[:port][/path][?query][#fragment], host a name or [IPv6].
_WEB_URL = re.compile(
    r"^https?://(?:[^/?#@\s]+@)?(?:[^\W_](?:[\w.-]*[^\W_])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::\d{1,5})?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})$")
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True, slots=True, order=True)
class MonthDate:
    """A date known only to the month (``2018-02``), for tentative events."""

    year: int
    month: int

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, _calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


When = date | datetime | MonthDate
"""A date (all-day), a month (tentative), or a date-time: naive means local to the zone."""


def show_when(value: When) -> str:
    """A date, date-time (to the minute) or month as the registry writes it."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return value.isoformat() if isinstance(value, date) else str(value)


def parse_when(value: Any) -> When:
    if isinstance(value, datetime | date | MonthDate):
        return value
    if not isinstance(value, str):
        raise ValueError(
            "expected a date like 2017-09-04, a date-time like 2017-09-04T10:00, "
            f"or a month like 2018-02, not {value!r}"
        )
    text = value.strip()
    try:
        if match := _DATE.match(text):
            return date(*map(int, match.groups()))
        if match := _DATETIME.match(text):
            y, mo, d, h, mi, s, offset = match.groups()
            return datetime(
                int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=_offset_tz(offset)
            )
        if match := _MONTH.match(text):
            year, month = map(int, match.groups())
            if not 1 <= month <= 12:
                raise ValueError(f"month {month} does not exist")
            return MonthDate(year, month)
    except ValueError as exc:
        raise ValueError(f"`{text}` is not a real date or time ({exc})") from None
    raise ValueError(
        f"`{text}` is not a date (2017-09-04), a date-time (2017-09-04T10:00, "
        "2017-09-04T10:00+02:00, 2017-09-04T08:00Z) or a month (2018-02)"
    )


def _offset_tz(offset: str | None) -> tzinfo | None:
    if offset is None:
        return None
    if offset == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"offset {offset} is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


@dataclass(frozen=True, slots=True, order=True)
class Offset:
    """How long before an item a reminder goes: whole days and/or an exact span."""

    days: int
    seconds: int

    @property
    def delta(self) -> timedelta:
        return timedelta(days=self.days, seconds=self.seconds)

    @property
    def key(self) -> str:
        """A canonical spelling, stable across ``14d``/``P14D``/``2w``."""
        if not self.seconds:
            return f"{self.days}d"
        total = self.days * 86400 + self.seconds
        if total % 3600 == 0:
            return f"{total // 3600}h"
        if total % 60 == 0:
            return f"{total // 60}m"
        return f"{total}s"

    def __str__(self) -> str:
        return self.key


def parse_offset(value: Any) -> Offset:
    if isinstance(value, Offset):
        return value
    text = str(value).strip() if isinstance(value, str | int) else ""
    if match := _SHORT_OFFSET.match(text.lower()):
        amount, unit = int(match.group(1)), match.group(2)
        offset = {
            "w": Offset(7 * amount, 0),
            "d": Offset(amount, 0),
            "h": Offset(0, 3600 * amount),
            "m": Offset(0, 60 * amount),
        }[unit]
    elif (match := _ISO_DURATION.match(text)) and text.upper() not in ("P", "PT"):
        w, d, h, m, s = (int(g or 0) for g in match.groups())
        offset = Offset(7 * w + d, 3600 * h + 60 * m + s)
    else:
        raise ValueError(
            f"`{value}` is not an offset: write a number and a unit such as 14d, 36h, 90m "
            "or 2w, or an ISO 8601 duration such as P14D or PT36H"
        )
    if offset.days == 0 and offset.seconds == 0:
        raise ValueError("an offset of zero sends the reminder at the item itself; use 1m or more")
    return offset


def parse_time_of_day(value: Any) -> time:
    if isinstance(value, time):
        return value
    match = _TIME_OF_DAY.match(str(value).strip()) if isinstance(value, str) else None
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueError(f'`{value}` is not a time of day: write it as "09:00" (24-hour, quoted)')


@lru_cache(maxsize=512)
def zone(name: str) -> tzinfo:
    """The tzinfo for a registry zone name; ``AoE`` is the fixed offset UTC-12."""
    if name == AOE:
        return _AOE_TZ
    return ZoneInfo(name)


def check_zone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected an IANA time zone name such as Europe/Vienna")
    name = value.strip()
    if name == AOE:
        return name
    if name.lower() == "aoe":
        raise ValueError(f"`{name}`: write `AoE` (anywhere on earth, UTC-12)")
    try:
        if ".." in name or name.startswith("/"):
            raise ValueError(name)
        zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name, _zone_names(), n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else " such as Europe/Vienna or AoE"
        raise ValueError(f"`{name}` is not an IANA time zone{hint}") from None
    return name


@lru_cache(maxsize=1)
def _zone_names() -> list[str]:
    return sorted(available_timezones() | {AOE})


def check_slug(value: Any) -> str:
    if isinstance(value, str) and _SLUG.match(value):
        return value
    raise ValueError(
        f"`{value}` is not a valid id: use lowercase letters, digits and hyphens "
        "(at most 64, not starting or ending with a hyphen), like `gcm-tc5-vienna`"
    )


def check_url(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip()
        if _WEB_URL.match(text) and not _URL_FORBIDDEN.search(text):
            return text
    raise ValueError(
        f"`{value}` is not a web address: write a full http:// or https:// URL "
        "(encode spaces as %20)"
    )


def check_email(value: Any) -> str:
    if isinstance(value, str) and _EMAIL.match(value.strip()):
        return value.strip()
    raise ValueError(f"`{value}` is not an email address like secretariat@example.org")


def check_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, not {type(value).__name__} `{value}`")


def _schema(**schema: Any) -> WithJsonSchema:
    return WithJsonSchema(schema)


_WHEN_PATTERN = r"^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2})?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?)?$"

WhenValue = Annotated[
    When,
    PlainValidator(parse_when),
    PlainSerializer(lambda v: v.isoformat() if isinstance(v, date) else str(v)),
    _schema(
        type="string",
        pattern=_WHEN_PATTERN,
        description="A date (2017-09-04, all-day), a date-time (2017-09-04T10:00, local to "
        "the item's zone unless it carries an offset), or a month (2018-02, tentative only).",
        examples=["2017-09-04", "2017-09-04T10:00", "2018-02"],
    ),
]
OffsetValue = Annotated[
    Offset,
    PlainValidator(parse_offset),
    PlainSerializer(str),
    _schema(
        type="string",
        pattern=r"^(\d+\s*[dhmwDHMW]|[Pp](\d+[Ww])?(\d+[Dd])?([Tt](\d+[Hh])?(\d+[Mm])?(\d+[Ss])?)?)$",
        description="How long before: 14d, 36h, 90m, 2w, or an ISO 8601 duration (P14D).",
        examples=["14d", "36h", "P14D"],
    ),
]
TimeOfDay = Annotated[
    time,
    PlainValidator(parse_time_of_day),
    PlainSerializer(lambda t: t.strftime("%H:%M")),
    _schema(type="string", pattern=r"^\d{1,2}:\d{2}$", examples=["09:00"]),
]
ZoneName = Annotated[
    str,
    PlainValidator(check_zone),
    _schema(
        type="string",
        description="An IANA time zone (Europe/Vienna), or AoE (anywhere on earth, UTC-12).",
        examples=["Asia/Manila", "Europe/Vienna", "AoE"],
    ),
]
Slug = Annotated[
    str,
    PlainValidator(check_slug),
    _schema(type="string", pattern=_SLUG.pattern, examples=["gcm-tc5-vienna"]),
]
URL = Annotated[
    str,
    PlainValidator(check_url),
    _schema(type="string", pattern=r"^(https?://|\$\{)", examples=["https://example.org/"]),
]
Email = Annotated[
    str,
    PlainValidator(check_email),
    _schema(type="string", examples=["secretariat@example.org"]),
]
Text = Annotated[str, PlainValidator(check_text), _schema(type="string")]
