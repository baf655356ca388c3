"""How often a live panel re-renders itself: at its base interval, or slower when its own runs are slow.

A ``st.fragment(run_every=s)`` asks the server for a rerun every ``s`` seconds. When the fragment itself takes
close to ``s`` (a 20,000-row preview, a machine busy importing the engine, a loaded CI runner), the reruns
come back to back: the page is never idle, a click waits behind a queue of reruns, and the browser reports
the script as running for as long as the listing lasts. Measured with Streamlit 1.67 and Chromium: a
fragment taking 0.95 s under ``run_every=1.0`` kept ``data-test-script-state`` at "running" for 30 s
without a break; at 0.3 s the page was idle within 1.2 s.

So each live panel times its own runs (:func:`timed`) and its interval is stretched until its runs fill at
most :data:`BUSY_SHARE` of it, in half-second steps, up to :data:`MAX_INTERVAL_S`. A single slow run does not
count (the first render of a table imports pandas): two in a row do. The stretched interval lives in the
session and applies from the next full rerun, which :func:`timed` asks for; :func:`forget` drops it when the
panel stops being live, so the next listing or run starts at the base interval again.

What is timed is the server's run of the panel. The browser counts the page busy for longer (the deltas'
transport and its own rendering): a review measured 0.8 to 1.2 s of every 1.5 s under three CPU-bound
processes on one core, where the server timed 0.07 to 0.27 s. The page still went idle between refreshes,
which is what this guarantees; "a quarter" holds for the server's share only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

__all__ = ["BUSY_SHARE", "MAX_INTERVAL_S", "every", "forget", "interval_for", "timed"]

#: the largest share of its interval a live panel's own runs may take
BUSY_SHARE = 0.25
#: a live panel re-renders at least this often (seconds), however slow its runs
MAX_INTERVAL_S = 10.0
_PREFIX = "_refresh_"


def interval_for(base_s: float, run_s: float) -> float:
    """The interval (seconds) under which runs of ``run_s`` seconds keep the page busy at most ``BUSY_SHARE``.

    ``base_s`` when that is already enough; otherwise rounded up to the half second, at most
    ``MAX_INTERVAL_S`` (and never below ``base_s``).
    """
    needed = run_s / BUSY_SHARE
    if needed <= base_s:
        return base_s
    return max(base_s, min(MAX_INTERVAL_S, math.ceil(needed * 2) / 2))


def every(name: str, base_s: float) -> float:
    """The current interval (seconds) of the live panel ``name``: ``base_s`` until its runs proved slow."""
    value = st.session_state.get(f"{_PREFIX}{name}")
    return float(value["every"]) if isinstance(value, dict) else base_s


def forget(name: str) -> None:
    """The panel is no longer live: its next life starts at its base interval."""
    st.session_state.pop(f"{_PREFIX}{name}", None)


@contextmanager
def timed(name: str, base_s: float, *, live: bool = True) -> Iterator[None]:
    """Time one run of the live panel ``name``; after two slow runs in a row, stretch its interval.

    Stretching asks for a full rerun (``st.rerun()``), since ``run_every`` is read when the fragment is
    declared. A run that ends in ``st.rerun()`` or an exception is not measured, nor one while the panel
    is not ``live`` (nothing re-renders it then).
    """
    if not live:
        yield
        return
    start = time.monotonic()
    yield
    run_s = time.monotonic() - start
    key = f"{_PREFIX}{name}"
    entry = st.session_state.get(key)
    current = every(name, base_s)
    previous_s = float(entry["last_s"]) if isinstance(entry, dict) else 0.0
    st.session_state[key] = {"every": current, "last_s": run_s}
    wanted = interval_for(base_s, min(run_s, previous_s))
    if wanted > current:
        st.session_state[key] = {"every": wanted, "last_s": run_s}
        st.rerun()
