"""``reminders --preview``: exactly what each kind of channel would send."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import httpx

from compact_calendar.channels.email import EmailChannel
from compact_calendar.channels.preview import render_preview
from compact_calendar.channels.webhook.chat import ChatChannel
from compact_calendar.channels.webhook.slack import SLACK
from tests.messages.fixtures import delivery

NOW = datetime(2017, 8, 15, 1, 0, tzinfo=UTC)
KEY = "gcm-tc5-vienna/deadlines/registration"


async def test_email_preview_is_the_message_as_sent(tmp_path: Path) -> None:
    channel = EmailChannel(
        "secretariat", to=["a@example.org"], mail_from="r@example.org", server=None,
        outbox=tmp_path,
    )  # fmt: skip
    sent = delivery(KEY, now=NOW)
    shown = await render_preview(channel, sent)
    header, _, raw = shown.partition("\n")
    assert header.startswith("# via outbox")
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert parsed["Subject"].startswith("Registration closes in 3 days: ")
    assert parsed["Message-ID"] == f"<{sent.id}@example.org>"
    assert list(tmp_path.iterdir()) == []  # previewing sends nothing


async def test_chat_preview_shows_the_request() -> None:
    async with httpx.AsyncClient() as http:
        channel = ChatChannel("team", "https://hooks.slack.com/services/T/B/X", SLACK, http=http)
        shown = await render_preview(channel, delivery(KEY, now=NOW))
    assert shown.startswith("POST https://hooks.slack.com/services/T/B/X\n")
    assert '"text": "Registration closes in 3 days: ' in shown
