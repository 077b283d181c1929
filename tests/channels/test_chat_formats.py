"""Chat formats posted to a real loopback HTTP server, checked against each service's schema.

The checks restate what each service documents as required and as limits, so a payload
that passes here is one the service accepts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from compact_calendar.channels.base import Delivery
from compact_calendar.channels.webhook.chat import ChatChannel, ChatFormat, utf8_length
from compact_calendar.channels.webhook.discord import DISCORD
from compact_calendar.channels.webhook.google_chat import GOOGLE_CHAT
from compact_calendar.channels.webhook.mattermost import MATTERMOST
from compact_calendar.channels.webhook.ntfy import NTFY
from compact_calendar.channels.webhook.slack import SLACK
from compact_calendar.channels.webhook.teams import CARD_LIMIT_BYTES, TEAMS
from compact_calendar.errors import PermanentDeliveryError, TransientDeliveryError
from compact_calendar.registry.items import AllDay
from tests.channels.http_server import Recorder, Reply, webhook_server
from tests.messages.fixtures import delivery

NOW = datetime(2017, 8, 15, 1, 0, tzinfo=UTC)
KEY = "gcm-tc5-vienna/deadlines/registration"
FORM = "https://fs22.formsite.com/unngls/form45/index.html"
FORMATS = [SLACK, DISCORD, TEAMS, MATTERMOST, GOOGLE_CHAT, NTFY]
PATHS = {"ntfy": "/mfa-reminders", "slack": "/services/T000/B000/XXXX"}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
        yield client


def with_event(sent: Delivery, **changes: Any) -> Delivery:
    event = sent.item.event.model_copy(update=changes)
    return replace(sent, item=replace(sent.item, event=event, **_item_changes(changes)))


def _item_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in changes.items() if k in ("description", "location")}


def check_slack(payload: dict[str, Any]) -> str:
    # api.slack.com/messaging/webhooks and /reference/block-kit/blocks
    assert isinstance(payload["text"], str)
    assert len(payload["text"]) <= 40_000
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        assert block["type"] in {"header", "section", "actions", "context", "divider"}
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert 1 <= len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn"
            assert 1 <= len(block["text"]["text"]) <= 3000
        if block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for button in block["elements"]:
                assert button["type"] == "button"
                assert len(button["text"]["text"]) <= 75
                assert len(button["url"]) <= 3000
    return str(payload["text"]) + "".join(json.dumps(b) for b in blocks)


def check_discord(payload: dict[str, Any]) -> str:
    # discord.com/developers/docs/resources/webhook#execute-webhook, embed limits
    assert payload["allowed_mentions"] == {"parse": []}
    assert len(payload["content"]) <= 2000
    assert len(payload["embeds"]) <= 10
    total = 0
    for embed in payload["embeds"]:
        assert len(embed["title"]) <= 256
        assert len(embed["description"]) <= 4096
        assert len(embed["footer"]["text"]) <= 2048
        assert 0 <= embed["color"] <= 0xFFFFFF
        total += len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    assert total <= 6000
    return str(payload["content"]) + json.dumps(payload["embeds"])


def check_teams(payload: dict[str, Any]) -> str:
    # learn.microsoft.com: Workflows webhook message with an Adaptive Card attachment
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    assert all(block["type"] == "TextBlock" and block["text"] for block in card["body"])
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl"
        assert action["title"]
        assert action["url"].startswith("http")
    assert utf8_length(json.dumps(card, ensure_ascii=False)) <= CARD_LIMIT_BYTES
    return json.dumps(card, ensure_ascii=False)


def check_mattermost(payload: dict[str, Any]) -> str:
    assert isinstance(payload["text"], str)
    assert 1 <= len(payload["text"]) <= 16_383
    return str(payload["text"])


def check_google_chat(payload: dict[str, Any]) -> str:
    assert isinstance(payload["text"], str)
    assert 1 <= len(payload["text"]) <= 4096
    return str(payload["text"])


def check_ntfy(payload: dict[str, Any]) -> str:
    # docs.ntfy.sh/publish/#publish-as-json
    assert payload["topic"] == "mfa-reminders"
    assert isinstance(payload["message"], str)
    assert utf8_length(payload["message"]) <= 4096
    assert payload["priority"] in range(1, 6)
    assert len(payload.get("actions", [])) <= 3
    for action in payload.get("actions", []):
        assert action["action"] == "view"
        assert action["label"]
        assert action["url"].startswith("http")
    return f"{payload['title']}{payload['message']}{json.dumps(payload.get('actions', []))}"


CHECKS: dict[str, Callable[[dict[str, Any]], str]] = {
    "slack": check_slack,
    "discord": check_discord,
    "teams": check_teams,
    "mattermost": check_mattermost,
    "google-chat": check_google_chat,
    "ntfy": check_ntfy,
}


async def post_one(
    chat_format: ChatFormat, sent: Delivery, http: httpx.AsyncClient, *replies: Reply
) -> tuple[dict[str, Any], Recorder]:
    with webhook_server(Recorder(list(replies))) as recorder:
        path = PATHS.get(chat_format.name, "/hook")
        channel = ChatChannel("team", recorder.base_url + path, chat_format, http=http)
        await channel.send(sent)
    [posted] = recorder.posted
    assert posted.headers["content-type"].startswith("application/json")
    assert posted.path == ("/" if chat_format.name == "ntfy" else path)
    payload: dict[str, Any] = posted.json()
    return payload, recorder


@pytest.mark.parametrize("chat_format", FORMATS, ids=lambda f: f.name)
async def test_reminder_follows_the_services_schema_and_carries_links(
    chat_format: ChatFormat, http: httpx.AsyncClient
) -> None:
    payload, _ = await post_one(chat_format, delivery(KEY, now=NOW), http)
    shown = CHECKS[chat_format.name](payload)
    assert "Registration closes in 3 days" in shown
    assert FORM in shown
    assert "Fri 18 Aug 2017 22:00 UTC" in shown
    assert "https://calendar.example.org/events/gcm-tc5-vienna.ics" in shown


@pytest.mark.parametrize("chat_format", FORMATS, ids=lambda f: f.name)
async def test_long_description_stays_within_the_services_limits(
    chat_format: ChatFormat, http: httpx.AsyncClient
) -> None:
    long_text = "\n".join(f"Paragraph {n}: " + "ﺍﻟﻤﺸﺎﻭﺭﺓ é " * 40 for n in range(400))
    sent = with_event(delivery(KEY, now=NOW), description=long_text, title="T" * 600)
    sent = replace(sent, item=replace(sent.item, description=long_text))
    payload, _ = await post_one(chat_format, sent, http)
    CHECKS[chat_format.name](payload)


@pytest.mark.parametrize("chat_format", FORMATS, ids=lambda f: f.name)
async def test_registry_text_cannot_mention_everyone(
    chat_format: ChatFormat, http: httpx.AsyncClient
) -> None:
    title = "Urgent @channel @everyone @here <!channel> <@U123> <users/all> <at>All</at>"
    sent = with_event(delivery(KEY, now=NOW), title=title)
    payload, _ = await post_one(chat_format, sent, http)
    shown = CHECKS[chat_format.name](payload)
    for mention in ("@channel", "@everyone", "@here"):
        assert mention not in shown
    if chat_format.name != "ntfy":  # ntfy has no mention syntax: angle brackets are just text
        for mention in ("<!channel>", "<@U123>", "<users/all>", "<at>"):
            assert mention not in shown


@pytest.mark.parametrize("chat_format", FORMATS, ids=lambda f: f.name)
async def test_429_with_retry_after_is_transient(
    chat_format: ChatFormat, http: httpx.AsyncClient
) -> None:
    reply = Reply(429, b'{"message": "rate limited"}', (("Retry-After", "17"),))
    with pytest.raises(TransientDeliveryError) as raised:
        await post_one(chat_format, delivery(KEY, now=NOW), http, reply)
    assert raised.value.status == 429
    assert raised.value.retry_after == 17.0


async def test_slack_400_invalid_blocks_is_permanent_with_the_reply(
    http: httpx.AsyncClient,
) -> None:
    with pytest.raises(PermanentDeliveryError, match="invalid_blocks") as raised:
        await post_one(SLACK, delivery(KEY, now=NOW), http, Reply(400, b"invalid_blocks"))
    assert raised.value.status == 400


async def test_moved_notice_shows_old_and_new_times(http: httpx.AsyncClient) -> None:
    current = delivery(KEY, now=NOW, kind="moved")
    earlier = datetime(2017, 8, 11).date()
    before = replace(current.item, timing=AllDay(earlier, earlier))
    payload, _ = await post_one(MATTERMOST, replace(current, previous=before), http)
    text = payload["text"]
    assert text.startswith("#### Moved: Fifth thematic consultation")
    assert "**Was:** ~~by the end of Fri 11 Aug 2017, Europe/Vienna~~" in text
    assert "**Now:** by the end of Fri 18 Aug 2017, Europe/Vienna" in text
