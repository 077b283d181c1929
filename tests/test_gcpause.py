"""The cycle collector is paused only for the render, and left as it was found."""

from __future__ import annotations

import gc

import pytest

from compact_calendar.gcpause import cycle_collection_paused


def test_a_running_collector_is_paused_within_and_resumed_after() -> None:
    assert gc.isenabled()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failure_inside_still_resumes_the_collector() -> None:
    with pytest.raises(ValueError, match="boom"), cycle_collection_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
