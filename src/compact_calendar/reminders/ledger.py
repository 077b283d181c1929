"""The reminders ledger: every reminder's life, in the state database.

A reminder row goes ``pending`` -> ``sending`` (claimed under a lease by one process)
-> ``sent``; a failed attempt puts it in ``retry`` with the time of the next one, a
permanent failure makes it ``dead``; ``cancelled`` when its event is cancelled or
removed (and ``pending`` again when un-cancelled); ``expired`` when it was missed by
more than the grace window or its item passed before it could go. Every attempt is
recorded in ``reminder_attempts`` with its outcome, status code and error.

Notices (``moved``, ``cancelled``) are rows too, created by :meth:`Ledger.reconcile`
when an item channels were already reminded about moves or is cancelled, and sent by
the dispatcher like any reminder. What the channels were told about an item is kept in
``reminder_items`` so that a notice can say what the item was.

Claiming takes due rows atomically: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
several replicas claim disjoint rows at once; on SQLite the claim runs in a ``BEGIN
IMMEDIATE`` transaction, which serialises claimers. A row can only be finished by the
holder of its lease; a holder that crashed loses the row when its lease expires.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast, get_args

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect

from compact_calendar.registry.items import Item, items
from compact_calendar.registry.model import CalendarInfo, Event, Registry
from compact_calendar.registry.values import Offset
from compact_calendar.reminders.planning import KEY_SEPARATOR, Plan, PlannedReminder
from compact_calendar.state.database import Database, metadata

__all__ = [
    "ACTIVE_STATUSES",
    "STATUSES",
    "Attempt",
    "Claimed",
    "Ledger",
    "LedgerRow",
    "ReconcileReport",
    "RowKind",
    "Status",
    "item_from_snapshot",
    "item_snapshot",
]

Status = Literal["pending", "sending", "sent", "retry", "dead", "cancelled", "expired"]
STATUSES: tuple[Status, ...] = get_args(Status)
ACTIVE_STATUSES: tuple[Status, ...] = ("pending", "sending", "retry")
RowKind = Literal["reminder", "moved", "cancelled"]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


reminders_table = sa.Table(
    "reminders",
    metadata,
    sa.Column("key", sa.String(1024), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("item_key", sa.String(512), nullable=False),
    sa.Column("channel", sa.String(128), nullable=False),
    sa.Column("offset_days", sa.Integer),
    sa.Column("offset_seconds", sa.Integer),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("zone", sa.String(64), nullable=False),
    sa.Column("due", UTCDateTime, nullable=False),
    sa.Column("moment", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("lease_token", sa.String(64)),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("late", sa.Boolean, nullable=False, default=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("previous", sa.Text),
    sa.Index("ix_reminders_status_next", "status", "next_attempt_at"),
    sa.Index("ix_reminders_item", "item_key"),
)

attempts_table = sa.Table(
    "reminder_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reminder_key", sa.String(1024), nullable=False, index=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("detail", sa.Text),
)

items_table = sa.Table(
    "reminder_items",
    metadata,
    sa.Column("item_key", sa.String(512), primary_key=True),
    sa.Column("moment", UTCDateTime, nullable=False),
    sa.Column("snapshot", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

_RECONCILE_LOCK = 7215630012


@dataclass(frozen=True, slots=True)
class LedgerRow:
    key: str
    kind: RowKind
    item_key: str
    channel: str
    offset: Offset | None
    title: str
    zone: str
    due: datetime
    moment: datetime
    status: Status
    next_attempt_at: datetime
    attempts: int
    lease_token: str | None
    lease_until: datetime | None
    last_status: int | None
    last_error: str | None
    late: bool
    sent_at: datetime | None
    previous: str | None

    @classmethod
    def from_mapping(cls, row: Any) -> LedgerRow:
        days, seconds = row["offset_days"], row["offset_seconds"]
        return cls(
            key=row["key"],
            kind=row["kind"],
            item_key=row["item_key"],
            channel=row["channel"],
            offset=Offset(days, seconds) if days is not None else None,
            title=row["title"],
            zone=row["zone"],
            due=row["due"],
            moment=row["moment"],
            status=row["status"],
            next_attempt_at=row["next_attempt_at"],
            attempts=row["attempts"],
            lease_token=row["lease_token"],
            lease_until=row["lease_until"],
            last_status=row["last_status"],
            last_error=row["last_error"],
            late=bool(row["late"]),
            sent_at=row["sent_at"],
            previous=row["previous"],
        )

    @classmethod
    def planned(cls, reminder: PlannedReminder) -> LedgerRow:
        """The row ``reminder`` starts as in the ledger: pending, never tried."""
        return cls(
            key=reminder.key,
            kind="reminder",
            item_key=reminder.item.key,
            channel=reminder.channel,
            offset=reminder.offset,
            title=reminder.item.title,
            zone=reminder.zone,
            due=reminder.due,
            moment=reminder.moment,
            status="pending",
            next_attempt_at=reminder.due,
            attempts=0,
            lease_token=None,
            lease_until=None,
            last_status=None,
            last_error=None,
            late=False,
            sent_at=None,
            previous=None,
        )


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row claimed for one attempt; only ``token`` can finish it."""

    row: LedgerRow
    token: str
    started_at: datetime

    @property
    def attempt(self) -> int:
        return self.row.attempts


