"""Run an iterator one step ahead on a background thread, through a bounded queue.

A token-paged listing is sequential by nature (each page's token comes from the previous page), so the
only way to approach the latency floor is to fetch page N+1 while page N is being converted, filtered and
handed out. The queue is bounded, so memory stays flat however large the listing is; errors raised by
the source iterator are re-raised in the consumer at the point they occurred; closing the consumer
early stops the producer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

__all__ = ["prefetch"]

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(source: Iterator[T], depth: int = 256, name: str = "prefetch") -> Iterator[T]:
    """Yield ``source``'s items, produced by a daemon thread at most ``depth`` items ahead."""
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def put(item: object) -> bool:
        while not stopped.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as err:  # handed to the consumer, which raises it in its own thread
            put(_Failure(err))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stopped.set()
