"""Deliveries about the message-test registry (tests/data/messages/registry.yaml)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from compact_calendar.channels.base import Delivery, DeliveryKind
from compact_calendar.messages.samples import delivery_for, find_item
from compact_calendar.registry.model import Registry
from compact_calendar.registry.values import parse_offset
from compact_calendar.registry_file import load_registry

REGISTRY = Path(__file__).resolve().parent.parent / "data" / "messages" / "registry.yaml"
GOLDEN = REGISTRY.parent / "golden"
NOW = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)


def message_registry() -> Registry:
    registry, _checked = load_registry(REGISTRY, now=NOW, env={})
    return registry


def delivery(
    key: str,
    *,
    now: datetime,
    offset: str | None = "3d",
    kind: DeliveryKind = "reminder",
    late: bool = False,
    due: datetime | None = None,
    registry: Registry | None = None,
    channel: str = "secretariat",
) -> Delivery:
    registry = registry or message_registry()
    return delivery_for(
        registry,
        find_item(registry, key),
        now=now,
        kind=kind,
        channel=channel,
        offset=parse_offset(offset) if offset else None,
        late=late,
        due=due,
    )
