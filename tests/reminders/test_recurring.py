"""Reminders before each occurrence of a series: planned per occurrence, keyed by it."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compact_calendar.registry.model import Registry
from compact_calendar.reminders.dispatcher import RetryPolicy
from compact_calendar.reminders.planning import plan
from compact_calendar.reminders.service import ReminderService
from compact_calendar.state.database import Database

from .helpers import Clock, WebhookReceiver, registry_from, settings_for, webhook_registry

START = datetime(2017, 8, 1, 12, 0, tzinfo=UTC)
# First Thursday of each month, 14:00 Berlin; reminded one hour before.
SERIES = """
- id: call
  title: Coordination call
  start: "2017-08-03T14:00"
  end: "2017-08-03T15:00"
  timezone: Europe/Berlin
  reminders: {channels: [hook], before_session: [1h]}
  repeat:
    every: "FREQ=MONTHLY;BYDAY=1TH"
    except: ["2017-10-05T14:00"]
    overrides:
      "2017-11-02T14:00": {start: "2017-11-03T09:00", end: "2017-11-03T10:00"}
"""


def test_each_occurrence_gets_its_own_reminder_at_its_local_time_across_dst() -> None:
    registry = registry_from(webhook_registry("https://hooks.example.org/x", SERIES), now=START)
    planned = plan(registry, START, horizon=timedelta(days=150)).reminders
    assert [(r.key, r.due) for r in planned] == [
        ("call@20170803T140000|1h|hook", datetime(2017, 8, 3, 11, 0, tzinfo=UTC)),
        ("call@20170907T140000|1h|hook", datetime(2017, 9, 7, 11, 0, tzinfo=UTC)),
        # 5 October is skipped; 2 November moved to 3 November 09:00 (after DST ends).
        ("call@20171102T140000|1h|hook", datetime(2017, 11, 3, 7, 0, tzinfo=UTC)),
        ("call@20171207T140000|1h|hook", datetime(2017, 12, 7, 12, 0, tzinfo=UTC)),
    ]


def test_an_open_ended_series_is_planned_only_within_the_horizon() -> None:
    registry = registry_from(webhook_registry("https://hooks.example.org/x", SERIES), now=START)
    short = plan(registry, START, horizon=timedelta(days=40)).reminders
    assert [r.key for r in short] == [
        "call@20170803T140000|1h|hook",
        "call@20170907T140000|1h|hook",
    ]
    later = START + timedelta(days=365)
    ahead = plan(registry, later, horizon=timedelta(days=40)).reminders
    assert [r.key.split("|")[0] for r in ahead] == ["call@20180802T140000", "call@20180906T140000"]


def series_registry(receiver: WebhookReceiver, events: str = SERIES) -> Registry:
    return registry_from(webhook_registry(receiver.url, events), now=START)


@pytest.fixture
async def service(tmp_path: Path, receiver: WebhookReceiver) -> AsyncIterator[ReminderService]:
    database = Database(settings_for(tmp_path).database_url)
    engine = ReminderService(
        settings_for(tmp_path),
        database,
        clock=Clock(START),
        schedule=False,
        retry=RetryPolicy(base=timedelta(seconds=10), cap=timedelta(minutes=5), max_attempts=4),
        rng=random.Random(3),
    )
    await engine.start(series_registry(receiver))
    yield engine
    await engine.stop()
    database.dispose()


async def test_cancelling_one_occurrence_drops_its_reminder_and_keeps_the_others(
    service: ReminderService, receiver: WebhookReceiver
) -> None:
    clock = service.clock
    assert isinstance(clock, Clock)
    clock.set(datetime(2017, 8, 3, 11, 0, tzinfo=UTC))
    assert (await service.run_due()).sent == 1
    cancelled = SERIES.replace(
        '"2017-11-02T14:00": {start',
        '"2017-09-07T14:00": {status: cancelled}\n      "2017-11-02T14:00": {start',
    )
    report = await service.update(series_registry(receiver, cancelled))
    assert report.cancelled == 1
    statuses = {r.key: r.status for r in service.ledger.rows()}
    assert statuses["call@20170907T140000|1h|hook"] == "cancelled"
    assert statuses["call@20170803T140000|1h|hook"] == "sent"
    clock.set(datetime(2017, 9, 7, 11, 0, tzinfo=UTC))
    assert (await service.run_due()).sent == 0
    clock.set(datetime(2017, 11, 3, 7, 0, tzinfo=UTC))
    assert (await service.run_due()).sent == 1
    assert receiver.keys() == ["call@20170803T140000|1h|hook", "call@20171102T140000|1h|hook"]
