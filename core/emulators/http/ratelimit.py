"""Per-route request rate limits: one token bucket per route, shared by every connection of one server.

The model: a route limited to ``rate`` requests per second holds a bucket of ``burst`` tokens (default one
second's worth, ``rate``) that refills continuously at ``rate`` tokens a second. A request takes a token
or, when the bucket is empty, is refused with the time until the next token; the server answers it with
429 and a ``Retry-After`` of that time rounded up to whole seconds (at least 1: ``databricks-sdk`` parses
the header with ``int()``, and RFC 9110 allows only whole delta-seconds). A refused request takes no
token, so a client that waits as told finds one. One server stands for one workspace, so the buckets are
per route per workspace, as Databricks documents its limits.

The clock is injected, so tests drive the buckets without sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

__all__ = ["RateLimiter", "TokenBucket", "retry_after_header"]


class TokenBucket:
    """``rate`` requests a second with bursts of up to ``burst``; thread-safe."""

    def __init__(
        self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """A full bucket.

        Args:
            rate: tokens added per second (the sustained requests per second); must be positive.
            burst: the bucket's size, the most requests allowed at once; default ``rate`` (at least 1).
            clock: monotonic seconds (tests inject a fake one).

        Raises:
            ValueError: ``rate`` or ``burst`` is not positive.
        """
        if rate <= 0 or (burst is not None and burst <= 0):
            raise ValueError(f"a rate limit needs a positive rate and burst, not {rate!r} and {burst!r}")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate)
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token: ``0.0`` when the request may go ahead, else the seconds until a token is there."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


class RateLimiter:
    """One :class:`TokenBucket` per limited route name; routes without a limit are never refused."""

    def __init__(self, limits: Mapping[str, float], clock: Callable[[], float] = time.monotonic) -> None:
        """Buckets for ``limits``.

        Args:
            limits: route name (as registered with :meth:`EmulatorServer.add_route`) -> requests per second.
            clock: monotonic seconds, shared by every bucket (tests inject a fake one).
        """
        self.limits = dict(limits)
        self._buckets = {name: TokenBucket(rate, clock=clock) for name, rate in self.limits.items()}

    def check(self, route: str) -> float:
        """``0.0`` when a request to ``route`` may go ahead (taking a token), else the seconds to wait."""
        bucket = self._buckets.get(route)
        return bucket.take() if bucket is not None else 0.0


def retry_after_header(wait_s: float) -> str:
    """The ``Retry-After`` value for a wait: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(wait_s)))
