"""The task graph of a job selected in the filter preview (issue 14, item 5).

The DOT builder is a pure function (every task kind, escaping, cycles, 100+ tasks); the page is driven
with AppTest in demo mode, where job 1119 has 142 tasks (the listing stops at 100).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from databricks.sdk.service import jobs as sdk_jobs
from streamlit.testing.v1 import AppTest

from core.databricks.decode.tasks import TASK_KINDS
from core.errors import SourceUnavailableError
from core.preview import GraphTask
from ui.services import demo
from ui.services.task_graph import KIND_LABELS, STATE_COLOURS, dot_label, task_graph_dot

BIG_JOB = "1119"


def _nodes(dot: str) -> dict[str, str]:
    """Node id -> its label (unescaped only for \\n), from the DOT text."""
    return {
        match.group(1): match.group(2)
        for match in re.finditer(r'^  ([tm]\d+) \[label="((?:[^"\\]|\\.)*)"', dot, re.MULTILINE)
    }


def _edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^  ([tm]\d+) -> ([tm]\d+);$", dot, re.MULTILINE)


def test_every_task_kind_of_the_sdk_has_a_label_and_is_drawn_with_it() -> None:
    sdk_kinds = {f.removesuffix("_task") for f in sdk_jobs.Task.__dataclass_fields__ if f.endswith("_task")}
    assert sdk_kinds <= set(KIND_LABELS), sdk_kinds - set(KIND_LABELS)
    assert {kind.removesuffix("_task") for kind in TASK_KINDS} <= set(KIND_LABELS)
    tasks = [GraphTask(f"k_{kind}", kind, ()) for kind in sorted(KIND_LABELS)]
    labels = list(_nodes(task_graph_dot(tasks)).values())
    for task, label in zip(tasks, labels, strict=True):
        assert label == f"{task.key}\\n({KIND_LABELS[task.kind]})"
    dot = task_graph_dot([GraphTask("branch", "condition", ()), GraphTask("loop", "for_each", ())])
    assert "shape=diamond" in dot and "shape=box3d" in dot
    assert "(some new kind)" in task_graph_dot([GraphTask("x", "some_new_kind", ())])


def test_edges_point_from_the_upstream_task_to_the_one_that_depends_on_it() -> None:
    tasks = [GraphTask("load", "notebook", ()), GraphTask("clean", "sql", ("load",)),
             GraphTask("report", "dbt", ("load", "clean"))]  # fmt: skip
    dot = task_graph_dot(tasks)
    assert dot.startswith("digraph job {") and dot.endswith("}")
    assert _edges(dot) == [("t0", "t1"), ("t0", "t2"), ("t1", "t2")]


def test_quotes_backslashes_and_newlines_in_keys_stay_inside_the_label() -> None:
    key = 'say "hi"\\now\nnext\r\nend'
    assert dot_label(key) == 'say \\"hi\\"\\\\now\\nnext\\nend'
    dot = task_graph_dot([GraphTask(key, "notebook", ()), GraphTask("after", "notebook", (key,))])
    assert _nodes(dot)["t0"] == 'say \\"hi\\"\\\\now\\nnext\\nend\\n(notebook)'
    assert _edges(dot) == [("t0", "t1")]
    assert "\r" not in dot and all(line.startswith(("digraph", "  ", "}")) for line in dot.splitlines())


def test_a_cycle_and_a_dependency_on_a_missing_task_are_drawn_not_fatal() -> None:
    tasks = [GraphTask("a", "notebook", ("c",)), GraphTask("b", "notebook", ("a",)),
             GraphTask("c", "notebook", ("b", "ghost"))]  # fmt: skip
    dot = task_graph_dot(tasks)
    assert sorted(_edges(dot)) == [("m0", "t2"), ("t0", "t1"), ("t1", "t2"), ("t2", "t0")]
    assert _nodes(dot)["m0"] == "ghost\\n(not in this job)"
    assert 'm0 [label="ghost\\n(not in this job)", style="dashed"' in dot


def test_a_job_of_250_tasks_is_one_node_each_and_every_edge() -> None:
    tasks = [GraphTask(f"task_{i}", "notebook", (f"task_{i - 1}",) if i else ()) for i in range(250)]
    dot = task_graph_dot(tasks)
    assert len(_nodes(dot)) == 250
    assert len(_edges(dot)) == 249


def test_run_states_colour_their_tasks_and_the_rest_stays_white() -> None:
    tasks = [GraphTask(name, "notebook", ()) for name in ("ok", "bad", "busy", "skip", "new")]
    states = {"ok": "Successful", "bad": "Failed", "busy": "Pending", "skip": "Skipped"}
    fills = re.findall(r'fillcolor="(#[0-9a-f]{6})"', task_graph_dot(tasks, states))[1:]  # [0] is the default
    assert fills == [STATE_COLOURS[s][0] for s in states.values()] + ["#ffffff"]
    uncoloured = re.findall(r'fillcolor="(#[0-9a-f]{6})"', task_graph_dot(tasks))[1:]
    assert set(uncoloured) == {"#ffffff"}


# -- the page ---------------------------------------------------------------------------------------------


def _graph_page(new_app: Callable[[], AppTest], h: SimpleNamespace) -> AppTest:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    at.switch_page("app_pages/filters.py").run()
    return h.wait_for(at, lambda a: h.find(a, r"^### \d+ of \d+ will be ingested") is not None)


def _charts(at: AppTest) -> list[str]:
    return [element.proto.spec for element in at.get("graphviz_chart")]


def test_selecting_a_job_draws_all_its_tasks_even_past_the_listings_100(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = _graph_page(new_app, h)
    select = at.selectbox(key="preview_graph_job")
    assert BIG_JOB in select.options[-1] or any(BIG_JOB in option for option in select.options)
    assert _charts(at) == []
    select.set_value(BIG_JOB).run()
    assert not at.exception, [e.value for e in at.exception]
    (dot,) = _charts(at)
    expected = demo.start_demo()["workspace"].job(119)["settings"]["tasks"]
    assert len(expected) > 100
    assert len(_nodes(dot)) == len(expected)
    deps = sum(len(task.get("depends_on", [])) for task in expected)
    assert len(_edges(dot)) == deps
    assert h.find(at, rf"{len(expected)} tasks, {deps} dependencies")


def test_colouring_by_the_latest_run_shows_a_legend_and_colours(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = _graph_page(new_app, h)
    at.selectbox(key="preview_graph_job").set_value("1000").run()
    assert set(re.findall(r'fillcolor="(#[0-9a-f]{6})"', _charts(at)[0])) == {"#ffffff"}
    at.toggle(key="preview_graph_runs").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    legend = h.find(at, r"Latest run (\d+), started .* UTC")
    assert legend is not None and "succeeded" in legend.string and "failed" in legend.string
    fills = set(re.findall(r'fillcolor="(#[0-9a-f]{6})"', _charts(at)[0])) - {"#ffffff"}
    assert fills and fills <= {colour for colour, _ in STATE_COLOURS.values()}


def test_a_failed_run_lookup_says_so_and_still_draws_the_graph_uncoloured(
    new_app: Callable[[], AppTest], h: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.preview

    def refused(source: object, job_id: str) -> None:
        raise SourceUnavailableError(f"Databricks did not answer while listing runs of job {job_id}")

    monkeypatch.setattr(core.preview, "latest_run", refused)
    at = _graph_page(new_app, h)
    at.selectbox(key="preview_graph_job").set_value("1001").run()
    at.toggle(key="preview_graph_runs").set_value(True).run()
    assert [w.value for w in at.warning] == [
        "Could not read the latest run: Databricks did not answer while listing runs of job 1001. "
        "The graph is drawn without run states."
    ]
    (dot,) = _charts(at)
    assert set(re.findall(r'fillcolor="(#[0-9a-f]{6})"', dot)) == {"#ffffff"}


def test_dlt_pipelines_are_not_offered_and_the_page_says_why(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = _graph_page(new_app, h)
    options = at.selectbox(key="preview_graph_job").options
    assert len(options) == 120  # the demo's jobs; its 3 DLT pipelines are not offered
    at.segmented_control(key="preview_show").set_value("filtered").run()
    at.text_input(key="preview_search").set_value("no such pipeline").run()
    assert h.find(at, "DLT pipelines have no task graph")


def test_a_job_that_cannot_be_read_says_why_and_can_be_read_again(
    new_app: Callable[[], AppTest], h: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.preview

    real = core.preview.task_graph
    calls: list[str] = []

    def flaky(source: object, job_id: str) -> object:
        calls.append(job_id)
        if len(calls) == 1:
            raise SourceUnavailableError(f"Databricks did not answer while reading job {job_id}")
        return real(source, job_id)  # type: ignore[arg-type]

    monkeypatch.setattr(core.preview, "task_graph", flaky)
    at = _graph_page(new_app, h)
    at.selectbox(key="preview_graph_job").set_value("1002").run()
    assert [e.value for e in at.error] == [
        "Cannot read the tasks of job 1002: Databricks did not answer while reading job 1002."
    ]
    assert _charts(at) == []
    at.run()
    assert calls == ["1002"], "a failure is kept until the user asks again, not retried on every rerun"
    at.button(key="preview_graph_retry").click().run()
    assert calls == ["1002", "1002"] and not at.error
    (dot,) = _charts(at)
    assert len(_nodes(dot)) == len(demo.start_demo()["workspace"].job(2)["settings"]["tasks"])
