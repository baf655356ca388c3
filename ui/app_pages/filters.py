"""Step 3: include/exclude rules with friendly operators, and a live preview of what they keep."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import streamlit as st

from ui import components as ui
from ui import refresh, services
from ui.state import get_state

RULE_STATEMENT = (
    "**How filters decide.** A pipeline is ingested when its **name** matches **at least one include** "
    "(if there are any) **and no exclude** — an exclude always wins. Matching ignores case and starts at "
    "the **beginning** of the name, so `starts with prod` also keeps `production`; use *contains* to match "
    "anywhere. The name tested is the job's name as shown in Databricks, not its id. This is exactly "
    "OpenMetadata's rule (2.x)."
)
#: how often the preview re-renders while the workspace is listed (seconds; ui.refresh stretches it)
PREVIEW_EVERY_S = 1.0

state = get_state()
ui.page_header("filters", "Choose which jobs and DLT pipelines are ingested, and see the result live.")
st.info(RULE_STATEMENT, icon=":material/rule:")

rule_errors = services.filter_rule_errors(state)
includes = sum(1 for r in state.filters.rules if r.kind == "include" and r.value.strip())
excludes = sum(1 for r in state.filters.rules if r.kind == "exclude" and r.value.strip())
summary = (
    "Scanning everything: no rules yet."
    if not includes and not excludes
    else f"{includes} include rule{'s' * (includes != 1)}, {excludes} exclude rule{'s' * (excludes != 1)}."
)
st.markdown(f":blue-badge[:material/filter_alt: {summary}]")

include_col, exclude_col = st.columns(2, gap="large")
with include_col:
    ui.rules_editor(
        "include", "filters", "filter_", rule_errors, services.operator_labels(), services.rule_regex
    )
with exclude_col:
    ui.rules_editor(
        "exclude", "filters", "filter_", rule_errors, services.operator_labels(), services.rule_regex
    )
if rule_errors:
    st.warning(
        "Rules marked in red are left out of the preview until they are fixed.", icon=":material/warning:"
    )


def task_graph_panel(rows: list[dict[str, Any]]) -> None:
    """The selected job's task DAG, coloured by its latest run on request (item 5 of issue 14)."""
    jobs = {row["id"]: row["name"] for row in rows if row["kind"] == "job"}
    st.markdown("#### Task graph")
    if not jobs:
        st.caption("No job among the rows shown. DLT pipelines have no task graph: each is one node.")
        return
    job_id = st.selectbox(
        "Show the task graph of",
        options=list(jobs),
        format_func=lambda key: f"{jobs[key]} ({key})",
        index=None,
        placeholder="choose a job of the table",
        key="preview_graph_job",
        help="Reads the whole job (every task, also past the listing's first 100). DLT pipelines are not "
        "listed here: they have no task graph.",
    )
    dlt = sum(1 for row in rows if row["kind"] == "dlt")
    if dlt:
        st.caption(
            f"{dlt:,} DLT pipeline{'s' * (dlt != 1)} shown above {'have' if dlt != 1 else 'has'} no task "
            "graph: each is one node in OpenMetadata."
        )
    if job_id is None:
        return
    with st.spinner("Reading the job's tasks…"):
        graph = services.load_task_graph(get_state(), job_id)
    if graph.error:
        st.error(
            f"Cannot read the tasks of job {job_id}: {graph.error.rstrip('.')}.", icon=":material/error:"
        )
        st.button(
            "Read again", key="preview_graph_retry", icon=":material/refresh:", on_click=services.forget_job,
            args=(get_state(), job_id),
        )  # fmt: skip
        return
    if not graph.tasks:
        st.caption(f"{graph.name} has no tasks.")
        return
    states = None
    if st.toggle("Colour by the latest run", key="preview_graph_runs", help="Reads the job's newest run."):
        with st.spinner("Reading the latest run…"):
            run = services.load_latest_run(get_state(), job_id)
        if run.error:
            st.warning(
                f"Could not read the latest run: {run.error.rstrip('.')}. The graph is drawn without run states.",
                icon=":material/warning:",
            )
            st.button(
                "Read the run again", key="preview_graph_run_retry", icon=":material/refresh:",
                on_click=services.forget_job, args=(get_state(), job_id),
            )  # fmt: skip
        elif run.run_id is None:
            st.caption("This job has not run yet: nothing to colour.")
        else:
            states = run.states
            legend = " ".join(
                f":{colour}-background[{word}]"
                for colour, word in zip(
                    ("green", "red", "orange", "gray"),
                    (w for _, w in services.STATE_COLOURS.values()),
                    strict=True,
                )
            )
            started = datetime.fromtimestamp((run.start_ms or 0) / 1000, tz=timezone.utc)
            link = f" ([open in Databricks]({run.url}))" if run.url else ""
            st.markdown(
                f"Latest run {run.run_id}, started {started:%Y-%m-%d %H:%M} UTC{link}: {legend} "
                ":gray[white: not in that run]"
            )
    edges = sum(len(task.depends_on) for task in graph.tasks)
    st.graphviz_chart(services.task_graph_dot(list(graph.tasks), states))
    st.caption(
        f"{graph.name}: {len(graph.tasks):,} task{'s' * (len(graph.tasks) != 1)}, {edges:,} "
        f"dependenc{'ies' if edges != 1 else 'y'}; arrows point from a task to the tasks that wait for it."
    )


