"""``compact-calendar reminders``: what will be sent, what was, and what failed.

Lists the reminders the registry plans merged with the ledger's record of each (status,
attempts, last error); reminders not yet recorded show as ``pending``. ``--requeue``
puts dead or expired reminders back in the queue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from compact_calendar.channels.factory import ChannelSet
from compact_calendar.channels.preview import render_preview
from compact_calendar.channels.webhook import utc_iso
from compact_calendar.config import Settings
from compact_calendar.errors import ChannelError, UsageError
from compact_calendar.registry.model import Registry
from compact_calendar.registry.values import MonthDate, parse_when, zone
from compact_calendar.registry_file import load_registry
from compact_calendar.reminders.ledger import STATUSES, Ledger, LedgerRow
from compact_calendar.reminders.planning import plan
from compact_calendar.reminders.service import preview_delivery
from compact_calendar.state.database import Database


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="since",
        metavar="T",
        help="only those due at or after T (a date or date-time; UTC unless it has an offset)",
    )
    parser.add_argument("--until", metavar="T", help="only those due at or before T")
    parser.add_argument(
        "--status",
        metavar="S",
        action="append",
        help=f"only these statuses ({', '.join(STATUSES)}); repeat or comma-separate",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--preview",
        metavar="KEY",
        help="print exactly what would be sent for reminder KEY, through its channel",
    )
    parser.add_argument(
        "--requeue",
        metavar="KEY",
        action="append",
        help="send a dead or expired reminder again (repeatable); `dead` re-queues every dead one",
    )


def _instant(text: str | None, *, end: bool) -> datetime | None:
    if text is None:
        return None
    try:
        value = parse_when(text)
    except ValueError as exc:
        raise UsageError(f"--from/--until: {exc}") from None
    if isinstance(value, MonthDate):
        value = value.last_day if end else value.first_day
    if not isinstance(value, datetime):
        assert isinstance(value, date)
        day = value + timedelta(days=1) if end else value
        moment = datetime.combine(day, datetime.min.time(), UTC)
        return moment - timedelta(microseconds=1) if end else moment
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _statuses(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    wanted = [s.strip() for v in values for s in v.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown:
        raise UsageError(f"--status {', '.join(unknown)}: use one of {', '.join(STATUSES)}")
    return wanted


def _as_json(row: LedgerRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "kind": row.kind,
        "item": row.item_key,
        "title": row.title,
        "channel": row.channel,
        "offset": row.offset.key if row.offset else None,
        "due_utc": utc_iso(row.due),
        "due_local": row.due.astimezone(zone(row.zone)).isoformat(),
        "zone": row.zone,
        "status": row.status,
        "attempts": row.attempts,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "late": row.late,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def _table(lines: list[LedgerRow]) -> str:
    header = ("WHEN (UTC)", "WHEN (LOCAL)", "STATUS", "TRIES", "CHANNEL", "WHAT", "LAST ERROR")
    rows = [header]
    for line in lines:
        local = line.due.astimezone(zone(line.zone))
        what = (
            f"{line.offset} before {line.title}"
            if line.kind == "reminder"
            else f"{line.kind} notice: {line.title}"
        )
        error = (line.last_error or "").replace("\n", " ")
        rows.append(
            (
                line.due.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
                f"{local:%Y-%m-%d %H:%M} {line.zone}",
                line.status + (" (late)" if line.late else ""),
                str(line.attempts),
                line.channel,
                what,
                error[:80] + ("..." if len(error) > 80 else ""),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    return "\n".join(
        ("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + "  " + r[-1]).rstrip()
        for r in rows
    )


async def _preview(
    registry: Registry, key: str, ledger: Ledger, now: datetime, settings: Settings
) -> str:
    delivery = preview_delivery(registry, key, ledger=ledger, now=now, settings=settings)
    channel_name = key.rsplit("|", 1)[-1]
    channels = ChannelSet(settings)
    try:
        problems = await channels.update(registry)
        if channel_name in problems:
            raise ChannelError(problems[channel_name])
        channel = channels.get(channel_name)
        if channel is None:
            raise UsageError(f"reminder `{key}` names channel `{channel_name}`, which is gone")
        return await render_preview(channel, delivery)
    finally:
        await channels.aclose()


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(registry=args.registry)
    now = datetime.now(UTC)
    registry, _checked = load_registry(settings.registry, now=now)
    since, until = _instant(args.since, end=False), _instant(args.until, end=True)
    statuses = _statuses(args.status)
    database = Database(settings.database_url)
    try:
        database.migrate()
        ledger = Ledger(database)
        if args.preview:
            print(asyncio.run(_preview(registry, args.preview, ledger, now, settings)))
            return 0
        if args.requeue:
            keys = None if args.requeue == ["dead"] else args.requeue
            done = ledger.requeue(now, keys=keys)
            missing = sorted(set(keys or []) - set(done))
            for key in done:
                print(f"re-queued {key}")
            if missing:
                raise UsageError(
                    "not dead or expired (or unknown): "
                    + ", ".join(missing)
                    + "; see `compact-calendar reminders --status dead`"
                )
            print(f"{len(done)} reminder(s) re-queued; a running worker or serve sends them")
            return 0
        lines = {row.key: row for row in ledger.rows()}
    finally:
        database.dispose()
    # Reminders planned but not recorded yet show as they will enter the ledger: pending.
    for reminder in plan(registry, now, horizon=settings.planning_horizon).reminders:
        lines.setdefault(reminder.key, LedgerRow.planned(reminder))
    selected = sorted(
        (
            line
            for line in lines.values()
            if (since is None or line.due >= since)
            and (until is None or line.due <= until)
            and (statuses is None or line.status in statuses)
        ),
        key=lambda line: (line.due, line.key),
    )
    if args.json:
        json.dump([_as_json(line) for line in selected], sys.stdout, indent=2, ensure_ascii=False)
        print()
    elif selected:
        print(_table(selected))
    else:
        print("no reminders match", file=sys.stderr)
    return 0
