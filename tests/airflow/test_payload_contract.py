"""Every request body the engine sends to OpenMetadata, validated with OpenMetadata's own pydantic models.

The JSON-schema tests (tests/unit/test_mapping.py, test_status.py, tests/generate/test_schema.py) read
schema files; this is the second, independent contract: the models ``openmetadata-ingestion`` 2.0.7 generates
from those schemas (``extra='forbid'``: an unknown key fails), in the suite's cached ``omingestion``
virtualenv (tests/airflow/conftest.py).

The bodies come from real engine runs, nothing hand-written: the real ``Workflow`` over the Databricks
emulator (the generated workspace with jobs, a 120+ task job, DLT pipelines, tags, owners and lineage, then
every recorded workspace of tests/data/databricks) into an OpenMetadata emulator that records each write,
with every option on. Each run is made twice, against a 2.0.7 server (statuses with run detail: OpenMetadata
1.13+) and a 1.12.4 one (without: see ``core.mapping.status.supports_run_detail``), plus once into the
``file`` sink (no server: the newest shape). All the bodies go to one JSON file that ``probe_payloads.py``
validates inside the virtualenv; a failing case lists every rejected body with the model's error.

Where openmetadata-ingestion cannot be installed these tests skip, as the conftest's policy for that package
says, and say so in the warnings summary and the measurements section at the end of the run, not only in
the skip list.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import Request, Response
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.recorded import RecordedWorkspace
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.workflow import Workflow

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(900)]

CORPUS = Path(__file__).resolve().parents[1] / "data" / "databricks"
#: kind of body -> the model OpenMetadata reads it with (``module:Class`` in openmetadata-ingestion 2.0.7)
MODELS = {
    "pipelineService": "metadata.generated.schema.api.services.createPipelineService:CreatePipelineServiceRequest",
    "pipeline": "metadata.generated.schema.api.data.createPipeline:CreatePipelineRequest",
    "pipelineStatus": "metadata.generated.schema.entity.data.pipeline:PipelineStatus",
    "lineage": "metadata.generated.schema.api.lineage.addLineage:AddLineageRequest",
    "classification": "metadata.generated.schema.api.classification.createClassification:CreateClassificationRequest",
    "tag": "metadata.generated.schema.api.classification.createTag:CreateTagRequest",
    # a JSON Patch (the lineage fingerprint's PATCH): applied with the package's own jsonpatch, each field it
    # sets validated as the Pipeline entity's field (probe_payloads.py)
    "pipelinePatch": "metadata.generated.schema.entity.data.pipeline:Pipeline",
}  # fmt: skip
#: PUT (or PATCH) path under /api/v1 -> kind; a list body (the bulk status PUT) is one payload per element
ROUTES = (
    (re.compile(r"/api/v1/services/pipelineServices"), "pipelineService"),
    (re.compile(r"/api/v1/pipelines"), "pipeline"),
    (re.compile(r"/api/v1/pipelines/[^/]+/status/bulk"), "pipelineStatus"),
    (re.compile(r"/api/v1/lineage"), "lineage"),
    (re.compile(r"/api/v1/classifications"), "classification"),
    (re.compile(r"/api/v1/tags"), "tag"),
    (re.compile(r"/api/v1/pipelines/[0-9a-fA-F-]{36}"), "pipelinePatch"),
)
#: run-detail shape -> the server version the OpenMetadata emulator reports
SHAPES = {"1.13+": "2.0.7", "pre-1.13": "1.12.4"}
#: the PipelineStatus keys only 1.13+ servers accept (entity/data/pipeline.json)
RUN_DETAIL_KEYS = {"executionId", "endTime", "error"}
#: the connector the service's ``connection.config`` is (the union's other branches are noise in errors)
CONNECTION_BRANCH = "DatabricksPipelineConnection"
#: kind -> why OpenMetadata's models reject every such body the engine sends (a strict xfail), and the one
#: error (dotted loc, pydantic error type, message) they give. Reported, not fixed here: the engine is
#: unchanged by these tests.
KNOWN_REJECTIONS = {
    "pipelineService": (
        "CreatePipelineServiceRequest: the engine stores connection.config without authType (it drops the "
        "credentials: core.engine.service_request), and DatabricksPipelineConnection requires authType "
        "(openmetadata-ingestion 2.0.7; the 1.13 JSON schema requires token instead)"
    ),
}
KNOWN_ERRORS = {"pipelineService": (("connection.config.authType", "missing", "Field required"),)}
#: every option that adds something to the bodies
OPTIONS = {
    "includeTags": True,
    "includeOwners": True,
    "includeLineage": True,
    "markDeletedPipelines": True,
    "overrideMetadata": True,
    "statusLookbackDays": 3650,  # the recorded workspaces' runs are from 2026-11
}


class RecordingOpenMetadata(OpenMetadataEmulator):
    """The OpenMetadata emulator, keeping every write that carries a body: ``(method, path, status, body)``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.writes: list[tuple[str, str, int, Any]] = []

    def dispatch(self, request: Request) -> Response:
        response = super().dispatch(request)
        if request.method in ("PUT", "POST", "PATCH") and request.body:
            self.writes.append((request.method, request.path, response.status, json.loads(request.body)))
        return response


