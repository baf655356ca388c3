"""Databricks misbehaving, driven through the emulator's fault injection, with the outcome pinned down.

Transient faults (a burst of 5xx, resets, one slow answer, one cut-off or non-JSON page, a 429 storm)
must end in a fully successful run that also soft-deletes the one job really deleted. Persistent faults
part-way through the listing must end in a failed run that names the cause and deletes nothing. Every
test starts from a catalogue seeded by a clean run, with one job deleted in the workspace since, so a
wrongful delete (or a missing one) shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.databricks.lineage import LineageReader
from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import FaultKind, Request
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.workspace import Workspace

SERVICE = "dbx_emulated"
DELETED_FQN = f"{SERVICE}.1003"
INTERNAL = {"error_code": "INTERNAL_ERROR", "message": "injected internal error"}
UNAVAILABLE = {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "injected: try again later"}
THROTTLED = {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "injected: slow down"}
API = r"^/api/2\.\d/"
RUNS = r"/jobs/runs/list$"  # many in flight at once: a burst spreads over parallel requests

FAULTS_TRIED: list[str] = []  # every fault id exercised in this module, for the closing count


def live(openmetadata: OpenMetadataEmulator) -> set[str]:
    return {fqn for fqn, entity in openmetadata.pipelines.items() if not entity.get("deleted")}


def soft_deleted(openmetadata: OpenMetadataEmulator) -> set[str]:
    return {fqn for fqn, entity in openmetadata.pipelines.items() if entity.get("deleted")}


def everything_in(workspace: Workspace) -> set[str]:
    ids = [str(job_id) for job_id in workspace.job_ids()] + workspace.pipeline_ids()
    return {f"{SERVICE}.{entity_id}" for entity_id in ids}


@pytest.fixture
def fast_config(databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, config_for: Any) -> dict:
    """Short timeouts: 1 s per request (the SDK's retry budget is then 2 x 1 + 2 = 4 s per call)."""
    return config_for(databricks, openmetadata, connection={"connectionTimeout": 1})


def wrap_route(server: DatabricksEmulator, name: str, wrapper: Callable[..., Any]) -> Callable[[], None]:
    """Replace the handler of route ``name`` with ``wrapper(original, request)``; returns an undo."""
    route = next(route for route in server.routes if route.name == name)
    original = route.handler
    route.handler = lambda request: wrapper(original, request)

    def undo() -> None:
        route.handler = original

    return undo


def arm_after_first_page(server: DatabricksEmulator, **fault: Any) -> Callable[[], None]:
    """Inject ``fault`` on ``jobs/list`` as soon as the first page has been answered: every later page
    fails, so the listing breaks part-way (after ten jobs) rather than at its start."""

    def handler(original: Callable[[Request], Any], request: Request) -> Any:
        body = original(request)
        if not request.query.get("page_token"):
            server.inject(path=r"/jobs/list$", times=None, **fault)
        return body

    return wrap_route(server, "jobs/list", handler)


def repeat_page_token(original: Callable[[Request], Any], request: Request) -> Any:
    """A server bug: the second page hands back the token it was asked with, so paging would loop."""
    body = original(request)
    token = request.query.get("page_token")
    if token:
        body["next_page_token"] = token
        body["has_more"] = True
    return body


# -- transient faults: a full, correct run ------------------------------------------------------------

TRANSIENT = [
    pytest.param({"kind": FaultKind.STATUS, "status": 500, "body": INTERNAL, "times": 3, "path": RUNS}, id="500-burst"),
    pytest.param({"kind": FaultKind.STATUS, "status": 502, "times": 3, "path": RUNS}, id="502-burst"),
    pytest.param({"kind": FaultKind.STATUS, "status": 503, "body": UNAVAILABLE, "times": 3, "path": RUNS}, id="503-burst"),
    pytest.param({"kind": FaultKind.STATUS, "status": 504, "times": 3, "path": RUNS}, id="504-burst"),
    pytest.param({"kind": FaultKind.RESET, "times": 3, "path": RUNS}, id="connection-resets"),
    pytest.param({"kind": FaultKind.DELAY, "delay_s": 1.5, "times": 1, "path": r"/jobs/list$"}, id="read-timeout-listing"),
    pytest.param({"kind": FaultKind.DELAY, "delay_s": 1.5, "times": 1, "path": RUNS}, id="read-timeout-runs"),
    pytest.param({"kind": FaultKind.TRUNCATE, "times": 1, "path": r"/jobs/list$"}, id="truncated-page"),
    pytest.param({"kind": FaultKind.NOT_JSON, "times": 1, "path": r"/jobs/list$"}, id="non-json-page"),
    pytest.param({"kind": FaultKind.TRUNCATE, "times": 2, "path": r"/jobs/runs/list$"}, id="truncated-runs-pages"),
    pytest.param({"kind": FaultKind.NOT_JSON, "times": 1, "path": r"/api/2\.0/pipelines$"}, id="non-json-dlt-page"),
]  # fmt: skip


@pytest.mark.parametrize("fault", TRANSIENT)
def test_transient_fault_ends_in_a_full_run(
    fault: dict[str, Any],
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    fast_config: dict,
    seeded: Callable[..., Any],
    cli_ingest: Callable[..., tuple[int, dict, str]],
    request: pytest.FixtureRequest,
) -> None:
    FAULTS_TRIED.append(request.node.callspec.id)
    seed = seeded(fast_config)
    databricks.inject(**fault)

    code, report, _ = cli_ingest(fast_config)

    assert databricks.calls[f"fault:{fault['kind']}"] == fault["times"], "the fault did not fire"
    assert code == 0, report
    assert report["ok"] and report["listingComplete"] and report["failures"] == []
    assert report["listed"] == report["kept"] == len(everything_in(workspace))
    assert report["deleted"] == 1 and report["deleteSkipped"] is None
    assert live(openmetadata) == everything_in(workspace)  # nothing lost
    assert soft_deleted(openmetadata) == {DELETED_FQN}  # exactly the job deleted in the workspace
    seed.unchanged_except_the_deleted_job(openmetadata.snapshot())


@pytest.mark.parametrize("retry_after", [1, None], ids=["429-storm-with-retry-after", "429-storm-without"])
def test_429_storm_is_absorbed(
    retry_after: int | None,
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config_for: Any,
    seeded: Callable[..., Any],
    cli_ingest: Callable[..., tuple[int, dict, str]],
    request: pytest.FixtureRequest,
) -> None:
    """Half of all requests throttled (seeded RNG) until twelve 429s were sent: the run slows, nothing fails.
    (Every 429 closes the shared gate for about a second; a 10 s timeout gives each call a 22 s budget,
    more than the whole storm can cost it.)"""
    FAULTS_TRIED.append(request.node.callspec.id)
    config = config_for(databricks, openmetadata, connection={"connectionTimeout": 10})
    # REST statuses: a rerun over the system tables asks Databricks too little for twelve 429s to land
    config["workflowConfig"]["config"] = {"statusSource": "rest"}
    seed = seeded(config)
    databricks.inject(
        kind=FaultKind.STATUS,
        status=429,
        retry_after=retry_after,
        probability=0.5,
        times=12,
        path=API,
        body=THROTTLED,
    )

    code, report, _ = cli_ingest(config)

    assert databricks.calls["fault:status"] == 12
    assert code == 0 and report["ok"] and report["listingComplete"], report
    assert report["deleted"] == 1
    assert live(openmetadata) == everything_in(workspace)
    assert soft_deleted(openmetadata) == {DELETED_FQN}
    seed.unchanged_except_the_deleted_job(openmetadata.snapshot())


# -- persistent faults part-way through the listing: a clear failure, and no delete at all -------------------

BROKEN_LISTINGS = [
    pytest.param({"kind": FaultKind.STATUS, "status": 500, "body": INTERNAL}, 1, 10, "failed while listing jobs", id="500"),
    pytest.param({"kind": FaultKind.RESET}, 1, 10, "did not answer while listing jobs", id="reset"),
    pytest.param({"kind": FaultKind.DELAY, "delay_s": 1.5}, 1, 10, "did not answer while listing jobs", id="read-timeout"),
    pytest.param({"kind": FaultKind.TRUNCATE}, 1, 10, "unusable answer while listing jobs", id="truncated"),
    pytest.param({"kind": FaultKind.NOT_JSON}, 1, 10, "unusable answer while listing jobs", id="non-json"),
    pytest.param(
        {"kind": FaultKind.STATUS, "status": 403, "body": {"error_code": 403, "message": "Invalid access token."}},
        2,
        10,
        "refused the credentials while listing jobs",
        id="token-revoked",
    ),
    # the second page comes with its own token as the next one: its jobs arrive, then paging stops
    pytest.param(None, 1, 20, "same page token twice", id="repeated-page-token"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "exit_code", "listed", "cause"), BROKEN_LISTINGS)
def test_listing_broken_part_way_fails_and_deletes_nothing(
    fault: dict[str, Any] | None,
    exit_code: int,
    listed: int,
    cause: str,
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config_for: Any,
    seeded: Callable[..., Any],
    cli_ingest: Callable[..., tuple[int, dict, str]],
    request: pytest.FixtureRequest,
) -> None:
    FAULTS_TRIED.append(f"midway-{request.node.callspec.id}")
    config = config_for(databricks, openmetadata, connection={"connectionTimeout": 1})
    seed = seeded(config)
    if fault is None:
        undo = wrap_route(databricks, "jobs/list", repeat_page_token)
    else:
        undo = arm_after_first_page(databricks, **fault)

    code, report, _ = cli_ingest(config)

    assert code == exit_code, report
    assert not report["ok"] and not report["listingComplete"]
    assert report["listed"] == listed  # the pages before the fault arrived; the rest never did
    assert report["deleted"] == 0 and report["deleteSkipped"] == "the listing did not complete"
    [failure] = report["failures"]
    assert failure["phase"] == "listing" and cause in failure["reason"], failure
    assert failure["reason"].endswith(".") and "\n" not in failure["reason"]
    assert soft_deleted(openmetadata) == set()  # not the unseen pages, not even the really deleted job
    assert openmetadata.snapshot() == seed.before

    undo()
    databricks.clear_faults()
    code, report, _ = cli_ingest(config)  # the next clean run converges, and only now deletes
    assert code == 0 and report["ok"] and report["deleted"] == 1
    assert soft_deleted(openmetadata) == {DELETED_FQN}
    assert live(openmetadata) == everything_in(workspace)


# -- the workspace changing under the run --------------------------------------------------------------


def test_job_deleted_between_list_and_get_is_skipped_with_a_warning(
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    seeded: Callable[..., Any],
    cli_ingest: Callable[..., tuple[int, dict, str]],
) -> None:
    """The listing shows a 100+-task job; it is deleted before its remaining tasks are read (``jobs/get``)."""
    FAULTS_TRIED.append("job-deleted-between-list-and-get")
    seed = seeded()
    big = next(j for j in workspace.job_ids() if len(workspace.job_by_id(j)["settings"]["tasks"]) > 100)

    def delete_first(original: Callable[[Request], Any], request: Request) -> Any:
        if request.query.get("job_id") == str(big):
            workspace.delete_job(big)
        return original(request)

    wrap_route(databricks, "jobs/get", delete_first)
    code, report, _ = cli_ingest(config)

    assert code == 0 and report["ok"] and report["failures"] == [], report
    assert any(f"job {big} " in w and "deleted while it was being read" in w for w in report["warnings"])
    # It was listed, so this run must not treat it as gone; the job deleted earlier is.
    assert soft_deleted(openmetadata) == {DELETED_FQN}
    assert live(openmetadata) == everything_in(workspace) | {f"{SERVICE}.{big}"}
    seed.unchanged_except_the_deleted_job(openmetadata.snapshot())

    code, report, _ = cli_ingest(config)  # the next run no longer lists it: now it is soft-deleted
    assert code == 0 and report["deleted"] == 1
    assert soft_deleted(openmetadata) == {DELETED_FQN, f"{SERVICE}.{big}"}


def test_runs_referencing_a_removed_task_are_trimmed_with_a_warning(
    workspace: Workspace,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    seeded: Callable[..., Any],
    cli_ingest: Callable[..., tuple[int, dict, str]],
) -> None:
    FAULTS_TRIED.append("run-references-removed-task")
    seeded()
    job_id = 1004
    tasks = workspace.job_by_id(job_id)["settings"]["tasks"]
    removed = tasks[0]["task_key"]  # the first task: others depend on it
    assert any(t["task_key"] == removed for run in workspace.runs(job_id) for t in run.get("tasks", []))
    workspace.remove_task(job_id, removed)

    code, report, _ = cli_ingest(config)

    assert code == 0 and report["ok"], report
    assert any(f"job {job_id} " in w and removed in w and "left out" in w for w in report["warnings"])
    entity = openmetadata.pipelines[f"{SERVICE}.{job_id}"]
    names = {task["name"] for task in entity["tasks"]}
    assert names == {t["task_key"] for t in tasks} - {removed}
    assert all(removed not in task.get("downstreamTasks", []) for task in entity["tasks"])
    statuses = openmetadata.statuses[f"{SERVICE}.{job_id}"]
    assert statuses and all(
        {t["name"] for t in status.get("taskStatus", [])} <= names for status in statuses.values()
    )


# -- lineage through the SQL warehouse -----------------------------------------------------------------


def test_cold_sql_warehouse_is_polled_until_it_answers(
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    cli_ingest: Callable[..., tuple[int, dict, str]],
) -> None:
    FAULTS_TRIED.append("cold-sql-warehouse")
    databricks.cold_warehouse_polls = 2  # PENDING, then RUNNING, then the result

    code, report, _ = cli_ingest(config)

    assert code == 0 and report["ok"], report
    assert databricks.calls["sql/statements/get"] >= 2
    assert report["lineageEdges"] == len(openmetadata.lineage_edges) > 0


def test_warehouse_that_never_starts_fails_lineage_only(
    monkeypatch: pytest.MonkeyPatch,
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    seeded: Callable[..., Any],
    cli_ingest: Callable[..., tuple[int, dict, str]],
) -> None:
    """The wait is bounded: lineage fails with a reason, pipelines and statuses all land, and because the
    listing itself was complete the deleted job is still soft-deleted."""
    FAULTS_TRIED.append("sql-warehouse-never-starts")
    seeded()

    class QuickReader(LineageReader):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "wait_budget_s": 1.0})
            self.poll_interval_s = 0.2

    monkeypatch.setattr("core.databricks.lineage.LineageReader", QuickReader)  # built by core.factory
    databricks.cold_warehouse_polls = 1_000_000

    code, report, _ = cli_ingest(config)

    assert code == 1 and not report["ok"]
    [failure] = report["failures"]
    assert (
        failure["phase"] == "lineage" and "did not finish the lineage query within 1 s" in failure["reason"]
    )
    assert report["listingComplete"] and report["deleted"] == 1
    assert live(openmetadata) == everything_in(workspace)


def test_missing_system_tables_fail_lineage_with_what_to_do(
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    cli_ingest: Callable[..., tuple[int, dict, str]],
) -> None:
    FAULTS_TRIED.append("system-tables-disabled")
    databricks.system_tables_enabled = False

    code, report, _ = cli_ingest(config)

    assert code == 1
    [failure] = report["failures"]
    assert failure["phase"] == "lineage"
    assert (
        "TABLE_OR_VIEW_NOT_FOUND" in failure["reason"]
        and "SELECT on system.access.table_lineage" in (failure["reason"])
    )
    assert live(openmetadata) == everything_in(workspace) and report["lineageEdges"] == 0


@pytest.fixture(scope="module", autouse=True)
def _count_faults() -> Iterator[None]:
    yield
    print(f"\nDatabricks faults tried: {len(FAULTS_TRIED)} ({', '.join(FAULTS_TRIED)})")
