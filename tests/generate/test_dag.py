"""The generated DAG file: options validation, what the file contains, lint, and no secrets.

Whether the file really loads and runs on Airflow 2.10 and 3.x is proven in tests/airflow; here the file is
checked as text and as Python (compiles, ruff's Airflow rules, no heavy import at module level).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.config import WorkflowConfig
from core.errors import ConfigError
from core.generate.dag import (
    DEFAULT_WHEEL_NAME,
    TASK_ID,
    DagOptions,
    openmetadata_requirements,
    render_dag,
    service_asset_uri,
)
from core.generate.wheel import engine_wheel

ENGINES = ("core", "openmetadata")
MODES = ("env", "variable", "connection", "inline")


def test_defaults_are_the_documented_ones() -> None:
    options = DagOptions()
    assert options.dag_id == "databricks_pipelines_to_openmetadata"
    assert options.schedule == "0 2 * * *"
    assert options.timezone == "UTC"
    assert options.start_date is None
    assert options.resolved_start_date() == datetime.now(ZoneInfo("UTC")).date()
    assert (options.owner, options.retries, options.retry_delay_minutes) == ("data-platform", 2, 5)
    assert options.execution_timeout_minutes == 120
    assert options.email == [] and not options.email_on_failure and not options.email_on_retry
    assert options.tags == ["openmetadata", "databricks"]
    assert (options.engine, options.secrets, options.openmetadata_version) == ("core", "env", "2.0.7")
    assert options.yaml_name == "databricks_pipelines_to_openmetadata.yaml"
    assert options.dag_filename == "databricks_pipelines_to_openmetadata.py"


def test_options_normalise_presets_and_timezones() -> None:
    options = DagOptions(schedule="weekly", timezone="europe/paris", yaml_filename="wf.yml")
    assert options.schedule == "0 2 * * 1"
    assert options.timezone == "Europe/Paris"
    assert DagOptions(schedule="on demand").schedule is None
    assert DagOptions(schedule=None).schedule is None
    assert options.yaml_name == "wf.yml"


@pytest.mark.parametrize(
    ("kwargs", "field", "needle"),
    [
        ({"dag_id": "has space"}, "dag.dag_id", "letters, digits"),
        ({"dag_id": ""}, "dag.dag_id", "letters, digits"),
        ({"dag_id": "x" * 201}, "dag.dag_id", "1-200"),
        ({"schedule": "61 * * * *"}, "dag.schedule", "minute field '61' is out of range 0-59"),
        ({"timezone": "Europe/Berln"}, "dag.timezone", "unknown timezone"),
        ({"start_date": datetime(2026, 1, 1)}, "dag.start_date", "must be a date"),
        ({"owner": " "}, "dag.owner", "is empty"),
        ({"retries": -1}, "dag.retries", "whole number"),
        ({"retries": True}, "dag.retries", "whole number"),
        ({"retry_delay_minutes": 1.5}, "dag.retry_delay_minutes", "whole number"),
        ({"execution_timeout_minutes": 0}, "dag.execution_timeout_minutes", "from 1"),
        ({"email": ["not-an-address"]}, "dag.email", "is not an e-mail address"),
        ({"email_on_failure": True}, "dag.email", "at least one address"),
        ({"tags": ["ok", ""]}, "dag.tags", "1-100 characters"),
        ({"engine": "docker"}, "dag.engine", "core or openmetadata"),
        ({"secrets": "vault"}, "dag.secrets", "env, variable, connection or inline"),
        ({"openmetadata_version": "latest"}, "dag.openmetadata_version", "release number"),
        ({"yaml_filename": "../etc/wf.yaml"}, "dag.yaml_filename", "without folders"),
        ({"yaml_filename": "wf.json"}, "dag.yaml_filename", "ending in .yaml"),
        ({"python": "python3"}, "dag.python", "absolute path of a Python interpreter"),
        ({"python": "/opt/my python/bin/python"}, "dag.python", "absolute path"),
        ({"python": "/usr/bin/python3", "engine": "openmetadata"}, "dag.python", "core engine only"),
        ({"python": "/usr/bin/python3", "wheelhouse": "/srv/w"}, "dag.wheelhouse", "not used with python"),
        ({"wheelhouse": "wheels"}, "dag.wheelhouse", "absolute folder path"),
        ({"wheelhouse": "ftp://host/wheels"}, "dag.wheelhouse", "or an http(s) URL"),
    ],
)
def test_invalid_options_name_their_field(kwargs: dict, field: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DagOptions(**kwargs)
    assert caught.value.field == field
    assert needle in caught.value.message
    assert "\n" not in caught.value.one_line()


def test_openmetadata_requirements_pin_the_server_line() -> None:
    assert openmetadata_requirements("2.0.7") == [
        "openmetadata-ingestion[databricks]==2.0.7.*",
        "dbt-core<1.12",
    ]
    assert openmetadata_requirements("2.0.7.0")[0] == "openmetadata-ingestion[databricks]==2.0.7.0"


def module_level_imports(source: str) -> set[str]:
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and _at_module_level(tree, node):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            names.add((module or "").split(".")[0])
    return names


def _at_module_level(tree: ast.Module, target: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and any(
            child is target for child in ast.walk(node)
        ):
            return False
    return True


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", MODES)
def test_every_variant_is_valid_python_with_light_module_imports(
    rich: Callable[..., WorkflowConfig], engine: str, mode: str
) -> None:
    source = render_dag(rich("pat"), DagOptions(engine=engine, secrets=mode, timezone="Europe/Berlin"))
    compile(source, "dag.py", "exec")
    # Parsing must not need the engine, openmetadata-ingestion or even PyYAML: only Airflow and pendulum.
    assert module_level_imports(source) <= {
        "__future__",
        "os",
        "datetime",
        "pathlib",
        "pendulum",
        "airflow",
        "inspect",
        "tempfile",
        "hashlib",
    }
    assert "days_ago" not in source and "schedule_interval" not in source
    assert "catchup=False," in source
    assert 'schedule="0 2 * * *",  # At 02:00 AM, every day (Europe/Berlin)' in source
    assert f'SECRETS_FROM = "{mode}"' in source
    assert f'task_id="{TASK_ID}"' in source


def test_imports_fall_back_for_both_airflow_lines(rich: Callable[..., WorkflowConfig]) -> None:
    core = render_dag(rich(), DagOptions())
    assert (
        "try:  # Airflow 3.x\n    from airflow.sdk import DAG\nexcept ImportError:  # Airflow 2.x\n    from airflow import DAG"
        in core
    )
    assert (
        "from airflow.providers.standard.operators.python import PythonVirtualenvOperator\nexcept ImportError"
        in core
    )
    assert "from airflow.operators.python import PythonVirtualenvOperator" in core
    external = render_dag(rich(), DagOptions(python="/opt/dbx/bin/python"))
    assert "from airflow.providers.standard.operators.python import ExternalPythonOperator" in external
    assert "from airflow.operators.python import ExternalPythonOperator" in external
    venv = render_dag(rich(), DagOptions(engine="openmetadata"))
    assert "from airflow.providers.standard.operators.python import PythonVirtualenvOperator" in venv
    assert "from airflow.operators.python import PythonVirtualenvOperator" in venv


def test_dag_arguments_are_written_as_fixed_literals(rich: Callable[..., WorkflowConfig]) -> None:
    options = DagOptions(
        dag_id="team.dbx-pipelines",
        schedule="*/30 6-18 * * mon-fri",
        timezone="America/New_York",
        start_date=date(2026, 3, 1),
        owner="analytics",
        retries=4,
        retry_delay_minutes=10,
        execution_timeout_minutes=45,
        email=["oncall@example.com", " data@example.com "],
        email_on_failure=True,
        tags=["catalog", "prod"],
        yaml_filename="prod_workflow.yaml",
    )
    source = render_dag(rich(), options)
    assert 'DAG_ID = "team.dbx-pipelines"' in source
    assert 'start_date=pendulum.datetime(2026, 3, 1, tz="America/New_York"),' in source
    assert 'schedule="*/30 6-18 * * mon-fri",' in source
    assert '"owner": "analytics",' in source
    assert '"retries": 4,' in source
    assert '"retry_delay": timedelta(minutes=10),' in source
    assert '"execution_timeout": timedelta(minutes=45),' in source
    assert '"email": ["oncall@example.com", "data@example.com"],' in source
    assert '"email_on_failure": True,' in source and '"email_on_retry": False,' in source
    assert 'tags=["catalog", "prod"],' in source
    assert 'WORKFLOW_YAML = Path(__file__).absolute().parent / "prod_workflow.yaml"' in source
    assert "max_active_runs=1," in source


def test_no_email_settings_unless_an_address_is_given(rich: Callable[..., WorkflowConfig]) -> None:
    # Airflow 3 warns about task e-mail settings, so a DAG without addresses carries none.
    assert "email" not in render_dag(rich(), DagOptions()).split("with DAG(")[1]


def test_on_demand_dag_has_no_schedule(rich: Callable[..., WorkflowConfig]) -> None:
    source = render_dag(rich(), DagOptions(schedule="on demand"))
    assert "schedule=None,  # on demand: runs only when triggered" in source
    assert "On demand: runs only when triggered" in source


def test_default_yaml_location_is_next_to_the_dag(rich: Callable[..., WorkflowConfig]) -> None:
    source = render_dag(rich(), DagOptions())
    assert 'WORKFLOW_YAML = Path(__file__).absolute().with_suffix(".yaml")' in source


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("auth", ["pat", "oauth", "azure"])
def test_no_secret_is_ever_written_into_the_dag(
    rich: Callable[..., WorkflowConfig], secret_values: tuple[str, ...], engine: str, mode: str, auth: str
) -> None:
    source = render_dag(rich(auth, extra_headers=True), DagOptions(engine=engine, secrets=mode))
    for secret in secret_values:
        assert secret not in source


def test_connection_mode_maps_each_secret_to_a_connection(rich: Callable[..., WorkflowConfig]) -> None:
    source = render_dag(rich("oauth", extra_headers=True), DagOptions(secrets="connection"))
    assert '"DATABRICKS_CLIENT_SECRET": ("databricks_default", "password"),' in source
    assert '"OPENMETADATA_JWT_TOKEN": ("openmetadata_default", "password"),' in source
    assert '"OPENMETADATA_HEADER_X_PROXY_AUTH": ("openmetadata_default", "extra.X-Proxy-Auth"),' in source
    assert "Airflow Connections: `databricks_default` (password)" in source


def test_variable_and_env_modes_list_the_names(rich: Callable[..., WorkflowConfig]) -> None:
    for mode, wording in (
        ("variable", "Airflow Variables: "),
        ("env", "environment variables of the workers"),
    ):
        source = render_dag(rich("azure"), DagOptions(secrets=mode))
        assert '    "AZURE_CLIENT_SECRET",\n' in source
        assert '    "OPENMETADATA_JWT_TOKEN",\n' in source
        assert wording in source


def test_inline_mode_says_so_loudly(rich: Callable[..., WorkflowConfig]) -> None:
    source = render_dag(rich(), DagOptions(secrets="inline"))
    assert "SECRETS = ()" in source
    assert "**WARNING: the workflow YAML next to this file contains secrets in clear text**" in source
    assert "WARNING" not in render_dag(rich(), DagOptions(secrets="env"))


def test_openmetadata_engine_isolates_the_package_and_passes_no_secret_in_op_kwargs(
    rich: Callable[..., WorkflowConfig],
) -> None:
    source = render_dag(
        rich(), DagOptions(engine="openmetadata", openmetadata_version="2.0.7", secrets="variable")
    )
    assert 'REQUIREMENTS = ["openmetadata-ingestion[databricks]==2.0.7.*", "dbt-core<1.12"]' in source
    assert "system_site_packages=False," in source
    assert 'op_kwargs={"workflow_path": str(WORKFLOW_YAML)},' in source
    assert "os.environ.update(resolve_secrets())" in source
    assert "MetadataWorkflow.create(config)" in source
    # The callable runs in the virtualenv alone: everything it needs is imported inside it.
    tree = ast.parse(source)
    function = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "ingest_with_openmetadata"
    )
    inner = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert inner == {"os", "re", "yaml", "metadata.workflow.metadata"}
    free = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    module_names = {"DAG_ID", "WORKFLOW_YAML", "SECRETS", "SECRETS_FROM", "REQUIREMENTS", "resolve_secrets"}
    assert not free & module_names


def _function(source: str, name: str) -> ast.FunctionDef:
    return next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)


def _imports_in(function: ast.FunctionDef) -> set[str]:
    return {
        alias.name if isinstance(node, ast.Import) else str(node.module)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }


def test_core_engine_runs_in_a_virtualenv_of_its_own_from_the_wheel_next_to_the_dag(
    rich: Callable[..., WorkflowConfig],
) -> None:
    source = render_dag(rich(), DagOptions(secrets="variable"), wheel_name="dbx_pipeline-9.9-py3-none-any.whl")
    assert 'ENGINE_WHEEL = Path(__file__).absolute().parent / "dbx_pipeline-9.9-py3-none-any.whl"' in source
    assert "class EngineInVirtualenv(PythonVirtualenvOperator):" in source
    assert "requirements=[str(ENGINE_WHEEL)]," in source
    assert 'return f"dbx-pipeline @ {ENGINE_WHEEL.as_uri()}#sha256={digest}"' in source
    assert "self.requirements = [engine_requirement()]" in source
    assert "os.environ.update(resolve_secrets())" in source
    # the path, the DAG id and its settings: never a secret
    assert '"workflow_path": str(WORKFLOW_YAML),\n            "dag_id": DAG_ID,' in source
    assert "system_site_packages=False," in source and "expect_airflow=False," in source
    assert "PIP_OPTIONS = None" in source and "pip_install_options=PIP_OPTIONS," in source
    assert '"venv_cache_path": str(Path(tempfile.gettempdir()) / "dbx-pipeline-venvs")' in source
    # The callable runs in the virtualenv alone: it imports the engine inside, after dropping PYTHONPATH.
    function = _function(source, "ingest")
    assert _imports_in(function) == {"os", "sys", "core.ingestion_run"}
    free = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert not free & {"DAG_ID", "WORKFLOW_YAML", "SECRETS", "SECRETS_FROM", "ENGINE_WHEEL", "resolve_secrets"}
    body = ast.unparse(function)
    assert body.index("sys.path[:] =") < body.index("from core.ingestion_run import")


def test_the_ingest_callable_ignores_a_users_core_package_on_pythonpath(
    rich: Callable[..., WorkflowConfig], tmp_path: Path
) -> None:
    """What Airflow 3 does (it appends the dags folder to the task's PYTHONPATH), with a dags folder whose
    own core/ package would shadow the engine's: the callable drops PYTHONPATH's entries before importing."""
    dags, engine = tmp_path / "dags", tmp_path / "site"
    (dags / "core").mkdir(parents=True)
    (dags / "core" / "__init__.py").write_text("raise ImportError('the user core package was imported')\n")
    (engine / "core").mkdir(parents=True)
    (engine / "core" / "__init__.py").write_text("")
    (engine / "core" / "ingestion_run.py").write_text(
        "import core\n"
        "def run_ingestion(config, *, ingestion_pipeline, report, airflow):\n"
        "    print('engine from', core.__file__, 'config', config, 'report', ingestion_pipeline, report)\n"
    )
    callable_source = ast.unparse(_function(render_dag(rich(), DagOptions()), "ingest"))
    script = tmp_path / "script.py"
    # the engine as site-packages would hold it: on sys.path by site, not by PYTHONPATH
    script.write_text(f"import sys\nsys.path.append({str(engine)!r})\n{callable_source}\ningest('wf.yaml', 'd', True, {{}})\n")
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(dags), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"engine from {engine / 'core' / '__init__.py'} config wf.yaml report d True" in result.stdout


def test_core_engine_with_a_named_interpreter_uses_external_python(rich: Callable[..., WorkflowConfig]) -> None:
    source = render_dag(rich(), DagOptions(python="/opt/dbx/bin/python"))
    assert 'PYTHON = "/opt/dbx/bin/python"' in source
    assert "class EngineInPython(ExternalPythonOperator):" in source
    assert "python=PYTHON," in source and "python_callable=ingest," in source
    assert "ENGINE_WHEEL" not in source and "PIP_OPTIONS" not in source and "VENV_OPTIONS" not in source
    assert "run by `/opt/dbx/bin/python`" in source


def test_a_wheelhouse_makes_the_virtualenvs_install_offline(rich: Callable[..., WorkflowConfig]) -> None:
    for engine in ENGINES:
        source = render_dag(rich(), DagOptions(engine=engine, wheelhouse="/srv/wheels"))
        assert 'PIP_OPTIONS = ["--no-index", "--find-links", "/srv/wheels"]' in source
        assert "pip_install_options=PIP_OPTIONS," in source


def test_the_default_wheel_name_is_the_built_one() -> None:
    assert engine_wheel().filename == DEFAULT_WHEEL_NAME


def test_openmetadata_engine_refuses_a_mismatched_dialect(rich: Callable[..., WorkflowConfig]) -> None:
    with pytest.raises(ConfigError) as caught:
        render_dag(rich(), DagOptions(engine="openmetadata", openmetadata_version="1.9.12"), dialect="2.x")
    assert caught.value.field == "dag.openmetadata_version"
    assert "reads the 1.x YAML dialect" in caught.value.message
    render_dag(rich(), DagOptions(engine="openmetadata", openmetadata_version="1.9.12"), dialect="1.x")


def test_openmetadata_engine_refuses_hosts_its_connector_cannot_reach(rich_raw: Callable[..., dict]) -> None:
    from core.config import parse_workflow_config

    raw = rich_raw("pat")
    raw["source"]["serviceConnection"]["config"]["hostPort"] = "http://127.0.0.1:8001"
    config = parse_workflow_config(raw)
    render_dag(config, DagOptions(engine="core"))  # this engine reaches it
    with pytest.raises(ConfigError) as caught:
        render_dag(config, DagOptions(engine="openmetadata"))
    assert caught.value.field == "source.serviceConnection.config.hostPort"
    assert "https://<host>:443" in caught.value.message


def test_generated_files_pass_ruff_including_its_airflow_rules(
    rich: Callable[..., WorkflowConfig], tmp_path: Path
) -> None:
    """ruff's AIR rules flag what Airflow 3 removed (AIR301/302), dynamic DAG values (AIR304) and more."""
    for engine, python in (*((engine, None) for engine in ENGINES), ("core", "/opt/dbx/bin/python")):
        for mode in MODES:
            for schedule in ("0 2 * * *", None):
                options = DagOptions(
                    dag_id=f"d_{engine}_{mode}_{bool(schedule)}_{bool(python)}",
                    engine=engine,
                    secrets=mode,
                    schedule=schedule,
                    email=["a@example.com"],
                    email_on_failure=True,
                    python=python,
                    wheelhouse="/srv/wheels" if schedule and not python else None,
                    deadline_minutes=45 if mode == "env" else None,
                )
                (tmp_path / options.dag_filename).write_text(
                    render_dag(rich("pat", extra_headers=True), options)
                )
    base = [sys.executable, "-m", "ruff"]
    lint = subprocess.run(
        [
            *base,
            "check",
            "--isolated",
            "--preview",
            "--select",
            "AIR,E,F,W,I,UP,B",
            "--ignore",
            "E501",
            "--output-format",
            "concise",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = subprocess.run(
        [*base, "format", "--isolated", "--line-length", "110", "--check", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_the_task_updates_an_asset_naming_the_service(rich: Callable[..., WorkflowConfig]) -> None:
    config = rich()
    assert service_asset_uri(config) == "openmetadata://openmetadata.example.com/prod_databricks"
    for options in (DagOptions(), DagOptions(python="/opt/dbx/bin/python"), DagOptions(engine="openmetadata")):
        source = render_dag(config, options)
        assert 'SERVICE_ASSET = Asset("openmetadata://openmetadata.example.com/prod_databricks")' in source
        assert "from airflow.datasets import Dataset as Asset" in source  # the 2.x name
        assert source.count("outlets=[SERVICE_ASSET],") == 1


def test_an_asset_uri_is_ascii_and_a_file_sink_has_none(rich_raw: Callable[..., dict]) -> None:
    from core.config import parse_workflow_config

    raw = rich_raw("pat")
    raw["source"]["serviceName"] = "prod\\databricks ü"
    raw["workflowConfig"]["openMetadataServerConfig"]["hostPort"] = "http://OM.local:8585/api"
    assert service_asset_uri(parse_workflow_config(raw)) == "openmetadata://om.local:8585/prod%5Cdatabricks%20%C3%BC"
    raw["sink"] = {"type": "file", "config": {"filename": "out.jsonl"}}
    del raw["workflowConfig"]["openMetadataServerConfig"]
    config = parse_workflow_config(raw)
    assert service_asset_uri(config) is None
    source = render_dag(config, DagOptions())
    assert "Asset" not in source and "outlets" not in source


def test_a_failure_is_logged_in_one_clear_line(rich: Callable[..., WorkflowConfig]) -> None:
    source = render_dag(rich(), DagOptions())
    assert '"on_failure_callback": log_failure,' in source
    function = _function(source, "log_failure")
    assert _imports_in(function) == {"logging"}
    assert "dbx-pipeline: the ingestion of DAG %s failed (run %s, try %s): %s" in ast.unparse(function)


def test_a_deadline_alert_emails_on_airflow_31_and_is_skipped_before(rich: Callable[..., WorkflowConfig]) -> None:
    source = render_dag(rich(), DagOptions(email=["oncall@example.com"], deadline_minutes=90))
    assert "from airflow.sdk.definitions.deadline import (\n        AsyncCallback," in source
    assert "except ImportError:\n    DEADLINE = {}" in source
    assert "interval=timedelta(minutes=90)," in source
    assert '"to": ["oncall@example.com"],' in source
    assert "    **DEADLINE,\n) as dag:" in source
    assert "DEADLINE" not in render_dag(rich(), DagOptions())
    with pytest.raises(ConfigError) as caught:
        DagOptions(deadline_minutes=30)
    assert caught.value.field == "dag.email" and "deadline alert" in caught.value.message
    with pytest.raises(ConfigError) as caught:
        DagOptions(deadline_minutes=0, email=["a@example.com"])
    assert caught.value.field == "dag.deadline_minutes"
