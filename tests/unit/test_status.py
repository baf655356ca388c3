"""Databricks run / task / DLT update states to OpenMetadata's StatusType, and PipelineStatus bodies.

The expected tables are written out here on purpose: a change to core/mapping/status.py must be a
deliberate change to this file too. Every enum value of the installed databricks-sdk must be a key of
the module's tables, so a new SDK value fails here instead of silently mapping to a default.
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from typing import Any

import pytest
from databricks.sdk.service.jobs import (
    RunLifeCycleState,
    RunLifecycleStateV2State,
    RunResultState,
    TerminationCodeCode,
)
from databricks.sdk.service.pipelines import UpdateInfoState

from core.databricks.records import RunRecord, TaskRunRecord
from core.mapping.status import (
    DLT_UPDATE_STATES,
    LIFE_CYCLE_STATES,
    RESULT_STATES,
    TERMINATION_CODES,
    execution_status,
    normalise_state,
    run_to_status,
    supports_run_detail,
)
from tests.paths import SCHEMA_BASE, schema_root

SCHEMA_ROOT = schema_root()
RUNS = "https://adb-1.azuredatabricks.net/jobs/11/runs"

SUCCESSFUL, FAILED, PENDING, SKIPPED = "Successful", "Failed", "Pending", "Skipped"

RUNNING_TYPE = ["QUEUED", "PENDING", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY", "WAITING"]

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

NEVER_RAN_CODES = [
    "SKIPPED",
    "DISABLED",
    "MAX_CONCURRENT_RUNS_EXCEEDED",
    "MAX_JOB_QUEUE_SIZE_EXCEEDED",
    "WORKSPACE_RUN_LIMIT_EXCEEDED",
]
ERROR_CODES = [
    "USER_CANCELED",
    "CANCELED",
    "INTERNAL_ERROR",
    "DRIVER_ERROR",
    "CLUSTER_ERROR",
    "REPOSITORY_CHECKOUT_FAILED",
    "INVALID_CLUSTER_REQUEST",
    "FEATURE_DISABLED",
    "CLUSTER_REQUEST_LIMIT_EXCEEDED",
    "STORAGE_ACCESS_ERROR",
    "RUN_EXECUTION_ERROR",
    "UNAUTHORIZED_ERROR",
    "LIBRARY_INSTALLATION_ERROR",
    "MAX_SPARK_CONTEXTS_EXCEEDED",
    "RESOURCE_NOT_FOUND",
    "INVALID_RUN_CONFIGURATION",
    "CLOUD_FAILURE",
    "BREAKING_CHANGE",
    "BUDGET_POLICY_LIMIT_EXCEEDED",
    "CLUSTER_TERMINATED_BY_USER",  # documented, not in databricks-sdk 0.162's enum
]
EXPECTED_TERMINATION: dict[str, str] = {
    "SUCCESS": SUCCESSFUL,
    "SUCCESS_WITH_FAILURES": SUCCESSFUL,
    **dict.fromkeys(NEVER_RAN_CODES, SKIPPED),
    **dict.fromkeys(ERROR_CODES, FAILED),
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
        (RunLifecycleStateV2State, LIFE_CYCLE_STATES),
        (RunResultState, RESULT_STATES),
        (TerminationCodeCode, TERMINATION_CODES),
        (UpdateInfoState, DLT_UPDATE_STATES),
    ],
    ids=[
        "RunLifeCycleState",
        "RunLifecycleStateV2State",
        "RunResultState",
        "TerminationCodeCode",
        "UpdateInfoState",
    ],
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
        (TERMINATION_CODES, EXPECTED_TERMINATION),
        (DLT_UPDATE_STATES, EXPECTED_DLT),
    ],
    ids=["life-cycle", "result", "termination-code", "dlt"],
)
def test_tables_are_exactly_the_expected_mapping(table: dict[str, Any], expected: dict[str, Any]) -> None:
    assert table == expected


def test_expected_tables_cover_the_sdk_too() -> None:
    assert {m.value for m in RunLifeCycleState} <= set(EXPECTED_LIFE_CYCLE)
    assert {m.value for m in RunLifecycleStateV2State} <= set(EXPECTED_LIFE_CYCLE)
    assert {m.value for m in RunResultState} <= set(EXPECTED_RESULT)
    assert {m.value for m in TerminationCodeCode} <= set(EXPECTED_TERMINATION)
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
        # terminated is never Pending: with no known result it is Failed (runs derive it from tasks)
        ("TERMINATED", None, FAILED, False),
        ("TERMINATED", "SOMETHING_NEW", FAILED, False),
        (None, None, PENDING, False),
        (None, "SOMETHING_NEW", PENDING, False),
        ("SOMETHING_NEW", None, PENDING, False),
        ("SOMETHING_NEW", "SOMETHING_ELSE", PENDING, False),
        ("SOMETHING_NEW", "FAILED", FAILED, False),
        ("SOMETHING_NEW", "SUCCESS", SUCCESSFUL, False),
        ("", "", PENDING, False),
    ],
)
def test_unknown_states_are_flagged_and_pending_unless_terminated(
    life: str | None, result: str | None, status: str, known: bool
) -> None:
    assert execution_status(life, result) == (status, known)


def test_nothing_falls_to_failed_by_default() -> None:
    lives = [*EXPECTED_LIFE_CYCLE, None, "SOMETHING_NEW"]
    for life, result in itertools.product(lives, RESULTS_AND_ODD):
        status, known = execution_status(life, result)
        if status == FAILED:
            # only INTERNAL_ERROR, or a life cycle that defers to the result and an explicit failed result
            # only INTERNAL_ERROR, an explicit failed result, or a terminated run with no known result
            explicit = life == "INTERNAL_ERROR" or (
                EXPECTED_LIFE_CYCLE.get(life) is None and result in ("FAILED", "TIMEDOUT", "CANCELED")
            )
            assert explicit or (life == "TERMINATED" and result not in EXPECTED_RESULT), (life, result)
        if life not in EXPECTED_LIFE_CYCLE and result not in EXPECTED_RESULT:
            assert (status, known) == (PENDING, False), (life, result)


# -- run_to_status ---------------------------------------------------------------------------------------


@cache
def _status_validator() -> Any:
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


def test_unknown_run_and_task_states_are_reported_with_their_raw_values() -> None:
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
        {"name": "a", "executionStatus": FAILED},
        {"name": "b", "executionStatus": SUCCESSFUL},
    ]
    assert mapped.unknown_states == [
        "task a: life_cycle_state 'TERMINATED', result_state 'NEW_RESULT'; it has finished, so it is "
        "recorded as Failed",
        "run 77: life_cycle_state 'BRAND_NEW_STATE', result_state no value; recorded as Pending",
    ]
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
    [
        ("SOMETHING_NEW", "update u-2: 'SOMETHING_NEW'; recorded as Pending"),
        (None, "update u-2: no value; recorded as Pending"),
    ],
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


# -- states as Databricks sent them ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("SUCCESS", "SUCCESS"),
        (" success ", "SUCCESS"),
        ("Success", "SUCCESS"),
        ("success_with_failures", "SUCCESS_WITH_FAILURES"),
        ("success with failures", "SUCCESS_WITH_FAILURES"),
        ("TIMED_OUT", "TIMEDOUT"),
        ("cancelled", "CANCELED"),
        ("Upstream-Failed", "UPSTREAM_FAILED"),
        ("\tterminated\n", "TERMINATED"),
        ("waiting for retry", "WAITING_FOR_RETRY"),
        ("BRAND_NEW", "BRAND_NEW"),
        ("  brand new ", "BRAND NEW"),
        ("", None),
        ("   ", None),
        (None, None),
        (7, None),
    ],
)
def test_normalise_state(raw: object, canonical: str | None) -> None:
    assert normalise_state(raw) == canonical


@pytest.mark.parametrize("spelling", ["success", " SUCCESS ", "Success", "success\n"])
def test_odd_spellings_of_a_known_result_map_without_warning(spelling: str) -> None:
    run = RunRecord("5", 1_700_000_000_000, 1_700_000_100_000, "terminated ", spelling)
    mapped = run_to_status(run, set())
    assert mapped.body["executionStatus"] == SUCCESSFUL
    assert mapped.unknown_states == []


def _finished_run(
    result: str | None, *tasks: TaskRunRecord, end: int | None = 1_700_000_500_000
) -> RunRecord:
    return RunRecord("9001", 1_700_000_000_000, end, "TERMINATED", result, tasks=tasks)


def _done(key: str, result: str) -> TaskRunRecord:
    return TaskRunRecord(key, "TERMINATED", result, 1_700_000_000_100, 1_700_000_100_000, None)


@pytest.mark.parametrize(
    ("tasks", "status"),
    [
        ((_done("a", "SUCCESS"), _done("b", "SUCCESS")), SUCCESSFUL),
        ((_done("a", "SUCCESS"), _done("b", "EXCLUDED")), SUCCESSFUL),
        ((_done("a", "SUCCESS"), _done("b", "FAILED")), FAILED),
        ((_done("a", "UPSTREAM_FAILED"),), SKIPPED),
        ((), FAILED),
        ((_done("a", "SUCCESS"), TaskRunRecord("b", "RUNNING", None, 1, None, None)), FAILED),
    ],
    ids=["all-ok", "ok-and-skipped", "one-failed", "all-skipped", "no-tasks", "one-unfinished"],
)
@pytest.mark.parametrize("raw_result", ["Succes ", "SOMETHING_NEWER_THAN_THE_SDK", None])
def test_a_terminated_run_with_an_unknown_result_is_derived_from_its_tasks(
    tasks: tuple[TaskRunRecord, ...], status: str, raw_result: str | None
) -> None:
    mapped = run_to_status(_finished_run(raw_result, *tasks), {"a", "b"})
    assert mapped.body["executionStatus"] == status
    assert mapped.body["executionStatus"] != PENDING
    (note,) = [n for n in mapped.unknown_states if n.startswith("run ")]
    assert (repr(raw_result) if raw_result is not None else "no value") in note
    assert f"recorded as {status}" in note


def test_a_run_with_an_end_time_but_an_unknown_life_cycle_is_not_pending() -> None:
    run = RunRecord(
        "1", 1_700_000_000_000, 1_700_000_500_000, "SOME_NEW_END_STATE", None, tasks=(_done("a", "SUCCESS"),)
    )
    mapped = run_to_status(run, {"a"})
    assert mapped.body["executionStatus"] == SUCCESSFUL
    assert "'SOME_NEW_END_STATE'" in mapped.unknown_states[0]


@pytest.mark.parametrize(("code", "status"), list(EXPECTED_TERMINATION.items()))
def test_the_newer_status_object_alone_decides_through_the_termination_code(code: str, status: str) -> None:
    # lifecycle v2 answers: no legacy state.result_state, only status.state + termination code
    run = RunRecord("1", 1_700_000_000_000, 1_700_000_500_000, "TERMINATED", None, termination_code=code)
    mapped = run_to_status(run, set())
    assert mapped.body["executionStatus"] == status
    assert mapped.unknown_states == []


# -- full run detail ----------------------------------------------------------------------------------------


def test_detail_adds_end_time_execution_id_parameters_error_and_task_ids() -> None:
    run = RunRecord(
        run_id="9001",
        start_ms=1_700_000_000_000,
        end_ms=1_700_000_900_000,
        life_cycle_state="TERMINATED",
        result_state="FAILED",
        url=f"{RUNS}/9001",
        tasks=(
            TaskRunRecord(
                "extract", "TERMINATED", "SUCCESS", 1_700_000_000_100, 1_700_000_100_000, None, run_id="71"
            ),
            TaskRunRecord(
                "load",
                "TERMINATED",
                "FAILED",
                1_700_000_100_100,
                1_700_000_200_000,
                None,
                run_id="72",
                state_message="Notebook raised: ValueError: bad row",
            ),
        ),
        state_message="Task load failed with message: Notebook raised",
        termination_code="RUN_EXECUTION_ERROR",
        parameters={"env": "prod", "date": "2026-11-28"},
    )
    mapped = run_to_status(run, {"extract", "load"}, detail=True)
    assert_valid_pipeline_status(mapped.body)
    assert mapped.body["endTime"] == 1_700_000_900_000
    assert mapped.body["executionId"] == "9001"
    assert mapped.body["parameters"] == {"env": "prod", "date": "2026-11-28"}
    assert mapped.body["error"] == {
        "errorType": "RUN_EXECUTION_ERROR",
        "errorMessage": "Notebook raised: ValueError: bad row",
        "failedTask": "load",
    }
    assert [t["taskId"] for t in mapped.body["taskStatus"]] == ["71", "72"]
    # without detail (older servers) none of it is sent
    plain = run_to_status(run, {"extract", "load"})
    assert set(plain.body) == {"timestamp", "executionStatus", "taskStatus"}
    assert all("taskId" not in t for t in plain.body["taskStatus"])


def test_error_falls_back_to_the_result_state_and_the_run_message() -> None:
    run = RunRecord(
        "3",
        1_700_000_000_000,
        1_700_000_100_000,
        "TERMINATED",
        "TIMEDOUT",
        state_message="timed out after 60 s",
    )
    body = run_to_status(run, set(), detail=True).body
    assert body["error"] == {"errorType": "TIMEDOUT", "errorMessage": "timed out after 60 s"}
    successful = RunRecord("4", 1_700_000_000_000, 1_700_000_100_000, "TERMINATED", "SUCCESS")
    assert "error" not in run_to_status(successful, set(), detail=True).body


@pytest.mark.parametrize(
    ("version", "detail"),
    [
        (None, True),
        ("1.13.0", True),
        ("1.13.6.3", True),
        ("2.0.7", True),
        ("v2.1.0-SNAPSHOT", True),
        ("1.12.9", False),
        ("1.6.2", False),
        ("0.13.1", False),
        ("unknown", False),
    ],
)
def test_supports_run_detail_by_server_version(version: str | None, detail: bool) -> None:
    assert supports_run_detail(version) is detail


@pytest.mark.parametrize(
    ("state", "result", "status"),
    [
        ("TERMINATED", "SUCCESS", SUCCESSFUL),  # a jobs-style word in a DLT update: its result decides
        ("SOMETHING_NEW", "COMPLETED", SUCCESSFUL),
        ("RUNNING", None, FAILED),  # an end time beats an unfinished state, as for job runs
        (None, None, FAILED),
        ("STOPPING", "RUNNING", FAILED),  # an unfinished result word is no verdict either
    ],
)
def test_an_ended_dlt_update_is_never_pending(state: str | None, result: str | None, status: str) -> None:
    update = RunRecord("u-4", 1_700_000_000_000, 1_700_000_060_000, state, result)
    mapped = run_to_status(update, set(), dlt=True)
    assert mapped.body["executionStatus"] == status
    (note,) = mapped.unknown_states
    assert note.startswith("update u-4: ") and f"the update has ended, so it is recorded as {status}" in note


def test_a_finished_dlt_state_with_an_end_time_is_taken_as_it_is() -> None:
    update = RunRecord("u-5", 1_700_000_000_000, 1_700_000_060_000, "CANCELED", None)
    mapped = run_to_status(update, set(), dlt=True)
    assert (mapped.body["executionStatus"], mapped.unknown_states) == (FAILED, [])
