"""The ASGI application: the published files, ``/healthz`` and ``/metrics``.

Published files are answered by :class:`SiteEndpoint`, a bare ASGI endpoint that sends
bytes and headers prepared once per registry version (see :mod:`compact_calendar.web.http`):
a request costs a dictionary lookup, a few header comparisons and two ``send`` calls.
Only paths that are keys of the current version are served, so no request can reach
anything else (``..``, encoded slashes and long paths simply match nothing).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics import Counter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from compact_calendar import metrics
from compact_calendar.web.http import ALLOWED_METHODS, PreparedResource, choose
from compact_calendar.web.live import LiveSite, route_label

__all__ = ["CalendarApp", "SiteEndpoint", "create_app"]

MAX_PATH_LENGTH = 512
"""Longer than any id a registry allows; longer paths are not looked up at all."""

_NOT_FOUND = b"Not found: see / for the feeds this calendar publishes.\n"
_NOT_FOUND_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_NOT_FOUND)).encode()),
    (b"cache-control", b"no-cache"),
]
_NOT_ALLOWED = b"Method not allowed: feeds are read with GET or HEAD.\n"
_NOT_ALLOWED_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_NOT_ALLOWED)).encode()),
    (b"allow", ALLOWED_METHODS),
]


class _RequestCounters:
    """Labelled counter children, looked up once per (route, status) rather than per request."""

    def __init__(self) -> None:
        self._requests: dict[tuple[str, int], Counter] = {}
        self._not_modified: dict[str, Counter] = {}

    def count(self, route: str, status: int) -> None:
        key = (route, status)
        child = self._requests.get(key)
        if child is None:
            child = self._requests[key] = metrics.feed_requests.labels(route, str(status))
        child.inc()
        if status == 304:
            nm = self._not_modified.get(route)
            if nm is None:
                nm = self._not_modified[route] = metrics.feed_not_modified.labels(route)
            nm.inc()


class SiteEndpoint:
    """Serves the files of ``live.current`` as prepared."""

    def __init__(self, live: LiveSite) -> None:
        self.live = live
        self.counters = _RequestCounters()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        # One read of the reference: this request is answered from one version only.
        published = self.live.current
        resource = published.routes.get(path) if len(path) <= MAX_PATH_LENGTH else None
        if resource is None:
            self.counters.count("unmatched", 404)
            await _send(send, 404, _NOT_FOUND_HEADERS, _NOT_FOUND)
            return
        await self.serve(resource, path, scope, send)

    async def serve(self, resource: PreparedResource, path: str, scope: Scope, send: Send) -> None:
        route = route_label(path)
        method: str = scope["method"]
        if method not in ("GET", "HEAD"):
            self.counters.count(route, 405)
            await _send(send, 405, _NOT_ALLOWED_HEADERS, b"" if method == "HEAD" else _NOT_ALLOWED)
            return
        accept_encoding = if_none_match = if_modified_since = None
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept_encoding = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
        reply = choose(
            resource,
            method=method,
            accept_encoding=accept_encoding,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
        )
        self.counters.count(route, reply.status)
        await _send(send, reply.status, reply.headers, reply.body)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _health(live: LiveSite) -> Callable[[Request], Any]:
    async def healthz(_request: Request) -> Response:
        metrics.feed_requests.labels("/healthz", "200").inc()
        # 200 even when degraded: the feeds are being served, from the last good version.
        return JSONResponse(live.health(), headers={"cache-control": "no-store"})

    return healthz


async def _metrics(_request: Request) -> Response:
    metrics.feed_requests.labels("/metrics", "200").inc()
    return Response(
        generate_latest(metrics.REGISTRY),
        media_type=CONTENT_TYPE_LATEST,
        headers={"cache-control": "no-store"},
    )


Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


@contextlib.asynccontextmanager
async def _no_lifespan(_app: Starlette) -> AsyncIterator[None]:
    yield


class CalendarApp:
    """Published files straight from :class:`SiteEndpoint`; everything else through Starlette.

    Feeds are nearly all the traffic (calendar clients polling, mostly for a 304), so their
    requests skip Starlette's middleware and routing; ``/healthz``, ``/metrics``, 404s and
    the lifespan go through the Starlette application :attr:`starlette`.
    """

    def __init__(self, live: LiveSite, starlette: Starlette, site: SiteEndpoint) -> None:
        self.live = live
        self.starlette = starlette
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            resource = self.live.current.routes.get(path)
            if resource is not None:
                await self.site.serve(resource, path, scope, send)
                return
        await self.starlette(scope, receive, send)


def create_app(live: LiveSite, *, lifespan: Lifespan | None = None) -> CalendarApp:
    """The application serving ``live``; ``lifespan`` runs the reloader and reminders."""
    site = SiteEndpoint(live)
    starlette = Starlette(
        routes=[
            Route("/healthz", _health(live), methods=["GET"]),
            Route("/metrics", _metrics, methods=["GET"]),
            Route("/{path:path}", site),
        ],
        lifespan=lifespan or _no_lifespan,
    )
    return CalendarApp(live, starlette, site)
