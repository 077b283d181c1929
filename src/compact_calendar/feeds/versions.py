"""Entry versions: when each published entry last changed, and how many times.

Clients decide whether an entry was updated from SEQUENCE and DTSTAMP/LAST-MODIFIED, so
these must move only when the entry's content does, and never move at render time. This
module is the pure rule; :mod:`compact_calendar.feeds.store` keeps the versions in the
state database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["EntryVersion", "EntryVersions", "VersionUpdate", "advance", "first_version"]


@dataclass(frozen=True, slots=True)
class EntryVersion:
    digest: str
    """Hash of the entry's content when this version was recorded."""
    sequence: int
    """SEQUENCE: 0 when first published, one more at each change of content."""
    last_modified: datetime
    """DTSTAMP and LAST-MODIFIED: when the content last changed (UTC, whole seconds)."""


EntryVersions = Mapping[str, EntryVersion]
"""Versions by UID."""


def _second(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(microsecond=0)


def first_version(digest: str, now: datetime) -> EntryVersion:
    return EntryVersion(digest, 0, _second(now))


@dataclass(frozen=True, slots=True)
class VersionUpdate:
    versions: dict[str, EntryVersion]
    """Every known version, current entries' ones brought up to date."""
    changed: dict[str, EntryVersion]
    """The new or changed versions, to be saved."""


def advance(previous: EntryVersions, digests: Mapping[str, str], now: datetime) -> VersionUpdate:
    """Versions for entries with content ``digests`` (by UID), given the ``previous`` ones.

    An entry whose content changed gets the next SEQUENCE and ``now`` as its modification
    time (never earlier than its last one, should the clock have gone back); an entry
    that disappears keeps its version, so that if it comes back its SEQUENCE still grows.
    """
    versions = dict(previous)
    changed: dict[str, EntryVersion] = {}
    stamp = _second(now)
    for uid, digest in digests.items():
        known = previous.get(uid)
        if known is None:
            version = EntryVersion(digest, 0, stamp)
        elif known.digest == digest:
            continue
        else:
            modified = max(stamp, known.last_modified + timedelta(seconds=1))
            version = EntryVersion(digest, known.sequence + 1, modified)
        versions[uid] = changed[uid] = version
    return VersionUpdate(versions, changed)
