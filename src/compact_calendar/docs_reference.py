"""The registry reference (``docs/reference.md``), generated from the model.

Every field of every model, with its type, default and description, comes from the
pydantic models; every example is cut, as written, from a registry that uses every field
(``docs/examples/every-field.yaml``, which the tests validate). A field without an example
is an error, so a new field cannot reach the reference undocumented.

    python -m compact_calendar.docs_reference           # rewrite docs/reference.md
    python -m compact_calendar.docs_reference --check   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, PlainValidator, WithJsonSchema
from pydantic.fields import FieldInfo

from compact_calendar.commands.new import last_content_end
from compact_calendar.registry.model import Registry
from compact_calendar.registry.source import LOADER

__all__ = ["EXAMPLE_PATH", "REFERENCE_PATH", "render_reference"]

EXAMPLE_PATH = Path("docs/examples/every-field.yaml")
REFERENCE_PATH = Path("docs/reference.md")

_MAX_EXAMPLE_LINES = 10

# The value types of values.py, by their validator, in the words staff use.
_VALUE_TYPES: dict[str, str] = {
    "check_slug": "slug",
    "check_text": "text",
    "check_url": "URL",
    "check_email": "email address",
    "parse_when": "date, date-time or month",
    "parse_offset": "offset",
    "parse_time_of_day": "time of day",
    "check_zone": "time zone",
}
_VALUE_TYPE_NOTES: dict[str, str] = {
    "slug": "Lower-case letters, digits and hyphens, starting and ending with a letter or "
    "digit, at most 64 characters.",
    "text": 'Any text; quote it (`"..."`) when it contains `: ` or starts with a special '
    "character. Use `|` for several lines.",
    "URL": "A full `http://` or `https://` address, or a `${VAR}` read from the environment.",
    "email address": "One address, like `secretariat@example.org`.",
    "time of day": '24-hour `HH:MM`; quote it (`"09:00"`).',
}

Pattern = tuple[str, ...]
"""Field names, with ``[]`` for every item of a list and ``{}`` for every value of a mapping."""
_KEY_NAMES = {"overrides": "<date>"}


@dataclass
class _Section:
    model: type[BaseModel]
    patterns: list[Pattern] = field(default_factory=list)


def _words(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return spaced[0] + spaced[1:].lower()


def _anchor(model: type[BaseModel]) -> str:
    return _words(model.__name__).lower().replace(" ", "-")


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under ``Annotated`` and the metadata it carried."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return base, metadata
    return annotation, []


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _without_none(annotation: Any) -> Any:
    if _is_union(annotation):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
        return Union[tuple(rest)]  # noqa: UP007 - rebuilt from parts at run time
    return annotation


def _models_in(annotation: Any) -> Iterator[tuple[type[BaseModel], tuple[str, ...]]]:
    """Every model reachable in ``annotation``, with the wildcard steps to reach it."""
    base, _ = _unwrap(_without_none(annotation))
    if isinstance(base, type) and issubclass(base, BaseModel):
        yield base, ()
    elif _is_union(base):
        for option in get_args(base):
            yield from _models_in(option)
    elif get_origin(base) in (list, dict):
        each = "[]" if get_origin(base) is list else "{}"
        yield from ((m, (each, *steps)) for m, steps in _models_in(get_args(base)[-1]))


def _sections() -> list[_Section]:
    """The models in the order a reader meets them, each with where it appears."""
    sections: dict[type[BaseModel], _Section] = {}
    queue: list[tuple[type[BaseModel], Pattern]] = [(Registry, ())]
    while queue:
        model, pattern = queue.pop(0)
        section = sections.setdefault(model, _Section(model))
        if pattern in section.patterns:
            continue
        section.patterns.append(pattern)
        for name, info in model.model_fields.items():
            key = info.alias or name
            for child, steps in _models_in(info.annotation):
                queue.append((child, (*pattern, key, *steps)))
    return list(sections.values())


def _type_text(annotation: Any, metadata: list[Any]) -> str:
    annotation = _without_none(annotation)
    base, inner = _unwrap(annotation)
    for item in [*metadata, *inner]:
        if isinstance(item, PlainValidator):
            name = getattr(item.func, "__name__", "")
            if name not in _VALUE_TYPES:
                raise LookupError(f"no reference name for the value type checked by {name}()")
            value_type = _VALUE_TYPES[name]
            return f"[{value_type}](#{value_type.replace(',', '').replace(' ', '-').lower()})"
    if get_origin(base) is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in get_args(base))
    if isinstance(base, type) and issubclass(base, BaseModel):
        return f"[{_words(base.__name__).lower()}](#{_anchor(base)})"
    if _is_union(base):
        return " or ".join(_type_text(option, []) for option in get_args(base))
    if get_origin(base) is list:
        return "list of " + _type_text(get_args(base)[0], [])
    if get_origin(base) is dict:
        key, value = get_args(base)
        return f"mapping from {_type_text(key, [])} to {_type_text(value, [])}"
    if base is int:
        return "whole number"
    if base is str:
        return "text"
    raise LookupError(f"no reference name for the type {base!r}")


def _default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    factory = info.default_factory
    if factory is list:
        return "optional, default empty"
    if factory is dict:
        return "optional, default none"
    if factory is not None:
        return "optional, default: the built-in defaults"
    if info.default is None:
        return "optional"
    return f"optional, default `{info.default}`"


def _description(info: FieldInfo) -> str:
    """The field's own description, else the docstrings of the models it holds."""
    if info.description:
        return info.description
    docs = [(model.__doc__ or "").strip() for model, _ in _models_in(info.annotation)]
    return " / ".join(doc for doc in docs if doc)


