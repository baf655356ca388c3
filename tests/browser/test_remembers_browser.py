"""The wizard remembers, across parts, in a real browser: a reload during a run reattaches to it, the history
survives a restart of the server, the dry run names what it would delete and why, and no secret is stored,
shown or logged anywhere along a whole flow with runs.

Runs are parked at a known point, never raced with sleeps: the demo's Databricks emulator runs inside the
wizard's server process, and the test holds its requests over HTTP (``/_emulator/holds``, the remote form of
``EmulatorServer.hold``), waits until the run is parked there, acts, then releases it.

Screenshots of every page visited go to test-artifacts/screenshots/remembers-*.png; each page's HTML is
searched for the demo's secrets (and, where typed, the test's own).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from tests.browser.test_wizard_browser import EXPECT_TIMEOUT_MS, SECRETS, SHOTS, _go, _idle

RUN_PAGE = "8. Run now"


def _shot(page: Any, name: str, secrets: tuple[str, ...] = SECRETS) -> str:
    """Screenshot the page, check it shows no exception and no secret; returns its HTML."""
    _idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"remembers-{name}.png"), full_page=True)
    html = str(page.content())
    for secret in secrets:
        assert secret not in html, f"a secret reached the page source on {name}"
    assert not page.get_by_test_id("stException").count(), f"an exception is shown on {name}"
    return html


def _open(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    page.goto(url)
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible(timeout=120_000)
    _idle(page, timeout_ms=120_000)


def _start_demo(page: Any) -> str:
    """Turn demo mode on (step 1); returns the demo Databricks emulator's URL, as step 1 shows it."""
    from playwright.sync_api import expect

    page.get_by_text("Try with demo data").click()
    _idle(page)
    host = page.locator(".st-key-dbx_host input")
    expect(host).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+$"))
    expect(page).to_have_url(re.compile(r"[?&]ingestion=\w+"))  # saved: the URL names the ingestion
    return str(host.input_value())


def _ingestion_id(page: Any) -> str:
    found = re.search(r"[?&]ingestion=(\w+)", page.url)
    assert found, page.url
    return found.group(1)


@contextmanager
def _held(emulator: str, path: str, after: int = 0) -> Iterator[None]:
    """Hold the demo emulator's requests to ``path`` (GET) after the first ``after``; release on exit."""
    answer = requests.post(
        f"{emulator}/_emulator/holds", json={"path": path, "method": "GET", "after": after}, timeout=10
    )
    answer.raise_for_status()
    try:
        yield
    finally:
        requests.post(f"{emulator}/_emulator/holds/release", timeout=10)


def _wait_until_parked(emulator: str, timeout_s: float = 120.0) -> None:
    """Block until a request waits at the hold (the run is parked); the timeout only guards a hang."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        holds = requests.get(f"{emulator}/_emulator/holds", timeout=10).json()["holds"]
        if any(hold["held"] and not hold["released"] for hold in holds):
            return
        time.sleep(0.1)
    raise AssertionError(f"the run never reached the hold within {timeout_s:.0f} s: {holds}")


def _history_options(page: Any) -> list[str]:
    """The run history's runs, as its "Open a run" list names them (newest first)."""
    from playwright.sync_api import expect

    box = page.locator(".st-key-run_history_open").get_by_role("combobox")
    expect(box).to_be_visible()
    box.click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    texts = [str(text) for text in options.all_inner_texts()]
    page.keyboard.press("Escape")
    _idle(page)
    return texts


def _open_history_run(page: Any, index: int) -> None:
    page.locator(".st-key-run_history_open").get_by_role("combobox").click()
    page.get_by_role("option").nth(index).click()
    _idle(page)


# -- 1. a reload during a run reattaches -----------------------------------------------------------------


def test_a_reload_during_a_run_reattaches_to_it_and_stop_works_from_the_reloaded_page(
    server: Any, page: Any
) -> None:
    from playwright.sync_api import expect

    _open(page, server.url)
    emulator = _start_demo(page)
    ingestion = _ingestion_id(page)
    _go(page, RUN_PAGE)
    page.get_by_role("button", name="Reset the demo catalogue").click()
    _idle(page)
    expect(page.get_by_text("No run yet.")).to_be_visible()

    # Park the run after a few jobs' runs were read: it is going, for sure, when the page reloads.
    with _held(emulator, r"/jobs/runs/get", after=10):
        page.get_by_role("button", name="Run now").click()
        _wait_until_parked(emulator)
        expect(page.get_by_text(re.compile(r"pipelines done")).first).to_be_visible()
        _shot(page, "1-run-going")

        page.reload()  # F5
        expect(page).to_have_url(re.compile(rf"/run\?ingestion={ingestion}$"))
        expect(
            page.get_by_text(re.compile(r"^Listing and ingesting pipelines: [\d,]+ pipelines done")).first
        ).to_be_visible(timeout=120_000)
        _idle(page)
        expect(page.get_by_text("No run yet.")).to_have_count(0)
        expect(
            page.get_by_text(re.compile(r"^A run of this ingestion is going, started at")).first
        ).to_be_visible()
        expect(page.get_by_role("button", name="Run now")).to_be_disabled()
        assert [option.split(" · ")[1:] for option in _history_options(page)] == [["run", "running"]]
        _shot(page, "1-reloaded-run-going")

        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_text(re.compile(r"stopping…")).first).to_be_visible()
        _shot(page, "1-reloaded-stopping")
    # released: the run goes on to its next pipeline boundary, and stops there

    expect(
        page.get_by_text(re.compile(r"^Run finished\. It was stopped before the end")).first
    ).to_be_visible(timeout=120_000)
    _idle(page)
    expect(page.get_by_role("button", name="Run now")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    assert [option.split(" · ")[1:] for option in _history_options(page)] == [["run", "stopped"]]
    _shot(page, "1-reloaded-stopped")
