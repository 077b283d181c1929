"""Helpers for testing code that produces compact-calendar feeds.

Shipped with the package (like ``structlog.testing``) so that tests of this
project and of its users can check a feed against several iCalendar parsers.
Nothing here imports pytest.
"""

from compact_calendar.testing.interop import (
    EXPANSION_PARSERS,
    ICALJS_ENV_VAR,
    NO_END,
    PARSERS,
    Instant,
    InstantKind,
    InteropToolMissingError,
    ParsedEntry,
    assert_expansions_agree,
    assert_parsers_agree,
    expand_with_all,
    expand_with_icaljs,
    expand_with_recurring_ical_events,
    parse_with_all,
    parse_with_icalendar,
    parse_with_icaljs,
    parse_with_ics_py,
    parse_with_vobject,
)

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
