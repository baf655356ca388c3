"""Bounded, ordered overlap: ``map`` on a thread pool that never runs far ahead and keeps input order.

The engine's per-pipeline work and its lineage writes are network-bound, so they overlap on a pool. Two
rules make that safe on a 20,000-job workspace: at most ``2 x workers`` items are in flight (the listing
streams; nothing holds the workspace in memory), and results come back in input order (the report reads
the same as a sequential run's).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["ordered_map"]

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(
    work: Callable[[T], R], items: Iterable[T], *, workers: int, thread_name_prefix: str = "ingest"
) -> Iterator[R]:
    """``map(work, items)`` on ``workers`` threads, at most ``2 x workers`` in flight, in input order.

    Args:
        work: called once per item, on a pool thread (on the calling thread when ``workers`` is 1).
        items: consumed lazily, only as the window has room.
        workers: pool size; 1 runs everything on the calling thread, with no pool.
        thread_name_prefix: names the pool's threads (seen in logs and thread dumps).

    Returns:
        An iterator of ``work``'s results in the order of ``items``.

    Raises:
        Exception: whatever ``work`` raised for the earliest item not yet yielded; the items queued
            behind it are cancelled when the iterator is closed.
    """
    if workers <= 1:
        for item in items:
            yield work(item)
        return
    window: collections.deque[Future[R]] = collections.deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name_prefix) as pool:
        try:
            for item in items:
                window.append(pool.submit(work, item))
                while len(window) >= 2 * workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            for future in window:
                future.cancel()
