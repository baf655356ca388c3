"""Bugs the property tests found in ``core/`` (now fixed), minimised by Hypothesis and kept as regression tests.

1. ``decode.as_int`` took ``"²"``/``"①"`` for digits (``str.isdigit``) and ``int()`` raised ValueError.
2. ``decode._repair_ranks`` iterated a ``task_run_ids`` that was not a list (TypeError): the whole job failed.
3. A run with an end time and an unfinished life cycle was Pending, against "an ended run is never Pending".
"""

from __future__ import annotations

import pytest

from core.databricks.decode import DecodeError, decode_dlt_update, decode_job, decode_run
from core.mapping.status import run_to_status
from tests.properties.fakes import NOW_MS, FakeWorkspace, MemoryJsonSink, run_engine

# -- 1: digits that are not decimal ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decoder", "raw"),
    [
        (decode_job, {"job_id": "²"}),
        (decode_job, {"job_id": 1, "settings": {"max_concurrent_runs": "①"}}),
        (decode_job, {"job_id": 1, "created_time": "³"}),
        (decode_run, {"run_id": 1, "start_time": "²"}),
        (decode_run, {"run_id": 1, "start_time": 5, "end_time": "²"}),
        (decode_run, {"run_id": 1, "start_time": 5, "tasks": [{"task_key": "t", "attempt_number": "²"}]}),
        (decode_dlt_update, {"update_id": "u", "creation_time": "²"}),
    ],
    ids=[
        "job_id",
        "max_concurrent_runs",
        "created_time",
        "start_time",
        "end_time",
        "attempt_number",
        "creation_time",
    ],
)
def test_non_decimal_digits_in_a_number_field_are_a_decode_error_or_ignored(
    decoder: object, raw: dict
) -> None:
    try:
        record = decoder(raw)  # type: ignore[operator]
    except DecodeError as err:  # an id or a start time that cannot be read: the item is reported
        assert err.path in ("job_id", "start_time", "creation_time")
        return
    # any other number field is left out with a warning naming it
    record = record[0] if isinstance(record, tuple) else record  # decode_job gives (record, has_more)
    assert any(warning.endswith("expected a whole number; ignored") for warning in record.warnings), record


def test_a_job_id_with_non_decimal_digits_costs_only_that_job() -> None:
    workspace = FakeWorkspace(jobs=[{"job_id": 1, "settings": {"name": "a"}}, {"job_id": "²"}, {"job_id": 3}])
    sink = MemoryJsonSink()
    report = run_engine(workspace, sink)
    assert report.listing_complete
    assert [failure.pipeline for failure in report.failures] == ["²"]
    assert set(sink.pipelines()) == {"1", "3"}


# -- 2: repair_history[].task_run_ids not a list ------------------------------------------------------


def test_task_run_ids_that_are_not_a_list_are_ignored_with_a_warning() -> None:
    run = decode_run({"run_id": 1, "start_time": 1, "repair_history": [{"task_run_ids": 1}]})
    assert run.warnings == ("run 1: repair_history[0].task_run_ids is a number, expected a list; ignored",)


def test_scalar_task_run_ids_cost_at_most_that_run() -> None:
    bad = {"run_id": 9, "start_time": NOW_MS - 1000, "repair_history": [{"task_run_ids": 7}]}
    good = {"run_id": 10, "start_time": NOW_MS - 2000, "state": {"life_cycle_state": "RUNNING"}}
    workspace = FakeWorkspace(jobs=[{"job_id": 1, "settings": {"name": "a"}}], runs={1: [bad, good]})
    sink = MemoryJsonSink()
    report = run_engine(workspace, sink)
    assert report.failures == []
    assert NOW_MS - 2000 in [status["timestamp"] for status in sink.statuses()["dbx_props.1"]]


# -- 3: an ended run with an unfinished life cycle is Pending ------------------------------------------


@pytest.mark.parametrize(
    "life", ["BLOCKED", "RUNNING", "TERMINATING", "PENDING", "QUEUED", "WAITING_FOR_RETRY"]
)
def test_a_run_with_an_end_time_is_never_pending(life: str) -> None:
    # minimised by Hypothesis from test_no_crash.py::test_a_terminated_or_ended_run_is_never_pending
    raw = {
        "run_id": 1,
        "start_time": 1_749_136_000_000,
        "end_time": 1_749_136_000_000,
        "state": {"life_cycle_state": life},
    }
    assert run_to_status(decode_run(raw), set(), detail=True).body["executionStatus"] != "Pending"
