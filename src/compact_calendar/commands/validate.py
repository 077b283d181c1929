"""``compact-calendar validate [PATH] [--strict]``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from compact_calendar.config import Settings
from compact_calendar.errors import Diagnostic
from compact_calendar.registry.check import CheckedRegistry
from compact_calendar.registry_file import read_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", help="the registry (default: --registry)")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument(
        "--format",
        choices=["text", "github"],
        default="text",
        help="github: print errors and warnings as GitHub Actions annotations at file:line",
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(diagnostic: Diagnostic) -> str:
    """A workflow command that GitHub Actions shows on the pull request at the line."""
    where = f"{diagnostic.where}: " if diagnostic.where else ""
    return (
        f"::{diagnostic.severity} file={_escape_property(diagnostic.file)},"
        f"line={diagnostic.line},col={diagnostic.column},"
        f"title={_escape_property('compact-calendar ' + diagnostic.severity)}"
        f"::{_escape_data(where + diagnostic.message)}"
    )


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
    render = github_annotation if args.format == "github" else Diagnostic.format
    for diagnostic in checked.diagnostics:
        print(render(diagnostic), file=out)
    print(summary(checked, strict=args.strict), file=out)
    if checked.errors or checked.registry is None:
        return 1
    return 1 if args.strict and checked.warnings else 0
