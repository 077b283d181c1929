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


_Fingerprint = tuple[int, int, datetime | None]


def _fingerprint(connection: Connection) -> _Fingerprint:
    count, total, newest = connection.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(feed_entries.c.sequence), 0),
            sa.func.max(feed_entries.c.last_modified),
        )
    ).one()
    return int(count), int(total), None if newest is None else _utc(newest)


def _fingerprint_of(versions: EntryVersions) -> _Fingerprint:
    """Rows are never deleted and every change adds a row or raises a SEQUENCE, so the
    number of rows and the sum of their SEQUENCEs tell whether anything was recorded;
    the newest change tells a database recreated since from the one that was read."""
    return (
        len(versions),
        sum(version.sequence for version in versions.values()),
        max((version.last_modified for version in versions.values()), default=None),
    )


class EntryVersionStore:
    """Per-UID content digest, SEQUENCE and modification time in the state database.

    The versions last read are kept: when the table's fingerprint shows no change since,
    a render reads two numbers instead of every row.
    """

    def __init__(self, db: Database, catalog: EntryCatalog | None = None) -> None:
        self.db = db
        self.catalog = catalog or EntryCatalog()
        self._known: tuple[_Fingerprint, dict[str, EntryVersion]] | None = None

    def _current(self, connection: Connection) -> dict[str, EntryVersion]:
        known = self._known
        if known is not None and known[0] == _fingerprint(connection):
            return known[1]
        versions = _read(connection)
        self._known = (_fingerprint_of(versions), versions)
        return versions

    def load(self) -> EntryVersions:
        with self.db.begin() as connection:
            return self._current(connection)

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
            update = advance(self._current(connection), digests, now)
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
        self._known = (_fingerprint_of(update.versions), update.versions)
        return update.versions
