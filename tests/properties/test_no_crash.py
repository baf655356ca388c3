"""No crash: whatever JSON Databricks sends, decoding and mapping fail only the way they promise to.

For every input from the SDK's model (unconstrained and well-formed) or a raw JSON mutation of it, or
plain arbitrary JSON:

- ``decode_job``/``decode_run``/``decode_dlt_pipeline``/``decode_dlt_update`` return a record or raise
  ``DecodeError``, nothing else;
- ``pipeline_request`` and ``run_to_status`` on the record raise nothing but ``MappingError``, and what
  they return can be serialised (the sinks send JSON) and fingerprinted (``source_hash``);
- every status body, and every task status in it, has an ``executionStatus`` of OpenMetadata's four;
- a run whose life cycle is TERMINATED (any spelling) or that has an end time is never Pending.
"""

from __future__ import annotations

import json
import re
from typing import Any

from databricks.sdk.service import jobs, pipelines
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from core.databricks.decode import DecodeError, decode_dlt_pipeline, decode_dlt_update, decode_job, decode_run
from core.databricks.records import JobRecord, RunRecord
from core.errors import MappingError
from core.mapping.pipeline import pipeline_request, source_hash
from core.mapping.status import run_to_status
from tests.properties.harness import BASE, counted, examples
from tests.properties.strategies import (
    JSON,
    TASK_KEYS,
    dlt_update_dicts,
    job_dicts,
    mutated,
    retyped,
    run_dicts,
    sdk_any,
    states,
)

STATUSES = {"Successful", "Failed", "Pending", "Skipped"}


def squash(value: object) -> str | None:
    """A state as the README says it is compared: case, whitespace, spaces, hyphens, underscores ignored."""
    return re.sub(r"[\s_\-]+", "", value).upper() if isinstance(value, str) else None


def _job_url(job_id: str) -> str:
    return f"https://host/jobs/{job_id}"


def _task_url(job_id: str, key: str) -> str:
    return f"https://host/jobs/{job_id}/tasks/{key}"


def _decode(decoder: Any, raw: object) -> Any:
    """The decoder's result, None when it raised DecodeError; any other exception fails the test."""
    try:
        result = decoder(raw)
    except DecodeError as err:
        assert str(err), "a DecodeError must say what was wrong"
        return None
    return result


def _request_or_none(record: JobRecord) -> dict | None:
    try:
        request = pipeline_request(record, "svc", job_url=_job_url, task_url=_task_url)
    except MappingError:
        return None
    request["sourceHash"] = source_hash(request)
    json.dumps(request)  # what the sinks send
    return request


def _check_status(body: dict) -> None:
    assert body["executionStatus"] in STATUSES, body
    for task in body.get("taskStatus", []):
        assert task["executionStatus"] in STATUSES, task
    json.dumps(body)


def _terminated(raw: object) -> tuple[bool, bool]:
    """(life cycle TERMINATED in any spelling, has an end time), read from the raw run independently."""
    if not isinstance(raw, dict):
        return False, False
    state = raw.get("state") if isinstance(raw.get("state"), dict) else {}
    status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
    life = state.get("life_cycle_state")
    if not isinstance(life, str):
        life = status.get("state")
    end = raw.get("end_time")
    has_end = isinstance(end, int) and not isinstance(end, bool) and end > 0
    return squash(life) == "TERMINATED", has_end


# -- inputs ----------------------------------------------------------------------------------------------
# Strategy 1 (the SDK's model, unconstrained and well-formed) and strategy 2 (raw JSON mutations of it, or
# arbitrary JSON) get separate tests: the mutations are where shapes go wrong, so they get most examples.


@st.composite
def _runs(draw: st.DrawFn) -> dict:
    keys = draw(st.lists(TASK_KEYS, unique=True, max_size=4))
    return draw(run_dicts(keys))


SDK_JOBS = st.one_of(sdk_any(jobs.BaseJob), sdk_any(jobs.Job), job_dicts())
MUTATED_JOBS = st.one_of(mutated(job_dicts()), retyped(job_dicts()), mutated(sdk_any(jobs.BaseJob)), JSON)
SDK_RUNS = st.one_of(sdk_any(jobs.BaseRun), sdk_any(jobs.Run), _runs())
MUTATED_RUNS = st.one_of(mutated(_runs()), retyped(_runs()), mutated(sdk_any(jobs.BaseRun)), JSON)
ANY_PIPELINE = st.one_of(
    sdk_any(pipelines.PipelineStateInfo),
    mutated(sdk_any(pipelines.PipelineStateInfo)),
    retyped(sdk_any(pipelines.PipelineStateInfo)),
    JSON,
)
ANY_UPDATE = st.one_of(
    sdk_any(pipelines.UpdateInfo),
    dlt_update_dicts(),
    mutated(dlt_update_dicts()),
    retyped(dlt_update_dicts()),
    JSON,
)


