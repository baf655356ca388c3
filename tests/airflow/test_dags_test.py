"""The core-engine DAG runs end to end (``airflow dags test``) on real Airflow 3.x and 2.10.

Each run copies the generated files (DAG, YAML, the engine's wheel) into a dags folder, exactly as a user
deploys them, next to a user's own ``core`` (``__init__.py``, ``helpers.py``) and ``ui`` packages and a
DAG of the user's that imports ``core.helpers``; points the workflow at the emulators started by this test
process, provides the secrets the way the chosen mode expects (environment variables, Airflow Variables
or Airflow Connections, both given to Airflow through its own ``AIRFLOW_VAR_*`` / ``AIRFLOW_CONN_*``
variables) and checks that the pipelines arrived. This project is not installed in Airflow's environment:
the task installs the wheel into its own virtualenv, offline from the suite's wheelhouse
(``DagOptions.wheelhouse``), and Airflow 3 puts the dags folder on that virtualenv's PYTHONPATH, where the
user's ``core`` would shadow the engine's if the DAG did not drop it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.config import parse_workflow_config
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.generate.bundle import write_bundle
from core.generate.dag import DagOptions
from core.generate.wheel import engine_wheel
from core.mapping.service import service_request
from core.openmetadata.client import OpenMetadataClient

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(900)]

MODES = ("env", "variable", "connection", "inline")
#: the service of the shared ``config`` fixture (tests/conftest.py)
SERVICE = "dbx_emulated"
RUN_TIMEOUT_S = 720  # the openmetadata engine's first run installs ~800 MB into its virtualenv


def secret_environment(mode: str, token: str, jwt: str) -> dict[str, str]:
    """How an operator would hand the secrets to Airflow in each mode."""
    if mode == "env":
        return {"DATABRICKS_TOKEN": token, "OPENMETADATA_JWT_TOKEN": jwt}
    if mode == "variable":
        return {"AIRFLOW_VAR_DATABRICKS_TOKEN": token, "AIRFLOW_VAR_OPENMETADATA_JWT_TOKEN": jwt}
    if mode == "connection":
        return {
            "AIRFLOW_CONN_DATABRICKS_DEFAULT": json.dumps({"conn_type": "generic", "password": token}),
            "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps({"conn_type": "generic", "password": jwt}),
        }
    return {}  # inline: the YAML holds them


class AirflowHome:
    """An AIRFLOW_HOME with a migrated SQLite database, shared by the runs of one Airflow line."""

    def __init__(self, venv: Any, home: Path, make_env: Callable[..., dict[str, str]], timings: Any) -> None:
        self.venv, self.home, self.make_env, self.timings = venv, home, make_env, timings
        started = time.perf_counter()
        result = self.airflow(["db", "migrate"], dags=home / "dags")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        timings.add(f"{self.name}: airflow db migrate {time.perf_counter() - started:.1f} s")

    @property
    def name(self) -> str:
        return self.venv.spec.name

    def airflow(self, args: list[str], *, dags: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv.bin("airflow")), *args],
            capture_output=True,
            text=True,
            env=self.make_env(self.home, dags, **extra),
            timeout=RUN_TIMEOUT_S,
            check=False,
        )

    def dags_test(
        self, dag_id: str, dags: Path, **extra: str
    ) -> tuple[subprocess.CompletedProcess[str], float]:
        """``airflow dags test`` as a user runs it; 3.x first needs the DAG serialized into the database."""
        started = time.perf_counter()
        if self.name == "airflow3":
            reserialized = self.airflow(["dags", "reserialize"], dags=dags, **extra)
            assert reserialized.returncode == 0, reserialized.stdout[-3000:] + reserialized.stderr[-3000:]
        result = self.airflow(["dags", "test", dag_id], dags=dags, **extra)
        return result, time.perf_counter() - started


@pytest.fixture(scope="module")
def airflow_home(
    tmp_path_factory: pytest.TempPathFactory,
    venv_for: Callable[[str], Any],
    airflow_env: Callable[..., dict[str, str]],
    timings: Any,
) -> Callable[[str], AirflowHome]:
    homes: dict[str, AirflowHome] = {}

    def get(line: str) -> AirflowHome:
        if line not in homes:
            venv = venv_for(line)
            homes[line] = AirflowHome(venv, tmp_path_factory.mktemp(f"{line}-home"), airflow_env, timings)
        return homes[line]

    return get


#: a user's own files in the dags folder, named like the engine's packages (Airflow's module-management
#: guide warns against such generic top-level names; users have them anyway)
USER_FILES = {
    "core/__init__.py": "from core.helpers import GREETING  # noqa: F401\n",
    "core/helpers.py": "GREETING = 'hello from the user'\n",
    "ui/__init__.py": "",
}
USER_DAG = """import pendulum

