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

from core.errors import RunInterrupted

__all__ = ["STOP_POLL_S", "prefetch"]

T = TypeVar("T")
#: how often a consumer given a stop event looks at it while it waits (seconds)
STOP_POLL_S = 0.1


class _Done:
    """The producer's last item: ``source`` is exhausted."""


class _Failure:
    """The producer's last item when ``source`` raised: the exception, re-raised by the consumer."""

    def __init__(self, error: BaseException) -> None:
        """Hold ``error`` for the consumer thread."""
        self.error = error


_DONE = _Done()


def prefetch(
    source: Iterator[T], depth: int = 256, name: str = "prefetch", stop: threading.Event | None = None
) -> Iterator[T]:
    """Yield ``source``'s items, produced by a daemon thread at most ``depth`` items ahead.

    Args:
        source: the iterator to run ahead (a token-paged listing); it is advanced on the producer thread only.
        depth: how many items the producer may run ahead (the queue's bound).
        name: the producer thread's name (it shows in logs and thread dumps).
        stop: the run's stop event: once set, the consumer stops waiting for the producer (which may be
            in the middle of a long read) within :data:`STOP_POLL_S` and raises ``RunInterrupted``.

    Yields:
        ``source``'s items, in its order.

    Raises:
        RunInterrupted: ``stop`` was set.
        BaseException: whatever ``source`` raised, re-raised here once the items before it are yielded.
    """
    buffer: queue.Queue[T | _Done | _Failure] = queue.Queue(maxsize=depth)
    stopped = threading.Event()
    thread = threading.Thread(target=_produce, args=(source, buffer, stopped), name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get() if stop is None else _get(buffer, stop)
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stopped.set()


def _get(buffer: queue.Queue[T | _Done | _Failure], stop: threading.Event) -> T | _Done | _Failure:
    """The next item, or ``RunInterrupted`` once ``stop`` is set (checked every :data:`STOP_POLL_S`)."""
    while True:
        if stop.is_set():
            raise RunInterrupted("the run was stopped")
        try:
            return buffer.get(timeout=STOP_POLL_S)
        except queue.Empty:
            continue


def _produce(
    source: Iterator[T], buffer: queue.Queue[T | _Done | _Failure], stopped: threading.Event
) -> None:
    """The producer thread: every item of ``source``, then :data:`_DONE` or the :class:`_Failure`."""
    try:
        for item in source:
            if not _put(buffer, item, stopped):
                return
        _put(buffer, _DONE, stopped)
    except BaseException as err:  # noqa: BLE001 -- handed to the consumer, which raises it in its own thread
        _put(buffer, _Failure(err), stopped)


def _put(
    buffer: queue.Queue[T | _Done | _Failure], item: T | _Done | _Failure, stopped: threading.Event
) -> bool:
    """Put ``item`` once there is room; False when the consumer stopped first (it is then dropped)."""
    while not stopped.is_set():
        try:
            buffer.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