# -- jobs and DLT pipelines ------------------------------------------------------------------------------


def _job_decodes_and_maps(raw: object) -> None:
    decoded = _decode(decode_job, raw)
    if decoded is None:
        return
    record, has_more = decoded
    assert isinstance(record, JobRecord) and isinstance(has_more, bool)
    _request_or_none(record)


@settings(BASE, max_examples=examples(100))
@given(SDK_JOBS)
@counted
def test_sdk_model_jobs_decode_and_map(raw: object) -> None:
    _job_decodes_and_maps(raw)


@settings(BASE, max_examples=examples(500))
@given(MUTATED_JOBS)
@counted
def test_mutated_jobs_decode_or_raise_decode_error_and_map_or_raise_mapping_error(raw: object) -> None:
    _job_decodes_and_maps(raw)


@settings(BASE, max_examples=examples(150))
@given(ANY_PIPELINE)
@counted
def test_any_dlt_pipeline_decodes_or_raises_decode_error_and_maps(raw: object) -> None:
    record = _decode(decode_dlt_pipeline, raw)
    if record is None:
        return
    assert isinstance(record, JobRecord) and record.kind == "dlt"
    _request_or_none(record)


# -- runs and DLT updates --------------------------------------------------------------------------------


def _run_decodes_and_maps(raw: object, detail: bool, more_names: list[str]) -> None:
    record = _decode(decode_run, raw)
    if record is None:
        return
    assert isinstance(record, RunRecord)
    names = {task.key for task in record.tasks} | set(more_names)
    try:
        mapped = run_to_status(record, names, detail=detail)
    except MappingError:
        return
    _check_status(mapped.body)


@settings(BASE, max_examples=examples(100))
@given(SDK_RUNS, st.booleans(), st.lists(TASK_KEYS, max_size=3))
@counted
def test_sdk_model_runs_decode_and_map_to_one_of_four_statuses(
    raw: object, detail: bool, more: list[str]
) -> None:
    _run_decodes_and_maps(raw, detail, more)


@settings(BASE, max_examples=examples(400))
@given(MUTATED_RUNS, st.booleans(), st.lists(TASK_KEYS, max_size=3))
@counted
def test_mutated_runs_decode_or_raise_decode_error_and_map_to_one_of_four_statuses(
    raw: object, detail: bool, more: list[str]
) -> None:
    _run_decodes_and_maps(raw, detail, more)


def _never_pending_case(raw: object) -> dict:
    """The status body of a run that has finished by the README's rule."""
    record = decode_run(raw)
    return run_to_status(record, {task.key for task in record.tasks}, detail=True).body


@settings(BASE, max_examples=examples(150))
@given(st.one_of(_runs(), sdk_any(jobs.BaseRun), mutated(_runs(), max_edits=2)))
@example({"run_id": 1, "start_time": 1000, "state": {"life_cycle_state": " terminated "}})
@example({"run_id": 1, "start_time": 1000, "end_time": 2000, "state": {"result_state": "BOGUS"}})
@example({"run_id": 1, "start_time": 1000, "status": {"state": "Terminated"}, "tasks": []})
@counted
def test_a_terminated_or_ended_run_is_never_pending(raw: object) -> None:
    terminated, ended = _terminated(raw)
    if not (terminated or ended):
        return
    try:
        body = _never_pending_case(raw)
    except MappingError:
        return
    event(f"terminated: {terminated}, ended: {ended}")
    assert body["executionStatus"] != "Pending", (raw, body)


@settings(BASE, max_examples=examples(150))
@given(ANY_UPDATE)
@counted
def test_any_dlt_update_decodes_or_raises_decode_error_and_maps_to_one_of_four_statuses(raw: object) -> None:
    record = _decode(decode_dlt_update, raw)
    if record is None:
        return
    assert isinstance(record, RunRecord)
    _check_status(run_to_status(record, set(), dlt=True, detail=True).body)


@settings(BASE, max_examples=examples(100))
@given(states(jobs.RunLifeCycleState, odd=True), states(jobs.RunResultState, odd=True), st.booleans())
@counted
def test_state_strings_in_any_spelling_map_to_one_of_four_statuses(
    life: str, result: str, ended: bool
) -> None:
    raw: dict[str, Any] = {
        "run_id": 7,
        "start_time": 1000,
        "state": {"life_cycle_state": life, "result_state": result},
    }
    if ended:
        raw["end_time"] = 2000
    raw["tasks"] = [{"task_key": "t", "state": dict(raw["state"]), "end_time": raw.get("end_time")}]
    _check_status(run_to_status(decode_run(raw), {"t"}, detail=True).body)
