"""Step 2: test both connections step by step, with durations, errors, hints and a retry."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import streamlit as st

from ui import components as ui
from ui import services
from ui.state import WizardState, get_state


def _run_tests(state: WizardState, sides: list[str], timeout_s: float) -> None:
    """Both sides at once: the wait is the slower side's, not the sum."""
    label = f"Testing {' and '.join(SIDE_TITLES[s] for s in sides)} (up to {timeout_s:.0f} s per step)…"
    with st.spinner(label), ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(services.check_connection, state, side, timeout_s) for side in sides]:
            future.result()


SIDE_TITLES = {"databricks": "Databricks", "sink": "OpenMetadata"}

state = get_state()
ui.page_header(
    "test",
    "Each side is checked step by step; a failed step says what to do and skips the steps after it.",
)

missing = services.missing_fields(state)
dbx_ready = "databricks" not in missing and not services.field_errors(state).get("dbx_host")
sink_ready = "sink" not in missing

left, right = st.columns([1, 3], vertical_alignment="bottom")
timeout_s = ui.bound(  # kept in the wizard state: a page switch or a reload keeps it, and it is saved
    left.number_input,
    "Timeout per step (seconds)",
    "test_timeout",
    "test_timeout_s",
    min_value=2,
    max_value=600,
    step=5,
    help="How long one step may take before it fails with a timeout. Raise it for a slow or far "
    "workspace (OpenMetadata's own test stops after a fixed 3 minutes).",
)
sides = [side for side, ready in (("databricks", dbx_ready), ("sink", sink_ready)) if ready]
if right.button(
    "Test connections" if len(sides) == 2 else "Test Databricks",
    type="primary",
    disabled=not sides,
    key="test_run",
    icon=":material/play_arrow:",
):
    _run_tests(state, sides, float(timeout_s))

dbx_col, om_col = st.columns(2)
with dbx_col:
    st.subheader("Databricks")
    if not dbx_ready:
        st.info("Fill in step 1 first.", icon=":material/edit_note:")
        st.page_link(
            "app_pages/databricks.py", label="Go to step 1: Databricks", icon=":material/arrow_back:"
        )
    result = state.checks.get("databricks")
    ui.render_checks(
        "Databricks",
        result,
        stale=result is not None and result.fingerprint != services.databricks_fingerprint(state),
        why=services.stale_reason(state, "databricks"),
    )
with om_col:
    st.subheader("OpenMetadata" if state.sink.kind == "openmetadata" else "Output file")
    if not sink_ready:
        st.info(
            "The sink is set up in step 5. In demo mode it is already filled in.", icon=":material/edit_note:"
        )
        st.page_link("app_pages/sink.py", label="Go to step 5: Sink", icon=":material/arrow_forward:")
    result = state.checks.get("sink")
    version_line = None
    if state.om_version:
        dialect = services.current_dialect(state)
        version_line = (
            f":material/verified: OpenMetadata **{state.om_version}** found: the YAML is written in the "
            f"**{dialect}** dialect ({'authType:' if dialect == '2.x' else 'token:'})."
        )
    ui.render_checks(
        SIDE_TITLES["sink"] if state.sink.kind == "openmetadata" else "File",
        result,
        stale=result is not None and result.fingerprint != services.sink_fingerprint(state),
        why=services.stale_reason(state, "sink"),
        extra=version_line,
    )

failed = [result for result in state.checks.values() if not result.ok]
if failed:
    timed_out = any("timed out" in (step.error or "").lower() for r in failed for step in r.steps)
    longer = min(600.0, float(timeout_s) * 3)
    message = (
        "A step timed out. The server may be slow or unreachable from here (VPN, firewall, proxy)."
        if timed_out
        else "Fix what the failed step says, then try again."
    )
    st.warning(message, icon=":material/warning:")
    retry, retry_longer, _ = st.columns([1, 1, 2])
    if retry.button("Try again", key="test_retry", icon=":material/refresh:"):
        _run_tests(state, sides, float(timeout_s))
        st.rerun()
    if retry_longer.button(
        f"Try again with {longer:.0f} s", key="test_retry_longer", icon=":material/timer:"
    ):
        _run_tests(state, sides, longer)
        st.rerun()

ui.nav_buttons("test")
