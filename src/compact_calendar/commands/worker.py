"""``compact-calendar worker``: only the reminder scheduler, without the web server.

For deployments that serve the feeds as static files or from another process. The
registry file is checked for changes every few seconds; a save that does not validate
is reported in the log and the last valid version keeps being used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime

from compact_calendar.config import Settings
from compact_calendar.errors import CompactCalendarError, RegistryInvalid
from compact_calendar.logs import LOG_FORMATS, configure_logging
from compact_calendar.registry_file import file_signature, load_registry
from compact_calendar.reminders.service import ReminderService
from compact_calendar.state.database import Database

log = logging.getLogger("compact_calendar.worker")

POLL_SECONDS = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--poll",
        type=float,
        default=POLL_SECONDS,
        metavar="SECONDS",
        help=f"how often to check the registry file for changes (default {POLL_SECONDS:g})",
    )
    parser.add_argument(
        "--log-format", choices=LOG_FORMATS, default="text", help="text (default) or json lines"
    )


async def _run(settings: Settings, poll: float) -> None:
    registry, _checked = load_registry(settings.registry, now=datetime.now(UTC))
    database = Database(settings.database_url)
    service = ReminderService.from_env(settings, database)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.start(registry)
    log.info("worker started: %s, ledger %s", settings.registry, database.display_url)
    seen = file_signature(settings.registry)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)
            current = file_signature(settings.registry)
            if current == seen or current is None:
                continue
            seen = current
            try:
                # Off the event loop: a large registry takes seconds to validate, and
                # reminders due meanwhile must still go.
                registry, _checked = await asyncio.to_thread(
                    load_registry, settings.registry, now=datetime.now(UTC)
                )
            except RegistryInvalid as exc:
                log.error("registry not reloaded, keeping the last valid one: %s", exc)
                continue
            except CompactCalendarError as exc:
                log.error("registry not reloaded: %s", exc)
                continue
            report = await service.update(registry)
            log.info("registry reloaded (%d reminders added)", report.added)
    finally:
        await service.stop()
        database.dispose()
        log.info("worker stopped")


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_format)
    settings = Settings.from_env(registry=args.registry)
    asyncio.run(_run(settings, args.poll))
    return 0
