"""Step 5: where the entities go (OpenMetadata or a local file), tested like step 2."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import components as ui
from ui import services
from ui.state import get_state

SINK_LABELS = {"openmetadata": "OpenMetadata server", "file": "Local file (JSON lines)"}
SSL_LABELS = {
    "no-ssl": "No SSL (http://)",
    "validate": "Validate the certificate",
    "ignore": "Ignore certificate errors",
}

state = get_state()
sink = state.sink
ui.page_header("sink", "Where the pipelines, statuses and lineage are written.")
errors = services.field_errors(state)

ui.bound(
    st.radio,
    "Write to",
    "sink_kind",
    "sink.kind",
    options=list(SINK_LABELS),
    format_func=SINK_LABELS.__getitem__,
    horizontal=True,
    help="A local file holds the exact OpenMetadata request bodies, one per line: handy to inspect "
    "before writing to a real catalogue.",
)

if sink.kind == "openmetadata":
    ui.bound(
        st.text_input,
        "OpenMetadata URL",
        "om_host",
        "sink.om_host",
        placeholder="https://openmetadata.example.com/api",
        help="The API root, ending in /api (hostPort). http:// is fine for a local server.",
    )
    url, _ = services.normalized_om_url(sink.om_host)
    if url:
        st.caption(f":material/link: Writes to `{url}`")
    ui.field_error(errors.get("om_host"))
    ui.secret_input(
        "Ingestion bot JWT",
        "om_jwt",
        "sink.jwt",
        help="Settings → Bots → ingestion-bot → copy the token. Kept on this server only; exports "
        "reference ${OPENMETADATA_JWT_TOKEN}. An expired token is reported as such by the test below.",
        error=errors.get("om_jwt"),
    )
    ui.bound(
        st.selectbox,
        "SSL verification (verifySSL)",
        "om_verify_ssl",
        "sink.verify_ssl",
        options=list(SSL_LABELS),
        format_func=SSL_LABELS.__getitem__,
        help="'Validate' checks the server certificate (optionally against your CA file); 'Ignore' "
        "accepts any certificate, for testing only.",
    )
    if sink.verify_ssl == "validate":
        ui.bound(
            st.text_input,
            "CA certificate file (optional)",
            "om_ca",
            "sink.ca_certificate",
            placeholder="/etc/ssl/certs/my-ca.pem",
            help="Path of a PEM bundle on the machine that runs the ingestion (sslConfig.caCertificate).",
        )
        ui.field_error(errors.get("om_ca"))
else:
    ui.bound(
        st.text_input,
        "Output file",
        "sink_filename",
        "sink.filename",
        help="Path of the JSON-lines file. The exported YAML keeps it as typed (a relative name is then "
        "relative to where the DAG's task runs); the wizard's own runs write a relative name under its data "
        "directory ($DBX_PIPELINE_HOME, else your user data folder), in exports/.",
    )
    ui.field_error(errors.get("sink_filename"))
    if sink.filename.strip():
        typed = sink.filename.strip()
        where = services.sink_path(typed)
        relative = "" if where == Path(typed).expanduser() else " (relative to where the DAG's task runs)"
        st.caption(
            f":material/folder_open: Run now writes `{where}`. The exported YAML keeps `{typed}`{relative}."
        )

missing = services.missing_fields(state).get("sink", [])
ui.render_missing(missing)

ui.bind("sink_timeout", 20)
timeout_col, button_col = st.columns([1, 3], vertical_alignment="bottom")
timeout_s = timeout_col.number_input(
    "Timeout per step (seconds)", min_value=2, max_value=600, step=5, key="sink_timeout"
)
if button_col.button(
    "Test OpenMetadata" if sink.kind == "openmetadata" else "Check the file",
    key="sink_test",
    type="primary",
    disabled=bool(missing),
    icon=":material/play_arrow:",
):
    with st.spinner("Testing…"):
        services.check_connection(state, "sink", float(timeout_s))

result = state.checks.get("sink")
version_line = None
if state.om_version and sink.kind == "openmetadata":
    version_line = (
        f":material/verified: OpenMetadata **{state.om_version}**: the YAML is written in the "
        f"**{services.current_dialect(state)}** dialect."
    )
ui.render_checks(
    "OpenMetadata" if sink.kind == "openmetadata" else "File",
    result,
    stale=result is not None and result.fingerprint != services.sink_fingerprint(state),
    why=services.stale_reason(state, "sink"),
    extra=version_line,
)

ui.nav_buttons("sink")
