"""The web page in headless Chromium: countdowns, subscribe links, escaped text, no errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from compact_calendar.testing.browser import launch_chromium
from tests.feeds.conftest import load, render

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def _open(browser: object, html: bytes, tmp_path: Path, now: datetime):  # type: ignore[no-untyped-def]
    (tmp_path / "index.html").write_bytes(html)
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install(time=now)
    page.goto((tmp_path / "index.html").as_uri())
    return page, errors


def test_next_deadline_shows_with_its_countdown(browser: object, tmp_path: Path) -> None:
    now = datetime(2017, 11, 27, 12, 0, tzinfo=UTC)
    site = render(load("zones"), now=now)
    page, errors = _open(browser, site.resources["index.html"].body, tmp_path, now)
    first = page.locator("#deadlines li.deadline").first
    assert "Registration closes" in first.inner_text()
    assert "Kathmandu forum" in first.inner_text()
    # Due at the end of 30 Nov AoE = 1 Dec 12:00 UTC: 4 days from now.
    assert first.locator("[data-countdown]").inner_text() == "4 days left"
    page.clock.run_for(3 * 86400 * 1000 + 23 * 3600 * 1000)  # past the deadline
    assert re.match(r"^\d+ minutes left$", first.locator("[data-countdown]").inner_text())
    page.clock.run_for(2 * 3600 * 1000)
    assert not first.is_visible()
    assert errors == []


def test_subscribe_links_carry_the_feed_url(browser: object, tmp_path: Path) -> None:
    now = datetime(2017, 6, 1, tzinfo=UTC)
    site = render(load("events"), public_url="https://calendar.example.org", now=now)
    page, errors = _open(browser, site.resources["index.html"].body, tmp_path, now)
    feed = page.locator(".feed").first
    assert feed.locator(".link-webcal").get_attribute("href") == (
        "webcal://calendar.example.org/calendar.ics"
    )
    google = feed.locator(".link-google").get_attribute("href") or ""
    assert google.startswith("https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F")
    assert feed.locator("input.url").input_value() == "https://calendar.example.org/calendar.ics"
    assert errors == []


def test_without_a_public_url_links_are_completed_from_the_page_address(
    browser: object, tmp_path: Path
) -> None:
    now = datetime(2017, 6, 1, tzinfo=UTC)
    site = render(load("events"), public_url=None, now=now)
    page, errors = _open(browser, site.resources["index.html"].body, tmp_path, now)
    https = page.locator(".feed").nth(1).locator("input.url").input_value()
    assert https == (tmp_path / "deadlines.ics").as_uri()
    assert page.locator(".feed .link-webcal").first.is_visible()
    assert errors == []


def test_hostile_text_is_shown_as_text(browser: object, tmp_path: Path) -> None:
    now = datetime(2017, 6, 1, tzinfo=UTC)
    site = render(load("hostile"), now=now)
    page, errors = _open(browser, site.resources["index.html"].body, tmp_path, now)
    alerts: list[str] = []

    def dismiss(dialog: Any) -> None:
        alerts.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    assert page.locator("h1").inner_text() == "Hostile <b>calendar</b> & friends"
    assert '<script>alert("x")</script>' in page.locator("#event-newline-title").inner_text()
    assert page.locator("#event-long-multibyte img").count() == 0
    assert page.locator("script").count() == 1  # only the page's own
    assert alerts == []
    assert errors == []


def test_a_series_shows_its_coming_dates_and_drops_those_that_passed(
    browser: object, tmp_path: Path
) -> None:
    now = datetime(2017, 11, 2, 12, 0, tzinfo=UTC)
    site = render(load("recurring"), now=now)
    page, errors = _open(browser, site.resources["index.html"].body, tmp_path, now)
    card = page.locator("#event-coordination-call")
    first = card.locator("li.occurrence").first
    # 2 Nov, 14:00-15:00 in New York (18:00-19:00 UTC), is cancelled: shown as such.
    assert first.is_visible()
    assert "Cancelled" in first.inner_text()
    assert "2 Nov 2017 14:00-15:00 America/New_York" in first.inner_text()
    assert "FREQ" not in card.inner_text()
    page.clock.run_for(8 * 3600 * 1000)  # 20:00 UTC: the 2 Nov call is over
    assert not first.is_visible()
    assert "moved from Thu 7 Dec 2017 14:00" in card.locator("li.occurrence").nth(1).inner_text()
    assert card.is_visible()
    assert errors == []
