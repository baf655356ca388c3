"""A job's task graph for the filter preview: read on selection, drawn as DOT for ``st.graphviz_chart``.

Why DOT text built here: Streamlit's Graphviz chart renders DOT in the browser, so no graphviz binary is
needed; building the text ourselves keeps it a pure function (:func:`task_graph_dot`) whose escaping and
edge directions are tested without a browser. Node ids are synthetic (``t0``, ``t1``...), so a task key
with quotes, backslashes or newlines only ever appears inside an escaped label.

The job is read whole when it is selected (the listing stops at 100 tasks), and its latest run only when
the user asks for colours; both with the connection's timeout (at most the preview's), and both cached per
job and settings until :func:`forget_job` (the page's "Read again").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError, IngestionError
from ui.services.config import build_config, databricks_fingerprint
from ui.services.warmup import load_engine
from ui.state import WizardState

__all__ = [
    "KIND_LABELS",
    "STATE_COLOURS",
    "GraphView",
    "RunView",
    "dot_label",
    "forget_job",
    "load_latest_run",
    "load_task_graph",
    "task_graph_dot",
]

#: The task kinds of databricks-sdk's ``jobs.Task`` (its ``*_task`` fields) -> the word on the node.
KIND_LABELS: dict[str, str] = {
    "notebook": "notebook",
    "spark_python": "spark python",
    "pipeline": "DLT pipeline",
    "sql": "SQL",
    "dbt": "dbt",
    "python_wheel": "python wheel",
    "spark_jar": "spark JAR",
    "spark_submit": "spark submit",
    "run_job": "run job",
    "condition": "condition",
    "for_each": "for each",
    "dashboard": "dashboard",
    "power_bi": "Power BI",
    "clean_rooms_notebook": "clean rooms notebook",
    "dbt_cloud": "dbt Cloud",
    "dbt_platform": "dbt platform",
    "alert": "alert",
    "gen_ai_compute": "gen AI compute",
    "ai_function": "AI function",
    "ai_runtime": "AI runtime",
    "python_operator": "python operator",
    "unknown": "unknown kind",
}
#: Node shapes that differ from a box: a condition branches, a for-each repeats its inner task.
_SHAPES = {"condition": "diamond", "for_each": "box3d"}
#: A task's state in the latest run -> (fill colour, legend word); tasks not in that run stay white.
STATE_COLOURS: dict[str, tuple[str, str]] = {
    "Successful": ("#c8e6c9", "succeeded"),
    "Failed": ("#ffcdd2", "failed"),
    "Pending": ("#fff3c4", "queued or running"),
    "Skipped": ("#e0e0e0", "skipped"),
}
_NOT_RUN = "#ffffff"


def dot_label(text: str) -> str:
    r"""``text`` as the inside of a DOT double-quoted string: ``\`` and ``"`` escaped, line breaks as ``\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def task_graph_dot(tasks: list[Any], states: Mapping[str, str] | None = None) -> str:
    """The DOT source of a job's task graph: one node per task, edges from each upstream task to its dependant.

    Args:
        tasks: objects with ``key``, ``kind`` (``notebook``, ``for_each``...) and ``depends_on`` (keys), like
            :class:`core.preview.GraphTask`.
        states: task key -> ``Successful`` / ``Failed`` / ``Pending`` / ``Skipped`` from the latest run, or
            None to draw the graph uncoloured.

    Returns:
        A ``digraph`` (left to right). A ``depends_on`` naming no task of the job gets a dashed node saying
        so; cycles and duplicate keys are drawn as they are (nothing here walks the graph).
    """
    ids: dict[str, str] = {}
    lines = [
        "digraph job {",
        '  graph [rankdir=LR, bgcolor="transparent", nodesep=0.3, ranksep=0.5];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, '
        f'fillcolor="{_NOT_RUN}", color="#5f6b7a"];',
        '  edge [color="#5f6b7a", arrowsize=0.7];',
    ]
    for index, task in enumerate(tasks):
        node = f"t{index}"
        ids.setdefault(str(task.key), node)
        kind = str(task.kind or "unknown")
        fill = STATE_COLOURS.get((states or {}).get(str(task.key), ""), (_NOT_RUN, ""))[0]
        label = f"{dot_label(str(task.key))}\\n({dot_label(KIND_LABELS.get(kind, kind.replace('_', ' ')))})"
        shape = f", shape={_SHAPES[kind]}" if kind in _SHAPES else ""
        lines.append(f'  {node} [label="{label}", fillcolor="{fill}"{shape}];')
    missing: dict[str, str] = {}
    for index, task in enumerate(tasks):
        for upstream in task.depends_on:
            source = ids.get(str(upstream))
            if source is None:
                source = missing.setdefault(str(upstream), f"m{len(missing)}")
            lines.append(f"  {source} -> t{index};")
    for key, node in missing.items():
        lines.append(
            f'  {node} [label="{dot_label(key)}\\n(not in this job)", style="dashed", fillcolor="{_NOT_RUN}"];'
        )
    lines.append("}")
    return "\n".join(lines)


