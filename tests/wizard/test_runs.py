"""Run now as the server's, not the page's: reattach, one run at a time, Stop from anywhere, history,
results with per-pipeline outcomes and links, stale marks, the confirmation, the progress total, the log.

Runs are held at a known point with the emulators' ``hold`` (a request waits until released), so no
assert depends on how fast the machine is.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

from core.checks import CheckStep
from core.secrets import MASK
from ui import services
from ui.history import MemoryRunHistory, RunRecord
from ui.services import runs, saved
from ui.state import CheckResult, WizardState
from ui.store import Store, open_store

RUN_PAGE = "app_pages/run.py"
LIST = r"/jobs/list$"


def _session(new_app: Callable[[], AppTest], ingestion: str, *, file_sink: Path | None = None) -> AppTest:
    """A new browser session of the demo, on the run page, for the saved ingestion ``ingestion``."""
    state = WizardState()
    services.apply_demo(state)
    state.ingestion_id = ingestion
    if file_sink is not None:
        state.sink.kind, state.sink.filename = "file", str(file_sink)
    at = new_app()
    at.session_state["wizard"] = state
    at.session_state[saved.BOUND_KEY] = ingestion  # as a reload of ?ingestion=<id> binds it
    at.run()
    at.switch_page(RUN_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _state(at: AppTest) -> WizardState:
    state = at.session_state["wizard"]
    assert isinstance(state, WizardState)
    return state


def _table(at: AppTest, column: str) -> Any:
    """The dataframe that has ``column``."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def _progress(at: AppTest) -> str | None:
    """The progress bar's text (None when no bar is shown)."""
    bars = [str(element.proto.text) for element in at.get("progress")]
    return bars[0] if bars else None


def _metric(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


@pytest.fixture
def ingestion() -> str:
    """A saved ingestion (in this test's data directory) of the demo's settings."""
    store = open_store()
    assert isinstance(store, Store), store
    state = WizardState()
    services.apply_demo(state)
    return store.create_ingestion("", saved.settings_text(state), saved.SETTINGS_VERSION).id


@pytest.fixture
def databricks() -> Any:
    return services.start_demo()["databricks"]


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryRunHistory]:
    fresh = MemoryRunHistory()
    monkeypatch.setattr(runs, "_HISTORY", [fresh])
    yield fresh


def test_a_second_session_reattaches_is_refused_a_second_run_and_stops_the_first(
    new_app: Callable[[], AppTest],
    h: SimpleNamespace,
    ingestion: str,
    databricks: Any,
    history: MemoryRunHistory,
) -> None:
    first = _session(new_app, ingestion)
    with databricks.hold(LIST, method="GET") as gate:
        first.button(key="run_start").click().run()
        gate.wait_until_held()
        job = _state(first).run
        assert job is not None and not job.done
        first.run()
        assert h.find(first, r"from this browser session")

        # A reload (a new session with the same ingestion id) sees the live run, not "No run yet".
        second = _session(new_app, ingestion)
        assert h.find(
            second,
            r"^A run of this ingestion is going, started at \d\d:\d\d:\d\d UTC \((just now|\d+ s ago|[\d,]+ min ago)\) from another tab \(or this one before a reload\): wait for it or stop it\.$",
        )
        assert _state(second).run is job
        assert (_progress(second) or "").startswith(
            "Listing and ingesting pipelines: 0 "
        )  # its live progress
        assert second.button(key="run_start").disabled
        with pytest.raises(runs.RunInProgress, match=r"from another tab \(or this one before a reload\)"):
            services.start_run(_state(second), dry_run=False)
        assert h.find(second, r"No run yet") is None

        second.button(key="run_stop").click().run()
        assert job.stop_requested
    assert job.wait(60)
    stopped = r"^Stopped before the end: a rerun picks up where it left off\.$"
    h.wait_for(second, lambda a: h.find(a, stopped) is not None)
    first.run()
    assert h.find(first, stopped) and h.find(first, r"Run finished") is None

    (record,) = history.list_runs(ingestion)
    assert record.run_id == job.run_id and record.outcome == "stopped" and record.mode == "run"
    assert list(_table(second, "outcome")["outcome"]) == ["stopped"]
    # once it ended, a new run may start
    assert not second.button(key="run_start").disabled


