"""End to end: the real Workflow, real databricks-sdk and the real sink against both emulators over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import FaultKind
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace
from core.mapping.status import execution_status
from core.workflow import Workflow

SERVICE = "dbx_emulated"


def run(config: dict[str, Any], **kwargs: Any) -> Workflow:
    workflow = Workflow.create(config, **kwargs)
    workflow.execute()
    return workflow


def live_pipelines(om: OpenMetadataEmulator) -> dict[str, dict]:
    return {fqn: p for fqn, p in om.pipelines.items() if not p.get("deleted")}


def test_full_ingest_maps_jobs_tasks_dag_statuses_tags_owners_lineage(
    workspace: Workspace, openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    workflow = run(config)
    report = workflow.report
    assert report is not None and report.ok, report.render()
    workflow.raise_from_status()

    pipelines = live_pipelines(openmetadata)
    assert len(pipelines) == workspace.job_count + len(workspace.pipeline_ids())
    assert report.listed == report.kept == len(pipelines)

    for job_id in workspace.job_ids():
        job = workspace.job_by_id(job_id)
        assert job is not None
        entity = pipelines[f"{SERVICE}.{job_id}"]
        assert entity["displayName"] == job["settings"]["name"]
        tasks = {task["name"]: task for task in entity["tasks"]}
        definition = job["settings"]["tasks"]
        assert set(tasks) == {task["task_key"] for task in definition}  # >100-task jobs complete too
        for task in definition:
            kind = next(key for key in task if key.endswith("_task"))
            assert tasks[task["task_key"]]["taskType"] == kind
            for upstream in task.get("depends_on", []):  # DAG direction: upstream lists this task downstream
                assert task["task_key"] in tasks[upstream["task_key"]]["downstreamTasks"]
        downstream_edges = sum(len(t["downstreamTasks"]) for t in entity["tasks"])
        assert downstream_edges == sum(len(t.get("depends_on", [])) for t in definition)
        if job["settings"].get("tags"):
            assert {t["tagFQN"].split(".", 1)[0] for t in entity["tags"]} == {"DatabricksTags"}

    assert any(len(p["tasks"]) > 100 for p in pipelines.values())
    assert report.owners > 0 and any(p.get("owners") for p in pipelines.values())
    assert len(openmetadata.lineage_edges) == report.lineage_edges > 0
    assert report.statuses == sum(len(s) for s in openmetadata.statuses.values()) > 0


def test_statuses_follow_each_run_and_each_task_own_state(
    workspace: Workspace, openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    run(config)
    cutoff = int((datetime.now(timezone.utc) - timedelta(days=7)).timestamp() * 1000)
    checked_tasks = retried_tasks = 0
    for job_id in workspace.job_ids():
        stored = openmetadata.statuses.get(f"{SERVICE}.{job_id}", {})
        runs = [r for r in workspace.runs(job_id) if r["start_time"] >= cutoff]
        assert sorted(stored) == sorted(r["start_time"] for r in runs)
        task_keys = {t["task_key"] for t in workspace.job_by_id(job_id)["settings"]["tasks"]}
        for source_run in runs:
            status = stored[source_run["start_time"]]
            state = source_run["state"]
            expected, _ = execution_status(state.get("life_cycle_state"), state.get("result_state"))
            assert status["executionStatus"] == expected
            by_name = {t["name"]: t for t in status.get("taskStatus", [])}
            assert len(by_name) == len(status.get("taskStatus", []))  # one status per task key
            latest: dict[str, dict] = {}  # a retried task is listed once per attempt: the last one counts
            for task in source_run.get("tasks", []):
                if task["attempt_number"] >= latest.get(task["task_key"], {}).get("attempt_number", -1):
                    latest[task["task_key"]] = task
            retried_tasks += len(source_run.get("tasks", [])) - len(latest)
            for task in latest.values():
                if task["task_key"] not in task_keys:
                    assert task["task_key"] not in by_name  # removed task trimmed, not a failure
                    continue
                mine = by_name[task["task_key"]]
                task_state = task["state"]
                assert (
                    mine["executionStatus"]
                    == execution_status(task_state.get("life_cycle_state"), task_state.get("result_state"))[0]
                )
                if task.get("start_time"):
                    assert mine["startTime"] == task["start_time"]
                checked_tasks += 1
    assert checked_tasks > 50
    assert retried_tasks > 5  # the generated runs list retried attempts, as the Jobs API does


def test_rerun_changes_nothing(openmetadata: OpenMetadataEmulator, config: dict, between_checks: None) -> None:
    first = run(config).report
    before = openmetadata.snapshot()
    openmetadata.reset_counters()
    second = run(config).report
    assert openmetadata.snapshot() == before
    counters = openmetadata.counters
    assert counters["pipeline.created"] == counters["pipeline.updated"] == 0
    assert counters["lineage.created"] == 0
    assert second.changes["unchanged"] == first.changes["created"]
    # statuses OpenMetadata provably holds are skipped; runs still going and DLT updates are sent again
    assert second.statuses + second.statuses_skipped == first.statuses and second.statuses_skipped > 0
    assert counters["status.upserted"] == second.statuses
    # edges OpenMetadata holds for the same pipeline are not sent again
    assert second.lineage_edges + second.lineage_stored == first.lineage_edges
    assert second.lineage_edges == 0  # no table pair of this workspace is written by two pipelines
    assert counters["pipeline.unchanged"] == 0  # no PUT at all: the stored sourceHash matched
    # each pipeline's sourceHash vouches for its edge set: no table is even looked up
    assert second.table_lookups == 0 and counters["pipeline.patched"] == 0


def test_changed_job_is_rewritten_and_override_metadata_always_writes(
    workspace: Workspace, openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    run(config)
    job = workspace.job_by_id(1004)
    workspace.remove_task(1004, job["settings"]["tasks"][-1]["task_key"])
    openmetadata.reset_counters()
    report = run(config).report
    assert report.changes["updated"] == 1 and openmetadata.counters["pipeline.updated"] == 1
    assert len(openmetadata.pipelines[f"{SERVICE}.1004"]["tasks"]) == len(job["settings"]["tasks"]) - 1
    config["source"]["sourceConfig"]["config"]["overrideMetadata"] = True
    openmetadata.reset_counters()
    report = run(config).report
    assert openmetadata.counters["pipeline.unchanged"] == report.kept  # every pipeline was PUT


def test_filters_keep_only_matching_pipelines_with_reasons(
    workspace: Workspace, openmetadata: OpenMetadataEmulator, config_for: Any, databricks: DatabricksEmulator
) -> None:
    config = config_for(
        databricks,
        openmetadata,
        source={"pipelineFilterPattern": {"includes": ["etl", "ml-"], "excludes": [".*hr"]}},
    )
    report = run(config).report
    names = {p["displayName"] for p in live_pipelines(openmetadata).values()}
    assert names
    assert all(n.lower().startswith(("etl", "ml-")) and "hr" not in n.lower() for n in names)
    assert report.kept == len(names) and report.filtered == report.listed - report.kept
    assert set(report.filter_reasons) <= {"no include matched", "excluded by #1 (.*hr)"}


def test_deleted_job_is_soft_deleted_on_the_next_complete_run(
    workspace: Workspace, openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    run(config)
    workspace.delete_job(1003)
    report = run(config).report
    assert report.deleted == 1
    assert openmetadata.pipelines[f"{SERVICE}.1003"]["deleted"] is True


def test_listing_failure_fails_the_run_and_deletes_nothing(
    workspace: Workspace, databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    run(config)
    workspace.delete_job(1001)
    databricks.inject(
        kind=FaultKind.STATUS,
        status=500,
        path="/api/2.2/jobs/list",
        times=None,
        body={"error_code": "INTERNAL_ERROR", "message": "boom"},
    )
    workflow = run(config)
    report = workflow.report
    assert not report.ok and not report.listing_complete
    assert report.deleted == 0 and report.delete_skipped == "the listing did not complete"
    assert not any(p.get("deleted") for p in openmetadata.pipelines.values())
    assert workflow.result_status() == 1


def test_one_rejected_pipeline_fails_alone(
    openmetadata: OpenMetadataEmulator, config: dict, workspace: Workspace
) -> None:
    openmetadata.inject(
        kind=FaultKind.STATUS,
        status=400,
        method="PUT",
        path=r"^/api/v1/pipelines$",
        times=1,
        body={"code": 400, "message": "rejected for the test"},
    )
    report = run(config, workers=1).report
    assert len(report.failures) == 1 and "rejected for the test" in report.failures[0].reason
    assert len(live_pipelines(openmetadata)) == report.kept - 1


def test_rate_limited_databricks_is_retried(databricks: DatabricksEmulator, config: dict) -> None:
    databricks.inject(
        kind=FaultKind.STATUS,
        status=429,
        retry_after=1,
        path="/jobs/runs/list",
        times=3,
        body={"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"},
    )
    report = run(config).report
    assert report.ok, report.render()
    assert databricks.calls["fault:status"] == 3


def test_dry_run_writes_nothing(openmetadata: OpenMetadataEmulator, config: dict) -> None:
    report = run(config, dry_run=True).report
    assert report.ok and report.changes["would-create"] == report.kept  # an empty catalogue: all new
    assert "Would create" in report.render() and report.as_dict()["wouldCreate"] == report.kept
    assert not openmetadata.pipelines and not openmetadata.statuses
    run(config)  # now the catalogue holds every pipeline
    first = next(iter(openmetadata.pipelines.values()))
    first["sourceHash"] = "edited-since"  # as if the job had changed since the last run
    again = run(config, dry_run=True).report
    assert again.changes["would-update"] == 1
    assert again.changes["unchanged"] == again.kept - 1


def test_file_sink_writes_the_same_requests(
    tmp_path: Any, databricks: DatabricksEmulator, config_for: Any
) -> None:
    import json

    target = tmp_path / "out" / "pipelines.jsonl"
    config = config_for(databricks, None, sink={"type": "file", "config": {"filename": str(target)}})
    report = run(config).report
    assert report.ok, report.render()
    records = [json.loads(line) for line in target.read_text().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds.count("pipeline") == report.kept and "lineage" in kinds and "pipelineStatus" in kinds
    assert records[0]["kind"] == "pipelineService"


def test_run_detail_is_stored_on_current_servers_and_left_out_for_older_ones(
    workspace: Workspace, databricks: DatabricksEmulator, config_for: Any
) -> None:
    for version, detail in (("2.0.7", True), ("1.12.4", False)):
        with OpenMetadataEmulator(version=version) as om:
            om.seed_from_workspace(workspace)
            report = run(config_for(databricks, om)).report
            assert report is not None and report.ok, report.render()  # an older server accepts every body
            stored = [status for by_ts in om.statuses.values() for status in by_ts.values()]
            assert stored
            # job runs (DLT updates have no end time or error message in the updates API)
            job_runs = [
                status
                for fqn, by_ts in om.statuses.items()
                if fqn.rsplit(".", 1)[1].isdigit()
                for status in by_ts.values()
            ]
            finished = [s for s in job_runs if s["executionStatus"] != "Pending"]
            if detail:
                assert all(s["executionId"] for s in stored)
                assert finished and all("endTime" in s for s in finished)
                assert all("error" in s for s in job_runs if s["executionStatus"] == "Failed")
                assert any("taskId" in t for s in stored for t in s.get("taskStatus", []))
            else:
                keys = {key for s in stored for key in s}
                assert keys <= {"timestamp", "executionStatus", "taskStatus"}, keys


def test_pipelines_the_filter_now_excludes_are_soft_deleted(
    openmetadata: OpenMetadataEmulator, config_for: Any, databricks: DatabricksEmulator
) -> None:
    run(config_for(databricks, openmetadata))
    before = live_pipelines(openmetadata)
    config = config_for(databricks, openmetadata, source={"pipelineFilterPattern": {"excludes": [".*hr"]}})
    report = run(config).report
    after = live_pipelines(openmetadata)
    excluded = {fqn for fqn, p in before.items() if "hr" in p["displayName"].lower()}
    assert excluded, "the generated workspace should have jobs matching .*hr"
    assert set(after) == set(before) - excluded
    assert report.deleted == len(excluded)


def test_an_edge_skipped_for_a_missing_table_is_written_once_the_table_exists(
    workspace: Workspace, databricks: DatabricksEmulator, config_for: Any, between_checks: None
) -> None:
    """A pipeline whose edges were not all written keeps no lineage fingerprint, so the next run checks
    them again: the usual order is pipelines first, the database service's tables ingested later."""
    tables = sorted(workspace.table_full_names())
    with OpenMetadataEmulator() as openmetadata:
        openmetadata.seed_from_workspace(workspace)
        config = config_for(databricks, openmetadata)
        first = run(config).report
        assert first.lineage_edges > 0 and first.lineage_skipped == 0
        patched = openmetadata.counters["pipeline.patched"]
        assert 0 < patched <= first.written  # one fingerprint per pipeline with edges
    with OpenMetadataEmulator() as late:
        missing = tables[0]
        for name in tables[1:]:
            late.add_table(f"unity_catalog.{name}")
        config = config_for(databricks, late)
        before = run(config).report
        assert before.lineage_skipped > 0  # edges touching the missing table
        pipelines_with_skips = late.counters["pipeline.patched"]
        assert pipelines_with_skips < patched  # those pipelines stored no fingerprint
        late.add_table(f"unity_catalog.{missing}")
        late.reset_counters()
        after = run(config).report
        assert after.lineage_edges == before.lineage_skipped and after.lineage_skipped == 0
        assert 0 < after.table_lookups < before.table_lookups  # only those pipelines' tables
        assert late.counters["pipeline.patched"] == patched - pipelines_with_skips
        late.reset_counters()
        again = run(config).report
        assert again.lineage_edges == again.table_lookups == late.counters["pipeline.patched"] == 0


