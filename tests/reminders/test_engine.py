"""The engine through real parts: SQLite ledger, real HTTP receiver, injected clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from compact_calendar.registry.model import Registry
from compact_calendar.reminders.dispatcher import RetryPolicy
from compact_calendar.reminders.planning import delivery_id
from compact_calendar.reminders.service import ReminderService, preview_delivery
from compact_calendar.state.database import Database

from .helpers import Answer, Clock, WebhookReceiver, registry_from, settings_for, webhook_registry

START = datetime(2017, 8, 1, 12, 0, tzinfo=UTC)
# A timed deadline at 2017-08-18 17:00 Vienna (15:00 UTC), reminded 1 day before.
DEADLINE_EVENTS = """
- id: tc5
  title: Fifth thematic consultation
  start: 2017-09-04
  end: 2017-09-05
  location: Vienna, Austria
  reminders: {channels: [hook], before_deadline: [1d], before_session: []}
  deadlines:
    - {id: registration, title: Registration closes, due: "2017-08-18T17:00",
       url: "https://example.org/register"}
"""
KEY = "tc5/deadlines/registration|1d|hook"
DUE = datetime(2017, 8, 17, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def registry(receiver: WebhookReceiver, events: str = DEADLINE_EVENTS) -> Registry:
    return registry_from(webhook_registry(receiver.url, events), now=START)


@pytest.fixture
async def service(
    tmp_path: Path, clock: Clock, receiver: WebhookReceiver
) -> AsyncIterator[ReminderService]:
    database = Database(settings_for(tmp_path).database_url)
    engine = ReminderService(
        settings_for(tmp_path),
        database,
        clock=clock,
        schedule=False,
        retry=RetryPolicy(base=timedelta(seconds=10), cap=timedelta(minutes=5), max_attempts=4),
        rng=random.Random(7),
    )
    await engine.start(registry(receiver))
    yield engine
    await engine.stop()
    database.dispose()


async def test_due_reminder_is_delivered_once_with_a_verified_signature(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    assert (await service.run_due()).sent == 0
    clock.set(DUE)
    assert (await service.run_due()).sent == 1
    assert (await service.run_due()).sent == 0
    clock.advance(timedelta(hours=1))
    assert (await service.run_due()).sent == 0

    [got] = receiver.wait_for(1)
    assert receiver.rejected == []
    assert got.webhook_id == delivery_id("cal", KEY)
    body = got.body
    assert body["type"] == "reminder"
    assert body["key"] == KEY
    assert body["late"] is False
    assert body["offset"] == "1d"
    assert body["remind_at"]["utc"] == "2017-08-17T15:00:00Z"
    assert body["remind_at"]["local"] == "2017-08-17T17:00:00+02:00"
    assert body["deadline"] == {
        "id": "registration",
        "title": "Registration closes",
        "url": "https://example.org/register",
    }
    assert body["item"]["moment"]["utc"] == "2017-08-18T15:00:00Z"
    assert body["text"].startswith("Registration closes in 24 hours: Fifth thematic")
    row = service.ledger.get(KEY)
    assert row is not None
    assert row.status == "sent"
    [attempt] = service.ledger.attempts(KEY)
    assert (attempt.outcome, attempt.status_code) == ("sent", 200)


async def test_answer_400_is_dead_and_not_retried(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    receiver.answer = lambda _n: Answer(400, body=b"unknown channel")
    clock.set(DUE)
    summary = await service.run_due()
    assert (summary.sent, summary.dead, summary.retried) == (0, 1, 0)
    clock.advance(timedelta(hours=2))
    await service.run_due()
    assert receiver.attempts == 1
    row = service.ledger.get(KEY)
    assert row is not None
    assert row.status == "dead"
    assert row.last_status == 400
    assert row.last_error is not None
    assert "400" in row.last_error
    assert "unknown channel" in row.last_error
    assert [r.key for r in service.ledger.rows(statuses=["dead"])] == [KEY]

    # Re-queued by hand, it goes again (and succeeds now).
    receiver.answer = lambda _n: Answer(200)
    assert service.ledger.requeue(clock(), keys=[KEY]) == [KEY]
    assert (await service.run_due()).sent == 1


async def test_redirect_is_not_followed_and_is_permanent(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    receiver.answer = lambda _n: Answer(301, headers={"location": "https://elsewhere.example/"})
    clock.set(DUE)
    assert (await service.run_due()).dead == 1
    row = service.ledger.get(KEY)
    assert row is not None
    assert row.last_error is not None
    assert "https://elsewhere.example/" in row.last_error


async def test_503_is_retried_with_backoff_under_the_same_webhook_id(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    receiver.answer = lambda n: Answer(503) if n <= 2 else Answer(200)
    clock.set(DUE)
    assert (await service.run_due()).retried == 1
    first = service.ledger.get(KEY)
    assert first is not None
    assert first.status == "retry"
    # Full jitter: the first retry comes within the base delay.
    assert DUE <= first.next_attempt_at <= DUE + timedelta(seconds=10)
    clock.set(first.next_attempt_at)
    assert (await service.run_due()).retried == 1
    second = service.ledger.get(KEY)
    assert second is not None
    assert second.next_attempt_at <= clock() + timedelta(seconds=20)
    clock.set(second.next_attempt_at)
    assert (await service.run_due()).sent == 1
    assert receiver.seen_ids == [delivery_id("cal", KEY)] * 3
    outcomes = [(a.outcome, a.status_code) for a in service.ledger.attempts(KEY)]
    assert outcomes == [("retry", 503), ("retry", 503), ("sent", 200)]


@pytest.mark.parametrize("as_date", [False, True], ids=["seconds", "http-date"])
async def test_retry_after_is_honoured(
    service: ReminderService,
    clock: Clock,
    receiver: WebhookReceiver,
    as_date: bool,
) -> None:
    def answer(n: int) -> Answer:
        if n > 1:
            return Answer(200)
        wait = (
            format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
            if as_date
            else "120"
        )
        return Answer(429, headers={"retry-after": wait})

    receiver.answer = answer
    clock.set(DUE)
    assert (await service.run_due()).retried == 1
    row = service.ledger.get(KEY)
    assert row is not None
    assert abs(row.next_attempt_at - (DUE + timedelta(seconds=120))) <= timedelta(seconds=2)
    clock.advance(timedelta(seconds=60))
    assert (await service.run_due()).attempted == 0
    clock.set(row.next_attempt_at)
    assert (await service.run_due()).sent == 1


async def test_receiver_down_then_up_is_delivered_after_retries(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    receiver.stop()
    clock.set(DUE)
    for _ in range(2):
        assert (await service.run_due()).retried == 1
        row = service.ledger.get(KEY)
        assert row is not None
        assert row.last_error is not None
        assert "cannot reach" in row.last_error
        clock.set(row.next_attempt_at)
    receiver.start()
    assert (await service.run_due()).sent == 1
    assert receiver.ids() == [delivery_id("cal", KEY)]


async def test_gives_up_after_the_bounded_number_of_attempts(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    receiver.answer = lambda _n: Answer(500)
    clock.set(DUE)
    for _ in range(4):
        await service.run_due()
        row = service.ledger.get(KEY)
        assert row is not None
        clock.set(max(row.next_attempt_at, clock()))
    row = service.ledger.get(KEY)
    assert row is not None
    assert row.status == "dead"
    assert row.attempts == 4
    assert receiver.attempts == 4
    assert "gave up after 4 attempts" in (row.last_error or "")


async def test_missed_during_downtime_is_sent_late_within_grace(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    clock.set(DUE + timedelta(hours=2))
    assert (await service.run_due()).sent == 1
    [got] = receiver.wait_for(1)
    assert got.body["late"] is True
    assert got.body["text"].startswith("Late reminder: Registration closes in 22 hours")
    row = service.ledger.get(KEY)
    assert row is not None
    assert row.late


async def test_missed_past_the_grace_window_is_expired_and_reported(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    clock.set(DUE + timedelta(hours=7))
    summary = await service.run_due()
    assert summary.sent == 0
    assert [row.key for row in summary.expired] == [KEY]
    row = service.ledger.get(KEY)
    assert row is not None
    assert row.status == "expired"
    assert "grace" in (row.last_error or "")
    assert receiver.attempts == 0


async def test_retrying_past_the_item_is_dead(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    receiver.answer = lambda _n: Answer(503, headers={"retry-after": str(2 * 86400)})
    clock.set(DUE)
    assert (await service.run_due()).dead == 1
    row = service.ledger.get(KEY)
    assert row is not None
    assert "passes before the next attempt" in (row.last_error or "")


async def test_an_edit_that_moves_the_deadline_moves_its_pending_reminder(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    moved = DEADLINE_EVENTS.replace("2017-08-18T17:00", "2017-08-25T17:00")
    report = await service.update(registry(receiver, moved))
    assert report.moved == 1
    clock.set(DUE + timedelta(hours=1))
    assert (await service.run_due()).sent == 0
    clock.set(DUE + timedelta(days=7))
    assert (await service.run_due()).sent == 1
    [got] = receiver.wait_for(1)
    assert got.body["item"]["moment"]["utc"] == "2017-08-25T15:00:00Z"
    assert got.body["late"] is False
    # Reconciling the same registry again changes nothing.
    assert not (await service.update(registry(receiver, moved))).changed


async def test_moving_an_item_already_reminded_about_sends_one_moved_notice(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    clock.set(DUE)
    assert (await service.run_due()).sent == 1
    moved = DEADLINE_EVENTS.replace("2017-08-18T17:00", "2017-08-25T17:00")
    clock.advance(timedelta(hours=1))
    report = await service.update(registry(receiver, moved))
    assert len(report.notices) == 1
    assert not (await service.update(registry(receiver, moved))).notices
    assert (await service.run_due()).sent == 1
    notice = receiver.wait_for(2)[1].body
    assert notice["type"] == "moved"
    assert notice["item"]["moment"]["utc"] == "2017-08-25T15:00:00Z"
    assert notice["previous"]["moment"]["utc"] == "2017-08-18T15:00:00Z"
    assert notice["text"].startswith("Moved:")
    # The sent reminder itself is never sent again.
    clock.set(DUE + timedelta(days=7))
    assert (await service.run_due()).sent == 0


async def test_cancelling_an_event_cancels_pending_and_notifies_reminded_channels(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    events = DEADLINE_EVENTS.replace("before_deadline: [1d]", "before_deadline: [1d, 2h]")
    await service.update(registry(receiver, events))
    clock.set(DUE)
    assert (await service.run_due()).sent == 1
    cancelled = events.replace(
        "title: Fifth thematic consultation", "title: Fifth\n  status: cancelled"
    )
    clock.advance(timedelta(hours=1))
    report = await service.update(registry(receiver, cancelled))
    assert report.cancelled == 1
    assert len(report.notices) == 1
    assert (await service.run_due()).sent == 1
    notice = receiver.wait_for(2)[1]
    assert notice.body["type"] == "cancelled"
    assert notice.body["text"].startswith("Cancelled:")
    assert notice.body["previous"]["key"] == "tc5/deadlines/registration"
    assert notice.webhook_id != receiver.received[0].webhook_id
    statuses = {r.key: r.status for r in service.ledger.rows()}
    assert statuses["tc5/deadlines/registration|2h|hook"] == "cancelled"

    # Un-cancelling revives the pending reminder, and it goes at its time.
    report = await service.update(registry(receiver, events))
    assert report.revived == 1
    clock.set(datetime(2017, 8, 18, 13, 0, tzinfo=UTC))
    assert (await service.run_due()).sent == 1
    assert receiver.keys()[-1] == "tc5/deadlines/registration|2h|hook"


async def test_removing_an_event_cancels_its_pending_reminders(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    other = "- {id: other, title: Other, start: 2017-10-01, reminders: {channels: [hook]}}"
    report = await service.update(registry(receiver, other))
    assert report.cancelled == 1
    assert service.ledger.get(KEY) is not None
    clock.set(DUE)
    await service.run_due()
    assert KEY not in list(receiver.keys())


async def test_a_lost_lease_cannot_finish_the_row(service: ReminderService, clock: Clock) -> None:
    clock.set(DUE)
    lease = timedelta(seconds=30)
    [first] = service.ledger.claim(clock(), lease=lease, limit=10)
    assert service.ledger.claim(clock(), lease=lease, limit=10) == []
    clock.advance(timedelta(seconds=31))
    [second] = service.ledger.claim(clock(), lease=lease, limit=10)
    assert second.row.key == first.row.key
    assert second.attempt == 2
    assert not service.ledger.mark_sent(
        first, clock(), late=False, status_code=200, detail="", item=None, calendar=None
    )
    assert service.ledger.mark_sent(
        second, clock(), late=False, status_code=200, detail="", item=None, calendar=None
    )
    outcomes = [a.outcome for a in service.ledger.attempts(KEY)]
    assert outcomes == ["sent (lease lost)", "sent"]


async def test_preview_builds_the_delivery_that_would_be_sent(
    service: ReminderService, clock: Clock, receiver: WebhookReceiver
) -> None:
    delivery = preview_delivery(
        registry(receiver), KEY, ledger=service.ledger, now=clock(), settings=service.settings
    )
    assert delivery.id == delivery_id("cal", KEY)
    assert delivery.now == DUE
    assert not delivery.late
    assert delivery.item.key == "tc5/deadlines/registration"


def test_signature_is_over_the_exact_bytes_sent(receiver: WebhookReceiver) -> None:
    from compact_calendar.channels.webhook.generic import sign

    key = Webhook(receiver.secret)._whsecret
    body = '{"a":"é"}'.encode()
    signature = sign(key, "msg_x", 1700000000, body)
    assert signature == Webhook(receiver.secret).sign(
        "msg_x", datetime.fromtimestamp(1700000000, UTC), body.decode()
    )
