"""The interface between the reminder engine and the channels that deliver.

The dispatcher hands a channel a :class:`Delivery`; the channel renders and sends it and
returns a :class:`Receipt` describing what the far side answered, or raises
:class:`~compact_calendar.errors.TransientDeliveryError` (try again later) or
:class:`~compact_calendar.errors.PermanentDeliveryError` (give up). Third-party errors
(httpx, aiosmtplib) are mapped to those two at the channel, never beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from compact_calendar.registry.items import Item
from compact_calendar.registry.model import CalendarInfo
from compact_calendar.registry.values import Offset

__all__ = ["Channel", "Delivery", "DeliveryKind", "Receipt"]

DeliveryKind = Literal["reminder", "moved", "cancelled", "test"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message for one channel."""

    id: str
    """Stable for this reminder and channel across retries: ``webhook-id``, Message-ID."""
    reminder_key: str
    kind: DeliveryKind
    item: Item
    calendar: CalendarInfo
    offset: Offset | None
    due: datetime
    """When the message was meant to go (UTC)."""
    now: datetime
    """When it is being sent (UTC)."""
    late: bool
    attempt: int
    public_url: str | None
    previous: Item | None = None
    """For a ``moved`` notice: the item as it was when reminders about it went out."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the far side answered to a successful delivery."""

    status: int | None
    detail: str


class Channel(Protocol):
    name: str

    async def send(self, delivery: Delivery) -> Receipt: ...

    async def aclose(self) -> None: ...
