"""Step 8: run the ingestion now, with live progress, then the results; or a dry run that writes nothing.

The run belongs to the server process (``ui.services.runs``): this page reattaches to a run of the same
ingestion started from another tab or before a reload, shows its progress and can stop it. Below the
latest result, the ingestion's run history opens any earlier run with its report and log.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import components as ui
from ui import refresh, results, services
from ui.fields import FIELD_LABELS
from ui.services import runs
from ui.state import get_state

PHASES = {
    "starting": "Starting",
    "connecting": "Connecting to the sink",
    "listing": "Listing and ingesting pipelines",
    "ingesting": "Listing and ingesting pipelines",
    "lineage": "Writing lineage",
    "cleanup": "Marking deleted pipelines",
    "done": "Finishing",
}
#: phases during which the workspace is still being listed (the number of pipelines is not known yet)
LISTING_PHASES = {"starting", "connecting", "listing", "ingesting"}
#: how often the run history is read again while a run goes (its row shows the run's latest checkpoint)
HISTORY_EVERY_S = 2.0
#: how often the live progress is read while a run goes (seconds; ui.refresh stretches both when slow)
PROGRESS_EVERY_S = 0.5
_CONFIRM_KEY = "run_confirm_reasons"
#: (run key, run id) of the live run this tab last showed: it tells a run that vanished (its ingestion deleted)
_WATCHED_KEY = "run_watched"

state = get_state()
ui.page_header(
    "run", "Run the ingestion from here, now, with live progress. This does not schedule anything."
)

blocking = services.run_problems(state)
if blocking:
    st.info("Before running, complete:", icon=":material/edit_note:")
    for field_id, message in blocking.items():
        step = ui.step_by_key(ui.step_of_field_key(field_id))
        st.markdown(f"- **{FIELD_LABELS.get(field_id, 'Settings')}** (step {step.number}): {message}")
        st.page_link(
            step.path, label=f"Go to step {step.number}: {step.title}", icon=":material/arrow_forward:"
        )

st.markdown(services.run_summary(state))
if state.workspaces:
    st.caption(
        f":material/info: This runs the workspace of step 1 only; the DAG ingests all {len(state.workspaces) + 1} "
        "workspaces of the review step."
    )
ui.bound(
    st.toggle,
    "Dry run: read everything, write nothing",
    "run_dry",
    "dry_run",
    help="Lists, filters and maps every pipeline and reads its runs, but sends nothing to the sink: "
    "see what would change before the first real run.",
)


def _start(dry_run: bool) -> None:
    st.session_state.pop(_CONFIRM_KEY, None)
    try:
        services.start_run(state, dry_run=dry_run)
    except services.ConfigError as err:
        st.error(err.one_line(), icon=":material/error:")
        return
    except runs.RunInProgress as err:
        st.warning(str(err), icon=":material/hourglass_top:")
        return
    st.rerun()  # the whole page again: Run now disabled, Stop shown, the question gone, the history live


job = runs.attach_run(state)
running = job is not None and not job.done
watched = st.session_state.get(_WATCHED_KEY)
if running and job is not None:
    st.session_state[_WATCHED_KEY] = (runs.run_key(state), job.run_id)
elif job is not None:  # seen ended: a later absence is the registry's clean-up, not a delete
    st.session_state.pop(_WATCHED_KEY, None)
forgotten = job is None and watched is not None and watched[0] == runs.run_key(state)
if forgotten:
    st.warning(
        "The run this tab showed was stopped and its history removed: its ingestion was deleted "
        "(from another tab or the start page).",
        icon=":material/delete:",
    )
busy = runs.busy_message(job, state) if job is not None and running else None
if busy:
    st.info(busy, icon=":material/hourglass_top:")
run_col, stop_col, reset_col = st.columns([1, 1, 2])
if run_col.button(
    "Dry run now" if state.dry_run else "Run now",
    key="run_start",
    type="primary",
    disabled=bool(blocking) or running,
    help=busy,
    icon=":material/play_arrow:",
    width="stretch",
):
    reasons = runs.confirm_reasons(state)
    if reasons:
        st.session_state[_CONFIRM_KEY] = reasons
    else:
        _start(state.dry_run)
# asked before: say why again from the current settings (a test passed since clears the question)
pending = runs.confirm_reasons(state) if st.session_state.get(_CONFIRM_KEY) else []
if not pending:
    st.session_state.pop(_CONFIRM_KEY, None)
if pending and not running:
    why = "; ".join(pending)  # one sentence: a capital only at its start
    st.warning(
        "Run anyway? " + why[:1].upper() + why[1:] + ". "
        "Test the connection again (step 2) to be sure the run can reach both servers.",
        icon=":material/warning:",
    )
    yes_col, no_col, _ = st.columns([1, 1, 2])
    if yes_col.button("Run anyway", key="run_confirm", type="primary", width="stretch"):
        _start(state.dry_run)
    elif no_col.button("Cancel", key="run_confirm_cancel", width="stretch"):
        st.session_state.pop(_CONFIRM_KEY, None)
        st.rerun()
job = runs.attach_run(state)
running = job is not None and not job.done
if not running:
    refresh.forget("run_progress")
    refresh.forget("run_history")
if running and stop_col.button("Stop", key="run_stop", icon=":material/stop:", width="stretch"):
    runs.stop_run(state)
if runs.writes_to_demo_catalogue(state) and reset_col.button(
    "Reset the demo catalogue",
    key="run_reset_demo",
    type="tertiary",
    icon=":material/restart_alt:",
    disabled=running,
    help="Empties the demo OpenMetadata, so the next run creates every pipeline again.",
):
    services.reset_demo_catalogue()
    st.toast("The demo catalogue is empty again.", icon=":material/check:")


def _progress(current: Any) -> None:
    """The live progress: a bar over the preview's count when it is known, else the engine's counts."""
    event = current.event
    phase_key = event.phase if event else "starting"
    phase = PHASES.get(phase_key, phase_key)
    processed = event.processed if event else 0
    kept = event.kept if event else 0
    if current.expected is not None:
        total: int | None = current.expected
    elif phase_key in LISTING_PHASES:
        total = None
    else:
        total = kept
    if total is None:
        st.progress(
            min(1.0, processed / kept) if kept else 0.0,
            text=f"{phase}: {processed:,} pipeline{'s' * (processed != 1)} done, listing continues "
            f"({kept:,} kept so far)",
        )
    else:
        st.progress(
            min(1.0, processed / total) if total else 0.0,
            text=f"{phase}: {processed:,} of {total:,} pipelines done",
        )
    failures = event.failures if event else 0
    st.caption(
        f"Listed {event.listed if event else 0:,} · {event.rate if event else 0.0:,.1f} pipelines/s · "
        f"{current.elapsed_s:,.1f} s elapsed · {failures:,} failure{'s' * (failures != 1)}"
        + (" · stopping…" if current.stop_requested else "")
    )


@st.fragment(run_every=refresh.every("run_progress", PROGRESS_EVERY_S) if running else None)
def progress_panel() -> None:
    """Live progress while the run goes (polled twice a second, slower when slow), then the results."""
    with refresh.timed("run_progress", PROGRESS_EVERY_S, live=running):
        progress_body()


def progress_body() -> None:
    """The live run's progress, or its results once it ended."""
    session = get_state()
    current = runs.attach_run(session)
    if running and (current is None or current.run_id != job_id):
        st.rerun()  # the run this page showed is gone (its ingestion deleted): the whole page again
    if current is None:
        if not has_history and not forgotten:
            st.caption("No run yet.")
        return
    if not current.done:
        _progress(current)
        return
    st.subheader("Results")
    if current.record is not None:
        results.render_run_result(
            current.record, stale=runs.stale_settings(current.settings, session), key="run_result"
        )
    if running:
        st.rerun()  # the run ended: a full rerun stops this fragment's timer and updates the stepper


job_id = job.run_id if job is not None else None
history = runs.run_history(state)
has_history = bool(history)
progress_panel()


@st.fragment(run_every=refresh.every("run_history", HISTORY_EVERY_S) if running else None)
def history_panel() -> None:
    """The ingestion's runs; while one goes, read again every few seconds (its row shows its checkpoints)."""
    with refresh.timed("run_history", HISTORY_EVERY_S, live=running):
        history_body()


def history_body() -> None:
    """The history table, and the run chosen in it."""
    session = get_state()
    records = history if not running else runs.run_history(session)
    chosen = results.render_history(records)
    if chosen:
        opened = runs.run_record(chosen)
        if opened is None:
            st.warning("That run is no longer in the history.", icon=":material/warning:")
        else:
            with st.container(border=True):
                results.render_run_result(opened, key="history_result")


st.subheader("Run history")
history_panel()
ui.nav_buttons("run")
