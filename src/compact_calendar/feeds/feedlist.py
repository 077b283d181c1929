"""The subscribable feeds of a registry: everything, deadlines, one per track."""

from __future__ import annotations

from dataclasses import dataclass

from compact_calendar.feeds.entries import EntryContent
from compact_calendar.registry.model import Registry

__all__ = ["FeedInfo", "feeds_of"]


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """A subscribable feed, as the page offers it."""

    path: str
    title: str
    """What the page calls it: "Everything", "Deadlines", a track's name."""
    name: str
    """The calendar name subscribers see (X-WR-CALNAME)."""
    description: str | None
    kind: str
    """``all``, ``deadlines`` or ``track``."""
    track: str | None = None

    def selects(self, content: EntryContent) -> bool:
        if self.kind == "deadlines":
            return content.item.kind == "deadline"
        if self.kind == "track":
            return self.track in content.item.tracks
        return True


def feeds_of(registry: Registry) -> list[FeedInfo]:
    calendar = registry.calendar
    feeds = [
        FeedInfo("calendar.ics", "Everything", calendar.name, calendar.description, "all", None),
        FeedInfo(
            "deadlines.ics",
            "Deadlines only",
            f"{calendar.name} - deadlines",
            f"Registration and submission deadlines. {calendar.description or ''}".strip(),
            "deadlines",
        ),
    ]
    for key, track in registry.tracks.items():
        feeds.append(
            FeedInfo(
                f"tracks/{key}.ics",
                track.name,
                f"{calendar.name} - {track.name}",
                track.description or calendar.description,
                "track",
                key,
            )
        )
    return feeds