@dataclass(frozen=True, slots=True)
class Attempt:
    reminder_key: str
    attempt: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    status_code: int | None
    error: str | None
    detail: str | None


@dataclass(slots=True)
class ReconcileReport:
    added: int = 0
    moved: int = 0
    revived: int = 0
    cancelled: int = 0
    expired: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.moved
            or self.revived
            or self.cancelled
            or self.expired
            or self.notices
        )


def item_snapshot(item: Item, calendar: CalendarInfo) -> str:
    """What is needed to rebuild ``item`` later, as JSON: its calendar and its event."""
    return json.dumps(
        {
            "item_key": item.key,
            "calendar": calendar.model_dump(mode="json", by_alias=True),
            "event": item.event.model_dump(mode="json", by_alias=True, exclude={"reminders"}),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def item_from_snapshot(snapshot: str) -> Item | None:
    """The item as it was when ``snapshot`` was taken (reminder policy: the defaults)."""
    data = json.loads(snapshot)
    registry = Registry(
        calendar=CalendarInfo.model_validate(data["calendar"]),
        events=[Event.model_validate(data["event"])],
    )
    return next((i for i in items(registry) if i.key == data["item_key"]), None)


def _notice_key(item_key: str, kind: str, moment: datetime, channel: str) -> str:
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{item_key}{KEY_SEPARATOR}{kind}@{stamp}{KEY_SEPARATOR}{channel}"


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Ledger:
    """The reminders' rows in one :class:`Database`. Methods are synchronous: call them
    from a worker thread in async code."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._dialect = database.engine.dialect.name

    # --- planning ---------------------------------------------------------------

    def reconcile(
        self, plan: Plan, now: datetime, *, calendar: CalendarInfo, late_grace: timedelta
    ) -> ReconcileReport:
        """Bring the ledger in line with ``plan``; running it twice changes nothing more.

        Unsent rows follow the plan (new time, revived, cancelled); sent rows are never
        touched except to notice that their item moved or was cancelled, which creates
        one notice per channel that already got a reminder.
        """
        report = ReconcileReport()
        t = reminders_table
        planned = plan.by_key()
        with self.database.begin(immediate=True) as conn:
            if self._dialect == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_RECONCILE_LOCK)))
            existing = {
                row.key: row
                for row in conn.execute(
                    sa.select(t.c.key, t.c.status, t.c.due, t.c.moment).where(
                        t.c.kind == "reminder"
                    )
                )
            }
            inserts: list[dict[str, Any]] = []
            for key, reminder in planned.items():
                row = existing.get(key)
                if row is None:
                    status: Status = "pending"
                    if reminder.due < now - late_grace:
                        status = "expired"
                        report.expired.append(key)
                    inserts.append(self._new_row(reminder, now, status))
                    report.added += 1
                    continue
                changed_time = row.due != reminder.due or row.moment != reminder.moment
                revive = row.status == "cancelled" or (row.status == "expired" and changed_time)
                if row.status in ("sent", "dead") or not (changed_time or revive):
                    continue
                values: dict[str, Any] = {
                    "due": reminder.due,
                    "moment": reminder.moment,
                    "title": reminder.item.title,
                    "zone": reminder.zone,
                    "updated_at": now,
                }
                if row.status != "sending":
                    values |= {"status": "pending", "next_attempt_at": reminder.due}
                    if reminder.due < now - late_grace:
                        values |= {
                            "status": "expired",
                            "last_error": "missed by more than the grace window",
                        }
                        report.expired.append(key)
                if revive:
                    report.revived += 1
                else:
                    report.moved += 1
                conn.execute(t.update().where(t.c.key == key).values(**values))
            if inserts:
                conn.execute(t.insert(), inserts)
            gone = [
                key
                for key, row in existing.items()
                if key not in planned and row.status in ("pending", "retry")
            ]
            for chunk in _chunks(gone):
                # A row whose item has passed is expired (reported); otherwise the plan
                # dropped it (event cancelled or removed, channel or offset taken out).
                conn.execute(
                    t.update()
                    .where(t.c.key.in_(chunk), t.c.moment <= now)
                    .values(status="expired", updated_at=now, last_error="its item has passed")
                )
                result = conn.execute(
                    t.update()
                    .where(t.c.key.in_(chunk), t.c.status.in_(("pending", "retry")))
                    .values(status="cancelled", updated_at=now, lease_token=None)
                )
                report.cancelled += result.rowcount
            self._notices(conn, plan, now, calendar, report)
        return report

    def _new_row(self, reminder: PlannedReminder, now: datetime, status: Status) -> dict[str, Any]:
        return {
            "key": reminder.key,
            "kind": "reminder",
            "item_key": reminder.item.key,
            "channel": reminder.channel,
            "offset_days": reminder.offset.days,
            "offset_seconds": reminder.offset.seconds,
            "title": reminder.item.title,
            "zone": reminder.zone,
            "due": reminder.due,
            "moment": reminder.moment,
            "status": status,
            "next_attempt_at": reminder.due,
            "attempts": 0,
            "late": False,
            "updated_at": now,
            "last_error": "missed by more than the grace window" if status == "expired" else None,
        }

    def _notices(
        self,
        conn: Connection,
        plan: Plan,
        now: datetime,
        calendar: CalendarInfo,
        report: ReconcileReport,
    ) -> None:
        t = reminders_table
        told = list(conn.execute(sa.select(items_table)))
        for record in told:
            current = plan.items.get(record.item_key)
            kind: RowKind
            if current is None or current.status == "cancelled":
                kind, moment = "cancelled", record.moment
            elif current.moment != record.moment:
                kind, moment = "moved", current.moment
            else:
                continue
            if record.moment <= now:
                # What was announced is over; there is nothing useful to tell.
                conn.execute(items_table.delete().where(items_table.c.item_key == record.item_key))
                continue
            channels = sorted(
                {
                    row.channel
                    for row in conn.execute(
                        sa.select(t.c.channel).where(
                            t.c.item_key == record.item_key,
                            t.c.kind == "reminder",
                            t.c.status == "sent",
                        )
                    )
                }
            )
            title = current.title if current is not None else record.item_key
            zone = current.reminders.timezone if current is not None else calendar.timezone
            for channel in channels:
                key = _notice_key(record.item_key, kind, moment, channel)
                exists = conn.execute(sa.select(t.c.key).where(t.c.key == key)).first()
                if exists:
                    continue
                conn.execute(
                    t.insert().values(
                        key=key,
                        kind=kind,
                        item_key=record.item_key,
                        channel=channel,
                        title=title,
                        zone=zone,
                        due=now,
                        moment=moment if kind == "moved" else record.moment,
                        status="pending",
                        next_attempt_at=now,
                        attempts=0,
                        late=False,
                        updated_at=now,
                        previous=record.snapshot,
                    )
                )
                report.notices.append(key)
            if kind == "cancelled":
                conn.execute(items_table.delete().where(items_table.c.item_key == record.item_key))
            else:
                assert current is not None
                conn.execute(
                    items_table.update()
                    .where(items_table.c.item_key == record.item_key)
                    .values(
                        moment=current.moment,
                        snapshot=item_snapshot(current, calendar),
                        updated_at=now,
                    )
                )

    # --- dispatching --------------------------------------------------------------

    def expire_overdue(self, now: datetime, *, late_grace: timedelta) -> list[LedgerRow]:
        """Give up on rows that can no longer usefully go, and return them for reporting.

        Pending rows missed by more than ``late_grace`` and pending rows whose item has
        passed become ``expired``; rows being retried (or whose holder vanished) when
        their item passes become ``dead``.
        """
        t = reminders_table
        finished: list[LedgerRow] = []
        with self.database.begin(immediate=True) as conn:
            rules: list[tuple[Any, Status, str]] = [
                (
                    sa.and_(t.c.status == "pending", t.c.moment <= now),
                    "expired",
                    "its item passed before it was sent",
                ),
                (
                    sa.and_(t.c.status == "pending", t.c.due < now - late_grace),
                    "expired",
                    f"missed by more than the grace window ({late_grace})",
                ),
                (
                    sa.and_(
                        sa.or_(
                            t.c.status == "retry",
                            sa.and_(t.c.status == "sending", t.c.lease_until <= now),
                        ),
                        t.c.moment <= now,
                    ),
                    "dead",
                    "its item passed before delivery succeeded",
                ),
            ]
            for condition, status, reason in rules:
                result = conn.execute(
                    t.update()
                    .where(condition)
                    .values(status=status, last_error=reason, updated_at=now, lease_token=None)
                    .returning(*t.c)
                )
                finished.extend(LedgerRow.from_mapping(r._mapping) for r in result)
        return finished

    def claim(
        self, now: datetime, *, lease: timedelta, limit: int, token: str | None = None
    ) -> list[Claimed]:
        """Atomically take up to ``limit`` due rows for one attempt each."""
        if limit <= 0:
            return []
        t = reminders_table
        token = token or secrets.token_hex(16)
        due = sa.or_(
            sa.and_(t.c.status.in_(("pending", "retry")), t.c.next_attempt_at <= now),
            sa.and_(t.c.status == "sending", t.c.lease_until <= now),
        )
        candidates = (
            sa.select(t.c.key)
            .where(due)
            .order_by(t.c.next_attempt_at, t.c.key)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.database.begin(immediate=True) as conn:
            # Two statements, not UPDATE ... WHERE key IN (SELECT ... LIMIT n): PostgreSQL
            # may re-run such a subquery per row and, skipping locked rows, take more
            # than n. The SELECT locks what it returns until this transaction ends.
            keys = list(conn.execute(candidates).scalars())
            if not keys:
                return []
            result = conn.execute(
                t.update()
                .where(t.c.key.in_(keys), due)
                .values(
                    status="sending",
                    lease_token=token,
                    lease_until=now + lease,
                    attempts=t.c.attempts + 1,
                    updated_at=now,
                )
                .returning(*t.c)
            )
            rows = [LedgerRow.from_mapping(r._mapping) for r in result]
        rows.sort(key=lambda r: (r.next_attempt_at, r.key))
        return [Claimed(row, token, now) for row in rows]

    def _finish(
        self,
        claimed: Claimed,
        now: datetime,
        values: dict[str, Any],
        *,
        outcome: str,
        status_code: int | None,
        error: str | None,
        detail: str | None,
        extra: Iterable[tuple[Any, dict[str, Any]]] = (),
    ) -> bool:
        t = reminders_table
        with self.database.begin() as conn:
            result = conn.execute(
                t.update()
                .where(
                    t.c.key == claimed.row.key,
                    t.c.lease_token == claimed.token,
                    t.c.status == "sending",
                )
                .values(
                    lease_token=None,
                    lease_until=None,
                    last_status=status_code,
                    updated_at=now,
                    **values,
                )
            )
            held = result.rowcount == 1
            conn.execute(
                attempts_table.insert().values(
                    reminder_key=claimed.row.key,
                    attempt=claimed.attempt,
                    started_at=claimed.started_at,
                    finished_at=now,
                    outcome=outcome if held else f"{outcome} (lease lost)",
                    status_code=status_code,
                    error=error,
                    detail=detail,
                )
            )
            if held:
                for statement, params in extra:
                    conn.execute(statement, params)
        return held

    def mark_sent(
        self,
        claimed: Claimed,
        now: datetime,
        *,
        late: bool,
        status_code: int | None,
        detail: str,
        item: Item | None,
        calendar: CalendarInfo | None,
    ) -> bool:
        """Record a delivery; False if the lease was lost (another process took over)."""
        extra: list[tuple[Any, dict[str, Any]]] = []
        if claimed.row.kind == "reminder" and item is not None and calendar is not None:
            extra.append(
                (
                    self._upsert_item(),
                    {
                        "item_key": item.key,
                        "moment": item.moment,
                        "snapshot": item_snapshot(item, calendar),
                        "updated_at": now,
                    },
                )
            )
        return self._finish(
            claimed,
            now,
            {"status": "sent", "sent_at": now, "late": late, "last_error": None},
            outcome="sent",
            status_code=status_code,
            error=None,
            detail=detail,
            extra=extra,
        )

    def _upsert_item(self) -> Any:
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = insert(items_table)
        return statement.on_conflict_do_update(
            index_elements=[items_table.c.item_key],
            set_={
                "moment": statement.excluded.moment,
                "snapshot": statement.excluded.snapshot,
                "updated_at": statement.excluded.updated_at,
            },
        )

    def mark_retry(
        self,
        claimed: Claimed,
        now: datetime,
        *,
        next_attempt_at: datetime,
        status_code: int | None,
        error: str,
    ) -> bool:
        return self._finish(
            claimed,
            now,
            {"status": "retry", "next_attempt_at": next_attempt_at, "last_error": error},
            outcome="retry",
            status_code=status_code,
            error=error,
            detail=None,
        )

    def mark_dead(
        self, claimed: Claimed, now: datetime, *, status_code: int | None, error: str
    ) -> bool:
        return self._finish(
            claimed,
            now,
            {"status": "dead", "last_error": error},
            outcome="dead",
            status_code=status_code,
            error=error,
            detail=None,
        )

    def mark_cancelled(self, claimed: Claimed, now: datetime, *, reason: str) -> bool:
        return self._finish(
            claimed,
            now,
            {"status": "cancelled", "last_error": reason},
            outcome="cancelled",
            status_code=None,
            error=reason,
            detail=None,
        )

    # --- reading and repair -----------------------------------------------------------

    def rows(
        self,
        *,
        statuses: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        keys: Sequence[str] | None = None,
    ) -> list[LedgerRow]:
        t = reminders_table
        query = sa.select(t).order_by(t.c.due, t.c.key)
        if statuses:
            query = query.where(t.c.status.in_(list(statuses)))
        if since is not None:
            query = query.where(t.c.due >= since)
        if until is not None:
            query = query.where(t.c.due <= until)
        if keys is not None:
            query = query.where(t.c.key.in_(list(keys)))
        with self.database.begin() as conn:
            return [LedgerRow.from_mapping(r._mapping) for r in conn.execute(query)]

    def get(self, key: str) -> LedgerRow | None:
        found = self.rows(keys=[key])
        return found[0] if found else None

    def attempts(self, key: str) -> list[Attempt]:
        a = attempts_table
        with self.database.begin() as conn:
            result = conn.execute(
                sa.select(a).where(a.c.reminder_key == key).order_by(a.c.attempt, a.c.id)
            )
            return [
                Attempt(
                    reminder_key=r.reminder_key,
                    attempt=r.attempt,
                    started_at=r.started_at,
                    finished_at=r.finished_at,
                    outcome=r.outcome,
                    status_code=r.status_code,
                    error=r.error,
                    detail=r.detail,
                )
                for r in result
            ]

    def requeue(self, now: datetime, *, keys: Sequence[str] | None = None) -> list[str]:
        """Put dead (or expired) rows back in the queue, due now; all dead ones without keys."""
        t = reminders_table
        condition = t.c.key.in_(list(keys)) if keys is not None else t.c.status == "dead"
        with self.database.begin(immediate=True) as conn:
            result = conn.execute(
                t.update()
                .where(condition, t.c.status.in_(("dead", "expired")))
                .values(status="pending", next_attempt_at=now, due=now, updated_at=now)
                .returning(t.c.key)
            )
            return sorted(r.key for r in result)

    def next_attempt_at(self) -> datetime | None:
        """The earliest time a row becomes claimable: a due time or a lease running out."""
        t = reminders_table
        with self.database.begin() as conn:
            waiting = conn.execute(
                sa.select(sa.func.min(t.c.next_attempt_at)).where(
                    t.c.status.in_(("pending", "retry"))
                )
            ).scalar_one_or_none()
            leased = conn.execute(
                sa.select(sa.func.min(t.c.lease_until)).where(t.c.status == "sending")
            ).scalar_one_or_none()
        # Aggregates bypass the column type, so normalise here.
        found = [
            UTCDateTime().process_result_value(v, self.database.engine.dialect)
            for v in (waiting, leased)
            if v is not None
        ]
        return min(cast(list[datetime], found), default=None)

    def counts(self) -> dict[str, int]:
        t = reminders_table
        with self.database.begin() as conn:
            result = conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))
            found = {status: int(n) for status, n in result}
        return {status: found.get(status, 0) for status in STATUSES}
