"""``compact-calendar export --out DIR``: every feed and the web page as static files."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from compact_calendar.config import Settings
from compact_calendar.feeds.export import write_site
from compact_calendar.feeds.render import SiteRenderer, publish
from compact_calendar.registry_file import load_registry
from compact_calendar.state.database import Database


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="directory to write (replaced as a whole, atomically)",
    )


def _size(count: int) -> str:
    return f"{count} B" if count < 1024 else f"{count / 1024:.1f} kB"


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(registry=args.registry)
    now = datetime.now(UTC)
    registry, _checked = load_registry(settings.registry, now=now)
    db = Database(settings.database_url)
    try:
        db.migrate()
        public_url = settings.public_url or registry.calendar.url
        site = publish(
            registry,
            db,
            public_url=public_url.rstrip("/") if public_url else None,
            now=now,
            renderer=SiteRenderer(),
        )
    finally:
        db.dispose()
    out = Path(args.out)
    write_site(site, out)
    for path, resource in site.resources.items():
        print(f"{out / path}  {_size(len(resource.body))}")
    print(f"exported {len(site.resources)} files to {out}")
    return 0
