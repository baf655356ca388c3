"""Small faults a new-user review saw in Chromium: a URL of no page, a link to a deleted ingestion, a name
that Streamlit's markdown would link, and a token lost to the Tab key. Screenshots go to
test-artifacts/screenshots/polish-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
TOKEN = "dapi-0123456789abcdef-POLISHTAB"
NAME = "see https://example.com/x **bold** [a](b) ops@example.com :smile: :material/home:"


def _idle(page: Any, timeout_ms: float = 60_000) -> None:
    page.wait_for_timeout(250)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout_ms
    )
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)


def _shot(page: Any, name: str) -> None:
    _idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"polish-{name}.png"))
    assert not page.get_by_test_id("stException").count(), f"an exception is shown on {name}"


def _type(page: Any, label: str, value: str) -> None:
    field = page.get_by_role("textbox", name=label, exact=True)
    field.fill(value)
    field.press("Enter")
    _idle(page)


def _first_step(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", name="Databricks")).to_be_visible(timeout=120_000)
    _idle(page, 120_000)


def test_a_token_typed_then_tab_then_a_click_elsewhere_is_kept(server: Any, page: Any) -> None:
    """Tab from a password field used to land on its show-password button, and the value was never sent."""
    from playwright.sync_api import expect

    _first_step(page, server.url)
    _type(page, "Service name", "prod_dbx")
    _type(page, "Workspace host", "adb-1234567890123456.7.azuredatabricks.net")
    field = page.get_by_role("textbox", name="Personal access token", exact=True)
    field.click()
    field.press_sequentially(TOKEN, delay=10)
    field.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") != "Show password"
    page.get_by_role("button", name="Test connection →").click()
    _idle(page)
    expect(page.get_by_role("heading", name="Test connection")).to_be_visible()
    expect(page.get_by_text("Fill in step 1 first.")).to_have_count(0)
    expect(page.get_by_role("button", name="Test Databricks")).to_be_enabled()
    _shot(page, "token-after-tab")
    page.get_by_test_id("stSidebarNav").get_by_text("1. Databricks", exact=True).click()
    _idle(page)
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()
    assert not page.get_by_role("button", name="Show password").count()
    assert TOKEN not in page.content()


def test_every_url_lands_on_a_page_and_a_missing_ingestion_is_one_sentence(server: Any, page: Any) -> None:
    from playwright.sync_api import expect

    _first_step(page, server.url)
    _type(page, "Service name", "kept_dbx")
    kept = re.search(r"ingestion=([^&]+)", page.url)
    assert kept, page.url
    for path, heading in (
        ("/open", "Saved ingestions"),  # the router's old path: now a URL of no page, like any typo
        ("/no-such-page", "Saved ingestions"),
        ("/", "Saved ingestions"),
        (f"/run?ingestion={kept.group(1)}", "Run now"),
        ("/start", "Saved ingestions"),
    ):
        page.goto(server.url + path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=120_000)
        _idle(page)
        assert not page.get_by_test_id("stException").count(), path
    for wanted in ("zzzz9999", "%2A%2Ax%2A%2A%20https%3A%2F%2Fe.vil"):
        for path in ("/", "/start", "/databricks"):
            page.goto(f"{server.url}{path}?ingestion={wanted}")
            sentence = page.get_by_text(re.compile(r"^There is no saved ingestion '.+' \(it was deleted"))
            expect(sentence).to_be_visible(timeout=120_000)
            _idle(page)
            assert "ingestion=" not in page.url  # a reload starts clean
            assert not sentence.locator("a").count()
            expect(
                page.get_by_role(
                    "heading", name="Databricks" if path == "/databricks" else "Saved ingestions"
                )
            ).to_be_visible()
    _shot(page, "missing-ingestion")


def _copied(locator: Any) -> str:
    """The text a user selecting the element would copy."""
    return str(
        locator.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e); const s = getSelection();"
            " s.removeAllRanges(); s.addRange(r); return s.toString(); }"
        )
    ).strip()


def test_a_name_shows_and_copies_as_typed_never_as_links_or_markdown(server: Any, page: Any) -> None:
    from playwright.sync_api import expect

    _first_step(page, server.url)
    _type(page, "Service name", "named_dbx")
    page.get_by_test_id("stSidebarNav").get_by_text("Saved ingestions", exact=True).click()
    _idle(page)
    page.get_by_role("button", name="Rename").click()
    _idle(page)
    _type(page, "New name", NAME)  # Enter submits the rename form: the name is saved, the form closes
    expect(page.get_by_role("button", name="Save name")).to_have_count(0)

    # the name is bold in the start page's row and in the sidebar (after the sidebar's own bookmark icon)
    row = page.get_by_test_id("stMain").get_by_test_id("stMarkdownContainer").locator("strong").first
    sidebar = page.get_by_test_id("stSidebar").get_by_test_id("stMarkdownContainer").locator("strong").first
    for where in (row, sidebar):
        expect(where).to_be_visible()
        assert not where.locator("a, em, strong, img, [role='img'], .katex").count(), where.inner_html()
        assert _copied(where) == NAME, _copied(where)
    page.get_by_role("button", name="Delete").click()
    _idle(page)
    question = page.get_by_test_id("stAlert").filter(has_text="and its run history?")
    assert not question.locator("a").count() and NAME in _copied(question)
    _shot(page, "name-as-typed")
