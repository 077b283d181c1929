"""Webhook channels: one module per payload format, sharing the HTTP handling here.

:func:`post` sends prepared bytes and maps what comes back (or does not) to a
:class:`~compact_calendar.channels.base.Receipt` or a delivery error, the same way for
every format: timeouts, connection errors, 408, 425, 429 and 5xx are worth retrying
(``Retry-After`` honoured); redirects and other 4xx are not.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from compact_calendar.channels.base import Receipt
from compact_calendar.errors import PermanentDeliveryError, TransientDeliveryError

__all__ = ["RETRYABLE_STATUSES", "parse_retry_after", "post", "utc_iso"]

RETRYABLE_STATUSES = frozenset({408, 425, 429})
_EXCERPT = 300


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _excerpt(response: httpx.Response) -> str:
    text = response.text.strip().replace("\r", " ").replace("\n", " ")
    return text[:_EXCERPT] + ("..." if len(text) > _EXCERPT else "")


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    channel: str,
    wall_clock: float | None = None,
) -> Receipt:
    """POST ``body`` to ``url``; a Receipt on 2xx, else a Transient/Permanent error."""
    try:
        response = await client.post(url, content=body, headers=dict(headers))
    except httpx.TimeoutException as exc:
        raise TransientDeliveryError(
            f"channel `{channel}`: {url} did not answer in time ({type(exc).__name__})"
        ) from exc
    except httpx.TransportError as exc:
        raise TransientDeliveryError(
            f"channel `{channel}`: cannot reach {url}: {str(exc) or type(exc).__name__}"
        ) from exc
    status = response.status_code
    detail = _excerpt(response)
    if 200 <= status < 300:
        return Receipt(status, detail or response.reason_phrase)
    answered = f"channel `{channel}`: {url} answered {status} {response.reason_phrase}"
    if detail:
        answered += f": {detail}"
    if status in RETRYABLE_STATUSES or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=wall_clock)
        raise TransientDeliveryError(
            answered, status=status, retry_after=retry_after, response=detail
        )
    if 300 <= status < 400:
        location = response.headers.get("location")
        hint = f"; set the channel's url to {location}" if location else ""
        raise PermanentDeliveryError(
            f"{answered} (redirects are not followed{hint})", status=status, response=detail
        )
    raise PermanentDeliveryError(answered, status=status, response=detail)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
