"""Live reload: watch the registry file, load each save, swap in what is valid.

Editors save in several ways (write in place, truncate then write, write a temporary
file then rename it over the original). The registry's directory is watched, not the
file, so a rename is seen too; changes are grouped until the file has been quiet for
``settle`` seconds; a ``stat`` every ``poll_every`` seconds catches what the watcher
missed. Loading and rendering run in a worker thread, one at a time, and a
save that fails leaves the last good version serving.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from watchfiles import Change, awatch

from compact_calendar import metrics
from compact_calendar.errors import CompactCalendarError, RegistryInvalid
from compact_calendar.registry.model import Registry
from compact_calendar.web.live import LiveSite, Published
from compact_calendar.web.loader import RegistryLoader

__all__ = ["RegistryListener", "Reloader"]

logger = logging.getLogger("compact_calendar.web.reload")


class RegistryListener(Protocol):
    """Something else in the process that follows the registry (the reminder service)."""

    async def update(self, registry: Registry) -> object: ...


class Reloader:
    """Keeps ``live`` up to date with the registry file and with the passing of time."""

    def __init__(
        self,
        live: LiveSite,
        loader: RegistryLoader,
        *,
        listeners: Sequence[RegistryListener] = (),
        settle: float = 0.2,
        refresh_every: float = 300.0,
        poll_every: float = 2.0,
    ) -> None:
        self.live = live
        self.loader = loader
        self.listeners = list(listeners)
        self.settle = settle
        self.refresh_every = refresh_every
        self.poll_every = poll_every
        self._lock = asyncio.Lock()

    async def reload(self) -> bool:
        """Load the file now; True if the new version is being served."""
        async with self._lock:
            started = time.perf_counter()
            try:
                published = await asyncio.to_thread(self.loader.load)
            except RegistryInvalid as exc:
                self._failed("invalid", str(exc), [d.format() for d in exc.errors])
                return False
            except CompactCalendarError as exc:
                self._failed("error", str(exc), [])
                return False
            except Exception as exc:  # a bug in rendering must not take the feeds down
                logger.exception("rendering the registry failed")
                self._failed("error", f"rendering failed: {type(exc).__name__}: {exc}", [])
                return False
            self.live.swap(published)
            metrics.registry_reloads.labels(outcome="ok").inc()
            metrics.registry_loaded_timestamp.set(published.loaded_at.timestamp())
            logger.info(
                "registry reloaded: %s, %d events, %d files, in %.2f s",
                published.registry_file,
                len(published.registry.events),
                len(published.site.resources),
                time.perf_counter() - started,
                extra={"event": "registry_reloaded", "events": len(published.registry.events)},
            )
        await self._notify(published.registry)
        return True

    def _failed(self, outcome: str, error: str, details: list[str]) -> None:
        now = self.loader.clock()
        self.live.fail(error, at=now)
        metrics.registry_reloads.labels(outcome=outcome).inc()
        for line in details:
            logger.warning("%s", line, extra={"event": "registry_error"})
        logger.warning(
            "registry not reloaded, still serving the version loaded at %s: %s",
            self.live.current.loaded_at.isoformat(timespec="seconds"),
            error,
            extra={"event": "registry_degraded", "error": error},
        )

    async def _notify(self, registry: Registry) -> None:
        for listener in self.listeners:
            try:
                await listener.update(registry)
            except Exception:
                logger.exception("%s could not take the new registry", type(listener).__name__)

    async def refresh(self) -> None:
        """Re-render the version being served as of now, keeping its load time and health."""
        async with self._lock:
            current = self.live.current
            now = self.loader.clock()
            try:
                published: Published = await asyncio.to_thread(
                    self.loader.rerender, current.registry, now=now, loaded_at=current.loaded_at
                )
            except Exception:
                logger.exception("periodic re-render failed; still serving the previous one")
                return
            # Only if no reload swapped in a newer registry meanwhile.
            if self.live.current is current:
                self.live.current = published

    def _concerns(self, _change: Change, path: str) -> bool:
        return Path(path).name == self.loader.path.name

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload after every save until ``stop`` is set."""
        directory = self.loader.path.resolve().parent
        settle_ms = max(1, int(self.settle * 1000))
        async for _changes in awatch(
            directory,
            watch_filter=self._concerns,
            step=settle_ms,
            debounce=max(2000, settle_ms * 4),
            recursive=False,
            stop_event=stop,
        ):
            await self.reload()

    async def refresh_periodically(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Aligned to the wall clock, so replicas re-render in the same periods.
            wait = self.refresh_every - time.time() % self.refresh_every + 0.5
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
            except TimeoutError:
                await self.refresh()

    async def poll(self, stop: asyncio.Event) -> None:
        """A safety net under the watcher: a ``stat`` every few seconds catches a save the
        watcher missed (one made while it was starting, or on a network file system)."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.poll_every)
            except TimeoutError:
                if self.loader.changed() and not self._lock.locked():
                    await self.reload()

    async def run(self, stop: asyncio.Event) -> None:
        """Watch, poll and refresh until ``stop`` is set."""
        await asyncio.gather(self.watch(stop), self.poll(stop), self.refresh_periodically(stop))