def test_a_fingerprint_refused_costs_a_warning_and_the_next_run_checks_again(
    openmetadata: OpenMetadataEmulator, config: dict, between_checks: None
) -> None:
    openmetadata.inject(
        kind=FaultKind.STATUS,
        status=400,
        method="PATCH",
        path=r"^/api/v1/pipelines/",
        times=1,
        body={"code": 400, "message": "refused for the test"},
    )
    first = run(config).report
    assert first.ok and sum("lineage fingerprint was not stored" in w for w in first.warnings) == 1
    second = run(config).report
    assert second.ok and second.table_lookups > 0 and second.lineage_edges == 0
    third = run(config).report
    assert third.table_lookups == 0


def test_an_edge_deleted_in_openmetadata_comes_back_on_its_pipelines_weekly_check(
    openmetadata: OpenMetadataEmulator, config: dict, monkeypatch: Any
) -> None:
    """The fingerprint vouches for what we wrote, not for what the catalogue still holds: one day a week
    (per pipeline) its edges are read again, and one found missing is written again; no PATCH, as the
    edge set did not change."""
    from core.mapping import fingerprint

    run(config)
    edges = openmetadata.lineage_edges
    (source, target), edge = next(iter(edges.items()))
    pipeline = edge["lineageDetails"]["pipeline"]["fullyQualifiedName"]
    gone = requests.delete(  # as a user deletes it in OpenMetadata's UI
        f"{openmetadata.url}/api/v1/lineage/table/{source}/table/{target}",
        headers={"Authorization": f"Bearer {DEFAULT_JWT}"},
        timeout=10,
    )
    assert gone.status_code == 200
    monkeypatch.setattr(fingerprint, "recheck_due", lambda _fqn, _now_ms: False)
    openmetadata.reset_counters()
    between = run(config).report
    assert between.lineage_edges == between.table_lookups == 0  # not this pipeline's day: nothing read
    assert len(openmetadata.lineage_edges) == len(edges) - 1
    monkeypatch.setattr(fingerprint, "recheck_due", lambda fqn, _now_ms: fqn == pipeline)
    due = run(config).report
    assert due.lineage_edges == 1 and due.table_lookups > 0
    assert len(openmetadata.lineage_edges) == len(edges)
    assert openmetadata.counters["pipeline.patched"] == 0