import core.helpers  # noqa: F401 -- the user's own package
import ui  # noqa: F401

try:
    from airflow.sdk import DAG
except ImportError:
    from airflow import DAG

with DAG(dag_id="users_own_dag", schedule=None, start_date=pendulum.datetime(2026, 1, 1)):
    pass
"""


def deploy(config: dict[str, Any], options: DagOptions, dags: Path, *, user_files: bool = False) -> None:
    """What the README says: put the generated files into the dags folder (next to the user's own)."""
    written = write_bundle(parse_workflow_config(config), options, dags)
    assert sorted(path.name for path in dags.iterdir()) == sorted(path.name for path in written)
    if user_files:
        for name, content in USER_FILES.items():
            (dags / name).parent.mkdir(exist_ok=True)
            (dags / name).write_text(content)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("line", ["airflow3", "airflow2"])
def test_core_dag_ingests_into_openmetadata(
    line: str,
    mode: str,
    tmp_path: Path,
    airflow_home: Callable[[str], AirflowHome],
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict[str, Any],
    timings: Any,
    engine_wheelhouse: Path,
    engine_task_tmp: Path,
) -> None:
    home = airflow_home(line)
    dag_id = f"e2e_{line}_{mode}"
    dags = tmp_path / "dags"
    options = DagOptions(
        dag_id=dag_id, secrets=mode, retries=0, timezone="Europe/Berlin", wheelhouse=str(engine_wheelhouse)
    )
    deploy(config, options, dags, user_files=True)
    (dags / "users_own_dag.py").write_text(USER_DAG)

    extra = {**secret_environment(mode, databricks.token, DEFAULT_JWT), "TMPDIR": str(engine_task_tmp)}
    result, seconds = home.dags_test(dag_id, dags, **extra)
    output = result.stdout + result.stderr
    (tmp_path / "dags-test.log").write_text(output)  # kept with the test's temp dir, to read after a failure
    assert result.returncode == 0, output[-4000:]
    assert re.search(rf"DagRun Finished: dag_id={re.escape(dag_id)},.*state=success", output), output[-4000:]
    serialize = " (with dags reserialize)" if line == "airflow3" else ""
    installed = " (installing the task's virtualenv)" if "Reusing cached Python virtual" not in output else ""
    timings.add(f"{line}: airflow dags test, {mode} secrets: {seconds:.1f} s{serialize}{installed}")
    # the engine ran from the wheel, in the task's own virtualenv under the temp dir
    assert f"Processing {dags / engine_wheel().filename}" in output
    assert f"{(dags / engine_wheel().filename).as_uri()}#sha256={engine_wheel().sha256}" in output
    assert str(engine_task_tmp / "dbx-pipeline-venvs") in output

    # The user's DAG, importing the user's core.helpers, loads next to the bundle's in that environment.
    listed = home.airflow(["dags", "list", "--output", "json"], dags=dags, **extra)
    assert listed.returncode == 0, listed.stdout[-3000:] + listed.stderr[-3000:]
    assert {dag_id, "users_own_dag"} <= {entry["dag_id"] for entry in json.loads(_json_part(listed.stdout))}

    live = [p for p in openmetadata.pipelines.values() if not p.get("deleted")]
    assert len(live) == workspace.job_count + len(workspace.pipeline_ids())
    assert sum(len(s) for s in openmetadata.statuses.values()) > 0
    # the run, in the service's Ingestions tab: its first run creates the service, so only its end shows
    fqn = f"{SERVICE}.{dag_id}"
    assert ingestion_states(openmetadata, fqn) == ["success"]
    assert openmetadata.ingestion_pipelines[fqn]["airflowConfig"]["pipelineTimezone"] == "Europe/Berlin"
    if mode != "inline":
        for secret in (databricks.token, DEFAULT_JWT):
            assert secret not in output, f"a secret reached the task output in {mode} mode"


def ingestion_states(openmetadata: OpenMetadataEmulator, fqn: str) -> list[str]:
    """The states the emulator accepted for the runs of the ingestion pipeline ``fqn``, in order."""
    return [status["pipelineState"] for name, status in openmetadata.ingestion_status_log if name == fqn]


def _json_part(text: str) -> str:
    """The JSON document in a CLI's stdout (Airflow may print log lines before it)."""
    return next(line for line in reversed(text.splitlines()) if line.startswith("[{") or line == "[]")


@pytest.mark.parametrize("line", ["airflow3", "airflow2"])
def test_core_dag_with_a_named_interpreter_runs_the_engine_there(
    line: str,
    tmp_path: Path,
    airflow_home: Callable[[str], AirflowHome],
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict[str, Any],
    engine_wheelhouse: Path,
    timings: Any,
) -> None:
    """DagOptions.python: ExternalPythonOperator runs an interpreter the user installed the wheel for (the
    README's one step for this variant), with the user's core/ in the dags folder as above."""
    engine_python = tmp_path / "engine-venv"
    subprocess.run([sys.executable, "-m", "venv", str(engine_python)], check=True, timeout=300)
    dags = tmp_path / "dags"
    dag_id = f"e2e_{line}_external"
    deploy(config, DagOptions(dag_id=dag_id, retries=0, python=str(engine_python / "bin" / "python")), dags,
           user_files=True)  # fmt: skip
    pip = [str(engine_python / "bin" / "python"), "-m", "pip", "install", "--no-index"]
    installed = subprocess.run(
        [*pip, "--find-links", str(engine_wheelhouse), str(dags / engine_wheel().filename)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]

    home = airflow_home(line)
    result, seconds = home.dags_test(dag_id, dags, **secret_environment("env", databricks.token, DEFAULT_JWT))
    output = result.stdout + result.stderr
    (tmp_path / "dags-test.log").write_text(output)
    assert result.returncode == 0, output[-4000:]
    assert re.search(rf"DagRun Finished: dag_id={re.escape(dag_id)},.*state=success", output), output[-4000:]
    timings.add(f"{line}: airflow dags test, named interpreter (ExternalPythonOperator): {seconds:.1f} s")
    live = [p for p in openmetadata.pipelines.values() if not p.get("deleted")]
    assert len(live) == workspace.job_count + len(workspace.pipeline_ids())
    for secret in (databricks.token, DEFAULT_JWT):
        assert secret not in output


def create_services(*configs: dict[str, Any]) -> None:
    """The workspaces' pipeline services, as an earlier run (or the OpenMetadata UI) left them: a run of an
    existing service is reported from its start (running), not only at its end."""
    for raw in configs:
        parsed = parse_workflow_config(raw)
        assert parsed.server is not None
        client = OpenMetadataClient(parsed.server)
        try:
            client.call(
                "PUT", "/services/pipelineServices", "creating the service", body=service_request(parsed)
            )
        finally:
            client.close()


def live_pipelines(openmetadata: OpenMetadataEmulator, service: str) -> list[dict[str, Any]]:
    return [
        p for p in openmetadata.pipelines.values() if not p.get("deleted") and p["service"]["name"] == service
    ]


@pytest.mark.parametrize("refused", [False, True], ids=["both-ingested", "one-token-refused"])
@pytest.mark.parametrize("line", ["airflow3", "airflow2"])
def test_one_dag_ingests_two_workspaces_as_mapped_tasks(
    line: str,
    refused: bool,
    tmp_path: Path,
    airflow_home: Callable[[str], AirflowHome],
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict[str, Any],
    engine_wheelhouse: Path,
    engine_task_tmp: Path,
    timings: Any,
) -> None:
    """Two Databricks workspaces (two emulators), one OpenMetadata: one DAG maps its task over the two
    YAMLs, next to a user's own core/ and ui/ packages. Each mapped task reports to its own service's
    ingestion pipeline (running, then how it ended). When the second workspace's Databricks refuses its
    token, only that mapped task fails: the first's pipelines still arrive and its run is a success."""
    home = airflow_home(line)
    other = Workspace(WorkspaceSpec(jobs=6, tasks=2, runs=2, pipelines=1, seed=11))
    openmetadata.seed_from_workspace(other)
    with DatabricksEmulator(other) as second:
        second_config = json.loads(json.dumps(config))
        second_config["source"]["serviceName"] = "dbx_second"
        connection = second_config["source"]["serviceConnection"]["config"]
        connection.update(hostPort=second.url, httpPath=f"/sql/1.0/warehouses/{second.warehouse_id}")
        create_services(config, second_config)
        dag_id = f"fleet_{line}_{'refused' if refused else 'ok'}"
        dags = tmp_path / "dags"
        options = DagOptions(dag_id=dag_id, retries=0, wheelhouse=str(engine_wheelhouse))
        write_bundle([parse_workflow_config(config), parse_workflow_config(second_config)], options, dags)
        for name, content in USER_FILES.items():
            (dags / name).parent.mkdir(exist_ok=True)
            (dags / name).write_text(content)
        (dags / "users_own_dag.py").write_text(USER_DAG)
        bad_token = "dapi-revoked-token-of-the-second-workspace"
        extra = {  # each workspace's own names (core.generate.workspaces)
            "DATABRICKS_TOKEN_DBX_EMULATED": databricks.token,
            "OPENMETADATA_JWT_TOKEN_DBX_EMULATED": DEFAULT_JWT,
            "DATABRICKS_TOKEN_DBX_SECOND": bad_token if refused else second.token,
            "OPENMETADATA_JWT_TOKEN_DBX_SECOND": DEFAULT_JWT,
            "TMPDIR": str(engine_task_tmp),
        }
        result, seconds = home.dags_test(dag_id, dags, **extra)
    output = result.stdout + result.stderr
    (tmp_path / "dags-test.log").write_text(output)
    state = "failed" if refused else "success"
    assert re.search(rf"DagRun Finished: dag_id={re.escape(dag_id)},.*state={state}", output), output[-4000:]
    timings.add(f"{line}: airflow dags test, two workspaces as mapped tasks ({state}): {seconds:.1f} s")

    # the first workspace, whatever happened to the second
    assert len(live_pipelines(openmetadata, SERVICE)) == workspace.job_count + len(workspace.pipeline_ids())
    assert ingestion_states(openmetadata, f"{SERVICE}.{dag_id}") == ["running", "success"]
    if refused:
        assert live_pipelines(openmetadata, "dbx_second") == []
        assert ingestion_states(openmetadata, f"dbx_second.{dag_id}") == ["running", "failed"]
        assert "Databricks refused the credentials" in output
        assert f"dbx-pipeline: the ingestion of DAG {dag_id} failed (run " in output  # log_failure
    else:
        assert len(live_pipelines(openmetadata, "dbx_second")) == other.job_count + len(other.pipeline_ids())
        assert ingestion_states(openmetadata, f"dbx_second.{dag_id}") == ["running", "success"]
    for secret in (databricks.token, second.token, DEFAULT_JWT, bad_token):
        assert secret not in output


def test_a_missing_secret_fails_the_task_with_what_to_create(
    tmp_path: Path,
    airflow_home: Callable[[str], AirflowHome],
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict[str, Any],
) -> None:
    home = airflow_home("airflow3")
    dags = tmp_path / "dags"
    deploy(config, DagOptions(dag_id="e2e_missing_connection", secrets="connection", retries=0), dags)
    only_databricks = secret_environment("connection", databricks.token, DEFAULT_JWT)
    del only_databricks["AIRFLOW_CONN_OPENMETADATA_DEFAULT"]

    result, _ = home.dags_test("e2e_missing_connection", dags, **only_databricks)
    output = result.stdout + result.stderr
    assert (
        "create the Airflow Connection openmetadata_default: its password holds OPENMETADATA_JWT_TOKEN"
        in output
    )
    assert "dbx-pipeline: the ingestion of DAG e2e_missing_connection failed (run " in output  # log_failure
    assert re.search(r"DagRun Finished: dag_id=e2e_missing_connection,.*state=failed", output), output[-3000:]
    assert openmetadata.pipelines == {} or all(p.get("deleted") for p in openmetadata.pipelines.values())


@pytest.mark.parametrize(("line", "mode"), [("airflow3", "variable"), ("airflow2", "connection")])
def test_openmetadata_engine_dag_runs_metadataworkflow_in_its_virtualenv(
    line: str,
    mode: str,
    tmp_path: Path,
    airflow_home: Callable[[str], AirflowHome],
    openmetadata: OpenMetadataEmulator,
    task_tmp: Path,
    timings: Any,
) -> None:
    """The openmetadata engine for real: PythonVirtualenvOperator installs openmetadata-ingestion 2.0.7 (once;
    Airflow caches the virtualenv), the worker resolves the secrets from Airflow and hands them over through
    the environment, and OpenMetadata's own MetadataWorkflow starts and talks to the server with the bot JWT.

    It cannot finish: OpenMetadata's connector only reaches Databricks on https port 443, and the emulated
    OpenMetadata has no test-connection definitions; the run stops at that test connection, after the
    config, the secrets and the server connection have all been accepted.
    """
    home = airflow_home(line)
    config = {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "dbx_openmetadata_engine",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": "127.0.0.1:443",  # OpenMetadata's connector forces https://<host>:443
                    "authType": {"token": "dapi-not-used-by-the-render"},
                    "connectionTimeout": 5,
                }
            },
            "sourceConfig": {"config": {"type": "PipelineMetadata"}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "openMetadataServerConfig": {
                "hostPort": f"{openmetadata.url}/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "not-used-by-the-render"},
            }
        },
    }
    dag_id = f"om_engine_{line}"
    dags = tmp_path / "dags"
    deploy(config, DagOptions(dag_id=dag_id, engine="openmetadata", secrets=mode, retries=0), dags)
    token = "dapi-databricks-token-for-the-venv"
    extra = {**secret_environment(mode, token, DEFAULT_JWT), "TMPDIR": str(task_tmp)}

    result, seconds = home.dags_test(dag_id, dags, **extra)
    output = result.stdout + result.stderr
    if "CalledProcessError" in output and "pip" in output and "OpenMetadata client running" not in output:
        pytest.skip(
            f"openmetadata-ingestion could not be installed in the task's virtualenv: {output[-1500:]}"
        )
    timings.add(
        f"{line}: openmetadata engine dags test {seconds:.1f} s "
        "(first run on a machine includes installing openmetadata-ingestion in the task's virtualenv)"
    )
    assert "OpenMetadata client running with Server version [2.0.7]" in output, output[-5000:]
    assert "Test connection" in output, output[-5000:]  # where it stops, as explained above
    assert "validation error" not in output.lower() and "is not set" not in output, output[-5000:]
    authenticated = [entry for entry in openmetadata.received if not entry[1].endswith("/system/version")]
    assert authenticated and all(status not in (401, 403) for _, _, status in authenticated), authenticated
    for secret in (token, DEFAULT_JWT):
        assert secret not in output
