"""``reminders``, ``send-test``: the staff's view of the engine, through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compact_calendar.cli import main
from compact_calendar.reminders.ledger import Ledger
from compact_calendar.reminders.planning import plan
from compact_calendar.state.database import Database

from .helpers import Answer, WebhookReceiver, registry_from, webhook_registry


@pytest.fixture
def registry_file(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> Path:
    start = (datetime.now(UTC) + timedelta(days=20)).date()
    due = (start - timedelta(days=5)).isoformat()
    events = f"""
- id: forum
  title: Regional forum
  start: {start.isoformat()}
  reminders: {{channels: [hook], before_deadline: [3d, 1d], before_session: [7d]}}
  deadlines: [{{id: reg, title: Registration closes, due: {due}}}]
"""
    path = tmp_path / "events.yaml"
    path.write_text(webhook_registry(receiver.url, events))
    monkeypatch.setenv("COMPACT_CALENDAR_DATABASE_URL", f"sqlite:///{tmp_path / 'state.sqlite3'}")
    return path


def test_reminders_lists_planned_reminders_as_json(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reminders", "--registry", str(registry_file), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in listed] == [
        "forum/deadlines/reg|3d|hook",
        "forum|7d|hook",
        "forum/deadlines/reg|1d|hook",
    ]
    first = listed[0]
    assert first["status"] == "pending"
    assert first["due_utc"].endswith("Z")
    assert first["due_local"].endswith("+01:00") or first["due_local"].endswith("+02:00")
    assert first["zone"] == "Europe/Vienna"


def test_reminders_table_filters_by_status_and_time_and_requeues_dead(
    registry_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    database = Database(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    database.migrate()
    ledger = Ledger(database)
    registry = registry_from(registry_file.read_text(), now=now)
    current = plan(registry, now)
    ledger.reconcile(current, now, calendar=registry.calendar, late_grace=timedelta(hours=6))
    key = "forum/deadlines/reg|3d|hook"
    due = current.by_key()[key].due
    [claimed] = ledger.claim(due, lease=timedelta(minutes=1), limit=1)
    ledger.mark_dead(claimed, due, status_code=410, error="channel `hook`: answered 410 Gone")
    database.dispose()

    assert main(["reminders", "--registry", str(registry_file), "--status", "dead"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["WHEN", "(UTC)", "WHEN", "(LOCAL)"]
    assert len(table) == 2
    assert "dead" in table[1]
    assert "3d before Registration closes: Regional forum" in table[1]
    assert "answered 410 Gone" in table[1]

    since = (due + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert main(["reminders", "--registry", str(registry_file), "--from", since, "--json"]) == 0
    assert key not in {r["key"] for r in json.loads(capsys.readouterr().out)}

    assert main(["reminders", "--registry", str(registry_file), "--requeue", "dead"]) == 0
    assert f"re-queued {key}" in capsys.readouterr().out
    assert main(["reminders", "--registry", str(registry_file), "--status", "dead,retry"]) == 0
    assert "no reminders match" in capsys.readouterr().err


def test_reminders_rejects_an_unknown_status(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reminders", "--registry", str(registry_file), "--status", "snet"]) == 2
    assert "--status snet: use one of pending, sending, sent" in capsys.readouterr().err


def test_send_test_posts_and_reports_the_answer(
    registry_file: Path, receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.answer = lambda _n: Answer(202, body=b"queued")
    assert main(["send-test", "hook", "--registry", str(registry_file)]) == 0
    out = capsys.readouterr().out
    assert "hook: sent msg_" in out
    assert "the far side answered: 202 queued" in out
    [got] = receiver.wait_for(1)
    assert got.body["type"] == "test"
    assert got.body["text"].startswith("Test message from compact-calendar")


def test_send_test_reports_a_failure(
    registry_file: Path, receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.answer = lambda _n: Answer(404, body=b"no such hook")
    assert main(["send-test", "hook", "--registry", str(registry_file)]) == 1
    assert "hook: failed (status 404)" in capsys.readouterr().out


def test_send_test_names_the_channels_when_one_is_unknown(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["send-test", "slack", "--registry", str(registry_file)]) == 2
    assert "no channel `slack`" in capsys.readouterr().err


def test_preview_prints_exactly_the_email_that_would_be_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    due = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    registry = tmp_path / "events.yaml"
    registry.write_text(
        "calendar: {id: cal, name: Cal, timezone: Europe/Vienna}\n"
        "channels:\n  secretariat: {type: email, to: [s@example.org]}\n"
        "reminders: {before_deadline: [1d]}\n"
        "events:\n"
        f"  - id: tc5\n    title: Fifth consultation\n"
        f"    start: {(due + timedelta(days=5)).date()}\n    deadlines:\n"
        f"      - {{id: reg, title: Registration closes, due: '{due.isoformat()}'}}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COMPACT_CALENDAR_DATABASE_URL", f"sqlite:///{tmp_path / 'state.sqlite3'}")
    monkeypatch.delenv("COMPACT_CALENDAR_SMTP_URL", raising=False)
    key = "tc5/deadlines/reg|1d|secretariat"
    assert main(["reminders", "--registry", str(registry), "--preview", key]) == 0
    out = capsys.readouterr().out
    assert "envelope to: s@example.org" in out
    assert "Subject: Registration closes in 24 hours: Fifth consultation" in out
    assert "Content-Type: text/calendar" in out
    assert main(["reminders", "--registry", str(registry), "--preview", "nope|1d|x"]) == 2
