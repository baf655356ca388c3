"""The only bridge between the wizard and ``core``: pages call these functions and render what they return.

Why one package: pages stay pure layout, every ``core`` call is in one place, and every error from
``core`` is caught here and turned into a sentence at a field (never a traceback on the page).

Why lazy imports: databricks-sdk takes about a second to import, and the first page must render at once.
Only ``core.config``, ``core.errors``, ``core.filters`` and ``core.filter_rules`` (pydantic and ``re``) are
imported at module level; checks, preview, the workflow, the generators and the emulators are imported
inside the functions that need them.

Secrets: values live in the state as ``SecretStr`` and are unwrapped only here, to build a config for a
connection test, a preview or a run. Generated files always carry ``${ENV}`` references (or Airflow
Variable/Connection look-ups), never the values. Clients are built per call for this session; nothing
credentialed is cached across sessions. Only the demo emulators (which hold no user secret) are shared
by the whole process.
"""

from __future__ import annotations

from core.errors import ConfigError
from ui.services.checks import check_connection, forget_tests, keep_tests, restore_tests, stale_reason
from ui.services.config import (
    build_config,
    config_problems,
    data_dir,
    databricks_fingerprint,
    sink_fingerprint,
    sink_path,
    workflow_dict,
)
from ui.services.demo import (
    DEMO_SPEC,
    apply_demo,
    demo_names,
    operator_labels,
    reset_demo_catalogue,
    rule_regex,
    start_demo,
    zip_members,
)
from ui.services.export import ExportFiles, current_dialect, export_files, export_problems
from ui.services.forms import (
    filter_rule_errors,
    missing_fields,
    normalized_host,
    normalized_om_url,
    warehouse_id,
)
from ui.services.importer import ImportResult, import_workflow
from ui.services.preview import (
    PreviewView,
    decide_preview,
    preview_stopped,
    restart_preview,
    shown_heading,
    start_preview,
    stop_preview,
)
from ui.services.runs import run_problems, run_summary, start_run, stop_jobs
from ui.services.schedule import (
    choose_preset,
    dag_options,
    describe_schedule,
    openmetadata_release,
    preset_cron,
    schedule_cron,
    timezones,
    upcoming_runs,
)
from ui.services.task_graph import (
    STATE_COLOURS,
    GraphView,
    RunView,
    forget_job,
    load_latest_run,
    load_task_graph,
    task_graph_dot,
)
from ui.services.validation import field_errors
from ui.services.warmup import WARM_UP_DELAY_S, warm_up
from ui.services.workspaces import (
    add_workspace,
    check_workspace,
    missing_secrets,
    remove_workspace,
    set_own_filters,
    workspace_fingerprint,
    workspace_problems,
    workspace_view,
)

__all__ = [
    "DEMO_SPEC",
    "STATE_COLOURS",
    "WARM_UP_DELAY_S",
    "ConfigError",
    "ExportFiles",
    "GraphView",
    "ImportResult",
    "PreviewView",
    "RunView",
    "add_workspace",
    "apply_demo",
    "build_config",
    "check_connection",
    "check_workspace",
    "choose_preset",
    "config_problems",
    "current_dialect",
    "dag_options",
    "data_dir",
    "databricks_fingerprint",
    "decide_preview",
    "demo_names",
    "describe_schedule",
    "export_files",
    "export_problems",
    "field_errors",
    "filter_rule_errors",
    "forget_job",
    "forget_tests",
    "import_workflow",
    "keep_tests",
    "load_latest_run",
    "load_task_graph",
    "missing_fields",
    "missing_secrets",
    "normalized_host",
    "normalized_om_url",
    "openmetadata_release",
    "operator_labels",
    "preset_cron",
    "preview_stopped",
    "remove_workspace",
    "reset_demo_catalogue",
    "restart_preview",
    "restore_tests",
    "rule_regex",
    "run_problems",
    "run_summary",
    "schedule_cron",
    "set_own_filters",
    "shown_heading",
    "sink_fingerprint",
    "sink_path",
    "stale_reason",
    "start_demo",
    "start_preview",
    "start_run",
    "stop_jobs",
    "stop_preview",
    "task_graph_dot",
    "timezones",
    "upcoming_runs",
    "warehouse_id",
    "warm_up",
    "workflow_dict",
    "workspace_fingerprint",
    "workspace_problems",
    "workspace_view",
    "zip_members",
]
