"""Same registry and state, same bytes; an edit changes only its entries, SEQUENCE up, UID kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import icalendar
import pytest

from compact_calendar.feeds.render import SiteRenderer, publish
from compact_calendar.feeds.site import Site
from compact_calendar.feeds.store import EntryVersionStore, feed_entries
from compact_calendar.feeds.versions import EntryVersions, advance
from compact_calendar.registry.model import Registry
from compact_calendar.state.database import Database
from tests.feeds.conftest import NOW, digests_of, first_versions, load, render

LATER = NOW + timedelta(days=3)


def _edit_title(registry: Registry, event_id: str, title: str) -> Registry:
    events = [
        e.model_copy(update={"title": title}) if e.id == event_id else e for e in registry.events
    ]
    return registry.model_copy(update={"events": events})


def _vevents(body: bytes) -> dict[str, Any]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_rendering_twice_gives_the_same_bytes() -> None:
    registry = load("zones")
    versions = first_versions(registry)
    first = render(registry, versions)
    second = render(load("zones"), versions)  # fresh parse, fresh renderer
    assert {p: r.body for p, r in first.resources.items()} == {
        p: r.body for p, r in second.resources.items()
    }
    assert first.get("calendar.ics") is not None


def test_render_time_does_not_leak_into_feeds() -> None:
    registry = load("zones")
    versions = first_versions(registry)
    a, b = render(registry, versions, now=NOW), render(registry, versions, now=LATER)
    for path, resource in a.resources.items():
        if path.endswith(".ics"):
            assert resource.body == b.resources[path].body, path


def test_reordering_the_events_changes_no_feed() -> None:
    registry = load("zones")
    versions = first_versions(registry)
    reordered = registry.model_copy(update={"events": list(reversed(registry.events))})
    a, b = render(registry, versions), render(reordered, versions)
    assert all(
        a.resources[p].body == b.resources[p].body for p in a.resources if p.endswith(".ics")
    )


def test_editing_one_event_changes_only_its_entries_and_raises_their_sequence() -> None:
    registry = load("zones")
    versions = first_versions(registry)
    edited = _edit_title(registry, "kathmandu-forum", "Kathmandu forum (new title)")
    digests = digests_of(edited)
    update = advance(versions, digests, LATER)
    assert set(update.changed) == {
        "kathmandu-forum@zones-test",
        "kathmandu-forum.deadline.registration@zones-test",
        "kathmandu-forum.deadline.statements@zones-test",
    }
    before, after = render(registry, versions), render(edited, update.versions)
    old, new = (
        _vevents(before.resources["calendar.ics"].body),
        _vevents(after.resources["calendar.ics"].body),
    )
    assert set(old) == set(new)
    for uid in old:
        if uid in update.changed:
            assert new[uid]["SEQUENCE"] == old[uid]["SEQUENCE"] + 1
            assert new[uid]["DTSTAMP"].dt == LATER.replace(microsecond=0)
            assert new[uid]["LAST-MODIFIED"].dt == LATER.replace(microsecond=0)
        else:
            assert new[uid].to_ical() == old[uid].to_ical(), uid
    for path, resource in before.resources.items():
        if path.startswith("events/") and path != "events/kathmandu-forum.ics":
            assert after.resources[path].body == resource.body, path


def test_a_clock_gone_back_never_makes_a_change_look_older() -> None:
    first = advance({}, {"u": "a"}, NOW)
    second = advance(first.versions, {"u": "b"}, NOW - timedelta(hours=1))
    assert second.versions["u"].sequence == 1
    assert second.versions["u"].last_modified == NOW + timedelta(seconds=1)


def test_an_entry_that_comes_back_keeps_counting() -> None:
    first = advance({}, {"u": "a"}, NOW)
    gone = advance(first.versions, {}, LATER)
    back = advance(gone.versions, {"u": "b"}, LATER)
    assert back.versions["u"].sequence == 1


class _Edit(NamedTuple):
    edited: Registry
    versions: EntryVersions
    digests: dict[str, str]
    before: Site
    after: Site


def _render_before_and_after_an_edit() -> _Edit:
    """The "zones" registry rendered, then re-rendered by the same renderer after one
    event's title changed."""
    registry = load("zones")
    renderer = SiteRenderer()
    versions = first_versions(registry)
    before = render(registry, versions, renderer=renderer)
    edited = _edit_title(registry, "geneva-week", "Geneva week (moved room)")
    digests = digests_of(edited, renderer.catalog)
    after = render(edited, advance(versions, digests, LATER).versions, renderer=renderer)
    return _Edit(edited, versions, digests, before, after)


