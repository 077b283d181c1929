"""The generic webhook: the reminder as JSON, signed per Standard Webhooks.

Headers: ``webhook-id`` (the delivery id: stable for a reminder and channel across
retries, so receivers can de-duplicate), ``webhook-timestamp`` (Unix seconds of this
attempt) and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 with the channel's
``whsec_`` secret over ``{id}.{timestamp}.{body}``, the exact bytes sent).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from compact_calendar.channels.base import Delivery, Receipt
from compact_calendar.channels.factory import ChannelConfig, ChannelContext, channel_builder
from compact_calendar.channels.webhook import post, utc_iso
from compact_calendar.errors import ChannelError
from compact_calendar.messages.headline import headline
from compact_calendar.registry.items import AllDay, Item
from compact_calendar.registry.model import WebhookChannel
from compact_calendar.registry.values import zone

__all__ = ["GenericWebhook", "decode_secret", "payload", "sign"]

SECRET_PREFIX = "whsec_"  # noqa: S105 (the scheme prefix, not a secret)
CONTENT_TYPE = "application/json"


def decode_secret(secret: str) -> bytes:
    """The key bytes of a Standard Webhooks secret (``whsec_`` + base64)."""
    text = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ChannelError(
            "the webhook secret is not a Standard Webhooks secret: expected whsec_ followed "
            "by base64, such as the one `openssl rand -base64 32` makes"
        ) from exc
    if not key:
        raise ChannelError("the webhook secret is empty: set it to whsec_ followed by base64")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _instant(moment: datetime, zone_name: str) -> dict[str, str]:
    return {
        "utc": utc_iso(moment),
        "local": moment.astimezone(zone(zone_name)).isoformat(),
        "zone": zone_name,
    }


def _item(item: Item) -> dict[str, Any]:
    timing = item.timing
    data: dict[str, Any] = {
        "kind": item.kind,
        "key": item.key,
        "uid": item.uid,
        "title": item.title,
        "status": item.status,
        "zone": item.zone,
        "all_day": isinstance(timing, AllDay),
        "month_only": item.month_only,
        "start": _instant(item.start_instant, item.zone),
        "end": _instant(item.end_instant, item.zone),
        "moment": _instant(item.moment, item.zone),
        "location": item.location,
        "url": item.url,
        "description": item.description,
        "tracks": list(item.tracks),
        "links": [{"title": link.title, "url": link.url} for link in item.links],
    }
    if isinstance(timing, AllDay):
        data["dates"] = {"first": timing.first.isoformat(), "last": timing.last.isoformat()}
    return data


def payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON document posted for ``delivery``."""
    item, event = delivery.item, delivery.item.event
    reminders_zone = item.reminders.timezone
    return {
        "type": delivery.kind,
        "id": delivery.id,
        "key": delivery.reminder_key,
        "text": headline(delivery),
        "late": delivery.late,
        "attempt": delivery.attempt,
        "offset": delivery.offset.key if delivery.offset is not None else None,
        "remind_at": _instant(delivery.due, reminders_zone),
        "sent_at": _instant(delivery.now, reminders_zone),
        "calendar": {
            "id": delivery.calendar.id,
            "name": delivery.calendar.name,
            "url": delivery.public_url or delivery.calendar.url,
        },
        "event": {
            "id": event.id,
            "title": event.title,
            "status": event.status,
            "location": event.location,
            "url": event.url,
            "tracks": list(event.tracks),
        },
        "session": (
            {"id": item.session.id, "title": item.session.title}
            if item.session is not None
            else None
        ),
        "deadline": (
            {"id": item.deadline.id, "title": item.deadline.title, "url": item.deadline.url}
            if item.deadline is not None
            else None
        ),
        "item": _item(item),
        "previous": _item(delivery.previous) if delivery.previous is not None else None,
    }


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class GenericWebhook:
    """POSTs :func:`payload` as signed JSON to one URL."""

    def __init__(self, name: str, config: WebhookChannel, context: ChannelContext) -> None:
        self.name = name
        self.url = config.url
        self._key = decode_secret(config.secret) if config.secret else None
        self._http = context.http
        self._wall_clock = context.wall_clock

    def request(self, delivery: Delivery) -> tuple[bytes, dict[str, str]]:
        """The exact body and headers one attempt sends."""
        body = encode(payload(delivery))
        timestamp = int(self._wall_clock())
        headers = {
            "content-type": CONTENT_TYPE,
            "webhook-id": delivery.id,
            "webhook-timestamp": str(timestamp),
        }
        if self._key is not None:
            headers["webhook-signature"] = sign(self._key, delivery.id, timestamp, body)
        return body, headers

    async def send(self, delivery: Delivery) -> Receipt:
        body, headers = self.request(delivery)
        return await post(
            self._http,
            self.url,
            body,
            headers,
            channel=self.name,
            wall_clock=float(headers["webhook-timestamp"]),
        )

    async def aclose(self) -> None:
        """Nothing of its own to close: the HTTP client is shared."""


@channel_builder("webhook", "generic")
def build(name: str, config: ChannelConfig, context: ChannelContext) -> GenericWebhook:
    if not isinstance(config, WebhookChannel):
        raise ChannelError(f"channel `{name}` is not a webhook")
    try:
        return GenericWebhook(name, config, context)
    except ChannelError as exc:
        raise ChannelError(f"channel `{name}`: {exc}") from None