@dataclass
class Contract:
    """What the engine sent and what OpenMetadata's models said about it."""

    payloads: list[dict[str, Any]]  # {"id", "kind", "shape", "payload"}
    unrecognised: list[str]  # writes to paths outside ROUTES
    rejected_by_emulator: list[str]
    report: dict[str, Any]  # probe_payloads.py's OUT.json
    file: Path
    package_pin: str


def _kind(path: str) -> str | None:
    return next((kind for pattern, kind in ROUTES if pattern.fullmatch(path)), None)


def _sources() -> dict[str, Any]:
    """Name -> workspace: the generated one (jobs, DLT, tags, owners, lineage) and every recorded one."""
    workspaces: dict[str, Any] = {
        "generated": Workspace(WorkspaceSpec(jobs=30, tasks=4, runs=5, pipelines=3, big_jobs=1, seed=7))
    }
    for path in sorted(CORPUS.glob("*.json")):
        if not path.name.endswith(".expected.json"):
            workspaces[path.stem] = RecordedWorkspace.load(path)
    return workspaces


def _engine_payloads(config_for: Callable[..., dict[str, Any]], tmp: Path) -> Contract:  # noqa: C901 -- three small closures over one Contract; ruff counts their branches as this function's
    """Run the engine over every source in both shapes (and the variants) and collect what it sent."""
    contract = Contract([], [], [], {}, tmp / "payloads.json", "")

    def add(kind: str, shape: str, where: str, body: Any) -> None:
        for index, item in enumerate(body if kind == "pipelineStatus" else [body]):
            contract.payloads.append(
                {"id": f"{where}[{index}]", "kind": kind, "shape": shape, "payload": item}
            )

    def into_openmetadata(
        name: str, workspace: Any, databricks: DatabricksEmulator, shape: str, **server: Any
    ) -> None:
        """One run into a recording OpenMetadata emulator; ``server``: openMetadataServerConfig overrides."""
        openmetadata = RecordingOpenMetadata(version=SHAPES[shape])
        with openmetadata:
            openmetadata.seed_from_workspace(workspace)
            config = config_for(databricks, openmetadata, source=OPTIONS)
            config["workflowConfig"]["openMetadataServerConfig"].update(server)
            Workflow.create(config).execute()
        for number, (method, path, status, body) in enumerate(openmetadata.writes):
            where = f"{shape} {name} #{number} {method} {path}"
            kind = _kind(path) if method in ("PUT", "PATCH") else None
            if (kind == "pipelinePatch") != (method == "PATCH"):
                kind = None  # a PATCH only where a patch is expected, and no PUT there
            if kind is None:
                contract.unrecognised.append(where)
                continue
            if status >= 300:
                contract.rejected_by_emulator.append(f"{where}: HTTP {status}")
            add(kind, shape, where, body)

    def into_file(name: str, databricks: DatabricksEmulator) -> None:
        """The file sink: no server, so the newest (1.13+) shape; the bodies metadata-rest would send."""
        out = tmp / f"{name}.jsonl"
        sink = {"type": "file", "config": {"filename": str(out)}}
        Workflow.create(config_for(databricks, None, source=OPTIONS, sink=sink)).execute()
        for number, line in enumerate(out.read_text().splitlines()):
            record = json.loads(line)
            where = f"1.13+ {name} file-sink line {number + 1}"
            if record["kind"] in ("pipelineService", "pipeline"):
                add(record["kind"], "1.13+", where, record["request"])
            elif record["kind"] == "pipelineStatus":
                add("pipelineStatus", "1.13+", where, record["statuses"])

    for name, workspace in _sources().items():
        with DatabricksEmulator(workspace) as databricks:
            for shape in SHAPES:
                into_openmetadata(name, workspace, databricks, shape)
            if name == "generated":
                unstored = f"{name}-unstored-connection"
                into_openmetadata(unstored, workspace, databricks, "1.13+", storeServiceConnection=False)
                into_file(name, databricks)
    return contract


_CONTRACT: list[Contract] = []
_NOT_CHECKED: list[str] = []


