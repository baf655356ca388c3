"""core.prefetch: items in order, the producer's error at its place, and a stop that does not wait."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from core.errors import RunInterrupted
from core.prefetch import prefetch


def test_items_come_in_order_and_a_producer_error_comes_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield from range(5)
        raise ValueError("page 2 failed")

    seen: list[int] = []
    with pytest.raises(ValueError, match="page 2 failed"):
        for item in prefetch(source(), depth=2, name="t-order"):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_a_stop_ends_the_wait_for_a_producer_stuck_in_a_read_and_the_producer_ends_after_it() -> None:
    """The consumer raises RunInterrupted once the stop is set, without the item it waits for; the producer,
    released later, puts nothing more and ends (it is told the consumer went away)."""
    stuck, release, produced = threading.Event(), threading.Event(), []

    def source() -> Iterator[int]:
        yield 1
        stuck.set()
        release.wait()  # a read that does not come back until the test says so
        produced.append(2)
        yield 2
        produced.append(3)
        yield 3

    stop = threading.Event()
    stream = prefetch(source(), depth=1, name="t-stop", stop=stop)
    assert next(stream) == 1
    stuck.wait(timeout=60)
    stop.set()
    with pytest.raises(RunInterrupted):
        next(stream)
    release.set()
    for thread in [t for t in threading.enumerate() if t.name == "t-stop"]:
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert produced == [2]  # its next item found the consumer gone: nothing after it was read
