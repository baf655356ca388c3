"""Run statuses from ``system.lakeflow`` against the Databricks emulator: the same records as REST mode.

The emulator answers the timeline tables from the very runs it serves over REST, sliced per clock hour
with the result on the final slice and a lag (``system_tables_lag_ms``), scoped by ``workspace_id``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core.workflow
from core.databricks.system_tables import RUNS_GET_COST, RUNS_LIST_COST
from core.emulators.databricks import DatabricksEmulator
from core.emulators.databricks.sql import SqlError, syntax_error
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.emulators.workspace.timeline import HOUR_MS, run_rows
from core.engine import IngestionEngine
from core.errors import ConfigError, SourceError
from core.workflow import Workflow

DAY_MS = 86_400_000


@pytest.fixture
def tables_workspace() -> Workspace:
    """40 jobs, 6 runs each over 4 days (active ones within the last 15 minutes), 2 DLT pipelines."""
    return Workspace(WorkspaceSpec(jobs=40, tasks=3, runs=6, pipelines=2, seed=11, lookback_days_spread=4))


@pytest.fixture
def server(tables_workspace: Workspace) -> Iterator[DatabricksEmulator]:
    with DatabricksEmulator(tables_workspace) as databricks:
        yield databricks


def _ingest(
    databricks: DatabricksEmulator,
    workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    out: Path,
    mode: str | None,
    source: dict[str, Any] | None = None,
    **connection: Any,
) -> tuple[list[dict[str, Any]], Any, dict[str, int]]:
    """One run into a file sink at the workspace's clock: (records sorted, report, Databricks calls)."""
    monkeypatch.setattr(
        core.workflow, "IngestionEngine", functools.partial(IngestionEngine, now_ms=workspace.now_ms)
    )
    config = config_for(
        databricks,
        None,
        sink={"type": "file", "config": {"filename": str(out)}},
        connection=connection or None,
        source=source,
    )
    if mode is not None:
        config["workflowConfig"]["config"] = {"statusSource": mode}
    databricks.reset_counters()
    workflow = Workflow.create(config, workers=4)
    report = workflow.execute()
    records = sorted((json.loads(line) for line in out.read_text().splitlines()), key=json.dumps)
    return records, report, dict(databricks.calls)


@pytest.mark.parametrize("lag_min", [0, 10, 90, 3 * 24 * 60], ids=["no-lag", "10-min", "90-min", "3-days"])
def test_rest_and_system_tables_write_identical_records(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    lag_min: int,
) -> None:
    """Every lag puts the REST/table boundary among the runs: active runs within the last 15 minutes,
    runs spread over 4 days; with a 3-day lag most runs come from the REST top-up."""
    server.system_tables_lag_ms = lag_min * 60_000
    rest, rest_report, rest_calls = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "rest.jsonl", "rest"
    )
    tables, report, calls = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "tables.jsonl", "systemTables"
    )
    assert rest == tables
    assert report.warnings == rest_report.warnings and report.statuses == rest_report.statuses > 0
    assert rest_calls["jobs/runs/list"] >= 40
    # REST is asked only for what the tables lack, and never at a higher cost than the REST path: each call
    # weighed by its endpoint's documented rate (runs/get 100/s, runs/list 20/s). This workspace gives
    # every run state a share, so about half its runs are not plain successes.
    cost = calls["jobs/runs/list"] * RUNS_LIST_COST + calls.get("jobs/runs/get", 0) * RUNS_GET_COST
    assert cost <= rest_calls["jobs/runs/list"] * RUNS_LIST_COST
    # two probes, the watermark, one batch (runs and tasks), besides the lineage query both modes send
    assert calls["sql/statements/execute"] == rest_calls["sql/statements/execute"] + 5