@dataclass(frozen=True)
class GraphView:
    """A job's graph as read, or why it could not be read."""

    job_id: str
    name: str = ""
    tasks: tuple[Any, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class RunView:
    """The latest run's task states, that the job never ran (``run_id`` None), or why it could not be read."""

    run_id: str | None = None
    start_ms: int | None = None
    url: str | None = None
    states: Mapping[str, str] | None = None
    error: str | None = None


def _cache(state: WizardState) -> dict[tuple[str, ...], Any]:
    fingerprint = databricks_fingerprint(state)
    if state.task_graphs.get("fingerprint") != fingerprint:  # other settings: other jobs, other answers
        state.task_graphs = {"fingerprint": fingerprint, "entries": {}}
    entries: dict[tuple[str, ...], Any] = state.task_graphs["entries"]
    return entries


def _source(state: WizardState) -> Any:
    """A source with the connection's timeout, capped like the preview's listing (a page must not hang)."""
    load_engine()
    from core.factory import create_source
    from core.http_policy import PREVIEW_TIMEOUT_S

    config = build_config(state, purpose="databricks")
    timeout_s = min(float(config.source.connection.connection_timeout), PREVIEW_TIMEOUT_S)
    return create_source(config, timeout_s=timeout_s, lineage=False).source


def forget_job(state: WizardState, job_id: str) -> None:
    """Drop what was read for ``job_id`` (its graph and latest run), so the next look reads them again."""
    entries = _cache(state)
    entries.pop(("graph", job_id), None)
    entries.pop(("run", job_id), None)


def _failure(err: Exception) -> str:
    from core.secrets import redact

    if isinstance(err, IngestionError):
        return err.one_line()
    return redact(f"{type(err).__name__}: {err}")


def load_task_graph(state: WizardState, job_id: str) -> GraphView:
    """The job's whole task graph (every task, not the listing's first 100), read once per job and settings.

    Never raises: a failure (the job was deleted, Databricks failed or timed out) is the view's ``error``.
    """
    load_engine()
    from core.preview import task_graph

    entries = _cache(state)
    key = ("graph", job_id)
    if key not in entries:
        try:
            graph = task_graph(_source(state), job_id)
        except (ConfigError, IngestionError) as err:
            entries[key] = GraphView(job_id, error=_failure(err))
        except Exception as err:  # noqa: BLE001 -- an unexpected failure is a sentence on the page, never a traceback
            entries[key] = GraphView(job_id, error=_failure(err))
        else:
            entries[key] = (
                GraphView(job_id, error="the job no longer exists in the workspace (refresh the list)")
                if graph is None
                else GraphView(job_id, graph.name, graph.tasks)
            )
    view: GraphView = entries[key]
    return view


def load_latest_run(state: WizardState, job_id: str) -> RunView:
    """The job's latest run with each task's state, read once per job and settings; never raises."""
    load_engine()
    from core.preview import latest_run

    entries = _cache(state)
    key = ("run", job_id)
    if key not in entries:
        try:
            run = latest_run(_source(state), job_id)
        except Exception as err:  # noqa: BLE001 -- any failure leaves the graph uncoloured, with the reason
            entries[key] = RunView(error=_failure(err))
        else:
            entries[key] = (
                RunView()
                if run is None
                else RunView(run.run_id, run.start_ms, run.url, dict(run.task_states))
            )
    view: RunView = entries[key]
    return view
