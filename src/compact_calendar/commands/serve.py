"""``compact-calendar serve``: feeds, web page and reminders in one process.

Loads the registry (an invalid one stops here, exit 1, with every error), binds the
port, then serves under uvicorn while the reloader follows the file and the reminder
service (unless ``--no-reminders``) sends what falls due. SIGTERM or SIGINT stops it all
gracefully, exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

from starlette.applications import Starlette

from compact_calendar import metrics
from compact_calendar.config import Settings
from compact_calendar.feeds.site import Site
from compact_calendar.logs import LOG_FORMATS, configure_logging
from compact_calendar.registry.model import Registry
from compact_calendar.state.database import Database
from compact_calendar.web.app import create_app
from compact_calendar.web.live import LiveSite
from compact_calendar.web.loader import RegistryLoader, Render
from compact_calendar.web.reload import Reloader
from compact_calendar.web.server import config, listen, own_url, serve

logger = logging.getLogger("compact_calendar.serve")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
REFRESH_EVERY = 300.0
"""Seconds between re-renders of an unchanged registry: the page lists what is upcoming."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--no-reminders",
        action="store_true",
        help="serve only; run `compact-calendar worker` elsewhere for reminders",
    )
    parser.add_argument(
        "--log-format", choices=LOG_FORMATS, default="text", help="text (default) or json lines"
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (off by default)"
    )


class ReminderRunner(Protocol):
    """What ``serve`` needs of the reminder service (compact_calendar.reminders.service)."""

    async def start(self, registry: Registry) -> None: ...

    async def update(self, registry: Registry) -> object: ...

    async def stop(self) -> None: ...


def reminder_runner(settings: Settings, database: Database) -> ReminderRunner:
    """Hook for the reminder service: the one place ``serve`` creates it."""
    from compact_calendar.reminders.service import ReminderService

    return ReminderService.from_env(settings, database)


def site_renderer(settings: Settings, database: Database, fallback_url: str) -> Render:
    """Renders a registry with the feed database's entry versions (SEQUENCE, LAST-MODIFIED)."""
    from compact_calendar.feeds.render import SiteRenderer, publish

    renderer = SiteRenderer()

    def render(registry: Registry, now: datetime) -> Site:
        public_url = settings.public_url or registry.calendar.url or fallback_url
        return publish(
            registry, database, public_url=public_url.rstrip("/"), now=now, renderer=renderer
        )

    return render


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_format)
    settings = Settings.from_env(registry=args.registry)
    database = Database(settings.database_url)
    database.migrate()
    sock = listen(args.host, args.port)
    address = own_url(sock)
    loader = RegistryLoader(
        settings.registry, site_renderer(settings, database, address), quantum=REFRESH_EVERY
    )
    published = loader.load()  # RegistryInvalid: the CLI prints every error, exit 1
    metrics.registry_loaded_timestamp.set(published.loaded_at.timestamp())
    live = LiveSite(published)
    reminders = None if args.no_reminders else reminder_runner(settings, database)
    reloader = Reloader(
        live, loader, listeners=[reminders] if reminders else [], refresh_every=REFRESH_EVERY
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        if reminders is not None:
            await reminders.start(live.current.registry)
        watching = asyncio.create_task(reloader.run(stop), name="reloader")
        logger.info(
            "serving %s (%d events) at %s%s",
            settings.registry,
            len(published.registry.events),
            address,
            "" if reminders else "; reminders off",
            extra={"event": "started", "url": address},
        )
        try:
            yield
        except asyncio.CancelledError:
            # A second signal forces the exit: clean up what can be, without a traceback.
            pass
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
            if reminders is not None:
                await reminders.stop()
            logger.info("stopped", extra={"event": "stopped"})

    app = create_app(live, lifespan=lifespan)
    loop_factory = config(app).get_loop_factory()
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve(app, sock, access_log=args.access_log))
    finally:
        sock.close()
        database.dispose()
    return 0
