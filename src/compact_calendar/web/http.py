"""HTTP semantics for published files, decided once per registry version.

Pure: a :class:`~compact_calendar.feeds.site.Resource` becomes a :class:`PreparedResource`
holding its identity and gzip bodies with their complete header lists, and
:func:`choose` picks the response for one request's method and headers (RFC 9110:
conditional requests in section 13, content negotiation in section 12).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from compact_calendar.feeds.site import Resource
from compact_calendar.registry.values import parse_offset

__all__ = [
    "ALLOWED_METHODS",
    "DEFAULT_FEED_MAX_AGE",
    "PreparedResource",
    "Reply",
    "Representation",
    "accepts_gzip",
    "choose",
    "prepare",
    "url_path_for",
]

Headers = list[tuple[bytes, bytes]]

ALLOWED_METHODS = b"GET, HEAD"
DEFAULT_FEED_MAX_AGE = 3600
"""Cache lifetime of a feed that names no refresh interval: clients' usual hourly poll."""
MIN_GZIP_SIZE = 512
"""Below this, gzip's header and the extra round of decoding cost more than they save."""
_INCOMPRESSIBLE = ("image/png", "image/jpeg", "image/gif", "image/webp", "font/woff")
_ENTITY_TAG = re.compile(r'(?:W/)?"[^"]*"')
_REFRESH_PROPERTY = re.compile(
    rb"^(?:REFRESH-INTERVAL|X-PUBLISHED-TTL)[;:](?:[^:\r\n]*:)?([^\r\n]+)\r?$", re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class Representation:
    """One encoding of a resource: the bytes and every header of a 200 and of a 304."""

    body: bytes
    etag: bytes
    headers: Headers
    not_modified_headers: Headers


@dataclass(frozen=True, slots=True)
class PreparedResource:
    """A published file ready to serve: identity and, when it pays, gzip."""

    source: Resource
    identity: Representation
    gzipped: Representation | None
    last_modified: datetime
    """Truncated to whole seconds, as HTTP dates are."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send: a status, its headers and the body (empty for HEAD and 304)."""

    status: int
    headers: Headers
    body: bytes
    not_modified: bool = False


def url_path_for(resource_path: str) -> str:
    """The URL path a resource is served at: ``index.html`` is also ``/``."""
    return "/" if resource_path == "index.html" else f"/{resource_path}"


def _cache_control(resource: Resource) -> bytes:
    if resource.content_type.startswith("text/calendar"):
        return b"public, max-age=%d" % _refresh_seconds(resource.body)
    # The page and its assets change with every save: let caches keep them but revalidate,
    # which costs one 304.
    return b"public, no-cache"


def _refresh_seconds(body: bytes) -> int:
    """The feed's own REFRESH-INTERVAL (RFC 7986) or X-PUBLISHED-TTL, in seconds."""
    match = _REFRESH_PROPERTY.search(body, 0, 4096)
    if match is None:
        return DEFAULT_FEED_MAX_AGE
    try:
        return int(parse_offset(match.group(1).decode("ascii").strip()).delta.total_seconds())
    except (ValueError, UnicodeDecodeError):
        return DEFAULT_FEED_MAX_AGE


def _content_disposition(path: str) -> bytes | None:
    if path.startswith("events/") and path.endswith(".ics"):
        # "Add to calendar": a download the calendar application opens. Ids are slugs,
        # so the file name needs no quoting beyond the quotes.
        return b'attachment; filename="%s"' % path.rsplit("/", 1)[1].encode("ascii")
    return None


def _representation(
    resource: Resource, body: bytes, etag: bytes, common: Headers, encoding: bytes | None
) -> Representation:
    cache_headers: Headers = [(b"etag", etag), *common]
    headers: Headers = [
        (b"content-type", resource.content_type.encode("ascii")),
        (b"content-length", str(len(body)).encode("ascii")),
        *cache_headers,
    ]
    if encoding is not None:
        headers.append((b"content-encoding", encoding))
    if (disposition := _content_disposition(resource.path)) is not None:
        headers.append((b"content-disposition", disposition))
    headers.append((b"x-content-type-options", b"nosniff"))
    # RFC 9110 15.4.5: a 304 repeats what a 200 would say about caching, not the content.
    return Representation(body, etag, headers, cache_headers)


def prepare(resource: Resource, *, compress_level: int = 9) -> PreparedResource:
    """Everything about one resource that does not depend on the request, computed once."""
    last_modified = resource.last_modified.astimezone(UTC).replace(microsecond=0)
    common: Headers = [
        (b"last-modified", format_datetime(last_modified, usegmt=True).encode("ascii")),
        (b"cache-control", _cache_control(resource)),
    ]
    if resource.content_type.startswith("text/calendar"):
        # Web calendar clients fetch feeds from other origins; the feeds are public anyway.
        common.append((b"access-control-allow-origin", b"*"))
    gzipped: bytes | None = None
    if len(resource.body) >= MIN_GZIP_SIZE and not resource.content_type.startswith(
        _INCOMPRESSIBLE
    ):
        # mtime=0 keeps the gzip bytes, like the identity bytes, a function of the content.
        candidate = gzip.compress(resource.body, compresslevel=compress_level, mtime=0)
        if len(candidate) < len(resource.body):
            gzipped = candidate
    if gzipped is not None:
        common.append((b"vary", b"Accept-Encoding"))
    identity_etag = resource.etag.encode("ascii")
    identity = _representation(resource, resource.body, identity_etag, common, None)
    gzip_representation = None
    if gzipped is not None:
        # A strong validator names one exact byte sequence, so the gzip bytes get their own.
        gzip_etag = identity_etag[:-1] + b'-gzip"'
        gzip_representation = _representation(resource, gzipped, gzip_etag, common, b"gzip")
    return PreparedResource(resource, identity, gzip_representation, last_modified)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110 12.5.3)."""
    gzip_q: float | None = None
    any_q: float | None = None
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if name in ("gzip", "x-gzip"):
            gzip_q = q
        elif name == "*":
            any_q = q
    if gzip_q is not None:
        return gzip_q > 0
    return any_q is not None and any_q > 0


def _none_match(if_none_match: str, etag: bytes) -> bool:
    """RFC 9110 13.1.2: weak comparison, so ``W/"x"`` matches ``"x"``."""
    wanted = etag.decode("ascii")
    if if_none_match == wanted:  # what nearly every client sends back
        return True
    if if_none_match.strip() == "*":
        return True
    return any(tag.removeprefix("W/") == wanted for tag in _ENTITY_TAG.findall(if_none_match))


def _not_modified_since(if_modified_since: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # RFC 9110 13.1.3: an invalid date is ignored
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified <= since


def choose(
    resource: PreparedResource,
    *,
    method: str,
    accept_encoding: str | None,
    if_none_match: str | None,
    if_modified_since: str | None,
) -> Reply:
    """The reply to a GET or HEAD of ``resource`` (other methods are answered before)."""
    representation = resource.identity
    if resource.gzipped is not None and accept_encoding and accepts_gzip(accept_encoding):
        representation = resource.gzipped
    # RFC 9110 13.2.2: If-None-Match, when present, decides; If-Modified-Since is ignored.
    if if_none_match is not None:
        fresh = _none_match(if_none_match, representation.etag)
    elif if_modified_since is not None:
        fresh = _not_modified_since(if_modified_since, resource.last_modified)
    else:
        fresh = False
    if fresh:
        return Reply(304, representation.not_modified_headers, b"", not_modified=True)
    body = b"" if method == "HEAD" else representation.body
    return Reply(200, representation.headers, body)
