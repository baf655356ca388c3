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
from pathlib import Path
from typing import Any

import requests

from tests.browser.test_saved_browser import _type
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
    expect(page).to_have_url(re.compile(r"[?&]ingestion=[\w-]+"))  # saved: the URL names the ingestion
    return str(host.input_value())


def _ingestion_id(page: Any) -> str:
    found = re.search(r"[?&]ingestion=([\w-]+)", page.url)
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


def _wait_until_parked(emulator: str, page: Any, server: Any, timeout_s: float = 120.0) -> None:
    """Block until a request waits at the hold (the run is parked); the timeout only guards a hang.

    When the run never gets there, the error says what the page showed (its alerts and progress) and what
    the wizard's server logged last, so a failure in CI explains itself.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        holds = requests.get(f"{emulator}/_emulator/holds", timeout=10).json()["holds"]
        if any(hold["held"] and not hold["released"] for hold in holds):
            return
        time.sleep(0.1)
    shown = [
        str(text)
        for test_id in ("stAlert", "stProgress", "stToast", "stException")
        for text in page.get_by_test_id(test_id).all_inner_texts()
    ]
    log = Path(server.log).read_text(errors="replace")[-3000:] if Path(server.log).exists() else "(no log)"
    raise AssertionError(
        f"the run never reached the hold within {timeout_s:.0f} s: {holds}\n"
        f"the page showed: {shown}\nthe server logged last:\n{log}"
    )


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

    # Park the run after a few jobs' runs were read: it is going, for sure, when the page reloads. Both
    # ways of reading statuses get there: the system tables' top-ups (runs/get, one per run that needs REST)
    # and REST's listing (runs/list, one per job), so the hold does not depend on which one the run chose.
    with _held(emulator, r"/jobs/runs/(get|list)$", after=10):
        page.get_by_role("button", name="Run now").click()
        _wait_until_parked(emulator, page, server)
        expect(page.get_by_text(re.compile(r"pipelines? done")).first).to_be_visible()
        _shot(page, "1-run-going")

        page.reload()  # F5
        expect(page).to_have_url(re.compile(rf"/run\?ingestion={re.escape(ingestion)}$"))
        expect(
            page.get_by_text(re.compile(r"^Listing and ingesting pipelines: [\d,]+ pipelines? done")).first
        ).to_be_visible(timeout=120_000)
        _idle(page)
        expect(page.get_by_text("No run yet.")).to_have_count(0)
        expect(
            page.get_by_text(re.compile(r"^A run of this ingestion is going, started at")).first
        ).to_be_visible()
        expect(page.get_by_role("button", name="Run now")).to_be_disabled()
        assert [option.split(" · ")[1:3] for option in _history_options(page)] == [["run", "running"]]
        _shot(page, "1-reloaded-run-going")

        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_text(re.compile(r"stopping…")).first).to_be_visible()
        _shot(page, "1-reloaded-stopping")
    # released: the run goes on to its next pipeline boundary, and stops there

    expect(
        page.get_by_text(re.compile(r"^Stopped before the end: a rerun picks up where it left off\.$")).first
    ).to_be_visible(timeout=120_000)
    _idle(page)
    expect(page.get_by_role("button", name="Run now")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    failures = page.get_by_test_id("stMetric").filter(has_text="Failures").get_by_test_id("stMetricValue")
    expect(failures.first).to_have_text("0")  # a clean stop at a pipeline boundary, not held requests failing
    assert [option.split(" · ")[1:3] for option in _history_options(page)] == [["run", "stopped"]]
    _shot(page, "1-reloaded-stopped")


# -- 3. the dry-run diff names the deletes ---------------------------------------------------------------

EXCLUDED_PREFIX = "HR_"  # three jobs of the demo workspace (HR_Backfill_0001, ...)


def _demo_jobs() -> dict[str, int]:
    """Job name -> job id in the demo workspace (same spec, so the same names as the server's emulator)."""
    from core.emulators.workspace import Workspace, WorkspaceSpec
    from ui.services.demo import DEMO_SPEC

    workspace = Workspace(WorkspaceSpec(**DEMO_SPEC))
    return {workspace.job_name(job_id) or "": job_id for job_id in workspace.job_ids()}


def test_the_dry_run_names_what_it_would_delete_and_why_and_what_it_would_change(
    server: Any, page: Any
) -> None:
    from playwright.sync_api import expect

    jobs = _demo_jobs()
    excluded = sorted(name for name in jobs if name.startswith(EXCLUDED_PREFIX))
    assert len(excluded) == 3
    _open(page, server.url)
    _start_demo(page)
    _go(page, "4. Options")
    owners = page.get_by_text("Include owners (includeOwners)", exact=True)
    owners.click()  # off for the first run: turning it on then changes the owners of every owned job
    _idle(page)
    _go(page, RUN_PAGE)
    page.get_by_role("button", name="Reset the demo catalogue").click()
    _idle(page)
    page.get_by_role("button", name="Run now").click()  # a real run: everything is created
    expect(page.get_by_text(re.compile(r"^Run finished\. [\d,]+ created")).first).to_be_visible(
        timeout=120_000
    )
    _shot(page, "3-first-run")

    _go(page, "3. Filters & preview")
    page.get_by_role("button", name="Add exclude rule").click()
    _idle(page)
    value = page.locator(".st-key-filter_value_1 input")
    value.fill(EXCLUDED_PREFIX)
    value.press("Enter")
    _idle(page)
    expect(page.get_by_text(re.compile(r"^\d+ of \d+ will be ingested$")).first).to_be_visible()
    _shot(page, "3-filters-exclude")
    _go(page, "4. Options")
    owners.click()
    _idle(page)
    _shot(page, "3-options-owners-on")

    _go(page, RUN_PAGE)
    page.get_by_text("Dry run: read everything, write nothing").click()
    _idle(page)
    page.get_by_role("button", name="Dry run now").click()
    headline = re.compile(
        r"^Dry run finished: nothing was written\. 0 would be created, ([\d,]+) would change, 3 would be deleted"
    )
    expect(page.get_by_text(headline).first).to_be_visible(timeout=120_000)
    found = headline.search(str(page.get_by_text(headline).first.inner_text()))
    assert found, "the headline"
    changed = int(found.group(1).replace(",", ""))
    assert changed > 0
    _shot(page, "3-dry-run")

    _show(page, "would delete (3)")
    header, rows = _table(page, "would delete")
    assert header == ["Outcome", "Pipeline", "Kind", "Changes or reason", "In OpenMetadata"]  # all in view
    assert sorted(row[1] for row in rows) == excluded
    for row in rows:
        assert row[0] == "would delete" and row[2] == "job", row
        assert row[3] == f"filtered out: excluded by #1 ({EXCLUDED_PREFIX})", row
        # a link to the pipeline in OpenMetadata's UI (it is there until the run deletes it)
        assert re.fullmatch(rf"http://127\.0\.0\.1:\d+/pipeline/demo_databricks\.{jobs[row[1]]}", row[4]), row
    _shot(page, "3-dry-run-would-delete")

    _show(page, f"would change ({changed:,})")
    _, rows = _table(page, "would change")
    assert rows and all(row[0] == "would change" and row[3] == "changes: owners" for row in rows), rows
    _shot(page, "3-dry-run-would-change")


def _show(page: Any, option: str, key: str = "run_result") -> None:
    page.locator(f".st-key-{key}_filter").get_by_role("combobox").click()
    page.get_by_role("option", name=option, exact=True).click()
    _idle(page)


def _table(page: Any, outcome: str, which: str = "first") -> tuple[list[str], list[list[str]]]:
    """The header and the rows in view of the latest result's table, once it shows only ``outcome``.

    ``st.dataframe`` draws on a canvas; the data grid keeps a hidden ``role="grid"`` table of the cells in
    view (rows and columns scrolled out of view are not in it), updated just after the canvas: read it
    until every row has the outcome chosen in "Show" (the timeout only guards a hang).
    """
    grid = getattr(page.get_by_test_id("stDataFrame"), which).locator(
        "table[role=grid]"
    )  # hidden: CSS, not roles
    deadline = time.monotonic() + EXPECT_TIMEOUT_MS / 1000
    while True:
        header = [str(text).strip() for text in grid.locator("thead th").all_text_contents()]
        rows = [
            [str(text).strip() for text in row.locator("td").all_text_contents()]
            for row in grid.locator("tbody tr").all()
        ]
        if (rows and all(row[:1] == [outcome] for row in rows)) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    return header, rows


# -- 2. the history survives a restart of the server -----------------------------------------------------

TOKEN = "dapi-0ddba11c0ffee42-REMEMBERS"  # not the demo's: the emulator refuses it
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZW1lbWJlcnMtYm90In0.REMEMBERSSIGNATURE"
REENTER = "Personal access token (step 1), Ingestion bot JWT (step 5)"


def _user_ingestion(page: Any) -> str:
    """A second ingestion in this tab (Start over), with a token and a JWT typed in; returns its id."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Start over").click()
    _idle(page)
    page.get_by_role("button", name="Start new").click()
    _idle(page)
    _go(page, "1. Databricks")
    _type(page, "Service name", "remembers_dbx")
    _type(page, "Workspace host", "adb-2222222222222222.2.azuredatabricks.net")
    _type(page, "Personal access token", TOKEN)
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()
    _go(page, "5. Sink")
    _type(page, "OpenMetadata URL", "https://om.example.com/api")
    _type(page, "Ingestion bot JWT", JWT)
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()
    return _ingestion_id(page)


def test_the_run_history_survives_a_restart_of_the_server(server: Any, start_server: Any, page: Any) -> None:
    from playwright.sync_api import expect

    secrets = (*SECRETS, TOKEN, JWT)
    _open(page, server.url)
    first_emulator = _start_demo(page)
    demo = _ingestion_id(page)
    _go(page, RUN_PAGE)
    page.get_by_role("button", name="Reset the demo catalogue").click()
    _idle(page)
    page.get_by_role("button", name="Run now").click()
    finished = re.compile(r"^Run finished\. [\d,]+ created, 0 updated, 0 unchanged, 0 deleted\.$")
    expect(page.get_by_text(finished).first).to_be_visible(timeout=120_000)
    headline = str(page.get_by_text(finished).first.inner_text())
    _shot(page, "2-run-before-restart", secrets)
    user = _user_ingestion(page)
    assert user != demo
    _shot(page, "2-user-ingestion-before-restart", secrets)

    server.stop()  # the wizard's server goes away, with every secret it kept in memory
    restarted = start_server("streamlit-restarted.log")
    _open(page, restarted.url)  # a new tab on the new server: the start page, with both ingestions
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Saved ingestions")).to_be_visible()
    expect(main.get_by_text(re.compile(r"Last run: ok · run · ")).first).to_be_visible()
    expect(main.get_by_text("remembers_dbx on adb-2222222222222222.2.azuredatabricks.net")).to_be_visible()
    _shot(page, "2-start-after-restart", secrets)

    page.locator(f".st-key-start_open_{demo}").get_by_role("button").click()
    _idle(page)
    expect(page).to_have_url(re.compile(rf"[?&]ingestion={re.escape(demo)}$"))
    host = page.locator(".st-key-dbx_host input")  # the demo is pointed at this server's emulators...
    expect(host).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+$"))
    assert host.input_value() != first_emulator
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()  # ...with the demo's token
    expect(page.get_by_text("The wizard's server restarted")).to_have_count(0)  # no secret of the user's
    _shot(page, "2-demo-after-restart", secrets)

    _go(page, RUN_PAGE)
    expect(page.get_by_role("button", name="Run now")).to_be_enabled()
    expect(page.get_by_text("No run yet.")).to_have_count(0)  # no run in this process, but a history:
    assert [option.split(" · ")[1:3] for option in _history_options(page)] == [["run", "finished"]]
    _open_history_run(page, 0)  # the history has the run, and its report opens whole
    expect(page.get_by_text(headline, exact=True).first).to_be_visible()
    created = int(headline.split()[2].replace(",", ""))
    metric = page.get_by_test_id("stMetric").filter(has_text="Created").get_by_test_id("stMetricValue")
    expect(metric.first).to_have_text(f"{created:,}")
    _show(page, f"created ({created:,})", key="history_result")
    _, rows = _table(page, "created", which="last")
    assert rows and all(
        re.fullmatch(r"http://127\.0\.0\.1:\d+/pipeline/demo_databricks\.\d+", row[4]) for row in rows
    )
    _shot(page, "2-history-after-restart", secrets)

    _open(page, f"{restarted.url}/?ingestion={user}")  # the other one, by its URL: its secrets are gone
    expect(page.get_by_text(f"memory only: enter again {REENTER}.").first).to_be_visible(timeout=120_000)
    expect(page.get_by_role("textbox", name="Service name", exact=True)).to_have_value("remembers_dbx")
    _shot(page, "2-user-after-restart", secrets)


# -- 4. no secret anywhere -------------------------------------------------------------------------------


def test_no_secret_in_the_files_the_pages_the_log_or_the_logs_across_runs_and_a_reload(
    server: Any, page: Any, data_home: Path, tmp_path: Path
) -> None:
    """Demo secrets for a run that works, then the user's own (refused by the demo's servers) for a connection
    test and a run that fail, where error messages could carry them; then a reload and every page."""
    from playwright.sync_api import expect

    secrets = (*SECRETS, TOKEN, JWT)
    _open(page, server.url)
    _start_demo(page)
    _go(page, RUN_PAGE)
    page.get_by_role("button", name="Reset the demo catalogue").click()
    _idle(page)
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_text(re.compile(r"^Run finished\. [\d,]+ created")).first).to_be_visible(
        timeout=120_000
    )
    logs = [_download_log(page, tmp_path)]
    _shot(page, "4-run-demo-secrets", secrets)

    _go(page, "1. Databricks")
    _type(page, "Personal access token", TOKEN)
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()
    _shot(page, "4-databricks-own-token", secrets)
    _go(page, "5. Sink")
    _type(page, "Ingestion bot JWT", JWT)
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()
    _shot(page, "4-sink-own-jwt", secrets)
    _go(page, "2. Test connection")
    page.get_by_role("button", name="Test connections").click()
    expect(page.get_by_text(re.compile(r"^Databricks: [0-4] of 5 checks passed")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^OpenMetadata: [0-3] of 4 checks passed")).first).to_be_visible()
    _shot(page, "4-test-refused", secrets)

    _go(page, RUN_PAGE)
    page.get_by_role("button", name="Run now").click()
    _idle(page)
    page.get_by_role("button", name="Run anyway").click()  # the last test failed: asked first
    failed = re.compile(r"^The run (could not start|stopped on an error): ")
    expect(page.get_by_text(failed).first).to_be_visible(timeout=120_000)
    logs.append(_download_log(page, tmp_path))
    _shot(page, "4-run-refused", secrets)

    page.reload()  # F5: every page of the reloaded ingestion, and the start page
    expect(page.get_by_text(failed).first).to_be_visible(timeout=120_000)
    _shot(page, "4-reloaded-08-run", secrets)
    for label in ("1. Databricks", "2. Test connection", "3. Filters & preview", "4. Options", "5. Sink",
                  "6. Schedule & DAG", "7. Review & export", "Saved ingestions"):  # fmt: skip
        _go(page, label)
        _shot(page, f"4-reloaded-{label.split('. ')[0].lower().replace(' ', '-')}", secrets)
    _go(page, "1. Databricks")
    expect(page.get_by_text("Saved on the server only").first).to_be_visible()  # the user's token, kept

    files = sorted(path for path in data_home.rglob("*") if path.is_file())
    assert any(path.name.startswith("wizard.sqlite3") for path in files), files
    stored = b"".join(path.read_bytes() for path in files)
    assert b"demo_databricks" in stored  # the settings and the runs are there...
    server_log = server.log.read_text(errors="replace")
    for (
        secret
    ) in secrets:  # ...never a secret, in any file of the data directory, a run's log or the server's
        assert secret.encode() not in stored, f"a secret is stored under {data_home}"
        assert all(secret not in log for log in logs), "a secret is in a run's log"
        assert secret not in server_log, "a secret is in the server's log"


def _download_log(page: Any, target: Path) -> str:
    """The log of the run shown first on the page (the latest result), downloaded."""
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the log").first.click()
    path = target / download.value.suggested_filename
    download.value.save_as(path)
    text = path.read_text()
    assert re.search(r"run [0-9a-f]{32} started", text) and "ended: " in text, text[:500]
    return text
