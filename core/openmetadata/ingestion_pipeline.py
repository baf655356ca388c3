"""Runs visible in OpenMetadata: the ingestion pipeline entity of a DAG, and the status of each of its runs.

OpenMetadata's own managed DAGs report every run to an *ingestion pipeline* entity of the service, which
is what the service's Ingestions tab lists. This module does the same, with the same endpoints and
shapes as ``openmetadata-ingestion`` 2.0.7 (``metadata/workflow/base.py``:
``get_or_create_ingestion_pipeline`` and ``execute``; ``metadata/workflow/workflow_status_mixin.py``:
``set_ingestion_pipeline_status``; ``metadata/ingestion/ometa/mixins/ingestion_pipeline_mixin.py``:
``create_or_update_pipeline_status``; read 2026-11-29):

- ``PUT /v1/services/ingestionPipelines`` with a ``CreateIngestionPipelineRequest``
  (``api/services/ingestionPipelines/createIngestionPipeline.json``): ``pipelineType: metadata``, the
  pipeline service by reference, the workflow's ``sourceConfig`` and an ``airflowConfig``. Its FQN is
  ``<service>.<name>``. When the service does not exist yet (the very first run creates it), the
  running status is skipped and the entity is created when the run ends, as OpenMetadata's workflow does.
- ``PUT /v1/services/ingestionPipelines/{fqn}/pipelineStatus`` with a ``PipelineStatus``
  (``entity/services/ingestionPipelines/ingestionPipeline.json#/definitions/pipelineStatus``): ``running``
  when the run starts, then ``success``, ``partialSuccess`` or ``failed`` with ``endDate`` and one
  ``StepSummary`` per step (``status.json``). The server keys a run by ``runId``: the second PUT
  replaces the first.

Both endpoints exist on OpenMetadata 1.x and 2.x, and the 1.13 schema's ``pipelineState`` enum holds every
value sent here; the step summaries came with 1.3, so a server that refuses them gets the state without
them. The shapes are checked against the 1.13 JSON schemas and were also accepted by openmetadata-ingestion
2.0.7's own models and client (``ometa``) against the emulator (2026-11-29). Reporting never fails an
ingestion: :class:`IngestionPipelineReporter` catches every error, logs one warning, and stops reporting
for that run.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from statistics import mean
from typing import Any, Literal
from urllib.parse import quote

from typing_extensions import NotRequired, TypedDict

from core.config.models import WorkflowConfig
from core.errors import IngestionError, SinkRejectedError
from core.openmetadata.client import OpenMetadataClient
from core.openmetadata.fqn import quote_name
from core.openmetadata.payloads import EntityReference
from core.report import Failure, RunReport
from core.secrets import redact

__all__ = [
    "MAX_REPORTED_FAILURES",
    "RUN_ID_NAMESPACE",
    "AirflowConfig",
    "CreateIngestionPipelineRequest",
    "IngestionPipelineReporter",
    "IngestionPipelineStatus",
    "PipelineState",
    "StepSummary",
    "airflow_run_id",
    "create_request",
    "pipeline_state",
    "step_summaries",
]

logger = logging.getLogger(__name__)

#: ``ingestionPipeline.json#/definitions/pipelineStatus/properties/pipelineState``.
PipelineState = Literal["queued", "success", "failed", "running", "partialSuccess", "stopped"]
#: ``metadataIngestion/workflow.json#/definitions/logLevels`` (OpenMetadata spells WARNING as WARN).
LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]
#: Failures listed per step: ``Summary.from_step`` in openmetadata-ingestion 2.0.7 caps them at 10 "for
#: display payload size" (``metadata/ingestion/api/step.py``); every failure is still counted in ``errors``.
MAX_REPORTED_FAILURES = 10
#: Tries of one reporting call after its first: reporting is best effort and must not hold a run up
#: behind the client's full backoff (5 retries) when its endpoint is down.
REPORT_RETRIES = 1
#: Per-request socket timeout of reporting calls, in seconds.
REPORT_TIMEOUT_S = 10.0
#: Namespace of the run ids derived from an Airflow task try (:func:`airflow_run_id`; the generated DAG's
#: failure callback derives the same id without the engine, so it is written into the DAG).
RUN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/dbx-pipeline/ingestion-run")
_SERVICES = "/services/pipelineServices"
_INGESTION_PIPELINES = "/services/ingestionPipelines"


class AirflowConfig(TypedDict, total=False):
    """``ingestionPipeline.json#/definitions/airflowConfig``: how the DAG that runs the workflow is set up."""

    scheduleInterval: str
    pipelineTimezone: str
    startDate: str
    retries: int
    #: seconds
    retryDelay: int
    maxActiveRuns: int
    pipelineCatchup: bool
    concurrency: int
    #: seconds
    workflowTimeout: int


