"""A large registry's page stays readable: whole months of upcoming events, then a count.

The feeds and each event's ``.ics`` file hold every event; the page lists the coming ones
up to :data:`UPCOMING_EVENTS_SHOWN` (completing the month it reaches), says how many
follow, and links a deadline whose event is not listed to that event's file.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from benchmarks.generate_registry import generate
from compact_calendar.feeds import page
from compact_calendar.feeds.page import UPCOMING_EVENTS_SHOWN
from compact_calendar.registry.check import check_registry
from compact_calendar.registry.items import AllDay, event_timing
from compact_calendar.registry.model import Registry
from tests.feeds.conftest import render
from tests.feeds.test_page_recurrence import cards_of

NOW = datetime(2027, 1, 1, tzinfo=UTC)
MID_JUNE = datetime(2027, 6, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def large() -> Registry:
    checked = check_registry(generate(900, seed=3), filename="large.yaml", env={}, now=NOW)
    assert checked.registry is not None, checked.errors[:3]
    return checked.registry


def test_the_page_lists_whole_months_until_enough_events_are_shown(large: Registry) -> None:
    site = render(large, now=NOW)
    cards = cards_of(site.resources["index.html"].body)
    months = list(dict.fromkeys(card.month for card in cards.values()))
    assert len(cards) >= UPCOMING_EVENTS_SHOWN
    # Whole months: every event starting in the last month listed is on the page.
    last = months[-1]
    in_last_month = [e.id for e in large.events if _month_of(large, e.id) == last]
    assert set(in_last_month) <= set(cards)
    # Dropping the last month would leave fewer than the number shown.
    assert len([c for c in cards.values() if c.month != last]) < UPCOMING_EVENTS_SHOWN
    html = site.resources["index.html"].body.decode()
    later = re.search(r"(\d+) more upcoming events after ([A-Z][a-z]+ \d{4})", html)
    assert later is not None
    assert int(later.group(1)) == len(large.events) - len(cards)
    assert later.group(2) == last
    # Every event is still published: the feed and its own file.
    assert all(f"events/{e.id}.ics" in site.resources for e in large.events)
    assert site.resources["calendar.ics"].body.count(b"BEGIN:VEVENT") > len(large.events)


def test_a_deadline_of_an_event_not_listed_links_to_its_file(
    large: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twenty events shown: the rest of June and July; deadlines of later events are open.
    monkeypatch.setattr(page, "UPCOMING_EVENTS_SHOWN", 20)
    html = render(large, now=MID_JUNE).resources["index.html"].body.decode()
    shown = set(re.findall(r'<article class="event[^"]*" id="event-([^"]+)"', html))
    deadlines = re.findall(r'<li class="deadline".*?</li>', html, flags=re.S)
    links = [re.search(r'&mdash; <a href="([^"]+)"', row) for row in deadlines]
    targets = [link.group(1) for link in links if link is not None]
    assert len(targets) == len(deadlines) == page.DEADLINES_SHOWN
    on_page = [t.removeprefix("#event-") for t in targets if t.startswith("#event-")]
    in_files = [re.fullmatch(r"events/(.+)\.ics", t) for t in targets if not t.startswith("#")]
    assert on_page
    assert in_files
    assert set(on_page) <= shown
    for found in in_files:
        assert found is not None
        assert found.group(1) not in shown


def _month_of(registry: Registry, event_id: str) -> str:
    [event] = [e for e in registry.events if e.id == event_id]
    timing, _month_only = event_timing(event, registry.calendar.timezone)
    first = timing.first if isinstance(timing, AllDay) else timing.start.date()
    return f"{first:%B %Y}"
