"""What a reminder says, independent of how it is shown.

:func:`message_for` turns a :class:`~compact_calendar.channels.base.Delivery` into a
:class:`Message`: the facts an organiser needs to act (what, when in the item's zone and
in UTC, how long is left, where, the links), already worded. Templates and chat payload
builders only lay these facts out, so every channel says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from compact_calendar.channels.base import Delivery, DeliveryKind
from compact_calendar.messages.headline import (
    countdown,
    describe_when,
    headline,
    left_text,
    place,
)
from compact_calendar.messages.sanitize import single_line
from compact_calendar.registry.items import AllDay, Item, ItemKind, Timed
from compact_calendar.registry.model import Status

__all__ = ["Message", "MessageLink", "When", "calendar_url", "format_instant", "message_for"]


@dataclass(frozen=True, slots=True)
class MessageLink:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class When:
    """When an item happens, worded twice: in its own zone and in UTC."""

    local: str
    utc: str


@dataclass(frozen=True, slots=True)
class Message:
    kind: DeliveryKind
    subject: str
    """One line: the email subject and the first line of every chat message."""
    lead: str
    """The opening sentence: what happens and how long is left."""
    item_kind: ItemKind
    title: str
    event_title: str
    status: Status
    when: When
    time_left: str
    late: bool
    late_note: str | None
    """For a catch-up send: when it was meant to go."""
    previous_when: When | None
    """For a "moved" notice: when the item was before it moved."""
    location: str | None
    place: str | None
    description: str | None
    action: MessageLink | None
    """The one thing to click: the registration form, or the event's page."""
    links: tuple[MessageLink, ...]
    calendar_url: str | None
    """The event's own feed (``/events/<id>.ics``): one click to add it to a calendar."""
    calendar_name: str
    uid: str
    reminder_key: str


def format_instant(moment: datetime) -> str:
    """ "Fri 18 Aug 2017 21:59" in the moment's own zone (no zone name)."""
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M}"


def _utc(moment: datetime) -> str:
    return format_instant(moment.astimezone(UTC)) + " UTC"


def when_of(item: Item) -> When:
    timing = item.timing
    if item.kind == "deadline":
        if isinstance(timing, Timed):
            return When(f"{format_instant(timing.start)} {item.zone}", _utc(item.start_instant))
        due = timing.last
        local = (
            f"by the end of {due:%B %Y} (exact date to be confirmed), {item.zone}"
            if item.month_only
            else f"by the end of {due:%a} {due.day} {due:%b %Y}, {item.zone}"
        )
        return When(local, _utc(item.end_instant))
    if isinstance(timing, AllDay):
        days = "all day" if timing.first == timing.last else "all days"
        local = f"{describe_when(item)} ({days}, {item.zone})"
        return When(local, f"{_utc(item.start_instant)} to {_utc(item.end_instant)}")
    if timing.start == timing.end:
        return When(describe_when(item), _utc(item.start_instant))
    return When(describe_when(item), f"{_utc(item.start_instant)} to {_utc(item.end_instant)}")


def calendar_url(public_url: str | None, item: Item) -> str | None:
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/events/{item.event.id}.ics"


def _lead(delivery: Delivery, left: str) -> str:
    item = delivery.item
    if delivery.kind == "test":
        return (
            f"This is a test message from compact-calendar ({delivery.calendar.name}). "
            f"Reminders sent through this channel will look like this one, about: {item.title}."
        )
    if delivery.kind == "cancelled":
        return f"Cancelled: {item.title} will not take place as announced."
    if delivery.kind == "moved":
        return f"Moved: {item.title} has a new date."
    if item.status == "cancelled":
        return f"{item.title} is cancelled."
    if item.kind == "deadline":
        assert item.deadline is not None
        return f"{item.deadline.title} {left}, for {item.event.title}."
    return f"{item.title} starts {left}."


def _links(item: Item, action: MessageLink | None) -> tuple[MessageLink, ...]:
    seen = {action.url} if action else set()
    result: list[MessageLink] = []
    candidates = [MessageLink(single_line(link.title), link.url) for link in item.links]
    if item.event.url:
        candidates.append(MessageLink("Event page", item.event.url))
    for link in candidates:
        if link.url not in seen:
            seen.add(link.url)
            result.append(link)
    return tuple(result)


def _action(item: Item) -> MessageLink | None:
    if item.kind == "deadline" and item.deadline is not None and item.deadline.url:
        return MessageLink("Register or submit", item.deadline.url)
    if item.url:
        return MessageLink("Details", item.url)
    return None


def message_for(delivery: Delivery) -> Message:
    """The content of ``delivery``, worded for people."""
    item = delivery.item
    now = delivery.now.astimezone(UTC)
    left = countdown(item, now)
    late_note = None
    if delivery.late and delivery.kind == "reminder":
        late_note = (
            f"This reminder is late: it was due {_utc(delivery.due)}, "
            "when the reminder service could not send it."
        )
    action = _action(item)
    previous = delivery.previous
    return Message(
        kind=delivery.kind,
        subject=single_line(headline(delivery)),
        lead=single_line(_lead(delivery, left)),
        item_kind=item.kind,
        title=single_line(item.title),
        event_title=single_line(item.event.title),
        status=item.status,
        when=when_of(item),
        time_left=left_text(item, now),
        late=delivery.late,
        late_note=late_note,
        previous_when=when_of(previous) if previous is not None else None,
        location=single_line(item.location) if item.location else None,
        place=place(item),
        description=item.description.strip() if item.description else None,
        action=action,
        links=_links(item, action),
        calendar_url=calendar_url(delivery.public_url, item),
        calendar_name=single_line(delivery.calendar.name),
        uid=item.uid,
        reminder_key=delivery.reminder_key,
    )
