"""Test helpers shipped with the package: a real uvicorn server on a loopback port.

Used by this project's tests and usable by anyone embedding the app::

    async with running_server(create_app(live)) as base_url:
        response = await client.get(f"{base_url}/calendar.ics")
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Generator

import uvicorn
from starlette.types import ASGIApp

from compact_calendar.web.server import config, listen, own_url

__all__ = ["running_server"]


class _InProcessServer(uvicorn.Server):
    """Leaves signals to the test runner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def running_server(app: ASGIApp, *, startup_timeout: float = 10.0) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in this event loop; yields its base URL."""
    sock = listen("127.0.0.1", 0)
    server = _InProcessServer(config(app))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(startup_timeout):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the server stopped while starting")
                await asyncio.sleep(0.01)
        yield own_url(sock)
    finally:
        server.should_exit = True
        await task
        sock.close()
