"""The registry model: everything ``events.yaml`` can say, as pydantic v2 models.

The models check each value on its own (types, slugs, zones, URLs, offsets) and refuse
unknown fields. Rules that relate values to each other (unique ids, references, order
of dates) live in :mod:`compact_calendar.registry.rules`.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from compact_calendar.registry.values import (
    URL,
    Email,
    OffsetValue,
    Slug,
    Text,
    TimeOfDay,
    WhenValue,
    ZoneName,
)

__all__ = [
    "WEBHOOK_FORMATS",
    "CalendarInfo",
    "Channel",
    "Deadline",
    "EmailChannel",
    "Event",
    "Link",
    "OccurrenceOverride",
    "Registry",
    "ReminderSettings",
    "Repeat",
    "Session",
    "Status",
    "Track",
    "WebhookChannel",
    "WebhookFormat",
]

Status = Literal["confirmed", "tentative", "cancelled"]
WebhookFormat = Literal["generic", "slack", "discord", "teams", "mattermost", "google-chat", "ntfy"]
WEBHOOK_FORMATS: tuple[str, ...] = get_args(WebhookFormat)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CalendarInfo(_Model):
    """The calendar as a whole."""

    id: Slug = Field(description="Short unique slug; part of every entry's UID. Never change it.")
    name: Text = Field(description="Shown as the feeds' and the page's title.")
    description: Text | None = Field(None, description="One or two sentences for subscribers.")
    timezone: ZoneName = Field(description="Default zone of every date-time below.")
    url: URL | None = Field(None, description="Public base URL where the feeds are served.")


class Track(_Model):
    """A theme or process; each track gets its own feed at /tracks/<id>.ics."""

    name: Text
    description: Text | None = None


class EmailChannel(_Model):
    """Reminders by email to fixed recipients."""

    type: Literal["email"]
    to: list[Email] = Field(min_length=1, description="Recipient addresses.")


class WebhookChannel(_Model):
    """Reminders posted to a webhook: signed JSON (generic) or a chat service's format."""

    type: Literal["webhook"]
    url: URL = Field(description="Where to POST; use ${VAR} to keep it out of the file.")
    format: WebhookFormat = Field("generic", description="Payload format.")
    secret: Text | None = Field(
        None,
        description="Standard Webhooks signing secret (whsec_...) for the generic format; "
        "use ${VAR}.",
    )


Channel = Annotated[EmailChannel | WebhookChannel, Field(discriminator="type")]


class ReminderSettings(_Model):
    """When and where reminders go; every key is optional and overrides the defaults."""

    channels: list[Slug] | None = Field(None, description="Names from `channels:`.")
    before_deadline: list[OffsetValue] | None = Field(
        None, description="Offsets before each deadline (default 14d, 3d, 1d)."
    )
    before_session: list[OffsetValue] | None = Field(
        None, description="Offsets before each event or session (default 7d, 1d)."
    )
    at: TimeOfDay | None = Field(
        None, description='Time of day for reminders about all-day items (default "09:00").'
    )
    timezone: ZoneName | None = Field(
        None, description="Zone of `at`; defaults to calendar.timezone."
    )


class Link(_Model):
    title: Text
    url: URL


class Deadline(_Model):
    """A registration or submission deadline belonging to an event."""

    id: Slug
    title: Text
    due: WhenValue = Field(
        description="A date (the end of that day in the zone) or a date-time (the instant)."
    )
    timezone: ZoneName | None = Field(None, description="Defaults to the event's zone.")
    url: URL | None = Field(None, description="Where to register or submit.")
    description: Text | None = None
    links: list[Link] = Field(default_factory=list)
    reminders: ReminderSettings | None = None


class Session(_Model):
    """One part of an event, published as its own calendar entry."""

    id: Slug
    title: Text
    start: WhenValue
    end: WhenValue | None = Field(
        None, description="Dates: the last day, inclusive. Date-times: the end instant."
    )
    timezone: ZoneName | None = Field(None, description="Defaults to the event's zone.")
    status: Status | None = Field(None, description="Defaults to the event's status.")
    location: Text | None = None
    url: URL | None = None
    description: Text | None = None
    links: list[Link] = Field(default_factory=list)
    reminders: ReminderSettings | None = None


class OccurrenceOverride(_Model):
    """A change to one occurrence of a recurring event: cancel it, move it, retitle it."""

    status: Status | None = Field(
        None, description="`cancelled` drops this occurrence; `tentative` marks it unsure."
    )
    start: WhenValue | None = Field(
        None, description="The new start, in the event's zone, when this occurrence moves."
    )
    end: WhenValue | None = Field(
        None, description="The new end; defaults to the new start plus the usual length."
    )
    title: Text | None = None
    location: Text | None = None
    description: Text | None = None


class Repeat(_Model):
    """How an event recurs: a rule, when it ends, and the dates it skips or gains."""

    every: Text = Field(
        description='1d, 2w, 1m, 1y, or an RFC 5545 RRULE such as "FREQ=MONTHLY;BYDAY=1TH" '
        "(without UNTIL or COUNT: use `until` or `count`).",
        examples=["1w", "2w", "1m", "FREQ=MONTHLY;BYDAY=1TH", "FREQ=WEEKLY;BYDAY=MO,WE"],
    )
    until: WhenValue | None = Field(
        None,
        description="The last day (or date-time, in the event's zone) an occurrence may "
        "start; leave out `until` and `count` for a series that runs on.",
    )
    count: int | None = Field(None, ge=1, description="Number of occurrences of the rule.")
    except_: list[WhenValue] = Field(
        default_factory=list,
        alias="except",
        description="Occurrences skipped: their dates (or start date-times).",
    )
    also: list[WhenValue] = Field(
        default_factory=list,
        description="Extra occurrences: dates (at the series' time of day) or date-times.",
    )
    overrides: dict[str, OccurrenceOverride] = Field(
        default_factory=dict,
        description="Changes to single occurrences, keyed by the occurrence's date (or "
        "start date-time): `2017-11-02: {status: cancelled}` or "
        "`2017-11-02: {start: 2017-11-09T14:00, end: 2017-11-09T15:00}`.",
    )


class Event(_Model):
    """A consultation, forum, negotiation round or call."""

    id: Slug = Field(description="Unique slug; never change it once published.")
    title: Text
    tracks: list[Slug] = Field(default_factory=list)
    status: Status = "confirmed"
    start: WhenValue
    end: WhenValue | None = Field(
        None,
        description="Dates: the last day, inclusive. Date-times: the end instant. "
        "Optional: one day, or a point in time.",
    )
    timezone: ZoneName | None = Field(None, description="Defaults to calendar.timezone.")
    location: Text | None = None
    url: URL | None = None
    description: Text | None = None
    links: list[Link] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)
    sessions: list[Session] = Field(default_factory=list)
    reminders: ReminderSettings | None = None
    repeat: Repeat | None = None


class Registry(_Model):
    """The whole of events.yaml."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        title="compact-calendar registry (events.yaml)",
    )

    calendar: CalendarInfo
    tracks: dict[Slug, Track] = Field(default_factory=dict)
    channels: dict[Slug, Channel] = Field(default_factory=dict)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    events: list[Event] = Field(default_factory=list)
