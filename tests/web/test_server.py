"""The app under a real uvicorn server on a loopback port, with hand-built sites."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from compact_calendar.feeds.site import Site
from compact_calendar.registry.model import Registry
from compact_calendar.web.app import create_app
from compact_calendar.web.live import LiveSite, Published
from compact_calendar.web.testing import running_server

LOADED_AT = datetime(2017, 6, 1, 9, 30, tzinfo=UTC)
REGISTRY = Registry.model_validate(
    {
        "calendar": {"id": "test", "name": "Test calendar", "timezone": "Asia/Manila"},
        "events": [{"id": "gcm-tc5-vienna", "title": "Vienna", "start": "2017-09-04"}],
    }
)


def published(site: Site) -> Published:
    return Published.prepare(REGISTRY, site, loaded_at=LOADED_AT, registry_file="events.yaml")


@pytest.fixture
def live(site: Site) -> LiveSite:
    return LiveSite(published(site))


@pytest.fixture
async def base_url(live: LiveSite) -> AsyncIterator[str]:
    async with running_server(create_app(live)) as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    # httpx asks for gzip by default; tests say what they accept.
    async with httpx.AsyncClient(
        base_url=base_url, headers={"accept-encoding": "identity"}
    ) as http:
        yield http


async def raw_request(base_url: str, request_line: bytes, headers: bytes = b"") -> bytes:
    """Send bytes exactly as written: httpx would normalise ``..`` away."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request_line + b"\r\nHost: test\r\nConnection: close\r\n" + headers + b"\r\n")
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    return response


async def test_feed_is_served_with_calendar_type_and_validators(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.content == site.resources["calendar.ics"].body
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["etag"] == site.resources["calendar.ics"].etag
    assert response.headers["last-modified"] == "Thu, 01 Jun 2017 09:30:15 GMT"
    assert response.headers["cache-control"] == "public, max-age=7200"
    assert "date" in response.headers


@pytest.mark.parametrize(
    "path",
    ["/calendar.ics", "/deadlines.ics", "/tracks/gcm.ics", "/events/gcm-tc5-vienna.ics", "/"],
)
async def test_every_published_path_is_served(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.content


async def test_static_assets_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"


async def test_conditional_get_answers_304_by_etag_and_by_date(client: httpx.AsyncClient) -> None:
    first = await client.get("/calendar.ics")
    by_etag = await client.get("/calendar.ics", headers={"if-none-match": first.headers["etag"]})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag.headers["etag"] == first.headers["etag"]
    by_date = await client.get(
        "/calendar.ics", headers={"if-modified-since": first.headers["last-modified"]}
    )
    assert by_date.status_code == 304
    stale = await client.get("/calendar.ics", headers={"if-none-match": '"old"'})
    assert stale.status_code == 200


async def test_gzip_is_negotiated(client: httpx.AsyncClient, site: Site) -> None:
    # Read the raw bytes: httpx would otherwise decode them for us.
    async with client.stream("GET", "/calendar.ics", headers={"accept-encoding": "gzip"}) as resp:
        raw = b"".join([chunk async for chunk in resp.aiter_raw()])
        assert resp.headers["content-encoding"] == "gzip"
        assert resp.headers["vary"] == "Accept-Encoding"
        gzip_etag = resp.headers["etag"]
    assert gzip.decompress(raw) == site.resources["calendar.ics"].body
    assert len(raw) < len(site.resources["calendar.ics"].body)
    plain = await client.get("/calendar.ics")
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert plain.headers["etag"] != gzip_etag
    revalidated = await client.get(
        "/calendar.ics", headers={"accept-encoding": "gzip", "if-none-match": gzip_etag}
    )
    assert revalidated.status_code == 304


async def test_head_sends_headers_without_body(client: httpx.AsyncClient) -> None:
    head = await client.head("/calendar.ics")
    full = await client.get("/calendar.ics")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == full.headers["content-length"]
    assert head.headers["etag"] == full.headers["etag"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_are_not_allowed(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/calendar.ics")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path", ["/events/unknown.ics", "/tracks/nope.ics", "/calendar.ICS", "/events/", "/x" * 400]
)
async def test_unknown_paths_are_404(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize(
    "target",
    [
        b"/../events.yaml",
        b"/tracks/../calendar.ics",
        b"/tracks/..%2fcalendar.ics",
        b"/tracks/..%2Fcalendar.ics",
        b"/events/%2e%2e/%2e%2e/etc/passwd",
        b"/static/..%5c..%5cevents.yaml",
        b"//etc/passwd",
        b"/%00calendar.ics",
        b"/calendar.ics%00",
        b"/" + b"a" * 8000 + b".ics",
    ],
)
async def test_traversal_attempts_reach_nothing(base_url: str, target: bytes) -> None:
    response = await raw_request(base_url, b"GET " + target + b" HTTP/1.1")
    status_line = response.split(b"\r\n", 1)[0]
    assert status_line.split(b" ")[1] in (b"400", b"404", b"414", b"431"), status_line
    assert b"BEGIN:VCALENDAR" not in response
    assert b"root:" not in response


async def test_event_feed_downloads_as_a_file(client: httpx.AsyncClient) -> None:
    response = await client.get("/events/gcm-tc5-vienna.ics")
    assert response.headers["content-disposition"] == 'attachment; filename="gcm-tc5-vienna.ics"'


async def test_healthz_reports_ok_then_degraded(client: httpx.AsyncClient, live: LiveSite) -> None:
    ok = (await client.get("/healthz")).json()
    assert ok["status"] == "ok"
    assert ok["error"] is None
    assert ok["registry_loaded_at"] == "2017-06-01T09:30:00+00:00"
    live.fail("events.yaml:41:7: error: events[3].start: not a date", at=LOADED_AT)
    response = await client.get("/healthz")
    assert response.status_code == 200
    degraded = response.json()
    assert degraded["status"] == "degraded"
    assert degraded["error"].startswith("events.yaml:41:7: ")
    assert response.headers["cache-control"] == "no-store"
    assert (await client.get("/calendar.ics")).status_code == 200


async def test_metrics_count_requests_and_304s_by_feed(client: httpx.AsyncClient) -> None:
    etag = (await client.get("/tracks/gcm.ics")).headers["etag"]
    await client.get("/tracks/gcm.ics", headers={"if-none-match": etag})
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'compact_calendar_requests_total{route="/tracks/{id}.ics",status="200"}' in text
    assert 'compact_calendar_requests_total{route="/tracks/{id}.ics",status="304"}' in text
    assert 'compact_calendar_not_modified_total{route="/tracks/{id}.ics"}' in text
    assert "compact_calendar_render_seconds" in text


async def test_a_swap_is_seen_by_the_next_request(
    client: httpx.AsyncClient, live: LiveSite, site_factory: object
) -> None:
    before = await client.get("/calendar.ics")
    new_site = Site(
        {
            **live.current.site.resources,
            "calendar.ics": live.current.site.resources["deadlines.ics"],
        },
        generated_at=LOADED_AT,
    )
    live.swap(published(new_site))
    after = await client.get("/calendar.ics", headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.content == new_site.resources["calendar.ics"].body


async def test_healthz_is_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content)["events"] == 1
