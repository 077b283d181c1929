"""Entry versions kept in the state database, so SEQUENCE and DTSTAMP survive restarts.

Every replica and every ``export`` sharing one database publishes the same versions:
a change is recorded once, under the database's write lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from compact_calendar.feeds.catalog import EntryCatalog
from compact_calendar.feeds.versions import EntryVersion, EntryVersions, advance
from compact_calendar.registry.model import Registry
from compact_calendar.state.database import Database, metadata

__all__ = ["EntryVersionStore", "feed_entries"]

feed_entries = sa.Table(
    "feed_entries",
    metadata,
    sa.Column("uid", sa.String(400), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
)

# Serialises version updates across PostgreSQL replicas (SQLite has its write lock).
_PG_LOCK_KEY = 7215630012


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _read(connection: Connection) -> dict[str, EntryVersion]:
    rows = connection.execute(
        sa.select(
            feed_entries.c.uid,
            feed_entries.c.digest,
            feed_entries.c.sequence,
            feed_entries.c.last_modified,
        )
    )
    return {uid: EntryVersion(digest, seq, _utc(when)) for uid, digest, seq, when in rows}


class EntryVersionStore:
    """Per-UID content digest, SEQUENCE and modification time in the state database."""

    def __init__(self, db: Database, catalog: EntryCatalog | None = None) -> None:
        self.db = db
        self.catalog = catalog or EntryCatalog()

    def load(self) -> EntryVersions:
        with self.db.begin() as connection:
            return _read(connection)

    def sync(self, registry: Registry, now: datetime) -> EntryVersions:
        """Record the registry's entries as of ``now``; the versions to render with."""
        digests = {
            content.uid: content.digest
            for event in self.catalog.entries(registry)
            for content in event.contents
        }
        return self.sync_digests(digests, now)

    def sync_digests(self, digests: Mapping[str, str], now: datetime) -> EntryVersions:
        known = self.load()
        if not advance(known, digests, now).changed:
            return known
        with self.db.begin(immediate=True) as connection:
            if not self.db.is_sqlite:
                connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"))
            # Read again under the lock: another process may have recorded the change.
            update = advance(_read(connection), digests, now)
            rows = [
                {
                    "row_uid": uid,
                    "digest": version.digest,
                    "sequence": version.sequence,
                    "last_modified": version.last_modified,
                }
                for uid, version in update.changed.items()
            ]
            added = [row for row in rows if row["sequence"] == 0]
            changed = [row for row in rows if row["sequence"] != 0]
            if added:
                connection.execute(feed_entries.insert().values(uid=sa.bindparam("row_uid")), added)
            if changed:
                connection.execute(
                    feed_entries.update().where(feed_entries.c.uid == sa.bindparam("row_uid")),
                    changed,
                )
            return update.versions