@pytest.mark.parametrize("days", [1, 2])
def test_a_lookback_window_that_cuts_through_the_runs_gives_the_same_records(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    days: int,
) -> None:
    """Runs spread over 4 days, a window of 1 or 2: the window's start falls among them."""
    window = {"statusLookbackDays": days}
    rest, rest_report, _ = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "r.jsonl", "rest", window
    )
    tables, report, _ = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "t.jsonl", "systemTables", window
    )
    assert rest == tables and report.warnings == rest_report.warnings
    assert 0 < report.statuses < 40 * 6


def test_the_tables_are_used_where_they_know_the_answer(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Plainly successful runs come from the tables; REST is asked for the others, run by run or (when
    that is cheaper) with the job's own listing: never more calls than the REST path."""
    from core.factory import create_statuses

    captured: dict[str, Any] = {}

    def remember(config: Any, sources: Any) -> Any:
        statuses, note = create_statuses(config, sources)
        captured["statuses"] = statuses
        return statuses, note

    monkeypatch.setattr(core.workflow, "create_statuses", remember)
    _, report, calls = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "t.jsonl", "auto"
    )
    counts = captured["statuses"].counts
    assert report.ok and counts["tableRuns"] > 0 and counts["restRuns"] > 0
    assert calls.get("jobs/runs/get", 0) == counts["restRuns"]
    assert calls["jobs/runs/list"] == counts["restJobs"] + 1  # the jobs read over REST, and the top-up
    assert counts["restJobs"] < 40


def test_auto_falls_back_to_rest_with_a_warning_naming_what_is_missing(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    rest, rest_report, _ = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "r.jsonl", "rest"
    )
    server.lakeflow_tables_enabled = False
    records, report, calls = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "a.jsonl", None
    )
    assert records == rest
    [warning] = [w for w in report.warnings if w not in rest_report.warnings]
    assert warning.startswith("statusSource auto: system tables not used")
    assert "system.lakeflow.job_run_timeline" in warning and "read over REST" in warning
    assert calls["jobs/runs/list"] >= 40


