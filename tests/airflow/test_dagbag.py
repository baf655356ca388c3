"""Every generated DAG variant loads through DagBag on real Airflow 3.x and 2.10, with the right shape,
in an Airflow environment where this project is not installed; next to a user's own ``core`` and ``ui``
packages, both the bundle's DAG and the user's DAG that imports ``core.helpers`` load."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.config import parse_workflow_config
from core.generate.bundle import write_bundle
from core.generate.dag import (
    DEFAULT_WHEEL_NAME,
    TASK_ID,
    DagOptions,
    airflow_config,
    openmetadata_requirements,
)

LINES = ("airflow3", "airflow2")
START = date(2026, 1, 15)

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(900)]

#: A workflow both engines accept (OpenMetadata's connector only reaches https on port 443).
WORKFLOW: dict[str, Any] = {
    "source": {
        "type": "databrickspipeline",
        "serviceName": "prod_databricks",
        "serviceConnection": {
            "config": {
                "type": "DatabricksPipeline",
                "hostPort": "adb-1234567890123456.7.azuredatabricks.net:443",
                "authType": {"token": "dapi0f1e2d3c4b5a69788796a5b4c3d2e1f0"},
                "httpPath": "/sql/1.0/warehouses/a1b2c3d4e5f6",
            }
        },
        "sourceConfig": {"config": {"type": "PipelineMetadata", "statusLookbackDays": 3}},
    },
    "sink": {"type": "metadata-rest", "config": {}},
    "workflowConfig": {
        "openMetadataServerConfig": {
            "hostPort": "https://openmetadata.example.com/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl"},
        }
    },
}


def _variants() -> dict[str, dict[str, Any]]:
    """id -> DagOptions arguments: 2 engines x 4 secret modes x (a schedule | on demand), plus one with
    every option changed. Dots and hyphens in the DAG ids prove such file names load too."""
    variants: dict[str, dict[str, Any]] = {}
    for engine in ("core", "openmetadata"):
        for secrets in ("env", "variable", "connection", "inline"):
            for scheduled in (True, False):
                variant = f"{engine}-{secrets}-{'cron' if scheduled else 'manual'}"
                variants[variant] = {
                    "dag_id": f"dbx.{variant}",
                    "engine": engine,
                    "secrets": secrets,
                    "schedule": "30 2 * * *" if scheduled else None,
                    "timezone": "Europe/Berlin" if scheduled else "America/New_York",
                    "email": ["data-oncall@example.com"] if scheduled else [],
                    "email_on_failure": scheduled,
                    "deadline_minutes": 90 if scheduled else None,
                }
    variants["core-python"] = {"dag_id": "dbx.core-python", "python": "/opt/dbx-pipeline/bin/python"}
    variants["core-offline"] = {"dag_id": "dbx.core-offline", "wheelhouse": "/srv/airflow/wheels"}
    variants["openmetadata-offline"] = {
        "dag_id": "dbx.openmetadata-offline",
        "engine": "openmetadata",
        "wheelhouse": "https://wheels.example.com/simple/",
    }
    variants["core-every-option"] = {
        "dag_id": "every_option",
        "schedule": "weekly",
        "timezone": "Asia/Kolkata",
        "owner": "catalog-team",
        "retries": 0,
        "retry_delay_minutes": 1,
        "execution_timeout_minutes": 30,
        "tags": ["prod", "lineage"],
        "yaml_filename": "databricks_workflow.yaml",
    }
    return variants


VARIANTS = _variants()
#: a dags folder holding the bundle and a user's own packages named like the engine's
USER_FOLDER = "with-user-packages"
#: the same with a bundle of three workspaces (one task mapped over their YAMLs)
MAPPED_FOLDER = "mapped-with-user-packages"
MAPPED_SERVICES = ("prod_databricks", "sales.eu", "hr")
USER_FILES = {
    "core/__init__.py": "",
    "core/helpers.py": 'def greeting() -> str:\n    return "hello from the user\'s core.helpers"\n',
    "ui/__init__.py": "",
    "user_dag.py": (
        "import pendulum\n"
        "from core.helpers import greeting\n"
        "import ui\n\n"
        "try:\n"
        "    from airflow.sdk import DAG\n"
        "except ImportError:\n"
        "    from airflow import DAG\n\n"
        'with DAG(dag_id="user_dag", schedule=None, start_date=pendulum.datetime(2026, 1, 1), doc_md=greeting()):\n'
        "    pass\n"
    ),
}


def mapped_configs() -> list[Any]:
    """:data:`WORKFLOW` for each of :data:`MAPPED_SERVICES`, each its own workspace address."""
    configs = []
    for index, service in enumerate(MAPPED_SERVICES):
        raw = json.loads(json.dumps(WORKFLOW))
        raw["source"]["serviceName"] = service
        raw["source"]["serviceConnection"]["config"]["hostPort"] = (
            f"adb-{index}000000000000000.7.azuredatabricks.net:443"
        )
        configs.append(parse_workflow_config(raw))
    return configs


def options_for(variant: str) -> DagOptions:
    return DagOptions(start_date=START, **VARIANTS[variant])


@pytest.fixture(scope="session")
def parsed(
    tmp_path_factory: pytest.TempPathFactory,
    venv_for: Callable[[str], Any],
    airflow_env: Callable[..., dict[str, str]],
    probes: Path,
    timings: Any,
) -> Callable[[str], dict[str, Any]]:
    """``parsed(line)``: all variants, each in its own folder, parsed by one process of that Airflow."""
    root = tmp_path_factory.mktemp("dagbag")
    cache: dict[str, dict[str, Any]] = {}

    def parse(line: str) -> dict[str, Any]:
        if line in cache:
            return cache[line]
        venv = venv_for(line)
        base = root / line
        config = parse_workflow_config(WORKFLOW)
        for variant in VARIANTS:
            write_bundle(config, options_for(variant), base / variant)
        write_bundle(config, DagOptions(dag_id="bundled", start_date=START), base / USER_FOLDER)
        write_bundle(mapped_configs(), DagOptions(dag_id="fleet", start_date=START), base / MAPPED_FOLDER)
        for folder in (USER_FOLDER, MAPPED_FOLDER):
            for name, content in USER_FILES.items():
                (base / folder / name).parent.mkdir(exist_ok=True)
                (base / folder / name).write_text(content)
        folders = [*VARIANTS, USER_FOLDER, MAPPED_FOLDER]
        out = base / "dagbag.json"
        home = base / "home"
        home.mkdir()
        result = subprocess.run(
            [str(venv.python), str(probes / "probe_dagbag.py"), str(out), *(str(base / v) for v in folders)],
            capture_output=True,
            text=True,
            env=airflow_env(home, base, PYTHONPATH=""),  # parsing must not need this project
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        report = json.loads(out.read_text())
        report["folders"] = {
            Path(folder).name: {**entry, "path": folder} for folder, entry in report["folders"].items()
        }
        times = sorted(entry["parse_s"] for entry in report["folders"].values())
        timings.add(
            f"DagBag on Airflow {report['airflow']}: import {report['import_s']:.2f} s, {len(times)} DAG files "
            f"in {sum(times):.2f} s (median {times[len(times) // 2]:.3f} s, max {times[-1]:.3f} s per file)"
        )
        cache[line] = report
        return report

    return parse


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("line", LINES)
def test_variant_loads_with_the_expected_shape(
    line: str, variant: str, parsed: Callable[[str], dict[str, Any]]
) -> None:
    report = parsed(line)
    assert report["airflow"].startswith("3." if line == "airflow3" else "2.10.")
    folder = report["folders"][variant]
    assert folder["import_errors"] == {}
    options = options_for(variant)
    assert list(folder["dags"]) == [options.dag_id]
    # Parsing stays cheap (the scheduler re-parses DAG files all the time): the file imports neither the
    # engine nor an SDK at top level. Checked by what the parse imports, not by how long it took (parse
    # times are printed with the timings; a busy machine must not fail this).
    assert not {"core", "databricks", "metadata"} & set(folder["new_packages"]), folder["new_packages"]
    dag = folder["dags"][options.dag_id]

    assert dag["tasks"] == [TASK_ID]
    assert (
        dag["task_type"]
        == {
            ("core", False): "EngineInVirtualenv",
            ("core", True): "EngineInPython",
            ("openmetadata", False): "VirtualenvWithSecrets",
        }[options.engine, options.python is not None]
    )
    assert dag["expect_airflow"] is False
    assert dag["on_failure_callback"] == ["log_failure"]
    # a deadline alert where asked for, on Airflow 3.1+ only (2.10 loads the same file without one)
    wanted = options.deadline_minutes is not None and line == "airflow3"
    assert dag["deadline"] == ([f"{options.deadline_minutes * 60}s SmtpNotifier"] if wanted else [])
    # the asset downstream DAGs can be scheduled on (a Dataset on 2.x)
    kind = "Asset" if line == "airflow3" else "Dataset"
    assert dag["outlets"] == [f"{kind}:openmetadata://openmetadata.example.com/prod_databricks"]
    workflow_path = str(Path(folder["path"]) / options.yaml_name)
    if options.engine == "openmetadata":
        assert dag["op_kwargs"] == {"workflow_path": workflow_path}
    else:  # run_ingestion's arguments: the DAG id names the ingestion pipeline runs are reported to
        assert dag["op_kwargs"] == {
            "workflow_path": workflow_path,
            "dag_id": options.dag_id,
            "report_runs": "True",
            "airflow_config": str(dict(sorted(airflow_config(options).items()))),
        }
    assert dag["catchup"] is False
    if options.schedule is None:
        assert (dag["timetable"], dag["expression"]) == ("NullTimetable", None)
    else:
        assert dag["expression"] == options.schedule
        # 3.x fires at the cron time (CronTriggerTimetable); 2.x runs at the end of each interval.
        assert dag["timetable"] == (
            "CronTriggerTimetable" if line == "airflow3" else "CronDataIntervalTimetable"
        )
    assert dag["timezone"] == options.timezone
    start = datetime(START.year, START.month, START.day, tzinfo=ZoneInfo(options.timezone))
    assert datetime.fromisoformat(dag["start_date"]) == start
    assert dag["max_active_runs"] == 1
    assert dag["tags"] == sorted(options.tags)
    assert dag["owner"] == options.owner
    assert dag["retries"] == options.retries
    assert dag["retry_delay_s"] == options.retry_delay_minutes * 60
    assert dag["execution_timeout_s"] == options.execution_timeout_minutes * 60
    if options.email:
        assert dag["email"] == options.email
        assert dag["email_on_failure"] is True
    assert "### Databricks pipelines into OpenMetadata" in dag["doc_md"]
    if options.python:
        assert dag["python"] == options.python
        return
    pip = ["--no-index", "--find-links", options.wheelhouse] if options.wheelhouse else []
    assert dag["pip_install_options"] == pip
    assert dag["system_site_packages"] is False
    # 2.10 and 3.x both keep the virtualenv between runs
    assert dag["venv_cache_path"] and dag["venv_cache_path"].endswith(
        "dbx-pipeline-venvs" if options.engine == "core" else "openmetadata-ingestion-venvs"
    )
    if options.engine == "openmetadata":
        assert dag["requirements"] == openmetadata_requirements(options.openmetadata_version)
    else:  # the wheel next to the DAG file (with its sha256 added when the task runs)
        assert dag["requirements"] == [str(Path(folder["path"]) / DEFAULT_WHEEL_NAME)]


@pytest.mark.parametrize("line", LINES)
def test_the_bundle_and_a_users_own_core_package_load_side_by_side(
    line: str, parsed: Callable[[str], dict[str, Any]]
) -> None:
    """Nothing of the engine is installed in Airflow's environment, so the user's ``core`` package (and
    ``ui``) in the dags folder is the one their DAG imports; the bundle's DAG loads next to it."""
    folder = parsed(line)["folders"][USER_FOLDER]
    assert folder["import_errors"] == {}
    assert sorted(folder["dags"]) == ["bundled", "user_dag"]
    assert folder["dags"]["user_dag"]["doc_md"] == "hello from the user's core.helpers"
    assert {"core", "core.helpers", "ui"} <= set(folder["modules_from_folder"])
    assert folder["dags"]["bundled"]["task_type"] == "EngineInVirtualenv"


