"""From registry text to a validated :class:`Registry` and every diagnostic, in one pass.

Pure: the text, the file name, the environment (for ``${VAR}``) and ``now`` (for
warnings about the past) come in; nothing is read from disk or the clock.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from compact_calendar.errors import Diagnostic
from compact_calendar.gcpause import cycle_collection_paused
from compact_calendar.registry.model import (
    CalendarInfo,
    Channel,
    Deadline,
    EmailChannel,
    Event,
    Link,
    OccurrenceOverride,
    Registry,
    ReminderSettings,
    Repeat,
    Session,
    Track,
    WebhookChannel,
)
from compact_calendar.registry.rules import run_rules
from compact_calendar.registry.source import Path, SourceMap, format_path, load_yaml
from compact_calendar.registry.values import check_slug, check_zone

__all__ = ["CheckedRegistry", "check_registry"]


@dataclass(slots=True)
class CheckedRegistry:
    """The outcome of checking a registry: the model if it is valid, and every finding."""

    filename: str
    registry: Registry | None
    diagnostics: list[Diagnostic]
    source: SourceMap = field(default_factory=SourceMap)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.registry is not None and not self.errors


_MODEL_BY_FIELD: dict[str, type[BaseModel]] = {
    "calendar": CalendarInfo,
    "tracks": Track,
    "reminders": ReminderSettings,
    "events": Event,
    "deadlines": Deadline,
    "sessions": Session,
    "links": Link,
    "repeat": Repeat,
}


def check_registry(
    text: str, *, filename: str, env: Mapping[str, str], now: datetime
) -> CheckedRegistry:
    # Validation allocates many objects and frees none; collections would find nothing.
    with cycle_collection_paused():
        return _check(text, filename=filename, env=env, now=now)


def _check(text: str, *, filename: str, env: Mapping[str, str], now: datetime) -> CheckedRegistry:
    data, source, problems = load_yaml(text, env=env)
    diagnostics = [p.diagnostic(filename) for p in problems]
    result = CheckedRegistry(filename, None, diagnostics, source)
    if data is None and diagnostics:
        return result
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "null" if data is None else f"`{data}`"
        diagnostics.append(
            Diagnostic(
                "error",
                filename,
                1,
                1,
                "",
                f"the registry must be a mapping with `calendar:` and `events:`, not {kind}",
            )
        )
        return result

    def report(exc: ValidationError, prefix: Path, root: Any) -> None:
        for error in exc.errors(include_url=False):
            diagnostics.append(_diagnostic(error, prefix, root, source, filename))

    registry = _validate_sections(data, report, diagnostics, source, filename)

    events: list[Event] = []
    event_indexes: list[int] = []
    events_data = data.get("events")
    if events_data is not None and not isinstance(events_data, list):
        pos = source.locate(("events",))
        diagnostics.append(
            Diagnostic(
                "error",
                filename,
                pos.line,
                pos.column,
                "events",
                "`events` must be a list: start each event with `- id: ...`",
            )
        )
    elif events_data:
        for index, event_data in enumerate(events_data):
            try:
                events.append(Event.model_validate(event_data))
                event_indexes.append(index)
            except ValidationError as exc:
                report(exc, ("events", index), event_data)

    registry = registry.model_copy(update={"events": events})
    diagnostics.extend(run_rules(registry, event_indexes, source, filename, now))
    # A value already reported while loading (an unset ${VAR}, a tag) is not reported
    # again for what the loader had to put in its place.
    loading = {format_path(p.path) for p in problems}
    diagnostics[len(problems) :] = [
        d for d in diagnostics[len(problems) :] if d.where not in loading
    ]
    diagnostics.sort(key=lambda d: d.sort_key)
    result.registry = None if result.errors else registry
    return result


def _validate_sections(
    data: dict[str, Any],
    report: Callable[[ValidationError, Path, Any], None],
    diagnostics: list[Diagnostic],
    source: SourceMap,
    filename: str,
) -> Registry:
    """Validate each top-level section on its own, so that one bad section does not hide
    the errors of the others; a failed part is replaced by a stand-in that keeps its name
    known, so references to it are not reported twice."""
    for key in data:
        if key not in Registry.model_fields:
            allowed = sorted(Registry.model_fields)
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else "allowed: " + ", ".join(allowed)
            pos = source.locate((key,), key=True)
            diagnostics.append(
                Diagnostic(
                    "error", filename, pos.line, pos.column, key, f"unknown field `{key}`: {hint}"
                )
            )
    calendar = _STAND_IN_CALENDAR
    if "calendar" not in data:
        diagnostics.append(
            Diagnostic(
                "error",
                filename,
                1,
                1,
                "calendar",
                "missing required field `calendar` (with `id`, `name` and `timezone`): add it",
            )
        )
    else:
        try:
            calendar = CalendarInfo.model_validate(data["calendar"])
        except ValidationError as exc:
            report(exc, ("calendar",), data["calendar"])
            raw = data["calendar"]
            with contextlib.suppress(ValueError):
                zone_name = check_zone(raw.get("timezone") if isinstance(raw, dict) else None)
                calendar = calendar.model_copy(update={"timezone": zone_name})

    def bad_name(path: Path, message: str, *, key: bool = True) -> None:
        pos = source.locate(path, key=key)
        diagnostics.append(
            Diagnostic("error", filename, pos.line, pos.column, format_path(path), message)
        )

    tracks = _validate_named(data, "tracks", Track, report, bad_name)
    channels = _validate_named(data, "channels", _CHANNEL, report, bad_name)
    reminders = ReminderSettings()
    if data.get("reminders") is not None:
        try:
            reminders = ReminderSettings.model_validate(data["reminders"])
        except ValidationError as exc:
            report(exc, ("reminders",), data["reminders"])
    return Registry.model_construct(
        calendar=calendar, tracks=tracks, channels=channels, reminders=reminders, events=[]
    )


_STAND_IN_CALENDAR = CalendarInfo.model_construct(
    id="calendar", name="calendar", description=None, timezone="UTC", url=None
)
_CHANNEL: TypeAdapter[Channel] = TypeAdapter(Channel)


def _validate_named(
    data: dict[str, Any],
    section: str,
    model: type[BaseModel] | TypeAdapter[Any],
    report: Callable[[ValidationError, Path, Any], None],
    bad_name: Callable[..., None],
) -> dict[str, Any]:
    raw = data.get(section)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        bad_name(
            (section,),
            f"`{section}` must be a mapping of names to entries (`name: {{...}}` lines), "
            f"not `{raw}`",
            key=False,
        )
        return {}
    valid: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            check_slug(name)
        except ValueError as exc:
            report(
                ValidationError.from_exception_data(
                    "slug",
                    [{"type": "value_error", "loc": (), "input": name, "ctx": {"error": exc}}],
                ),
                (section, name),
                {},
            )
        try:
            if isinstance(model, TypeAdapter):
                valid[name] = model.validate_python(value)
            else:
                valid[name] = model.model_validate(value)
        except ValidationError as exc:
            report(exc, (section, name), value)
            valid[name] = None
    return valid


def _resolve(loc: tuple[int | str, ...], root: Any) -> tuple[Path, Any, Any]:
    """Map pydantic's ``loc`` onto the data, dropping union tags and model names."""
    path: list[str | int] = []
    value, parent = root, None
    for part in loc:
        found, child = _child(value, part)
        if found:
            parent, value = value, child
            path.append(part)
        elif isinstance(value, dict) and isinstance(part, str) and part not in _TAG_PARTS:
            # A missing or unknown field below this mapping.
            path.append(part)
            parent, value = value, None
            break
    return tuple(path), parent, value