def test_a_finished_run_is_in_the_history_with_counts_and_opens_with_its_log(
    new_app: Callable[[], AppTest],
    h: SimpleNamespace,
    ingestion: str,
    history: MemoryRunHistory,
    tmp_path: Path,
) -> None:
    sink = tmp_path / "out" / "pipelines.jsonl"
    sink.parent.mkdir()
    at = _session(new_app, ingestion, file_sink=sink)
    assert h.find(at, rf"writes to the file `{sink}`")
    at.button(key="run_start").click().run()
    h.wait_for(at, lambda a: h.find(a, r"^Run finished\.") is not None)
    total = len(services.demo_names())
    assert _metric(at, "Written") == total and _metric(at, "Failures") == 0
    assert h.find(at, rf"Wrote to the file `{sink}`")
    assert h.find(at, r"^Run finished (just now|\d+ s ago) · took [\d.]+ s$")

    table = _table(at, "unchanged")
    assert len(table) == 1 and table["mode"][0] == "run" and table["outcome"][0] == "finished"
    assert (table["created"][0], table["failed"][0]) == (f"{total:,}", "0")  # a file's lines written

    (listed,) = history.list_runs(ingestion)
    assert listed.counts["written"] == total and listed.log == ""
    at.selectbox(key="run_history_open").set_value(listed.run_id).run()
    assert len([b for b in at.get("download_button") if "Download the log" in str(b.proto)]) == 2
    whole = runs.run_record(listed.run_id)
    assert whole is not None
    assert f"run {listed.run_id} started" in whole.log
    assert "phase listing" in whole.log and "INFO core.workflow: ingestion finished" in whole.log
    assert whole.log.rstrip().endswith("ended: ok")


def _contract_report(*, dry: bool) -> dict[str, Any]:
    """A report as ``RunReport.as_dict()`` writes it (the keys the run page reads)."""
    pipelines = (
        [
            {"pipeline": "1", "name": "etl_new", "kind": "job", "fqn": "svc.etl_new", "outcome": "would-create", "fields": [], "reason": None},
            {"pipeline": "2", "name": "etl_sched", "kind": "job", "fqn": "svc.etl_sched", "outcome": "would-change", "fields": ["tasks", "schedule"], "reason": None},
            {"pipeline": "3", "name": "tmp_old", "kind": "job", "fqn": "svc.tmp_old", "outcome": "would-delete", "fields": [], "reason": "filtered out by exclude #1 (tmp)"},
            {"pipeline": "4", "name": "gone", "kind": "dlt", "fqn": "svc.gone", "outcome": "would-delete", "fields": [], "reason": "gone from the workspace"},
            {"pipeline": "5", "name": "same", "kind": "job", "fqn": "svc.same", "outcome": "unchanged", "fields": [], "reason": None},
        ]
        if dry
        else [
            {"pipeline": "1", "name": "etl_new", "kind": "job", "fqn": "svc.etl_new", "outcome": "created", "fields": [], "reason": None},
            {"pipeline": "2", "name": "etl_sched", "kind": "job", "fqn": "svc.etl_sched", "outcome": "updated", "fields": ["schedule"], "reason": None},
            {"pipeline": "5", "name": "same", "kind": "dlt", "fqn": "svc.same", "outcome": "unchanged", "fields": [], "reason": None},
            {"pipeline": "6", "name": "broken", "kind": "job", "fqn": None, "outcome": "failed", "fields": [], "reason": "OpenMetadata rejected it (400 bad owner)"},
            {"pipeline": "7", "name": "old", "kind": "job", "fqn": "svc.old", "outcome": "deleted", "fields": [], "reason": "gone from the workspace"},
        ]
    )  # fmt: skip
    return {
        "service": "svc",
        "dryRun": dry,
        "durationSeconds": 12.5,
        "listed": 1200,
        "kept": 5,
        "filtered": 1195,
        "created": 0 if dry else 1,
        "updated": 0 if dry else 1,
        "unchanged": 1,
        "statuses": 3456,
        "lineageEdges": 78,
        "deleted": 0 if dry else 1,
        "interrupted": False,
        "fatal": None,
        "warningCount": 0,
        "warnings": [],
        "failures": []
        if dry
        else [
            {
                "pipeline": "6",
                "name": "broken",
                "reason": "OpenMetadata rejected it (400 bad owner)",
                "phase": "pipeline",
            }
        ],
        "pipelines": pipelines,
        "pipelinesOmitted": 0,
        "target": {"kind": "openmetadata", "location": "https://om.example.com/api"},
    }


