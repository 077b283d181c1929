"""Fixtures shared by every test package."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def fixed_now() -> datetime:
    """A fixed 'now' for pure-core tests: 2017-06-01 09:00 UTC, before the seed's events."""
    return datetime(2017, 6, 1, 9, 0, tzinfo=UTC)
