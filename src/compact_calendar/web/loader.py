"""From the registry file to a :class:`Published` version: read, validate, render, prepare.

Blocking (disk, the feed database, CPU): the server runs it in a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from compact_calendar import metrics
from compact_calendar.feeds.site import Site
from compact_calendar.registry.model import Registry
from compact_calendar.registry_file import FileSignature, file_signature, load_registry
from compact_calendar.web.live import Published

__all__ = ["Clock", "RegistryLoader", "Render"]

Render = Callable[[Registry, datetime], Site]
"""Renders every published file of a registry as of ``now``."""
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RegistryLoader:
    """Loads the registry at ``path`` and renders it with ``render``."""

    def __init__(
        self,
        path: Path,
        render: Render,
        *,
        env: Mapping[str, str] | None = None,
        clock: Clock = _utc_now,
        quantum: float = 0.0,
    ) -> None:
        """``quantum`` (seconds): render "as of" ``now`` rounded down to a multiple of it,
        so that replicas rendering the same registry in the same period publish the same
        bytes (and ETags), the page included."""
        self.path = path
        self.quantum = quantum
        self.render = render
        self.env = env
        self.clock = clock
        self.previous: Published | None = None
        self.signature: FileSignature | None = None
        """The file's identity, size and change time when it was last read."""

    def changed(self) -> bool:
        """Whether the file differs from the one last read (a cheap ``stat``)."""
        return file_signature(self.path) != self.signature

    def load(self) -> Published:
        """A new version; raises RegistryInvalid or UsageError and changes nothing."""
        now = self.clock()
        # Taken before reading, so a save landing during the load still counts as a change.
        self.signature = file_signature(self.path)
        registry, _checked = load_registry(self.path, now=now, env=self.env)
        return self.rerender(registry, now=now, loaded_at=now)

    def as_of(self, now: datetime) -> datetime:
        if not self.quantum:
            return now
        seconds = now.timestamp()
        return datetime.fromtimestamp(seconds - seconds % self.quantum, UTC)

    def rerender(self, registry: Registry, *, now: datetime, loaded_at: datetime) -> Published:
        """The same registry rendered as of ``now`` (the page's "upcoming" moves on)."""
        started = time.perf_counter()
        site = self.render(registry, self.as_of(now))
        published = Published.prepare(
            registry,
            site,
            loaded_at=loaded_at,
            registry_file=str(self.path),
            previous=self.previous,
        )
        self.previous = published
        metrics.render_seconds.observe(time.perf_counter() - started)
        return published
