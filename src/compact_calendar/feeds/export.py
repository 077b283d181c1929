"""Writing a :class:`Site` to a directory as static files, replacing it atomically.

The new files are written to a fresh directory beside the target, which then takes the
target's place in one rename (an exchange on Linux, when the target exists), so a web
server reading the target sees the old files or the new ones, never a mix.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

from compact_calendar.errors import UsageError
from compact_calendar.feeds.site import Site

__all__ = ["write_site"]

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
# A directory is replaced only if it is empty or holds what an export writes.
_EXPORT_MARKERS = ("index.html", "calendar.ics")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _check_replaceable(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"{out}: exists and is not a directory: choose a directory for --out")
    entries = {p.name for p in out.iterdir()}
    if entries and not all(name in entries for name in _EXPORT_MARKERS):
        raise UsageError(
            f"{out}: this directory has other files and was not written by export; "
            "export replaces the whole directory, so choose a new or empty one"
        )


def _write_file(target: Path, body: bytes, stamp: float) -> None:
    # Straight system calls: ten thousand event files through pathlib's buffered
    # objects cost more than rendering them.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(descriptor, view) :]
        os.utime(descriptor, (stamp, stamp))
    finally:
        os.close(descriptor)


def write_site(site: Site, out: Path) -> list[Path]:
    """Write every resource under ``out`` (replacing it); the files written, under ``out``."""
    out = out.absolute()
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        written = []
        folders = {staging}
        for path, resource in site.resources.items():
            target = staging / path
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            _write_file(target, resource.body, resource.last_modified.timestamp())
            written.append(out / path)
        staging.chmod(0o755)
        if out.exists() and _exchange(staging, out):
            shutil.rmtree(staging)  # now holds the previous export
        elif out.exists():
            previous = out.with_name(f".{out.name}.previous")
            shutil.rmtree(previous, ignore_errors=True)
            out.rename(previous)
            staging.rename(out)
            shutil.rmtree(previous)
        else:
            staging.rename(out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"{out}: cannot write the export: {exc.strerror or exc}") from exc
    return written
