"""``compact-calendar new event``: a skeleton appended as text, the rest byte for byte."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from compact_calendar.cli import main
from compact_calendar.commands.new import EventSkeleton, append_event
from compact_calendar.registry.check import check_registry

NOW = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)

SMALL = """\
# The registry of a test calendar.
calendar:
  id: test-cal   # never change
  name: Test calendar
  timezone: Europe/Vienna

tracks:
  gcm: {name: Global Compact for Migration}

events:
  # --- first block ---
  - id: first
    title: First   # trailing comment
    start: 2017-09-04

  - id: second
    title: 'Second'
    start: 2017-09-10
    description: |
      Two lines
      of text.

# A closing comment that belongs to nobody.
"""


def _check(text: str) -> list[str]:
    checked = check_registry(text, filename="events.yaml", env={}, now=NOW)
    assert checked.registry is not None, [d.format() for d in checked.diagnostics]
    return [e.id for e in checked.registry.events]


def _without(new_text: str, original: str) -> list[str]:
    """The lines of ``new_text`` that ``original`` does not have, in order."""
    remaining = original.splitlines()
    added = []
    for line in new_text.splitlines():
        if remaining and line == remaining[0]:
            remaining.pop(0)
        else:
            added.append(line)
    assert remaining == [], f"original lines lost or reordered: {remaining}"
    return added


def _new(path: Path, *options: str) -> int:
    return main(["new", "event", "--registry", str(path), *options])


def _registry(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_appends_after_the_last_event_keeping_every_comment_and_line() -> None:
    skeleton = EventSkeleton(id="third", title="Third: the sequel", start="2017-10-01")
    new_text = append_event(SMALL, skeleton)
    added = _without(new_text, SMALL)
    # Events in this file are separated by blank lines, so the new one is too.
    assert "      of text.\n\n  - id: third\n" in new_text
    assert '    title: "Third: the sequel"' in added
    assert new_text.index("id: third") < new_text.index("# A closing comment")
    assert _check(new_text) == ["first", "second", "third"]


def test_skeleton_fields_reach_the_model() -> None:
    skeleton = EventSkeleton(
        id="third",
        title="Dritte Konsultation # nicht ein Kommentar",
        start="2017-10-01T10:00",
        end="2017-10-01T12:30",
        timezone="AoE",
        status="tentative",
        tracks=("gcm",),
        location="Genève, Suisse",
        url="https://example.org/third",
        deadline="2017-09-15",
        registration_url="https://example.org/register",
    )
    checked = check_registry(append_event(SMALL, skeleton), filename="events.yaml", env={}, now=NOW)
    assert checked.registry is not None, [d.format() for d in checked.diagnostics]
    event = checked.registry.events[-1]
    assert event.title == "Dritte Konsultation # nicht ein Kommentar"
    assert (event.status, event.timezone, event.tracks) == ("tentative", "AoE", ["gcm"])
    assert event.start == datetime(2017, 10, 1, 10, 0)
    assert event.location == "Genève, Suisse"
    deadline = event.deadlines[0]
    assert (deadline.id, deadline.due, deadline.url) == (
        "registration",
        date(2017, 9, 15),
        "https://example.org/register",
    )


@pytest.mark.parametrize(
    ("events_text", "expected_tail"),
    [
        ("events:\n", "events:\n  - id: only\n"),
        ("events: []  # none yet\n", "events:  # none yet\n  - id: only\n"),
        ("events: ~\n", "events:\n  - id: only\n"),
        ("", "\nevents:\n  - id: only\n"),
    ],
    ids=["empty-key", "empty-flow-list-with-comment", "null", "no-events-key"],
)
def test_first_event_of_a_registry_without_events(events_text: str, expected_tail: str) -> None:
    head = "calendar:\n  id: c\n  name: C\n  timezone: UTC\n"
    skeleton = EventSkeleton(id="only", title="Only", start="2018-02", status="tentative")
    new_text = append_event(head + events_text, skeleton)
    assert expected_tail in new_text
    assert _check(new_text) == ["only"]


def test_events_before_other_sections_and_deeper_indentation() -> None:
    text = (
        "events:\n"
        "    -   id: first\n"
        "        title: First\n"
        "        start: 2017-09-04\n"
        "calendar:\n  id: c\n  name: C\n  timezone: UTC\n"
    )
    new_text = append_event(text, EventSkeleton(id="next", title="Next", start="2017-09-05"))
    assert "    -   id: next\n        title: Next\n" in new_text
    assert new_text.endswith("calendar:\n  id: c\n  name: C\n  timezone: UTC\n")
    assert _check(new_text) == ["first", "next"]


def test_windows_line_endings_are_kept() -> None:
    text = SMALL.replace("\n", "\r\n")
    new_text = append_event(text, EventSkeleton(id="third", title="Third", start="2017-10-01"))
    assert "\n" not in new_text.replace("\r\n", "")
    assert _check(new_text) == ["first", "second", "third"]


def test_command_keeps_windows_line_endings_in_the_file(tmp_path: Path) -> None:
    path = _registry(tmp_path, SMALL.replace("\n", "\r\n"))
    code = main(
        [
            "new",
            "event",
            "--registry",
            str(path),
            "--id",
            "third",
            "--title",
            "Third",
            "--start",
            "2017-10-01",
            "--no-hints",
        ]
    )
    assert code == 0
    written = path.read_bytes()
    assert b"\n" not in written.replace(b"\r\n", b"")
    skeleton = EventSkeleton(id="third", title="Third", start="2017-10-01", hints=False)
    assert written == append_event(SMALL.replace("\n", "\r\n"), skeleton).encode()


def test_command_writes_the_seed_registry_and_it_validates(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.yaml"
    shutil.copy(repo_root / "events.yaml", path)
    original = path.read_text(encoding="utf-8")
    code = main(
        [
            "new",
            "event",
            "--registry",
            str(path),
            "--id",
            "gcm-tc7-geneva",
            "--title",
            "Sixth thematic consultation: irregular migration",
            "--start",
            "2017-10-12",
            "--end",
            "2017-10-13",
            "--timezone",
            "Europe/Zurich",
            "--track",
            "gcm",
            "--deadline",
            "2017-09-29",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "added event `gcm-tc7-geneva`" in out
    new_text = path.read_text(encoding="utf-8")
    added = _without(new_text, original)
    assert "  - id: gcm-tc7-geneva" in added
    assert any(line.startswith("    # description:") for line in added)
    assert main(["validate", str(path)]) == 0


def test_existing_id_is_refused_at_its_line_and_the_file_is_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _registry(tmp_path, SMALL)
    code = _new(path, "--id", "second", "--title", "X", "--start", "2017-10-01")
    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}:16:9: error: events[1].id: an event with id `second` already exists" in err
    assert path.read_text(encoding="utf-8") == SMALL


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--track", "gcr"], "gcr"),
        (["--end", "2017-09-30"], "end"),
    ],
    ids=["unknown-track", "end-before-start"],
)
def test_a_result_that_would_not_validate_is_refused_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    path = _registry(tmp_path, SMALL)
    code = _new(path, "--id", "third", "--title", "Third", "--start", "2017-10-01", *options)
    err = capsys.readouterr().err
    assert code == 1
    assert "(with the new event)" in err
    assert message in err
    assert path.read_text(encoding="utf-8") == SMALL
    assert not [p for p in tmp_path.iterdir() if p.name != "events.yaml"]


def test_an_already_invalid_registry_is_reported_not_edited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = SMALL.replace("title: First", "titel: First")
    path = _registry(tmp_path, broken)
    code = _new(path, "--id", "third", "--title", "T", "--start", "2017-10-01")
    assert code == 1
    assert "unknown field `titel`: did you mean `title`?" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == broken


@pytest.mark.parametrize(
    ("option", "value"),
    [("--id", "Not A Slug"), ("--start", "2017-13-01"), ("--timezone", "Mars/Olympus")],
)
def test_bad_option_values_name_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    path = _registry(tmp_path, SMALL)
    args = {"--id": "third", "--title": "T", "--start": "2017-10-01"} | {option: value}
    code = _new(path, *(x for kv in args.items() for x in kv))
    assert code == 2
    assert f"compact-calendar: error: {option} {value}: " in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == SMALL
