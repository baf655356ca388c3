"""More workspaces in one DAG: each extra workspace's config, its problems by field, its connection test.

An extra workspace (:class:`ui.state.ExtraWorkspace`) has its own Databricks connection, service name and,
optionally, filters; everything else (OpenMetadata server, sink, options, schedule) is the main
workspace's. So its workflow is built by the main builder on a *view* of the state where the Databricks
step and the filters are the workspace's own (:func:`workspace_view`): one way to build a workflow, the
same checks, the same placeholders for secrets not entered (the files only reference them).

Whether the workspaces fit one DAG is :func:`core.generate.workspaces.plan_workspaces`'s call, not ours:
its refusal (two workspaces in one service, service names that make the same file name, an engine that
cannot map) is shown at the workspace that brought it in.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from core.config import WorkflowConfig
from core.errors import ConfigError
from ui.fields import FIELD_LABELS, field_for_yaml_path
from ui.services.config import _problems_by_field, build_config, databricks_fingerprint, setting_fingerprints
from ui.services.forms import _missing_databricks, broken_rules, normalized_host, warehouse_id
from ui.services.schedule import _sentence
from ui.services.warmup import load_engine
from ui.state import CheckResult, ExtraWorkspace, FiltersStep, WizardState

__all__ = [
    "WORKSPACE_FIELDS",
    "add_workspace",
    "check_workspace",
    "extra_configs",
    "missing_secrets",
    "remove_workspace",
    "set_own_filters",
    "workspace_fingerprint",
    "workspace_problems",
    "workspace_view",
]

#: Field ids of an extra workspace (the main step's ``dbx_*`` ids without the prefix), plus ``filters``
#: and ``general`` (a problem no field holds, e.g. the DAG's engine).
WORKSPACE_FIELDS = (
    "service_name", "host", "auth", "token", "client_id", "client_secret", "azure_client_id",
    "azure_client_secret", "azure_tenant_id", "http_path", "timeout", "conn_args", "filters", "general",
)  # fmt: skip

_SECRET_FIELDS = frozenset({"token", "client_secret", "azure_client_secret"})


def add_workspace(state: WizardState) -> ExtraWorkspace:
    """Add an empty workspace to the DAG (its connection timeout is the main workspace's).

    Args:
        state: the session's wizard state.

    Returns:
        The new workspace.
    """
    workspace = ExtraWorkspace(state.next_workspace_id)
    workspace.databricks.timeout_s = state.databricks.timeout_s
    state.workspaces[workspace.id] = workspace
    state.next_workspace_id += 1
    return workspace


def remove_workspace(state: WizardState, workspace_id: int) -> None:
    """Forget an extra workspace, its secrets and its test (nothing else refers to it)."""
    state.workspaces.pop(workspace_id, None)


def set_own_filters(state: WizardState, workspace_id: int, own: bool) -> None:
    """Give a workspace its own rules (starting as a copy of the main ones), or the main ones again."""
    workspace = state.workspaces.get(workspace_id)
    if workspace is None:
        return
    if not own:
        workspace.filters = None
    elif workspace.filters is None:
        workspace.filters = dataclasses.replace(
            state.filters, rules=[dataclasses.replace(rule) for rule in state.filters.rules]
        )


def workspace_view(state: WizardState, workspace: ExtraWorkspace) -> WizardState:
    """The state as the workspace sees it: its own Databricks step and filters, the rest shared."""
    filters: FiltersStep = workspace.filters if workspace.filters is not None else state.filters
    return dataclasses.replace(state, databricks=workspace.databricks, filters=filters, workspaces={})


def extra_configs(state: WizardState) -> list[WorkflowConfig]:
    """The extra workspaces' workflows for an export (placeholders where a secret is not entered).

    Raises:
        ConfigError: a workspace's value is wrong (:func:`workspace_problems` says which, at its field).
    """
    return [build_config(workspace_view(state, ws), for_export=True) for ws in state.workspaces.values()]


def missing_secrets(workspace: ExtraWorkspace) -> list[str]:
    """The workspace's secret fields not entered yet: needed to test it, not to export (files reference them)."""
    return [f for f in _local(_missing_databricks(workspace.databricks)) if f in _SECRET_FIELDS]


def _local(field_ids: list[str]) -> list[str]:
    return [field_id.removeprefix("dbx_") for field_id in field_ids]


def _local_field(yaml_path: str | None) -> str:
    return _local_field_id(field_for_yaml_path(yaml_path) or "general")


def _local_field_id(field_id: str) -> str:
    """A main-step field id as the workspace's own (``dbx_host`` -> ``host``), else ``general``."""
    if field_id == "filter_rules":
        return "filters"
    local = field_id.removeprefix("dbx_")
    return local if local in WORKSPACE_FIELDS else "general"


def _own_problems(state: WizardState, workspace: ExtraWorkspace) -> dict[str, str]:
    """What is empty or wrong in the workspace's own fields (a missing secret is not a problem)."""
    dbx = workspace.databricks
    found: dict[str, str] = {}
    for field_id in _local(_missing_databricks(dbx)):
        if field_id not in _SECRET_FIELDS:
            found[field_id] = "Required."
    checks: list[tuple[str, str | None]] = [
        ("host", normalized_host(dbx.host)[1]),
        ("http_path", warehouse_id(dbx.http_path)[1]),
        ("service_name", "The service name must not contain '::'." if "::" in dbx.service_name else None),
    ]
    for field_id, message in checks:
        if message:
            found.setdefault(field_id, message)
    view = workspace_view(state, workspace)
    if workspace.filters is not None and broken_rules(view):
        found["filters"] = "A filter rule needs fixing (see the rule)."
    if found:
        return found
    try:
        build_config(view, for_export=True)
    except ConfigError as err:
        for field_id, message in _problems_by_field(err).items():
            found.setdefault(_local_field_id(field_id), message)
    return found


def workspace_problems(state: WizardState) -> dict[int, dict[str, str]]:
    """Workspace id -> (field -> the one message at that field), for every extra workspace with a problem.

    First each workspace's own fields; then whether it fits the DAG beside the main workspace and the
    ones before it (:func:`core.generate.workspaces.plan_workspaces`, asked once per workspace, so its
    refusal lands at the workspace it is about). The main workspace's and the schedule's own problems are
    the review step's list, not repeated here.
    """
    if not state.workspaces:
        return {}
    problems = {ws_id: _own_problems(state, ws) for ws_id, ws in state.workspaces.items()}
    try:
        from ui.services.schedule import dag_options

        accepted = [build_config(state, for_export=True)]
        options = dag_options(state)
    except ConfigError:  # the main workspace or the schedule needs fixing first: the review step lists it
        return {ws_id: found for ws_id, found in problems.items() if found}
    from core.generate.workspaces import plan_workspaces

    for ws_id, ws in state.workspaces.items():
        if problems[ws_id]:
            continue
        config = build_config(workspace_view(state, ws), for_export=True)
        try:
            plan_workspaces([*accepted, config], options)
        except ConfigError as err:
            field_id = _local_field(err.field)
            subject = f"The {FIELD_LABELS.get('dbx_' + field_id, 'value').lower()}"
            problems[ws_id][field_id] = _sentence(err, subject)
            continue
        accepted.append(config)
    return {ws_id: found for ws_id, found in problems.items() if found}


def workspace_fingerprint(state: WizardState, workspace: ExtraWorkspace) -> str:
    """Changes whenever the workspace's connection changes (its test is then stale)."""
    return databricks_fingerprint(workspace_view(state, workspace))


def check_workspace(state: WizardState, workspace_id: int, timeout_s: float) -> CheckResult | None:
    """Test an extra workspace's Databricks side step by step (the checks of the test step), and store it.

    Args:
        state: the session's wizard state.
        workspace_id: which workspace.
        timeout_s: how long one step may take.

    Returns:
        The result (also kept on the workspace), or None when the workspace was removed.
    """
    load_engine()
    from core.checks import CheckStep, check_databricks

    workspace = state.workspaces.get(workspace_id)
    if workspace is None:
        return None
    view = workspace_view(state, workspace)
    steps: list[Any]
    try:
        steps = check_databricks(build_config(view, purpose="databricks"), timeout_s)
    except ConfigError as err:
        steps = [
            CheckStep(
                "Databricks",
                "Settings complete",
                ok=False,
                error=err.message,
                hint=err.hint or "Fix the field, then test again",
                field=err.field,
            )
        ]
    result = CheckResult(
        steps=steps,
        fingerprint=databricks_fingerprint(view),
        timeout_s=timeout_s,
        finished_at=time.time(),
        settings=setting_fingerprints(view, "databricks"),
    )
    workspace.check = result
    return result
