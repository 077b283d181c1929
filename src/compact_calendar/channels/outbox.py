"""Mail written to files when no SMTP server is configured, so nothing needs setting up.

Each message becomes ``<outbox>/<timestamp>-<delivery id>.eml``, written to a temporary
name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC
from pathlib import Path

from compact_calendar.channels.base import Delivery
from compact_calendar.errors import PermanentDeliveryError

__all__ = ["eml_name", "write_eml"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def eml_name(delivery: Delivery) -> str:
    stamp = delivery.now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{_UNSAFE.sub('-', delivery.id)}.eml"


def write_eml(outbox: Path, data: bytes, delivery: Delivery) -> Path:
    target = outbox / eml_name(delivery)
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=outbox, prefix=".", suffix=".eml.tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise PermanentDeliveryError(
            f"cannot write mail to the outbox {outbox}: {exc.strerror}: make the directory "
            "writable, set COMPACT_CALENDAR_OUTBOX, or set COMPACT_CALENDAR_SMTP_URL"
        ) from exc
    return target
