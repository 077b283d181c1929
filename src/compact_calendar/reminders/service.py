"""The reminder engine as one service: plan, reconcile, schedule, dispatch.

``serve`` runs it beside the web server and ``worker`` runs it alone; both call
:meth:`ReminderService.start` with the loaded registry, :meth:`~ReminderService.update`
after every valid reload, and :meth:`~ReminderService.stop` on the way out. Work happens
in one task that waits for a kick (from the scheduler, a reload or start-up), drains
everything due, and re-arms the scheduler for the next due instant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from compact_calendar import metrics
from compact_calendar.channels.base import Delivery
from compact_calendar.channels.factory import ChannelSet
from compact_calendar.config import Settings, env_duration
from compact_calendar.errors import UsageError
from compact_calendar.registry.model import Registry
from compact_calendar.reminders.dispatcher import (
    Dispatcher,
    DispatchSummary,
    RetryPolicy,
    View,
    delivery_for,
)
from compact_calendar.reminders.ledger import Ledger, ReconcileReport
from compact_calendar.reminders.planning import Plan, delivery_id, plan
from compact_calendar.reminders.scheduler import WakeScheduler
from compact_calendar.state.database import Database

__all__ = ["ReminderService", "preview_delivery", "utc_now"]

log = logging.getLogger("compact_calendar.reminders")


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReminderService:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        clock: Callable[[], datetime] = utc_now,
        channels: ChannelSet | None = None,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(minutes=2),
        concurrency: int = 16,
        sweep_every: timedelta = timedelta(seconds=30),
        replan_every: timedelta = timedelta(hours=1),
        schedule: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.ledger = Ledger(database)
        self.clock = clock
        self.channels = channels or ChannelSet(settings)
        self.dispatcher = Dispatcher(
            self.ledger,
            clock=clock,
            late_grace=settings.late_grace,
            public_url=settings.public_url,
            retry=retry,
            lease=lease,
            concurrency=concurrency,
            rng=rng,
        )
        self._schedule = schedule
        self._scheduler: WakeScheduler | None = None
        self._sweep_every = sweep_every
        self._replan_every = replan_every
        self._registry: Registry | None = None
        self._view: View | None = None
        self._plan: Plan | None = None
        self._kick = asyncio.Event()
        self._replan_wanted = False
        self._loop_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_env(
        cls, settings: Settings, database: Database, env: Mapping[str, str] | None = None
    ) -> ReminderService:
        """A service tuned by the environment (for operators and end-to-end tests).

        ``COMPACT_CALENDAR_REMINDER_LEASE`` (default 2m): how long a claimed reminder is
        held before another process may take it over; ``COMPACT_CALENDAR_REMINDER_SWEEP``
        (default 30s): how often the ledger is swept for retries and expired leases.
        """
        env = os.environ if env is None else env
        return cls(
            settings,
            database,
            lease=env_duration(env, "COMPACT_CALENDAR_REMINDER_LEASE", timedelta(minutes=2)),
            sweep_every=env_duration(env, "COMPACT_CALENDAR_REMINDER_SWEEP", timedelta(seconds=30)),
        )

    @property
    def current_plan(self) -> Plan | None:
        """The plan of the registry last given to start() or update()."""
        return self._plan

    # --- lifecycle ---------------------------------------------------------------

    async def start(self, registry: Registry) -> None:
        await asyncio.to_thread(self.database.migrate)
        await self.update(registry)
        if self._schedule:
            self._scheduler = WakeScheduler(
                on_due=self.kick,
                on_replan=self._request_replan,
                sweep_every=self._sweep_every,
                replan_every=self._replan_every,
            )
            self._scheduler.start()
            self._loop_task = asyncio.create_task(self._loop(), name="reminders")
            self.kick()

    async def update(self, registry: Registry) -> ReconcileReport:
        """Re-plan for a (re)loaded registry and bring the ledger in line."""
        async with self._lock:
            self._registry = registry
            problems = await self.channels.update(registry)
            for name, problem in problems.items():
                log.error("channel %s cannot be used: %s", name, problem)
            report = await self._reconcile(registry)
            self._view = View(
                calendar=registry.calendar,
                items=self._plan.items if self._plan else {},
                channels=self.channels,
                channel_problems=problems,
            )
        self.kick()
        return report

    async def stop(self, *, timeout: float = 10.0) -> None:
        """Stop waking; let a running dispatch finish (up to ``timeout``), then close."""
        if self._scheduler is not None:
            self._scheduler.shutdown()
            self._scheduler = None
        task, self._loop_task = self._loop_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout)
        await self.channels.aclose()

    def kick(self) -> None:
        """Ask the engine to dispatch what is due (thread-unsafe; call on the loop)."""
        self._kick.set()

    # --- work --------------------------------------------------------------------------

    async def run_due(self) -> DispatchSummary:
        """Dispatch everything due now, once; used by the loop and by tests."""
        async with self._lock:
            view = self._view
        if view is None:
            raise UsageError("the reminder service has no registry yet: call start() first")
        return await self.dispatcher.drain(view)

    async def replan(self) -> ReconcileReport | None:
        if self._registry is None:
            return None
        return await self.update(self._registry)

    def _request_replan(self) -> None:
        self._replan_wanted = True
        self.kick()

    async def _reconcile(self, registry: Registry) -> ReconcileReport:
        now = self.clock()
        self._plan = plan(registry, now, horizon=self.settings.planning_horizon)
        report = await asyncio.to_thread(
            self.ledger.reconcile,
            self._plan,
            now,
            calendar=registry.calendar,
            late_grace=self.settings.late_grace,
        )
        for key in report.expired:
            log.warning("reminder %s expired: missed by more than the grace window", key)
        if report.changed:
            log.info(
                "reminders planned: %d added, %d moved, %d revived, %d cancelled, %d notices",
                report.added,
                report.moved,
                report.revived,
                report.cancelled,
                len(report.notices),
            )
        await self._publish_counts()
        return report

    async def _publish_counts(self) -> None:
        counts = await asyncio.to_thread(self.ledger.counts)
        for status, count in counts.items():
            metrics.reminders_planned.labels(status).set(count)

    async def _loop(self) -> None:
        while True:
            await self._kick.wait()
            self._kick.clear()
            try:
                if self._replan_wanted:
                    self._replan_wanted = False
                    await self.replan()
                    self._kick.clear()
                summary = await self.run_due()
                if summary.attempted or summary.expired:
                    await self._publish_counts()
                next_at = await asyncio.to_thread(self.ledger.next_attempt_at)
                if self._scheduler is not None:
                    self._scheduler.arm(next_at)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database or a bug: keep the engine alive; the sweep retries.
                log.exception("reminder dispatch failed; trying again at the next sweep")


def preview_delivery(
    registry: Registry,
    key: str,
    *,
    ledger: Ledger | None,
    now: datetime,
    settings: Settings,
) -> Delivery:
    """The :class:`Delivery` that would be sent for reminder ``key`` as of ``now``.

    Looks the key up in the ledger first (notices live only there), then in the plan,
    so ``reminders --preview KEY`` can show a reminder that has not been recorded yet.
    """
    current = plan(registry, now, horizon=None)
    row = ledger.get(key) if ledger is not None else None
    if row is None:
        planned = current.by_key().get(key)
        if planned is None:
            raise UsageError(f"no reminder `{key}`: list them with `compact-calendar reminders`")
        # A planned reminder renders as it will when it is due.
        return Delivery(
            id=delivery_id(registry.calendar.id, key),
            reminder_key=key,
            kind="reminder",
            item=planned.item,
            calendar=registry.calendar,
            offset=planned.offset,
            due=planned.due,
            now=max(now, planned.due),
            late=False,
            attempt=1,
            public_url=settings.public_url or registry.calendar.url,
        )
    delivery = delivery_for(
        row,
        calendar=registry.calendar,
        items=current.items,
        now=max(now, row.due),
        public_url=settings.public_url,
        attempt=row.attempts + 1,
    )
    if delivery is None:
        raise UsageError(f"reminder `{key}`: its item is no longer in the registry")
    return delivery
