"""Step 7: the workflow YAML and the Airflow DAG, with secrets as references, ready to download."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from ui import components as ui
from ui import services
from ui.fields import AUTH_LABELS, FIELD_LABELS
from ui.state import ExtraWorkspace, WizardState, get_state

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

#: which of an extra workspace's secret fields each auth kind shows: (field, label, help)
SECRET_FIELDS = {
    "pat": ("token", "Personal access token", "Settings → Developer → Access tokens, in this workspace."),
    "oauth": ("client_secret", "Client secret", "An OAuth secret of the service principal."),
    "azure": ("azure_client_secret", "Azure client secret", "A client secret of the app registration."),
}
TEXT_FIELDS = {
    "oauth": [("client_id", "Client ID")],
    "azure": [("azure_client_id", "Azure client ID"), ("azure_tenant_id", "Azure tenant ID")],
}


def _key(workspace: ExtraWorkspace, name: str) -> str:
    return f"review_ws{workspace.id}_{name}"


def _add_workspace() -> None:
    services.add_workspace(get_state())


def _ask_remove(workspace_id: int, ask: bool) -> None:
    st.session_state[f"review_ws{workspace_id}_confirm_remove"] = ask


def _remove(workspace_id: int) -> None:
    services.remove_workspace(get_state(), workspace_id)
    for key in [k for k in st.session_state if str(k).startswith(f"review_ws{workspace_id}_")]:
        del st.session_state[key]


def _own_filters(workspace_id: int, key: str) -> None:
    services.set_own_filters(get_state(), workspace_id, bool(st.session_state.get(key)))


def _connection_fields(workspace: ExtraWorkspace, errors: dict[str, str]) -> None:
    """Service name, host, authentication and warehouse of one extra workspace, each with its error."""
    path = f"workspaces.{workspace.id}.databricks"
    dbx = workspace.databricks
    name_col, host_col = st.columns(2)
    with name_col:
        ui.bound(
            st.text_input, "Service name", _key(workspace, "service_name"), f"{path}.service_name",
            help="This workspace's own pipeline service in OpenMetadata: it must differ from the others'.",
        )  # fmt: skip
        ui.field_error(errors.get("service_name"))
    with host_col:
        ui.bound(
            st.text_input, "Workspace host", _key(workspace, "host"), f"{path}.host",
            placeholder="adb-1234567890123456.7.azuredatabricks.net",
            help="Host, host:port or the URL from your browser; https:// is assumed.",
        )  # fmt: skip
        host_url, _ = services.normalized_host(dbx.host)
        if host_url:
            st.caption(f":material/link: Connects to `{host_url}`")
        ui.field_error(errors.get("host"))
    ui.bound(
        st.radio, "Authentication", _key(workspace, "auth"), f"{path}.auth", options=list(AUTH_LABELS),
        format_func=AUTH_LABELS.__getitem__, horizontal=True,
    )  # fmt: skip
    for name, label in TEXT_FIELDS.get(dbx.auth, []):
        ui.bound(st.text_input, label, _key(workspace, name), f"{path}.{name}")
        ui.field_error(errors.get(name))
    name, label, where = SECRET_FIELDS[dbx.auth]
    ui.secret_input(
        label, _key(workspace, name), f"{path}.{name}",
        help=f"{where} Kept on this server only; the files reference it under this workspace's own name.",
        error=errors.get(name),
    )  # fmt: skip
    if name in services.missing_secrets(workspace):
        st.caption(
            f":material/info: {label}: needed to test this workspace; the files only reference it, so the "
            "download works without it."
        )
    ui.field_error(errors.get("auth"))
    ui.bound(
        st.text_input, "SQL warehouse HTTP path (optional, for lineage)", _key(workspace, "http_path"),
        f"{path}.http_path", placeholder="/sql/1.0/warehouses/abc123def456",
        help="A SQL warehouse of this workspace; leave empty to skip its lineage.",
    )  # fmt: skip
    ui.field_error(errors.get("http_path"))


def _filters_fields(workspace: ExtraWorkspace, errors: dict[str, str]) -> None:
    """Its own include/exclude rules, or the main workspace's."""
    own_key = _key(workspace, "own_filters")
    ui.bind(own_key, workspace.filters is not None)
    st.toggle(
        "Its own filters",
        key=own_key,
        on_change=_own_filters,
        args=(workspace.id, own_key),
        help="Off: the filters of step 3. On: rules for this workspace alone, starting as a copy of those.",
    )
    if workspace.filters is not None:
        rule_errors = services.filter_rule_errors(services.workspace_view(get_state(), workspace))
        path = f"workspaces.{workspace.id}.filters"
        kinds: tuple[Literal["include", "exclude"], ...] = ("include", "exclude")
        for kind, column in zip(kinds, st.columns(2, gap="large"), strict=True):
            with column:
                ui.rules_editor(
                    kind, path, _key(workspace, "filter_"), rule_errors, services.operator_labels(),
                    services.rule_regex,
                )  # fmt: skip
    ui.field_error(errors.get("filters"))


