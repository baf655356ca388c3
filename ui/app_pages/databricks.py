"""Step 1: the Databricks workspace connection, plus the two ways to start fast (demo, import)."""

from __future__ import annotations

import streamlit as st

from ui import components as ui
from ui import services
from ui.fields import AUTH_LABELS
from ui.state import get_state, reset_state

_CONFIRM_DEMO_OFF = "demo_confirm_off"


def _toggle_demo() -> None:
    if not st.session_state.get("demo_toggle"):  # turning it off clears the form: ask first
        st.session_state[_CONFIRM_DEMO_OFF] = True
        return
    state = get_state()
    services.stop_jobs(state)
    services.apply_demo(state)
    ui.reseed_widgets()


def _demo_off() -> None:
    """Confirmed: every step back to its default (the ingestion stays, emptied)."""
    st.session_state.pop(_CONFIRM_DEMO_OFF, None)
    services.stop_jobs(get_state())
    reset_state()
    ui.reseed_widgets()


def _keep_demo() -> None:
    st.session_state.pop(_CONFIRM_DEMO_OFF, None)
    st.session_state["demo_toggle"] = True


def _import() -> None:
    uploaded = st.session_state.get("import_file")
    if uploaded is None:
        return
    state = get_state()
    services.stop_jobs(state)
    result = services.import_workflow(state, uploaded.getvalue(), uploaded.name)
    st.session_state["import_result"] = (result.ok, result.message, result.notes)
    if result.ok:
        ui.reseed_widgets()


state = get_state()
dbx = state.databricks
ui.page_header(
    "databricks",
    "Where your jobs live. Values are checked as you type; nothing is sent anywhere until you test.",
)

with st.container(border=True):
    st.markdown("**Start fast**")
    ui.bind("demo_toggle", state.demo)
    st.toggle(
        "Try with demo data — starts local Databricks and OpenMetadata emulators",
        key="demo_toggle",
        on_change=_toggle_demo,
        help="Fills every step with a local demo workspace (120 jobs, 3 DLT pipelines) and a local "
        "OpenMetadata, so you can walk the whole flow with no credentials. Turning it off clears the form "
        "(after asking).",
    )
    if st.session_state.get(_CONFIRM_DEMO_OFF) and state.demo:
        st.warning(
            "Turn demo mode off? Every step is cleared back to its defaults, including the filters, options "
            "and schedule you set in the demo.",
            icon=":material/help:",
        )
        off_col, keep_col, _spacer = st.columns([1, 1, 3])
        off_col.button("Turn off and clear", key="demo_off_confirm", type="primary", on_click=_demo_off)
        keep_col.button("Keep the demo", key="demo_off_cancel", on_click=_keep_demo)
    with st.expander("Import an existing workflow YAML", icon=":material/upload_file:"):
        st.file_uploader(
            "The file you give `metadata ingest -c` (OpenMetadata 1.x or 2.x format); every step is prefilled.",
            type=["yaml", "yml"],
            key="import_file",
            on_change=_import,
        )
        outcome = st.session_state.get("import_result")
        if outcome:
            ok, message, notes = outcome
            (st.success if ok else st.error)(message, icon=":material/check:" if ok else ":material/error:")
            for note in notes:
                st.caption(f":material/info: {note}")

errors = services.field_errors(state)
missing = services.missing_fields(state).get("databricks", [])

ui.bound(
    st.text_input,
    "Service name",
    "dbx_service_name",
    "databricks.service_name",
    help="The pipeline service these jobs appear under in OpenMetadata (source.serviceName). "
    "Keep it stable: a new name creates a new service.",
)
ui.field_error(errors.get("dbx_service_name"))

ui.bound(
    st.text_input,
    "Workspace host",
    "dbx_host",
    "databricks.host",
    placeholder="adb-1234567890123456.7.azuredatabricks.net",
    help="Paste it any way you have it: host, host:port, or the URL from your browser "
    "(?o=... and #job/... are dropped). https:// is assumed.",
)
host_url, _ = services.normalized_host(dbx.host)
if host_url:
    st.caption(f":material/link: Connects to `{host_url}`")
