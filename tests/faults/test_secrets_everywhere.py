"""No token, client secret or JWT anywhere a person or a log collector could read it.

Full runs with distinct, recognisable secrets (a Databricks PAT, an OAuth client secret and the OAuth
access tokens the emulator issues for it, an OpenMetadata JWT), logging captured from every logger at
every level (databricks-sdk and urllib3 debug logs included), then failing variants (wrong token, wrong
OAuth secret, expired and unknown JWTs, 400s from OpenMetadata, a password in a URL). Every text that
comes out is collected as a "place" and grepped for every secret value. Generated files and the wizard's
page source are checked by the generate and wizard suites.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.cli import main
from core.config import load_workflow_config, parse_workflow_config, parse_yaml_text
from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import FaultKind
from core.emulators.openmetadata import EXPIRED_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.errors import IngestionError, SinkRejectedError
from core.sinks.openmetadata import OpenMetadataSink
from core.workflow import Workflow, WorkflowExecutionError

REPO = Path(__file__).resolve().parents[2]
PAT = "dapi5ec2e75ec2e75ec2e75ec2e75ec2e7ab"  # dapi + 32 hex
CLIENT_ID = "secrets-test-principal"
CLIENT_SECRET = "dose5ec2e7-oauth-client-secret-value"
JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJvcGVuLW1ldGFkYXRhLm9yZyIsInN1YiI6InNlY3JldHMtYm90In0"
    ".c2VjcmV0cy10ZXN0LXNpZ25hdHVyZS01ZWMyZTctZG8tbm90LWxlYWs"
)
WRONG_PAT = "dapi0000000000000000000000000000dead"
WRONG_SECRET = "dose5ec2e7-not-the-client-secret"
SECRETS = [PAT, CLIENT_SECRET, JWT, WRONG_PAT, WRONG_SECRET, EXPIRED_JWT]
CONN = ("source", "serviceConnection", "config")

PLACES: dict[str, int] = {}  # place name -> characters checked, over the whole module


def check(places: dict[str, str], secrets: list[str]) -> None:
    """Grep every place for every secret; record the places for the closing count."""
    assert places and all(isinstance(text, str) for text in places.values())
    found = [(name, secret[:8]) for name, text in places.items() for secret in secrets if secret in text]
    for name, text in places.items():
        PLACES[name] = PLACES.get(name, 0) + len(text)
    assert not found, f"secrets found (place, secret prefix): {found}"


@pytest.fixture
def servers() -> Iterator[tuple[Workspace, DatabricksEmulator, OpenMetadataEmulator]]:
    workspace = Workspace(WorkspaceSpec(jobs=12, tasks=3, runs=3, pipelines=2, seed=5))
    databricks = DatabricksEmulator(workspace, token=PAT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with databricks, OpenMetadataEmulator(jwt=JWT) as openmetadata:
        openmetadata.seed_from_workspace(workspace)
        yield workspace, databricks, openmetadata


@pytest.fixture
def secret_config(servers: Any, config_for: Any) -> Callable[..., dict]:
    """``secret_config(auth=None, jwt=JWT, **sink)``: a DEBUG-level config using the test's secrets."""
    _, databricks, openmetadata = servers

    def make(auth: dict | None = None, jwt: str = JWT, sink: dict | None = None) -> dict:
        config = config_for(
            databricks,
            None if sink else openmetadata,
            connection={"authType": auth or {"token": PAT}},
            sink=sink,
        )
        config["workflowConfig"]["loggerLevel"] = "DEBUG"
        if not sink:
            config["workflowConfig"]["openMetadataServerConfig"]["securityConfig"]["jwtToken"] = jwt
        return config

    return make


