"""Building a :class:`~compact_calendar.channels.base.Channel` for each registry channel.

Each kind of channel plugs in with a builder keyed by ``(type, format)``::

    @channel_builder("webhook", "slack")
    def build(name: str, config: ChannelConfig, context: ChannelContext) -> Channel: ...

placed in ``compact_calendar/channels/email.py`` (``("email", "")``) or
``compact_calendar/channels/webhook/<format>.py`` (``-`` spelled ``_``); the factory
imports that module the first time a channel of its kind is built, so a deployment that
only uses webhooks never imports the SMTP client.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from compact_calendar import __version__
from compact_calendar.channels.base import Channel
from compact_calendar.config import Settings
from compact_calendar.errors import ChannelError
from compact_calendar.registry.model import EmailChannel, Registry, WebhookChannel

__all__ = [
    "ChannelBuilder",
    "ChannelConfig",
    "ChannelContext",
    "ChannelSet",
    "build_channel",
    "builder_key",
    "channel_builder",
    "http_client",
]

ChannelConfig = EmailChannel | WebhookChannel


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What builders may use: settings, one shared HTTP client, the wall clock, and the
    registry the channels were last built from."""

    settings: Settings
    http: httpx.AsyncClient
    wall_clock: Callable[[], float] = field(default=time.time)
    """Seconds since the epoch, for transport-level stamps (``webhook-timestamp``)."""
    registry: Callable[[], Registry | None] = field(default=lambda: None)
    """The current registry (``None`` before the first :meth:`ChannelSet.update`)."""


ChannelBuilder = Callable[[str, ChannelConfig, ChannelContext], Channel]
_Builder = TypeVar("_Builder", bound=ChannelBuilder)
_BUILDERS: dict[tuple[str, str], ChannelBuilder] = {}


def builder_key(config: ChannelConfig) -> tuple[str, str]:
    if isinstance(config, WebhookChannel):
        return ("webhook", config.format)
    return ("email", "")


def channel_builder(type_: str, format_: str = "") -> Callable[[_Builder], _Builder]:
    """Register the decorated function as the builder of ``(type_, format_)`` channels."""

    def register(builder: _Builder) -> _Builder:
        _BUILDERS[(type_, format_)] = builder
        return builder

    return register


def _module_for(key: tuple[str, str]) -> str:
    type_, format_ = key
    if type_ == "webhook":
        return f"compact_calendar.channels.webhook.{format_.replace('-', '_')}"
    return f"compact_calendar.channels.{type_}"


def build_channel(name: str, config: ChannelConfig, context: ChannelContext) -> Channel:
    key = builder_key(config)
    if key not in _BUILDERS:
        try:
            importlib.import_module(_module_for(key))
        except ModuleNotFoundError as exc:
            if not exc.name or not _module_for(key).startswith(exc.name):
                raise
    builder = _BUILDERS.get(key)
    if builder is None:
        kind = f"{key[0]} channels" + (f" in the {key[1]} format" if key[1] else "")
        raise ChannelError(
            f"channel `{name}`: {kind} are not supported by this version of compact-calendar"
        )
    return builder(name, config, context)


def http_client() -> httpx.AsyncClient:
    """The HTTP client every webhook shares: pooled connections, timeouts, no redirects."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, connect=5.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        follow_redirects=False,
        headers={"user-agent": f"compact-calendar/{__version__}"},
    )


class ChannelSet:
    """The channels of the current registry, rebuilt when a channel's settings change."""

    def __init__(self, settings: Settings, *, http: httpx.AsyncClient | None = None) -> None:
        self._owns_http = http is None
        self._registry: Registry | None = None
        self.context = ChannelContext(
            settings, http or http_client(), registry=lambda: self._registry
        )
        self._channels: dict[str, tuple[ChannelConfig, Channel]] = {}

    def __getitem__(self, name: str) -> Channel:
        return self._channels[name][1]

    def get(self, name: str) -> Channel | None:
        entry = self._channels.get(name)
        return entry[1] if entry else None

    async def update(self, registry: Registry) -> dict[str, str]:
        """Build the registry's channels; returns the ones that failed, with the reason."""
        self._registry = registry
        failures: dict[str, str] = {}
        wanted: Mapping[str, ChannelConfig] = registry.channels
        for name in list(self._channels):
            config, channel = self._channels[name]
            if wanted.get(name) != config:
                del self._channels[name]
                await channel.aclose()
        for name, config in wanted.items():
            if name in self._channels:
                continue
            try:
                self._channels[name] = (config, build_channel(name, config, self.context))
            except ChannelError as exc:
                failures[name] = str(exc)
        return failures

    async def aclose(self) -> None:
        for _config, channel in self._channels.values():
            await channel.aclose()
        self._channels.clear()
        if self._owns_http:
            await self.context.http.aclose()
