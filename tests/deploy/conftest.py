"""Fixtures for the deployment tests: the webhook receiver is the reminder tests' own."""

from tests.reminders.conftest import receiver

__all__ = ["receiver"]