def test_auto_without_a_warehouse_reads_rest_quietly(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config_path = tmp_path / "n.jsonl"
    records, report, calls = _ingest(
        server, tables_workspace, config_for, monkeypatch, config_path, "auto", httpPath=None
    )
    assert report.ok and records and not [w for w in report.warnings if "statusSource" in w]
    assert "sql/statements/execute" not in calls and calls["jobs/runs/list"] >= 40


def test_system_tables_mode_refuses_to_run_without_them(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server.lakeflow_tables_enabled = False
    with pytest.raises(SourceError) as caught:
        _ingest(server, tables_workspace, config_for, monkeypatch, tmp_path / "s.jsonl", "systemTables")
    assert "TABLE_OR_VIEW_NOT_FOUND" in caught.value.message and "system.lakeflow" in (
        caught.value.hint or ""
    )
    with pytest.raises(ConfigError) as missing:
        _ingest(
            server,
            tables_workspace,
            config_for,
            monkeypatch,
            tmp_path / "s.jsonl",
            "systemTables",
            httpPath=None,
        )
    assert missing.value.field == "source.serviceConnection.config.httpPath"


def test_a_batch_the_warehouse_fails_is_read_over_rest_with_one_warning(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    rest, rest_report, _ = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "r.jsonl", "rest"
    )

    def broken(self: Any, stmt: Any, text: str, *args: Any) -> None:
        raise SqlError(syntax_error(text))

    monkeypatch.setattr(type(server), "_grouped", broken)
    records, report, _ = _ingest(
        server, tables_workspace, config_for, monkeypatch, tmp_path / "b.jsonl", "systemTables"
    )
    assert records == rest
    [warning] = [w for w in report.warnings if w not in rest_report.warnings]
    assert "PARSE_SYNTAX_ERROR" in warning and "read over REST instead" in warning


def test_unknown_status_source_is_a_one_line_config_error(
    config_for: Any, server: DatabricksEmulator
) -> None:
    config = config_for(server, None, sink={"type": "console", "config": {}})
    config["workflowConfig"]["config"] = {"statusSource": "tables"}
    with pytest.raises(ConfigError) as caught:
        Workflow.create(config)
    assert caught.value.one_line().startswith(
        "workflowConfig.config.statusSource: must be one of auto, rest, systemTables, got 'tables'"
    )


# -- the emulator's tables -------------------------------------------------------------------------------


def test_long_runs_are_sliced_per_clock_hour_with_the_result_on_the_last_slice() -> None:
    start = 1_795_000_000_000 - 1_795_000_000_000 % HOUR_MS + 1_800_000  # half past an hour
    run = {
        "job_id": 7,
        "run_id": 70,
        "start_time": start,
        "end_time": start + 3 * HOUR_MS,
        "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"},
        "status": {"termination_details": {"code": "SUCCESS"}},
    }
    rows = list(run_rows([run], "42", horizon=start + 10 * HOUR_MS))
    assert [(r["period_start_time"] - start, r["period_end_time"] - start) for r in rows] == [
        (0, HOUR_MS // 2),
        (HOUR_MS // 2, 3 * HOUR_MS // 2),
        (3 * HOUR_MS // 2, 5 * HOUR_MS // 2),
        (5 * HOUR_MS // 2, 3 * HOUR_MS),
    ]
    assert [r["result_state"] for r in rows] == [None, None, None, "SUCCEEDED"]
    assert [r["termination_code"] for r in rows] == [None, None, None, "SUCCESS"]
    # lagging: only slices that ended before the horizon exist, and none of them has the result yet
    lagging = list(run_rows([run], "42", horizon=start + 2 * HOUR_MS))
    assert len(lagging) == 2 and {r["result_state"] for r in lagging} == {None}


def test_statements_are_scoped_to_the_workspace_id(
    server: DatabricksEmulator, tables_workspace: Workspace
) -> None:
    from databricks.sdk import WorkspaceClient

    from core.databricks.statements import StatementRunner
    from core.databricks.system_tables import RUNS_SQL

    client = WorkspaceClient(host=server.url, token=server.token)
    runner = StatementRunner(client, server.warehouse_id, what="test", hint="")
    ids = ", ".join(f"'{job_id}'" for job_id in tables_workspace.job_ids())

    def rows(workspace_id: str) -> list[Any]:
        since = ("since", "2020-01-01T00:00:00.000Z", "TIMESTAMP")
        return list(runner.rows(RUNS_SQL.format(ids=ids), [("workspace_id", workspace_id, "STRING"), since]))

    mine = rows(str(client.get_workspace_id()))
    assert mine and {row[0] for row in mine} <= {str(job_id) for job_id in tables_workspace.job_ids()}
    assert rows("999") == []


# -- test-connection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "enabled", "ok", "says"),
    [
        ("auto", True, True, "job_run_timeline and system.lakeflow.job_task_run_timeline are readable"),
        ("auto", False, True, "not readable, so run statuses will be read over REST"),
        ("systemTables", False, False, "TABLE_OR_VIEW_NOT_FOUND"),
    ],
)
def test_connection_test_says_whether_the_system_tables_are_readable(
    server: DatabricksEmulator, config_for: Any, mode: str, enabled: bool, ok: bool, says: str
) -> None:
    from core.checks import check_databricks
    from core.config import parse_workflow_config

    server.lakeflow_tables_enabled = enabled
    config = config_for(server, None, sink={"type": "console", "config": {}})
    config["workflowConfig"]["config"] = {"statusSource": mode}
    steps = check_databricks(parse_workflow_config(config), timeout_s=10)
    [step] = [s for s in steps if s.name == "System tables for run statuses"]
    assert step.ok is ok and says in (step.detail if ok else step.error or "")
    if not ok:
        assert step.field == "workflowConfig.config.statusSource" and "USE and SELECT" in (step.hint or "")


def test_connection_test_leaves_the_tables_alone_in_rest_mode(
    server: DatabricksEmulator, config_for: Any
) -> None:
    from core.checks import check_databricks
    from core.config import parse_workflow_config

    config = config_for(server, None, sink={"type": "console", "config": {}})
    config["workflowConfig"]["config"] = {"statusSource": "rest"}
    names = [step.name for step in check_databricks(parse_workflow_config(config), timeout_s=10)]
    assert "System tables for run statuses" not in names and "SQL warehouse reachable" in names


def _task(key: str, run_id: int, start: int, end: int) -> dict[str, Any]:
    state = {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS", "state_message": ""}
    return {
        "task_key": key,
        "run_id": run_id,
        "attempt_number": 0,
        "start_time": start,
        "end_time": end,
        "notebook_task": {"notebook_path": "/etl"},
        "run_page_url": f"https://adb-1.7.azuredatabricks.net/?o=1#job/5/run/{run_id}",
        "state": state,
        "status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS", "type": "SUCCESS"}},
    }


def _run(run_id: int, start: int, duration_ms: int) -> dict[str, Any]:
    end = start + duration_ms
    return {
        "job_id": 5,
        "run_id": run_id,
        "start_time": start,
        "end_time": end,
        "run_page_url": f"https://adb-1.7.azuredatabricks.net/?o=1#job/5/run/{run_id}",
        "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS", "state_message": ""},
        "status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS", "type": "SUCCESS"}},
        "tasks": [_task("load", run_id + 1, start + 1000, end - 1000)],
    }


