"""Step 8: run the ingestion now, with live progress, then the results; or a dry run that writes nothing."""

from __future__ import annotations

import streamlit as st

from ui import components as ui
from ui import services
from ui.fields import FIELD_LABELS
from ui.state import get_state

PHASES = {
    "starting": "Starting",
    "connecting": "Connecting to the sink",
    "listing": "Listing and ingesting pipelines",
    "ingesting": "Ingesting pipelines",
    "lineage": "Writing lineage",
    "cleanup": "Marking deleted pipelines",
    "done": "Finishing",
}

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

job = state.run
running = job is not None and not job.done
run_col, stop_col, reset_col = st.columns([1, 1, 2])
if run_col.button(
    "Dry run now" if state.dry_run else "Run now",
    key="run_start",
    type="primary",
    disabled=bool(blocking) or running,
    icon=":material/play_arrow:",
    width="stretch",
):
    try:
        job = services.start_run(state, dry_run=state.dry_run)
        running = True
    except services.ConfigError as err:
        st.error(err.one_line(), icon=":material/error:")
if running and stop_col.button("Stop", key="run_stop", icon=":material/stop:", width="stretch"):
    job.stop()
if state.demo and reset_col.button(
    "Reset the demo catalogue",
    key="run_reset_demo",
    type="tertiary",
    icon=":material/restart_alt:",
    disabled=running,
    help="Empties the demo OpenMetadata, so the next run creates every pipeline again.",
):
    services.reset_demo_catalogue()
    st.toast("The demo catalogue is empty again.", icon=":material/check:")


@st.fragment(run_every=0.5 if running else None)
def progress_panel() -> None:
    """Live progress while the run goes (polled twice a second), then the results."""
    current = get_state().run
    if current is None:
        st.caption("No run yet.")
        return
    event = current.event
    if not current.done:
        phase = PHASES.get(event.phase, event.phase) if event else "Starting"
        processed = event.processed if event else 0
        total = current.expected if current.expected is not None else (event.kept if event else 0)
        fraction = min(1.0, processed / total) if total else 0.0
        st.progress(fraction, text=f"{phase}: {processed:,} of {total:,} pipelines done")
        listed = event.listed if event else 0
        rate = event.rate if event else 0.0
        failures = event.failures if event else 0
        st.caption(
            f"Listed {listed:,} · {rate:,.1f} pipelines/s · {current.elapsed_s:.1f} s elapsed · "
            f"{failures:,} failure{'s' * (failures != 1)}"
        )
    else:
        if current.error:
            st.error(f"The run could not start: {current.error}", icon=":material/error:")
        report = current.report
        if report is not None:
            data = report.as_dict()
            mode = "Dry run finished: nothing was written." if data["dryRun"] else "Run finished."
            if report.ok:
                st.success(f"{mode} {data['kept']:,} pipelines ingested in {data['durationSeconds']:.1f} s.")
            elif data["interrupted"]:
                st.warning(f"{mode} It was stopped before the end; a rerun picks up where it left off.")
            else:
                st.warning(f"{mode} {len(data['failures']):,} failure(s): the reasons are below.")
            st.subheader("Results")
            ui.render_report(data)
        if running:
            st.rerun()  # the run ended: a full rerun stops this fragment's timer and updates the stepper


progress_panel()
ui.nav_buttons("run")
