"""Feeds of the 10,000-event generated registry: full render, export, one-event re-render.

Figures are ratios to references measured in the same run: a bare C-loader ``yaml.load``
of the registry text, and ``yaml2ics`` (in its own virtual environment under
``.bench/yaml2ics-venv``) converting the same entries from its own input format.
Set ``BENCH_FEEDS_EVENTS`` for a smaller run.

Peak memory is measured twice: with ``tracemalloc`` (Python allocations, in this
process), and as the growth of the resident set's high-water mark in a fresh process per
measurement (``python -m benchmarks.bench_feeds peak load|render``), the mark reset
through ``/proc/self/clear_refs`` once the input is ready, so that neither measurement
counts the other's peak or the registry check's.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml

from benchmarks.generate_registry import generate
from compact_calendar.feeds.export import write_site
from compact_calendar.feeds.render import SiteRenderer, publish
from compact_calendar.registry.check import check_registry
from compact_calendar.registry.items import AllDay, items
from compact_calendar.registry.model import Registry
from compact_calendar.state.database import Database

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent
YAML2ICS_VENV = REPO / ".bench" / "yaml2ics-venv"
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    gc.collect()
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _peak(action: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    result = action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak


def _high_water_kib() -> int:
    status = Path("/proc/self/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) if found else 0


def _rss_growth(action: Callable[[], Any]) -> int:
    """Bytes the resident set's peak grew by during ``action``."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _high_water_kib()
    result = action()
    peak = _high_water_kib()
    del result
    return (peak - before) * 1024


def _measure_peak_in_subprocess(kind: str, n_events: int) -> int | None:
    """Run ``peak kind`` in a fresh interpreter; None where /proc cannot reset the peak."""
    if not Path("/proc/self/clear_refs").exists():
        return None
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_feeds", "peak", kind, str(n_events)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"   peak {kind} failed: {done.stderr[-400:]}")
        return None
    return int(done.stdout.split()[-1])


def _peak_command(kind: str, n_events: int) -> None:
    text = generate(n_events, seed=0)
    if kind == "load":
        print(_rss_growth(lambda: yaml.load(text, Loader=yaml.CSafeLoader)))
        return
    registry = check_registry(text, filename="bench.yaml", env={}, now=NOW).registry
    assert registry is not None
    from compact_calendar.feeds.catalog import EntryCatalog
    from compact_calendar.feeds.versions import advance

    digests = {c.uid: c.digest for e in EntryCatalog().entries(registry) for c in e.contents}
    versions = advance({}, digests, NOW).versions
    print(_rss_growth(lambda: SiteRenderer().render(registry, versions, public_url=None, now=NOW)))


def _yaml2ics_input(registry: Registry) -> str:
    """The same entries in yaml2ics's format (UTC instants, all-day dates)."""
    events = []
    for item in items(registry):
        if isinstance(item.timing, AllDay):
            begin: date | datetime = item.timing.first
            end: date | datetime = item.timing.end_exclusive
        else:
            begin = item.start_instant
            end = max(item.end_instant, begin + timedelta(minutes=15))
        entry: dict[str, Any] = {"summary": item.title, "begin": begin, "end": end}
        if item.description:
            entry["description"] = item.description
        if item.location:
            entry["location"] = item.location
        if item.url:
            entry["url"] = item.url
        events.append(entry)
    document = {"name": registry.calendar.name, "events": events}
    return yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)


def _yaml2ics_seconds(registry: Registry, workdir: Path) -> float | None:
    python = YAML2ICS_VENV / "bin" / "python"
    if not python.exists():
        print("   setting up yaml2ics in .bench/yaml2ics-venv ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(YAML2ICS_VENV)], check=True)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "yaml2ics"], check=False
        )
        if install.returncode != 0:
            print("   yaml2ics could not be installed: no comparison")
            return None
    source = workdir / "yaml2ics.yaml"
    source.write_text(_yaml2ics_input(registry), encoding="utf-8")
    command = [str(python), "-m", "yaml2ics", str(source)]
    seconds, done = _timed(lambda: subprocess.run(command, capture_output=True, check=False))
    if done.returncode != 0:
        print(f"   yaml2ics failed: {done.stderr.decode()[-400:]}")
        return None
    print(f"   yaml2ics wrote {len(done.stdout) / 1e6:.1f} MB")
    return seconds


