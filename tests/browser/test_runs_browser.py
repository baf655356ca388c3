"""Run now's results and history in a real browser: a dry run, then a run, both in the history; an earlier
run opened from the history with its own report; the log downloaded and free of secrets.

Screenshots go to test-artifacts/screenshots/ (``runs-*.png``); each page's HTML is searched for the demo
token and JWT.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
SECRETS = (inspect.signature(DatabricksEmulator).parameters["token"].default, DEFAULT_JWT)


def _idle(page: Any, timeout_ms: float = 60_000) -> None:
    page.wait_for_timeout(250)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout_ms
    )
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"runs-{name}.png"), full_page=True)
    html = page.content()
    for secret in SECRETS:
        assert secret not in html, f"a secret reached the page ({name})"
    assert not page.get_by_test_id("stException").count(), f"an exception is shown ({name})"


def test_results_history_and_log_in_a_real_browser(server: Any, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    page.goto(server.url)
    expect(page.get_by_text("Try with demo data")).to_be_visible(timeout=120_000)
    _idle(page, 120_000)
    page.get_by_text("Try with demo data").click()
    _idle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("8. Run now", exact=True).click()
    _idle(page)
    page.get_by_role("button", name="Reset the demo catalogue").click()
    _idle(page)

    # A dry run says what would be written, in its own words.
    page.get_by_text("Dry run: read everything, write nothing").click()
    _idle(page)
    page.get_by_role("button", name="Dry run now").click()
    expect(
        page.get_by_text(re.compile(r"Dry run finished: nothing was written\. [\d,]+ would be created")).first
    ).to_be_visible()
    _idle(page)
    _shot(page, "dry-run")

    # Then a real run; the history lists both, newest first.
    page.get_by_text("Dry run: read everything, write nothing").click()
    _idle(page)
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_text(re.compile(r"^Run finished\. [\d,]+ created")).first).to_be_visible()
    _idle(page)
    expect(page.get_by_text("Wrote to OpenMetadata at").first).to_be_visible()
    history = page.get_by_test_id("stDataFrame").last
    expect(history).to_be_visible()
    _shot(page, "run")

    # Open the dry run from the history: its report, not the latest one's.
    page.locator(".st-key-run_history_open").get_by_role("combobox").click()
    options = page.get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(1)).to_contain_text("dry run")
    options.nth(1).click()
    _idle(page)
    # the latest run is a real run: a "Dry run finished" on the page is the opened run's report
    expect(page.get_by_text(re.compile("^Dry run finished")).first).to_be_visible()
    _shot(page, "history-open")

    # The log of the opened run, downloaded: the engine's lines and phases, no secret.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the log").last.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    log = path.read_text()
    assert re.search(r"dry run [0-9a-f]{32} started", log)
    assert "phase listing" in log and "ended: ok" in log
    for secret in SECRETS:
        assert secret not in log
