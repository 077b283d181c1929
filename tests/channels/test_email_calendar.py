"""The email's .ics is the feeds' entry: same UID and SEQUENCE, read by every parser."""

from __future__ import annotations

import email
import email.policy
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import icalendar

from compact_calendar.channels.factory import ChannelContext, build_channel
from compact_calendar.config import Settings
from compact_calendar.feeds.store import EntryVersionStore
from compact_calendar.messages.samples import delivery_for, find_item
from compact_calendar.registry_file import load_registry
from compact_calendar.state.database import Database
from compact_calendar.testing.interop import assert_parsers_agree
from tests.messages.fixtures import REGISTRY

NOW = datetime(2017, 8, 15, 1, 0, tzinfo=UTC)
KEY = "gcm-tc5-vienna/deadlines/registration"
UID = "gcm-tc5-vienna.deadline.registration@mfa-global-compact"


async def test_attachment_carries_the_feeds_uid_and_bumped_sequence(tmp_path: Path) -> None:
    path = tmp_path / "events.yaml"
    shutil.copy(REGISTRY, path)
    settings = replace(
        Settings.from_env({}, registry=path), outbox=tmp_path / "outbox", smtp_url=None
    )
    database = Database(settings.database_url)
    database.migrate()
    store = EntryVersionStore(database)
    registry, _ = load_registry(path, now=NOW, env={})
    store.sync(registry, NOW - timedelta(days=30))
    # Staff move the deadline: the feed publishes the entry again with SEQUENCE 1.
    path.write_text(path.read_text().replace("due: 2017-08-18", "due: 2017-08-21"))
    moved, _ = load_registry(path, now=NOW, env={})
    versions = store.sync(moved, NOW - timedelta(days=1))
    assert versions[UID].sequence == 1
    database.dispose()

    async with httpx.AsyncClient() as http:
        channel = build_channel(
            "secretariat",
            moved.channels["secretariat"],
            ChannelContext(settings, http, registry=lambda: moved),
        )
        try:
            sent = delivery_for(moved, find_item(moved, KEY), now=NOW)
            await channel.send(sent)
        finally:
            await channel.aclose()

    [written] = (tmp_path / "outbox").iterdir()
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    [attachment] = list(message.iter_attachments())
    ics = attachment.get_content().encode()
    [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["UID"]) == UID
    assert event.decoded("SEQUENCE") == 1
    [entry] = assert_parsers_agree(ics)
    assert entry.uid == UID
