"""A rate gate shared by all workers: one 429 slows the whole pool, not just the thread that got it.

Both clients retry a throttled request by sleeping in the thread that received the 429. With a pool of
16 workers the other 15 keep firing and collect 429s of their own, which is how a rate limit turns into
a storm. The gate remembers "nobody sends before T" (T = now + Retry-After, or a default when the server
gives none) and every request waits at the gate before it goes out. The pauses are
:mod:`core.http_policy`'s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

from core.http_policy import DEFAULT_PAUSE_S, MAX_PAUSE_S

__all__ = ["DEFAULT_PAUSE_S", "MAX_PAUSE_S", "RateGate", "retry_after_seconds"]


def retry_after_seconds(headers: Mapping[str, str], default: float = DEFAULT_PAUSE_S) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), bounded; ``default`` if absent."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return default
    return min(max(seconds, 0.0), MAX_PAUSE_S)


class RateGate:
    """Thread-safe "wait until" shared by every request to one server."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        """An open gate.

        Args:
            clock: monotonic seconds (injected by tests).
            sleep: how to wait, in seconds (injected by tests).
        """
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._until = 0.0
        self.throttled = 0  # how many 429/503 answers were seen
        self.waited_s = 0.0  # total time requests spent waiting at the gate

    def wait(self) -> None:
        """Block while the gate is closed."""
        while True:
            with self._lock:
                remaining = self._until - self._clock()
            if remaining <= 0:
                return
            self._sleep(remaining)
            with self._lock:
                self.waited_s += remaining

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Close the gate after a 429 (or a 503 that says when to come back)."""
        if status == 429 or (status == 503 and ("Retry-After" in headers or "retry-after" in headers)):
            pause = retry_after_seconds(headers)
            with self._lock:
                self.throttled += 1
                self._until = max(self._until, self._clock() + pause)