@pytest.fixture
def all_logs() -> Iterator[Callable[[], str]]:
    """Every record from every logger at every level, through a root handler at level 1."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(1)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.setLevel(1)
    root.addHandler(handler)
    try:
        yield buffer.getvalue
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def exception_texts(prefix: str, error: BaseException | None) -> dict[str, str]:
    """str, repr and the whole chained traceback of an exception."""
    if error is None:
        return {}
    return {
        f"{prefix}: str": str(error),
        f"{prefix}: repr": repr(error),
        f"{prefix}: traceback": "".join(traceback.format_exception(error)),
    }


def test_full_runs_leak_no_secret(
    servers: tuple[Workspace, DatabricksEmulator, OpenMetadataEmulator],
    secret_config: Callable[..., dict],
    all_logs: Callable[[], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, databricks, openmetadata = servers
    places: dict[str, str] = {}
    late = io.StringIO()  # a handler attached after the workflow was created (as a host app might)
    for kind, auth in (
        ("pat", {"token": PAT}),
        ("oauth", {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}),
    ):
        config = secret_config(auth)
        workflow = Workflow.create(config)
        late_handler = logging.StreamHandler(late)
        late_handler.setLevel(1)
        logging.getLogger().addHandler(late_handler)
        try:
            report = workflow.execute()
        finally:
            logging.getLogger().removeHandler(late_handler)
        assert report.ok, report.render()
        workflow.print_status()
        places[f"{kind}: print_status"] = capsys.readouterr().out
        places[f"{kind}: report.as_dict"] = json.dumps(report.as_dict())
        places[f"{kind}: report.render"] = report.render()
        places[f"{kind}: repr(report)"] = repr(report)
        places[f"{kind}: repr(config)"] = repr(workflow.config)
        places[f"{kind}: str(config)"] = str(workflow.config)
        places[f"{kind}: config.model_dump_json"] = workflow.config.model_dump_json()
        places[f"{kind}: repr(connection)"] = repr(workflow.config.source.connection)
    issued = list(databricks._oauth_tokens)  # the OAuth access tokens the SDK was given
    assert issued

    file_config = secret_config(sink={"type": "file", "config": {"filename": str(tmp_path / "out.jsonl")}})
    assert Workflow.create(file_config).execute().ok
    places["file sink output"] = (tmp_path / "out.jsonl").read_text()

    logs = all_logs()
    assert "DEBUG databricks.sdk" in logs and "DEBUG urllib3.connectionpool" in logs, (
        "debug logs not captured"
    )
    places["logs (root handler, level 1)"] = logs
    places["logs (handler attached late)"] = late.getvalue()
    places["OpenMetadata catalogue"] = json.dumps(openmetadata.snapshot())
    places["OpenMetadata service entity"] = json.dumps(openmetadata.services)

    [service] = openmetadata.services.values()
    stored = service["connection"]["config"]
    assert stored["hostPort"] == databricks.url  # the connection is stored, its credentials are not
    assert not {"token", "authType", "clientSecret", "password"} & set(stored)
    check(places, [*SECRETS, *issued])


def test_failing_runs_and_their_exceptions_leak_no_secret(
    servers: tuple[Workspace, DatabricksEmulator, OpenMetadataEmulator],
    secret_config: Callable[..., dict],
    all_logs: Callable[[], str],
) -> None:
    _, _, openmetadata = servers
    places: dict[str, str] = {}
    variants = {
        "wrong token": secret_config({"token": WRONG_PAT}),
        "wrong oauth secret": secret_config({"clientId": CLIENT_ID, "clientSecret": WRONG_SECRET}),
        "expired jwt": secret_config(jwt=EXPIRED_JWT),
        "wrong jwt": secret_config(jwt=JWT[:-6] + "AAAAAA"),
    }
    for name, config in variants.items():
        workflow = Workflow.create(config)
        report = workflow.execute()
        assert not report.ok and report.fatal is not None, name
        places[f"{name}: report"] = json.dumps(report.as_dict()) + report.render()
        places.update(exception_texts(f"{name}: fatal", report.fatal))
        with pytest.raises(WorkflowExecutionError) as raised:
            workflow.raise_from_status()
        places.update(exception_texts(f"{name}: raise_from_status", raised.value))

    openmetadata.inject(kind=FaultKind.STATUS, status=400, method="PUT", path=r"^/api/v1/pipelines$", times=3,
                        body={"code": 400, "message": "rejected for the secrets test"})  # fmt: skip
    report = Workflow.create(secret_config()).execute()
    assert len(report.failures) == 3
    places["400s: report"] = json.dumps(report.as_dict()) + report.render()
    server = parse_workflow_config(secret_config()).server
    assert server is not None
    sink = OpenMetadataSink(server)
    openmetadata.inject(kind=FaultKind.STATUS, status=400, method="PUT", path=r"^/api/v1/pipelines$", times=1,
                        body={"code": 400, "message": "rejected for the secrets test"})  # fmt: skip
    with pytest.raises(SinkRejectedError) as rejected:
        sink.put_pipeline({"name": "1000", "service": "dbx_emulated", "tasks": []})
    sink.close()
    places.update(exception_texts("400: SinkRejectedError", rejected.value))

    # Bad input carrying a secret: a password in a URL, and a YAML error on the line of a token.
    with pytest.raises(IngestionError) as raised:
        bad = secret_config()
        bad["source"]["serviceConnection"]["config"]["hostPort"] = (
            f"https://user:{CLIENT_SECRET}@dbx.example.com"
        )
        parse_workflow_config(bad)
    places.update(exception_texts("password in hostPort", raised.value))
    text = yaml.safe_dump(secret_config(), width=10_000).replace(f"jwtToken: {JWT}", f"jwtToken: {JWT}: [x")
    assert f"{JWT}: [x" in text
    with pytest.raises(IngestionError) as raised:
        parse_yaml_text(text, "workflow.yaml")
    places.update(exception_texts("yaml error on the JWT line", raised.value))

    places["logs (root handler, level 1)"] = all_logs()
    check(places, SECRETS)


def test_cli_outputs_leak_no_secret(
    servers: tuple[Workspace, DatabricksEmulator, OpenMetadataEmulator],
    secret_config: Callable[..., dict],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    places: dict[str, str] = {}
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(secret_config()))
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(yaml.safe_dump(secret_config({"token": WRONG_PAT}, jwt=EXPIRED_JWT)))
    runs = [
        (["ingest", "-c", str(good)], 0),
        (["ingest", "-c", str(good), "--json"], 0),
        (["test-connection", "-c", str(good)], 0),
        (["test-connection", "-c", str(good), "--json"], 0),
        (["preview", "-c", str(good)], 0),
        (["preview", "-c", str(good), "--json"], 0),
        (["ingest", "-c", str(wrong)], 2),
        (["test-connection", "-c", str(wrong), "--json"], 2),
        (["preview", "-c", str(wrong)], 2),
    ]
    for argv, expected in runs:
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == expected, (argv, out, err)
        places[
            f"{' '.join(argv[:1] + argv[3:])} ({good.name if str(good) in argv else wrong.name}): stdout"
        ] = out
        places[
            f"{' '.join(argv[:1] + argv[3:])} ({good.name if str(good) in argv else wrong.name}): stderr"
        ] = err
    loaded = load_workflow_config(good)
    places["repr(load_workflow_config)"] = repr(loaded)

    # The console script as a real process: logging goes to stderr at DEBUG through its own handler.
    process = subprocess.run(
        [sys.executable, "-m", "core.cli", "ingest", "-c", str(good)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    assert "DEBUG databricks.sdk" in process.stderr and "DEBUG urllib3" in process.stderr
    places["subprocess ingest (DEBUG): stdout"] = process.stdout
    places["subprocess ingest (DEBUG): stderr"] = process.stderr
    check(places, SECRETS)


@pytest.fixture(scope="module", autouse=True)
def _count_places() -> Iterator[None]:
    yield
    print(
        f"\nsecrets: {len(SECRETS)} values (+ issued OAuth tokens) grepped in {len(PLACES)} places; found 0"
    )