def _test_and_remove(state: WizardState, workspace: ExtraWorkspace, timeout_s: float) -> None:
    """Its connection test (the checks of step 2, Databricks side) and its removal, confirmed."""
    test_col, remove_col, _ = st.columns([1, 1, 3])
    if test_col.button("Test connection", key=_key(workspace, "test"), icon=":material/play_arrow:"):
        with st.spinner(f"Testing workspace {workspace.id} (up to {timeout_s:.0f} s per step)…"):
            services.check_workspace(state, workspace.id, timeout_s)
    remove_col.button(
        "Remove", key=_key(workspace, "remove"), icon=":material/delete:", on_click=_ask_remove,
        args=(workspace.id, True),
    )  # fmt: skip
    if st.session_state.get(_key(workspace, "confirm_remove")):
        name = workspace.databricks.service_name.strip() or f"workspace {workspace.id}"
        st.warning(
            f"Remove **{name}** from this DAG? Its settings and saved secret are forgotten.",
            icon=":material/warning:",
        )
        yes_col, no_col, _ = st.columns([1, 1, 3])
        yes_col.button(
            "Yes, remove it", key=_key(workspace, "remove_yes"), type="primary", on_click=_remove,
            args=(workspace.id,),
        )  # fmt: skip
        no_col.button(
            "Cancel", key=_key(workspace, "remove_no"), on_click=_ask_remove, args=(workspace.id, False)
        )
    result = workspace.check
    ui.render_checks(
        "Databricks",
        result,
        stale=result is not None and result.fingerprint != services.workspace_fingerprint(state, workspace),
        why=services.stale_reason(state, f"workspace:{workspace.id}"),
        fix_links=False,
    )


def _workspaces_section(state: WizardState) -> bool:
    """The DAG's workspaces: the main one, each extra one with its fields, and "Add another workspace".

    Returns:
        True when an extra workspace has a problem (the downloads wait until it is fixed or removed).
    """
    st.subheader("Workspaces in this DAG")
    st.caption(
        f"1. **{state.databricks.service_name.strip()}** · `{state.databricks.host.strip()}` (step 1). "
        "Each workspace added here is ingested by the same DAG as its own mapped task, into its own "
        "OpenMetadata service, with the same server, options and schedule."
    )
    problems = services.workspace_problems(state)
    if state.workspaces:
        timeout_default = state.checks["databricks"].timeout_s if "databricks" in state.checks else 20
        ui.bind("review_ws_timeout", int(timeout_default))
        timeout_col, _ = st.columns([1, 3])
        timeout_s = timeout_col.number_input(
            "Timeout per step (seconds)", min_value=2, max_value=600, step=5, key="review_ws_timeout",
            help="For each workspace's connection test, as on step 2.",
        )  # fmt: skip
    for number, workspace in enumerate(state.workspaces.values(), start=2):
        errors = problems.get(workspace.id, {})
        with st.container(border=True, key=_key(workspace, "box")):
            title = workspace.databricks.service_name.strip() or "new workspace"
            st.markdown(f"**{number}. {title}**")
            _connection_fields(workspace, errors)
            _filters_fields(workspace, errors)
            ui.field_error(errors.get("general"))
            _test_and_remove(state, workspace, float(timeout_s))
    st.button(
        "Add another workspace to this DAG", key="review_add_workspace", icon=":material/add:",
        on_click=_add_workspace,
        help="Another Databricks workspace, ingested by the same DAG into its own OpenMetadata service.",
    )  # fmt: skip
    return bool(problems)


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
if _workspaces_section(state):
    st.warning(
        "Fix the workspaces marked above, or remove them, to get the files: the DAG ingests every one.",
        icon=":material/warning:",
    )
    ui.nav_buttons("review", next_label="Run now →")
    st.stop()
export = services.export_files(state)
several = len(export.yaml_names) > 1

if several:  # one YAML per workspace: each is downloaded from its own tab below
    dag_col, zip_col = st.columns(2)
else:
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
    help=f"{export.dag_name}: put it next to the {'YAMLs' if several else 'YAML'} in Airflow's dags folder "
    "(Airflow 2.7+ and 3.x).",
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
    help=f"The {'YAMLs' if several else 'YAML'}, the DAG, the engine's wheel (the DAG installs it in its "
    "task's own virtualenv) and a short deploy README: copy all but the README into Airflow's dags folder.",
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

*yaml_tabs, dag_tab, readme_tab = st.tabs(
    [*export.yaml_names, export.dag_name, export.readme_name or "README"]
)
for index, (yaml_tab, yaml_name) in enumerate(zip(yaml_tabs, export.yaml_names, strict=True)):
    with yaml_tab:
        if several:
            st.download_button(
                f"Download {yaml_name}",
                data=export.files[yaml_name],
                file_name=yaml_name,
                mime="application/x-yaml",
                key=f"review_download_yaml_{index}",
                icon=":material/description:",
                on_click="ignore",
                help="This workspace's workflow, for `dbx-pipeline ingest -c` or `metadata ingest -c`.",
            )
        st.code(export.files[yaml_name], language="yaml", line_numbers=True)
with dag_tab:
    st.code(export.files[export.dag_name], language="python", line_numbers=True)
with readme_tab:
    if export.readme_name:
        st.markdown(export.files[export.readme_name])

ui.nav_buttons("review", next_label="Run now →")
