"""Test helpers for the reminder engine: registries from text and a loopback receiver."""

from __future__ import annotations

import contextlib
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook

from compact_calendar.config import Settings
from compact_calendar.registry.check import check_registry
from compact_calendar.registry.model import Registry

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def registry_from(text: str, *, now: datetime, env: dict[str, str] | None = None) -> Registry:
    checked = check_registry(textwrap.dedent(text), filename="events.yaml", env=env or {}, now=now)
    problems = [d.format() for d in checked.diagnostics]
    assert not checked.errors, problems
    assert checked.registry is not None, problems
    return checked.registry


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    body: dict[str, Any]
    at: float


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"ok"


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    request_queue_size = 256  # many concurrent senders, as replicas are


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that verifies every Standard Webhooks signature.

    ``answer`` decides the reply to each request (default 200); every request that
    passes verification is recorded in ``received``; one that fails is recorded in
    ``rejected`` and answered 401.
    """

    def __init__(self, secret: str = SECRET, port: int = 0) -> None:
        self.secret = secret
        self.webhook = Webhook(secret)
        self.received: list[Received] = []
        self.rejected: list[str] = []
        self.attempts = 0
        self.seen_ids: list[str] = []
        self.answer: Callable[[int], Answer] = lambda _n: Answer()
        self._lock = threading.Lock()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.arrived = threading.Condition(self._lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hook"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.attempts += 1
                    number = receiver.attempts
                    receiver.seen_ids.append(self.headers.get("webhook-id", ""))
                answer = receiver.answer(number)
                if answer.delay:
                    time.sleep(answer.delay)
                headers = dict(self.headers.items())
                try:
                    document = receiver.webhook.verify(body, headers)
                except Exception as exc:
                    with receiver._lock:
                        receiver.rejected.append(repr(exc))
                    answer = Answer(401, body=b"bad signature")
                else:
                    if 200 <= answer.status < 300:
                        with receiver.arrived:
                            receiver.received.append(
                                Received(
                                    self.headers["webhook-id"],
                                    self.headers["webhook-timestamp"],
                                    document,
                                    time.time(),
                                )
                            )
                            receiver.arrived.notify_all()
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(answer.body)

        server = _Server(("127.0.0.1", self._port), Handler)
        server.daemon_threads = True
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.arrived.wait(left)
            return list(self.received)

    def ids(self) -> list[str]:
        with self._lock:
            return [r.webhook_id for r in self.received]

    def keys(self) -> list[str]:
        with self._lock:
            return [str(r.body["key"]) for r in self.received]


class Clock:
    """An injected clock that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def settings_for(tmp_path: Path, *, database_url: str | None = None) -> Settings:
    return Settings(
        registry=tmp_path / "events.yaml",
        database_url=database_url or f"sqlite:///{tmp_path / 'state.sqlite3'}",
        smtp_url=None,
        mail_from="compact-calendar@localhost",
        public_url="https://calendar.example.org",
        outbox=tmp_path / "outbox",
        late_grace=timedelta(hours=6),
        planning_horizon=timedelta(days=400),
    )


def webhook_registry(url: str, events: str, *, secret: str = SECRET, extra: str = "") -> str:
    return f"""
calendar: {{id: cal, name: Test calendar, timezone: Europe/Vienna}}
channels:
  hook: {{type: webhook, url: "{url}", secret: "{secret}"}}
{extra}
events:
{textwrap.indent(textwrap.dedent(events).strip(), "  ")}
"""