def _child(value: Any, part: int | str) -> tuple[bool, Any]:
    if isinstance(value, dict) and part in value:
        return True, value[part]
    if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
        return True, value[part]
    return False, None


# pydantic puts a discriminated union's tag in ``loc`` (``channels.x.email.to``).
_TAG_PARTS = frozenset(
    tag
    for model in (EmailChannel, WebhookChannel)
    for tag in get_args(model.model_fields["type"].annotation)
)


def _diagnostic(
    error: Any, prefix: Path, root: Any, source: SourceMap, filename: str
) -> Diagnostic:
    kind: str = error["type"]
    rel, parent, _ = _resolve(tuple(error["loc"]), root)
    path = (*prefix, *rel)
    key = kind == "extra_forbidden"
    position = source.locate(path[:-1]) if kind == "missing" else source.locate(path, key=key)
    message = _message(error, path, parent)
    return Diagnostic("error", filename, position.line, position.column, format_path(path), message)


def _message(error: Any, path: Path, parent: Any) -> str:
    kind: str = error["type"]
    name = path[-1] if path else ""
    given = error.get("input")
    if kind == "missing":
        return f"missing required field `{name}`: add it"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(path[:-1], parent)
        close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else "allowed here: " + ", ".join(allowed)
        return f"unknown field `{name}`: {hint}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        return f"`{given}` is not allowed here: use {expected.replace(' or ', ' or ')}"
    if kind == "union_tag_invalid":
        kind_given = given.get("type") if isinstance(given, dict) else given
        return f"unknown channel type `{kind_given}`: use `email` or `webhook`"
    if kind == "union_tag_not_found":
        return "missing `type:`: write `type: email` or `type: webhook`"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list (`[a, b]` or one `- item` per line), not `{given}`"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of `field: value` lines, not `{given}`"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, not `{given}`"
    if kind == "too_short":
        return "needs at least one entry"
    if kind == "greater_than_equal":
        return f"must be at least {error.get('ctx', {}).get('ge')}, not `{given}`"
    return str(error["msg"])


def _allowed_fields(path: Path, parent: Any) -> list[str]:
    """The fields allowed in the mapping at ``path``, for "did you mean" hints."""
    model: type[BaseModel] = Registry
    if len(path) == 2 and path[0] == "channels":
        kind = parent.get("type") if isinstance(parent, dict) else None
        model = WebhookChannel if kind == "webhook" else EmailChannel
    elif len(path) == 2 and path[0] == "tracks":
        model = Track
    elif len(path) >= 2 and path[-2] == "overrides":
        model = OccurrenceOverride
    elif path:
        last = next(p for p in reversed(path) if isinstance(p, str))
        model = _MODEL_BY_FIELD.get(last, Registry)
    return sorted(info.alias or name for name, info in model.model_fields.items())
