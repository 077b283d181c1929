"""The one exception hierarchy of compact-calendar.

Every error a user can meet derives from :class:`CompactCalendarError` and carries a
message that says what is wrong, where, and how to fix it. The CLI prints these
messages; it never shows a traceback for bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ChannelError",
    "CompactCalendarError",
    "ConfigError",
    "DeliveryError",
    "Diagnostic",
    "PermanentDeliveryError",
    "RegistryInvalid",
    "StorageError",
    "TransientDeliveryError",
    "UsageError",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about the registry, located at ``file:line:col`` (1-based)."""

    severity: Severity
    file: str
    line: int
    column: int
    where: str
    message: str

    def format(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {where}{self.message}"

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.column, self.message)


class CompactCalendarError(Exception):
    """Base of every error compact-calendar raises on purpose."""

    exit_code = 1


class UsageError(CompactCalendarError):
    """The command line asked for something that cannot be done (exit 2)."""

    exit_code = 2


class ConfigError(CompactCalendarError):
    """An environment variable or setting is wrong."""

    exit_code = 2


class RegistryInvalid(CompactCalendarError):
    """The registry has errors; ``diagnostics`` lists every one (and the warnings)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: Sequence[Diagnostic] = sorted(diagnostics, key=lambda d: d.sort_key)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        first = errors[0].format() if errors else "registry is invalid"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class StorageError(CompactCalendarError):
    """The state database could not be opened, migrated or written."""


class ChannelError(CompactCalendarError):
    """A reminder channel is misconfigured or unknown."""


class DeliveryError(CompactCalendarError):
    """Sending through a channel failed; subclasses say whether to try again."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        response: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.response = response


class TransientDeliveryError(DeliveryError):
    """A failure worth retrying later: timeouts, connection errors, 5xx, 429, SMTP 4xx."""


class PermanentDeliveryError(DeliveryError):
    """A failure that retrying will not fix: other 4xx, refused recipients, SMTP 5xx."""
