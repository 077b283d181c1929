"""Pure rendering of reminder messages: headline, text, HTML and chat payload content."""

from compact_calendar.messages.headline import (
    describe_event_when,
    describe_span,
    describe_when,
    headline,
    place,
    time_left,
)

__all__ = [
    "describe_event_when",
    "describe_span",
    "describe_when",
    "headline",
    "place",
    "time_left",
]
