"""The web page: the next deadlines with time left, events by month, subscribe links.

Rendered with Jinja2 (autoescaped: registry text is always shown as text). Upcoming
events are listed by month, whole months, until :data:`UPCOMING_EVENTS_SHOWN` are on the
page; the page then says how many follow (the feeds have them all). An event's place
(start, end, month, open deadlines) is cached per event version, and its card's HTML is
rendered only when the card is shown, then cached the same way: a re-render sorts places
and joins cached cards. A small inline script keeps countdowns right between
renders, shows times in the reader's zone, and completes feed addresses from the page's
own location when no public URL is known.

A recurring event's card lists its coming occurrences (not its rule) within
:data:`OCCURRENCE_HORIZON`, cancelled ones marked as such and moved ones with their new
time; that card depends on ``now``, so it is cached by the occurrences it lists.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup

from compact_calendar.feeds.catalog import EventEntries
from compact_calendar.feeds.contentlines import format_date, format_utc
from compact_calendar.feeds.feedlist import FeedInfo
from compact_calendar.feeds.site import Resource
from compact_calendar.messages.headline import describe_span, time_left
from compact_calendar.registry.items import (
    AllDay,
    Item,
    Timed,
    event_timing,
    occurrence_items,
    span_instants,
)
from compact_calendar.registry.model import Registry
from compact_calendar.registry.values import zone

__all__ = [
    "DEADLINES_SHOWN",
    "OCCURRENCES_SHOWN",
    "OCCURRENCE_HORIZON",
    "PAST_EVENTS_SHOWN",
    "UPCOMING_EVENTS_SHOWN",
    "PageRenderer",
    "feed_links",
]

PAGE_PATH = "index.html"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
DEADLINES_SHOWN = 12
"""The page lists this many open deadlines first; each event card lists its own too."""
PAST_EVENTS_SHOWN = 50
UPCOMING_EVENTS_SHOWN = 300
"""The page lists upcoming events month by month, whole months, until this many are shown:
a page of every event of a large registry is too big to read (or load on a phone); the
feeds and each event's ``.ics`` file have everything, and the page says how many follow."""
OCCURRENCE_HORIZON = timedelta(days=400)
"""How far ahead a recurring event's card lists its occurrences (as reminders are planned)."""
OCCURRENCES_SHOWN = 6
"""Occurrences listed openly on a recurring event's card; the rest of the horizon folds."""


@dataclass(frozen=True, slots=True)
class FeedLinks:
    feed: FeedInfo
    https: str
    webcal: str | None
    google: str | None
    outlook: str | None
    """None when no public URL is known: the page script fills them in."""


def feed_links(feed: FeedInfo, public_url: str | None) -> FeedLinks:
    if public_url is None:
        return FeedLinks(feed, feed.path, None, None, None)
    https = f"{public_url.rstrip('/')}/{feed.path}"
    webcal = "webcal://" + https.split("://", 1)[1]
    google = "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal})
    outlook = "https://outlook.live.com/calendar/0/addfromweb?" + _query(
        {"url": https, "name": feed.name}
    )
    return FeedLinks(feed, https, webcal, google, outlook)


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    item: Item
    due: datetime
    due_text: str
    left: str
    event_link: str
    """The event's card on the page, or its ``.ics`` file when the card is not shown."""


@dataclass(frozen=True, slots=True)
class OccurrenceRow:
    """One occurrence of a recurring event, as its card lists it."""

    item: Item
    when: str
    start_iso: str
    end_iso: str
    moved_from: str | None
    """The original date and time of a moved occurrence."""
    title: str | None
    """The occurrence's own title, when an override gives one."""
    location: str | None
    """The occurrence's own place, when an override gives one."""


@dataclass(frozen=True, slots=True)
class CardPlace:
    """Where an event's card goes on the page: what sorting and grouping need, and what
    its HTML is rendered from once it is shown."""

    event_id: str
    start: datetime
    end: datetime
    month: str
    timing: AllDay | Timed
    month_only: bool
    occurrences: tuple[Item, ...]
    deadlines: tuple[tuple[datetime, Item], ...]
    """The event's deadlines that are not cancelled, with the instants they fall due."""


# Percent-encoding by one translate over the UTF-8 bytes: urllib's quote goes character
# by character, which made the "add to calendar" links most of a large page's cost.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = {byte: (chr(byte) if byte in _UNRESERVED else f"%{byte:02X}") for byte in range(256)}


def _quote(text: str) -> str:
    return text.encode().decode("latin-1").translate(_PERCENT)


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{key}={_quote(value)}" for key, value in params.items())


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def due_text(item: Item) -> str:
    timing = item.timing
    if isinstance(timing, AllDay):
        day = timing.last
        if item.month_only:
            return f"{day:%B %Y} (date to be confirmed)"
        return f"{day:%a} {day.day} {day:%b %Y}, end of day ({item.zone})"
    start = timing.start
    return f"{start:%a} {start.day} {start:%b %Y %H:%M} ({item.zone})"


