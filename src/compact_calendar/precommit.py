"""Entry point of the pre-commit hooks (``.pre-commit-hooks.yaml``).

pre-commit passes every matching file in one call, while ``validate`` checks one
registry: this runs ``validate`` once per file, with the hook's flags, and fails if any
file fails. Without files (``always_run``) it checks the default registry.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from compact_calendar.cli import main as cli_main

__all__ = ["main"]

_FLAGS = ("--strict", "--format")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    flags: list[str] = []
    files: list[str] = []
    while args:
        arg = args.pop(0)
        if arg == "--format" and args:
            flags += [arg, args.pop(0)]
        elif arg.startswith(_FLAGS):
            flags.append(arg)
        else:
            files.append(arg)
    worst = 0
    for targets in [[path] for path in files] or [[]]:
        code = cli_main(["validate", *flags, *targets])
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main())