class CreateIngestionPipelineRequest(TypedDict):
    """``api/services/ingestionPipelines/createIngestionPipeline.json`` (``PUT /v1/services/ingestionPipelines``)."""

    name: str
    displayName: str
    description: str
    pipelineType: Literal["metadata"]
    service: EntityReference
    #: ``metadataIngestion/workflow.json#/definitions/sourceConfig``: the workflow's own
    sourceConfig: dict[str, Any]
    airflowConfig: AirflowConfig
    loggerLevel: LogLevel
    raiseOnError: bool


class StackTraceError(TypedDict):
    """``status.json#/definitions/stackTraceError``: one failure of a step."""

    name: str
    error: str


class StepSummary(TypedDict):
    """``status.json#/definitions/stepSummary``: what one step of the run did."""

    name: str
    records: int
    updated_records: int
    warnings: int
    errors: int
    filtered: int
    failures: NotRequired[list[StackTraceError]]


class IngestionPipelineStatus(TypedDict):
    """``ingestionPipeline.json#/definitions/pipelineStatus``: one run (``PUT .../pipelineStatus``)."""

    runId: str
    pipelineState: PipelineState
    #: epoch milliseconds; ``timestamp`` is the run's start too (OpenMetadata files the run under it)
    startDate: int
    timestamp: int
    endDate: NotRequired[int]
    status: NotRequired[list[StepSummary]]


def airflow_run_id(environ: Mapping[str, str], service: str) -> str | None:
    """The run id of the Airflow task try running this process, or None outside Airflow.

    A UUID (the server's ``GET .../pipelineStatus/{runId}`` takes one) derived from the
    ``AIRFLOW_CTX_DAG_ID``, ``AIRFLOW_CTX_DAG_RUN_ID`` and ``AIRFLOW_CTX_TRY_NUMBER`` variables that Airflow
    puts in a task's environment (``airflow/utils/operator_helpers.py`` in 2.10,
    ``airflow/sdk/execution_time/context.py`` in 3.x), and the service: a callback of the same task try
    finds the same run again, and each try is a run of its own.

    Args:
        environ: the task's environment.
        service: the pipeline service the run ingests (one per workspace).

    Returns:
        The run id, or None when the variables are not set.
    """
    parts = [environ.get(f"AIRFLOW_CTX_{name}") for name in ("DAG_ID", "DAG_RUN_ID", "TRY_NUMBER")]
    if not all(parts):
        return None
    return str(uuid.uuid5(RUN_ID_NAMESPACE, "\n".join([*map(str, parts), service])))


def create_request(
    config: WorkflowConfig, name: str, service_id: str, airflow: AirflowConfig | None = None
) -> CreateIngestionPipelineRequest:
    """The ``CreateIngestionPipelineRequest`` of the ingestion pipeline ``name`` of the configured service.

    Args:
        config: the validated workflow config (its ``sourceConfig`` and logger level are reported).
        name: the ingestion pipeline's name (the DAG id).
        service_id: the pipeline service's id.
        airflow: the DAG's schedule and run settings, when known.

    Returns:
        The request body.
    """
    level = config.workflow_config.logger_level
    return {
        "name": name,
        "displayName": name,
        "description": f"Databricks Jobs and Lakeflow pipelines of {config.source.service_name}, "
        "ingested by dbx-pipeline.",
        "pipelineType": "metadata",
        "service": {"id": service_id, "type": "pipelineService"},
        "sourceConfig": config.source.source_config.model_dump(by_alias=True, exclude_none=True, mode="json"),
        "airflowConfig": AirflowConfig(**airflow) if airflow else AirflowConfig(),
        "loggerLevel": "WARN" if level == "WARNING" else level,
        "raiseOnError": config.workflow_config.raise_on_error,
    }