def test_long_runs_at_the_window_start_and_the_lag_boundary_match_rest(
    config_for: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Hours-long runs (jobs/runs/get shapes), the tables 10 minutes behind: one began before the window
    and ends inside it (REST leaves it out: its start is older), one ended after the tables' horizon
    (no final slice yet: read with runs/get), one is wholly in the tables, one is newer than the cutoff."""
    from core.emulators.recorded import RecordedWorkspace

    now = 1_795_000_900_000
    since = now - 2 * DAY_MS
    data = {
        "now_ms": now,
        "workspace_id": "1",
        "jobs": [
            {
                "job_id": 5,
                "creator_user_name": "a@example.com",
                "settings": {
                    "name": "long",
                    "tasks": [{"task_key": "load", "notebook_task": {"notebook_path": "/etl"}}],
                },
            }
        ],
        "runs": {
            "5": [
                _run(500, now - HOUR_MS, 59 * 60_000),  # started after the cutoff: REST's top-up
                _run(400, now - 100 * 60_000, 95 * 60_000),  # its last slice is not in the tables yet
                _run(300, now - DAY_MS, 5 * HOUR_MS),  # five slices, all in the tables
                _run(200, since - 30 * 60_000, 3 * HOUR_MS),  # slices inside the window, start before it
            ]
        },
    }
    workspace = RecordedWorkspace(data)
    with DatabricksEmulator(workspace) as databricks:
        window = {"statusLookbackDays": 2}
        rest, _, _ = _ingest(
            databricks, workspace, config_for, monkeypatch, tmp_path / "r.jsonl", "rest", window
        )
        tables, _, calls = _ingest(
            databricks,
            workspace,
            config_for,
            monkeypatch,
            tmp_path / "t.jsonl",
            "systemTables",
            window,
        )
    [statuses] = [r["statuses"] for r in rest if r.get("kind") == "pipelineStatus"]
    assert [s["executionId"] for s in statuses] == ["300", "400", "500"]  # written oldest first
    assert tables == rest
    assert calls["jobs/runs/get"] == 1  # run 400; run 300 came from the tables, run 500 from the top-up


def test_test_connection_fails_system_tables_without_a_warehouse_as_ingest_does(
    databricks: Any, config_for: Any
) -> None:
    """``statusSource: systemTables`` with no SQL warehouse: the check fails naming httpPath, not only ingest."""
    from core.checks import check_databricks
    from core.config import parse_workflow_config

    raw = config_for(databricks, None, sink={"type": "file", "config": {"filename": "unused.jsonl"}})
    raw["source"]["serviceConnection"]["config"].pop("httpPath")
    raw["source"]["sourceConfig"]["config"]["includeLineage"] = False
    raw["workflowConfig"]["config"] = {"statusSource": "systemTables"}
    steps = check_databricks(parse_workflow_config(raw), timeout_s=10)
    last = steps[-1]
    assert last.name == "System tables for run statuses" and last.ok is False
    assert last.field is not None and last.field.endswith("httpPath")


def test_a_rerun_reads_no_run_detail_for_statuses_already_stored(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scheduled rerun pays ``runs/get`` only for runs OpenMetadata may not hold in their final state.

    The first run reads every run the tables cannot describe in full over REST; the rerun knows each
    pipeline's stored latest status, so a run that ended before it, or the run it is when it ends as the
    tables say, is given from the tables (it will not be sent). The catalogue ends up the same.
    """
    monkeypatch.setattr(
        core.workflow, "IngestionEngine", functools.partial(IngestionEngine, now_ms=tables_workspace.now_ms)
    )
    with OpenMetadataEmulator() as openmetadata:
        openmetadata.seed_from_workspace(tables_workspace)
        config = config_for(server, openmetadata)
        config["workflowConfig"]["config"] = {"statusSource": "systemTables"}
        counts = []
        for _ in range(2):
            server.reset_counters()
            report = Workflow.create(config, workers=4).execute()
            counts.append((report, dict(server.calls)))
            if len(counts) == 1:
                stored = openmetadata.snapshot()
        (first, first_calls), (second, second_calls) = counts
    assert set(second.warnings) <= set(first.warnings)  # the tables' account of stored runs maps cleanly
    assert first.statuses > 0 and first_calls["jobs/runs/get"] >= 20
    # every run the tables saw end is stored (older ones, and the one at each stored timestamp, which ends
    # as stored); the runs still going are this workspace's newest, which the REST top-up lists anyway
    assert second_calls.get("jobs/runs/get", 0) == 0
    assert second.statuses + second.statuses_skipped == first.statuses and second.statuses_skipped > 0
    assert openmetadata.snapshot() == stored


def test_a_stop_during_the_rest_top_up_ends_the_run_without_waiting_for_it(
    server: DatabricksEmulator,
    tables_workspace: Workspace,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The top-up reads every run since the tables' watermark before the first batch goes; on a 20,000-job
    workspace a Stop waited 49 s for it. Here its first page never comes back: the run must end anyway,
    interrupted, having written nothing and deleted nothing, and the top-up must not read on after it."""
    import threading

    monkeypatch.setattr(
        core.workflow, "IngestionEngine", functools.partial(IngestionEngine, now_ms=tables_workspace.now_ms)
    )
    out = tmp_path / "stopped.jsonl"
    config = config_for(server, None, sink={"type": "file", "config": {"filename": str(out)}})
    config["workflowConfig"]["config"] = {"statusSource": "systemTables"}
    workflow = Workflow.create(config, workers=4)
    reports: list[Any] = []
    with server.hold(r"/jobs/runs/list$", method="GET") as gate:
        runner = threading.Thread(target=lambda: reports.append(workflow.execute()), daemon=True)
        runner.start()
        gate.wait_until_held()
        workflow.stop()
        runner.join(timeout=60)  # a guard against the old hang: the run ends as soon as it sees the stop
        assert not runner.is_alive(), "the run waited for the top-up's held page"
        held = server.calls["jobs/runs/list"]
    (report,) = reports
    assert report.interrupted and report.written == 0 and report.deleted == 0
    written = [json.loads(line)["kind"] for line in out.read_text().splitlines()] if out.exists() else []
    assert set(written) <= {"pipelineService"}  # the service, written first; no pipeline, status or edge
    for thread in [t for t in threading.enumerate() if t.name == "status-batches"]:
        thread.join(timeout=60)  # the top-up's thread gets the released page, sees the stop and ends
        assert not thread.is_alive()
    assert server.calls["jobs/runs/list"] <= held + 1  # the released page, then nothing more
