"""RFC 5545 content lines: TEXT escaping, folding at 75 octets, date and time values.

Feeds are written line by line rather than through icalendar's component objects: a
10,000-event registry is rendered in a fraction of the time, and the only helpers
icalendar exposes for this (``escape_char``, ``foldline``) are deprecated for version 8.
Parsing is left to the libraries; the interop tests read every feed back with five.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "CRLF",
    "MAX_LINE_OCTETS",
    "escape_text",
    "fold",
    "format_date",
    "format_duration",
    "format_local",
    "format_utc",
    "line",
    "text_list",
]

CRLF = "\r\n"
MAX_LINE_OCTETS = 75

# Control characters other than TAB cannot appear in a TEXT value (RFC 5545 3.3.11);
# newlines are escaped as \n, the rest are dropped so no client chokes on them.
_DROPPED_CONTROLS = dict.fromkeys((*range(0, 9), *range(11, 13), *range(14, 32), 127))
_HAS_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_text(value: str) -> str:
    r"""Escape a TEXT value: backslash, semicolon, comma and newlines (``\n``).

    Whatever the registry says, the result is one content line, so no registry text can
    add properties or components to a feed.
    """
    if _HAS_CONTROL.search(value):
        value = value.translate(_DROPPED_CONTROLS)
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def text_list(values: list[str]) -> str:
    """A multi-valued TEXT property (CATEGORIES): each value escaped, joined by commas."""
    return ",".join(escape_text(v) for v in values)


def fold(content: str) -> str:
    """One content line, folded at 75 octets and terminated by CRLF.

    Folds fall between UTF-8 sequences and never right after the backslash that starts
    an escape (some clients read a fold inside ``\\n`` as a stray backslash).
    """
    if content.isascii():
        # One octet per character: cut the text itself, sparing an encode and a decode.
        return _fold_ascii(content) + CRLF
    encoded = content.encode()
    if len(encoded) <= MAX_LINE_OCTETS:
        return content + CRLF
    pieces: list[bytes] = []
    start, limit = 0, MAX_LINE_OCTETS
    while len(encoded) - start > limit:
        cut = start + limit
        while encoded[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte
            cut -= 1
        chunk = encoded[start:cut]
        trailing = len(chunk) - len(chunk.rstrip(b"\\"))
        if trailing % 2:
            cut -= 1
        pieces.append(encoded[start:cut])
        start = cut
        limit = MAX_LINE_OCTETS - 1  # the leading space of a continuation counts
    pieces.append(encoded[start:])
    return (b"\r\n ".join(pieces) + b"\r\n").decode()


def _fold_ascii(content: str) -> str:
    """``content`` (ASCII) folded as :func:`fold` folds, without the final CRLF."""
    if len(content) <= MAX_LINE_OCTETS:
        return content
    pieces: list[str] = []
    start, limit, end = 0, MAX_LINE_OCTETS, len(content)
    while end - start > limit:
        cut = start + limit
        chunk = content[start:cut]
        if (len(chunk) - len(chunk.rstrip("\\"))) % 2:
            cut -= 1
        pieces.append(content[start:cut])
        start = cut
        limit = MAX_LINE_OCTETS - 1
    pieces.append(content[start:])
    return "\r\n ".join(pieces)


def line(name: str, value: str) -> str:
    """``NAME:value`` folded; ``value`` must already be escaped for its type."""
    return fold(f"{name}:{value}")


def format_date(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def format_local(value: datetime) -> str:
    """The wall-clock time of ``value`` (the zone goes in a TZID parameter)."""
    return (
        f"{value.year:04d}{value.month:02d}{value.day:02d}"
        f"T{value.hour:02d}{value.minute:02d}{value.second:02d}"
    )


def format_utc(value: datetime) -> str:
    return format_local(value.astimezone(UTC)) + "Z"


def format_duration(value: timedelta) -> str:
    """A positive DURATION value such as ``PT6H`` or ``P1D``."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise ValueError("a published duration must be positive")
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    clock += f"{seconds}S" if seconds else ""
    return text + ("T" + clock if clock else "")
