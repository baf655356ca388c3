"""Step 7: the workflow YAML and the Airflow DAG, with secrets as references, ready to download."""

from __future__ import annotations

import streamlit as st

from ui import components as ui
from ui import services
from ui.fields import FIELD_LABELS
from ui.state import get_state

DIALECT_LABELS = {
    "2.x": "OpenMetadata 2.x (authType:)",
    "1.x": "OpenMetadata 1.x (token:)",
}
SOURCE_HEADERS = {
    "env": ("Set these environment variables on the Airflow workers", "Environment variable"),
    "variable": ("Create these Airflow Variables (Admin → Variables)", "Airflow Variable"),
    "connection": (
        "Put the secrets in these Airflow Connections (Admin → Connections)",
        "Connection (field)",
    ),
}

state = get_state()
ui.page_header("review", "Check the files, then download them. Secrets are references, never values.")

problems = services.export_problems(state)
if problems:
    st.error("Some settings need fixing before the files can be generated:", icon=":material/error:")
    for field_id, message in problems.items():
        step = ui.step_by_key(ui.step_of_field_key(field_id))
        st.markdown(f"- **{FIELD_LABELS.get(field_id, 'Settings')}**: {message}")
        st.page_link(
            step.path, label=f"Fix it in step {step.number}: {step.title}", icon=":material/arrow_forward:"
        )
    ui.nav_buttons("review")
    st.stop()

dialect_help = (
    f"OpenMetadata {state.om_version} was found by the connection test."
    if state.om_version
    else "No OpenMetadata server tested yet: the current 2.x dialect is assumed."
)
ui.bound(
    st.radio,
    "YAML dialect",
    "review_dialect",
    "dialect",
    to_widget=lambda value: value or services.current_dialect(state),
    options=list(DIALECT_LABELS),
    format_func=DIALECT_LABELS.__getitem__,
    horizontal=True,
    help=dialect_help + " Both load in this engine; pick the one your OpenMetadata tooling reads.",
)
export = services.export_files(state)

yaml_col, dag_col, zip_col = st.columns(3)
yaml_col.download_button(
    "Download YAML",
    data=export.files[export.yaml_name],
    file_name=export.yaml_name,
    mime="application/x-yaml",
    key="review_download_yaml",
    icon=":material/description:",
    on_click="ignore",
    width="stretch",
    help=f"{export.yaml_name}: the workflow, for `dbx-pipeline ingest -c` or `metadata ingest -c`.",
)
dag_col.download_button(
    "Download DAG",
    data=export.files[export.dag_name],
    file_name=export.dag_name,
    mime="text/x-python",
    key="review_download_dag",
    icon=":material/code:",
    on_click="ignore",
    width="stretch",
    help=f"{export.dag_name}: put it next to the YAML in Airflow's dags folder (Airflow 2.7+ and 3.x).",
)
zip_col.download_button(
    "Download all (.zip)",
    data=export.zip_bytes,
    file_name=export.zip_name,
    mime="application/zip",
    key="review_download_zip",
    icon=":material/folder_zip:",
    type="primary",
    on_click="ignore",
    width="stretch",
    help="The YAML, the DAG, the engine's wheel (the DAG installs it in its task's own virtualenv) and a "
    "short deploy README: copy all but the README into Airflow's dags folder.",
)

if export.secret_sources:
    title, column = SOURCE_HEADERS[export.secrets_mode]
    st.markdown(f"**{title}** (values are never written into the files):")
    st.dataframe(
        [{"where": where, "what": what} for where, what in export.secret_sources],
        hide_index=True,
        width="stretch",
        column_config={"where": column, "what": "What to put in it"},
    )

yaml_tab, dag_tab, readme_tab = st.tabs([export.yaml_name, export.dag_name, export.readme_name or "README"])
with yaml_tab:
    st.code(export.files[export.yaml_name], language="yaml", line_numbers=True)
with dag_tab:
    st.code(export.files[export.dag_name], language="python", line_numbers=True)
with readme_tab:
    if export.readme_name:
        st.markdown(export.files[export.readme_name])

ui.nav_buttons("review", next_label="Run now →")
