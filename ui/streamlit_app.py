"""Entrypoint of the wizard: ``streamlit run ui/streamlit_app.py`` from the repository root.

It is the router and the frame: it builds the sidebar stepper (``st.navigation`` over the eight step
pages, each marked done / needs attention / to do from the current state) and runs the selected page.
It imports nothing heavy (no databricks-sdk, no emulators): the first page must render at once.
"""

from __future__ import annotations

import streamlit as st

from ui import components, services
from ui.fields import STEPS
from ui.state import WizardState, get_state, reset_state

st.set_page_config(
    page_title="Databricks → OpenMetadata ingestion",
    page_icon=":material/hub:",
    layout="wide",
    initial_sidebar_state="expanded",
)

#: Material icons, not emoji: they render on every machine (emoji need a colour font installed).
_DONE, _ATTENTION = ":material/check_circle:", ":material/error:"


def _step_status(state: WizardState) -> dict[str, str]:
    """Step key -> "done", "attention" or "todo", from what is filled in, valid and tested."""
    errors = services.field_errors(state)
    missing = services.missing_fields(state)
    attention = {components.step_of_field_key(field_id) for field_id in errors}
    if services.workspace_problems(state):  # an extra workspace of the DAG, edited on the review step
        attention.add("review")
    status: dict[str, str] = {}
    fresh_dbx = services.databricks_fingerprint(state)
    fresh_sink = services.sink_fingerprint(state)
    checks = state.checks
    tested = (
        "databricks" in checks
        and checks["databricks"].ok
        and checks["databricks"].fingerprint == fresh_dbx
        and "sink" in checks
        and checks["sink"].ok
        and checks["sink"].fingerprint == fresh_sink
    )
    failed_test = any(not result.ok for result in checks.values())
    preview = state.preview
    done = {
        "databricks": "databricks" not in missing,
        "test": tested,
        "filters": preview is not None and preview.done and not preview.error,
        "options": "options" in state.visited,
        "sink": "sink" not in missing,
        "schedule": "schedule" in state.visited,
        "review": "review" in state.visited and not errors,
        "run": state.run is not None and state.run.report is not None and state.run.report.ok,
    }
    for step in STEPS:
        if step.key in attention or (step.key == "test" and failed_test):
            status[step.key] = "attention"
        else:
            status[step.key] = "done" if done[step.key] else "todo"
    return status


def _start_over() -> None:
    services.stop_jobs(get_state())
    reset_state()
    components.reseed_widgets()
    for key in ("demo_toggle", "import_result"):
        st.session_state.pop(key, None)


state = get_state()
status = _step_status(state)
pages = [
    st.Page(
        step.path,
        title=step.label,
        icon={"done": _DONE, "attention": _ATTENTION}.get(status[step.key], step.icon),
        url_path=step.key,
        default=step.number == 1,
        help={"done": "Done", "attention": "Needs attention", "todo": "To do"}[status[step.key]],
    )
    for step in STEPS
]
current = st.navigation({"Set up an ingestion": pages}, position="sidebar")

with st.sidebar:
    done_count = sum(1 for value in status.values() if value == "done")
    st.progress(done_count / len(STEPS), text=f"{done_count} of {len(STEPS)} steps done")
    if state.demo:
        st.info(
            "Demo mode: local emulators stand in for Databricks and OpenMetadata.", icon=":material/science:"
        )
    elif state.imported_from:
        st.caption(f":material/upload_file: Prefilled from {state.imported_from}")
    st.button("Start over", on_click=_start_over, icon=":material/restart_alt:", type="tertiary")

step_key = next(step.key for step in STEPS if step.label == current.title)
state.visited.add(step_key)
current.run()
services.warm_up()
