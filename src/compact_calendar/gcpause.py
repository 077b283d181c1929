"""Building large structures with the cycle collector paused.

Loading, validating or rendering a big registry allocates hundreds of thousands of
objects that live on (the registry) or die young without cycles (content lines, pieces,
tuples); every few thousand allocations the collector would walk every live object and
find nothing to free, because reference counting frees what the work drops. Measured on
the 10,000-event registry: rendering a third faster, loading about twice as fast.
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
