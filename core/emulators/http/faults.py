"""Fault injection and holds: what an emulator does instead of (or before) answering a request."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any


class FaultKind(str, Enum):
    """What an injected fault does to a matching request (shared by both emulators).

    A ``str`` subclass, so ``FaultKind.RESET == "reset"`` and call sites that pass plain strings keep
    working; :meth:`parse` turns such a string into a member and refuses unknown kinds.
    """

    STATUS = "status"
    """Answer ``Fault.status`` with ``Fault.body`` (and ``Retry-After`` when ``Fault.retry_after`` is set)."""
    RESET = "reset"
    """Close the socket without an answer (SO_LINGER 0, so the client sees a connection reset)."""
    DELAY = "delay"
    """Sleep ``Fault.delay_s``, then answer normally; beyond the client's read timeout this is a timeout."""
    TRUNCATE = "truncate"
    """Send a valid header and half the body, then close the connection."""
    NOT_JSON = "not_json"
    """Answer 200 with an HTML body, as a proxy or gateway error page would."""

    def __str__(self) -> str:
        """The bare value (``"reset"``), so ``f"fault:{kind}"`` reads the same on every Python version."""
        return self.value

    @classmethod
    def parse(cls, kind: str | FaultKind) -> FaultKind:
        """The member for ``kind`` (a member or its string value).

        Raises:
            ValueError: ``kind`` is no fault kind; the message names the valid ones.
        """
        try:
            return cls(kind)
        except ValueError:
            valid = ", ".join(member.value for member in cls)
            raise ValueError(f"unknown fault kind {kind!r}; valid kinds: {valid}") from None


@dataclass
class Fault:
    """One injected failure.

    Attributes:
        kind: what the fault does, a :class:`FaultKind` (a plain string such as ``"reset"`` is converted;
            an unknown one raises ``ValueError`` naming the valid kinds).
        path: regular expression searched in the request path (``""`` matches every path).
        method: HTTP method, or ``None`` for all.
        times: how many matching requests it fires on; ``None`` for unlimited.
        probability: chance of firing on a matching request (seeded RNG, so runs are repeatable).
        status, body, retry_after: for ``FaultKind.STATUS``; ``retry_after`` adds a ``Retry-After`` header.
        delay_s: for ``FaultKind.DELAY``.

    Raises:
        ValueError: ``kind`` is no :class:`FaultKind`.
    """

    kind: FaultKind | str = FaultKind.STATUS
    path: str = ""
    method: str | None = None
    times: int | None = 1
    probability: float = 1.0
    status: int = 500
    body: Any = None
    retry_after: int | None = None
    delay_s: float = 0.0
    fired: int = 0

    def __post_init__(self) -> None:
        self.kind = FaultKind.parse(self.kind)

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request (ignoring ``times`` and ``probability``)."""
        if self.method and self.method != method:
            return False
        return re.search(self.path, path) is not None


class Hold:
    """A gate for requests: matching requests wait until :meth:`release`, so a run is held at a known point.

    The first ``after`` matching requests pass; every later one waits (before latency and faults apply)
    until the hold is released. A test waits with :meth:`wait_until_held` until the run is parked there,
    acts (stop, signal, inspect), then releases. Leaving the ``with`` block releases too, as does stopping
    the server, so a failing test never leaves server threads blocked.

    Example:
        >>> with server.hold(r"/jobs/list$", after=1) as gate:  # page 1 passes, page 2 waits
        ...     start_the_run()
        ...     gate.wait_until_held()  # the run is now between page 1 and page 2
        ...     stop_the_run()

    Attributes:
        path: regular expression searched in the request path (``""`` matches every path).
        method: HTTP method, or ``None`` for all.
        after: how many matching requests pass before the gate closes.
        seen: matching requests so far (passed and held).
        held: matching requests that waited, or are waiting, at the gate.
        first_held: ``"METHOD /path"`` of the first request the gate held (None before one arrives).
    """

    def __init__(self, path: str = "", method: str | None = None, after: int = 0) -> None:
        """An open gate for requests matching ``method``/``path`` (see Attributes) that closes after ``after``."""
        self.path = path
        self.method = method
        self.after = after
        self.seen = 0
        self.held = 0
        self.first_held: str | None = None
        self._cond = threading.Condition()
        self._released = threading.Event()

    def matches(self, method: str, path: str) -> bool:
        """Whether this hold applies to a request (ignoring ``after``)."""
        if self.method and self.method != method:
            return False
        return re.search(self.path, path) is not None

    @property
    def released(self) -> bool:
        """True once :meth:`release` was called."""
        return self._released.is_set()

    def wait_until_held(self, count: int = 1, timeout_s: float = 60.0) -> None:
        """Block until ``count`` requests have reached the gate.

        ``timeout_s`` only guards against a hang (the run never got there); it is not a timing.

        Raises:
            TimeoutError: fewer than ``count`` requests arrived within ``timeout_s``.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self.held >= count, timeout_s):
                raise TimeoutError(
                    f"{self.held} of {count} requests held at {self.method or '*'} {self.path!r} "
                    f"after {timeout_s:.0f} s ({self.seen} matching requests seen)"
                )

    def release(self) -> None:
        """Let every held request (and every later one) through."""
        self._released.set()

    def _arrive(self, method: str, path: str) -> None:
        """Count a request and, when the gate is closed for it, wait until released (server threads)."""
        if self._released.is_set() or not self.matches(method, path):
            return
        with self._cond:
            self.seen += 1
            if self.seen <= self.after:
                return
            self.held += 1
            if self.first_held is None:
                self.first_held = f"{method} {path}"
            self._cond.notify_all()
        self._released.wait()

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
