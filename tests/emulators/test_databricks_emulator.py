"""The Databricks emulator, driven over HTTP by the real ``databricks-sdk``.

Why the real SDK: the engine only ever talks to Databricks through it, so the emulator is right exactly
when the SDK's paging, error mapping, retries, OAuth and statement polling work against it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.credentials_provider import CredentialsStrategy
from databricks.sdk.errors import (
    BadRequest,
    InvalidParameterValue,
    NotFound,
    PermissionDenied,
    ResourceDoesNotExist,
    Unauthenticated,
)
from databricks.sdk.service import jobs as jobs_service
from databricks.sdk.service.sql import StatementParameterListItem, StatementState

from core.emulators.databricks import DatabricksEmulator, build_databricks_emulator
from core.emulators.http import Fault, FaultKind
from core.emulators.workspace import (
    COMPLETED_LIFE_CYCLE_STATES,
    JOB_ID_BASE,
    Workspace,
    WorkspaceSpec,
)

NOW_MS = 1_790_000_000_000  # fixed "now" so two workspaces built at different times are identical

LINEAGE_SQL = """
SELECT entity_type, entity_id, source_table_full_name, target_table_full_name, max(event_time) AS last_seen
FROM system.access.table_lineage
WHERE event_date >= :since_date AND entity_type IN ('JOB', 'PIPELINE') AND entity_id IN ({ids})
  AND source_table_full_name IS NOT NULL AND target_table_full_name IS NOT NULL
GROUP BY entity_type, entity_id, source_table_full_name, target_table_full_name
"""


@pytest.fixture(autouse=True)
def _isolated_sdk(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Keep the developer's Databricks env vars and ~/.databrickscfg out of the SDK (brief §7.8)."""
    import os

    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "databrickscfg"))


def _spec(**overrides: Any) -> WorkspaceSpec:
    return WorkspaceSpec(**{"now_ms": NOW_MS, **overrides})


@pytest.fixture(scope="module")
def _shared_emulator() -> Iterator[DatabricksEmulator]:
    """One server for the read-only tests: stopping a server costs ~0.5 s (the base server's poll)."""
    with DatabricksEmulator(Workspace(_spec(jobs=250, big_jobs=1, pipelines=5))) as server:
        yield server


@pytest.fixture
def emulator(_shared_emulator: DatabricksEmulator) -> Iterator[DatabricksEmulator]:
    """The shared server with fresh counters, no faults and system tables on."""
    _shared_emulator.reset_counters()
    _shared_emulator.clear_faults()
    yield _shared_emulator
    _shared_emulator.system_tables_enabled = True


def _client(server: DatabricksEmulator, **config: Any) -> WorkspaceClient:
    settings = {
        "host": server.url,
        "token": server.token,
        "auth_type": "pat",
        "retry_timeout_seconds": 5,
        "http_timeout_seconds": 5,
        **config,
    }
    return WorkspaceClient(config=Config(**settings))


def _task_keys(job: dict[str, Any]) -> list[str]:
    return [t["task_key"] for t in job["settings"]["tasks"]]


# -- jobs -------------------------------------------------------------------------------------------


def test_jobs_list_with_expand_tasks_pages_through_250_jobs(emulator: DatabricksEmulator) -> None:
    w = _client(emulator)
    listed = list(w.jobs.list(expand_tasks=True))
    assert [j.job_id for j in listed] == list(range(JOB_ID_BASE, JOB_ID_BASE + 250))
    assert emulator.calls["jobs/list"] == 13  # default page size 20
    for job in listed:
        expected = emulator.workspace.job_by_id(job.job_id)
        assert [t.task_key for t in job.settings.tasks] == _task_keys(expected)
        assert job.settings.name == expected["settings"]["name"]
    big = [j for j in listed if len(j.settings.tasks) > 100]
    assert [j.job_id for j in big] == [JOB_ID_BASE + 249]
    assert emulator.calls["jobs/get"] == 2  # the SDK completes the big job: get page 1 + page 2


