"""Several replicas on one PostgreSQL database send each reminder exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compact_calendar.reminders.service import ReminderService
from compact_calendar.state.database import Database

from .helpers import Clock, WebhookReceiver, registry_from, settings_for, webhook_registry

pytestmark = pytest.mark.postgres

NOW = datetime(2017, 8, 1, tzinfo=UTC)


def _events(n_events: int, per_event: int) -> str:
    lines = []
    for e in range(n_events):
        lines.append(f"- id: e{e}\n  title: Event {e}\n  start: 2017-09-04")
        lines.append("  reminders: {channels: [hook], before_deadline: [1d], before_session: []}")
        lines.append("  deadlines:")
        for d in range(per_event):
            lines.append(f'    - {{id: d{d}, title: Deadline {d}, due: "2017-08-20T12:00Z"}}')
    return "\n".join(lines)


async def test_two_replicas_deliver_500_reminders_none_missing_none_twice(
    tmp_path: Path, pg_schema_url: str, receiver: WebhookReceiver
) -> None:
    registry = registry_from(webhook_registry(receiver.url, _events(50, 10)), now=NOW)
    clock = Clock(NOW)
    replicas = []
    for _ in range(2):
        database = Database(pg_schema_url)
        service = ReminderService(
            settings_for(tmp_path, database_url=pg_schema_url),
            database,
            clock=clock,
            schedule=False,
            concurrency=8,
        )
        replicas.append((service, database))
    # Both start (migrate and reconcile) at once, as replicas deployed together would.
    await asyncio.gather(*(service.start(registry) for service, _ in replicas))
    try:
        clock.set(datetime(2017, 8, 19, 12, 0, tzinfo=UTC))
        summaries = await asyncio.gather(*(service.run_due() for service, _ in replicas))
        # A second round finds nothing left.
        again = await asyncio.gather(*(service.run_due() for service, _ in replicas))
    finally:
        for service, database in replicas:
            await service.stop()
            database.dispose()

    counts = Counter(receiver.keys())
    assert len(counts) == 500
    assert max(counts.values()) == 1
    assert receiver.rejected == []
    assert sum(s.sent for s in summaries) == 500
    assert all(s.sent > 0 for s in summaries), [s.sent for s in summaries]
    assert sum(s.attempted for s in again) == 0
    assert replicas[0][0].ledger.counts()["sent"] == 500


async def test_a_crashed_replicas_lease_is_taken_over(
    tmp_path: Path, pg_schema_url: str, receiver: WebhookReceiver
) -> None:
    registry = registry_from(webhook_registry(receiver.url, _events(1, 3)), now=NOW)
    clock = Clock(datetime(2017, 8, 19, 12, 0, tzinfo=UTC))
    database = Database(pg_schema_url)
    service = ReminderService(
        settings_for(tmp_path, database_url=pg_schema_url), database, clock=clock, schedule=False
    )
    await service.start(registry)
    try:
        crashed = service.ledger.claim(clock(), lease=timedelta(seconds=30), limit=10)
        assert len(crashed) == 3
        assert (await service.run_due()).attempted == 0
        clock.advance(timedelta(seconds=31))
        assert (await service.run_due()).sent == 3
        assert not service.ledger.mark_dead(crashed[0], clock(), status_code=None, error="x")
    finally:
        await service.stop()
        database.dispose()
    assert sorted(Counter(receiver.keys()).values()) == [1, 1, 1]
