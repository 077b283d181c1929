"""Fixtures of the deployment tests; the webhook receiver is the reminder tests' own."""

from __future__ import annotations

from typing import Any

import pytest

from compact_calendar.config import Settings
from tests.reminders.conftest import receiver

__all__ = ["receiver", "settings_names"]


class _Recording(dict[str, str]):
    """An environment that remembers which names were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


@pytest.fixture(scope="session")
def settings_names() -> set[str]:
    """Every environment variable ``Settings.from_env`` reads."""
    env = _Recording()
    Settings.from_env(env)
    return env.asked