# --- Examples, cut from the example registry ----------------------------------------


def _matches(root: yaml.Node, pattern: Pattern) -> Iterator[yaml.Node]:
    if not pattern:
        yield root
        return
    step, rest = pattern[0], pattern[1:]
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if step == "{}" or (isinstance(key, yaml.ScalarNode) and key.value == step):
                yield from _matches(value, rest)
    elif isinstance(root, yaml.SequenceNode) and step == "[]":
        for item in root.value:
            yield from _matches(item, rest)


def _snippet(text: str, key: yaml.Node, value: yaml.Node) -> str:
    start = key.start_mark.index
    end = last_content_end(value)
    while end > start and text[end - 1] in " \r\n":
        end -= 1
    line_end = text.find("\n", end)
    piece = text[start : len(text) if line_end < 0 else line_end].rstrip()
    lines = textwrap.dedent(" " * key.start_mark.column + piece).splitlines()
    if len(lines) > _MAX_EXAMPLE_LINES:
        indent = len(lines[1]) - len(lines[1].lstrip())
        lines = [*lines[: _MAX_EXAMPLE_LINES - 1], " " * indent + "# ..."]
    return "\n".join(lines)


def _discriminator(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("type")
    if info is None or get_origin(info.annotation) is not Literal:
        return None
    return str(get_args(info.annotation)[0])


def _example(root: yaml.Node, text: str, section: _Section, key_name: str) -> str | None:
    kind = _discriminator(section.model)
    for pattern in section.patterns:
        for node in _matches(root, pattern):
            if not isinstance(node, yaml.MappingNode):
                continue
            keys = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            type_node = keys.get("type", (None, None))[1]
            if kind and not (isinstance(type_node, yaml.ScalarNode) and type_node.value == kind):
                continue
            if key_name in keys:
                return _snippet(text, *keys[key_name])
    return None


# --- The document ---------------------------------------------------------------------


def _where(pattern: Pattern) -> str:
    out = ""
    for previous, step in zip(("", *pattern), pattern, strict=False):
        if step == "[]":
            out += "[]"
        elif step == "{}":
            out += "." + _KEY_NAMES.get(previous, "<id>")
        else:
            out += f".{step}" if out else step
    return f"`{out}`" if out else "the top level of the file"


def _value_types() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each value type with the JSON Schema it publishes for editors, in reference order."""
    from compact_calendar.registry import values

    found: dict[str, dict[str, Any]] = {}
    for name in dir(values):
        _, metadata = _unwrap(getattr(values, name))
        validators = [m for m in metadata if isinstance(m, PlainValidator)]
        schemas = [m.json_schema for m in metadata if isinstance(m, WithJsonSchema)]
        label = (
            _VALUE_TYPES.get(getattr(validators[0].func, "__name__", "")) if validators else None
        )
        if label:
            found.setdefault(label, dict(schemas[0] or {}) if schemas else {})
    for label in _VALUE_TYPES.values():
        if label in found:
            yield label, found[label]


def render_reference(example_text: str) -> str:
    """The reference as Markdown; raises ``LookupError`` for a field without an example."""
    root = yaml.compose(example_text, Loader=LOADER)
    sections = _sections()
    out = [
        "# Registry reference: `events.yaml`",
        "",
        "<!-- Generated from the model by `make docs` "
        "(python -m compact_calendar.docs_reference); do not edit by hand. -->",
        "",
        "Every field the registry accepts, with its type, its default and an example. "
        "The examples come from [examples/every-field.yaml](examples/every-field.yaml), "
        "a registry that uses every field and is checked by the test suite. Field names are "
        "exact: an unknown field (a typo like `titel`) is an error, not ignored. "
        "For common edits, see [how-to-edit.md](how-to-edit.md).",
        "",
        "Contents: "
        + ", ".join(f"[{_words(s.model.__name__)}](#{_anchor(s.model)})" for s in sections)
        + ", [value types](#value-types).",
        "",
    ]
    missing: list[str] = []
    for section in sections:
        model = section.model
        out += [f"## {_words(model.__name__)}", ""]
        doc = (model.__doc__ or "").strip()
        if doc:
            out += [doc, ""]
        out += ["Appears at: " + ", ".join(_where(p) for p in section.patterns) + ".", ""]
        out += ["| field | type | default |", "| --- | --- | --- |"]
        fields = [(info.alias or name, name, info) for name, info in model.model_fields.items()]
        for key, _name, info in fields:
            type_text = _type_text(info.annotation, list(info.metadata))
            out.append(
                f"| [`{key}`](#{_anchor(model)}-{key}) | {type_text} | {_default_text(info)} |"
            )
        out.append("")
        for key, _, info in fields:
            out += [f'<a id="{_anchor(model)}-{key}"></a>', f"### `{key}`", ""]
            description = _description(info)
            if description:
                out += [description, ""]
            example = _example(root, example_text, section, key) if root else None
            if example is None:
                missing.append(f"{model.__name__}.{key}")
                continue
            out += ["```yaml", example, "```", ""]
            if info.examples:
                out += ["Also: " + ", ".join(f"`{e}`" for e in info.examples) + ".", ""]
    if missing:
        raise LookupError(
            "no example in the example registry for: "
            + ", ".join(missing)
            + f"; add them to {EXAMPLE_PATH}"
        )
    out += ["## Value types", ""]
    for label, schema in _value_types():
        out += [f"### {label}", ""]
        note = schema.get("description") or _VALUE_TYPE_NOTES.get(label, "")
        if note:
            out += [note, ""]
        examples = schema.get("examples")
        if examples:
            out += ["Examples: " + ", ".join(f"`{e}`" for e in examples) + ".", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/reference.md from the model.")
    parser.add_argument("--example", type=Path, default=EXAMPLE_PATH)
    parser.add_argument("--out", type=Path, default=REFERENCE_PATH)
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is stale")
    args = parser.parse_args(argv)
    text = render_reference(args.example.read_text(encoding="utf-8"))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
