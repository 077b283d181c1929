"""The one-line summary of a delivery, used as email subject and chat text.

"Registration closes in 3 days: Fifth thematic consultation (Vienna, 4-5 Sep 2017)"
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from compact_calendar.channels.base import Delivery
from compact_calendar.registry.items import AllDay, Item, Timed, Timing, event_timing

__all__ = [
    "countdown",
    "describe_event_when",
    "describe_span",
    "describe_when",
    "headline",
    "left_text",
    "place",
    "time_left",
]


def time_left(until: datetime, now: datetime) -> str:
    """ "3 days", "36 hours", "45 minutes", "now" (never negative)."""
    left = until - now
    if left <= timedelta(0):
        return "now"
    minutes = round(left.total_seconds() / 60)
    if minutes < 90:
        return f"{max(minutes, 1)} minute{'s' * (minutes != 1)}"
    hours = round(left.total_seconds() / 3600)
    if hours < 48:
        return f"{hours} hours"
    days = round(left.total_seconds() / 86400)
    return f"{days} days"


def describe_span(timing: Timing, zone: str, *, month_only: bool = False) -> str:
    """Compact dates: "4-5 Sep 2017", "29 Jun 2017", "4 Sep 2017 10:00-12:00 Europe/Vienna"."""
    if month_only and isinstance(timing, AllDay):
        return f"{timing.first:%B %Y} (date to be confirmed)"
    if isinstance(timing, Timed):
        start, end = timing.start, timing.end
        text = f"{start.day} {start:%b %Y %H:%M}"
        if end != start:
            same_day = end.date() == start.date()
            text += f"-{end:%H:%M}" if same_day else f" - {end.day} {end:%b %Y %H:%M}"
        return f"{text} {zone}"
    first, last = timing.first, timing.last
    if first == last:
        return f"{first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} - {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} - {last.day} {last:%b %Y}"


def describe_when(item: Item) -> str:
    return describe_span(item.timing, item.zone, month_only=item.month_only)


def place(item: Item) -> str | None:
    """The first part of the location ("Vienna" from "Vienna, Austria")."""
    if not item.location:
        return None
    return item.location.split(",")[0].strip() or None


def _days_left(item: Item, now: datetime) -> int | None:
    """Whole calendar days until an all-day item, counted in its zone; None if timed."""
    if not isinstance(item.timing, AllDay):
        return None
    target = item.timing.last if item.kind == "deadline" else item.timing.first
    return (target - now.astimezone(item.tzinfo).date()).days


def left_text(item: Item, now: datetime) -> str:
    """How long is left: "3 days" (calendar days for all-day items), "44 hours", "now"."""
    days = _days_left(item, now)
    if item.moment <= now:
        return "now"
    if days is None or days < 1:
        return time_left(item.moment, now)
    return f"{days} day{'s' * (days != 1)}"


def countdown(item: Item, now: datetime) -> str:
    """ "in 3 days", "tomorrow", "today", "in 5 hours", "now": a reminder sent 3 days
    before an all-day deadline says "in 3 days", whatever the hour it goes out."""
    days = _days_left(item, now)
    if item.moment <= now:
        return "now"
    if days == 1:
        return "tomorrow"
    if days == 0:
        return "today"
    return f"in {left_text(item, now)}"


def headline(delivery: Delivery) -> str:
    item, event = delivery.item, delivery.item.event
    now = delivery.now.astimezone(UTC)
    left = countdown(item, now)
    where = place(item)
    dates = describe_event_when(item, delivery.calendar.timezone)
    context = f"{event.title} ({where + ', ' if where else ''}{dates})"
    if delivery.kind == "cancelled":
        return f"Cancelled: {context}"
    if delivery.kind == "moved":
        return f"Moved: {context}"
    if delivery.kind == "test":
        return f"Test message from compact-calendar: {delivery.calendar.name}"
    if item.kind == "deadline":
        assert item.deadline is not None
        text = f"{item.deadline.title} {left}: {context}"
    elif item.kind == "session":
        assert item.session is not None
        text = f"{item.session.title} starts {left}: {context}"
    else:
        text = f"Starts {left}: {context}"
    return f"Late reminder: {text}" if delivery.late else text


def describe_event_when(item: Item, calendar_zone: str) -> str:
    """The dates of the event an item belongs to (for a deadline: the event, not the due)."""
    if item.kind == "event":
        return describe_when(item)
    timing, month_only = event_timing(item.event, calendar_zone)
    return describe_span(timing, item.event.timezone or calendar_zone, month_only=month_only)
