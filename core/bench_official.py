"""``dbx-pipeline bench --official PYTHON``: OpenMetadata's own connector on the same emulators, timed.

The comparison the performance targets are stated against. ``PYTHON`` is an interpreter that has
``openmetadata-ingestion`` installed (its Databricks extra not needed: the connector talks REST with
``requests``). It runs ``MetadataWorkflow`` from that package on the same generated workspace, the same
latency and the same rate limits as the engine's rows, and the table gets one more row for it.

One thing has to change for it to reach an emulator: the connector's ``DatabricksClient.__init__`` builds
``https://<host>/api/...`` from ``hostPort`` and drops its port (openmetadata-ingestion 2.0.7,
``metadata/ingestion/source/database/databricks/client.py``), so the harness, run in that interpreter,
points the client's five base URLs (``base_url``, ``base_query_url``, ``base_job_url``, ``jobs_list_url``,
``jobs_run_list_url``; every request it sends is built from them) at the emulator after construction.
Nothing else is patched: its paging, its calls per job and its OpenMetadata client are its own.

Lineage is left out of the comparison (``includeLineage: false`` on both sides would be unfair to neither,
but the connector reads lineage through a SQLAlchemy Databricks engine, which no emulator serves), so the
official row is run without lineage; compare it with an engine row from ``--no-lineage``.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.errors import ConfigError

__all__ = ["HARNESS", "official_config", "run_official"]

#: Run by ``PYTHON``: ``harness.py DATABRICKS_URL`` with the workflow as JSON on stdin (no file holds its
#: tokens) -> one JSON line on stdout.
HARNESS = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from metadata.ingestion.source.database.databricks import client as dbx
from metadata.workflow.metadata import MetadataWorkflow

base = sys.argv[1].rstrip("/")
constructed = dbx.DatabricksClient.__init__

def to_emulator(self, *args, **kwargs):
    constructed(self, *args, **kwargs)
    self.base_url = base + dbx.API_VERSION
    self.base_query_url = self.base_url + dbx.QUERIES_PATH
    self.base_job_url = base + dbx.JOB_API_VERSION + "/jobs"
    self.jobs_list_url = self.base_job_url + "/list"
    self.jobs_run_list_url = self.base_job_url + "/runs/list"

dbx.DatabricksClient.__init__ = to_emulator
config = json.load(sys.stdin)
started = time.perf_counter()
workflow = MetadataWorkflow.create(config)
workflow.execute()
wall = time.perf_counter() - started
failed = workflow.result_status().value if hasattr(workflow.result_status(), "value") else str(workflow.result_status())
workflow.stop()
print(json.dumps({
    "wall_s": wall,
    "status": str(failed),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
}))
"""


def official_config(engine_config: dict[str, Any]) -> dict[str, Any]:
    """The engine's bench config as the official package takes it: no lineage, our own keys removed.

    ``hostPort`` becomes ``host:port``, the form its documentation gives.

    ``workflowConfig.config`` (``statusSource``, ``workers``) is ours; the official model ignores what it
    does not know there, but nothing of ours should steer its run, so it goes.
    """
    config: dict[str, Any] = json.loads(json.dumps(engine_config))
    connection = config["source"]["serviceConnection"]["config"]
    # its documented form is host:port (it builds databricks://<hostPort> for SQLAlchemy); the harness
    # sends the REST calls to the emulator's URL anyway
    connection["hostPort"] = urlsplit(connection["hostPort"]).netloc or connection["hostPort"]
    config["source"]["sourceConfig"]["config"]["includeLineage"] = False
    config["workflowConfig"].pop("config", None)
    config["sink"] = {"type": "metadata-rest", "config": {}}
    return config


def run_official(
    python: str, databricks_url: str, config: dict[str, Any], timeout_s: float = 7200.0
) -> dict[str, Any]:
    """Run OpenMetadata's ``MetadataWorkflow`` with ``python`` against the running emulators.

    Args:
        python: an interpreter with ``openmetadata-ingestion`` installed.
        databricks_url: the Databricks emulator's base URL (``http://127.0.0.1:PORT``).
        config: the workflow (see :func:`official_config`).
        timeout_s: the longest the run may take.

    Returns:
        ``{"wall_s", "status", "peak_rss_mb"}`` as the harness measured them in that interpreter.

    Raises:
        ConfigError: ``python`` cannot run, lacks ``openmetadata-ingestion``, or the run crashed (the
            last line it printed).
    """
    with tempfile.TemporaryDirectory(prefix="dbx-official-") as tmp:
        script = Path(tmp) / "harness.py"
        script.write_text(HARNESS, encoding="utf-8")
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [python, str(script), databricks_url],
                input=json.dumps(config),
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise ConfigError(f"the official connector did not run: {err}", field="--official") from None
    result = _result(done.stdout) if done.returncode == 0 else None
    if result is None:
        said = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(
            f"the official connector failed after {time.perf_counter() - started:.0f} s: "
            f"{_masked(said, config)[:500]}",
            field="--official",
            hint="Give an interpreter that has openmetadata-ingestion installed",
        )
    return result


def _result(stdout: str) -> dict[str, Any] | None:
    """The harness's last JSON line, when it has the fields it always prints; else None."""
    for line in reversed(stdout.splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("wall_s"), (int, float)):
            return {"wall_s": float(value["wall_s"]), "status": str(value.get("status", "")),
                    "peak_rss_mb": float(value.get("peak_rss_mb") or 0.0)}  # fmt: skip
        return None
    return None


def _masked(text: str, config: dict[str, Any]) -> str:
    """``text`` without the workflow's token and JWT (a child that echoes its input must not print them)."""
    from core.secrets import redact

    connection = config.get("source", {}).get("serviceConnection", {}).get("config", {})
    server = config.get("workflowConfig", {}).get("openMetadataServerConfig", {})
    secrets = [
        str((connection.get("authType") or {}).get("token") or ""),
        str((server.get("securityConfig") or {}).get("jwtToken") or ""),
    ]
    for secret in (value for value in secrets if len(value) >= 6):
        text = text.replace(secret, "***")
    return redact(text)
