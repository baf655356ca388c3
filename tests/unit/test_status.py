"""Databricks run / task / DLT update states to OpenMetadata's StatusType, and PipelineStatus bodies.

The expected tables are written out here on purpose: a change to core/mapping/status.py must be a
deliberate change to this file too. Every enum value of the installed databricks-sdk must be a key of
the module's tables, so a new SDK value fails here instead of silently mapping to a default.
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk.service.jobs import RunLifeCycleState, RunResultState
from databricks.sdk.service.pipelines import UpdateInfoState

from core.databricks.records import RunRecord, TaskRunRecord
from core.mapping.status import (
    DLT_UPDATE_STATES,
    LIFE_CYCLE_STATES,
    RESULT_STATES,
    execution_status,
    run_to_status,
)

SCHEMA_ROOT = Path("/work/shared/reference/openmetadata-spec/json/schema")
SCHEMA_BASE = "https://open-metadata.org/schema/"
RUNS = "https://adb-1.azuredatabricks.net/jobs/11/runs"

SUCCESSFUL, FAILED, PENDING, SKIPPED = "Successful", "Failed", "Pending", "Skipped"

RUNNING_TYPE = ["QUEUED", "PENDING", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"]

EXPECTED_LIFE_CYCLE: dict[str, str | None] = {
    **dict.fromkeys(RUNNING_TYPE, PENDING),
    "SKIPPED": SKIPPED,
    "INTERNAL_ERROR": FAILED,
    "TERMINATED": None,  # decided by result_state
}

EXPECTED_RESULT: dict[str, str] = {
    "SUCCESS": SUCCESSFUL,
    "SUCCESS_WITH_FAILURES": SUCCESSFUL,
    "FAILED": FAILED,
    "TIMEDOUT": FAILED,
    "CANCELED": FAILED,
    "MAXIMUM_CONCURRENT_RUNS_REACHED": SKIPPED,
    "EXCLUDED": SKIPPED,
    "DISABLED": SKIPPED,
    "UPSTREAM_FAILED": SKIPPED,
    "UPSTREAM_CANCELED": SKIPPED,
}

EXPECTED_DLT: dict[str, str] = {
    "COMPLETED": SUCCESSFUL,
    "FAILED": FAILED,
    "CANCELED": FAILED,
    **dict.fromkeys(
        [
            "QUEUED",
            "CREATED",
            "WAITING_FOR_RESOURCES",
            "INITIALIZING",
            "RESETTING",
            "SETTING_UP_TABLES",
            "RUNNING",
            "STOPPING",
        ],
        PENDING,
    ),
}


# -- the tables cover the installed SDK --------------------------------------------------------------


@pytest.mark.parametrize(
    ("enum", "table"),
    [
        (RunLifeCycleState, LIFE_CYCLE_STATES),
        (RunResultState, RESULT_STATES),
        (UpdateInfoState, DLT_UPDATE_STATES),
    ],
    ids=["RunLifeCycleState", "RunResultState", "UpdateInfoState"],
)
def test_every_sdk_enum_value_is_mapped(enum: Any, table: dict[str, Any]) -> None:
    values = {member.value for member in enum}
    assert values, enum
    missing = sorted(values - set(table))
    assert not missing, f"{enum.__name__} values without a mapping in core/mapping/status.py: {missing}"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (LIFE_CYCLE_STATES, EXPECTED_LIFE_CYCLE),
        (RESULT_STATES, EXPECTED_RESULT),
        (DLT_UPDATE_STATES, EXPECTED_DLT),
    ],
    ids=["life-cycle", "result", "dlt"],
)
def test_tables_are_exactly_the_expected_mapping(table: dict[str, Any], expected: dict[str, Any]) -> None:
    assert table == expected


def test_expected_tables_cover_the_sdk_too() -> None:
    assert {m.value for m in RunLifeCycleState} <= set(EXPECTED_LIFE_CYCLE)
    assert {m.value for m in RunResultState} <= set(EXPECTED_RESULT)
    assert {m.value for m in UpdateInfoState} <= set(EXPECTED_DLT)


# -- execution_status ----------------------------------------------------------------------------------

RESULTS_AND_ODD = [*EXPECTED_RESULT, None, "SOMETHING_NEW"]


@pytest.mark.parametrize(("life", "result"), list(itertools.product(RUNNING_TYPE, RESULTS_AND_ODD)))
def test_running_type_states_are_pending_whatever_the_result(life: str, result: str | None) -> None:
    assert execution_status(life, result) == (PENDING, True)


@pytest.mark.parametrize("result", RESULTS_AND_ODD)
def test_skipped_and_internal_error_decide_alone(result: str | None) -> None:
    assert execution_status("SKIPPED", result) == (SKIPPED, True)
    assert execution_status("INTERNAL_ERROR", result) == (FAILED, True)


@pytest.mark.parametrize(("result", "status"), list(EXPECTED_RESULT.items()))
def test_terminated_runs_are_mapped_by_result(result: str, status: str) -> None:
    assert execution_status("TERMINATED", result) == (status, True)
    # runs/list sometimes leaves life_cycle_state out: the result alone is still trusted
    assert execution_status(None, result) == (status, True)


@pytest.mark.parametrize(
    ("life", "result", "status", "known"),
    [
        ("TERMINATED", None, PENDING, False),
        ("TERMINATED", "SOMETHING_NEW", PENDING, False),
        (None, None, PENDING, False),
        (None, "SOMETHING_NEW", PENDING, False),
        ("SOMETHING_NEW", None, PENDING, False),
        ("SOMETHING_NEW", "SOMETHING_ELSE", PENDING, False),
        ("SOMETHING_NEW", "FAILED", FAILED, False),
        ("SOMETHING_NEW", "SUCCESS", SUCCESSFUL, False),
        ("", "", PENDING, False),
    ],
)
def test_unknown_states_are_pending_and_flagged(
    life: str | None, result: str | None, status: str, known: bool
) -> None:
    assert execution_status(life, result) == (status, known)


def test_nothing_falls_to_failed_by_default() -> None:
    lives = [*EXPECTED_LIFE_CYCLE, None, "SOMETHING_NEW"]
    for life, result in itertools.product(lives, RESULTS_AND_ODD):
        status, known = execution_status(life, result)
        if status == FAILED:
            # only INTERNAL_ERROR, or a life cycle that defers to the result and an explicit failed result
            explicit = life == "INTERNAL_ERROR" or (
                EXPECTED_LIFE_CYCLE.get(life) is None and result in ("FAILED", "TIMEDOUT", "CANCELED")
            )
            assert explicit, (life, result)
        if life not in EXPECTED_LIFE_CYCLE and result not in EXPECTED_RESULT:
            assert (status, known) == (PENDING, False), (life, result)


# -- run_to_status ---------------------------------------------------------------------------------------


@cache
def _status_validator() -> Any:
    if not SCHEMA_ROOT.is_dir():
        pytest.skip(f"OpenMetadata JSON schemas not available at {SCHEMA_ROOT} (needs /work/shared)")
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT7

    by_lower_path = {str(p.relative_to(SCHEMA_ROOT)).lower(): p for p in SCHEMA_ROOT.rglob("*.json")}

    def retrieve(uri: str) -> Resource:
        relative = uri[len(SCHEMA_BASE) :] if uri.startswith(SCHEMA_BASE) else None
        path = by_lower_path.get(relative.lower()) if relative else None
        if path is None:
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT7)

    schema = {"$ref": SCHEMA_BASE + "entity/data/pipeline.json#/definitions/pipelineStatus"}
    registry: Registry = Registry(retrieve=retrieve)
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def assert_valid_pipeline_status(body: dict) -> None:
    errors = list(_status_validator().iter_errors(body))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_status_validator_rejects_bad_bodies() -> None:
    validator = _status_validator()
    assert validator.is_valid({"timestamp": 1, "executionStatus": "Successful"})
    assert not validator.is_valid({"timestamp": 1, "executionStatus": "Success"})
    assert not validator.is_valid({"executionStatus": "Successful"})
    assert not validator.is_valid(
        {
            "timestamp": 1,
            "executionStatus": "Failed",
            "taskStatus": [{"name": "a", "executionStatus": "Nope"}],
        }
    )


def _task(
    key: str, life: str | None, result: str | None, start: int | None, end: int | None
) -> TaskRunRecord:
    url = f"{RUNS}/{start}" if start else None
    return TaskRunRecord(key, life, result, start, end, url)


RUN = RunRecord(
    run_id="9001",
    start_ms=1_700_000_000_000,
    end_ms=1_700_000_900_000,
    life_cycle_state="TERMINATED",
    result_state="SUCCESS_WITH_FAILURES",
    url=f"{RUNS}/9001",
    tasks=(
        _task("extract", "TERMINATED", "SUCCESS", 1_700_000_000_100, 1_700_000_100_000),
        _task("transform", "TERMINATED", "FAILED", 1_700_000_100_100, 1_700_000_200_000),
        _task("old_task", "TERMINATED", "SUCCESS", 1_700_000_000_200, 1_700_000_050_000),
        _task("load", "SKIPPED", None, None, None),
        _task("report", "TERMINATED", "UPSTREAM_FAILED", None, None),
        _task("retrying", "WAITING_FOR_RETRY", None, 1_700_000_300_000, None),
    ),
)
JOB_TASKS = {"extract", "transform", "load", "report", "retrying", "never_ran"}


def test_run_to_status_uses_each_tasks_own_state_times_and_url() -> None:
    mapped = run_to_status(RUN, JOB_TASKS)
    assert_valid_pipeline_status(mapped.body)
    assert mapped.body == {
        "timestamp": 1_700_000_000_000,
        "executionStatus": SUCCESSFUL,
        "taskStatus": [
            {
                "name": "extract",
                "executionStatus": SUCCESSFUL,
                "startTime": 1_700_000_000_100,
                "endTime": 1_700_000_100_000,
                "logLink": f"{RUNS}/1700000000100",
            },
            {
                "name": "transform",
                "executionStatus": FAILED,
                "startTime": 1_700_000_100_100,
                "endTime": 1_700_000_200_000,
                "logLink": f"{RUNS}/1700000100100",
            },
            {"name": "load", "executionStatus": SKIPPED},
            {"name": "report", "executionStatus": SKIPPED},
            {
                "name": "retrying",
                "executionStatus": PENDING,
                "startTime": 1_700_000_300_000,
                "logLink": f"{RUNS}/1700000300000",
            },
        ],
    }
    assert mapped.trimmed_tasks == ["old_task"]
    assert mapped.unknown_states == []
    # never the run's values stamped on every task (OpenMetadata's connector does that)
    for task in mapped.body["taskStatus"]:
        assert task.get("logLink") != RUN.url
        assert task.get("startTime") != RUN.start_ms


def test_run_to_status_sends_only_keys_every_server_version_accepts() -> None:
    mapped = run_to_status(RUN, JOB_TASKS)
    assert set(mapped.body) == {"timestamp", "executionStatus", "taskStatus"}


def test_all_tasks_trimmed_means_no_task_status() -> None:
    mapped = run_to_status(RUN, set())
    assert_valid_pipeline_status(mapped.body)
    assert mapped.body == {"timestamp": RUN.start_ms, "executionStatus": SUCCESSFUL}
    assert mapped.trimmed_tasks == [task.key for task in RUN.tasks]


@pytest.mark.parametrize(
    ("life", "result", "status"),
    [
        ("TERMINATED", "FAILED", FAILED),
        ("TERMINATED", "CANCELED", FAILED),
        ("INTERNAL_ERROR", None, FAILED),
        ("SKIPPED", None, SKIPPED),
        ("TERMINATED", "MAXIMUM_CONCURRENT_RUNS_REACHED", SKIPPED),
        ("RUNNING", None, PENDING),
    ],
)
def test_run_level_status(life: str, result: str | None, status: str) -> None:
    run = RunRecord("1", 1_700_000_000_000, None, life, result)
    mapped = run_to_status(run, {"a"})
    assert_valid_pipeline_status(mapped.body)
    assert mapped.body == {"timestamp": 1_700_000_000_000, "executionStatus": status}
    assert mapped.unknown_states == []


def test_unknown_run_and_task_states_are_reported_not_failed() -> None:
    run = RunRecord(
        "77",
        1_700_000_000_000,
        None,
        "BRAND_NEW_STATE",
        None,
        tasks=(
            TaskRunRecord("a", "TERMINATED", "NEW_RESULT", None, None, None),
            TaskRunRecord("b", "TERMINATED", "SUCCESS", None, None, None),
            TaskRunRecord("gone", "WEIRD", "WEIRD", None, None, None),
        ),
    )
    mapped = run_to_status(run, {"a", "b"})
    assert_valid_pipeline_status(mapped.body)
    assert mapped.body["executionStatus"] == PENDING
    assert mapped.body["taskStatus"] == [
        {"name": "a", "executionStatus": PENDING},
        {"name": "b", "executionStatus": SUCCESSFUL},
    ]
    assert mapped.unknown_states == ["run 77: BRAND_NEW_STATE/None", "task a: TERMINATED/NEW_RESULT"]
    assert mapped.trimmed_tasks == ["gone"]


@pytest.mark.parametrize(("state", "status"), list(EXPECTED_DLT.items()))
def test_dlt_update_status(state: str, status: str) -> None:
    update = RunRecord("u-1", 1_700_000_000_000, None, state, None)
    mapped = run_to_status(update, set(), dlt=True)
    assert_valid_pipeline_status(mapped.body)
    assert mapped.body == {"timestamp": 1_700_000_000_000, "executionStatus": status}
    assert mapped.unknown_states == []


@pytest.mark.parametrize(
    ("state", "note"),
    [("SOMETHING_NEW", "update u-2: SOMETHING_NEW"), (None, "update u-2: no state")],
    ids=["new", "none"],
)
def test_unknown_dlt_update_state_is_pending_and_reported(state: str | None, note: str) -> None:
    mapped = run_to_status(RunRecord("u-2", 1_700_000_000_000, None, state, None), set(), dlt=True)
    assert mapped.body["executionStatus"] == PENDING
    assert mapped.unknown_states == [note]


def test_dlt_ignores_job_result_state() -> None:
    # an update is judged by its own state; a stray result_state must not override it
    update = RunRecord("u-3", 1_700_000_000_000, None, "RUNNING", "FAILED")
    assert run_to_status(update, set(), dlt=True).body["executionStatus"] == PENDING
