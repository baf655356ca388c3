"""Saved ingestions in a real browser: F5 keeps every value, and no secret reaches the database file, the
page source or the server's log. Screenshots of the start page and each step go to
test-artifacts/screenshots/saved-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
TOKEN = "dapi-feedc0ffee0123456789-BROWSERSAVED"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.BROWSERSAVEDSIGNATURE"
EXPECT_TIMEOUT_MS = 60_000


def _idle(page: Any, timeout_ms: float = 30_000) -> None:
    page.wait_for_timeout(250)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout_ms
    )
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)


def _shot(page: Any, name: str) -> None:
    _idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"saved-{name}.png"))
    html = page.content()
    assert TOKEN not in html and JWT not in html, f"a secret reached the page source on {name}"
    assert not page.get_by_test_id("stException").count(), f"an exception is shown on {name}"


def _go(page: Any, label: str) -> None:
    _idle(page)
    page.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()
    _idle(page)


def _type(page: Any, label: str, value: str) -> None:
    field = page.get_by_role("textbox", name=label, exact=True)
    field.fill(value)
    field.press("Enter")
    _idle(page)


def test_a_reload_keeps_every_value_and_no_secret_is_stored_shown_or_logged(
    server: Any, page: Any, data_home: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    page.goto(server.url)
    expect(page.get_by_role("heading", name="Databricks")).to_be_visible(timeout=120_000)
    _idle(page, timeout_ms=120_000)

    _type(page, "Service name", "prod_dbx")
    _type(page, "Workspace host", "adb-1234567890123456.7.azuredatabricks.net")
    _type(page, "Personal access token", TOKEN)
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()
    _type(page, "SQL warehouse HTTP path (optional, for lineage)", "/sql/1.0/warehouses/abc123def456")
    _shot(page, "01-databricks")
    _go(page, "4. Options")
    page.get_by_text("Include tags (includeTags)", exact=True).click()
    _type(page, "Database services for lineage (dbServiceNames)", "unity_catalog, hive")
    _shot(page, "04-options")
    _go(page, "5. Sink")
    _type(page, "OpenMetadata URL", "https://om.example.com/api")
    _type(page, "Ingestion bot JWT", JWT)
    _shot(page, "05-sink")
    _go(page, "6. Schedule & DAG")
    _type(page, "DAG id", "nightly_prod_dbx")
    _type(page, "Owner", "data-eng")
    _shot(page, "06-schedule")
    assert "ingestion=" in page.url

    page.reload()  # F5
    expect(page.get_by_role("textbox", name="DAG id", exact=True)).to_have_value(
        "nightly_prod_dbx", timeout=120_000
    )
    expect(page.get_by_role("textbox", name="Owner", exact=True)).to_have_value("data-eng")
    _go(page, "1. Databricks")
    expect(page.get_by_role("textbox", name="Service name", exact=True)).to_have_value("prod_dbx")
    expect(page.get_by_role("textbox", name="Workspace host", exact=True)).to_have_value(
        "adb-1234567890123456.7.azuredatabricks.net"
    )
    expect(
        page.get_by_role("textbox", name="SQL warehouse HTTP path (optional, for lineage)", exact=True)
    ).to_have_value("/sql/1.0/warehouses/abc123def456")
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()  # the token, from memory
    _shot(page, "01-databricks-after-reload")
    _go(page, "4. Options")
    tags = page.locator("label", has_text="Include tags (includeTags)").locator("input")
    expect(tags).to_have_count(1)
    expect(tags).not_to_be_checked()
    expect(
        page.get_by_role("textbox", name="Database services for lineage (dbServiceNames)", exact=True)
    ).to_have_value("unity_catalog, hive")
    _go(page, "5. Sink")
    expect(page.get_by_role("textbox", name="OpenMetadata URL", exact=True)).to_have_value(
        "https://om.example.com/api"
    )
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()  # the JWT, from memory
    for number, label in ((2, "2. Test connection"), (3, "3. Filters & preview"), (7, "7. Review & export"),
                          (8, "8. Run now")):  # fmt: skip
        _go(page, label)
        _shot(page, f"{number:02d}-{label.split('. ')[1].split()[0].lower()}")

    _go(page, "Saved ingestions")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("prod_dbx on adb-1234567890123456.7.azuredatabricks.net")).to_be_visible()
    expect(main.get_by_text("open in this tab")).to_be_visible()
    expect(main.get_by_role("button", name="Continue")).to_be_visible()
    _shot(page, "00-start")

    stored = b"".join(path.read_bytes() for path in sorted(data_home.glob("wizard.sqlite3*")))
    assert b"nightly_prod_dbx" in stored  # the settings are there...
    assert TOKEN.encode() not in stored and JWT.encode() not in stored  # ...their secrets are not
    log = server.log.read_text(errors="replace")
    assert TOKEN not in log and JWT not in log


_STEP_PATHS = [
    ("databricks", "Databricks"),
    ("test", "Test connection"),
    ("filters", "Filters & preview"),
    ("options", "Options"),
    ("sink", "Sink"),
    ("schedule", "Schedule & DAG"),
    ("review", "Review & export"),
    ("run", "Run now"),
    ("start", "Saved ingestions"),
]


def _lands_on(page: Any, path: str, heading: str) -> None:
    """The page at ``/path`` is shown, with no "Page not found" dialog and no exception."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=120_000)
    _idle(page, timeout_ms=120_000)
    assert not page.get_by_text("Page not found").count(), f"'Page not found' on /{path}"
    assert not page.get_by_test_id("stException").count(), f"an exception is shown on /{path}"
    assert page.url.split("?")[0].rstrip("/").endswith(f"/{path}"), page.url


