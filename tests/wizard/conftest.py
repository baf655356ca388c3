"""Fixtures for driving the wizard with Streamlit's AppTest (no browser).

AppTest runs the app's scripts in this process, so the demo emulators that ``ui.services`` starts once per
process are shared with the test, which can read the demo workspace to compute expected numbers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "ui" / "streamlit_app.py"
PAGES = [
    "app_pages/databricks.py",
    "app_pages/test_connection.py",
    "app_pages/filters.py",
    "app_pages/options.py",
    "app_pages/sink.py",
    "app_pages/schedule.py",
    "app_pages/review.py",
    "app_pages/run.py",
]


@pytest.fixture
def new_app() -> Callable[[], AppTest]:
    """A fresh session of the wizard (not yet run)."""
    return lambda: AppTest.from_file(str(APP), default_timeout=60)


def texts(at: AppTest) -> list[str]:
    """Every markdown, caption, alert and code text on the page, for content assertions."""
    found: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "code", "title", "subheader"):
        found += [str(element.value) for element in getattr(at, kind)]
    found += [str(status.label) for status in at.status]
    return found


def wait_for(at: AppTest, predicate: Callable[[AppTest], bool], timeout_s: float = 60.0) -> AppTest:
    """Rerun the app until ``predicate`` holds: background work (listing, runs) finishes between reruns."""
    deadline = time.monotonic() + timeout_s
    while True:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if predicate(at):
            return at
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; the page shows: {texts(at)[:30]}")
        time.sleep(0.2)


def find(at: AppTest, pattern: str) -> re.Match[str] | None:
    """The first page text matching ``pattern``."""
    for text in texts(at):
        match = re.search(pattern, text)
        if match:
            return match
    return None


@pytest.fixture
def h() -> SimpleNamespace:
    """``h.texts``, ``h.wait_for`` and ``h.find`` (test modules cannot import conftest)."""
    return SimpleNamespace(texts=texts, wait_for=wait_for, find=find, pages=PAGES)


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every wizard test saves into its own empty data directory (``DBX_PIPELINE_HOME``), never the user's.

    The secrets kept in memory by ingestion id are forgotten after each test, as a restart would.
    """
    from ui.services.saved import clear_vault
    from ui.store import close_stores

    home = tmp_path / "dbx-pipeline-home"
    monkeypatch.setenv("DBX_PIPELINE_HOME", str(home))
    yield home
    close_stores()
    clear_vault()
