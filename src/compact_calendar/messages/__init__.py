"""Pure rendering of reminder messages: headline, text, HTML and chat payload content.

:func:`message_for` words a delivery's facts once; :class:`Templates` lays them out as
plain text, HTML and each chat markup, from Jinja2 templates staff may override.
"""

from compact_calendar.messages.content import Message, MessageLink, When, message_for
from compact_calendar.messages.headline import (
    countdown,
    describe_event_when,
    describe_span,
    describe_when,
    headline,
    left_text,
    place,
    time_left,
)
from compact_calendar.messages.render import Templates, override_directory

__all__ = [
    "Message",
    "MessageLink",
    "Templates",
    "When",
    "countdown",
    "describe_event_when",
    "describe_span",
    "describe_when",
    "headline",
    "left_text",
    "message_for",
    "override_directory",
    "place",
    "time_left",
]
