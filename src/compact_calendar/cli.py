"""The ``compact-calendar`` command line.

Each command lives in ``compact_calendar.commands.<name>`` with ``add_arguments`` and
``run``; modules are imported only for the command being run, so that a quick
``validate`` does not pay for the server, the database or the feeds.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from compact_calendar import __version__
from compact_calendar.errors import CompactCalendarError, RegistryInvalid

__all__ = ["main"]

COMMANDS: dict[str, str] = {
    "validate": "check the registry and report every error and warning",
    "schema": "print the JSON Schema of the registry, for editors",
    "export": "write every feed and the web page as static files",
    "serve": "serve feeds and web page and run the reminder scheduler",
    "reminders": "list planned reminders and their delivery status",
    "worker": "run only the reminder scheduler",
    "send-test": "send a test message through one channel",
    "new": "append a skeleton event to the registry, keeping its comments",
}


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _module(name: str) -> _Command:
    module = importlib.import_module(f"compact_calendar.commands.{name.replace('-', '_')}")
    return cast(_Command, module)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compact-calendar",
        description="Calendar feeds, a web page and reminders from one events.yaml.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--registry",
        metavar="PATH",
        help="the registry file (default: $COMPACT_CALENDAR_REGISTRY or ./events.yaml)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text, parents=[common])
        if name == command:
            _module(name).add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if a in COMMANDS), None)
    parser = build_parser(command)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _module(args.command).run(args)
    except RegistryInvalid as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        print(f"{len(exc.errors)} error(s): the registry is invalid", file=sys.stderr)
        return 1
    except CompactCalendarError as exc:
        print(f"compact-calendar: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
