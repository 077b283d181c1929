"""``compact-calendar new event``: append a skeleton event to the registry.

The file is edited as text, not re-dumped: the new event is inserted after the last one,
indented like it, so every comment, blank line and quoting choice of the staff's file
stays byte for byte. The result is checked before anything is written; a registry that
would not validate, or an id already in use, leaves the file untouched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from compact_calendar.config import Settings
from compact_calendar.errors import Diagnostic, RegistryInvalid, UsageError
from compact_calendar.registry.check import check_registry
from compact_calendar.registry.model import Status
from compact_calendar.registry.source import LOADER
from compact_calendar.registry.values import (
    check_slug,
    check_url,
    check_zone,
    parse_when,
)
from compact_calendar.registry_file import read_registry

__all__ = ["EventSkeleton", "add_arguments", "append_event", "last_content_end", "run"]


@dataclass(frozen=True, slots=True)
class EventSkeleton:
    """What the command line said about the new event; values are as the user wrote them."""

    id: str
    title: str
    start: str
    end: str | None = None
    timezone: str | None = None
    status: Status | None = None
    tracks: Sequence[str] = field(default_factory=tuple)
    location: str | None = None
    url: str | None = None
    deadline: str | None = None
    registration_url: str | None = None
    hints: bool = True

    def lines(self) -> list[str]:
        """The event as YAML lines relative to its own indentation (first line ``id:``)."""
        out = [f"id: {self.id}", f"title: {_text(self.title)}"]
        if self.tracks:
            out.append(f"tracks: [{', '.join(self.tracks)}]")
        if self.status:
            out.append(f"status: {self.status}")
        out.append(f"start: {self.start}")
        if self.end:
            out.append(f"end: {self.end}")
        for name in ("timezone", "location", "url"):
            value = getattr(self, name)
            if value:
                out.append(f"{name}: {_text(value)}")
        if self.deadline:
            out += [
                "deadlines:",
                "  - id: registration",
                "    title: Registration closes",
                f"    due: {self.deadline}",
            ]
            if self.registration_url:
                out.append(f"    url: {_text(self.registration_url)}")
        elif self.hints:
            out += [
                "# deadlines:",
                "#   - id: registration",
                "#     title: Registration closes",
                "#     due: YYYY-MM-DD",
                "#     url: https://...",
            ]
        if self.hints:
            out += ["# description: |", "#   What it is about, for subscribers."]
        return out


def _text(value: str) -> str:
    """``value`` as a YAML scalar: plain when YAML reads it back unchanged, else quoted."""
    plain_ok = "\n" not in value and value == value.strip() and ": " not in value
    if plain_ok:
        try:
            plain_ok = yaml.safe_load(value) == value and " #" not in value
        except yaml.YAMLError:
            plain_ok = False
    if plain_ok:
        return value
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_style='"')
    return dumped.removesuffix("\n...\n").rstrip("\n")


def _check_arguments(skeleton: EventSkeleton) -> None:
    """Refuse bad values up front, naming the option, rather than as errors at a line the
    user never saw."""
    checks: list[tuple[str, str | None, Callable[[Any], Any]]] = [
        ("--id", skeleton.id, check_slug),
        ("--start", skeleton.start, parse_when),
        ("--end", skeleton.end, parse_when),
        ("--timezone", skeleton.timezone, check_zone),
        ("--url", skeleton.url, check_url),
        ("--deadline", skeleton.deadline, parse_when),
        ("--registration-url", skeleton.registration_url, check_url),
        *(("--track", track, check_slug) for track in skeleton.tracks),
    ]
    for option, value, check in checks:
        if value is None:
            continue
        try:
            check(value)
        except ValueError as exc:
            raise UsageError(f"{option} {value}: {exc}") from None
    if skeleton.registration_url and not skeleton.deadline:
        raise UsageError("--registration-url needs --deadline DATE: the date registration closes")


def last_content_end(node: yaml.Node) -> int:
    """Where the last value written inside ``node`` ends (an index into the text)."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return last_content_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return last_content_end(node.value[-1])
    return int(node.end_mark.index)


def _line_end(text: str, index: int) -> int:
    """The index just past the newline of the line holding the last non-blank character
    before ``index``."""
    last = index - 1
    while last >= 0 and text[last] in " \t\r\n":
        last -= 1
    newline = text.find("\n", max(last, 0))
    return len(text) if newline < 0 else newline + 1


def _indent(lines: list[str], dash_column: int, content_column: int, newline: str) -> str:
    first = " " * dash_column + "-" + " " * (content_column - dash_column - 1) + lines[0]
    rest = [" " * content_column + line for line in lines[1:]]
    return newline.join([first, *rest]) + newline


