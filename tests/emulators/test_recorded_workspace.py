"""The Databricks emulator serving a recorded workspace: items exactly as written, with the real API's paging."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from databricks.sdk import WorkspaceClient

from core.emulators.databricks import DatabricksEmulator
from core.emulators.recorded import RecordedWorkspace

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_795_000_900_000


def _task(key: str, *depends: str) -> dict[str, Any]:
    task: dict[str, Any] = {"task_key": key, "notebook_task": {"notebook_path": f"/x/{key}"}}
    if depends:
        task["depends_on"] = [{"task_key": d} for d in depends]
    return task


def _run(
    job_id: int, run_id: int, start: int | None, life: str = "TERMINATED", tasks: int = 1
) -> dict[str, Any]:
    run: dict[str, Any] = {
        "job_id": job_id,
        "run_id": run_id,
        "state": {"life_cycle_state": life, "result_state": "SUCCESS" if life == "TERMINATED" else None},
        "tasks": [
            {"task_key": f"t{n:03d}", "run_id": run_id + 1 + n, "start_time": start} for n in range(tasks)
        ],
        "job_parameters": [{"name": f"p{n}", "value": str(n)} for n in range(tasks)],
    }
    if start is not None:
        run["start_time"] = start
    return run


RECORDED: dict[str, Any] = {
    "description": "test workspace",
    "source": "hand-written",
    "now_ms": NOW,
    "workspace_id": "1234567890123456",
    "jobs": [
        {
            "job_id": 11,
            "creator_user_name": "a@example.com",
            "run_as_user_name": "sp-1",
            "settings": {
                "name": "wide",
                "tasks": [_task(f"t{n:03d}") for n in range(130)],
                "job_clusters": [{"job_cluster_key": "c"}],
                "parameters": [{"name": f"p{n}", "default": ""} for n in range(3)],
            },
        },
        {"job_id": 12, "settings": {"name": "Tags As List", "tags": ["a", "b"], "tasks": "not a list"}},
        {"settings": {"name": "no id", "tasks": [_task("x")]}},
        {"job_id": 14, "settings": ["settings", "as", "a", "list"]},
        "a job that is text",
    ],
    "runs": {
        "11": [
            _run(11, 1100, NOW - 3_000, tasks=130),
            _run(11, 1200, NOW - 1_000),
            _run(11, 1300, None),
            _run(11, 1000, NOW - 9_000, life="RUNNING"),
        ],
        "12": [{"run_id": 1400, "start_time": NOW - 2_000, "tasks": {"a": 1}, "state": "odd"}],
    },
    "pipelines": [
        {"pipeline_id": "p-b", "name": "b"},
        {"name": "no pipeline id"},
        {"pipeline_id": "p-a", "name": "a"},
    ],
    "updates": {
        "p-a": [
            {"update_id": "u1", "creation_time": NOW - 5_000},
            {"update_id": "u3", "creation_time": "2026-11-18T11:21:39.000Z"},
            {"update_id": "u2"},
        ]
    },
    "lineage": [
        {"entity_id": "11", "source_table_full_name": "main.a.x", "target_table_full_name": "main.a.y"}
    ],
}


@pytest.fixture
def workspace() -> RecordedWorkspace:
    return RecordedWorkspace(copy.deepcopy(RECORDED))


@pytest.fixture
def server(workspace: RecordedWorkspace) -> Iterator[DatabricksEmulator]:
    with DatabricksEmulator(workspace) as emulator:
        yield emulator


def get(server: DatabricksEmulator, path: str, **params: Any) -> Any:
    response = requests.get(
        f"{server.url}{path}", params=params, headers={"Authorization": f"Bearer {server.token}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_jobs_are_listed_in_file_order_malformed_ones_unchanged(server: DatabricksEmulator) -> None:
    body = get(server, "/api/2.2/jobs/list", limit=2)
    assert [job["job_id"] for job in body["jobs"]] == [11, 12]
    assert "tasks" not in body["jobs"][0]["settings"] and "job_clusters" not in body["jobs"][0]["settings"]
    assert "run_as_user_name" not in body["jobs"][0]  # a BaseJob in listings
    rest = get(server, "/api/2.2/jobs/list", limit=100, page_token=body["next_page_token"])
    assert rest["jobs"] == [{"settings": {"name": "no id"}}, RECORDED["jobs"][3], RECORDED["jobs"][4]]
    assert "next_page_token" not in rest


def test_expand_tasks_caps_arrays_at_100_and_flags_has_more(server: DatabricksEmulator) -> None:
    jobs = get(server, "/api/2.2/jobs/list", expand_tasks="true")["jobs"]
    assert len(jobs[0]["settings"]["tasks"]) == 100 and jobs[0]["has_more"] is True
    assert jobs[1]["settings"] == {**RECORDED["jobs"][1]["settings"]} and jobs[1]["has_more"] is False
    assert jobs[2] == {**RECORDED["jobs"][2], "has_more": False}  # listed, with no id
    assert jobs[3] == RECORDED["jobs"][3] and jobs[4] == RECORDED["jobs"][4]


def test_jobs_get_pages_arrays_and_unknown_ids_do_not_exist(server: DatabricksEmulator) -> None:
    first = get(server, "/api/2.2/jobs/get", job_id=11)
    assert len(first["settings"]["tasks"]) == 100 and len(first["settings"]["parameters"]) == 3
    assert first["run_as_user_name"] == "sp-1"
    second = get(server, "/api/2.2/jobs/get", job_id=11, page_token=first["next_page_token"])
    assert [t["task_key"] for t in second["settings"]["tasks"]] == [f"t{n:03d}" for n in range(100, 130)]
    assert second["settings"]["parameters"] == [] and "next_page_token" not in second
    assert get(server, "/api/2.2/jobs/get", job_id=14) == RECORDED["jobs"][3]
    response = requests.get(
        f"{server.url}/api/2.2/jobs/get",
        params={"job_id": 13},
        headers={"Authorization": f"Bearer {server.token}"},
    )
    assert response.status_code == 400 and "does not exist" in response.json()["message"]


def test_sdk_merges_the_pages_of_a_recorded_job(server: DatabricksEmulator) -> None:
    client = WorkspaceClient(host=server.url, token=server.token)
    assert len(client.jobs.get(11).settings.tasks) == 130


def test_runs_list_newest_first_with_filters(server: DatabricksEmulator) -> None:
    runs = get(server, "/api/2.2/jobs/runs/list", job_id=11)["runs"]
    assert [run["run_id"] for run in runs] == [1300, 1200, 1100, 1000]  # no start_time sorts as newest
    assert "tasks" not in runs[0]
    since = get(server, "/api/2.2/jobs/runs/list", job_id=11, start_time_from=NOW - 2_000)["runs"]
    assert [run["run_id"] for run in since] == [1300, 1200]
    active = get(server, "/api/2.2/jobs/runs/list", job_id=11, active_only="true")["runs"]
    assert [run["run_id"] for run in active] == [1000]
    everything = get(server, "/api/2.2/jobs/runs/list")["runs"]
    assert [run["run_id"] for run in everything] == [1300, 1200, 1400, 1100, 1000]
    expanded = get(server, "/api/2.2/jobs/runs/list", job_id=12, expand_tasks="true")["runs"]
    assert expanded == [{**RECORDED["runs"]["12"][0], "has_more": False}]  # tasks as recorded (an object)


def test_runs_get_pages_tasks_and_job_parameters(server: DatabricksEmulator) -> None:
    listed = get(server, "/api/2.2/jobs/runs/list", job_id=11, expand_tasks="true")["runs"]
    wide = next(run for run in listed if run["run_id"] == 1100)
    assert wide["has_more"] is True and len(wide["tasks"]) == 100
    first = get(server, "/api/2.2/jobs/runs/get", run_id=1100)
    second = get(server, "/api/2.2/jobs/runs/get", run_id=1100, page_token=first["next_page_token"])
    assert len(second["tasks"]) == 30 and len(second["job_parameters"]) == 30
    client = WorkspaceClient(host=server.url, token=server.token)
    assert len(client.jobs.get_run(1100).tasks) == 130


def test_pipelines_sorted_by_id_and_updates_newest_first(server: DatabricksEmulator) -> None:
    statuses = get(server, "/api/2.0/pipelines")["statuses"]
    assert statuses == [RECORDED["pipelines"][1], RECORDED["pipelines"][2], RECORDED["pipelines"][0]]
    updates = get(server, "/api/2.0/pipelines/p-a/updates")["updates"]
    assert [update["update_id"] for update in updates] == ["u2", "u3", "u1"]
    assert get(server, "/api/2.0/pipelines/p-b/updates") == {}
    assert get(server, "/api/2.0/pipelines/p-a/updates/u3")["update"]["creation_time"].endswith("Z")


def test_host_metadata_scim_and_lineage(server: DatabricksEmulator, workspace: RecordedWorkspace) -> None:
    assert get(server, "/.well-known/databricks-config")["workspace_id"] == "1234567890123456"
    assert get(server, "/api/2.0/preview/scim/v2/Me")["userName"] == "a@example.com"
    rows = workspace.lineage_rows(["11"], "2000-01-01")
    assert rows[0]["entity_type"] == "JOB" and rows[0]["event_date"] >= "2026-01-01"
    assert list(workspace.table_full_names()) == ["main.a.x", "main.a.y"]


def test_no_workspace_id_means_none_reported() -> None:
    data = {k: v for k, v in RECORDED.items() if k != "workspace_id"}
    with DatabricksEmulator(RecordedWorkspace(data)) as server:
        assert "workspace_id" not in get(server, "/.well-known/databricks-config")


def test_delete_job_and_remove_task(server: DatabricksEmulator, workspace: RecordedWorkspace) -> None:
    workspace.remove_task(11, "t000")
    assert get(server, "/api/2.2/jobs/get", job_id=11)["settings"]["tasks"][0]["task_key"] == "t001"
    workspace.delete_job(11)
    assert [job.get("job_id") for job in get(server, "/api/2.2/jobs/list")["jobs"][:1]] == [12]
    assert get(server, "/api/2.2/jobs/runs/list", job_id=11) == {"has_more": False}
    assert workspace.run_by_id(1100) is None


def test_the_recorded_data_is_never_modified(
    server: DatabricksEmulator, workspace: RecordedWorkspace
) -> None:
    for _ in range(2):
        get(server, "/api/2.2/jobs/list", expand_tasks="true")
        get(server, "/api/2.2/jobs/get", job_id=11)
        get(server, "/api/2.2/jobs/runs/list", job_id=11, expand_tasks="true")
    assert workspace._jobs == RECORDED["jobs"] and workspace._runs == RECORDED["runs"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a JSON object"),
        ({"jobs": {}}, "jobs must be a list"),
        ({"runs": {"1": {}}}, "runs must be an object of lists"),
        ({"now_ms": "soon"}, "now_ms must be epoch milliseconds"),
    ],
)
def test_only_the_top_level_layout_is_checked(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RecordedWorkspace(data)


def test_cli_serves_a_recorded_file(tmp_path: Path) -> None:
    path = tmp_path / "recorded.json"
    path.write_text(json.dumps(RECORDED))
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "emulate", "databricks", "--recorded", str(path)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert "recorded:" in line, line
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        body = requests.get(
            f"{url}/api/2.2/jobs/list", headers={"Authorization": "Bearer dapi-emulator-token"}, timeout=10
        ).json()
        assert [job.get("job_id") for job in body["jobs"][:2]] == [11, 12]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_rejects_an_unreadable_recording(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "emulate", "databricks", "--recorded", str(path)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--recorded" in result.stderr and "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr and time.monotonic() - started < 60
