"""HTTP semantics of a prepared resource, without a server (RFC 9110 sections in names)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from compact_calendar.feeds.site import CALENDAR_CONTENT_TYPE, Resource, Site
from compact_calendar.web.http import (
    DEFAULT_FEED_MAX_AGE,
    PreparedResource,
    Reply,
    accepts_gzip,
    choose,
    prepare,
)

FEED = Resource(
    "calendar.ics",
    b"BEGIN:VCALENDAR\r\nREFRESH-INTERVAL;VALUE=DURATION:PT2H\r\n"
    + b"BEGIN:VEVENT\r\nSUMMARY:Consultation\r\nEND:VEVENT\r\n" * 50
    + b"END:VCALENDAR\r\n",
    CALENDAR_CONTENT_TYPE,
    datetime(2017, 6, 1, 9, 30, 15, 999999, tzinfo=UTC),
)


def header(reply: Reply | list[tuple[bytes, bytes]], name: str) -> str | None:
    headers = reply.headers if isinstance(reply, Reply) else reply
    values = [v.decode() for k, v in headers if k == name.encode()]
    assert len(values) <= 1, f"{name} sent {len(values)} times"
    return values[0] if values else None


def get(
    resource: PreparedResource,
    *,
    method: str = "GET",
    accept_encoding: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
) -> Reply:
    return choose(
        resource,
        method=method,
        accept_encoding=accept_encoding,
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
    )


@pytest.fixture
def feed() -> PreparedResource:
    return prepare(FEED)


def test_full_response_carries_validators_type_and_length(feed: PreparedResource) -> None:
    reply = get(feed)
    assert reply.status == 200
    assert reply.body == FEED.body
    assert header(reply, "content-type") == "text/calendar; charset=utf-8"
    assert header(reply, "content-length") == str(len(FEED.body))
    assert header(reply, "etag") == FEED.etag
    assert header(reply, "last-modified") == "Thu, 01 Jun 2017 09:30:15 GMT"
    assert header(reply, "vary") == "Accept-Encoding"
    assert header(reply, "content-encoding") is None


def test_cache_control_follows_the_feeds_refresh_interval(feed: PreparedResource) -> None:
    assert header(get(feed), "cache-control") == "public, max-age=7200"


def test_feed_without_refresh_interval_gets_the_default_max_age() -> None:
    plain = Resource(
        "calendar.ics", b"BEGIN:VCALENDAR\r\n", CALENDAR_CONTENT_TYPE, FEED.last_modified
    )
    assert header(get(prepare(plain)), "cache-control") == f"public, max-age={DEFAULT_FEED_MAX_AGE}"


def test_page_is_revalidated_every_time() -> None:
    page = Resource("index.html", b"<h1>x</h1>", "text/html; charset=utf-8", FEED.last_modified)
    assert header(get(prepare(page)), "cache-control") == "public, no-cache"


def test_rfc9110_13_1_2_if_none_match_with_the_etag_is_304(feed: PreparedResource) -> None:
    reply = get(feed, if_none_match=FEED.etag)
    assert reply.status == 304
    assert reply.body == b""
    assert header(reply, "etag") == FEED.etag
    assert header(reply, "cache-control") == "public, max-age=7200"
    assert header(reply, "content-length") is None


@pytest.mark.parametrize(
    "value",
    ['W/"{tag}"', '"other", "{tag}"', '"other",W/"{tag}"  ', "*"],
    ids=["weak", "list", "weak-in-list", "star"],
)
def test_rfc9110_13_1_2_if_none_match_uses_weak_comparison(
    feed: PreparedResource, value: str
) -> None:
    tag = FEED.etag.strip('"')
    assert get(feed, if_none_match=value.format(tag=tag)).status == 304


def test_rfc9110_13_1_2_a_stale_etag_gets_the_full_feed(feed: PreparedResource) -> None:
    reply = get(feed, if_none_match='"an-old-version"')
    assert reply.status == 200
    assert reply.body == FEED.body


def test_rfc9110_13_1_3_if_modified_since_at_or_after_last_modified_is_304(
    feed: PreparedResource,
) -> None:
    assert get(feed, if_modified_since="Thu, 01 Jun 2017 09:30:15 GMT").status == 304
    assert get(feed, if_modified_since="Fri, 02 Jun 2017 00:00:00 GMT").status == 304
    assert get(feed, if_modified_since="Thu, 01 Jun 2017 09:30:14 GMT").status == 200


def test_rfc9110_13_1_3_an_invalid_date_is_ignored(feed: PreparedResource) -> None:
    assert get(feed, if_modified_since="yesterday").status == 200


def test_rfc9110_13_2_2_if_none_match_takes_precedence_over_if_modified_since(
    feed: PreparedResource,
) -> None:
    reply = get(feed, if_none_match='"stale"', if_modified_since="Fri, 02 Jun 2017 00:00:00 GMT")
    assert reply.status == 200


def test_gzip_only_when_asked_and_with_its_own_etag(feed: PreparedResource) -> None:
    reply = get(feed, accept_encoding="gzip, deflate, br")
    assert header(reply, "content-encoding") == "gzip"
    assert gzip.decompress(reply.body) == FEED.body
    assert header(reply, "content-length") == str(len(reply.body))
    gzip_etag = header(reply, "etag")
    assert gzip_etag is not None
    assert gzip_etag != FEED.etag
    assert gzip_etag.startswith('"')
    assert gzip_etag.endswith('"')
    assert header(reply, "vary") == "Accept-Encoding"
    assert get(feed, accept_encoding="gzip", if_none_match=gzip_etag).status == 304
    # The identity ETag does not validate the gzip bytes, nor the other way round.
    assert get(feed, accept_encoding="gzip", if_none_match=FEED.etag).status == 200
    assert get(feed, if_none_match=gzip_etag).status == 200


def test_gzip_bytes_are_the_same_for_the_same_content() -> None:
    first = get(prepare(FEED), accept_encoding="gzip").body
    second = get(prepare(FEED), accept_encoding="gzip").body
    assert first == second


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("br, *;q=0.1", True),
        ("gzip;q=0", False),
        ("*, gzip;q=0", False),
        ("identity", False),
        ("br", False),
        ("", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_rfc9110_12_5_3_accept_encoding(accept_encoding: str, expected: bool) -> None:
    assert accepts_gzip(accept_encoding) is expected


def test_head_has_the_headers_of_get_and_no_body(feed: PreparedResource) -> None:
    head, full = get(feed, method="HEAD"), get(feed)
    assert head.status == 200
    assert head.body == b""
    assert head.headers == full.headers


def test_small_files_are_not_compressed() -> None:
    tiny = Resource("static/a.css", b"a{}", "text/css", FEED.last_modified)
    prepared = prepare(tiny)
    assert prepared.gzipped is None
    reply = get(prepared, accept_encoding="gzip")
    assert header(reply, "content-encoding") is None
    assert header(reply, "vary") is None


def test_event_feed_downloads_under_its_id() -> None:
    event = Resource(
        "events/gcm-tc5-vienna.ics", FEED.body, CALENDAR_CONTENT_TYPE, FEED.last_modified
    )
    reply = get(prepare(event))
    assert header(reply, "content-disposition") == 'attachment; filename="gcm-tc5-vienna.ics"'
    assert header(get(prepare(FEED)), "content-disposition") is None


def test_site_resources_keep_their_etags(site: Site) -> None:
    for resource in site.resources.values():
        assert header(get(prepare(resource)), "etag") == resource.etag
