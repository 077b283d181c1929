"""End to end: the real ``worker`` process, the wall clock, SIGKILL mid-dispatch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .helpers import SECRET, Answer, WebhookReceiver, webhook_registry

pytestmark = pytest.mark.slow


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _worker(registry: Path, database: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COMPACT_CALENDAR_DATABASE_URL": f"sqlite:///{database}",
        "COMPACT_CALENDAR_REMINDER_LEASE": "PT2S",
        "COMPACT_CALENDAR_REMINDER_SWEEP": "PT1S",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "compact_calendar", "worker", "--registry", str(registry)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.05)
    return False


def test_sigkill_mid_dispatch_loses_nothing_and_repeats_only_the_in_flight_reminder(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    soon = now + timedelta(hours=1)
    later = now + timedelta(hours=1, seconds=8)
    # Five reminders fell due minutes ago (sent late at start-up); one is due in 8 s.
    events = f"""
- id: consultation
  title: Consultation
  start: {(now + timedelta(days=30)).date().isoformat()}
  reminders: {{channels: [hook], before_session: []}}
  deadlines:
    - {{id: a, title: Registration, due: "{_z(soon)}",
        reminders: {{before_deadline: [61m, 62m, 63m, 64m, 65m]}}}}
    - {{id: b, title: Statements, due: "{_z(later)}", reminders: {{before_deadline: [60m]}}}}
"""
    registry = tmp_path / "events.yaml"
    registry.write_text(webhook_registry(receiver.url, events, secret=SECRET))
    database = tmp_path / "state.sqlite3"
    expected = {f"consultation/deadlines/a|{m}m|hook" for m in (61, 62, 63, 64, 65)} | {
        "consultation/deadlines/b|1h|hook"
    }
    # The first request hangs long enough to kill the worker while it is in flight.
    receiver.answer = lambda n: Answer(200, delay=3.0) if n == 1 else Answer(200)

    first = _worker(registry, database)
    try:
        assert _wait(lambda: len(receiver.received) >= 4, 20), "late reminders not sent"
        time.sleep(0.8)  # let the worker record the four answered ones
        assert receiver.attempts == 5
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    in_flight = receiver.seen_ids[0]

    second = _worker(registry, database)
    try:
        delivered = _wait(lambda: set(receiver.keys()) >= expected, 30)
        second.send_signal(signal.SIGTERM)
        output = second.communicate(timeout=15)[0].decode()
        assert delivered, (receiver.keys(), output[-3000:])
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, output
    assert receiver.rejected == []

    counts = Counter(receiver.keys())
    assert set(counts) == expected
    repeated = {key for key, n in counts.items() if n > 1}
    assert len(repeated) <= 1
    for key in repeated:
        ids = {r.webhook_id for r in receiver.received if r.body["key"] == key}
        assert ids == {in_flight}
        assert counts[key] == 2
    late = {r.body["key"]: r.body["late"] for r in receiver.received}
    assert late["consultation/deadlines/b|1h|hook"] is False
    assert all(late[f"consultation/deadlines/a|{m}m|hook"] for m in (61, 62, 63, 64, 65))
    # The on-time one went out when due, woken by the scheduler, not at a sweep.
    [on_time] = [r for r in receiver.received if "deadlines/b" in r.body["key"]]
    due = (later - timedelta(minutes=60)).timestamp()
    assert due - 0.5 <= on_time.at <= due + 2.0
