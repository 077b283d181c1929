"""Running the application under uvicorn: listening, serving, stopping gracefully.

The socket is bound before the server starts so that a busy port is a one-line error
and so that ``--port 0`` knows its own address. SIGTERM and SIGINT stop the server the
graceful way (finish requests, run the lifespan's shutdown) and the process then exits 0,
unlike uvicorn's default, which re-raises the signal once it is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

from compact_calendar.errors import UsageError

__all__ = ["GracefulServer", "listen", "own_url", "serve"]

logger = logging.getLogger("compact_calendar.web.server")


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; UsageError if that is impossible."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: cannot resolve it ({exc.strerror})") from exc
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}; "
            "choose another --port or stop the process using it"
        ) from exc
    sock.setblocking(False)
    return sock


def own_url(sock: socket.socket) -> str:
    """The server's own address, for links when no public URL is configured."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):  # noqa: S104 - describing the bind address, not binding
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class GracefulServer(uvicorn.Server):
    """uvicorn's server, stopping on SIGTERM/SIGINT without re-raising them afterwards."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)

    def _on_signal(self, sig: int) -> None:
        name = signal.Signals(sig).name
        if self.should_exit:
            logger.warning("%s again: stopping now", name)
            self.force_exit = True
        else:
            logger.info("%s: finishing requests and stopping", name, extra={"event": "stopping"})
            self.should_exit = True


def config(app: ASGIApp, *, access_log: bool = False) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_config=None,  # compact_calendar.logs has configured logging already
        access_log=access_log,
        lifespan="on",
        http="httptools",
        loop="uvloop",
        timeout_graceful_shutdown=10,
        server_header=False,
    )


async def serve(app: ASGIApp, sock: socket.socket, *, access_log: bool = False) -> None:
    """Serve ``app`` on ``sock`` until a signal (or ``server.should_exit``)."""
    server = GracefulServer(config(app, access_log=access_log))
    await server.serve(sockets=[sock])
