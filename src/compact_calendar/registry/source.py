"""YAML loading that remembers where every value came from.

The document is composed into nodes by libyaml (``CSafeLoader``'s C parser), then turned
into plain Python values here, recording the line and column of every value and every
mapping key by its path (``("events", 3, "end")``). Tags other than YAML's core types are
refused (``!!python/...`` is never constructed), duplicate keys are reported, alias
expansion is bounded, and scalars that YAML 1.1 would silently turn into numbers or
dates (``09:00`` as 540, ``2017-09-04`` as a date) are kept as the text the user wrote,
so the model decides what they mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml
from yaml.constructor import SafeConstructor

from compact_calendar.errors import Diagnostic
from compact_calendar.gcpause import cycle_collection_paused

__all__ = [
    "LOADER",
    "MAX_REGISTRY_BYTES",
    "Path",
    "Position",
    "SourceMap",
    "YamlProblem",
    "load_yaml",
]

MAX_REGISTRY_BYTES = 64 * 1024 * 1024

Path = tuple[str | int, ...]

LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader where it is built (it nearly always is), else the pure-Python one."""
_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP = (
    _TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")
)
_SEQ, _MAP, _MERGE = _TAG + "seq", _TAG + "map", _TAG + "merge"
_ENV_REF = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


class Position(NamedTuple):
    """1-based line and column."""

    line: int
    column: int


