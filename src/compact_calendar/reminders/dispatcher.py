"""Sending what is due: claim rows, hand each to its channel, record the outcome.

The dispatcher never decides *what* to send (the plan and the ledger do) nor *when* to
wake (the scheduler does); it drains what is claimable now, several deliveries at a
time, and classifies each outcome: sent; retry later with full-jitter exponential
backoff (or after the far side's ``Retry-After``); or dead, when the failure is
permanent, attempts are exhausted, or the item would pass before the next attempt.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from compact_calendar import metrics
from compact_calendar.channels.base import Channel, Delivery, DeliveryKind
from compact_calendar.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from compact_calendar.registry.items import Item
from compact_calendar.registry.model import CalendarInfo
from compact_calendar.reminders.ledger import Claimed, Ledger, LedgerRow, item_from_snapshot
from compact_calendar.reminders.planning import delivery_id

__all__ = [
    "LATE_AFTER",
    "DispatchSummary",
    "Dispatcher",
    "RetryPolicy",
    "View",
    "delivery_for",
]

log = logging.getLogger("compact_calendar.reminders")

LATE_AFTER = timedelta(minutes=1)
"""A message going out more than this after its due time says it is late."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def backoff(self, attempt: int, rng: random.Random) -> timedelta:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1)))."""
        ceiling = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** (attempt - 1))
        return timedelta(seconds=rng.uniform(0, ceiling))


class ChannelLookup(Protocol):
    def get(self, name: str) -> Channel | None: ...


@dataclass(frozen=True, slots=True)
class View:
    """The registry version deliveries are rendered from."""

    calendar: CalendarInfo
    items: Mapping[str, Item]
    channels: ChannelLookup
    channel_problems: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class DispatchSummary:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    cancelled: int = 0
    lost: int = 0
    expired: list[LedgerRow] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.dead + self.cancelled + self.lost


def delivery_for(
    row: LedgerRow,
    *,
    calendar: CalendarInfo,
    items: Mapping[str, Item],
    now: datetime,
    public_url: str | None,
    attempt: int | None = None,
) -> Delivery | None:
    """The message a ledger row stands for, as of ``now``; None if its item is gone."""
    previous = item_from_snapshot(row.previous) if row.previous else None
    item = items.get(row.item_key)
    if row.kind == "cancelled" and item is None:
        item = previous
    if item is None:
        return None
    kind: DeliveryKind = row.kind
    return Delivery(
        id=delivery_id(calendar.id, row.key),
        reminder_key=row.key,
        kind=kind,
        item=item,
        calendar=calendar,
        offset=row.offset,
        due=row.due,
        now=now,
        late=now - row.due > LATE_AFTER,
        attempt=row.attempts if attempt is None else attempt,
        public_url=public_url or calendar.url,
        previous=previous,
    )


class Dispatcher:
    def __init__(
        self,
        ledger: Ledger,
        *,
        clock: Callable[[], datetime],
        late_grace: timedelta,
        public_url: str | None = None,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(minutes=2),
        concurrency: int = 16,
        rng: random.Random | None = None,
    ) -> None:
        self.ledger = ledger
        self.clock = clock
        self.late_grace = late_grace
        self.public_url = public_url
        self.retry = retry or RetryPolicy()
        self.lease = lease
        self.concurrency = concurrency
        self.rng = rng or random.Random()

    async def drain(self, view: View) -> DispatchSummary:
        """Send everything claimable now; returns when nothing is left to claim."""
        summary = DispatchSummary()
        expired = await asyncio.to_thread(
            self.ledger.expire_overdue, self.clock(), late_grace=self.late_grace
        )
        for row in expired:
            if row.status == "dead":
                metrics.reminders_dead.labels(row.channel).inc()
            log.warning("reminder %s %s: %s", row.key, row.status, row.last_error)
        summary.expired.extend(expired)
        running: set[asyncio.Task[None]] = set()
        while True:
            free = self.concurrency - len(running)
            claimed = (
                await asyncio.to_thread(
                    self.ledger.claim, self.clock(), lease=self.lease, limit=free
                )
                if free
                else []
            )
            for item in claimed:
                running.add(asyncio.create_task(self._deliver(item, view, summary)))
            if not running:
                return summary
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()

    async def _deliver(self, claimed: Claimed, view: View, summary: DispatchSummary) -> None:
        row = claimed.row
        now = self.clock()
        channel = view.channels.get(row.channel)
        if channel is None:
            problem = view.channel_problems.get(row.channel) or (
                f"channel `{row.channel}` is not in the registry"
            )
            await self._dead(claimed, summary, None, problem)
            return
        delivery = delivery_for(
            row,
            calendar=view.calendar,
            items=view.items,
            now=now,
            public_url=self.public_url,
        )
        if delivery is None:
            held = await asyncio.to_thread(
                self.ledger.mark_cancelled,
                claimed,
                self.clock(),
                reason="its item is no longer in the registry",
            )
            summary.cancelled += held
            summary.lost += not held
            return
        try:
            receipt = await channel.send(delivery)
        except PermanentDeliveryError as exc:
            await self._dead(claimed, summary, exc.status, str(exc))
            return
        except TransientDeliveryError as exc:
            await self._retry(claimed, summary, exc)
            return
        except Exception as exc:
            # A bug in a channel must not stop the others; retried, then dead, reported.
            log.exception("channel %s failed on %s", row.channel, row.key)
            await self._retry(claimed, summary, TransientDeliveryError(f"internal error: {exc!r}"))
            return
        held = await asyncio.to_thread(
            self.ledger.mark_sent,
            claimed,
            self.clock(),
            late=delivery.late,
            status_code=receipt.status,
            detail=receipt.detail,
            item=view.items.get(row.item_key),
            calendar=view.calendar,
        )
        if held:
            summary.sent += 1
            metrics.reminders_sent.labels(row.channel).inc()
            log.info(
                "sent %s %s to %s%s", row.kind, row.key, row.channel, " (late)" * delivery.late
            )
        else:
            summary.lost += 1
            log.warning("sent %s but its lease had passed to another process", row.key)

    async def _retry(self, claimed: Claimed, summary: DispatchSummary, exc: DeliveryError) -> None:
        row = claimed.row
        now = self.clock()
        if claimed.attempt >= self.retry.max_attempts:
            await self._dead(
                claimed, summary, exc.status, f"{exc} (gave up after {claimed.attempt} attempts)"
            )
            return
        if exc.retry_after is not None:
            delay = timedelta(seconds=max(0.0, exc.retry_after))
        else:
            delay = self.retry.backoff(claimed.attempt, self.rng)
        next_attempt = now + delay
        if next_attempt >= row.moment:
            await self._dead(
                claimed, summary, exc.status, f"{exc} (its item passes before the next attempt)"
            )
            return
        held = await asyncio.to_thread(
            self.ledger.mark_retry,
            claimed,
            now,
            next_attempt_at=next_attempt,
            status_code=exc.status,
            error=str(exc),
        )
        if held:
            summary.retried += 1
            metrics.reminders_retried.labels(row.channel).inc()
            log.warning("retrying %s at %s: %s", row.key, next_attempt.isoformat(), exc)
        else:
            summary.lost += 1

    async def _dead(
        self, claimed: Claimed, summary: DispatchSummary, status: int | None, error: str
    ) -> None:
        held = await asyncio.to_thread(
            self.ledger.mark_dead, claimed, self.clock(), status_code=status, error=error
        )
        if held:
            summary.dead += 1
            metrics.reminders_dead.labels(claimed.row.channel).inc()
            log.error("reminder %s is dead: %s", claimed.row.key, error)
        else:
            summary.lost += 1
