"""compact-calendar: a registry of events in one YAML file, published as iCalendar feeds
and a web page, with reminders by email or webhook before deadlines and sessions."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
