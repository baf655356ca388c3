"""Connection tests of both sides, run from the wizard."""

from __future__ import annotations

import os
import time
from typing import Any

from core.config import WorkflowConfig, parse_workflow_config
from core.errors import ConfigError
from ui.services._shared import _PLACEHOLDER_SECRET
from ui.services.config import (
    build_config,
    databricks_fingerprint,
    sink_fingerprint,
    sink_path,
    workflow_dict,
)
from ui.services.forms import normalized_host
from ui.services.warmup import load_engine
from ui.state import CheckResult, WizardState
from ui.store.db import HOME_ENV


def check_connection(state: WizardState, side: str, timeout_s: float) -> CheckResult:
    """Run the step-by-step test of ``side`` ("databricks" or "sink"), store and return it.

    A config that cannot even be built (a wrong field) becomes a single failed step naming the field,
    so the page renders the same list whatever went wrong.
    """
    load_engine()
    from core.checks import CheckStep, check_databricks, check_openmetadata

    fingerprint = databricks_fingerprint(state) if side == "databricks" else sink_fingerprint(state)
    try:
        if side == "databricks":
            steps = check_databricks(build_config(state, purpose="databricks"), timeout_s)
        elif state.sink.kind == "file":
            steps = [_check_file_sink(state.sink.filename, CheckStep)]
        else:
            steps = check_openmetadata(_sink_check_config(state), timeout_s)
    except ConfigError as err:
        steps = [
            CheckStep(
                "Databricks" if side == "databricks" else "OpenMetadata",
                "Settings complete",
                ok=False,
                error=err.message,
                hint=err.hint or "Fix the field, then test again",
                field=err.field,
            )
        ]
    result = CheckResult(steps=steps, fingerprint=fingerprint, timeout_s=timeout_s, finished_at=time.time())
    state.checks[side] = result
    if side == "sink":
        state.om_version = next((s.server_version for s in steps if s.ok and s.server_version), None)
    return result


def _sink_check_config(state: WizardState) -> WorkflowConfig:
    """A config for testing the sink alone.

    The Databricks side may not be filled in yet (step 5 can be tested before step 1), so its missing or
    wrong values are replaced by placeholders that are never contacted.
    """
    data = workflow_dict(state, placeholder=_PLACEHOLDER_SECRET)
    source = data["source"]
    source["serviceName"] = source["serviceName"] or "databricks_pipelines"
    connection = source["serviceConnection"]["config"]
    if normalized_host(connection["hostPort"])[0] is None:
        connection["hostPort"] = "https://placeholder.cloud.databricks.com"
    for key in ("httpPath", "connectionArguments"):
        connection.pop(key, None)
    source["sourceConfig"]["config"].pop("pipelineFilterPattern", None)
    return parse_workflow_config(data, environ={})


def _check_file_sink(filename: str, step_type: Any) -> Any:
    """The file sink's only precondition: its folder exists and is writable (``exports/`` is created)."""
    started = time.perf_counter()
    try:
        path = sink_path(filename, create=True)
    except OSError as err:
        path = sink_path(filename)
        step = step_type("File", "Folder writable", ok=False, field="sink.config.filename")
        step.error = f"the folder {path.parent} cannot be created ({err.strerror or type(err).__name__})"
        step.hint = f"Set {HOME_ENV} to a folder this user may write to, or give an absolute path"
        return step
    folder = path.parent
    step = step_type("File", "Folder writable")
    if not folder.is_dir():
        step.ok, step.error = False, f"the folder {folder} does not exist"
        step.hint, step.field = "Create it or choose another path", "sink.config.filename"
    elif not os.access(folder, os.W_OK):
        step.ok, step.error = False, f"the folder {folder} is not writable"
        step.hint, step.field = "Choose a folder this user may write to", "sink.config.filename"
    else:
        step.ok, step.detail = True, f"{path} can be written"
    step.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return step