st.subheader("Live preview")
missing = services.missing_fields(state)
errors = services.field_errors(state)
if "databricks" in missing or any(key.startswith("dbx_") for key in errors):
    st.info("The preview lists your workspace once step 1 is complete.", icon=":material/edit_note:")
    st.page_link("app_pages/databricks.py", label="Go to step 1: Databricks", icon=":material/arrow_back:")
else:
    job = services.start_preview(state)
    listing = job is not None and not job.done
    if not listing:
        refresh.forget("preview")

    @st.fragment(run_every=refresh.every("preview", PREVIEW_EVERY_S) if listing else None)
    def preview_panel() -> None:
        """Re-rendered every second while the workspace is listed, so rows appear as they arrive."""
        with refresh.timed("preview", PREVIEW_EVERY_S, live=listing):
            preview_body()

    def preview_body() -> None:
        """Search, show, the counts, the table and the task graph of the rows listed so far."""
        search_col, show_col, action_col = st.columns([3, 3, 1], vertical_alignment="bottom")
        search = search_col.text_input(
            "Search", key="preview_search", placeholder="name or id", help="Case-insensitive substring."
        )
        show = show_col.segmented_control(
            "Show",
            options=["all", "kept", "filtered"],
            format_func={"all": "All", "kept": "Will ingest", "filtered": "Filtered out"}.__getitem__,
            default="all",
            key="preview_show",
        )
        view = services.decide_preview(get_state(), search=search, show=show or "all")
        if listing and not view.listing:
            # the listing ended: a full rerun stops this fragment's timer. Before anything is drawn, so the
            # finished list and its task-graph picker appear once, in a page that no longer reruns itself.
            st.rerun()
        if view.listing:
            if action_col.button("Stop", key="preview_stop", icon=":material/stop:", width="stretch"):
                services.stop_preview(get_state())
                st.rerun()
        elif action_col.button("Refresh", key="preview_refresh", icon=":material/refresh:", width="stretch"):
            services.restart_preview(get_state())
            st.rerun()
        if view.error:
            st.error(f"Listing failed: {view.error}", icon=":material/error:")
        so_far = " listed so far" if view.listing else ""
        overall = f"{view.kept:,} of {view.total:,}{so_far} will be ingested"
        shown = services.shown_heading(view, search=search, show=show or "all")
        st.markdown(f"### {shown or overall}")
        if shown:
            st.caption(f"Overall, {overall}.")
        if view.listing:
            st.caption(
                f":material/progress_activity: Listing the workspace… {view.total:,} so far after "
                f"{view.elapsed_s:,.1f} s. The table fills in as pages arrive; you can keep editing rules."
            )
        else:
            stopped = (
                " (stopped early: the list is incomplete)" if services.preview_stopped(get_state()) else ""
            )
            first = f", first rows after {view.first_row_s:,.1f} s" if view.first_row_s is not None else ""
            # the preview's done state: its key (class st-key-preview_done) is what a browser test waits for
            with st.container(key="preview_done"):
                st.caption(f"Listed {view.total:,} pipelines in {view.elapsed_s:,.1f} s{first}{stopped}.")
        ui.render_preview(view)
        if len(view.rows) >= 5000:
            st.caption("Showing the first 5,000 matches; search to narrow down.")
        task_graph_panel(view.rows)

    preview_panel()

ui.nav_buttons("filters")