def test_rerender_after_a_one_event_edit_reuses_everything_else() -> None:
    before, after = _render_before_and_after_an_edit()[3:]
    assert (
        after.resources["events/kathmandu-forum.ics"]
        is before.resources["events/kathmandu-forum.ics"]
    )
    assert (
        after.resources["events/geneva-week.ics"] is not before.resources["events/geneva-week.ics"]
    )


def _exercise_store(db: Database) -> None:
    db.migrate()
    registry = load("zones")
    store = EntryVersionStore(db)
    first = store.sync(registry, NOW)
    assert store.sync(registry, LATER) == first  # nothing changed: nothing moves
    edited = _edit_title(registry, "point-in-time", "Launch (renamed)")
    second = EntryVersionStore(db).sync(edited, LATER)  # another process, same database
    uid = "point-in-time@zones-test"
    assert second[uid].sequence == first[uid].sequence + 1
    assert second[uid].last_modified == LATER.replace(microsecond=0)
    assert second["geneva-week@zones-test"] == first["geneva-week@zones-test"]
    # The first store kept what it read: it must still see the other process's change,
    # and must not record the same edit again at a later time.
    assert store.load() == second
    assert store.sync(edited, LATER + timedelta(hours=1)) == second
    assert store.load() is store.load()  # unchanged table: the rows are not read again
    site = publish(edited, db, public_url=None, now=LATER, renderer=SiteRenderer())
    event = _vevents(site.resources["events/point-in-time.ics"].body)[uid]
    assert event["SEQUENCE"] == 1


def test_versions_persist_in_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    try:
        _exercise_store(db)
    finally:
        db.dispose()


def test_a_store_notices_its_table_was_emptied_and_written_again(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    try:
        db.migrate()
        registry = load("zones")
        store = EntryVersionStore(db)
        first = store.sync(registry, NOW)
        with db.begin() as connection:
            connection.execute(feed_entries.delete())
        # Same rows, same SEQUENCEs, other times: only the times tell them apart.
        again = EntryVersionStore(db).sync(registry, LATER)
        assert again != first
        assert store.load() == again
    finally:
        db.dispose()


@pytest.mark.postgres
def test_versions_persist_in_postgresql(pg_schema_url: str) -> None:
    db = Database(pg_schema_url)
    try:
        _exercise_store(db)
    finally:
        db.dispose()


def test_stamps_are_utc_whole_seconds() -> None:
    body = render(load("events")).resources["calendar.ics"].body.decode()
    assert re.findall(r"DTSTAMP:(\d{8}T\d{6}Z)", body)
    assert not re.search(r"DTSTAMP:[^\r]*[^Z]\r", body)
    assert datetime(2017, 5, 1, 12, tzinfo=UTC).strftime("%Y%m%dT%H%M%SZ") in body


def test_after_an_edit_feeds_without_the_event_are_reused_as_they_are() -> None:
    edited, versions, digests, before, after = _render_before_and_after_an_edit()
    # geneva-week is in no track: the track feeds are the very same objects.
    for path in ("tracks/dst.ics", "tracks/odd.ics"):
        assert after.resources[path] is before.resources[path], path
    assert after.resources["calendar.ics"].body != before.resources["calendar.ics"].body
    assert b"Geneva week (moved room)" in after.resources["calendar.ics"].body
    # And a fresh renderer makes the same bytes the reusing one did.
    fresh = render(edited, advance(versions, digests, LATER).versions)
    assert {p: r.body for p, r in fresh.resources.items() if p.endswith(".ics")} == {
        p: r.body for p, r in after.resources.items() if p.endswith(".ics")
    }
