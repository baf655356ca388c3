"""Whole engine runs over generated workspaces (``fakes.FakeWorkspace`` behind a real ``DatabricksSource``).

- One bad item costs at most itself: a workspace of good jobs with broken (mutated) jobs, DLT pipelines and
  runs mixed in, listed in small pages, writes exactly what the good part alone writes for every good
  job; each item that cannot be decoded (or mapped) is a failure with its id; the listing completes.
- A well-formed job maps exactly: the pipeline's tasks are the task keys in order, ``taskType`` is the
  first task kind set, ``downstreamTasks`` is the exact inverse of ``depends_on``, ``state`` follows the
  schedule's or trigger's pause; one status per run in the lookback, with one task status per task key
  from its latest attempt (highest repair rank, ``attempt_number``, start, list position).
- A rerun changes nothing: the second run over the same workspace, against a catalogue that remembers
  ``sourceHash``, writes no pipeline and the same statuses (in memory, and for a few examples against the
  OpenMetadata emulator with the ``metadata-rest`` sink).

The oracles here read the generated JSON directly; they do not call the decoder.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from core.config import parse_workflow_config
from core.databricks.decode import TASK_KINDS, DecodeError, decode_dlt_pipeline, decode_job
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.errors import MappingError
from core.mapping.pipeline import pipeline_request
from core.sinks import create_sink
from tests.properties.fakes import (
    DAY_MS,
    HOST,
    NOW_MS,
    SERVICE,
    FakeWorkspace,
    MemoryCatalogue,
    MemoryJsonSink,
    as_int,
    make_config,
    run_engine,
)
from tests.properties.harness import BASE, counted, examples
from tests.properties.strategies import (
    EPOCH_MS,
    dlt_pipeline_dicts,
    dlt_update_dicts,
    job_dicts,
    mutated,
    run_dicts,
)

LOOKBACK_DAYS = 7
SINCE_MS = NOW_MS - LOOKBACK_DAYS * DAY_MS
JOB_IDS = st.integers(10**6, 10**12)
PIPELINE_IDS = st.uuids().map(str)


# -- workspaces -------------------------------------------------------------------------------------------


@st.composite
def good_job(draw: st.DrawFn, job_id: int, max_tasks: int = 4, max_runs: int = 3) -> tuple[dict, list[dict]]:
    """A well-formed job and its runs (unique start times, so each run is one status)."""
    job = draw(job_dicts(job_id=job_id, max_tasks=max_tasks))
    keys = [task["task_key"] for task in job.get("settings", {}).get("tasks", [])]
    starts = draw(st.lists(EPOCH_MS, unique=True, max_size=max_runs))
    runs = [draw(run_dicts(keys, job_id=job_id, start=start, max_attempts=2)) for start in starts]
    return job, runs


@st.composite
def broken_job(draw: st.DrawFn, job_id: int) -> Any:
    """A job with random edits, or with one of the README's unmappable shapes (no id, a task with no key,
    not an object at all)."""
    job = draw(job_dicts(job_id=job_id, max_tasks=3))
    how = draw(st.sampled_from(["mutated", "no id", "id not a number", "task without key", "not an object"]))
    if how == "mutated":
        return draw(mutated(st.just(job), max_edits=2))
    if how == "no id":
        del job["job_id"]
    elif how == "id not a number":
        job["job_id"] = draw(st.sampled_from(["", "abc", "1.5", "12a"]))
    elif how == "task without key":
        job["settings"].setdefault("tasks", []).append({"notebook_task": {"notebook_path": "/x"}})
    else:
        return draw(st.sampled_from([[job], str(job_id), job_id, None]))
    return job


@st.composite
def good_pipeline(draw: st.DrawFn) -> tuple[dict, list[dict]]:
    pipeline_id = draw(PIPELINE_IDS)
    created = draw(st.lists(EPOCH_MS, unique=True, max_size=3))
    return draw(dlt_pipeline_dicts(pipeline_id)), [
        draw(dlt_update_dicts(pipeline_id, at, iso=False)) for at in created
    ]


@st.composite
def mixed_workspace(draw: st.DrawFn) -> tuple[FakeWorkspace, FakeWorkspace]:
    """(the whole workspace, its good part alone). Broken items sit at random places in the listing."""
    n_good, n_broken = draw(st.integers(1, 4)), draw(st.integers(0, 3))
    first, step = draw(JOB_IDS), draw(st.integers(1, 10**6))
    ids = [first + index * step for index in range(n_good + n_broken)]
    good = FakeWorkspace()
    whole = FakeWorkspace(page_cap=draw(st.none() | st.integers(1, 3)))
    for job_id in ids[:n_good]:
        job, runs = draw(good_job(job_id))
        keys = [task["task_key"] for task in job.get("settings", {}).get("tasks", [])]
        # runs that are themselves broken belong to the good job in both workspaces: they must cost
        # only themselves (a warning), never the job
        bad_runs = draw(st.lists(mutated(run_dicts(keys, job_id=job_id), max_edits=2), max_size=1))
        good.jobs.append(job)
        good.runs[job_id] = [*runs, *bad_runs]
    for job_id in ids[n_good:]:
        whole.jobs.append(draw(broken_job(job_id)))
        whole.runs[job_id] = [draw(run_dicts([], job_id=job_id))]
    for _ in range(draw(st.integers(0, 2))):
        pipeline, updates = draw(good_pipeline())
        good.pipelines.append(pipeline)
        good.updates[pipeline["pipeline_id"]] = updates
    for _ in range(draw(st.integers(0, 1))):
        pipeline, updates = draw(good_pipeline())
        whole.pipelines.append(draw(mutated(st.just(pipeline), max_edits=2)))
        whole.updates[pipeline["pipeline_id"]] = updates
    # interleave: the broken items keep their relative order, the good ones theirs
    whole.jobs = _interleave(draw, good.jobs, whole.jobs)
    whole.pipelines = _interleave(draw, good.pipelines, whole.pipelines)
    whole.runs.update(good.runs)
    whole.updates.update(good.updates)
    return whole, good


def _interleave(draw: st.DrawFn, first: list[Any], second: list[Any]) -> list[Any]:
    slots = draw(st.permutations([0] * len(first) + [1] * len(second)))
    sources = [iter(first), iter(second)]
    return [next(sources[slot]) for slot in slots]


# -- oracles ----------------------------------------------------------------------------------------------


def _readable_id(raw: object, key: str) -> str:
    """The id a report can name for an item: its id field when readable (a whole number, or text), else ``?``."""
    value = raw.get(key) if isinstance(raw, dict) else None
    number = as_int(value)
    if number is not None:
        return str(number)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return "?"


def _expected_outcome(raw: object, decoder: Any, key: str) -> tuple[str | None, str | None]:
    """(pipeline name it is written as, or None; id it fails with, or None) for one listed item."""
    try:
        decoded = decoder(raw)
    except DecodeError:
        return None, _readable_id(raw, key)
    record = decoded[0] if isinstance(decoded, tuple) else decoded
    try:
        pipeline_request(record, SERVICE, job_url=str, task_url=lambda job, task: task)
    except MappingError:
        return None, record.id
    return record.id, None


def _by_pipeline(sink: MemoryJsonSink) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    return sink.pipelines(), sink.statuses()


# -- one bad item costs at most itself --------------------------------------------------------------------


@settings(BASE, max_examples=examples(60))
@given(mixed_workspace())
@counted
def test_broken_items_cost_only_themselves(workspaces: tuple[FakeWorkspace, FakeWorkspace]) -> None:
    whole, good = workspaces
    written: list[str] = []
    expected_failures: Counter[str] = Counter()
    listed = [(raw, decode_job, "job_id") for raw in whole.jobs]
    listed += [(raw, decode_dlt_pipeline, "pipeline_id") for raw in whole.pipelines]
    for raw, decoder, key in listed:
        name, failure = _expected_outcome(raw, decoder, key)
        if name is not None:
            written.append(name)
        if failure is not None:
            expected_failures[failure] += 1
    good_names = [str(job["job_id"]) for job in good.jobs] + [p["pipeline_id"] for p in good.pipelines]
    # a broken item that still decodes must not take another item's id (they would be one pipeline)
    assume(len(set(written)) == len(written))

    event(f"undecodable or unmappable items: {min(sum(expected_failures.values()), 3)}+")
    event(f"broken items that still map: {len(written) - len(good_names) > 0}")
    event(f"page cap: {whole.page_cap}")
    good_sink, whole_sink = MemoryJsonSink(), MemoryJsonSink()
    good_report = run_engine(good, good_sink)
    whole_report = run_engine(whole, whole_sink)

    assert good_report.listing_complete and whole_report.listing_complete
    assert good_report.failures == [], good_report.failures  # broken runs cost a warning, not the job
    assert whole_report.listed == len(whole.jobs) + len(whole.pipelines)
    assert Counter(failure.pipeline for failure in whole_report.failures) == expected_failures, (
        whole_report.failures
    )
    good_pipelines, good_statuses = _by_pipeline(good_sink)
    whole_pipelines, whole_statuses = _by_pipeline(whole_sink)
    assert set(whole_pipelines) == set(written)
    for name in good_names:
        fqn = f"{SERVICE}.{name}"
        assert whole_pipelines[name] == good_pipelines[name]
        assert whole_statuses.get(fqn) == good_statuses.get(fqn)


# -- a well-formed job maps exactly -----------------------------------------------------------------------

P, OK, FAILED, SKIPPED = "Pending", "Successful", "Failed", "Skipped"
#: README, "What lands in OpenMetadata": the life cycle decides first ...
LIFE = {
    "QUEUED": P,
    "PENDING": P,
    "RUNNING": P,
    "TERMINATING": P,
    "BLOCKED": P,
    "WAITINGFORRETRY": P,
    "WAITING": P,
    "SKIPPED": SKIPPED,
    "INTERNALERROR": FAILED,
}
#: ... and a TERMINATED run follows its result
RESULT = {
    "SUCCESS": OK,
    "SUCCESSWITHFAILURES": OK,
    "FAILED": FAILED,
    "TIMEDOUT": FAILED,
    "CANCELED": FAILED,
    "MAXIMUMCONCURRENTRUNSREACHED": SKIPPED,
    "EXCLUDED": SKIPPED,
    "DISABLED": SKIPPED,
    "UPSTREAMFAILED": SKIPPED,
    "UPSTREAMCANCELED": SKIPPED,
}


#: README: how each trigger kind reads as ``scheduleInterval``
TRIGGER_TEXT = {
    "periodic": ("every ", "periodically"),
    "file_arrival": ("on file arrival",),
    "table_update": ("on table update",),
    "job_completion": ("on completion of job", "on job completion"),
    "model": ("on model update",),
    "sql_condition": ("on SQL condition",),
}


def _canon(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    squashed = re.sub(r"[\s_\-]+", "", value).upper()
    return squashed.replace("CANCELLED", "CANCELED")


def _documented_status(item: dict) -> str | None:
    """The README's status for a run or task whose states are documented values (any spelling), or None
    when the rule needs more than the table (termination codes, unknown values, derived results)."""
    state = item.get("state") or {}
    life, result = _canon(state.get("life_cycle_state")), _canon(state.get("result_state"))
    if life in LIFE:
        if LIFE[life] == P and item.get("end_time"):
            return None  # the README contradicts itself here (see test_no_crash's xfail)
        return LIFE[life]
    if life == "TERMINATED" and result in RESULT:
        return RESULT[result]
    return None


def _latest_attempts(run: dict) -> dict[str, dict]:
    """Task key -> its latest attempt: repair rank, then attempt_number, then start, then position."""
    ranks: dict[int, int] = {}
    for rank, item in enumerate(run.get("repair_history") or []):
        for task_run_id in item.get("task_run_ids") or []:
            ranks[task_run_id] = rank
    best: dict[str, tuple[tuple[int, int, int, int], dict]] = {}
    for position, task in enumerate(run.get("tasks") or []):
        order = (
            ranks.get(task["run_id"], 0),
            task.get("attempt_number") or 0,
            task.get("start_time") or 0,
            position,
        )
        if task["task_key"] not in best or order > best[task["task_key"]][0]:
            best[task["task_key"]] = (order, task)
    return {key: task for key, (_, task) in best.items()}


def _first_seen(run: dict) -> list[str]:
    keys: list[str] = []
    for task in run.get("tasks") or []:
        if task["task_key"] not in keys:
            keys.append(task["task_key"])
    return keys


def _check_pipeline(job: dict, request: dict) -> None:
    settings_ = job["settings"]
    tasks = settings_.get("tasks") or []
    keys = [task["task_key"] for task in tasks]
    assert [task["name"] for task in request["tasks"]] == keys
    for task, body in zip(tasks, request["tasks"], strict=True):
        kinds = [kind for kind in TASK_KINDS if task.get(kind) is not None]
        assert body["taskType"] == (kinds[0] if kinds else "unknown_task")
        downstream = [
            other["task_key"]
            for other in tasks
            if task["task_key"] in [dep["task_key"] for dep in other.get("depends_on", [])]
        ]
        assert body["downstreamTasks"] == downstream
    name = settings_.get("name")
    assert request["displayName"] == (name if name and name.strip() else f"Untitled job {job['job_id']}")
    how = next((key for key in ("schedule", "trigger", "continuous") if key in settings_), None)
    if how is None:
        assert "state" not in request and "scheduleInterval" not in request
        return
    start = settings_[how]
    paused = start.get("pause_status") == "PAUSED"
    assert request["state"] == ("Inactive" if paused else "Active")
    interval = request["scheduleInterval"]
    if how == "schedule":
        timezone = start.get("timezone_id") or "UTC"
        assert interval.endswith(f"({timezone}, paused)" if paused else f"({timezone})")
        return
    assert interval.endswith(" (paused)") == paused
    if how == "continuous":
        assert interval.startswith("continuous")
    else:
        kind = next(key for key in start if key != "pause_status")
        assert interval.startswith(TRIGGER_TEXT[kind]), (kind, interval)


def _check_statuses(job: dict, runs: list[dict], bodies: list[dict]) -> None:
    keys = [task["task_key"] for task in job["settings"].get("tasks") or []]
    in_lookback = sorted(  # written oldest first
        (run for run in runs if run["start_time"] >= SINCE_MS), key=lambda run: run["start_time"]
    )
    assert [body["timestamp"] for body in bodies] == [run["start_time"] for run in in_lookback]
    for run, body in zip(in_lookback, bodies, strict=True):
        assert body["executionId"] == str(run["run_id"])
        expected = _documented_status(run)
        if expected is not None:
            assert body["executionStatus"] == expected, (run, body)
        latest = _latest_attempts(run)
        shown = [key for key in _first_seen(run) if key in keys]
        task_bodies = body.get("taskStatus", [])
        assert [task["name"] for task in task_bodies] == shown
        for task_body in task_bodies:
            attempt = latest[task_body["name"]]
            assert task_body["taskId"] == str(attempt["run_id"])
            assert task_body.get("startTime") == attempt.get("start_time")
            assert task_body.get("endTime") == attempt.get("end_time")
            expected = _documented_status(attempt)
            if expected is not None:
                assert task_body["executionStatus"] == expected, (attempt, task_body)


@settings(BASE, max_examples=examples(80))
@given(
    st.lists(JOB_IDS, unique=True, min_size=1, max_size=3).flatmap(
        lambda ids: st.tuples(*(good_job(job_id, max_tasks=6, max_runs=4) for job_id in ids))
    ),
    st.lists(good_pipeline(), max_size=1),
)
@counted
def test_a_well_formed_job_maps_exactly(jobs_and_runs: tuple, dlt: list[tuple[dict, list[dict]]]) -> None:
    workspace = FakeWorkspace(
        jobs=[job for job, _ in jobs_and_runs],
        runs={job["job_id"]: runs for job, runs in jobs_and_runs},
        pipelines=[pipeline for pipeline, _ in dlt],
        updates={pipeline["pipeline_id"]: updates for pipeline, updates in dlt},
    )
    runs = [run for _, job_runs in jobs_and_runs for run in job_runs]
    repeated = any(len(run.get("tasks", [])) > len(_first_seen(run)) for run in runs)
    event(f"a task key with several attempts: {repeated}")
    event(f"a repaired run: {any(len(run.get('repair_history', [])) > 1 for run in runs)}")
    event(f"runs outside the lookback: {any(run['start_time'] < SINCE_MS for run in runs)}")
    for job, _ in jobs_and_runs:
        how = next((key for key in ("schedule", "trigger", "continuous") if key in job["settings"]), "manual")
        event(f"started by: {how}")
    sink = MemoryJsonSink()
    report = run_engine(workspace, sink)
    assert report.listing_complete and report.failures == [], report.failures
    pipelines, statuses = _by_pipeline(sink)
    assert set(pipelines) == {str(job["job_id"]) for job, _ in jobs_and_runs} | {
        pipeline["pipeline_id"] for pipeline, _ in dlt
    }
    for job, runs in jobs_and_runs:
        name = str(job["job_id"])
        assert pipelines[name]["sourceUrl"] == f"{HOST}/jobs/{name}?o=1234567890123456"
        _check_pipeline(job, pipelines[name])
        _check_statuses(job, runs, statuses.get(f"{SERVICE}.{name}", []))
    for pipeline, updates in dlt:
        bodies = statuses.get(f"{SERVICE}.{pipeline['pipeline_id']}", [])
        expected = sorted(u["creation_time"] for u in updates if u["creation_time"] >= SINCE_MS)
        assert [body["timestamp"] for body in bodies] == expected
        assert [body["executionId"] for body in bodies] == [
            u["update_id"]
            for u in sorted(updates, key=lambda u: u["creation_time"])
            if u["creation_time"] >= SINCE_MS
        ]


# -- a rerun changes nothing ------------------------------------------------------------------------------


@settings(BASE, max_examples=examples(40))
@given(mixed_workspace())
@counted
def test_a_rerun_writes_no_pipeline_and_the_same_statuses(
    workspaces: tuple[FakeWorkspace, FakeWorkspace],
) -> None:
    whole, _ = workspaces
    catalogue = MemoryCatalogue()
    first = run_engine(whole, catalogue)
    puts, status_puts = catalogue.pipeline_puts, list(catalogue.status_puts)
    stored = copy.deepcopy((catalogue.pipelines, catalogue.statuses))
    second = run_engine(whole, catalogue)
    assert first.listing_complete and second.listing_complete
    assert catalogue.pipeline_puts == puts, "the second run wrote a pipeline"
    assert second.changes == Counter({"unchanged": first.written}), second.changes
    assert dict(catalogue.status_puts[len(status_puts) :]) == dict(status_puts)
    assert len(catalogue.status_puts) == 2 * len(status_puts)
    assert (catalogue.pipelines, catalogue.statuses) == stored
    assert sorted(f.pipeline or "" for f in second.failures) == sorted(
        f.pipeline or "" for f in first.failures
    )
    assert second.deleted == 0


def _emulator_config(url: str) -> Any:
    config = make_config().model_dump(by_alias=True, exclude_none=True, mode="json")
    config["sink"] = {"type": "metadata-rest", "config": {}}
    config["workflowConfig"]["openMetadataServerConfig"] = {
        "hostPort": f"{url}/api",
        "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": DEFAULT_JWT},
    }
    return parse_workflow_config(config)


@pytest.fixture(scope="module")
def openmetadata() -> Iterator[OpenMetadataEmulator]:
    """One emulator for all examples (emptied before each: restarting one costs ~0.5 s)."""
    with OpenMetadataEmulator() as server:
        yield server


@settings(BASE, max_examples=examples(5))
@given(workspaces=mixed_workspace())
@counted
def test_a_rerun_against_the_openmetadata_emulator_writes_no_pipeline(
    openmetadata: OpenMetadataEmulator, workspaces: tuple[FakeWorkspace, FakeWorkspace]
) -> None:
    whole, _ = workspaces
    openmetadata.reset()
    config = _emulator_config(openmetadata.url)
    sink = create_sink(config, workers=2)

    def pipeline_writes() -> list[tuple[str, str]]:
        return [
            (method, path)
            for method, path, _ in openmetadata.received
            if method == "PUT" and path.rstrip("/").endswith(("/pipelines", "/pipelines/bulk"))
        ]

    try:
        first = run_engine(whole, sink, config=config)
        assert 0 < len(pipeline_writes()) <= first.written  # single PUTs, or bulk PUTs of several
        pipelines, statuses = copy.deepcopy(openmetadata.pipelines), copy.deepcopy(openmetadata.statuses)
        openmetadata.reset_counters()
        second = run_engine(whole, sink, config=config)
    finally:
        sink.close()
    assert first.listing_complete and second.listing_complete
    assert second.changes == Counter({"unchanged": first.written}), (second.changes, second.failures)
    assert pipeline_writes() == []
    assert openmetadata.pipelines == pipelines
    assert openmetadata.statuses == statuses
