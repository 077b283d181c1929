"""What every published feed promises clients, by RFC 5545 section and by client quirk."""

from __future__ import annotations

import re
from typing import Any

import icalendar
import pytest

from tests.feeds.conftest import REGISTRIES, load, render


def _all_feeds() -> list[tuple[str, bytes]]:
    return [
        (f"{name}:{path}", r.body)
        for name in sorted(REGISTRIES)
        for path, r in render(load(name)).resources.items()
        if path.endswith(".ics")
    ]


FEEDS = _all_feeds()


@pytest.mark.parametrize(("where", "body"), FEEDS, ids=[w for w, _ in FEEDS])
def test_section_3_1_lines_end_in_crlf_and_fold_at_75_octets(where: str, body: bytes) -> None:
    assert body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines), where


@pytest.mark.parametrize(("where", "body"), FEEDS, ids=[w for w, _ in FEEDS])
def test_every_entry_has_dtend_and_every_tzid_a_vtimezone(where: str, body: bytes) -> None:
    calendar: Any = icalendar.Calendar.from_ical(body)
    assert calendar["METHOD"] == "PUBLISH"
    defined = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    used = set(re.findall(rb";TZID=([^:;]+)", body))
    assert {u.decode() for u in used} == defined, where
    for event in list[Any](calendar.walk("VEVENT")):
        assert "DTEND" in event
        assert "DURATION" not in event
        assert event["DTEND"].dt > event["DTSTART"].dt
        for name in ("UID", "DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "SUMMARY", "STATUS"):
            assert name in event, (where, name)


def test_refresh_interval_and_published_ttl_are_valid_durations() -> None:
    calendar: Any = icalendar.Calendar.from_ical(
        render(load("events")).resources["calendar.ics"].body
    )
    assert calendar["X-PUBLISHED-TTL"] == "PT4H"
    assert calendar["REFRESH-INTERVAL"].dt.total_seconds() == 4 * 3600
    assert calendar["X-WR-CALNAME"] == calendar["NAME"] == load("events").calendar.name


def _event(body: bytes, uid: str) -> Any:
    found = [e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if e["UID"] == uid]
    assert len(found) == 1
    return found[0]


def test_uids_name_calendar_event_and_session_or_deadline() -> None:
    body = render(load("zones")).resources["calendar.ics"].body
    uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    assert "lord-howe-retreat.session.night@zones-test" in uids
    assert "kathmandu-forum.deadline.registration@zones-test" in uids
    assert "lord-howe-retreat@zones-test" not in uids  # sessions replace their event


def test_cancelled_items_stay_published_as_cancelled_with_the_title_saying_so() -> None:
    body = render(load("zones")).resources["calendar.ics"].body
    event = _event(body, "cancelled-session-day@zones-test")
    assert event["STATUS"] == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("Cancelled: ")
    deadline = _event(body, "cancelled-session-day.deadline.registration@zones-test")
    assert deadline["STATUS"] == "CANCELLED"
    session = _event(body, "partly-cancelled.session.day-2@zones-test")
    assert session["STATUS"] == "CANCELLED"
    assert _event(body, "partly-cancelled.session.day-1@zones-test")["STATUS"] == "CONFIRMED"


def test_month_only_event_is_tentative_and_transparent() -> None:
    event = _event(
        render(load("zones")).resources["calendar.ics"].body, "negotiations-2018@zones-test"
    )
    assert (event["STATUS"], event["TRANSP"]) == ("TENTATIVE", "TRANSPARENT")


def test_all_day_end_is_exclusive() -> None:
    body = render(load("zones")).resources["calendar.ics"].body
    event = _event(body, "geneva-week@zones-test")
    assert (str(event["DTSTART"].dt), str(event["DTEND"].dt)) == ("2017-10-30", "2017-11-04")


def test_timed_deadline_starts_at_the_instant_it_is_due() -> None:
    body = render(load("zones")).resources["deadlines.ics"].body
    event = _event(body, "ny-spring-gap.deadline.papers@zones-test")
    assert event["DTSTART"].dt.isoformat() == "2018-03-10T23:59:00-05:00"
    assert (event["DTEND"].dt - event["DTSTART"].dt).total_seconds() == 15 * 60


def test_description_repeats_the_links_clients_hide() -> None:
    body = render(load("zones")).resources["calendar.ics"].body
    description = str(
        _event(body, "kathmandu-forum.deadline.registration@zones-test")["DESCRIPTION"]
    )
    assert "Register or submit: https://example.org/register" in description
    assert "Part of: Kathmandu forum" in description


def test_hostile_text_adds_no_property_or_component() -> None:
    site = render(load("hostile"))
    body = site.resources["calendar.ics"].body
    assert body.count(b"\r\nBEGIN:VEVENT\r\n") == 3
    event = _event(body, "newline-title@hostile-test")
    assert str(event["SUMMARY"]) == "Title\nBEGIN:VEVENT\nSUMMARY:injected"
    assert str(event["LOCATION"]) == "Room 1;\nLOCATION:elsewhere"
    assert "END:VCALENDAR\n<script>" in str(event["DESCRIPTION"])


def test_tracks_become_categories() -> None:
    body = render(load("hostile")).resources["tracks/odd.ics"].body
    event = _event(body, "newline-title@hostile-test")
    assert event["CATEGORIES"].cats == ["Track with, comma; and <i>tags</i>"]