def _record(ingestion: str, *, dry: bool) -> RunRecord:
    report = _contract_report(dry=dry)
    started = time.time() - 7200
    return RunRecord(
        run_id=uuid.uuid4().hex,
        ingestion_id=ingestion,
        started_at=started,
        finished_at=started + 12.5,
        mode="dry-run" if dry else "run",
        outcome=runs.run_outcome(report, error=None, stopped=False),
        counts=runs.run_counts(report),
        report=report,
        log="2026-11-29 10:00:00 run started\n",
    )


def test_a_run_that_ended_on_an_error_says_where_it_was_writing_not_that_it_wrote(
    new_app: Callable[[], AppTest], h: SimpleNamespace, ingestion: str, history: MemoryRunHistory
) -> None:
    report = {**_contract_report(dry=False), "fatal": "OpenMetadata refused the JWT (401 Invalid token)"}
    record = RunRecord(
        **{**_record(ingestion, dry=False).__dict__, "report": report, "outcome": "error", "counts": {}}
    )
    history.record(record)
    at = _session(new_app, ingestion)
    at.selectbox(key="run_history_open").set_value(record.run_id).run()
    assert h.find(at, r"^The run stopped on an error: OpenMetadata refused the JWT")
    assert h.find(at, r"^:material/hub: Was writing to OpenMetadata at \[https://om\.example\.com\]")
    assert not h.find(at, r"Wrote to OpenMetadata")


def test_the_outcomes_table_links_each_pipeline_and_filters_by_outcome(
    new_app: Callable[[], AppTest], h: SimpleNamespace, ingestion: str, history: MemoryRunHistory
) -> None:
    record = _record(ingestion, dry=False)
    history.record(record)
    at = _session(new_app, ingestion)
    numbers = _table(at, "unchanged")[["created", "updated", "deleted", "unchanged", "failed"]]
    assert numbers.to_dict("records") == [
        {"created": "1", "updated": "1", "deleted": "1", "unchanged": "1", "failed": "1"}
    ]
    at.selectbox(key="run_history_open").set_value(record.run_id).run()
    assert h.find(at, r"^Run finished\. 1 failure: the reasons are in the table below\.$")
    assert (
        _metric(at, "Created"),
        _metric(at, "Updated"),
        _metric(at, "Deleted"),
        _metric(at, "Failures"),
    ) == (1, 1, 1, 1)
    assert h.find(
        at,
        r"^Listed \*\*1,200\*\* pipelines, \*\*5\*\* kept by the filters, \*\*1,195\*\* filtered out\. \*\*3,456\*\* pipeline statuses and \*\*78\*\* lineage edges written\.$",
    )
    assert h.find(
        at,
        r"Wrote to OpenMetadata at \[https://om\.example\.com\]\(https://om\.example\.com\) as service `svc`",
    )
    assert h.find(at, r"^Run finished with failures 1 h ago · took 12\.5 s$")

    table = _table(at, "link")
    rows = {row["pipeline"]: row for row in table.to_dict("records")}
    assert {name: row["outcome"] for name, row in rows.items()} == {
        "etl_new": "created", "etl_sched": "updated", "same": "unchanged", "broken": "failed", "old": "deleted",
    }  # fmt: skip
    assert rows["etl_new"]["link"] == "https://om.example.com/pipeline/svc.etl_new"
    assert rows["old"]["link"] == "https://om.example.com/pipeline/svc.old"
    assert (
        not isinstance(rows["broken"]["link"], str)
        and rows["broken"]["details"] == "OpenMetadata rejected it (400 bad owner)"
    )
    assert rows["etl_sched"]["details"] == "changes: schedule" and rows["same"]["kind"] == "DLT pipeline"

    at.selectbox(key="history_result_filter").set_value("failed").run()
    assert list(_table(at, "link")["pipeline"]) == ["broken"]