def test_big_job_is_paged_by_100_and_merged_by_the_sdk(emulator: DatabricksEmulator) -> None:
    big_id = JOB_ID_BASE + 249
    expected = _task_keys(emulator.workspace.job_by_id(big_id))
    assert 120 <= len(expected) <= 150
    headers = {"Authorization": f"Bearer {emulator.token}"}
    first = requests.get(
        f"{emulator.url}/api/2.2/jobs/get", params={"job_id": big_id}, headers=headers, timeout=5
    )
    page = first.json()
    assert len(page["settings"]["tasks"]) == 100 and page["next_page_token"]
    second = requests.get(
        f"{emulator.url}/api/2.2/jobs/get",
        headers=headers,
        timeout=5,
        params={"job_id": big_id, "page_token": page["next_page_token"]},
    ).json()
    assert len(second["settings"]["tasks"]) == len(expected) - 100 and "next_page_token" not in second
    legacy = requests.get(
        f"{emulator.url}/api/2.1/jobs/get", params={"job_id": big_id}, headers=headers, timeout=5
    ).json()
    assert len(legacy["settings"]["tasks"]) == len(expected) and "next_page_token" not in legacy

    job = _client(emulator).jobs.get(big_id)
    assert [t.task_key for t in job.settings.tasks] == expected


def test_jobs_list_without_expand_has_no_tasks_and_name_filter_is_exact_case_insensitive(
    emulator: DatabricksEmulator,
) -> None:
    w = _client(emulator)
    first = next(iter(w.jobs.list(limit=5)))
    assert not first.settings.tasks and not first.settings.job_clusters  # the SDK turns "absent" into []
    name = emulator.workspace.job(42)["settings"]["name"]
    found = list(w.jobs.list(name=name.swapcase()))
    assert [j.job_id for j in found] == [JOB_ID_BASE + 42]
    assert list(w.jobs.list(name=name[:-1])) == []
    with pytest.raises(InvalidParameterValue):
        list(w.jobs.list(limit=101))


def test_deleted_job_and_removed_task() -> None:
    with DatabricksEmulator(Workspace(_spec(jobs=30))) as server:
        _check_deleted_job_and_removed_task(server)


def _check_deleted_job_and_removed_task(emulator: DatabricksEmulator) -> None:
    w = _client(emulator)
    ws = emulator.workspace
    old_run_id = ws.runs(1003)[0]["run_id"]
    ws.delete_job(1003)
    with pytest.raises(ResourceDoesNotExist, match="Job 1003 does not exist"):
        w.jobs.get(1003)
    with pytest.raises(ResourceDoesNotExist):
        w.jobs.get_run(old_run_id)
    assert 1003 not in {j.job_id for j in w.jobs.list(limit=100)}
    assert ws.job_count == 29

    removed = _task_keys(ws.job_by_id(1010))[0]
    ws.remove_task(1010, removed)
    job = w.jobs.get(1010)
    assert removed not in [t.task_key for t in job.settings.tasks]
    assert all(d.task_key != removed for t in job.settings.tasks for d in t.depends_on or [])
    run = next(iter(w.jobs.list_runs(job_id=1010, expand_tasks=True)))
    assert removed in [t.task_key for t in run.tasks]


# -- runs -------------------------------------------------------------------------------------------


def test_list_runs_filters_and_paging(emulator: DatabricksEmulator) -> None:
    w = _client(emulator)
    job_id = 1001  # index 1: its newest run is still active
    all_runs = list(w.jobs.list_runs(job_id=job_id, expand_tasks=True))
    starts = [r.start_time for r in all_runs]
    assert len(all_runs) == 5 and starts == sorted(starts, reverse=True) and len(set(starts)) == 5
    assert all_runs[0].state.result_state is None and all_runs[0].end_time == 0

    completed = list(w.jobs.list_runs(job_id=job_id, completed_only=True))
    assert [r.run_id for r in completed] == [r.run_id for r in all_runs[1:]]
    assert all(r.state.life_cycle_state.value in COMPLETED_LIFE_CYCLE_STATES for r in completed)
    assert not any(r.tasks for r in completed)

    emulator.reset_counters()
    assert [r.run_id for r in w.jobs.list_runs(job_id=job_id, limit=2)] == [r.run_id for r in all_runs]
    assert emulator.calls["jobs/runs/list"] == 3

    since = starts[2]
    recent = list(w.jobs.list_runs(job_id=job_id, start_time_from=since))
    assert [r.start_time for r in recent] == starts[:3]
    with pytest.raises(InvalidParameterValue):
        list(w.jobs.list_runs(job_id=job_id, limit=26))


def test_runs_of_big_job_come_back_complete(emulator: DatabricksEmulator) -> None:
    w = _client(emulator)
    big_id = JOB_ID_BASE + 249
    expected = [t["task_key"] for t in emulator.workspace.runs(big_id)[0]["tasks"]]
    emulator.reset_counters()
    run = next(iter(w.jobs.list_runs(job_id=big_id, expand_tasks=True, limit=1)))
    assert [t.task_key for t in run.tasks] == expected and len(expected) > 100
    assert emulator.calls["jobs/runs/get"] == 2


