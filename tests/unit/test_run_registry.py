"""The wizard's run registry, run log and result helpers, without Streamlit or servers.

Fake jobs stand in for ingestions: each waits on an event the test sets, so no assert depends on timing.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from core.secrets import MASK, register_secret
from ui.history import MemoryRunHistory, RunRecord
from ui.jobs import RunJob, RunLog, RunRegistry
from ui.results import ago, om_ui_url, outcome_rows, pipeline_link
from ui.services.runs import run_counts, run_outcome


def _held_job(key: str, release: threading.Event) -> RunJob:
    job = RunJob(key=key)
    job.start(lambda j: release.wait(10))
    return job


def test_one_live_run_per_key_and_a_finished_one_gives_way() -> None:
    registry, release = RunRegistry(), threading.Event()
    first = _held_job("ing-a", release)
    assert registry.claim("ing-a", first) is None
    second = RunJob(key="ing-a")
    assert registry.claim("ing-a", second) is first, "a second run of a running ingestion is refused"
    other = RunJob(key="ing-b")
    assert registry.claim("ing-b", other) is None, "another ingestion may run at the same time"
    assert registry.get("ing-a") is first and registry.live() == [first, other]  # other: not started yet
    release.set()
    assert first.wait(10)
    assert registry.live() == [other]
    assert registry.claim("ing-a", second) is None and registry.get("ing-a") is second


def test_only_the_newest_finished_runs_are_kept_and_live_ones_always() -> None:
    registry, release = RunRegistry(max_finished=2), threading.Event()
    live = _held_job("live", release)
    registry.claim("live", live)
    for number in range(4):
        done = RunJob(key=f"k{number}")
        done.start(lambda j: None)
        assert done.wait(10)
        registry.claim(f"k{number}", done)
    kept = [key for key in ("live", "k0", "k1", "k2", "k3") if registry.get(key) is not None]
    assert kept == ["live", "k2", "k3"]
    release.set()
    assert live.wait(10)


def test_forget_stops_a_live_run() -> None:
    registry = RunRegistry()
    job = RunJob(key="k")
    job.start(lambda j: j._stop.wait(10))
    registry.claim("k", job)
    registry.forget("k")
    assert job.wait(10) and job.stop_requested and registry.get("k") is None


def test_stop_before_the_engine_exists_reaches_it_when_it_registers() -> None:
    job, stopped = RunJob(), []
    job.stop()
    job.set_stopper(lambda: stopped.append(True))
    assert stopped == [True]


def test_the_log_keeps_only_the_last_bytes_and_says_how_many_lines_went() -> None:
    log = RunLog(max_bytes=400)
    for number in range(50):
        log.write(f"line {number:03d}")
    text = log.text()
    assert len(text.encode()) < 600
    assert "line 049" in text and "line 000" not in text
    assert text.startswith(f"({log.dropped:,} earlier lines dropped") and log.dropped > 0


def test_the_log_is_redacted_when_written() -> None:
    secret = "s3cr3t-value-for-the-log-test"
    register_secret(secret)
    log = RunLog()
    log.write(f"refused with {secret} and Bearer abcdefghijklmnop and dapi0123456789abcdef0123")
    text = log.text()
    assert secret not in text and "abcdefghijklmnop" not in text and "dapi0123456789abcdef" not in text
    assert text.count(MASK) == 3


def test_records_of_a_run_and_of_the_threads_it_starts_land_in_its_log_only() -> None:
    """Two runs at once, each logging from its own thread and from a pool it starts: no record crosses."""
    engine_log = logging.getLogger("core.test_run_registry")
    engine_log.setLevel(logging.INFO)
    outside = threading.Event()

    def work(job: RunJob) -> None:
        engine_log.info("from the run thread of %s", job.key)
        with ThreadPoolExecutor(2, thread_name_prefix="ingest") as pool:  # the engine's pool names
            list(pool.map(lambda n: engine_log.info("worker %d of %s", n, job.key), range(3)))
        helper = threading.Thread(target=lambda: engine_log.info("helper of %s", job.key))
        helper.start()
        helper.join()
        outside.wait(10)

    jobs = [RunJob(key=key) for key in ("one", "two")]
    for job in jobs:
        job.start(work)
    engine_log.info("from a thread of no run")
    outside.set()
    for job in jobs:
        assert job.wait(10)
    for job, other in ((jobs[0], jobs[1]), (jobs[1], jobs[0])):
        text = job.log.text()
        assert f"from the run thread of {job.key}" in text and f"helper of {job.key}" in text
        assert all(f"worker {n} of {job.key}" in text for n in range(3))
        assert f"of {other.key}" not in text and "no run" not in text


def test_outcome_and_counts_from_a_report_with_and_without_the_pipeline_list() -> None:
    old: dict[str, Any] = {"listed": 5, "kept": 4, "created": 3, "updated": 1, "unchanged": 0, "failures": []}
    assert run_outcome(old, error=None, stopped=False) == "ok"
    assert run_counts(old)["created"] == 3 and run_counts(old)["wouldDelete"] == 0
    new = {
        **old,
        "failures": [{"pipeline": "9", "name": "x", "reason": "refused", "phase": "pipeline"}],
        "pipelines": [
            {"pipeline": "1", "name": "a", "kind": "job", "fqn": "s.a", "outcome": "would-create"},
            {"pipeline": "2", "name": "b", "kind": "job", "fqn": "s.b", "outcome": "would-change"},
            {"pipeline": "3", "name": "c", "kind": "dlt", "fqn": "s.c", "outcome": "would-delete"},
            {"pipeline": "9", "name": "x", "kind": "job", "fqn": None, "outcome": "failed"},
        ],
    }
    counts = run_counts(new)
    assert (counts["wouldCreate"], counts["wouldChange"], counts["wouldDelete"], counts["failed"]) == (
        1,
        1,
        1,
        1,
    )
    assert counts["created"] == 3, "a shorter list never hides the totals"
    stopped_early = {**old, "created": 197, "pipelines": [{"pipeline": "1", "outcome": "created"}] * 177}
    assert run_counts(stopped_early)["created"] == 197, "the totals win over a list that left writes out"
    assert run_counts({**old, "wouldDelete": 4})["wouldDelete"] == 4
    assert run_outcome(new, error=None, stopped=False) == "failed"
    assert run_outcome(new, error=None, stopped=True) == "stopped"
    assert (
        run_outcome({**old, "fatal": "credentials refused", "interrupted": True}, error=None, stopped=False)
        == "error"
    )
    assert run_outcome(None, error="could not connect", stopped=False) == "error"


@pytest.mark.parametrize(
    ("location", "ui"),
    [
        ("http://localhost:8585/api", "http://localhost:8585"),
        ("https://om.example.com/api/", "https://om.example.com"),
        ("https://om.example.com/openmetadata/api", "https://om.example.com/openmetadata"),
        ("https://om.example.com", "https://om.example.com"),
    ],
)
def test_the_ui_address_is_the_sink_host_without_api(location: str, ui: str) -> None:
    assert om_ui_url(location) == ui


def test_links_only_for_pipelines_that_exist_in_openmetadata() -> None:
    om = {"kind": "openmetadata", "location": "http://om:8585/api"}
    row = {"pipeline": "1", "name": "a", "kind": "job", "fqn": "svc.a", "outcome": "updated"}
    assert pipeline_link(row, om) == "http://om:8585/pipeline/svc.a"
    assert pipeline_link({**row, "outcome": "would-create"}, om) is None
    assert pipeline_link(row, {"kind": "file", "location": "/tmp/p.jsonl"}) is None
    assert pipeline_link({**row, "fqn": None}, om) is None
    rows = outcome_rows(
        {"target": om, "pipelines": [{**row, "outcome": "would-change", "fields": ["tasks", "schedule"]}]}
    )
    assert rows == [
        {
            "outcome": "would change",
            "pipeline": "a",
            "kind": "job",
            "details": "changes: tasks, schedule",
            "link": "http://om:8585/pipeline/svc.a",
        }
    ]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (2, "just now"),
        (42, "42 s ago"),
        (185, "3 min ago"),
        (7300, "2 h ago"),
        (86400, "1 day ago"),
        (3 * 86400, "3 days ago"),
    ],
)
def test_ago_in_words(seconds: float, words: str) -> None:
    assert ago(1_000_000.0 - seconds, now=1_000_000.0) == words


def test_memory_history_lists_newest_first_without_logs() -> None:
    history = MemoryRunHistory()
    for number in range(3):
        history.record(
            RunRecord(f"r{number}", "ing", float(number), "run", "ok", float(number) + 1, log="text")
        )
    listed = history.list_runs("ing")
    assert [run.run_id for run in listed] == ["r2", "r1", "r0"] and all(run.log == "" for run in listed)
    assert history.get("r1") is not None and history.get("r1").log == "text"