def test_a_dry_run_lists_what_would_change_with_the_fields_and_why_it_would_delete(
    new_app: Callable[[], AppTest], h: SimpleNamespace, ingestion: str, history: MemoryRunHistory
) -> None:
    record = _record(ingestion, dry=True)
    history.record(record)
    at = _session(new_app, ingestion)
    at.selectbox(key="run_history_open").set_value(record.run_id).run()
    assert h.find(
        at,
        r"^Dry run finished: nothing was written\. 1 would be created, 1 would change, 2 would be deleted, 1 unchanged\.$",
    )
    assert (_metric(at, "Would create"), _metric(at, "Would change"), _metric(at, "Would delete")) == (
        1,
        1,
        2,
    )
    assert h.find(at, r"lineage edges would have been written\.$") and h.find(
        at, r"^:material/hub: Would have written to OpenMetadata"
    )
    rows = {row["pipeline"]: row for row in _table(at, "link").to_dict("records")}
    assert rows["etl_new"]["outcome"] == "would create" and not isinstance(rows["etl_new"]["link"], str)
    assert rows["etl_sched"]["details"] == "changes: tasks, schedule"
    assert rows["tmp_old"]["details"] == "filtered out by exclude #1 (tmp)"
    assert rows["gone"]["details"] == "gone from the workspace" and rows["gone"]["outcome"] == "would delete"
    assert rows["tmp_old"]["link"] == "https://om.example.com/pipeline/svc.tmp_old"


def test_an_older_report_without_the_pipeline_list_still_renders(
    new_app: Callable[[], AppTest], h: SimpleNamespace, ingestion: str, history: MemoryRunHistory
) -> None:
    record = _record(ingestion, dry=False)
    assert record.report is not None
    for key in ("pipelines", "pipelinesOmitted", "target"):
        record.report.pop(key)
    history.record(record)
    at = _session(new_app, ingestion)
    at.selectbox(key="run_history_open").set_value(record.run_id).run()
    assert h.find(at, r"has no per-pipeline list")
    assert list(_table(at, "reason")["reason"]) == ["OpenMetadata rejected it (400 bad owner)"]


def test_a_run_result_is_marked_stale_when_a_setting_it_used_changes(
    new_app: Callable[[], AppTest],
    h: SimpleNamespace,
    ingestion: str,
    history: MemoryRunHistory,
    tmp_path: Path,
) -> None:
    at = _session(new_app, ingestion, file_sink=tmp_path / "p.jsonl")
    at.toggle(key="run_dry").set_value(True).run()
    at.button(key="run_start").click().run()
    h.wait_for(at, lambda a: h.find(a, r"^Dry run finished") is not None)
    assert h.find(at, r"^Stale") is None
    at.switch_page("app_pages/options.py").run()
    at.toggle(key="opt_owners").set_value(False).run()
    at.switch_page(RUN_PAGE).run()
    assert h.find(at, r"^Stale: the options changed since this run\. Run again")
    _state(at).databricks.token = SecretStr("dapi-another-token-0001")
    at.run()
    assert h.find(at, r"^Stale: the Databricks connection and options changed since this run")
    assert "dapi-another-token-0001" not in "\n".join(h.texts(at))


def _failed_check(state: WizardState) -> CheckResult:
    step = CheckStep("Databricks", "Token accepted", ok=False, error="the token was refused")
    return CheckResult([step], services.databricks_fingerprint(state), 20, time.time())


def test_run_now_asks_first_when_the_last_test_failed_or_is_stale(
    new_app: Callable[[], AppTest],
    h: SimpleNamespace,
    ingestion: str,
    history: MemoryRunHistory,
    tmp_path: Path,
) -> None:
    at = _session(new_app, ingestion, file_sink=tmp_path / "p.jsonl")
    state = _state(at)
    state.checks["databricks"] = _failed_check(state)
    passed = CheckStep("File", "Folder writable", ok=True)
    state.checks["sink"] = CheckResult([passed], "settings-of-an-earlier-test", 20, time.time())
    at.toggle(key="run_dry").set_value(True).run()
    at.button(key="run_start").click().run()
    warning = h.find(at, r"^Run anyway\? (.*)$")
    assert warning is not None
    assert (
        "The last Databricks connection test failed (Token accepted: the token was refused)"
        in warning.group(1)
    )
    assert "; the sink settings changed since the last connection test" in warning.group(1)  # no capital
    assert runs.attach_run(state) is None, "nothing starts before the confirmation"

    at.button(key="run_confirm_cancel").click().run()
    assert h.find(at, r"^Run anyway") is None and runs.attach_run(state) is None

    # a connection test that passes since takes its reason out of the question
    at.button(key="run_start").click().run()
    state.checks["sink"] = CheckResult([passed], services.sink_fingerprint(state), 20, time.time())
    at.run()
    warning = h.find(at, r"^Run anyway\? (.*)$")
    assert warning is not None and "sink" not in warning.group(1) and "Databricks" in warning.group(1)
    at.button(key="run_confirm_cancel").click().run()

    at.button(key="run_start").click().run()
    at.button(key="run_confirm").click().run()
    job = runs.attach_run(state)
    assert job is not None and job.dry_run
    h.wait_for(at, lambda a: h.find(a, r"^Dry run finished") is not None)


