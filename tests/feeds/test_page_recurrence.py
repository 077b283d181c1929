"""The page lists a recurring event's coming occurrences, never its rule.

The page HTML is parsed back (html.parser) and compared with the planner's occurrences
(:func:`compact_calendar.registry.items.occurrence_items`); one test drives the page in
headless Chromium to check that a passed occurrence disappears and a cancelled one shows
as cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from compact_calendar.feeds.page import OCCURRENCE_HORIZON, OCCURRENCES_SHOWN
from compact_calendar.feeds.render import SiteRenderer
from compact_calendar.registry.items import items, occurrence_items
from tests.feeds.conftest import first_versions, load, render


@dataclass
class Row:
    classes: set[str]
    start: str
    text: str = ""


@dataclass
class Card:
    month: str
    text: str = ""
    rows: list[Row] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


class _PageReader(HTMLParser):
    """Event cards by id: their month, text, occurrence rows and links."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, Card] = {}
        self._month = ""
        self._card: Card | None = None
        self._row: Row | None = None
        self._in_month_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if tag == "section" and "month" in classes:
            self._month = attributes.get("aria-label") or ""
        elif tag == "article" and "event" in classes:
            self._card = self.cards[(attributes.get("id") or "")[len("event-") :]] = Card(
                self._month
            )
        elif tag == "li" and "occurrence" in classes and self._card is not None:
            self._row = Row(classes, "")
            self._card.rows.append(self._row)
        elif tag == "time" and self._row is not None and not self._row.start:
            self._row.start = attributes.get("datetime") or ""
        elif tag == "a" and self._card is not None:
            self._card.links.append(attributes.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._row = None
        elif tag == "article":
            self._card = None

    def handle_data(self, data: str) -> None:
        if self._card is not None:
            self._card.text += data
        if self._row is not None:
            self._row.text += data


def cards_of(html: bytes) -> dict[str, Card]:
    reader = _PageReader()
    reader.feed(html.decode())
    return reader.cards


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_card_lists_the_planned_occurrences_within_the_horizon() -> None:
    now = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)
    registry = load("recurring")
    cards = cards_of(render(registry, now=now).resources["index.html"].body)
    for item in items(registry):
        if item.recurrence is None:
            continue
        begin = max(now, item.start_instant)
        planned = [
            _utc(o.start_instant) for o in occurrence_items(item, begin, begin + OCCURRENCE_HORIZON)
        ]
        assert [row.start for row in cards[item.event.id].rows] == planned, item.event.id
    assert len(cards["berlin-briefing"].rows) > OCCURRENCES_SHOWN  # some folded away


def test_cancelled_and_moved_occurrences_are_shown_as_such_and_skipped_ones_not_at_all() -> None:
    page = render(load("recurring")).resources["index.html"].body
    rows = {row.start: row for row in cards_of(page)["coordination-call"].rows}
    cancelled = rows["2017-11-02T18:00:00Z"]
    assert "cancelled" in cancelled.classes
    assert "Cancelled" in cancelled.text
    moved = rows["2017-12-08T14:30:00Z"]
    assert "cancelled" not in moved.classes
    assert "8 Dec 2017 09:30-10:30 America/New_York" in moved.text
    assert "moved from Thu 7 Dec 2017 14:00" in moved.text
    assert "Room B" in moved.text
    assert "2017-10-05T18:00:00Z" not in rows  # skipped (`except`)
    assert "2017-10-12T18:00:00Z" in rows  # added (`also`)
    retitled = rows["2018-03-01T19:00:00Z"]
    assert "preparing the intergovernmental conference" in retitled.text
    assert all("Cancelled" not in r.text for s, r in rows.items() if s != cancelled.start)


def test_the_rule_is_not_shown_instead_of_the_occurrences() -> None:
    page = render(load("recurring")).resources["index.html"].body.decode()
    for rule_text in ("FREQ=", "RRULE", "BYDAY", "INTERVAL", "COUNT="):
        assert rule_text not in page


def test_a_series_is_added_to_calendars_whole_from_its_ics_file() -> None:
    cards = cards_of(render(load("recurring")).resources["index.html"].body)
    series_links = [link for link in cards["coordination-call"].links if "example.org" not in link]
    assert series_links == ["events/coordination-call.ics"]
    assert "every date" in cards["coordination-call"].text
    # A one-off event keeps its Google and Outlook links.
    assert any("calendar.google.com" in link for link in cards["one-off-meeting"].links)


def test_as_time_passes_the_card_moves_to_the_next_occurrence() -> None:
    registry = load("recurring")
    renderer = SiteRenderer()
    versions = first_versions(registry)
    before = cards_of(
        renderer.render(registry, versions, public_url=None, now=datetime(2017, 6, 1, tzinfo=UTC))
        .resources["index.html"]
        .body
    )
    later = datetime(2017, 11, 10, tzinfo=UTC)
    after = cards_of(
        renderer.render(registry, versions, public_url=None, now=later).resources["index.html"].body
    )
    assert before["coordination-call"].month == "August 2017"
    assert after["coordination-call"].month == "December 2017"
    assert after["coordination-call"].rows[0].start == "2017-12-08T14:30:00Z"  # moved one
    # The open-ended series lists as far ahead from the later date as from the first.
    last = after["coordination-call"].rows[-1].start
    assert datetime.fromisoformat(last) > later + OCCURRENCE_HORIZON - timedelta(days=31)
    # A finished series is listed with the past events, without coming dates.
    finished = cards_of(
        renderer.render(registry, versions, public_url=None, now=datetime(2018, 6, 1, tzinfo=UTC))
        .resources["index.html"]
        .body
    )
    assert finished["retired-call"].rows == []
    assert "no coming dates" in finished["retired-call"].text
