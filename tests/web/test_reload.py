"""Live reload from a real file watched with watchfiles, with a stand-in renderer.

The renderer here writes one line per event, so each version's bytes say which save
they came from; the end-to-end tests repeat the important cases with the real one.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compact_calendar.errors import RegistryInvalid
from compact_calendar.feeds.site import CALENDAR_CONTENT_TYPE, Resource, Site
from compact_calendar.registry.model import Registry
from compact_calendar.web.live import LiveSite
from compact_calendar.web.loader import RegistryLoader
from compact_calendar.web.reload import Reloader

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def registry_text(*titles: str) -> str:
    events = "".join(
        f"  - id: event-{i}\n    title: {title}\n    start: 2030-09-0{i + 1}\n"
        for i, title in enumerate(titles)
    )
    return (
        "calendar:\n  id: test-cal\n  name: Test calendar\n  timezone: Europe/Vienna\n"
        f"events:\n{events}"
    )


BROKEN = registry_text("Fine").replace("title: Fine", "titel: Fine")


def render(registry: Registry, now: datetime) -> Site:
    body = "".join(f"{event.title}\n" for event in registry.events).encode()
    resource = Resource("calendar.ics", body, CALENDAR_CONTENT_TYPE, now)
    return Site({"calendar.ics": resource}, generated_at=now)


def served(live: LiveSite) -> list[str]:
    return live.current.site.resources["calendar.ics"].body.decode().splitlines()


@dataclass
class Listener:
    seen: list[list[str]] = field(default_factory=list)

    async def update(self, registry: Registry) -> None:
        self.seen.append([e.title for e in registry.events])


@dataclass
class Running:
    path: Path
    live: LiveSite
    reloader: Reloader
    listener: Listener

    async def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.02)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    path = tmp_path / "events.yaml"
    path.write_text(registry_text("Original"))
    loader = RegistryLoader(path, render, env={}, clock=lambda: NOW)
    live = LiveSite(loader.load())
    listener = Listener()
    reloader = Reloader(live, loader, listeners=[listener], settle=0.05, refresh_every=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(reloader.run(stop))
    await asyncio.sleep(0.3)  # the watcher is set up
    try:
        yield Running(path, live, reloader, listener)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_a_save_in_place_is_served(running: Running) -> None:
    running.path.write_text(registry_text("Edited"))
    await running.until(lambda: served(running.live) == ["Edited"])
    assert running.live.error is None
    assert running.listener.seen[-1] == ["Edited"]


async def test_write_then_rename_is_served(running: Running) -> None:
    temporary = running.path.with_name(".events.yaml.swp")
    temporary.write_text(registry_text("Renamed", "Second"))
    os.replace(temporary, running.path)
    await running.until(lambda: served(running.live) == ["Renamed", "Second"])


async def test_truncate_then_write_is_served_once_complete(running: Running) -> None:
    with running.path.open("r+") as file:
        file.truncate(0)
        file.flush()
        os.fsync(file.fileno())
        await asyncio.sleep(0.01)
        file.write(registry_text("Rewritten"))
    await running.until(lambda: served(running.live) == ["Rewritten"])
    assert running.live.error is None


async def test_other_files_in_the_directory_are_ignored(running: Running) -> None:
    loads = running.listener.seen.copy()
    (running.path.parent / "notes.txt").write_text("unrelated")
    await asyncio.sleep(0.5)
    assert running.listener.seen == loads


async def test_a_broken_save_keeps_the_last_good_version_until_fixed(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="compact_calendar")
    before = running.live.current
    running.path.write_text(BROKEN)
    await running.until(lambda: running.live.error is not None)
    assert running.live.current is before
    assert served(running.live) == ["Original"]
    health = running.live.health()
    assert health["status"] == "degraded"
    assert health["error"].startswith(f"{running.path}:6:5: error: events[0].title: missing")
    assert health["error"].endswith("(and 1 more)")
    assert any("events[0].titel" in r.getMessage() for r in caplog.records)
    assert any("still serving" in r.getMessage() for r in caplog.records)

    running.path.write_text(registry_text("Fixed"))
    await running.until(lambda: served(running.live) == ["Fixed"])
    assert running.live.health()["status"] == "ok"
    assert running.live.error is None


async def test_a_deleted_file_degrades_and_keeps_serving(running: Running) -> None:
    running.path.unlink()
    await running.until(lambda: running.live.error is not None)
    assert "no such file" in (running.live.error or "")
    assert served(running.live) == ["Original"]
    running.path.write_text(registry_text("Back"))
    await running.until(lambda: served(running.live) == ["Back"])


async def test_refresh_rerenders_without_touching_health(running: Running) -> None:
    running.path.write_text(BROKEN)
    await running.until(lambda: running.live.error is not None)
    loaded_at = running.live.current.loaded_at
    before = running.live.current
    await running.reloader.refresh()
    assert running.live.current is not before
    assert running.live.current.loaded_at == loaded_at
    assert running.live.error is not None


async def test_a_failing_renderer_keeps_the_last_good_version(tmp_path: Path) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(registry_text("Original"))
    calls = 0

    def flaky(registry: Registry, now: datetime) -> Site:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise RuntimeError("template missing")
        return render(registry, now)

    loader = RegistryLoader(path, flaky, env={}, clock=lambda: NOW)
    live = LiveSite(loader.load())
    assert not await Reloader(live, loader).reload()
    assert live.error == "rendering failed: RuntimeError: template missing"
    assert served(live) == ["Original"]


def test_starting_with_an_invalid_registry_raises_every_error(tmp_path: Path) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(BROKEN)
    with pytest.raises(RegistryInvalid) as raised:
        RegistryLoader(path, render, env={}, clock=lambda: NOW).load()
    assert len(raised.value.errors) == 2
