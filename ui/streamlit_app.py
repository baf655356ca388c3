"""Entrypoint of the wizard: ``streamlit run ui/streamlit_app.py`` from the repository root.

It is the router and the frame: it restores the saved ingestion named in the URL (``?ingestion=``), builds
the sidebar stepper (``st.navigation`` over the start page and the eight step pages, each step marked done /
needs attention / to do), runs the selected page, then autosaves the settings and, when the page changed a
step's state, reruns once so the stepper shows it in the same action.
It imports nothing heavy (no databricks-sdk, no emulators): the first page must render at once.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import components, services
from ui.fields import STEPS
from ui.services import saved
from ui.state import WizardState, get_state
from ui.store import Store, open_store

st.set_page_config(
    page_title="Databricks → OpenMetadata ingestion",
    page_icon=":material/hub:",
    layout="wide",
    initial_sidebar_state="expanded",
)

#: Material icons, not emoji: they render on every machine (emoji need a colour font installed).
_DONE, _ATTENTION = ":material/check_circle:", ":material/error:"
_CONFIRM_START_OVER = "confirm_start_over"
_RERUNS = "stepper_reruns"


def _run_done(state: WizardState) -> bool:
    """Step 8 is done after a real run (not a dry run) that finished ok for the settings shown now."""
    from ui.services.runs import stale_settings

    job = state.run
    if job is None or job.dry_run or job.report is None or not job.report.ok:
        return False
    return not stale_settings(job.settings, state)


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
        "run": _run_done(state),
    }
    for step in STEPS:
        if step.key in attention or (step.key == "test" and failed_test):
            status[step.key] = "attention"
        else:
            status[step.key] = "done" if done[step.key] else "todo"
    return status


def _ask_start_over() -> None:
    st.session_state[_CONFIRM_START_OVER] = True


def _cancel_start_over() -> None:
    st.session_state.pop(_CONFIRM_START_OVER, None)


def _start_over() -> None:
    """Confirmed: a new, empty ingestion in this tab; the one left stays saved on the start page."""
    st.session_state.pop(_CONFIRM_START_OVER, None)
    saved.start_new()


def _start_over_controls(state: WizardState) -> None:
    """Start over, asking first: a saved ingestion stays on the start page, an unsaved form is lost."""
    if not st.session_state.get(_CONFIRM_START_OVER):
        st.button("Start over", on_click=_ask_start_over, icon=":material/restart_alt:", type="tertiary")
        return
    if state.ingestion_id and not saved.store_problem():
        name = state.ingestion_name or saved.display_name("", saved.to_settings(state))
        st.warning(
            f"Start a new ingestion? {saved.md(name)} stays saved on the start page.", icon=":material/help:"
        )
    else:
        st.warning("Start over? Nothing here is saved: every value is cleared.", icon=":material/warning:")
    left, right = st.columns(2)
    left.button("Start new", key="start_over_confirm", on_click=_start_over, type="primary")
    right.button("Cancel", key="start_over_cancel", on_click=_cancel_start_over)


def _save_line(slot: Any) -> None:
    """The ingestion's name and whether it is saved (drawn again after the page's autosave)."""
    state = get_state()
    kind, sentence = saved.save_status()
    icon = {"saved": ":material/cloud_done:", "error": ":material/cloud_off:"}.get(kind, ":material/edit:")
    with slot.container():
        if state.ingestion_id:
            name = state.ingestion_name or saved.display_name("", saved.to_settings(state))
            st.markdown(f":material/bookmark: **{saved.md(name)}**")
        st.caption(f"{icon} {sentence}")


def _banners(state: WizardState) -> None:
    """At the top of every page: why nothing is saved, which secrets to enter again, opening notes."""
    problem = saved.store_problem()
    if problem:
        st.warning(problem, icon=":material/cloud_off:")
    labels = saved.reenter_labels(state)
    if labels:
        st.warning(
            "The wizard's server restarted since this ingestion was last open, and secrets are kept in its "
            f"memory only: enter again {', '.join(labels)}.",
            icon=":material/key:",
        )
    notes = saved.notes()
    if notes:
        with st.expander(f"Notes from opening this ingestion ({len(notes)})", icon=":material/info:"):
            for note in notes:
                st.caption(saved.md(note))


def _merge_news() -> None:
    """Once after autosave: an ingestion deleted in another tab saved afresh; another tab's changes merged."""
    recreated = saved.recreated_news()
    if recreated:
        st.warning(recreated, icon=":material/delete:")
    merged = saved.merged_from_elsewhere()
    if merged is None:
        return
    taken, both = merged
    if taken:
        st.toast(
            f"Changed in another tab of this ingestion, now shown here too: {saved.md(', '.join(taken))}.",
            icon=":material/sync:",
        )
    if both:
        st.warning(
            f"Also changed in another tab of this ingestion: {saved.md(', '.join(both))}. Your value was kept "
            "and saved; the other tab shows it after its next change.",
            icon=":material/sync_problem:",
        )


