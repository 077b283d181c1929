"""What is published for one registry version: every path with its bytes.

The server serves a :class:`Site` as it is and ``export`` writes it to a directory, so
both publish the same bytes at the same paths.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["CALENDAR_CONTENT_TYPE", "Resource", "Site"]

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Resource:
    """One published file."""

    path: str
    """Relative to the site root, without a leading slash: ``calendar.ics``, ``index.html``."""
    body: bytes
    content_type: str
    last_modified: datetime
    """When this file's content last changed (UTC): the newest of its entries' changes."""
    etag: str = field(init=False)
    """A strong ETag (quoted) derived from the bytes."""

    def __post_init__(self) -> None:
        digest = hashlib.blake2b(self.body, digest_size=16).hexdigest()
        object.__setattr__(self, "etag", f'"{digest}"')


@dataclass(frozen=True, slots=True)
class Site:
    """Every file of one registry version, by path."""

    resources: Mapping[str, Resource]
    generated_at: datetime

    def get(self, path: str) -> Resource | None:
        return self.resources.get(path)