def _span_instants(timing: AllDay | Timed, zone_name: str) -> tuple[datetime, datetime]:
    start, end = span_instants(timing, zone(zone_name))
    return start.astimezone(UTC), end.astimezone(UTC)


def _google_template(title: str, timing: AllDay | Timed, details: str, where: str | None) -> str:
    if isinstance(timing, AllDay):
        dates = f"{format_date(timing.first)}/{format_date(timing.end_exclusive)}"
    else:
        dates = f"{format_utc(timing.start)}/{format_utc(timing.end)}"
    query = {"action": "TEMPLATE", "text": title, "dates": dates, "details": details}
    if where:
        query["location"] = where
    return "https://calendar.google.com/calendar/render?" + _query(query)


def _outlook_compose(title: str, timing: AllDay | Timed, details: str, where: str | None) -> str:
    query = {"path": "/calendar/action/compose", "rru": "addevent", "subject": title}
    if isinstance(timing, AllDay):
        query |= {
            "startdt": timing.first.isoformat(),
            "enddt": timing.end_exclusive.isoformat(),
            "allday": "true",
        }
    else:
        query |= {"startdt": _utc_iso(timing.start), "enddt": _utc_iso(timing.end)}
    query["body"] = details
    if where:
        query["location"] = where
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + _query(query)


