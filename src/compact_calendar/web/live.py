"""The version being served, and what went wrong with the last attempt to replace it.

A :class:`Published` is immutable: every request reads :attr:`LiveSite.current` once and
answers from that object alone, so swapping the reference (one assignment) is atomic for
readers: a request sees the old version or the new one, in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from compact_calendar.feeds.site import Site
from compact_calendar.registry.model import Registry
from compact_calendar.web.http import PreparedResource, prepare, url_path_for

__all__ = ["LiveSite", "Published", "route_label"]


def route_label(url_path: str) -> str:
    """A bounded metrics label for a URL path: one per kind of feed, not per id."""
    if url_path in ("/", "/index.html"):
        return "/"
    if url_path in ("/calendar.ics", "/deadlines.ics"):
        return url_path
    if url_path.endswith(".ics"):
        for prefix in ("/tracks/", "/events/"):
            if url_path.startswith(prefix):
                return prefix + "{id}.ics"
    return "/static"


@dataclass(frozen=True, slots=True)
class Published:
    """One registry version, rendered and prepared for HTTP."""

    registry: Registry
    site: Site
    routes: Mapping[str, PreparedResource]
    """By URL path (``/``, ``/calendar.ics``, ...)."""
    loaded_at: datetime
    registry_file: str

    @classmethod
    def prepare(
        cls,
        registry: Registry,
        site: Site,
        *,
        loaded_at: datetime,
        registry_file: str,
        previous: Published | None = None,
    ) -> Published:
        """Prepare every file; those unchanged since ``previous`` are reused, not re-gzipped."""
        known = previous.routes if previous is not None else {}
        routes = {}
        for path, resource in site.resources.items():
            url_path = url_path_for(path)
            prepared = known.get(url_path)
            if prepared is None or prepared.source != resource:
                prepared = prepare(resource)
            routes[url_path] = prepared
            if path == "index.html":
                routes["/index.html"] = prepared
        return cls(registry, site, routes, loaded_at, registry_file)


class LiveSite:
    """The process's current :class:`Published` and the health of the registry file."""

    def __init__(self, published: Published) -> None:
        self.current = published
        self.error: str | None = None
        self.error_at: datetime | None = None

    def swap(self, published: Published) -> None:
        self.current = published
        self.error = None
        self.error_at = None

    def fail(self, error: str, *, at: datetime) -> None:
        """A reload failed: keep serving :attr:`current`, and say why on ``/healthz``."""
        self.error = error
        self.error_at = at

    def health(self) -> Mapping[str, Any]:
        current = self.current
        return {
            "status": "degraded" if self.error else "ok",
            "registry": current.registry_file,
            "registry_loaded_at": current.loaded_at.isoformat(),
            "generated_at": current.site.generated_at.isoformat(),
            "error": self.error,
            "error_at": self.error_at.isoformat() if self.error_at else None,
            "events": len(current.registry.events),
            "etag": _calendar_etag(current),
        }


def _calendar_etag(published: Published) -> str | None:
    calendar = published.routes.get("/calendar.ics")
    return calendar.identity.etag.decode("ascii") if calendar else None