def test_workspace_covers_every_documented_run_state() -> None:
    ws = Workspace(_spec())
    runs = [r for job_id in ws.job_ids() for r in ws.runs(job_id)]
    life = {r["state"]["life_cycle_state"] for r in runs}
    result = {r["state"].get("result_state") for r in runs} - {None}
    assert life == {e.value for e in jobs_service.RunLifeCycleState}
    assert result == {e.value for e in jobs_service.RunResultState}
    for run in runs:
        active = run["state"]["life_cycle_state"] not in COMPLETED_LIFE_CYCLE_STATES
        assert ("result_state" in run["state"]) != active
        for task in run["tasks"]:
            assert task["run_page_url"] == f"{ws.host}/?o=424242#job/{run['job_id']}/run/{task['run_id']}"
    mixed = [r for r in runs if r["state"].get("result_state") == "SUCCESS_WITH_FAILURES"]
    assert mixed and all("FAILED" in {t["state"].get("result_state") for t in r["tasks"]} for r in mixed)
    stale = [
        r for r in runs if {t["task_key"] for t in r["tasks"]} - set(_task_keys(ws.job_by_id(r["job_id"])))
    ]
    assert stale, "some old runs must reference a task the job no longer has"


# -- pipelines, SCIM, errors -------------------------------------------------------------------------


def test_pipelines_listing_detail_and_updates(emulator: DatabricksEmulator) -> None:
    w = _client(emulator)
    emulator.reset_counters()
    listed = list(w.pipelines.list_pipelines(max_results=2))
    assert sorted(p.pipeline_id for p in listed) == sorted(emulator.workspace.pipeline_ids())
    assert emulator.calls["pipelines/list"] == 3
    assert all(isinstance(u.creation_time, str) for p in listed for u in p.latest_updates)
    detail = w.pipelines.get(listed[0].pipeline_id)
    assert detail.spec.libraries and detail.spec.name == listed[0].name
    updates = w.pipelines.list_updates(listed[0].pipeline_id, max_results=2)
    assert len(updates.updates) == 2 and updates.next_page_token
    assert all(isinstance(u.creation_time, int) for u in updates.updates)
    with pytest.raises(ResourceDoesNotExist):
        w.pipelines.get("00000000-0000-4000-8000-000000000000")


def test_scim_me_and_unknown_route(emulator: DatabricksEmulator) -> None:
    w = _client(emulator)
    assert w.current_user.me().user_name == "alice@example.com"
    assert w.config.workspace_id == "424242"
    with pytest.raises(NotFound) as caught:
        w.api_client.do("GET", "/api/2.0/no-such-api")
    assert caught.value.error_code == "ENDPOINT_NOT_FOUND"


class _NoCredentials(CredentialsStrategy):
    """Sends no Authorization header at all, like a misconfigured client."""

    def auth_type(self) -> str:
        return "none"

    def __call__(self, cfg: Config) -> Any:
        return lambda: {}


def test_wrong_or_missing_token(emulator: DatabricksEmulator) -> None:
    with pytest.raises(PermissionDenied, match="Invalid access token"):
        _client(emulator, token="dapi-wrong").current_user.me()
    anonymous = WorkspaceClient(
        config=Config(
            host=emulator.url,
            credentials_strategy=_NoCredentials(),
            retry_timeout_seconds=5,
            http_timeout_seconds=5,
        )
    )
    with pytest.raises(Unauthenticated):
        list(anonymous.jobs.list())