def main() -> None:
    n_events = int(os.environ.get("BENCH_FEEDS_EVENTS", "10000"))
    text = generate(n_events, seed=0)
    load_s, _ = _timed(lambda: yaml.load(text, Loader=yaml.CSafeLoader))
    load_peak = _peak(lambda: yaml.load(text, Loader=yaml.CSafeLoader))
    check_s, checked = _timed(lambda: check_registry(text, filename="bench.yaml", env={}, now=NOW))
    registry = checked.registry
    assert registry is not None, checked.errors[:3]
    print(f"   {n_events} events, {len(text) / 1e6:.1f} MB of YAML")
    print(f"   bare yaml.load (C loader): {load_s:.2f} s, peak {load_peak / 1e6:.0f} MB")
    print(f"   registry check (not part of export below): {check_s:.2f} s")

    workdir = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    try:
        db = Database(f"sqlite:///{workdir / 'state.sqlite3'}")
        db.migrate()
        renderer = SiteRenderer()

        def export() -> int:
            site = publish(
                registry, db, public_url="https://c.example.org", now=NOW, renderer=renderer
            )
            return len(write_site(site, workdir / "public"))

        first_s, files = _timed(export)
        full_s, site = _timed(
            lambda: SiteRenderer().render(registry, renderer_versions(db), public_url=None, now=NOW)
        )
        size = sum(len(r.body) for r in site.resources.values())
        print(f"   export (first, versions recorded): {first_s:.2f} s, {files} files")
        print(f"   full render, cold caches: {full_s:.2f} s, {size / 1e6:.1f} MB")
        peak = _peak(
            lambda: SiteRenderer().render(registry, renderer_versions(db), public_url=None, now=NOW)
        )

        events = list(registry.events)
        events[n_events // 2] = events[n_events // 2].model_copy(update={"title": "Edited"})
        edited = registry.model_copy(update={"events": events})
        edit_s, _ = _timed(
            lambda: publish(
                edited,
                db,
                public_url="https://c.example.org",
                now=NOW + timedelta(hours=1),
                renderer=renderer,
            )
        )
        db.dispose()
        print(f"   render: {full_s / load_s:.2f}x bare load (target <= 2x)")
        print(f"   export: {first_s / load_s:.2f}x bare load")
        print(
            f"   render peak memory (tracemalloc): {peak / 1e6:.0f} MB = "
            f"{peak / load_peak:.2f}x bare load's (target <= 1.5x)"
        )
        load_rss = _measure_peak_in_subprocess("load", n_events)
        render_rss = _measure_peak_in_subprocess("render", n_events)
        if load_rss and render_rss:
            print(
                f"   render peak RSS growth (own process each): {render_rss / 1e6:.0f} MB = "
                f"{render_rss / load_rss:.2f}x bare load's {load_rss / 1e6:.0f} MB "
                "(target <= 1.5x)"
            )
        print(
            f"   re-render after a one-event edit (sync + render): {edit_s:.2f} s = "
            f"{edit_s / full_s:.2f}x a cold full render"
        )
        yaml2ics_s = _yaml2ics_seconds(registry, workdir)
        if yaml2ics_s is not None:
            print(
                f"   yaml2ics: {yaml2ics_s:.2f} s; export is {yaml2ics_s / first_s:.1f}x "
                f"faster, render {yaml2ics_s / full_s:.1f}x faster (target >= 5x)"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def renderer_versions(db: Database) -> Any:
    from compact_calendar.feeds.store import EntryVersionStore

    return EntryVersionStore(db).load()


if __name__ == "__main__":
    if sys.argv[1:2] == ["peak"]:
        _peak_command(sys.argv[2], int(sys.argv[3]))
    else:
        main()
