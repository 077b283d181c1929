"""``compact-calendar send-test CHANNEL``: one test message, and what the far side said."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from compact_calendar.channels.factory import ChannelSet
from compact_calendar.config import Settings
from compact_calendar.errors import ChannelError, DeliveryError, UsageError
from compact_calendar.messages.samples import trial_delivery
from compact_calendar.registry_file import load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("channel", metavar="CHANNEL", help="a name from `channels:`")


async def _send(settings: Settings, name: str) -> int:
    now = datetime.now(UTC)
    registry, _checked = load_registry(settings.registry, now=now)
    if name not in registry.channels:
        known = ", ".join(sorted(registry.channels)) or "none are defined"
        raise UsageError(f"no channel `{name}` in {settings.registry} (channels: {known})")
    channels = ChannelSet(settings)
    try:
        problems = await channels.update(registry)
        if name in problems:
            raise ChannelError(problems[name])
        delivery = trial_delivery(registry, name, now=now, public_url=settings.public_url)
        try:
            receipt = await channels[name].send(delivery)
        except DeliveryError as exc:
            status = f" (status {exc.status})" if exc.status is not None else ""
            print(f"{name}: failed{status}: {exc}")
            return 1
    finally:
        await channels.aclose()
    status = f"{receipt.status} " if receipt.status is not None else ""
    print(f"{name}: sent {delivery.id}; the far side answered: {status}{receipt.detail}")
    return 0


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(registry=args.registry)
    return asyncio.run(_send(settings, args.channel))
