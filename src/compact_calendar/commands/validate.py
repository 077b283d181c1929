"""``compact-calendar validate [PATH] [--strict]``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from compact_calendar.config import Settings
from compact_calendar.registry.check import CheckedRegistry
from compact_calendar.registry_file import read_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", help="the registry (default: --registry)")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")


def summary(checked: CheckedRegistry, *, strict: bool = False) -> str:
    registry = checked.registry
    errors, warnings = len(checked.errors), len(checked.warnings)
    counts = ""
    if registry is not None:
        sessions = sum(len(e.sessions) for e in registry.events)
        deadlines = sum(len(e.deadlines) for e in registry.events)
        counts = f"{len(registry.events)} events, {sessions} sessions, {deadlines} deadlines; "
    failed = errors or (strict and warnings)
    verdict = "invalid" if failed else "valid"
    return (
        f"{checked.filename}: {verdict}: {counts}"
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(registry=args.path or args.registry)
    checked = read_registry(Path(settings.registry), now=datetime.now(UTC))
    out = sys.stdout
    for diagnostic in checked.diagnostics:
        print(diagnostic.format(), file=out)
    print(summary(checked, strict=args.strict), file=out)
    if checked.errors or checked.registry is None:
        return 1
    return 1 if args.strict and checked.warnings else 0