class SourceMap:
    """Finds the position of a value (or of its mapping key) by its path.

    Positions are read from the composed node tree only when a message needs one, so
    loading a valid registry pays nothing for them.
    """

    __slots__ = ("root",)

    def __init__(self, root: yaml.Node | None = None) -> None:
        self.root = root

    def locate(self, path: Path, *, key: bool = False) -> Position:
        """The position of ``path``'s key (or value), else of its nearest located parent."""
        node = self.root
        if node is None:
            return Position(1, 1)
        best = _pos(node)
        for index, part in enumerate(path):
            found = _child(node, part)
            if found is None:
                return best
            key_node, node = found
            if key and key_node is not None and index == len(path) - 1:
                return _pos(key_node)
            best = _pos(node)
        return best


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.SequenceNode):
        if isinstance(part, int) and 0 <= part < len(node.value):
            return None, node.value[part]
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    merged: list[yaml.Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            merged.extend(
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
        elif isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
            return key_node, value_node
    for source in merged:
        found = _child(source, part)
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """A problem found while loading, before the model sees the data."""

    path: Path
    position: Position
    message: str

    def diagnostic(self, filename: str) -> Diagnostic:
        return Diagnostic(
            "error",
            filename,
            self.position.line,
            self.position.column,
            format_path(self.path),
            self.message,
        )


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _pos(node: yaml.Node) -> Position:
    mark = node.start_mark
    return _new_position((mark.line + 1, mark.column + 1))


_new_position = Position._make


class _Builder:
    def __init__(self, env: Mapping[str, str], budget: int) -> None:
        self.env = env
        self.budget = budget
        self.problems: list[YamlProblem] = []
        self._active: set[int] = set()
        self._constructor = SafeConstructor()

    def problem(self, path: Path, position: Position, message: str) -> None:
        self.problems.append(YamlProblem(path, position, message))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _Abort(
                path,
                _pos(node),
                "anchors and aliases expand to too many values (an alias bomb?); "
                "write the values out instead of nesting aliases",
            )
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self._active:
            raise _Abort(path, _pos(node), "an alias refers to a value that contains itself")
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ:
                    self.bad_tag(node, path)
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            if node.tag != _MAP:
                self.bad_tag(node, path)
            return self.mapping(node, path)
        finally:
            self._active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.update(self.merge(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(path, _pos(key_node), "a mapping key must be plain text")
                continue
            key = key_node.value
            if key in result:
                first = next(_pos(k) for k, _ in node.value if k.value == key)
                self.problem(
                    (*path, key),
                    _pos(key_node),
                    f"duplicate key `{key}` (first at line {first.line}): "
                    "remove one of them or rename it",
                )
                continue
            result[key] = self.build(value_node, (*path, key))
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def merge(self, node: yaml.Node, path: Path) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.problem(path, _pos(source), "`<<` merges only mappings")
                continue
            for key, value in self.build(source, path).items():
                merged.setdefault(key, value)
        return merged

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return self.substitute(text, node, path) if "${" in text else text
        if tag == _INT:
            if text.isdigit():
                return int(text)
            if _SEXAGESIMAL.match(text):
                return text
            return self._constructor.construct_yaml_int(node)
        if tag == _FLOAT:
            return (
                text if _SEXAGESIMAL.match(text) else self._constructor.construct_yaml_float(node)
            )
        if tag == _BOOL:
            return self._constructor.construct_yaml_bool(node)
        if tag == _NULL:
            return None
        if tag == _TIMESTAMP:
            return text
        self.bad_tag(node, path)
        return text

    def substitute(self, text: str, node: yaml.Node, path: Path) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return "${" + match.group(2) + "}"
            name = match.group(2)
            value = self.env.get(name)
            if value is None:
                self.problem(
                    path,
                    _pos(node),
                    f"environment variable `{name}` is not set: export it before running "
                    f"(e.g. `export {name}=...`) or replace the reference",
                )
                return ""
            return value

        return _ENV_REF.sub(replace, text)

    def bad_tag(self, node: yaml.Node, path: Path) -> None:
        self.problem(
            path,
            _pos(node),
            f"YAML tag `{node.tag.replace(_TAG, '!!')}` is not allowed in the registry: "
            "remove the tag and write a plain value",
        )


class _Abort(Exception):
    def __init__(self, path: Path, position: Position, message: str) -> None:
        super().__init__(message)
        self.problem = YamlProblem(path, position, message)


def load_yaml(
    text: str, *, env: Mapping[str, str] | None = None
) -> tuple[Any, SourceMap, list[YamlProblem]]:
    """Parse ``text`` into plain values with their positions.

    Never raises for bad input: syntax errors and the like come back as problems, and the
    value is ``None`` when nothing usable could be built.
    """
    if len(text) > MAX_REGISTRY_BYTES:
        return (
            None,
            SourceMap(),
            [
                YamlProblem(
                    (),
                    Position(1, 1),
                    f"the file is {len(text) // (1024 * 1024)} MiB, over the "
                    f"{MAX_REGISTRY_BYTES // (1024 * 1024)} MiB limit: split or trim it",
                )
            ],
        )
    try:
        node = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        return None, SourceMap(), [_syntax_problem(exc, text)]
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml always marks its errors
        return None, SourceMap(), [YamlProblem((), Position(1, 1), f"invalid YAML: {exc}")]
    if node is None:
        return (
            None,
            SourceMap(),
            [YamlProblem((), Position(1, 1), "the file is empty: start with `calendar:`")],
        )
    builder = _Builder(env if env is not None else {}, budget=max(10_000, len(text)))
    # Building a large tree of new containers triggers full collections that find nothing
    # to free; pausing the collector for the build halves its time on big registries.
    try:
        with cycle_collection_paused():
            data = builder.build(node, ())
    except _Abort as exc:
        return None, SourceMap(node), [*builder.problems, exc.problem]
    except RecursionError:
        return (
            None,
            SourceMap(node),
            [YamlProblem((), _pos(node), "the document is nested too deeply to be a registry")],
        )
    return data, SourceMap(node), builder.problems


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    line = _line(text, position.line)
    if "\t" in problem or (line[: position.column].strip() == "" and "\t" in line):
        message = "a tab is used for indentation; YAML needs spaces: replace the tab with spaces"
    elif "single document" in f"{problem} {exc.context}":
        message = "the file holds more than one YAML document (`---`): keep a single one"
    else:
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        message = f"invalid YAML: {problem}{context}; check the indentation and quoting here"
    return YamlProblem((), position, message)


def _line(text: str, number: int) -> str:
    lines: Iterator[str] = iter(text.splitlines())
    for _ in range(number - 1):
        next(lines, "")
    return next(lines, "")
