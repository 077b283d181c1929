"""``compact-calendar serve`` as a real subprocess, for the end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ServeProcess:
    """A running ``serve``: its base URL and every JSON log line it has written."""

    process: subprocess.Popen[bytes]
    url: str = ""
    logs: list[dict[str, Any]] = field(default_factory=list)
    stderr_text: list[str] = field(default_factory=list)
    _lines: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @classmethod
    def start(
        cls, registry: Path, *args: str, env: dict[str, str] | None = None, wait: bool = True
    ) -> ServeProcess:
        command = [sys.executable, "-m", "compact_calendar", "serve", "--registry", registry.name]
        command += ["--port", "0", "--log-format", "json", *args]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("COMPACT_")}
        environment.update(env or {})
        process = subprocess.Popen(
            command,
            cwd=registry.parent,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        serving = cls(process)
        threading.Thread(target=serving._read, daemon=True).start()
        if wait:
            serving.url = serving.wait_for(lambda e: e.get("event") == "started")["url"]
        return serving

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self._lines.put(raw.decode("utf-8", "replace"))
        self._lines.put(None)

    def _take(self, timeout: float) -> str | None:
        line = self._lines.get(timeout=timeout)
        if line is not None:
            self.stderr_text.append(line)
            with contextlib.suppress(json.JSONDecodeError):
                self.logs.append(json.loads(line))
        return line

    def wait_for(self, matches: Any, timeout: float = 20.0) -> dict[str, Any]:
        """The first log entry (already seen or yet to come) for which ``matches`` is true."""
        for entry in self.logs:
            if matches(entry):
                return entry
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._take(left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError("serve exited:\n" + "".join(self.stderr_text))
            if self.logs and self.stderr_text[-1] is line and matches(self.logs[-1]):
                return self.logs[-1]
        raise AssertionError("no such log entry; serve wrote:\n" + "".join(self.stderr_text))

    def drain(self, timeout: float = 10.0) -> str:
        """Everything written to stderr until the process closes it."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                if self._take(left) is None:
                    break
            except queue.Empty:
                break
        return "".join(self.stderr_text)

    def terminate(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.drain()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
