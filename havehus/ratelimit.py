"""A small fixed-window request limiter, kept in each web process's memory.

Each process counts on its own, so with N processes a client may make up to N times the limit;
that is enough to stop a runaway script or a scraper, which is what it is for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

WINDOW_SECONDS = 60
#: Forget counters of earlier windows once this many keys are held.
MAX_KEYS = 10_000


class FixedWindowLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key: str, limit: int) -> int | None:
        """Count a request; None if allowed, else the seconds until the next window."""
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            if window != self._window or len(self._counts) > MAX_KEYS:
                self._window, self._counts = window, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        if count > limit:
            return int(WINDOW_SECONDS - now % WINDOW_SECONDS) + 1
        return None
