"""Step 6: when Airflow runs the ingestion, and how the generated DAG is written."""

from __future__ import annotations

import streamlit as st

from ui import components as ui
from ui import services
from ui.state import get_state

PRESET_LABELS = {
    "hourly": "Hourly",
    "daily": "Daily",
    "weekly": "Weekly",
    "monthly": "Monthly",
    "custom": "Custom cron",
    "on demand": "On demand",
}
ENGINE_LABELS = {
    "core": "This engine (dbx-pipeline)",
    "openmetadata": "OpenMetadata's ingestion (isolated virtualenv)",
}
SECRET_LABELS = {
    "env": "Environment variables",
    "variable": "Airflow Variables",
    "connection": "Airflow Connections",
}


def _tags(text: str) -> str:
    return ", ".join(tag.strip() for tag in (text or "").split(",") if tag.strip())


state = get_state()
sched = state.schedule
ui.page_header("schedule", "When Airflow runs the ingestion, and how the DAG file is written.")
errors = services.field_errors(state)


def _preset_changed() -> None:
    services.choose_preset(get_state(), st.session_state["sched_preset"])
    st.session_state.pop("sched_cron", None)  # the cron field shows the state's expression again


def _back_to_preset() -> None:
    _preset_changed_to(get_state().schedule.custom_from)


def _preset_changed_to(preset: str) -> None:
    services.choose_preset(get_state(), preset)
    st.session_state["sched_preset"] = preset


st.subheader("Schedule")
ui.bind("sched_preset", sched.preset)
st.radio(
    "Runs",
    key="sched_preset",
    on_change=_preset_changed,
    options=list(PRESET_LABELS),
    format_func=PRESET_LABELS.__getitem__,
    horizontal=True,
    help="On demand writes schedule=None: the DAG runs only when triggered (Run now stays separate). "
    "Custom cron starts from the preset chosen before it.",
)
if sched.preset == "custom":
    if sched.custom_from in PRESET_LABELS and sched.custom_from != "custom":
        note, back = st.columns([4, 1], vertical_alignment="center")
        note.caption(
            f"Started from {PRESET_LABELS[sched.custom_from]} "
            f"(`{services.preset_cron(sched.custom_from) or 'no schedule'}`)."
        )
        back.button(
            f"Back to {PRESET_LABELS[sched.custom_from]}",
            key="sched_back_to_preset",
            on_click=_back_to_preset,
            type="tertiary",
            icon=":material/undo:",
        )
    ui.bound(
        st.text_input,
        "Cron expression",
        "sched_cron",
        "schedule.custom_cron",
        placeholder="0 2 * * *",
        help="Five fields: minute hour day-of-month month day-of-week. Airflow reads it with croniter, "
        "like this check.",
    )
    ui.field_error(errors.get("sched_cron"))
timezones = services.timezones()
ui.bound(
    st.selectbox,
    "Timezone",
    "sched_tz",
    "schedule.timezone",
    options=timezones,
    help="The cron fields are read in this timezone (the DAG's start_date carries it), so 02:00 stays "
    "02:00 local time across daylight-saving changes.",
)
ui.field_error(errors.get("sched_tz"))

sentence, _ = services.describe_schedule(state)
if sentence:
    runs = services.upcoming_runs(state)
    with st.container(border=True):
        st.markdown(f":material/event_repeat: **{sentence}**" + (f" ({sched.timezone})" if runs else ""))
        if runs:
            st.caption("Next runs: " + " · ".join(run.strftime("%a %d %b %Y %H:%M %Z") for run in runs))
        st.caption("catchup=False is always written: no backfill of missed runs, on Airflow 2 and 3 alike.")

st.subheader("DAG")
left, right = st.columns(2, gap="large")
with left:
    ui.bound(
        st.text_input,
        "DAG id",
        "dag_id",
        "schedule.dag_id",
        help="Also the file names: <dag id>.py and <dag id>.yaml.",
    )
    ui.field_error(errors.get("dag_id"))
    ui.bound(st.text_input, "Owner", "dag_owner", "schedule.owner", help="Shown in Airflow's DAG list.")
    ui.field_error(errors.get("dag_owner"))
    ui.bound(
        st.date_input,
        "Start date",
        "dag_start_date",
        "schedule.start_date",
        help="A fixed date written into the file (never days_ago, which Airflow 3 removed).",
    )
    ui.field_error(errors.get("dag_start_date"))
    ui.bound(
        st.text_input,
        "Tags",
        "dag_tags",
        "schedule.tags",
        from_widget=_tags,
        help="Comma-separated; for filtering in Airflow's UI.",
    )
    ui.field_error(errors.get("dag_tags"))
with right:
    retry_col, delay_col, timeout_col = st.columns(3)
    with retry_col:
        ui.bound(st.number_input, "Retries", "dag_retries", "schedule.retries", min_value=0, max_value=20)
    with delay_col:
        ui.bound(
            st.number_input,
            "Retry delay (min)",
            "dag_retry_delay",
            "schedule.retry_delay_minutes",
            min_value=0,
            max_value=1440,
        )
    with timeout_col:
        ui.bound(
            st.number_input,
            "Timeout (min)",
            "dag_timeout",
            "schedule.execution_timeout_minutes",
            min_value=1,
            max_value=10080,
            help="Airflow stops the task after this; the engine then stops cleanly at the next pipeline.",
        )
    ui.bound(
        st.text_input,
        "Alert e-mail (optional)",
        "dag_email",
        "schedule.email",
        placeholder="data-platform@example.com",
        help="Comma-separated addresses Airflow e-mails on failure (needs SMTP set up in Airflow).",
    )
    ui.field_error(errors.get("dag_email"))
    ui.bound(st.checkbox, "E-mail on failure", "dag_email_on_failure", "schedule.email_on_failure")

ui.bound(
    st.radio,
    "Engine",
    "dag_engine",
    "schedule.engine",
    options=list(ENGINE_LABELS),
    format_func=ENGINE_LABELS.__getitem__,
    horizontal=True,
    help="This engine runs in the Airflow worker (pip install dbx-pipeline there). OpenMetadata's runs "
    "openmetadata-ingestion in its own virtualenv, so it also works next to Airflow 2.x.",
)
ui.field_error(errors.get("dag_engine"))
if sched.engine == "openmetadata":
    ui.bind("dag_om_version", services.openmetadata_release(state))
    ui.bound(
        st.text_input,
        "OpenMetadata version",
        "dag_om_version",
        "schedule.openmetadata_version",
        help="The openmetadata-ingestion release to install: match your server (found by the connection test).",
    )
    ui.field_error(errors.get("dag_om_version"))
ui.bound(
    st.radio,
    "Secrets come from",
    "dag_secrets",
    "schedule.secrets",
    options=list(SECRET_LABELS),
    format_func=SECRET_LABELS.__getitem__,
    horizontal=True,
    help="The DAG looks secrets up when the task runs and Airflow masks them in logs. The wizard never "
    "writes a secret value into a file.",
)
ui.field_error(errors.get("dag_secrets"))

ui.nav_buttons("schedule")
