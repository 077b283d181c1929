"""Registry validation against a bare libyaml load of the same file, in the same run.

Targets (issue 2): `check_registry` of the 10,000-event registry at most 1.5x a bare
``yaml.load(..., Loader=yaml.CSafeLoader)``; ``compact-calendar validate events.yaml`` as
a whole process at most 1.5x ``python -c "import pydantic, yaml"``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import yaml

from benchmarks.generate_registry import generate
from compact_calendar.registry.check import check_registry

REPO = Path(__file__).resolve().parent.parent


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def process_time(args: list[str], runs: int = 10) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, cwd=REPO, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    now = datetime.now(UTC)
    for n in (100, 1_000, 10_000):
        text = generate(n, seed=1)
        runs = 2 if n == 10_000 else 5
        bare = best_of(runs, partial(yaml.load, text, Loader=yaml.CSafeLoader))
        checked = check_registry(text, filename="bench.yaml", env={}, now=now)
        assert checked.registry is not None, checked.errors[:3]
        ours = best_of(runs, partial(check_registry, text, filename="bench.yaml", env={}, now=now))
        print(
            f"validate {n:>6} events ({len(text) / 1e6:.1f} MB): {ours:.3f} s; "
            f"bare CSafeLoader load {bare:.3f} s; ratio {ours / bare:.2f}x (target <= 1.5x)"
        )
    cli = process_time([sys.executable, "-m", "compact_calendar", "validate", "events.yaml"])
    imports = process_time([sys.executable, "-c", "import pydantic, yaml"])
    print(
        f"`compact-calendar validate events.yaml` process: {cli * 1000:.0f} ms; "
        f"`python -c 'import pydantic, yaml'` {imports * 1000:.0f} ms; "
        f"ratio {cli / imports:.2f}x (target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