@pytest.mark.parametrize("line", LINES)
def test_a_dag_of_several_workspaces_maps_its_task_over_their_yamls(
    line: str, parsed: Callable[[str], dict[str, Any]]
) -> None:
    """One task mapped over one YAML per workspace (Airflow's dynamic task mapping), next to a user's own
    ``core`` and ``ui`` packages: DagBag loads it without import errors, and the user's DAG still imports
    the user's ``core.helpers``."""
    folder = parsed(line)["folders"][MAPPED_FOLDER]
    assert folder["import_errors"] == {}
    assert sorted(folder["dags"]) == ["fleet", "user_dag"]
    assert folder["dags"]["user_dag"]["doc_md"] == "hello from the user's core.helpers"
    # (the user's core and ui were imported by this process from the folder parsed before: see the test above)
    assert not {"databricks", "metadata"} & set(folder["new_packages"])
    dag = folder["dags"]["fleet"]
    assert dag["tasks"] == [TASK_ID]
    assert (dag["task_type"], dag["operator_class"]) == ("MappedOperator", "EngineInVirtualenv")
    assert dag["expand_keys"] == ["op_kwargs"]
    assert dag["map_over"] == ["fleet.prod_databricks.yaml", "fleet.sales_eu.yaml", "fleet.hr.yaml"]
    assert dag["mapped_dag_ids"] == ["fleet"]
    assert dag["requirements"] == [str(Path(folder["path"]) / DEFAULT_WHEEL_NAME)]
    kind = "Asset" if line == "airflow3" else "Dataset"
    host = "openmetadata://openmetadata.example.com"
    assert dag["outlets"] == [
        f"{kind}:{host}/prod_databricks",
        f"{kind}:{host}/sales.eu",
        f"{kind}:{host}/hr",
    ]
    assert dag["on_failure_callback"] == ["log_failure"]
