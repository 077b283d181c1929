"""Every table of the state database, imported by :meth:`Database.migrate`.

Each part of the program declares its tables in its own module; this module only
imports them so that ``metadata`` knows them all.
"""

from __future__ import annotations

import compact_calendar.feeds.store
import compact_calendar.reminders.ledger  # noqa: F401