ui.field_error(errors.get("dbx_host"))

ui.bound(
    st.radio,
    "Authentication",
    "dbx_auth",
    "databricks.auth",
    options=list(AUTH_LABELS),
    format_func=AUTH_LABELS.__getitem__,
    horizontal=True,
    help="A personal access token is quickest. For production use a service principal: OAuth M2M "
    "on any cloud, or an Azure AD (Entra ID) service principal on Azure Databricks.",
)
if dbx.auth == "pat":
    ui.secret_input(
        "Personal access token",
        "dbx_token",
        "databricks.token",
        help="Settings → Developer → Access tokens. The user needs CAN VIEW on the jobs (and CAN USE on the "
        "SQL warehouse for lineage). Kept on this server only; exports reference ${DATABRICKS_TOKEN}.",
        error=errors.get("dbx_token"),
    )
elif dbx.auth == "oauth":
    ui.bound(
        st.text_input,
        "Client ID",
        "dbx_client_id",
        "databricks.client_id",
        help="The service principal's application (client) ID.",
    )
    ui.field_error(errors.get("dbx_client_id"))
    ui.secret_input(
        "Client secret",
        "dbx_client_secret",
        "databricks.client_secret",
        help="An OAuth secret of the service principal (Account console → Service principals → Secrets).",
        error=errors.get("dbx_client_secret"),
    )
else:
    left, right = st.columns(2)
    with left:
        ui.bound(
            st.text_input,
            "Azure client ID",
            "dbx_azure_client_id",
            "databricks.azure_client_id",
            help="Application (client) ID of the Entra ID app registration.",
        )
        ui.field_error(errors.get("dbx_azure_client_id"))
    with right:
        ui.bound(
            st.text_input,
            "Azure tenant ID",
            "dbx_azure_tenant_id",
            "databricks.azure_tenant_id",
            help="Directory (tenant) ID of the app registration.",
        )
        ui.field_error(errors.get("dbx_azure_tenant_id"))
    ui.secret_input(
        "Azure client secret",
        "dbx_azure_client_secret",
        "databricks.azure_client_secret",
        help="A client secret of the app registration (Certificates & secrets).",
        error=errors.get("dbx_azure_client_secret"),
    )
ui.field_error(errors.get("dbx_auth"))

ui.bound(
    st.text_input,
    "SQL warehouse HTTP path (optional, for lineage)",
    "dbx_http_path",
    "databricks.http_path",
    placeholder="/sql/1.0/warehouses/abc123def456",
    help="SQL Warehouses → your warehouse → Connection details → HTTP path. Lineage is read from "
    "system.access.table_lineage through it; leave empty to skip lineage.",
)
warehouse, _ = services.warehouse_id(dbx.http_path)
if warehouse:
    st.caption(f":material/storage: SQL warehouse `{warehouse}`")
ui.field_error(errors.get("dbx_http_path"))

with st.expander("Advanced", icon=":material/settings:", expanded=bool(errors.get("dbx_conn_args"))):
    ui.bound(
        st.number_input,
        "Connection timeout (seconds)",
        "dbx_timeout",
        "databricks.timeout_s",
        min_value=1,
        max_value=3600,
        step=10,
        help="How long databricks-sdk keeps retrying one call (429, 503, dropped connections) before "
        "giving up (connectionTimeout).",
    )
    ui.bound(
        st.text_area,
        "Connection arguments (YAML)",
        "dbx_conn_args",
        "databricks.connection_args",
        placeholder="http_path: /sql/1.0/warehouses/abc123",
        height=80,
        help="Extra connectionArguments, rarely needed. OpenMetadata 1.x files keep http_path here.",
    )
    ui.field_error(errors.get("dbx_conn_args"))

ui.render_missing(missing)
ui.nav_buttons("databricks", next_label="Test connection →")