def test_the_progress_total_ignores_a_preview_that_was_stopped_early(
    new_app: Callable[[], AppTest],
    h: SimpleNamespace,
    ingestion: str,
    databricks: Any,
    history: MemoryRunHistory,
) -> None:
    at = _session(new_app, ingestion)
    state = _state(at)
    total = len(services.demo_names())
    with databricks.hold(LIST, method="GET", after=1) as gate:  # the preview's second page waits
        preview = services.start_preview(state)
        assert preview is not None
        gate.wait_until_held()
        # the second page may be asked for before the first page's rows are recorded (the listing reads a
        # page ahead): stop only once some are, or the preview stopped early has listed nothing
        deadline = time.monotonic() + 60  # guards a hang only
        while not preview.count and time.monotonic() < deadline:
            time.sleep(0.02)
        services.stop_preview(state)
    assert preview.wait(60)
    view = services.decide_preview(state, limit=0)
    assert 0 < view.kept < total, "a partial listing"
    assert runs.expected_total(state) is None

    def progress_while_held() -> str:
        at.run()
        with databricks.hold(LIST, method="GET") as held:
            at.button(key="run_start").click().run()
            held.wait_until_held()
            at.run()
            found = _progress(at)
            assert found is not None
            at.button(key="run_stop").click().run()
        job = runs.attach_run(state)
        assert job is not None and job.wait(60)
        return found

    assert (
        progress_while_held()
        == "Listing and ingesting pipelines: 0 pipelines done, listing continues (0 kept so far)"
    )
    assert h.find(at, r"The preview expects") is None

    complete = services.restart_preview(state)
    assert complete is not None and complete.wait(60)
    assert runs.expected_total(state) == total
    assert progress_while_held() == f"Listing and ingesting pipelines: 0 of {total:,} pipelines done"
    assert h.find(at, rf"The preview expects \*\*{total:,} of {total:,}\*\* pipelines")

    # a preview of other connection settings says nothing about this run either
    state.databricks.timeout_s += 1
    assert runs.expected_total(state) is None


def test_the_log_is_captured_and_a_token_in_an_error_never_reaches_it(
    new_app: Callable[[], AppTest], h: SimpleNamespace, ingestion: str, history: MemoryRunHistory
) -> None:
    demo = services.start_demo()
    token = demo["databricks"].token
    fault = demo["openmetadata"].inject(
        kind="status", path=r"/v1/pipelines", method="PUT", status=400, times=None,
        body={"code": 400, "message": f"token {token} is not valid (Authorization: Bearer {token})"},
    )  # fmt: skip
    try:
        at = _session(new_app, ingestion)
        at.button(key="run_start").click().run()
        h.wait_for(
            at,
            lambda a: (
                h.find(a, r"^Run finished\. [\d,]+ failures: the reasons are in the table below") is not None
            ),
        )
    finally:
        demo["openmetadata"].clear_faults()
    assert fault.fired > 0
    (listed,) = history.list_runs(ingestion)
    assert listed.outcome == "failed" and listed.counts["failed"] > 0
    whole = runs.run_record(listed.run_id)
    assert whole is not None and whole.log
    assert token not in whole.log and f"token {MASK} is not valid" in whole.log
    assert "INFO core.workflow: ingestion finished: failed" in whole.log
    assert token not in repr(whole.report) and token not in "\n".join(h.texts(at))
    assert all(token not in str(frame.value.to_dict()) for frame in at.dataframe)
