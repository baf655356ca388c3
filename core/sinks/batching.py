"""Group commit: concurrent single writes from the engine's workers sent as one bulk request.

The engine calls ``sink.put_pipeline(request)`` from its worker threads and needs each pipeline's answer
before it writes that pipeline's statuses. :class:`GroupCommit` turns those concurrent calls into batches
without a timer: the first caller to arrive while no batch is being sent sends at once (alone, if it is
alone: no caller ever waits for company); callers arriving while a batch is in flight queue up, and the
next free caller sends all of them (at most ``max_batch``) as the next batch. So an idle run costs no
added latency, and under load a batch holds every worker that reached its write during the previous round
trip. Each caller gets its own row's outcome (a value, or the exception for that row).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass
class _Pending(Generic[In, Out]):
    item: In
    done: bool = False
    value: Out | None = None
    error: BaseException | None = field(default=None, repr=False)


class GroupCommit(Generic[In, Out]):
    """Batches concurrent :meth:`submit` calls into calls of ``send`` (thread-safe).

    Args:
        send: sends one batch; returns one outcome per item, in order: the item's value, or the
            exception that item alone failed with. An exception it raises fails every item of the batch.
        max_batch: the most items one batch holds (at least 1).
        max_in_flight: how many batches may be in flight at once (at least 1).
    """

    def __init__(
        self,
        send: Callable[[list[In]], Sequence[Out | BaseException]],
        *,
        max_batch: int,
        max_in_flight: int = 1,
    ) -> None:
        """See the class docstring."""
        self._send = send
        self.max_batch = max(1, max_batch)
        self.max_in_flight = max(1, max_in_flight)
        self._cond = threading.Condition()
        self._queue: list[_Pending[In, Out]] = []
        self._in_flight = 0
        #: sizes of the batches sent so far (for tests and the report)
        self.batch_sizes: list[int] = []

    def submit(self, item: In) -> Out:
        """Send ``item`` in the next batch and return its outcome.

        Raises:
            BaseException: whatever this item failed with (its own error, or its batch's).
        """
        pending: _Pending[In, Out] = _Pending(item)
        with self._cond:
            self._queue.append(pending)
        while True:
            with self._cond:
                # an empty queue with our item not done: it rides in a batch already in flight
                while not pending.done and (self._in_flight >= self.max_in_flight or not self._queue):
                    self._cond.wait()
                if pending.done:
                    break
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                self._in_flight += 1
                self.batch_sizes.append(len(batch))
            try:
                self._run(batch)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending.value  # type: ignore[return-value]  # done without error: the value was set

    def _run(self, batch: list[_Pending[In, Out]]) -> None:
        """Send one batch and hand each pending item its outcome (never raises for the batch's errors)."""
        try:
            outcomes = list(self._send([pending.item for pending in batch]))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} got {len(outcomes)} outcomes")
        except BaseException as err:  # noqa: BLE001 -- handed to every caller of the batch, each re-raises it
            outcomes = [err] * len(batch)
        with self._cond:
            for pending, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    pending.error = outcome
                else:
                    pending.value = outcome
                pending.done = True