def append_event(text: str, skeleton: EventSkeleton) -> str:
    """``text`` with the skeleton appended to its ``events:`` list; everything else as it was.

    ``text`` must be a registry that parses; the caller validates the result.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    root = yaml.compose(text, Loader=LOADER)
    if not isinstance(root, yaml.MappingNode):
        raise UsageError("the registry is not a mapping with `calendar:` and `events:`")
    events_key: yaml.Node | None = None
    events: yaml.Node | None = None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "events":
            events_key, events = key, value
    lines = skeleton.lines()

    if events is None or events_key is None:
        body = text if not text or text.endswith("\n") else text + newline
        return body + newline + "events:" + newline + _indent(lines, 2, 4, newline)

    if isinstance(events, yaml.SequenceNode) and events.value and not events.flow_style:
        last = events.value[-1]
        line_start = text.rfind("\n", 0, last.start_mark.index) + 1
        dash = text.rfind("-", line_start, last.start_mark.index)
        dash_column = dash - line_start if dash >= 0 else max(last.start_mark.column - 2, 0)
        at = _line_end(text, last_content_end(last))
        previous_line_end = text.rfind("\n", 0, max(line_start - 1, 0))
        before_last = text[previous_line_end + 1 : line_start].strip()
        separator = newline if line_start > 0 and before_last == "" else ""
        head = text[:at] if text[:at].endswith("\n") else text[:at] + newline
        block = _indent(lines, dash_column, last.start_mark.column, newline)
        return head + separator + block + text[at:]

    if isinstance(events, yaml.SequenceNode) and events.value:
        raise UsageError(
            "`events:` is written as a flow list `[...]`: write one `- id: ...` block per "
            "event, then run `new` again"
        )
    if isinstance(events, yaml.ScalarNode) and events.value not in ("", "~", "null", "Null"):
        raise UsageError("`events:` must be a list of events: fix it, then run `new` again")
    # `events:` with nothing, `events: ~` or `events: []`: drop the empty value and write
    # the block below the key, keeping any comment on the key's line.
    start, end = events.start_mark.index, events.end_mark.index
    edited = text if start == end else text[:start].rstrip(" ") + text[end:]
    key_end = text.find("\n", events_key.end_mark.index)
    at = len(edited) if key_end < 0 else edited.find("\n", events_key.end_mark.index) + 1
    head = edited[:at] if edited[:at].endswith("\n") else edited[:at] + newline
    column = events_key.start_mark.column
    return head + _indent(lines, column + 2, column + 4, newline) + edited[at:]


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` so that a crash never leaves half a registry (the server may be
    watching it)."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_event(
    path: Path, skeleton: EventSkeleton, *, env: Mapping[str, str], now: datetime
) -> tuple[str, int]:
    """Append ``skeleton`` to the registry at ``path``: (the new text, its first line).

    Raises :class:`RegistryInvalid` when the file already has errors, the id is taken, or
    the result would not validate; the file is then left as it was.
    """
    _check_arguments(skeleton)
    checked = read_registry(path, now=now, env=env)
    if checked.registry is None or checked.errors:
        raise RegistryInvalid(checked.diagnostics)
    for index, event in enumerate(checked.registry.events):
        if event.id == skeleton.id:
            pos = checked.source.locate(("events", index, "id"))
            raise RegistryInvalid(
                [
                    Diagnostic(
                        "error",
                        str(path),
                        pos.line,
                        pos.column,
                        f"events[{index}].id",
                        f"an event with id `{skeleton.id}` already exists here: "
                        "choose another --id (ids never change once published)",
                    )
                ]
            )
    # Bytes decoded as they are: read_text would turn CRLF into LF for the whole file.
    text = path.read_bytes().decode("utf-8-sig")
    new_text = append_event(text, skeleton)
    result = check_registry(new_text, filename=f"{path} (with the new event)", env=env, now=now)
    if result.registry is None or result.errors:
        raise RegistryInvalid(result.diagnostics)
    index = next(i for i, e in enumerate(result.registry.events) if e.id == skeleton.id)
    line = result.source.locate(("events", index)).line
    _write_atomically(path, new_text)
    return new_text, line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=["event"], help="what to add (event)")
    parser.add_argument("--id", required=True, help="unique slug, e.g. gcm-tc6-geneva")
    parser.add_argument("--title", required=True, help="the title members see")
    parser.add_argument("--start", required=True, help="2017-09-04, 2017-09-04T10:00 or 2018-02")
    parser.add_argument("--end", help="last day (inclusive) or end date-time")
    parser.add_argument("--timezone", help="IANA zone, e.g. Europe/Vienna (default: calendar's)")
    parser.add_argument(
        "--status", choices=["confirmed", "tentative", "cancelled"], help="default: confirmed"
    )
    parser.add_argument(
        "--track", action="append", default=[], help="a track id (repeat for several)"
    )
    parser.add_argument("--location", help="e.g. 'Vienna, Austria'")
    parser.add_argument("--url", help="the event's web page")
    parser.add_argument("--deadline", help="registration closes on this date (or date-time)")
    parser.add_argument("--registration-url", help="where to register (needs --deadline)")
    parser.add_argument(
        "--no-hints", action="store_true", help="leave out the commented-out field hints"
    )


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(registry=args.registry)
    skeleton = EventSkeleton(
        id=args.id,
        title=args.title,
        start=args.start,
        end=args.end,
        timezone=args.timezone,
        status=args.status,
        tracks=tuple(args.track),
        location=args.location,
        url=args.url,
        deadline=args.deadline,
        registration_url=args.registration_url,
        hints=not args.no_hints,
    )
    path = Path(settings.registry)
    _, line = add_event(path, skeleton, env=os.environ, now=datetime.now(UTC))
    print(
        f"{path}:{line}: added event `{skeleton.id}`; "
        "fill in the details, then run `compact-calendar validate`",
        file=sys.stdout,
    )
    return 0