def _default_is_start(state: WizardState) -> bool:
    """Land on the start page when this tab edits nothing yet and there is something to open."""
    store = open_store()
    return state.ingestion_id is None and isinstance(store, Store) and store.has_ingestions()


def _correct_stepper(shown: dict[str, str]) -> None:
    """Rerun once when the page changed a step's state, so the sidebar never lags an action behind.

    The stepper is part of ``st.navigation``, drawn before the page runs; a page that changes what a step
    shows (a test run, a preview finished, a first visit) gets one more rerun. A guard stops a state that
    changes on every run (it cannot today) from rerunning forever.
    """
    if _step_status(get_state()) == shown:
        st.session_state[_RERUNS] = 0
        return
    if st.session_state.get(_RERUNS, 0) < 2:
        st.session_state[_RERUNS] = st.session_state.get(_RERUNS, 0) + 1
        st.rerun()


def _route() -> None:
    """The app's root URL (``/``): go to the start page, or to step 1 when this tab edits an ingestion.

    A hidden page of its own, so that no visible page is ever the default: Streamlit serves the default page
    at ``/`` only, and a page that is the default in one session but not in another (a fresh tab, a reload)
    could then not be reached by its own URL (``/start``, ``/databricks``: "Page not found"). Its path is
    ``""``, the root's own, so it has no second URL that would not reach it; a URL of no page (a typo, an
    old bookmark) gets Streamlit's "Page not found" note and lands here too.
    """
    st.switch_page(start_page if _default_is_start(get_state()) else pages[0])


components.page_style()
state = saved.attach()
status = _step_status(state)
router = st.Page(_route, title="Opening", url_path="", default=True, visibility="hidden")
start_page = st.Page(
    "app_pages/start.py",
    title="Saved ingestions",
    icon=":material/folder_open:",
    url_path="start",
    help="Open, duplicate, rename or delete a saved ingestion, or start a new one.",
)
pages = [
    st.Page(
        step.path,
        title=step.label,
        icon={"done": _DONE, "attention": _ATTENTION}.get(status[step.key], step.icon),
        url_path=step.key,
        help={"done": "Done", "attention": "Needs attention", "todo": "To do"}[status[step.key]],
    )
    for step in STEPS
]
current = st.navigation({"Start": [router, start_page], "Set up an ingestion": pages}, position="sidebar")

with st.sidebar:
    done_count = sum(1 for value in status.values() if value == "done")
    st.progress(done_count / len(STEPS), text=f"{done_count} of {len(STEPS)} steps done")
    save_slot = st.empty()
    _save_line(save_slot)
    if state.demo:
        st.info(
            "Demo mode: local emulators stand in for Databricks and OpenMetadata.", icon=":material/science:"
        )
    elif state.imported_from:
        st.caption(f":material/upload_file: Prefilled from {saved.md(state.imported_from)}")
    _start_over_controls(state)

_merge_news()
link_problem = saved.link_problem()  # why the URL's ingestion did not open: on every page until one is edited
link_slot = st.empty() if link_problem else None
if link_slot is not None and link_problem:
    link_slot.warning(saved.md(link_problem), icon=":material/link_off:")
step_key = next((step.key for step in STEPS if step.label == current.title), None)
if step_key:
    state.visited.add(step_key)
    _banners(state)
try:
    current.run()
finally:
    saved.autosave(get_state())
if saved.MERGED_KEY in st.session_state or saved.RECREATED_KEY in st.session_state:
    st.rerun()  # show the merged values (the widgets were reseeded) and say what came from the other tab
_save_line(save_slot)
if link_slot is not None and not saved.link_problem():  # the page's first change saved a new ingestion
    link_slot.empty()
_correct_stepper(status)
services.warm_up()
