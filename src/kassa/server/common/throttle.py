"""Throttles of guesses: pairing codes, PINs (docs/security.md, "Throttles").

A `Throttle` counts the failures of one key (a client's address, a pairing code, a
cashier) in a window; at `limit` failures the key is locked for `lock` seconds, and every
attempt meanwhile, the right one too, is refused with `Throttled` (429, `Retry-After`).
A success clears nothing: the counter runs out with its window, so that a guesser who
also holds one right code cannot reset their count with it.

The counters live in Django's cache, which `kassa server`'s worker processes share (a
folder of files). Its increment is not atomic across processes: two failures at the same
instant may count once, so a burst may get a guess or two beyond `limit` before the lock,
never an unbounded number.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from .errors import Throttled


def now() -> float:
    """The clock the throttles read (a test moves it on instead of sleeping)."""
    return time.time()


@dataclass(frozen=True)
class Throttle:
    name: str
    limit: int  # failures that lock
    window: int  # seconds a failure counts
    lock: int  # seconds a locked key stays locked
    message: str  # what the refusal says; "{seconds}" is replaced by the wait

    def _key(self, key: str, part: str) -> str:
        # Hashed: a key may be a code or an address, any length, any characters.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"throttle:{self.name}:{part}:{digest}"

    def retry_after(self, key: str) -> int:
        """Seconds until `key` is unlocked; 0 when it is not locked."""
        until = cache.get(self._key(key, "lock"))
        if until is None:
            return 0
        wait = float(until) - now()
        return math.ceil(wait) if wait > 0 else 0

    def check(self, key: str) -> None:
        """Refuse with Throttled while `key` is locked."""
        wait = self.retry_after(key)
        if wait:
            raise Throttled(self.message.format(seconds=wait), retry_after=wait)

    def fail(self, key: str) -> bool:
        """Count a failure of `key`; True when it locked the key."""
        count_key = self._key(key, "count")
        started = now()
        window = cache.get(count_key)
        if window is None or started - window[0] >= self.window:
            window = (started, 0)
        window = (window[0], window[1] + 1)
        cache.set(count_key, window, self.window)
        if window[1] < self.limit:
            return False
        cache.set(self._key(key, "lock"), started + self.lock, self.lock)
        cache.delete(count_key)
        return True

    def failures(self, key: str) -> int:
        window = cache.get(self._key(key, "count"))
        if window is None or now() - window[0] >= self.window:
            return 0
        return int(window[1])