def test_every_page_url_reloads_to_itself_with_no_page_not_found(
    server: Any, page: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    page.goto(server.url)  # nothing saved: the root opens step 1
    _lands_on(page, "databricks", "Databricks")
    _type(page, "Service name", "prod_dbx")
    assert "ingestion=" in page.url
    ingestion = page.url.split("ingestion=")[1].split("&")[0]

    for path, heading in _STEP_PATHS:  # each page's own URL, typed in, then reloaded
        page.goto(f"{server.url}/{path}?ingestion={ingestion}")
        _lands_on(page, path, heading)
        page.reload()
        _lands_on(page, path, heading)

    page.goto(f"{server.url}/?ingestion={ingestion}")  # the root with an id (an older bookmark) opens step 1
    _lands_on(page, "databricks", "Databricks")
    expect(page.get_by_role("textbox", name="Service name", exact=True)).to_have_value("prod_dbx")
    assert f"ingestion={ingestion}" in page.url

    page.goto(server.url)  # something is saved and this tab is new: the root opens the start page
    _lands_on(page, "start", "Saved ingestions")
    page.get_by_test_id("stMain").get_by_role("button", name="New ingestion").click()
    _lands_on(page, "databricks", "Databricks")
    _type(page, "Service name", "finance_dbx")
    assert "ingestion=" in page.url and ingestion not in page.url
    page.reload()  # step 1 of a new ingestion, reloaded
    _lands_on(page, "databricks", "Databricks")
    expect(page.get_by_role("textbox", name="Service name", exact=True)).to_have_value("finance_dbx")

    fresh = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    try:
        fresh.goto(f"{server.url}/start")  # a bookmarked start page in a fresh tab
        _lands_on(fresh, "start", "Saved ingestions")
        fresh.reload()
        _lands_on(fresh, "start", "Saved ingestions")
    finally:
        fresh.context.close()


def test_f5_on_step_2_keeps_the_last_test_and_a_restart_shows_it_stale(
    server: Any, page: Any, start_server: Any
) -> None:
    import re

    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    page.goto(server.url)
    expect(page.get_by_text("Try with demo data")).to_be_visible(timeout=120_000)
    _idle(page, timeout_ms=120_000)
    page.get_by_text("Try with demo data").click()
    _go(page, "2. Test connection")
    page.get_by_role("button", name="Test connections").click()
    passed = page.get_by_text("Databricks: 5 of 5 checks passed", exact=True)
    expect(passed).to_be_visible(timeout=120_000)
    expect(page.get_by_text("OpenMetadata: 4 of 4 checks passed", exact=True)).to_be_visible()
    when = re.compile(r"Databricks tested (just now|1 min ago) \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)")
    stamp = page.get_by_text(when).first.inner_text()
    assert "/test" in page.url and "ingestion=" in page.url

    page.reload()  # F5 on step 2: the same results, with the same time, and not stale
    expect(page.get_by_text("Databricks: 5 of 5 checks passed", exact=True)).to_be_visible(timeout=120_000)
    expect(page.get_by_text("OpenMetadata: 4 of 4 checks passed", exact=True)).to_be_visible()
    expect(page.get_by_text(when).first).to_be_visible()
    assert page.get_by_text(when).first.inner_text().split("(")[1] == stamp.split("(")[1]
    assert not page.get_by_text(re.compile(r"^Stale")).count()
    _shot(page, "02-test-after-reload")

    url = page.url.replace(server.url, "")
    server.stop()  # a restart: the demo's emulators come back on other ports, so the kept test is stale
    again = start_server("streamlit-restarted.log")
    page.goto(f"{again.url}{url}")
    # the stale mark names the setting that changed: the demo emulator's host (its port is new)
    expect(page.get_by_text(re.compile(r"Stale: Databricks was tested .*the host")).first).to_be_visible(
        timeout=120_000
    )
    expect(
        page.get_by_text("Databricks: 5 of 5 checks passed (stale — test again)", exact=True)
    ).to_be_visible()
    _shot(page, "02-test-after-restart")
