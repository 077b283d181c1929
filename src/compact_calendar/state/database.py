"""One SQLAlchemy Core database for all state: SQLite by default, PostgreSQL for replicas.

Tables are declared on :data:`metadata` by the modules that own them (feed entry
versions, the reminders ledger) and created by :meth:`Database.migrate`, which the
program runs itself at start-up; ``schema_migrations`` records which numbered
migrations have been applied so later versions can alter tables in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from compact_calendar.errors import StorageError

__all__ = ["MIGRATIONS", "Database", "metadata"]

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

Migration = Callable[[Connection], None]
MIGRATIONS: dict[int, Migration] = {}
"""Numbered changes to existing tables, applied once each in order after ``create_all``."""


def _normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """An engine plus the schema; use :meth:`begin` for a transaction."""

    def __init__(self, url: str) -> None:
        self.url = _normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        try:
            if self.is_sqlite:
                database = sa.engine.make_url(self.url).database
                if database and database != ":memory:":
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                self.engine: Engine = sa.create_engine(
                    self.url,
                    connect_args={"check_same_thread": False, "timeout": 10},
                    # pysqlite's own BEGIN handling defers locks; we issue BEGIN ourselves.
                    isolation_level=None,
                )
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise StorageError(
                f"cannot use database URL {url!r}: {exc}; use sqlite:///PATH or "
                "postgresql://user@host/db (COMPACT_CALENDAR_DATABASE_URL)"
            ) from exc

    @contextmanager
    def begin(self, *, immediate: bool = False) -> Iterator[Connection]:
        """A transaction. ``immediate`` takes SQLite's write lock at once (for claims)."""
        try:
            with self.engine.connect() as connection:
                if self.is_sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
                    try:
                        yield connection
                    except BaseException:
                        connection.exec_driver_sql("ROLLBACK")
                        raise
                    connection.exec_driver_sql("COMMIT")
                else:
                    with connection.begin():
                        yield connection
        except sa.exc.OperationalError as exc:
            raise StorageError(f"database error ({self.display_url}): {exc.orig}") from exc

    @property
    def display_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Create missing tables and apply pending migrations; safe to run concurrently."""
        from datetime import UTC, datetime

        # Import the modules that declare tables so they are on `metadata`.
        import compact_calendar.state.tables  # noqa: F401

        with self.begin(immediate=True) as connection:
            if not self.is_sqlite:
                # Replicas starting together: one migrates, the others wait for it.
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(7215630011)"))
            metadata.create_all(connection)
            done = {row[0] for row in connection.execute(sa.select(schema_migrations.c.version))}
            for version in sorted(set(MIGRATIONS) - done):
                MIGRATIONS[version](connection)
                connection.execute(
                    schema_migrations.insert().values(version=version, applied_at=datetime.now(UTC))
                )

    def dispose(self) -> None:
        self.engine.dispose()
