"""When the reminder engine wakes: the one module that uses APScheduler.

An ``AsyncIOScheduler`` in UTC with the in-memory job store (nothing is pickled: the
jobs are rebuilt from the ledger whenever it changes) holds three jobs, all of which
only *kick* the engine, which does the work in its own task:

* ``due``: a date job at the next instant a reminder falls due (re-armed after every
  dispatch and every re-plan);
* ``sweep``: every ``sweep_every``, catching retries another replica scheduled,
  expired leases of crashed holders and anything a clock jump skipped;
* ``replan``: every ``replan_every``, so reminders further ahead than the planning
  horizon enter the ledger in time.

``misfire_grace_time`` is unbounded and ``coalesce`` on: a wake-up that comes late (a
busy loop, a suspended machine) still happens, once; the ledger decides what is late.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

__all__ = ["WakeScheduler"]


class WakeScheduler:
    def __init__(
        self,
        *,
        on_due: Callable[[], None],
        on_replan: Callable[[], None],
        sweep_every: timedelta = timedelta(seconds=30),
        replan_every: timedelta = timedelta(hours=1),
    ) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        self._on_due = on_due
        self._scheduler.add_job(on_due, "interval", seconds=sweep_every.total_seconds(), id="sweep")
        self._scheduler.add_job(
            on_replan, "interval", seconds=replan_every.total_seconds(), id="replan"
        )

    def start(self) -> None:
        self._scheduler.start()

    def arm(self, when: datetime | None) -> None:
        """Wake at ``when`` (replacing the previous wake-up), or not at all if None."""
        if when is None:
            if self._scheduler.get_job("due") is not None:
                self._scheduler.remove_job("due")
            return
        self._scheduler.add_job(
            self._on_due,
            "date",
            run_date=when.astimezone(UTC),
            id="due",
            replace_existing=True,
        )

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
