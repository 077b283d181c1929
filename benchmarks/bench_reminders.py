"""Reminders: planning 100,000 reminders, dispatching 2,000, and lateness.

* planning: ``plan()`` over a generated registry with at least 100,000 reminders (time
  and peak memory), against resolving the same registry's items (the floor: planning
  can not be cheaper than reading every item);
* dispatch: 2,000 due reminders sent by the engine (SQLite ledger, claims, leases,
  attempt records, signed generic webhook) to a receiver in another process, against a
  bare ``httpx.AsyncClient`` loop posting the same bodies to the same receiver with the
  same concurrency;
* lateness: 200 reminders falling due over 5 s, sent by the running service (APScheduler
  wake-ups, wall clock), from due instant to receipt (p50, p99).

Targets: planning under 2 s; dispatch at least 50 % of the bare loop; p99 under 1 s.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from benchmarks.generate_registry import generate
from compact_calendar.channels.webhook.generic import GenericWebhook, decode_secret, sign
from compact_calendar.config import Settings
from compact_calendar.registry.check import check_registry
from compact_calendar.registry.items import items
from compact_calendar.registry.model import Registry
from compact_calendar.reminders.dispatcher import delivery_for
from compact_calendar.reminders.planning import delivery_id, plan
from compact_calendar.reminders.service import ReminderService
from compact_calendar.state.database import Database

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 (a benchmark-only key)
CONCURRENCY = 16
RECEIVER = """
import sys, time, json
import uvicorn
received = {}
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "GET":
        payload = json.dumps(received).encode()
        received.clear()
    else:
        headers = dict(scope["headers"])
        received[headers.get(b"webhook-id", b"").decode()] = time.time()
        payload = b"ok"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
