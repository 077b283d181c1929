"""Prometheus metrics of the whole process, on one collector registry.

Defined in one place so the server, the feeds and the reminder engine count into the
same registry that ``/metrics`` exposes.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = [
    "REGISTRY",
    "feed_not_modified",
    "feed_requests",
    "registry_loaded_timestamp",
    "registry_reloads",
    "reminders_dead",
    "reminders_planned",
    "reminders_retried",
    "reminders_sent",
    "render_seconds",
]

REGISTRY = CollectorRegistry(auto_describe=True)

feed_requests = Counter(
    "compact_calendar_requests",
    "HTTP requests by route and status.",
    ["route", "status"],
    registry=REGISTRY,
)
feed_not_modified = Counter(
    "compact_calendar_not_modified",
    "Requests answered 304 Not Modified, by route.",
    ["route"],
    registry=REGISTRY,
)
registry_reloads = Counter(
    "compact_calendar_registry_reloads",
    "Registry reloads by outcome (ok, invalid).",
    ["outcome"],
    registry=REGISTRY,
)
registry_loaded_timestamp = Gauge(
    "compact_calendar_registry_loaded_timestamp_seconds",
    "When the registry being served was loaded (Unix time).",
    registry=REGISTRY,
)
render_seconds = Histogram(
    "compact_calendar_render_seconds",
    "Time to render every feed and the page for one registry version.",
    registry=REGISTRY,
)
reminders_planned = Gauge(
    "compact_calendar_reminders_planned",
    "Reminders in the ledger by status.",
    ["status"],
    registry=REGISTRY,
)
reminders_sent = Counter(
    "compact_calendar_reminders_sent",
    "Reminders delivered, by channel.",
    ["channel"],
    registry=REGISTRY,
)
reminders_retried = Counter(
    "compact_calendar_reminders_retried",
    "Delivery attempts that failed and will be retried, by channel.",
    ["channel"],
    registry=REGISTRY,
)
reminders_dead = Counter(
    "compact_calendar_reminders_dead",
    "Reminders given up on (permanent failure or too many attempts), by channel.",
    ["channel"],
    registry=REGISTRY,
)
