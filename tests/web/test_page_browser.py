"""The page, served by a real ``serve`` process, in Debian's headless Chromium."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from compact_calendar.testing.browser import launch_chromium

from .serving import ServeProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
]


def test_page_shows_the_calendar_and_links_to_the_served_feeds(server: ServeProcess) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            failed: list[str] = []
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            response = page.goto(server.url + "/")
            assert response is not None
            assert response.status == 200
            assert page.title() == "Global Compact for Migration - MFA calendar"

            host = server.url.removeprefix("http://")
            calendar_feed = page.locator('li.feed[data-path="calendar.ics"]')
            webcal = calendar_feed.locator("a.link-webcal").get_attribute("href")
            assert webcal == f"webcal://{host}/calendar.ics"
            download = calendar_feed.locator("a.link-https").get_attribute("href")
            assert download == f"{server.url}/calendar.ics"

            # Every feed the page offers is served, as a calendar.
            for href in page.locator("li.feed a.link-https").evaluate_all(
                "links => links.map(a => a.href)"
            ):
                feed = page.request.get(href)
                assert feed.status == 200, href
                assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
                assert feed.body().startswith(b"BEGIN:VCALENDAR")

            # A revisit revalidates: Chromium gets 304 and still shows the page.
            etag = response.headers["etag"]
            again = page.request.get(server.url + "/", headers={"if-none-match": etag})
            assert again.status == 304
            page.reload()
            assert page.title() == "Global Compact for Migration - MFA calendar"
            assert errors == []
            # Browsers ask for /favicon.ico on their own; the page names no other file.
            assert [url for url in failed if not url.endswith("/favicon.ico")] == []
        finally:
            browser.close()


def test_page_follows_a_save(server: ServeProcess, registry: Path) -> None:
    from playwright.sync_api import sync_playwright

    registry.write_text(
        registry.read_text().replace(
            "name: Global Compact for Migration - MFA calendar", "name: Renamed calendar", 1
        )
    )
    server.wait_for(lambda e: e.get("event") == "registry_reloaded")
    assert "Renamed calendar" in httpx.get(server.url + "/").text
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            assert page.title() == "Renamed calendar"
        finally:
            browser.close()
