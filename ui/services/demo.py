"""Demo mode: the bundled emulators, started once per process, and the values that point at them."""

from __future__ import annotations

import io
import threading
from typing import Any

from pydantic import SecretStr

from core.filter_rules import OPERATORS, Operator, rule_to_regex
from ui.state import WizardState

#: The demo workspace: big enough to be realistic (filters, pages, DLT), small enough to run in seconds.
#: a first run of the demo is warning-free (no runs naming removed tasks). Keyword arguments of
#: :class:`core.emulators.workspace.WorkspaceSpec` (a dict, so this module does not import the emulators).
DEMO_SPEC: dict[str, Any] = {
    "jobs": 120,
    "tasks": 4,
    "runs": 3,
    "pipelines": 3,
    "big_jobs": 1,
    "seed": 42,
    "stale_task_runs": False,
}

_DEMO_LOCK = threading.Lock()
_DEMO: dict[str, Any] = {}


def start_demo() -> dict[str, Any]:
    """Start the bundled Databricks and OpenMetadata emulators once per process, and return them.

    Process-wide on purpose: they hold no user secret (their credentials are the published demo ones),
    and every session of the demo may share them.
    """
    with _DEMO_LOCK:
        if not _DEMO:
            from core.emulators.databricks import DatabricksEmulator
            from core.emulators.openmetadata import OpenMetadataEmulator
            from core.emulators.workspace import Workspace, WorkspaceSpec

            workspace = Workspace(WorkspaceSpec(**DEMO_SPEC))
            databricks = DatabricksEmulator(workspace).start()
            openmetadata = OpenMetadataEmulator()
            openmetadata.start()
            openmetadata.seed_from_workspace(workspace)
            _DEMO.update(workspace=workspace, databricks=databricks, openmetadata=openmetadata)
        return dict(_DEMO)


def reset_demo_catalogue() -> None:
    """Empty the demo OpenMetadata and seed it again, so a real run creates everything afresh."""
    demo = start_demo()
    with _DEMO_LOCK:
        demo["openmetadata"].reset()
        demo["openmetadata"].seed_from_workspace(demo["workspace"])


def apply_demo(state: WizardState) -> None:
    """Fill every step with the demo servers' settings (the secrets stay server-side)."""
    from core.emulators.openmetadata import DEFAULT_JWT

    demo = start_demo()
    databricks, openmetadata = demo["databricks"], demo["openmetadata"]
    fresh = WizardState(demo=True)
    dbx = fresh.databricks
    dbx.host = databricks.url
    dbx.auth = "pat"
    dbx.token = SecretStr(databricks.token)
    dbx.http_path = f"/sql/1.0/warehouses/{databricks.warehouse_id}"
    dbx.timeout_s = 30
    dbx.service_name = "demo_databricks"
    fresh.options.db_service_names = ["unity_catalog"]
    fresh.options.lookback_days = 3
    fresh.sink.om_host = f"{openmetadata.url}/api"
    fresh.sink.jwt = SecretStr(DEFAULT_JWT)
    fresh.schedule.dag_id = "demo_databricks_to_openmetadata"
    for name, value in vars(fresh).items():
        setattr(state, name, value)


def demo_names() -> list[str]:
    """Every job and DLT pipeline name in the demo workspace (tests compare the preview with these)."""
    workspace = start_demo()["workspace"]
    names = [workspace.job_name(job_id) or "" for job_id in workspace.job_ids()]
    return names + [pipeline["name"] for pipeline in workspace.pipelines()]


def rule_regex(operator: Operator, value: str) -> str:
    """The regex a rule writes into ``pipelineFilterPattern``.

    Args:
        operator: the rule's operator key.
        value: the rule's text.

    Raises:
        ValueError: for an operator outside :data:`core.filter_rules.OPERATORS`.
    """
    return rule_to_regex(operator, value)


def operator_labels() -> dict[Operator, str]:
    """Filter operator key -> label, for the rule editor."""
    return dict(OPERATORS)


def zip_members(data: bytes) -> dict[str, str]:
    """Names and texts of the text files in a zip made by :func:`export_files` (not the ``*.whl``).

    Used by the tests and the README check; the engine's wheel, a binary, is left out.
    """
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist() if not name.endswith(".whl")}
