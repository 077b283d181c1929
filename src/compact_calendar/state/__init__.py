"""The state database shared by the feeds (entry versions) and the reminders ledger."""

from compact_calendar.state.database import Database, metadata

__all__ = ["Database", "metadata"]
