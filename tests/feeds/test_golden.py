"""Golden files: each test registry renders to exactly the feeds under tests/data/feeds/golden.

After an intended change of output, regenerate with
``COMPACT_CALENDAR_UPDATE_GOLDEN=1 pytest tests/feeds/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os

import pytest

from tests.feeds.conftest import FEED_DATA, REGISTRIES, load, render

GOLDEN = FEED_DATA / "golden"


@pytest.mark.parametrize("name", sorted(REGISTRIES))
def test_feeds_match_the_golden_files(name: str) -> None:
    site = render(load(name))
    feeds = {path: r.body for path, r in site.resources.items() if path.endswith(".ics")}
    folder = GOLDEN / name
    if os.environ.get("COMPACT_CALENDAR_UPDATE_GOLDEN"):
        for path, body in feeds.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(body)
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*.ics")}
    assert on_disk == set(feeds)
    for path, body in feeds.items():
        assert body == (folder / path).read_bytes(), path