def _short(text: str | None, limit: int = 600) -> str:
    """Keeps "add to calendar" links within what browsers and the services accept."""
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _original_start(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return f"{value:%a} {value.day} {value:%b %Y %H:%M}"
    return f"{value:%a} {value.day} {value:%b %Y}"


def _occurrence_row(series: Item, occurrence: Item) -> OccurrenceRow:
    start, end = _span_instants(occurrence.timing, occurrence.zone)
    moved = occurrence.occurrence is not None and occurrence.occurrence.moved
    return OccurrenceRow(
        item=occurrence,
        when=describe_span(occurrence.timing, occurrence.zone),
        start_iso=_utc_iso(start),
        end_iso=_utc_iso(end),
        moved_from=(
            _original_start(occurrence.occurrence.recurrence_id)
            if moved and occurrence.occurrence is not None
            else None
        ),
        title=occurrence.title if occurrence.title != series.title else None,
        location=occurrence.location if occurrence.location != series.location else None,
    )


def coming_occurrences(series: Item, now: datetime, horizon: timedelta) -> list[Item]:
    """The occurrences of a series from ``now`` (or its start, if later) over ``horizon``."""
    begin = max(now, series.start_instant)
    return list(occurrence_items(series, begin, begin + horizon))


class PageRenderer:
    """Renders ``index.html``. Each event's place on the page is cached by the event's
    version (a recurring event's by the occurrences it lists), and its card's HTML is
    rendered only when the card is shown, then cached the same way."""

    def __init__(self, horizon: timedelta = OCCURRENCE_HORIZON) -> None:
        self.horizon = horizon
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("compact_calendar.feeds", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self._page = self.env.get_template("index.html.j2")
        self._card = self.env.get_template("event_card.html.j2")
        self._places: dict[str, CardPlace] = {}
        self._cards: dict[str, Markup] = {}
        self._lock = threading.Lock()

    def place(
        self, registry: Registry, entries: EventEntries, occurrences: Sequence[Item] = ()
    ) -> CardPlace:
        event = entries.event
        timing, month_only = event_timing(event, registry.calendar.timezone)
        event_zone = event.timezone or registry.calendar.timezone
        start, end = _span_instants(timing, event_zone)
        if occurrences:
            # The card sits in the month of the next occurrence and stays up until the
            # last one listed is over.
            start = _span_instants(occurrences[0].timing, event_zone)[0]
            end = _span_instants(occurrences[-1].timing, event_zone)[1]
            timing = occurrences[0].timing
        month_day = timing.first if isinstance(timing, AllDay) else timing.start.date()
        deadlines = tuple(
            (c.item.moment, c.item)
            for c in entries.contents
            if c.item.kind == "deadline" and c.item.status != "cancelled"
        )
        return CardPlace(
            event.id,
            start,
            end,
            f"{month_day:%B %Y}",
            timing,
            month_only,
            tuple(occurrences),
            deadlines,
        )

    def card(self, registry: Registry, entries: EventEntries, place: CardPlace) -> Markup:
        event = entries.event
        event_zone = event.timezone or registry.calendar.timezone
        timing = place.timing
        items = [c.item for c in entries.contents]
        series = next((i for i in items if i.recurrence is not None), None)
        rows = None
        when = describe_span(timing, event_zone, month_only=place.month_only)
        if series is not None:
            rows = [_occurrence_row(series, o) for o in place.occurrences]
            if place.occurrences:
                coming = [o for o in place.occurrences if o.status != "cancelled"]
                next_one = (coming or list(place.occurrences))[0]
                when = describe_span(next_one.timing, event_zone)
        parts = [i for i in items if i.kind == "session"]
        deadlines = [i for i in items if i.kind == "deadline"]
        details = _short("\n\n".join(x for x in (event.description, event.url) if x and x.strip()))
        html = self._card.render(
            event=event,
            when=when,
            zone=event_zone,
            timed=isinstance(timing, Timed),
            start_iso=_utc_iso(place.start),
            end_iso=_utc_iso(place.end),
            sessions=[(s, describe_span(s.timing, s.zone, month_only=s.month_only)) for s in parts],
            deadlines=[(d, due_text(d), _utc_iso(d.moment)) for d in deadlines],
            track_names=[registry.tracks[t].name for t in event.tracks if t in registry.tracks],
            ics_path=f"events/{event.id}.ics",
            # One-off "add" links would add a single occurrence: a series is added whole
            # from its .ics file.
            google=None
            if series
            else _google_template(event.title, timing, details, event.location),
            outlook=None
            if series
            else _outlook_compose(event.title, timing, details, event.location),
            recurring=series is not None,
            occurrences=rows,
            occurrences_shown=OCCURRENCES_SHOWN,
        )
        # The card template autoescapes every registry value; its output is safe HTML.
        return Markup(html)  # noqa: S704

    def render(
        self,
        registry: Registry,
        events: Sequence[EventEntries],
        feeds: Sequence[FeedInfo],
        *,
        public_url: str | None,
        now: datetime,
    ) -> Resource:
        with self._lock:
            places: dict[str, CardPlace] = {}
            placed: list[tuple[CardPlace, str, EventEntries]] = []
            for entries in events:
                series = next(
                    (c.item for c in entries.contents if c.item.recurrence is not None), None
                )
                occurrences: list[Item] = []
                key = entries.key
                if series is not None:
                    occurrences = coming_occurrences(series, now, self.horizon)
                    key += "@" + "|".join(o.key for o in occurrences)
                found = places.get(key) or self._places.get(key)
                if found is None:
                    found = self.place(registry, entries, occurrences)
                places[key] = found
                placed.append((found, key, entries))
            self._places = places

            placed.sort(key=lambda p: (p[0].start, p[0].end, p[0].event_id))
            upcoming = [p for p in placed if p[0].end > now]
            past = [p for p in reversed(placed) if p[0].end <= now][:PAST_EVENTS_SHOWN]
            months: dict[str, list[tuple[CardPlace, str, EventEntries]]] = {}
            shown = 0
            for entry in upcoming:
                month = entry[0].month
                if month not in months and shown >= UPCOMING_EVENTS_SHOWN:
                    break
                months.setdefault(month, []).append(entry)
                shown += 1
            later = len(upcoming) - shown
            cards: dict[str, Markup] = {}

            def html(entry: tuple[CardPlace, str, EventEntries]) -> Markup:
                place, key, entries = entry
                found = cards.get(key) or self._cards.get(key)
                if found is None:
                    found = self.card(registry, entries, place)
                cards[key] = found
                return found

            month_cards = [(month, [html(e) for e in shown_]) for month, shown_ in months.items()]
            past_cards = [html(e) for e in past]
            self._cards = cards
        on_page = {e[0].event_id for shown_ in months.values() for e in shown_}
        on_page.update(e[0].event_id for e in past)

        open_deadlines = sorted(
            (
                (due, item.uid, item)
                for place, _key, _entries in placed
                for due, item in place.deadlines
                if due > now
            ),
            key=lambda row: row[:2],
        )
        rows = [
            DeadlineRow(
                item,
                due,
                due_text(item),
                time_left(due, now),
                f"#event-{item.event.id}"
                if item.event.id in on_page
                else f"events/{item.event.id}.ics",
            )
            for due, _uid, item in open_deadlines[:DEADLINES_SHOWN]
        ]
        html_text = self._page.render(
            calendar=registry.calendar,
            deadlines=rows,
            more_deadlines=max(0, len(open_deadlines) - DEADLINES_SHOWN),
            months=month_cards,
            later_events=later,
            last_month=next(reversed(months), None),
            past=past_cards,
            feeds=[feed_links(feed, public_url) for feed in feeds],
            public_url=public_url,
            now=now,
            now_iso=_utc_iso(now),
            utc_iso=_utc_iso,
        )
        return Resource(
            path=PAGE_PATH,
            body=html_text.encode(),
            content_type=HTML_CONTENT_TYPE,
            last_modified=now.replace(microsecond=0),
        )
