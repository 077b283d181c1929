"""Fixtures for the reminder engine's tests (re-exported for tests/channels)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reminders.helpers import WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A loopback Standard Webhooks receiver, stopped after the test."""
    server = WebhookReceiver().start()
    yield server
    server.stop()
