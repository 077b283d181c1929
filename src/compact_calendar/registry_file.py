"""Reading the registry file from disk: the edge in front of the pure checker."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from compact_calendar.errors import Diagnostic, RegistryInvalid, UsageError
from compact_calendar.registry.check import CheckedRegistry, check_registry
from compact_calendar.registry.model import Registry
from compact_calendar.registry.source import MAX_REGISTRY_BYTES

__all__ = ["FileSignature", "file_signature", "load_registry", "read_registry"]

FileSignature = tuple[int, int, int]


def file_signature(path: Path) -> FileSignature | None:
    """The file's identity, size and change time: a cheap ``stat`` that tells a save
    (in place, or write-then-rename) from no change; ``None`` while it is missing."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _read_text(path: Path) -> tuple[str | None, Diagnostic | None]:
    try:
        size = path.stat().st_size
        if size > MAX_REGISTRY_BYTES:
            return None, Diagnostic(
                "error",
                str(path),
                1,
                1,
                "",
                f"the file is {size // (1024 * 1024)} MiB, over the "
                f"{MAX_REGISTRY_BYTES // (1024 * 1024)} MiB limit: split or trim it",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such file: create it, or pass --registry PATH "
            "(or set COMPACT_CALENDAR_REGISTRY)"
        ) from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory: pass the registry file itself") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, Diagnostic(
            "error",
            str(path),
            line,
            column,
            "",
            "this is not UTF-8 text: save the file as UTF-8 in your editor",
        )


def read_registry(
    path: Path, *, now: datetime, env: Mapping[str, str] | None = None
) -> CheckedRegistry:
    """Check the registry at ``path``; raises :class:`UsageError` if it cannot be read."""
    text, problem = _read_text(path)
    if text is None:
        assert problem is not None
        return CheckedRegistry(str(path), None, [problem])
    return check_registry(text, filename=str(path), env=os.environ if env is None else env, now=now)


def load_registry(
    path: Path, *, now: datetime, env: Mapping[str, str] | None = None
) -> tuple[Registry, CheckedRegistry]:
    """The valid registry at ``path``, or :class:`RegistryInvalid` with every diagnostic."""
    checked = read_registry(path, now=now, env=env)
    if checked.registry is None or checked.errors:
        raise RegistryInvalid(checked.diagnostics)
    return checked.registry, checked
