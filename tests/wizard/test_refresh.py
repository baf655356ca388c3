"""Live panels slow their own refresh when their runs are slow (ui/refresh.py), so the page still goes idle.

Measured in Chromium with Streamlit 1.67: a ``run_every=1.0`` fragment whose runs take 0.95 s never let the
page report "notRunning" in 30 s. These tests drive :func:`ui.refresh.timed` with a fake clock (no sleeps,
no timing): each run of the panel "takes" what the test says.
"""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from ui import refresh


@pytest.mark.parametrize(
    ("base_s", "run_s", "expected"),
    [
        (1.0, 0.0, 1.0),
        (1.0, 0.25, 1.0),  # exactly a quarter: the base is enough
        (1.0, 0.3, 1.5),  # needs 1.2 s, rounded up to the half second
        (1.0, 0.95, 4.0),  # the measured case: 3.8 s
        (0.5, 0.2, 1.0),
        (2.0, 0.6, 2.5),
        (1.0, 30.0, refresh.MAX_INTERVAL_S),  # however slow, at least every 10 s
        (12.0, 30.0, 12.0),  # never below the base
    ],
)
def test_the_interval_keeps_the_panel_busy_at_most_a_quarter_of_the_time(
    base_s: float, run_s: float, expected: float
) -> None:
    assert refresh.interval_for(base_s, run_s) == expected


def _panel_script() -> None:
    import streamlit as st

    from ui import refresh

    st.session_state.setdefault("renders", 0)
    live = st.session_state.get("live", True)
    if not live:
        refresh.forget("panel")
    with refresh.timed("panel", 1.0, live=live):
        st.session_state.renders += 1
    st.markdown(f"every {refresh.every('panel', 1.0)}")


class _Clock:
    """``time.monotonic`` for ui.refresh: each run of the panel lasts ``run_s`` (start and end calls alternate)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.run_s = 0.0
        self._starting = True

    def monotonic(self) -> float:
        if not self._starting:
            self.now += self.run_s
        self._starting = not self._starting
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(refresh, "time", fake)
    return fake


def _every(app: Any) -> str:
    return str(app.markdown[-1].value)


def test_fast_runs_keep_the_base_interval(clock: _Clock) -> None:
    app = AppTest.from_function(_panel_script)
    clock.run_s = 0.1
    for _ in range(3):
        app.run()
        assert _every(app) == "every 1.0"


def test_one_slow_run_is_not_enough_two_in_a_row_stretch_the_interval_with_a_full_rerun(clock: _Clock) -> None:
    app = AppTest.from_function(_panel_script)
    clock.run_s = 0.1
    app.run()
    clock.run_s = 0.95  # the first render of a table imports pandas: one slow run
    app.run()
    assert _every(app) == "every 1.0"
    clock.run_s = 0.1
    app.run()
    assert _every(app) == "every 1.0"
    clock.run_s = 0.95
    app.run()
    app.run()
    assert _every(app) == "every 4.0"
    assert not app.exception


def test_the_stretched_interval_is_applied_by_a_full_rerun(clock: _Clock) -> None:
    app = AppTest.from_function(_panel_script)
    clock.run_s = 0.95
    app.run()
    renders = app.session_state.renders
    app.run()  # the second slow run: st.rerun(), so the script runs again within this run
    assert app.session_state.renders == renders + 2
    assert _every(app) == "every 4.0"


def test_a_panel_that_stops_being_live_starts_again_at_its_base(clock: _Clock) -> None:
    app = AppTest.from_function(_panel_script)
    clock.run_s = 3.0
    app.run()
    app.run()
    assert _every(app) == f"every {refresh.MAX_INTERVAL_S}"
    app.session_state.live = False
    app.run()
    assert _every(app) == "every 1.0"
    app.session_state.live = True
    clock.run_s = 0.1
    app.run()
    assert _every(app) == "every 1.0"


def test_the_live_pages_declare_their_fragments_with_the_stretched_interval() -> None:
    """The preview and both run panels read their interval from ui.refresh and time their runs."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "ui" / "app_pages"
    filters = (root / "filters.py").read_text(encoding="utf-8")
    run = (root / "run.py").read_text(encoding="utf-8")
    assert 'run_every=refresh.every("preview", PREVIEW_EVERY_S)' in filters
    assert 'refresh.timed("preview", PREVIEW_EVERY_S, live=listing)' in filters
    for name, base in (("run_progress", "PROGRESS_EVERY_S"), ("run_history", "HISTORY_EVERY_S")):
        assert f'run_every=refresh.every("{name}", {base})' in run
        assert f'refresh.timed("{name}", {base}, live=running)' in run
