"""``compact-calendar export --out DIR``: the site as static files, replaced atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compact_calendar.cli import main
from compact_calendar.testing.interop import assert_parsers_agree
from tests.feeds.conftest import REPO


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(REPO / "events.yaml", tmp_path / "events.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMPACT_CALENDAR_DATABASE_URL", raising=False)
    monkeypatch.delenv("COMPACT_CALENDAR_PUBLIC_URL", raising=False)
    return tmp_path


def test_export_writes_every_feed_and_the_page(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--out", "public"]) == 0
    printed = capsys.readouterr().out
    site = workdir / "public"
    for path in (
        "index.html",
        "calendar.ics",
        "deadlines.ics",
        "tracks/gcm.ics",
        "events/gcm-tc5-vienna.ics",
    ):
        assert (site / path).is_file()
        assert f"public/{path}" in printed
    assert_parsers_agree((site / "calendar.ics").read_bytes())
    assert (workdir / "compact-calendar.sqlite3").is_file()  # versions beside the registry


def test_exporting_again_gives_the_same_feeds(workdir: Path) -> None:
    assert main(["export", "--out", "public"]) == 0
    first = (workdir / "public" / "calendar.ics").read_bytes()
    (workdir / "public" / "stale.txt").write_text("from before")
    assert main(["export", "--out", "public"]) == 0
    assert (workdir / "public" / "calendar.ics").read_bytes() == first
    assert not (workdir / "public" / "stale.txt").exists()  # replaced as a whole
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".public")] == []


def test_export_refuses_to_replace_a_directory_it_did_not_write(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "docs").mkdir()
    (workdir / "docs" / "thesis.tex").write_text("precious")
    assert main(["export", "--out", "docs"]) == 2
    assert "not written by export" in capsys.readouterr().err
    assert (workdir / "docs" / "thesis.tex").read_text() == "precious"


def test_export_of_an_invalid_registry_fails_with_located_errors(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "events.yaml").write_text("calendar:\n  id: Bad Id\n")
    assert main(["export", "--out", "public"]) == 1
    assert "events.yaml:2:" in capsys.readouterr().err
    assert not (workdir / "public").exists()
