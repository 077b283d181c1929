"""What a channel would send for a delivery, shown exactly, without sending it.

``compact-calendar reminders --preview KEY`` prints this: the whole email as it would go
over SMTP (headers, every part), or the HTTP request a webhook would POST.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from compact_calendar.channels.base import Channel, Delivery
from compact_calendar.channels.email import EmailChannel
from compact_calendar.channels.webhook.chat import HEADERS, ChatChannel
from compact_calendar.channels.webhook.generic import GenericWebhook

__all__ = ["render_preview"]


def _request(url: str, headers: Mapping[str, str], body: bytes) -> str:
    lines = [f"POST {url}", *(f"{name}: {value}" for name, value in headers.items()), ""]
    try:
        shown = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except ValueError:
        shown = body.decode("utf-8", errors="replace")
    return "\n".join(lines) + "\n" + shown + "\n"


async def render_preview(channel: Channel, delivery: Delivery) -> str:
    """The message ``channel`` would send for ``delivery``, as text."""
    if isinstance(channel, EmailChannel):
        message = await channel.render(delivery)
        target = (
            f"SMTP {channel.server.describe()}"
            if channel.server
            else f"outbox {channel.outbox} (COMPACT_CALENDAR_SMTP_URL is not set)"
        )
        envelope = f"# via {target}; envelope to: {', '.join(channel.to)}\n"
        return envelope + message.as_bytes().decode("utf-8", errors="replace")
    if isinstance(channel, ChatChannel):
        url, body = channel.render(delivery)
        return _request(url, HEADERS, body)
    if isinstance(channel, GenericWebhook):
        body, headers = channel.request(delivery)
        return _request(channel.url, headers, body)
    return f"# channel `{channel.name}` ({type(channel).__name__}) cannot show a preview\n"