import socket
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(1024)
print(sock.getsockname()[1], flush=True)
config = uvicorn.Config(app, log_level="warning", http="httptools", lifespan="off")
uvicorn.Server(config).run(sockets=[sock])
"""


def _registry(text: str, now: datetime) -> Registry:
    checked = check_registry(
        text,
        filename="bench.yaml",
        env={"CHAT_WEBHOOK_URL": "https://example.org/", "CHAT_WEBHOOK_SECRET": SECRET},
        now=now,
    )
    assert checked.registry is not None, [d.format() for d in checked.errors][:3]
    return checked.registry


def bench_planning() -> None:
    now = datetime(2017, 1, 1, tzinfo=UTC)
    registry = _registry(generate(8000), now)
    started = time.perf_counter()
    count = sum(1 for _ in items(registry))
    floor = time.perf_counter() - started
    tracemalloc.start()
    plan(registry, now)
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Timed without tracemalloc, which slows allocation-heavy code.
    started = time.perf_counter()
    planned = plan(registry, now)
    elapsed = time.perf_counter() - started
    print(
        f"   planning: {len(planned.reminders):,} reminders for {count:,} items in "
        f"{elapsed:.2f} s (target < 2 s), peak {peak / 2**20:.0f} MiB; "
        f"{elapsed / floor:.1f}x resolving the items ({floor:.2f} s)"
    )


def _events(count: int, first_due: datetime, spread: float) -> str:
    lines = []
    for n in range(count):
        due = first_due + timedelta(seconds=spread * n / count) + timedelta(hours=1)
        stamp = due.strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(
            f"  - {{id: e{n}, title: Event {n}, start: {due.date() + timedelta(days=30)}, "
            f'deadlines: [{{id: d, title: Registration closes, due: "{stamp}"}}]}}'
        )
    return "\n".join(lines)


def _text(url: str, events: str) -> str:
    return (
        "calendar: {id: bench, name: Bench, timezone: Europe/Vienna}\n"
        f'channels:\n  hook: {{type: webhook, url: "{url}", secret: "{SECRET}"}}\n'
        "reminders: {channels: [hook], before_deadline: [60m], before_session: []}\n"
        f"events:\n{events}\n"
    )


def _settings(directory: Path) -> Settings:
    return Settings(
        registry=directory / "events.yaml",
        database_url=f"sqlite:///{directory / 'state.sqlite3'}",
        smtp_url=None,
        mail_from="bench@localhost",
        public_url=None,
        outbox=directory / "outbox",
        late_grace=timedelta(hours=6),
        planning_horizon=timedelta(days=400),
    )


async def _stats(client: httpx.AsyncClient, url: str) -> dict[str, float]:
    response = await client.get(url)
    data: dict[str, float] = json.loads(response.content)
    return data


async def _dispatch(base: str, directory: Path) -> None:
    url = f"{base}/hook"
    now = datetime.now(UTC)
    registry = _registry(_text(url, _events(2000, now - timedelta(minutes=1), 30)), now)
    database = Database(_settings(directory).database_url)
    service = ReminderService(
        _settings(directory), database, schedule=False, concurrency=CONCURRENCY
    )
    await service.start(registry)
    # The same bodies, for the bare loop: what the engine posts for each reminder.
    bodies = []
    hook = service.channels["hook"]
    assert isinstance(hook, GenericWebhook)
    assert service.current_plan is not None
    for row in service.ledger.rows():
        delivery = delivery_for(
            row, calendar=registry.calendar, items=service.current_plan.items, now=now,
            public_url=None,
        )  # fmt: skip
        assert delivery is not None
        bodies.append(hook.request(delivery)[0])
    key = decode_secret(SECRET)
    async with httpx.AsyncClient() as client:
        await _stats(client, base)
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def post(index: int, body: bytes) -> None:
            async with semaphore:
                stamp = int(time.time())
                message_id = f"msg_bare{index}"
                await client.post(
                    url,
                    content=body,
                    headers={
                        "content-type": "application/json",
                        "webhook-id": message_id,
                        "webhook-timestamp": str(stamp),
                        "webhook-signature": sign(key, message_id, stamp, body),
                    },
                )

        started = time.perf_counter()
        await asyncio.gather(*(post(i, b) for i, b in enumerate(bodies)))
        bare = time.perf_counter() - started
        assert len(await _stats(client, base)) == len(bodies)

        started = time.perf_counter()
        summary = await service.run_due()
        engine = time.perf_counter() - started
        assert summary.sent == len(bodies), summary
        assert len(await _stats(client, base)) == len(bodies)
    await service.stop()
    database.dispose()
    print(
        f"   dispatch: {len(bodies):,} reminders in {engine:.2f} s "
        f"({len(bodies) / engine:,.0f}/s) = {bare / engine:.0%} of a bare httpx loop "
        f"({len(bodies) / bare:,.0f}/s) (target >= 50%)"
    )


async def _lateness(base: str, directory: Path) -> None:
    url = f"{base}/hook"
    now = datetime.now(UTC)
    first_due = now + timedelta(seconds=3)
    registry = _registry(_text(url, _events(200, first_due, 5)), now)
    database = Database(_settings(directory).database_url)
    service = ReminderService(_settings(directory), database, concurrency=CONCURRENCY)
    async with httpx.AsyncClient() as client:
        await _stats(client, base)
        await service.start(registry)
        await asyncio.sleep(10)
        received = await _stats(client, base)
    await service.stop()
    database.dispose()
    due = {row.key: row.due.timestamp() for row in service.ledger.rows()}
    by_id = {delivery_id("bench", k): d for k, d in due.items()}
    late = sorted(received[i] - by_id[i] for i in received if i in by_id)
    assert len(late) == len(due), (len(late), len(due))
    p50 = statistics.median(late)
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    print(
        f"   lateness: {len(late)} on-time reminders, due instant to receipt "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (target p99 < 1000 ms)"
    )


def main() -> None:
    bench_planning()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
            asyncio.run(_dispatch(base, Path(first)))
            asyncio.run(_lateness(base, Path(second)))
    finally:
        receiver.terminate()
        receiver.wait(10)
