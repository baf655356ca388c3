"""core.preview's task graph and latest run, over a fake source: whole jobs, kinds, depends_on, task states."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.databricks.records import JobRecord, RunRecord, TaskRecord, TaskRunRecord
from core.preview import GraphTask, latest_run, task_graph


class FakeSource:
    """The two JobSource methods the graph reads; everything else is unused here."""

    def __init__(self, job: JobRecord | None, runs: list[RunRecord]) -> None:
        self.job, self.runs = job, runs
        self.asked: list[Any] = []

    def get_job(self, job_id: str) -> JobRecord | None:
        self.asked.append(("get_job", job_id))
        return self.job

    def iter_runs(self, job_id: str, since_ms: int, problems: list[str] | None = None) -> Iterator[RunRecord]:
        self.asked.append(("iter_runs", job_id, since_ms))
        yield from self.runs


def _task_run(key: str, life: str | None, result: str | None) -> TaskRunRecord:
    return TaskRunRecord(key, life, result, None, None, None)


def test_the_graph_has_every_task_with_its_short_kind_and_dependencies() -> None:
    tasks = tuple(
        TaskRecord(
            f"t{i}", "notebook_task" if i % 2 else "for_each_task", depends_on=(f"t{i - 1}",) if i else ()
        )
        for i in range(150)
    )
    source = FakeSource(JobRecord("7", "big job", tasks=tasks), [])
    graph = task_graph(source, "7")  # type: ignore[arg-type]
    assert graph is not None and graph.name == "big job" and len(graph.tasks) == 150
    assert graph.tasks[:2] == (GraphTask("t0", "for_each", ()), GraphTask("t1", "notebook", ("t0",)))
    assert source.asked == [("get_job", "7")]
    unknown = task_graph(FakeSource(JobRecord("8", "j", tasks=(TaskRecord("x", "unknown_task"),)), []), "8")  # type: ignore[arg-type]
    assert unknown is not None and unknown.tasks[0].kind == "unknown"


def test_a_deleted_job_has_no_graph() -> None:
    assert task_graph(FakeSource(None, []), "9") is None  # type: ignore[arg-type]


def test_the_latest_run_gives_each_task_one_of_four_states() -> None:
    newest = RunRecord(
        "r2", 2_000, None, "RUNNING", None, url="https://x/run/r2",
        tasks=(_task_run("a", "TERMINATED", "SUCCESS"), _task_run("b", "TERMINATED", "FAILED"),
               _task_run("c", "RUNNING", None), _task_run("d", "SKIPPED", None)),
    )  # fmt: skip
    older = RunRecord("r1", 1_000, 1_500, "TERMINATED", "SUCCESS")
    source = FakeSource(None, [newest, older])
    run = latest_run(source, "7")  # type: ignore[arg-type]
    assert run is not None and (run.run_id, run.start_ms, run.url) == ("r2", 2_000, "https://x/run/r2")
    assert run.task_states == {"a": "Successful", "b": "Failed", "c": "Pending", "d": "Skipped"}
    assert source.asked == [("iter_runs", "7", 0)]
    assert latest_run(FakeSource(None, []), "7") is None  # type: ignore[arg-type]
