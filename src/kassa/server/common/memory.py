"""`gc_paused()`: Python's cyclic garbage collector held off while a block builds many
objects that all live to its end (a session's 10,000 parsed journal entries, a year's
export). The collector would walk them again and again as they pile up, for nothing:
none is garbage until the block is over. Reference counting still frees as usual."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
