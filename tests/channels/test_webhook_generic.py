"""The generic webhook channel against a real loopback receiver (Standard Webhooks)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from compact_calendar.channels.base import Delivery
from compact_calendar.channels.factory import ChannelContext, ChannelSet, build_channel
from compact_calendar.channels.webhook import parse_retry_after
from compact_calendar.channels.webhook.generic import GenericWebhook
from compact_calendar.errors import (
    ChannelError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from compact_calendar.registry.model import WebhookChannel
from compact_calendar.reminders.dispatcher import delivery_for
from compact_calendar.reminders.ledger import LedgerRow
from compact_calendar.reminders.planning import plan
from tests.reminders.helpers import (
    SECRET,
    Answer,
    WebhookReceiver,
    registry_from,
    settings_for,
    webhook_registry,
)

NOW = datetime(2017, 8, 17, 15, 0, tzinfo=UTC)
EVENTS = """
- id: tc5
  title: Fifth thematic consultation
  start: 2017-09-04
  location: Vienna, Austria
  links: [{title: Issue brief, url: "https://example.org/brief"}]
  reminders: {channels: [hook], before_deadline: [1d], before_session: []}
  deadlines: [{id: registration, title: Registration closes, due: "2017-08-18T17:00"}]
"""


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(1.0), follow_redirects=False) as client:
        yield client


def _delivery(url: str) -> Delivery:
    registry = registry_from(webhook_registry(url, EVENTS), now=NOW)
    [reminder] = plan(registry, NOW - timedelta(days=1)).reminders
    row = replace(LedgerRow.planned(reminder), status="sending", attempts=1, lease_token="t")
    items = {reminder.item.key: reminder.item}
    delivery = delivery_for(row, calendar=registry.calendar, items=items, now=NOW, public_url=None)
    assert delivery is not None
    return delivery


def _channel(
    url: str, http: httpx.AsyncClient, tmp_path: Path, secret: str | None = SECRET
) -> GenericWebhook:
    config = WebhookChannel(type="webhook", url=url, secret=secret)
    channel = build_channel("hook", config, ChannelContext(settings_for(tmp_path), http))
    assert isinstance(channel, GenericWebhook)
    return channel


async def test_posts_signed_json_that_standard_webhooks_verifies(
    receiver: WebhookReceiver, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    channel = _channel(receiver.url, http, tmp_path)
    delivery = _delivery(receiver.url)
    receipt = await channel.send(delivery)
    assert (receipt.status, receipt.detail) == (200, "ok")
    [got] = receiver.wait_for(1)
    assert receiver.rejected == []
    assert got.webhook_id == delivery.id
    assert "." not in got.webhook_id
    body = got.body
    assert body["type"] == "reminder"
    assert body["event"]["id"] == "tc5"
    assert body["deadline"]["id"] == "registration"
    assert body["session"] is None
    assert body["item"]["links"] == [{"title": "Issue brief", "url": "https://example.org/brief"}]
    assert body["item"]["moment"] == {
        "utc": "2017-08-18T15:00:00Z",
        "local": "2017-08-18T17:00:00+02:00",
        "zone": "Europe/Vienna",
    }
    assert body["text"] == (
        "Registration closes in 24 hours: Fifth thematic consultation (Vienna, 4 Sep 2017)"
    )


async def test_a_wrong_secret_fails_verification_at_the_receiver(
    receiver: WebhookReceiver, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    channel = _channel(receiver.url, http, tmp_path, secret=other)
    with pytest.raises(PermanentDeliveryError) as caught:
        await channel.send(_delivery(receiver.url))
    assert caught.value.status == 401
    assert len(receiver.rejected) == 1


async def _refused(
    error: type[DeliveryError],
    answer: Answer,
    receiver: WebhookReceiver,
    http: httpx.AsyncClient,
    tmp_path: Path,
    match: str | None = None,
) -> DeliveryError:
    """The ``error`` a send raises when the receiver replies ``answer``."""
    receiver.answer = lambda _n: answer
    with pytest.raises(error, match=match) as caught:
        await _channel(receiver.url, http, tmp_path).send(_delivery(receiver.url))
    return caught.value


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503])
async def test_retryable_statuses_are_transient(
    receiver: WebhookReceiver, http: httpx.AsyncClient, tmp_path: Path, status: int
) -> None:
    answer = Answer(status, headers={"retry-after": "7"})
    error = await _refused(TransientDeliveryError, answer, receiver, http, tmp_path)
    assert error.status == status
    assert error.retry_after == 7.0


@pytest.mark.parametrize("status", [301, 302, 400, 404, 410, 422])
async def test_redirects_and_other_client_errors_are_permanent(
    receiver: WebhookReceiver, http: httpx.AsyncClient, tmp_path: Path, status: int
) -> None:
    answer = Answer(status, headers={"location": "http://127.0.0.1:9/"})
    error = await _refused(PermanentDeliveryError, answer, receiver, http, tmp_path)
    assert error.status == status
    assert receiver.attempts == 1


async def test_a_slow_receiver_times_out_as_transient(
    receiver: WebhookReceiver, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    answer = Answer(200, delay=1.5)
    match = "did not answer in time"
    await _refused(TransientDeliveryError, answer, receiver, http, tmp_path, match=match)


async def test_a_refused_connection_is_transient(http: httpx.AsyncClient, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    with pytest.raises(TransientDeliveryError, match="cannot reach"):
        await _channel(url, http, tmp_path).send(_delivery(url))


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 60) == 60.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 + 60) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_secret_that_is_not_base64_is_a_channel_error(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    with pytest.raises(ChannelError, match=r"channel `hook`.*whsec_"):
        _channel("https://example.org/", http, tmp_path, secret="whsec_not base64!")


async def test_channel_set_reports_unsupported_formats_and_rebuilds_on_change(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    text = webhook_registry(receiver.url, EVENTS)
    registry = registry_from(text, now=NOW)
    channels = ChannelSet(settings_for(tmp_path))
    try:
        assert await channels.update(registry) == {}
        first = channels["hook"]
        assert await channels.update(registry) == {}
        assert channels["hook"] is first
        moved = registry_from(text.replace("/hook", "/other"), now=NOW)
        await channels.update(moved)
        assert channels["hook"] is not first
    finally:
        await channels.aclose()