def test_429_with_retry_after_is_retried(emulator: DatabricksEmulator) -> None:
    w = _client(emulator)
    emulator.inject(
        Fault(
            kind=FaultKind.STATUS,
            path="/jobs/list",
            status=429,
            retry_after=1,
            times=1,
            body={"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "Too many requests"},
        )
    )
    started = time.perf_counter()
    assert len(list(w.jobs.list(limit=100))) == 250
    assert time.perf_counter() - started >= 1.0
    assert emulator.calls["fault:status"] == 1


def test_oauth_m2m(emulator: DatabricksEmulator) -> None:
    config = Config(
        host=emulator.url,
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        auth_type="oauth-m2m",
        retry_timeout_seconds=5,
        http_timeout_seconds=5,
    )
    w = WorkspaceClient(config=config)
    assert w.current_user.me().user_name == emulator.client_id
    assert emulator.calls["oidc/discovery"] == 1 and emulator.calls["oidc/token"] == 1
    bad = Config(
        host=emulator.url,
        client_id=emulator.client_id,
        client_secret="wrong",
        auth_type="oauth-m2m",
        retry_timeout_seconds=5,
        http_timeout_seconds=5,
    )
    with pytest.raises(ValueError, match="invalid_client"):
        WorkspaceClient(config=bad).current_user.me()


# -- SQL statement execution --------------------------------------------------------------------------


def _expected_lineage(ws: Workspace, ids: list[str], since: str) -> list[list[str]]:
    """The GROUP BY ... max(event_time) computed independently from the raw rows."""
    latest: dict[tuple[str, ...], str] = {}
    for row in ws.lineage_rows(ids, since):
        if row["target_table_full_name"]:
            key = (
                row["entity_type"],
                row["entity_id"],
                row["source_table_full_name"],
                row["target_table_full_name"],
            )
            latest[key] = max(latest.get(key, ""), row["event_time"])
    return sorted([*key, seen] for key, seen in latest.items())


def test_statement_execution_cold_warehouse_and_chunks() -> None:
    ws = Workspace(_spec(jobs=40, pipelines=3))
    with DatabricksEmulator(ws, cold_warehouse_polls=3, statement_chunk_rows=7) as server:
        w = _client(server)
        ids = [str(JOB_ID_BASE + i) for i in range(40)] + ws.pipeline_ids()
        since = "2026-09-12"
        sql = LINEAGE_SQL.format(ids=", ".join(f"'{i}'" for i in ids))
        response = w.statement_execution.execute_statement(
            sql,
            server.warehouse_id,
            wait_timeout="10s",
            parameters=[StatementParameterListItem(name="since_date", value=since, type="DATE")],
        )
        states = [response.status.state]
        while response.status.state in (StatementState.PENDING, StatementState.RUNNING):
            response = w.statement_execution.get_statement(response.statement_id)
            states.append(response.status.state)
        assert [s.value for s in states] == ["PENDING", "PENDING", "PENDING", "RUNNING", "SUCCEEDED"]

        manifest = response.manifest
        assert [c.name for c in manifest.schema.columns][-1] == "last_seen"
        rows = list(response.result.data_array)
        chunk = response.result
        while chunk.next_chunk_index is not None:
            chunk = w.statement_execution.get_statement_result_chunk_n(
                response.statement_id, chunk.next_chunk_index
            )
            rows.extend(chunk.data_array)
        expected = _expected_lineage(ws, ids, since)
        assert rows == expected and len(rows) > 14
        assert manifest.total_row_count == len(rows) and manifest.total_chunk_count == -(-len(rows) // 7)


def test_statement_select_one_and_failures(emulator: DatabricksEmulator) -> None:
    w = _client(emulator)
    ok = w.statement_execution.execute_statement("select 1", emulator.warehouse_id)
    assert ok.status.state == StatementState.SUCCEEDED and ok.result.data_array == [["1"]]

    missing = w.statement_execution.execute_statement("SELECT * FROM main.nope.tbl", emulator.warehouse_id)
    assert missing.status.state == StatementState.FAILED
    assert "TABLE_OR_VIEW_NOT_FOUND" in missing.status.error.message

    garbage = w.statement_execution.execute_statement("DROP EVERYTHING", emulator.warehouse_id)
    assert (
        garbage.status.state == StatementState.FAILED and "PARSE_SYNTAX_ERROR" in garbage.status.error.message
    )

    unbound = w.statement_execution.execute_statement(LINEAGE_SQL.format(ids="'1001'"), emulator.warehouse_id)
    assert "UNBOUND_SQL_PARAMETER" in unbound.status.error.message

    emulator.system_tables_enabled = False
    params = [StatementParameterListItem(name="since_date", value="2026-01-01")]
    no_system = w.statement_execution.execute_statement(
        LINEAGE_SQL.format(ids="'1001'"), emulator.warehouse_id, parameters=params
    )
    assert "TABLE_OR_VIEW_NOT_FOUND" in no_system.status.error.message

    with pytest.raises(InvalidParameterValue, match="not a valid endpoint id"):
        w.statement_execution.execute_statement("SELECT 1", "no-such-warehouse")


def test_statement_execution_time_is_a_base_plus_a_cost_per_row() -> None:
    now = [0.0]
    slept: list[float] = []
    with DatabricksEmulator(
        statement_base_ms=200, statement_ms_per_row=300, clock=lambda: now[0], sleep=slept.append
    ) as server:
        w = _client(server)
        quick = w.statement_execution.execute_statement("SELECT 1", server.warehouse_id, wait_timeout="10s")
        assert quick.status.state == StatementState.SUCCEEDED and slept == [
            pytest.approx(0.5)
        ]  # 200 + 1 x 300

        server.statement_base_ms = 20_000  # longer than wait_timeout: the client polls
        slow = w.statement_execution.execute_statement("SELECT 1", server.warehouse_id, wait_timeout="10s")
        assert slow.status.state == StatementState.PENDING and len(slept) == 1
        assert w.statement_execution.get_statement(slow.statement_id).status.state == StatementState.RUNNING
        with pytest.raises(BadRequest, match="no result to fetch"):
            w.statement_execution.get_statement_result_chunk_n(slow.statement_id, 0)
        now[0] += 20.3
        done = w.statement_execution.get_statement(slow.statement_id)
        assert done.status.state == StatementState.SUCCEEDED and done.result.data_array == [["1"]]


def test_a_result_over_the_inline_limit_fails_the_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.emulators.databricks import base
    from core.emulators.databricks.protocol import INLINE_RESULT_LIMIT_BYTES, inline_size

    assert INLINE_RESULT_LIMIT_BYTES == 25 * 1024 * 1024
    rows = [["a", None, "ünï"], ["0123456789", "x", None]]
    assert (
        abs(inline_size(rows) - len(json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode()))
        <= 3
    )
    monkeypatch.setattr(base, "INLINE_RESULT_LIMIT_BYTES", 5)
    with DatabricksEmulator() as server:
        answer = _client(server).statement_execution.execute_statement("SELECT 1", server.warehouse_id)
    assert answer.status.state == StatementState.FAILED and "25 MiB" in answer.status.error.message
    assert answer.result is None


# -- determinism and scale ----------------------------------------------------------------------------


def _snapshot(ws: Workspace) -> str:
    ids = [str(i) for i in ws.job_ids()] + ws.pipeline_ids()
    data = {
        "jobs": [ws.job(i) for i in range(ws.spec.jobs)],
        "runs": [ws.runs(int(i)) for i in ids[: ws.spec.jobs]],
        "pipelines": [ws.pipeline(p) for p in ws.pipeline_ids()],
        "updates": [ws.pipeline_updates(p) for p in ws.pipeline_ids()],
        "lineage": ws.lineage_rows(ids, "2000-01-01"),
    }
    return json.dumps(data, sort_keys=True)


def test_same_seed_same_json_different_seed_different() -> None:
    first = _snapshot(Workspace(_spec(jobs=30, seed=7)))
    assert first == _snapshot(Workspace(_spec(jobs=30, seed=7)))
    assert first != _snapshot(Workspace(_spec(jobs=30, seed=8)))


def test_huge_workspace_is_lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is generated per job up front, and one job (or its runs) is built alone, on demand.
    Counted through the per-job generators, not timed: a busy machine must not fail it."""
    built: list[tuple[str, int]] = []
    for name in ("_job_rng", "_runs_rng", "_build_job", "_build_runs"):
        original = getattr(Workspace, name)

        def spy(self: Workspace, index: int, *args: Any, _name: str = name, _original: Any = original) -> Any:
            built.append((_name, index))
            return _original(self, index, *args)

        monkeypatch.setattr(Workspace, name, spy)
    ws = Workspace(_spec(jobs=20_000))
    assert built == []
    job = ws.job(19_999)
    assert {index for _, index in built} == {19_999} and ("_build_job", 19_999) in built
    assert job["job_id"] == JOB_ID_BASE + 19_999 and job["settings"]["name"].endswith("19999")
    built.clear()
    assert ws.job_count == 20_000 and len(ws.runs(JOB_ID_BASE + 19_999)) == 5
    assert {index for _, index in built} == {19_999} and ("_build_runs", 19_999) in built


def test_table_and_user_seeds_match_lineage() -> None:
    ws = Workspace(_spec(jobs=20))
    names = set(ws.table_full_names())
    ids = [str(i) for i in ws.job_ids()] + ws.pipeline_ids()
    for row in ws.lineage_rows(ids, "2000-01-01"):
        assert row["source_table_full_name"] in names
        assert row["target_table_full_name"] is None or row["target_table_full_name"] in names
    assert all(name.count(".") == 2 for name in names)
    assert {ws.job(i)["creator_user_name"] for i in range(20)} <= set(ws.user_emails())


def test_factory_builds_requested_workspace() -> None:
    server = build_databricks_emulator(jobs=3, tasks=2, runs=1, pipelines=0, seed=4)
    assert server.workspace.job_count == 3 and server.workspace.pipelines() == []
    assert all(
        "pipeline_task" not in t for i in range(3) for t in server.workspace.job(i)["settings"]["tasks"]
    )
