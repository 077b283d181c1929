"""Two `serve` replicas on one PostgreSQL database and one registry: identical feeds
(bytes and ETags, so a 304 from either is valid for both) and each reminder sent once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.reminders.helpers import WebhookReceiver, webhook_registry
from tests.web.serving import ServeProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEADLINES = 40


def registry_due_soon(receiver: WebhookReceiver, due: datetime) -> str:
    """DEADLINES deadlines at ``due``, each reminded 30 seconds before (real time)."""
    lines = [
        "- id: consultation",
        "  title: Consultation",
        f"  start: {(due + timedelta(days=2)).date().isoformat()}",
        "  reminders: {channels: [hook], before_deadline: [PT30S], before_session: []}",
        "  deadlines:",
    ]
    stamp = due.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines += [f'    - {{id: d{i}, title: Deadline {i}, due: "{stamp}"}}' for i in range(DEADLINES)]
    return webhook_registry(receiver.url, "\n".join(lines))


def test_two_replicas_serve_identical_feeds_and_send_each_reminder_once(
    tmp_path: Path, pg_schema_url: str, receiver: WebhookReceiver
) -> None:
    due = (datetime.now(UTC) + timedelta(seconds=45)).replace(microsecond=0)
    registry = tmp_path / "events.yaml"
    registry.write_text(registry_due_soon(receiver, due), encoding="utf-8")
    env = {
        "COMPACT_CALENDAR_DATABASE_URL": pg_schema_url,
        "COMPACT_CALENDAR_REMINDER_SWEEP": "PT2S",
        # Behind one feed URL, as deployed; otherwise each names its own port on the page.
        "COMPACT_CALENDAR_PUBLIC_URL": "https://calendar.example.org",
    }
    replicas = [ServeProcess.start(registry, env=env) for _ in range(2)]
    try:
        paths = ["/calendar.ics", "/deadlines.ics", "/events/consultation.ics", "/"]
        for path in paths:
            first, second = (httpx.get(r.url + path) for r in replicas)
            assert first.status_code == second.status_code == 200
            assert first.content == second.content, path
            assert first.headers["etag"] == second.headers["etag"], path
            revalidated = httpx.get(
                replicas[1].url + path, headers={"If-None-Match": first.headers["etag"]}
            )
            assert revalidated.status_code == 304, path

        deadline = time.monotonic() + 90
        while len(receiver.received) < DEADLINES and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)  # anything sent twice would arrive by now
        keys = Counter(receiver.keys())
        assert len(keys) == DEADLINES, sorted(keys)
        assert set(keys.values()) == {1}, [k for k, n in keys.items() if n > 1]
        assert len(set(receiver.ids())) == DEADLINES
    finally:
        for replica in replicas:
            replica.terminate()
