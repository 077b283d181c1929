"""Settings from the environment (SPEC.md "Configuration"), read once at the edge."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from compact_calendar.errors import ConfigError

__all__ = ["DEFAULT_REGISTRY", "Settings", "default_database_url", "env_duration"]

DEFAULT_REGISTRY = "events.yaml"
STATE_FILE_NAME = "compact-calendar.sqlite3"


def default_database_url(registry: Path) -> str:
    """A SQLite file beside the registry."""
    return f"sqlite:///{registry.resolve().parent / STATE_FILE_NAME}"


def env_duration(env: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    """A duration setting written as a registry offset (``6h``, ``PT30S``)."""
    raw = env.get(name)
    if not raw:
        return default
    from compact_calendar.registry.values import parse_offset

    try:
        return parse_offset(raw).delta
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Settings:
    registry: Path
    database_url: str
    smtp_url: str | None
    mail_from: str
    public_url: str | None
    outbox: Path
    late_grace: timedelta
    planning_horizon: timedelta

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, registry: str | Path | None = None
    ) -> Settings:
        env = os.environ if env is None else env
        path = Path(registry or env.get("COMPACT_CALENDAR_REGISTRY") or DEFAULT_REGISTRY)
        public_url = env.get("COMPACT_CALENDAR_PUBLIC_URL") or None
        if public_url and not public_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"COMPACT_CALENDAR_PUBLIC_URL={public_url!r} is not an http(s) URL: "
                "set it to the address members use, like https://calendar.example.org"
            )
        return cls(
            registry=path,
            database_url=env.get("COMPACT_CALENDAR_DATABASE_URL") or default_database_url(path),
            smtp_url=env.get("COMPACT_CALENDAR_SMTP_URL") or None,
            mail_from=env.get("COMPACT_CALENDAR_MAIL_FROM") or "compact-calendar@localhost",
            public_url=public_url.rstrip("/") if public_url else None,
            outbox=Path(env.get("COMPACT_CALENDAR_OUTBOX") or "outbox"),
            late_grace=env_duration(env, "COMPACT_CALENDAR_LATE_GRACE", timedelta(hours=6)),
            planning_horizon=env_duration(
                env, "COMPACT_CALENDAR_PLANNING_HORIZON", timedelta(days=400)
            ),
        )
