"""``dbx-pipeline bench --startup``: how soon ``dbx-pipeline ingest`` sends its first Databricks request.

What a user waits for before anything happens: a new process starts (``python -m core.cli``, as the
console script does), reads and checks the YAML, builds the databricks-sdk client and asks the
workspace. The Databricks emulator holds the first request that reaches it (its ``hold`` gate), and the
time from the process's start to that moment is measured; the run then goes on normally. Both emulators
run in this process, so their threads share its GIL but not the measured process's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

__all__ = ["format_startup", "measure_startup"]


def measure_startup(repeats: int = 5, jobs: int = 20) -> dict[str, Any]:
    """Start ``dbx-pipeline ingest`` ``repeats`` times against fresh emulators; time each first request.

    Args:
        repeats: how many processes to start (the first one also warms the disk cache).
        jobs: the workspace's size (it does not change what is measured: the first request comes first).

    Returns:
        ``{"seconds": [...], "min_s", "median_s", "first_path"}``: seconds from ``Popen`` to the first
        Databricks request, and which endpoint that request was for.
    """
    from core.emulators.databricks import DatabricksEmulator
    from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
    from core.emulators.workspace import Workspace, WorkspaceSpec

    seconds: list[float] = []
    first_path = ""
    workspace = Workspace(WorkspaceSpec(jobs=jobs, tasks=2, runs=2))
    with tempfile.TemporaryDirectory(prefix="dbx-startup-") as tmp:
        for _ in range(repeats):
            with DatabricksEmulator(workspace) as databricks, OpenMetadataEmulator() as openmetadata:
                config = Path(tmp) / "workflow.yaml"
                config.write_text(yaml.safe_dump(_config(databricks.url, openmetadata.url)))
                gate = databricks.hold()
                started = time.perf_counter()
                secrets = {"DBX_STARTUP_TOKEN": databricks.token, "DBX_STARTUP_JWT": DEFAULT_JWT}
                process = subprocess.Popen(
                    [sys.executable, "-m", "core.cli", "ingest", "-c", str(config), "--json"],
                    env={**os.environ, **secrets},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                try:
                    gate.wait_until_held(1, timeout_s=120)
                    seconds.append(time.perf_counter() - started)
                    first_path = gate.first_held or ""
                finally:
                    gate.release()
                    process.wait(timeout=300)
    return {
        "seconds": [round(s, 3) for s in seconds],
        "min_s": round(min(seconds), 3),
        "median_s": round(statistics.median(seconds), 3),
        "first_path": first_path,
    }


def format_startup(result: dict[str, Any]) -> str:
    """One line: the median and the minimum, each run's time and the first endpoint asked."""
    runs = ", ".join(f"{s:.2f}" for s in result["seconds"])
    return (
        f"time to the first Databricks request of dbx-pipeline ingest: median {result['median_s']:.2f} s, "
        f"min {result['min_s']:.2f} s ({runs}; first request: {result['first_path']})"
    )


def _config(databricks_url: str, openmetadata_url: str) -> dict[str, Any]:
    """A plain REST-mode workflow for the emulators.

    The secrets are ``${...}`` references to the child's environment, so the file holds none.
    """
    return {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "startup",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": databricks_url,
                    "authType": {"token": "${DBX_STARTUP_TOKEN}"},
                }
            },
            "sourceConfig": {"config": {"type": "PipelineMetadata", "includeLineage": False}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "openMetadataServerConfig": {
                "hostPort": f"{openmetadata_url}/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "${DBX_STARTUP_JWT}"},
            }
        },
    }