@pytest.fixture
def contract(
    venv_for: Callable[[str], Any],
    probes: Path,
    timings: Any,
    config_for: Callable[..., dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Contract:
    """The engine's bodies and the models' verdicts (computed once per session)."""
    try:
        venv = venv_for("omingestion")
    except pytest.skip.Exception as skip:
        if not _NOT_CHECKED:  # once per session, at the end of the run and in the warnings summary
            _NOT_CHECKED.append(
                f"!! payload contract NOT CHECKED against openmetadata-ingestion's models: {str(skip.msg)[-600:]}"
            )
            timings.add(_NOT_CHECKED[0])
            warnings.warn(_NOT_CHECKED[0], stacklevel=1)
        raise
    if not _CONTRACT:
        started = time.perf_counter()
        contract = _engine_payloads(config_for, tmp_path_factory.mktemp("payload-contract"))
        contract.file.write_text(json.dumps({"models": MODELS, "payloads": contract.payloads}, indent=1))
        out = contract.file.with_name("verdicts.json")
        result = subprocess.run(
            [str(venv.python), str(probes / "probe_payloads.py"), str(contract.file), str(out)],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "HOME": str(out.parent)},
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        contract.report = json.loads(out.read_text())
        contract.package_pin = next(
            r for r in venv.spec.requirements if r.startswith("openmetadata-ingestion")
        )
        timings.add(
            f"omingestion: {len(contract.payloads)} request bodies from engine runs validated with "
            f"OpenMetadata's models in {time.perf_counter() - started:.1f} s ({contract.file})"
        )
        _CONTRACT.append(contract)
    return _CONTRACT[0]


def test_every_kind_of_body_is_sent_in_both_run_detail_shapes(contract: Contract) -> None:
    """The runs exercised what the contract claims: every kind in both shapes, nothing unaccounted for."""
    assert not contract.unrecognised, (
        f"writes no model here covers (add them to ROUTES): {contract.unrecognised}"
    )
    assert not contract.rejected_by_emulator, contract.rejected_by_emulator
    assert contract.report["package"] in contract.package_pin
    assert contract.report["models"] == MODELS  # the classes the probe imported are the ones named
    assert set(contract.report["results"]) == {p["id"] for p in contract.payloads}
    counts = {(p["kind"], p["shape"]) for p in contract.payloads}
    assert counts == {(kind, shape) for kind in MODELS for shape in SHAPES}, counts
    for shape, detailed in (("1.13+", True), ("pre-1.13", False)):
        keys = {
            key
            for p in contract.payloads
            if p["kind"] == "pipelineStatus" and p["shape"] == shape
            for key in p["payload"]
        }
        assert bool(keys & RUN_DETAIL_KEYS) is detailed, (shape, keys)
    pipelines = [p["payload"] for p in contract.payloads if p["kind"] == "pipeline"]
    pipeline_keys = {key for body in pipelines for key in body}
    assert {"owners", "tags", "scheduleInterval", "concurrency", "description"} <= pipeline_keys
    assert any(not body["name"].isdigit() for body in pipelines)  # a DLT pipeline (named by its uuid)
    text = contract.file.read_text()
    assert (
        DEFAULT_JWT not in text and "dapi-" not in text
    )  # no token (the emulator's is dapi-...) in the file


def _relevant(errors: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """``(dotted loc, type, msg)`` of the errors that concern the body as sent: a union's other branches
    (the service's connection config tried as every other connector's) are left out, and so is the branch
    name itself."""
    relevant = []
    for error in errors:
        branches = [part for part in error["loc"] if "[" in part]
        if all(CONNECTION_BRANCH in branch for branch in branches):
            loc = ".".join(part for part in error["loc"] if "[" not in part)
            relevant.append((loc, error["type"], error["msg"]))
    return relevant


class KnownRejection(Exception):
    """OpenMetadata's models reject a body the engine sends, exactly as reported (see KNOWN_REJECTIONS)."""


def _case(kind: str, shape: str) -> Any:
    reason = KNOWN_REJECTIONS.get(kind)
    if reason is None:
        return pytest.param(kind, shape)
    return pytest.param(
        kind, shape, marks=pytest.mark.xfail(strict=True, raises=KnownRejection, reason=reason)
    )


@pytest.mark.parametrize(("kind", "shape"), [_case(kind, shape) for kind in MODELS for shape in SHAPES])
def test_openmetadata_models_accept_every_body(contract: Contract, kind: str, shape: str) -> None:
    """Each body of this kind and shape validates; a failure lists every rejected body, grouped by error.

    Raises:
        KnownRejection: when every rejection is exactly the one in KNOWN_REJECTIONS (the case is a strict
            xfail that no other failure satisfies).
    """
    bodies = [p for p in contract.payloads if p["kind"] == kind and p["shape"] == shape]
    assert bodies, f"no {kind} body in the {shape} runs"
    results = contract.report["results"]
    by_error: dict[tuple[tuple[str, str, str], ...], list[str]] = {}
    for body in bodies:
        verdict = results[body["id"]]
        if not verdict["ok"]:
            key = tuple(_relevant(verdict["errors"])) or (("", "", verdict["error"]),)
            by_error.setdefault(key, []).append(body["id"])
    lines = [
        f"{len(ids)} {kind} bodies ({shape}) rejected by {MODELS[kind]}:\n  "
        + "\n  ".join(ids)
        + "\nwith:\n"
        + "\n".join(f"  {loc}: {msg} [{kind_}]" for loc, kind_, msg in errors)
        for errors, ids in by_error.items()
    ]
    message = f"bodies in {contract.file}\n" + "\n\n".join(lines)
    if kind in KNOWN_REJECTIONS and list(by_error) == [KNOWN_ERRORS[kind]]:
        raise KnownRejection(message)
    assert not by_error, message
