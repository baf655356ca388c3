"""The task graph renders in a real browser: choose a demo job in the filter preview, get an SVG of its tasks.

Streamlit draws ``st.graphviz_chart`` in the browser (no graphviz binary on the server), so only a browser
proves the DOT the wizard writes is valid: every task must be an SVG node with its key and kind, and every
``depends_on`` an edge. The page is screenshotted uncoloured and coloured by the latest run.
"""

from __future__ import annotations

import re
from typing import Any

from core.emulators.workspace import Workspace, WorkspaceSpec
from tests.browser.test_wizard_browser import EXPECT_TIMEOUT_MS, SECRETS, SHOTS, _go, _idle
from ui.services.demo import DEMO_SPEC
from ui.services.task_graph import KIND_LABELS

JOB_INDEX = 0  # job 1000 of the demo workspace


def _choose(page: Any, widget: str, search: str, option: str, tries: int = 3) -> None:
    """Pick ``option`` in the selectbox ``widget`` by searching for ``search``.

    On a loaded machine the menu was seen to open with no option matching what was typed, for a minute
    (no script run in between: the page was idle). Each try opens the menu, waits until it is open,
    fills the search box in one step, and gives the option 15 s; a try that fails closes the menu first.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    picker = page.locator(f"{widget} input")
    for attempt in range(1, tries + 1):
        picker.click()
        expect(page.get_by_role("listbox")).to_be_visible()
        picker.fill(search)
        try:
            page.get_by_role("option", name=option).click(timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == tries:
                raise
            page.keyboard.press("Escape")
            _idle(page)


def test_selecting_a_job_renders_its_task_graph_as_svg(server: Any, page: Any) -> None:
    from playwright.sync_api import expect

    job = Workspace(WorkspaceSpec(**DEMO_SPEC)).job(JOB_INDEX)
    tasks = job["settings"]["tasks"]
    edges = sum(len(task.get("depends_on", [])) for task in tasks)
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    page.goto(server.url)
    expect(page.get_by_text("Try with demo data")).to_be_visible(timeout=120_000)
    _idle(page, timeout_ms=120_000)
    page.get_by_text("Try with demo data").click()
    _idle(page)
    _go(page, "3. Filters & preview")
    # the listing's done state: from here the page no longer reruns itself, so an open dropdown stays open
    expect(page.locator(".st-key-preview_done")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d+ of \d+ will be ingested$"))).to_be_visible()
    _idle(page)
    _choose(
        page,
        ".st-key-preview_graph_job",
        job["settings"]["name"],
        f"{job['settings']['name']} ({job['job_id']})",
    )
    _idle(page)
    chart = page.get_by_test_id("stGraphVizChart").locator("svg")
    expect(chart).to_be_visible()
    expect(chart.locator("g.node")).to_have_count(len(tasks))
    expect(chart.locator("g.edge")).to_have_count(edges)
    labels = chart.locator("g.node text").all_text_contents()
    for task in tasks:
        kind = next(key for key in task if key.endswith("_task")).removesuffix("_task")
        assert task["task_key"] in labels and f"({KIND_LABELS[kind]})" in labels, (task, labels)
    SHOTS.mkdir(parents=True, exist_ok=True)
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "03-filters-task-graph.png"))

    page.locator(".st-key-preview_graph_runs").get_by_text("Colour by the latest run").click()
    _idle(page)
    expect(page.get_by_text(re.compile(r"^Latest run \d+, started"))).to_be_visible()
    fills = {
        polygon.get_attribute("fill")
        for polygon in page.get_by_test_id("stGraphVizChart").locator("g.node path, g.node polygon").all()
    }
    assert fills - {"#ffffff", "none", None}, fills
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "03-filters-task-graph-latest-run.png"))
    html = page.content()
    for secret in SECRETS:
        assert secret not in html
