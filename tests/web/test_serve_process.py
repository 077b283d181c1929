"""``compact-calendar serve`` end to end: a real process, the real renderer, real saves."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from compact_calendar.testing.interop import assert_parsers_agree

from .serving import ServeProcess

pytestmark = pytest.mark.slow

SERVE = [sys.executable, "-m", "compact_calendar", "serve"]


def renamed(registry: Path, name: str) -> str:
    text = registry.read_text()
    start = text.index("  name: ")
    end = text.index("\n", start)
    return text[:start] + f"  name: {name}" + text[end:]


def save_by_rename(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def health(server: ServeProcess) -> dict[str, object]:
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 200
    result: dict[str, object] = response.json()
    return result


def wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_serves_the_seed_calendar_as_valid_feeds(server: ServeProcess) -> None:
    response = httpx.get(f"{server.url}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert_parsers_agree(response.content)
    tracks = httpx.get(f"{server.url}/tracks/gcm.ics")
    assert tracks.status_code == 200
    assert httpx.get(f"{server.url}/tracks/no-such-track.ics").status_code == 404
    page = httpx.get(f"{server.url}/")
    assert page.headers["content-type"].startswith("text/html")
    assert "Global Compact for Migration" in page.text


def test_sigterm_stops_gracefully_with_exit_0(registry: Path) -> None:
    serving = ServeProcess.start(registry)  # reminders on: they stop too
    try:
        assert health(serving)["status"] == "ok"
        started = time.monotonic()
        assert serving.terminate(signal.SIGTERM) == 0
        assert time.monotonic() - started < 10
        assert any(e.get("event") == "stopped" for e in serving.logs)
    finally:
        serving.kill()


def test_sigint_stops_gracefully_with_exit_0(server: ServeProcess) -> None:
    assert server.terminate(signal.SIGINT) == 0


def test_a_second_signal_forces_the_exit_without_a_traceback(registry: Path) -> None:
    # As when `make run` is stopped: make and the server each get the signal.
    serving = ServeProcess.start(registry)
    try:
        serving.process.send_signal(signal.SIGTERM)
        serving.process.send_signal(signal.SIGTERM)
        serving.process.wait(15)
        output = serving.drain()
        assert "Traceback" not in output
        assert any(e.get("event") == "stopped" for e in serving.logs)
    finally:
        serving.kill()


def test_an_invalid_registry_at_start_fails_fast_with_every_error(registry: Path) -> None:
    registry.write_text(registry.read_text().replace("    title:", "    titel:", 2))
    serving = ServeProcess.start(registry, "--no-reminders", wait=False)
    try:
        assert serving.process.wait(30) == 1
        output = serving.drain()
        assert output.count("unknown field `titel`") == 2
        assert "the registry is invalid" in output
        assert "Traceback" not in output
    finally:
        serving.kill()


def test_a_busy_port_is_a_one_line_error(registry: Path, server: ServeProcess) -> None:
    port = server.url.rsplit(":", 1)[1]
    result = subprocess.run(
        [*SERVE, "--registry", registry.name, "--port", port, "--no-reminders"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=registry.parent,
    )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_save_keeps_feeds_and_reports_degraded_until_fixed(
    registry: Path, server: ServeProcess
) -> None:
    before = httpx.get(f"{server.url}/calendar.ics")
    good = registry.read_text()
    registry.write_text(good.replace("  timezone: Asia/Manila", "  timezone: Asia/Manilla", 1))
    wait_until(lambda: health(server)["status"] == "degraded")
    status = health(server)
    assert str(status["error"]).startswith("events.yaml:")
    assert "Asia/Manilla" in str(status["error"])
    server.wait_for(lambda e: e.get("event") == "registry_degraded")
    after = httpx.get(f"{server.url}/calendar.ics")
    assert after.content == before.content
    assert after.headers["etag"] == before.headers["etag"]

    save_by_rename(registry, renamed(registry, "Fixed calendar").replace("Manilla", "Manila"))
    wait_until(lambda: health(server)["status"] == "ok")
    assert health(server)["error"] is None
    fixed = httpx.get(f"{server.url}/calendar.ics")
    assert b"X-WR-CALNAME:Fixed calendar" in fixed.content
    assert fixed.headers["etag"] != before.headers["etag"]


async def test_every_response_during_reloads_is_one_complete_version(
    registry: Path, server: ServeProcess
) -> None:
    versions = {name: renamed(registry, name) for name in ("Version Alpha", "Version Beta")}
    markers = {f"X-WR-CALNAME:{name}".encode() for name in versions}
    bodies: list[tuple[httpx.Headers, bytes]] = []

    async def fetch(client: httpx.AsyncClient) -> None:
        response = await client.get("/calendar.ics")
        assert response.status_code == 200
        bodies.append((response.headers, response.content))

    def save(round_: int) -> None:
        text = versions["Version Alpha" if round_ % 2 == 0 else "Version Beta"]
        if round_ % 3 == 0:
            registry.write_text(text)  # in place
        else:
            save_by_rename(registry, text)

    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(
        base_url=server.url, limits=limits, headers={"accept-encoding": "identity"}
    ) as client:
        for round_ in range(6):
            saving = asyncio.create_task(asyncio.to_thread(save, round_))
            for _batch in range(3):
                await asyncio.gather(*(fetch(client) for _ in range(40)))
            await saving
        await asyncio.to_thread(
            wait_until, lambda: b"Version Beta" in httpx.get(f"{server.url}/calendar.ics").content
        )
        await fetch(client)

    assert len(bodies) > 700
    seen = set()
    for headers, body in bodies:
        assert int(headers["content-length"]) == len(body)
        assert headers["etag"] == f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
        assert body.startswith(b"BEGIN:VCALENDAR\r\n")
        assert body.endswith(b"END:VCALENDAR\r\n")
        present = [marker for marker in markers if marker in body]
        assert len(present) <= 1
        seen.update(present)
    assert seen == markers, "the reloads were not observed"
    final = bodies[-1][1]
    assert b"X-WR-CALNAME:Version Beta" in final
    assert_parsers_agree(final)