def step_summaries(report: RunReport) -> list[StepSummary]:
    """The run's two steps as OpenMetadata's workflow names and counts them: ``Source`` and ``Sink``.

    Source: pipelines kept (``records``) and filtered out, warnings, and what stopped the run before a
    pipeline was written (setup, listing). Sink: what was written (pipelines created, left unchanged or
    written to a file, statuses, lineage edges, soft deletes; ``updated_records``: pipelines updated) and
    every failure of a pipeline, lineage edge or delete (the engine reads, maps and writes a pipeline as
    one unit, so its failure is counted where OpenMetadata counts a record it could not write).

    Args:
        report: the finished run's report.

    Returns:
        The two summaries, each listing at most :data:`MAX_REPORTED_FAILURES` failures.
    """
    source_failures = [f for f in report.failures if f.pipeline is None and f.phase not in _SINK_PHASES]
    sink_failures = [f for f in report.failures if f not in source_failures]
    changes = report.changes
    source: StepSummary = {
        "name": "Source",
        "records": report.kept,
        "updated_records": 0,
        "warnings": report.warning_count,
        "errors": len(source_failures),
        "filtered": report.filtered,
    }
    sink: StepSummary = {
        "name": "Sink",
        "records": changes["created"]
        + changes["unchanged"]
        + changes["written"]
        + report.statuses
        + report.lineage_edges
        + report.deleted,
        "updated_records": changes["updated"],
        "warnings": 0,
        "errors": len(sink_failures),
        "filtered": 0,
    }
    for summary, failures in ((source, source_failures), (sink, sink_failures)):
        if failures:
            summary["failures"] = [_stack_trace_error(f) for f in failures[:MAX_REPORTED_FAILURES]]
    return [source, sink]


#: failure phases that belong to writing (see :func:`step_summaries`)
_SINK_PHASES = frozenset({"pipeline", "lineage", "cleanup"})


def _stack_trace_error(failure: Failure) -> StackTraceError:
    who = failure.name or failure.pipeline or failure.phase
    return {"name": who, "error": redact(failure.reason)}


def success_percent(summaries: list[StepSummary]) -> float:
    """The run's success %: the mean over steps of ``Status.calculate_success`` (openmetadata-ingestion).

    Per step: ``max(records + updated_records, 1) x 100 / (that + errors)``, rounded to 2 places
    (``metadata/ingestion/api/status.py``; averaged since open-metadata/OpenMetadata PR #18280).
    """
    per_step = []
    for summary in summaries:
        done = max(summary["records"] + summary["updated_records"], 1)
        per_step.append(round(done * 100 / (done + summary["errors"]), 2))
    return mean(per_step) if per_step else 100.0


def pipeline_state(report: RunReport, success_threshold: int) -> PipelineState:
    """How the run ended, as OpenMetadata's workflow judges it (``BaseWorkflow.execute``).

    ``success`` with no failure; ``failed`` when the run stopped early (a fatal error or an interrupt);
    otherwise ``partialSuccess`` when the success % (:func:`success_percent`) is at least
    ``workflowConfig.successThreshold``, else ``failed``.

    Args:
        report: the finished run's report.
        success_threshold: ``workflowConfig.successThreshold`` (0 to 100).
    """
    if report.ok:
        return "success"
    if report.fatal is not None or report.interrupted:
        return "failed"
    return "partialSuccess" if success_percent(step_summaries(report)) >= success_threshold else "failed"


