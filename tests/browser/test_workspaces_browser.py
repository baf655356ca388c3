"""Add a second workspace on the review step in a real browser and download the zip it makes.

The page HTML is searched for the typed token after it was saved; the zip must hold one YAML per
workspace and a DAG mapped over them (``.expand(``), with references in place of every secret.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from tests.browser.test_wizard_browser import EXPECT_TIMEOUT_MS, SECRETS, SHOTS, _go, _idle

TYPED_TOKEN = "dapi-browser-second-workspace-0123456789"
DAG_ID = "demo_databricks_to_openmetadata"


def _type(page: Any, key: str, text: str) -> None:
    field = page.locator(f".st-key-{key} input")
    field.fill(text)
    field.press("Enter")
    _idle(page)


def test_add_a_workspace_and_download_its_zip(server: Any, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    page.goto(server.url)
    expect(page.get_by_text("Try with demo data")).to_be_visible(timeout=120_000)
    _idle(page, timeout_ms=120_000)
    page.get_by_text("Try with demo data").click()
    _idle(page)
    host_field = page.locator(".st-key-dbx_host input")
    expect(host_field).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+$"))
    host = host_field.input_value()

    _go(page, "7. Review & export")
    page.get_by_role("button", name="Add another workspace to this DAG").click()
    _idle(page)
    _type(page, "review_ws2_service_name", "finance_databricks")
    _type(page, "review_ws2_host", host)
    _type(page, "review_ws2_token", TYPED_TOKEN)
    expect(page.locator(".st-key-review_ws2_token input")).to_have_value("")
    expect(page.get_by_role("button", name="Download all (.zip)")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "07-review-two-workspaces.png"), full_page=True)
    html = page.content()
    for secret in (TYPED_TOKEN, *SECRETS):
        assert secret not in html

    with page.expect_download() as download:
        page.get_by_role("button", name="Download all (.zip)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    texts = {name: archive.read(name).decode() for name in archive.namelist() if not name.endswith(".whl")}
    assert sorted(name for name in texts if name.endswith(".yaml")) == [
        f"{DAG_ID}.demo_databricks.yaml",
        f"{DAG_ID}.finance_databricks.yaml",
    ]
    assert ".expand(" in texts[f"{DAG_ID}.py"]
    assert "${DATABRICKS_TOKEN_FINANCE_DATABRICKS}" in texts[f"{DAG_ID}.finance_databricks.yaml"]
    for secret in (TYPED_TOKEN, *SECRETS):
        assert all(secret not in text for text in texts.values())
