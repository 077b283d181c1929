"""Rendering with the cycle collector paused.

A render allocates hundreds of thousands of short-lived, acyclic objects (content lines,
pieces, tuples) while a large registry keeps millions alive; every few thousand
allocations the collector would walk them all. Paused for the render, it finds nothing
more afterwards: reference counting frees what the render drops. Measured on the
10,000-event registry: a third less time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["cycle_collection_paused"]


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cycle collector within the block; resume it after if it was running."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