class IngestionPipelineReporter:
    """Reports one run of a workflow to its ingestion pipeline; never raises.

    Call :meth:`start` before the run and :meth:`finish` after it. The first error (the server refuses a
    request, an endpoint is missing or down) logs one warning, is kept in :attr:`warning`, and turns
    reporting off for the rest of the run.
    """

    def __init__(
        self,
        client: OpenMetadataClient,
        config: WorkflowConfig,
        *,
        name: str,
        run_id: str,
        airflow: AirflowConfig | None = None,
    ) -> None:
        """A reporter for the ingestion pipeline ``name`` of the configured service.

        Args:
            client: the OpenMetadata client to report through (the caller closes it).
            config: the validated workflow config.
            name: the ingestion pipeline's name (the DAG id).
            run_id: this run's id (a UUID string).
            airflow: the DAG's settings, stored in the entity's ``airflowConfig``.
        """
        self.client = client
        self.config = config
        self.name = name
        self.run_id = run_id
        self.airflow = airflow
        self.service = config.source.service_name
        #: ``<service>.<name>``, OpenMetadata's FQN of the entity
        self.fqn = f"{quote_name(self.service)}.{quote_name(name)}"
        self.start_ms = int(time.time() * 1000)
        #: the one warning logged, if reporting failed
        self.warning: str | None = None
        self._ensured = False
        #: every status sent, in order (what the server was told)
        self.sent: list[IngestionPipelineStatus] = []

    def start(self) -> None:
        """Create or update the entity and report the run as ``running`` (skipped if the service is new)."""
        self.start_ms = int(time.time() * 1000)
        self._guarded("reporting the run as running", self._start)

    def finish(self, report: RunReport | None, state: PipelineState | None = None) -> None:
        """Report how the run ended, with the report's step summaries.

        Args:
            report: the run's report, or None when the run failed before it had one.
            state: the state to report; by default :func:`pipeline_state` of ``report`` (``failed``
                without a report).
        """
        self._guarded("reporting how the run ended", lambda: self._finish(report, state))

    # -- the steps ----------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._ensure():
            self._put_status(self._status("running"))

    def _finish(self, report: RunReport | None, state: PipelineState | None) -> None:
        if not self._ensure():
            raise IngestionError(f"the pipeline service {self.service} does not exist")
        threshold = self.config.workflow_config.success_threshold
        final = state or (pipeline_state(report, threshold) if report is not None else "failed")
        status = self._status(final)
        status["endDate"] = int(time.time() * 1000)
        if report is None:
            self._put_status(status)
            return
        status["status"] = step_summaries(report)
        try:
            self._put_status(status)
        except SinkRejectedError as err:
            # The step summaries (``status``) came with OpenMetadata 1.3 (open-metadata/OpenMetadata issue
            # #11857, "Ingestion Pipeline to store run status", closed 2023-12-20); an older server refuses
            # the key. The run's state still goes through without them.
            logger.debug("the server refused the run's step summaries (%s): reporting the state alone", err)
            del status["status"]
            self._put_status(status)

    def _ensure(self) -> bool:
        """Create or update the entity once; False when the service does not exist (yet)."""
        if self._ensured:
            return True
        service = self.client.get_optional(
            f"{_SERVICES}/name/{quote(self.service, safe='')}", "reading the pipeline service"
        )
        if service is None:
            logger.info(
                "the pipeline service %s does not exist yet: its run is reported when it ends", self.service
            )
            return False
        request = create_request(self.config, self.name, str(service["id"]), self.airflow)
        body = self.client.call(
            "PUT", _INGESTION_PIPELINES, f"creating the ingestion pipeline {self.fqn}", body=request
        )
        if isinstance(body, dict) and isinstance(body.get("fullyQualifiedName"), str):
            self.fqn = body["fullyQualifiedName"]
        self._ensured = True
        return True

    def _status(self, state: PipelineState) -> IngestionPipelineStatus:
        return {
            "runId": self.run_id,
            "pipelineState": state,
            "startDate": self.start_ms,
            "timestamp": self.start_ms,
        }

    def _put_status(self, status: IngestionPipelineStatus) -> None:
        path = f"{_INGESTION_PIPELINES}/{quote(self.fqn, safe='')}/pipelineStatus"
        self.client.call("PUT", path, f"reporting run {self.run_id} of {self.fqn}", body=status)
        self.sent.append(status)

    def _guarded(self, what: str, step: Callable[[], None]) -> None:
        """Run ``step`` unless reporting is off; its first error is one warning and turns reporting off."""
        if self.warning is not None:
            return
        try:
            step()
        except Exception as err:  # noqa: BLE001 -- reporting is best effort: no error of it may fail the ingestion
            message = getattr(err, "one_line", None)
            reason = message() if callable(message) else f"{type(err).__name__}: {err}"
            self.warning = redact(
                f"could not report this run to the ingestion pipeline {self.fqn} in OpenMetadata while "
                f"{what} ({reason}); the ingestion goes on, its runs are not shown in the Ingestions tab"
            )
            logger.warning("%s", self.warning)
