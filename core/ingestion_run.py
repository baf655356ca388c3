"""One ingestion run as an Airflow task runs it: the workflow, reported to OpenMetadata's Ingestions tab.

    from core.ingestion_run import run_ingestion

    result = run_ingestion("workflow.yaml", ingestion_pipeline="databricks_pipelines_to_openmetadata")

loads the workflow YAML, creates or updates the service's ingestion pipeline (named after the DAG) and
reports the run ``running``, runs :class:`~core.workflow.Workflow`, reports how it ended (``success``,
``partialSuccess`` or ``failed``, with the run's step summaries), prints the report, and raises
:class:`~core.errors.WorkflowExecutionError` when the run failed, which fails the Airflow task. Reporting
is what OpenMetadata's own managed DAGs do (see :mod:`core.openmetadata.ingestion_pipeline`); it is on by
default, ``report=False`` turns it off, and it never fails the ingestion: a reporting error is one warning.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from core.config import WorkflowConfig, load_workflow_config, parse_workflow_config
from core.openmetadata.client import OpenMetadataClient
from core.openmetadata.fqn import quote_name
from core.openmetadata.ingestion_pipeline import (
    REPORT_RETRIES,
    REPORT_TIMEOUT_S,
    AirflowConfig,
    IngestionPipelineReporter,
    airflow_run_id,
)
from core.workflow import Workflow, WorkflowExecutionError

__all__ = ["WorkflowExecutionError", "run_ingestion"]

logger = logging.getLogger(__name__)


def run_ingestion(
    config: str | os.PathLike[str] | Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    ingestion_pipeline: str | None = None,
    run_id: str | None = None,
    report: bool = True,
    airflow: AirflowConfig | None = None,
    stream: IO[str] | None = None,
) -> dict[str, Any]:
    """Run one ingestion and report it to the service's ingestion pipeline in OpenMetadata.

    Args:
        config: the workflow YAML's path, or the parsed YAML.
        environ: where ``${NAME}`` references in the YAML are resolved, and the Airflow task's
            ``AIRFLOW_CTX_*`` variables are read (``os.environ`` when None).
        ingestion_pipeline: the ingestion pipeline's name (the DAG id). By default the last part of the
            YAML's ``ingestionPipelineFQN``, else the DAG id Airflow puts in the task's environment
            (``AIRFLOW_CTX_DAG_ID``); with none of them the run is not reported.
        run_id: the run's id (a UUID). By default the YAML's ``pipelineRunId``, else one derived from the
            Airflow task try (:func:`~core.openmetadata.ingestion_pipeline.airflow_run_id`), else a new one.
        report: False turns reporting off.
        airflow: the DAG's settings, stored in the ingestion pipeline's ``airflowConfig``.
        stream: where the report is printed (stdout when None).

    Returns:
        The run's report as JSON (:meth:`core.report.RunReport.as_dict`), with ``ingestionPipeline``:
        its FQN, the run id and the states reported (None when the run was not reported).

    Raises:
        ConfigError: the YAML is invalid (nothing ran, nothing was reported).
        WorkflowExecutionError: the run had failures or was interrupted (reported before it is raised).
        IngestionError: the run could not start (a server unreachable, credentials refused); reported
            ``failed`` when OpenMetadata can be told.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    parsed = _load(config, env)
    workflow = Workflow.create(parsed)
    reporter, client = (None, None)
    if report:
        reporter, client = _reporter(parsed, env, ingestion_pipeline, run_id, airflow)
    try:
        return _run(workflow, reporter, stream)
    finally:
        workflow.stop()
        if client is not None:
            client.close()


def _load(config: str | os.PathLike[str] | Mapping[str, Any], environ: Mapping[str, str]) -> WorkflowConfig:
    if isinstance(config, Mapping):
        return parse_workflow_config(config, environ)
    return load_workflow_config(Path(config), environ)


def _run(
    workflow: Workflow, reporter: IngestionPipelineReporter | None, stream: IO[str] | None
) -> dict[str, Any]:
    """Report running, execute, report the end, print; raise when the run failed."""
    if reporter is not None:
        reporter.start()
    try:
        run_report = workflow.execute()
    except BaseException:  # a run that could not start, or was stopped while starting: still report it
        if reporter is not None:
            reporter.finish(workflow.report, "failed")
        raise
    if reporter is not None:
        reporter.finish(run_report)
        if reporter.warning is not None:
            run_report.warn(reporter.warning)
    workflow.print_status(stream)
    result = run_report.as_dict()
    result["ingestionPipeline"] = (
        {
            "fqn": reporter.fqn,
            "runId": reporter.run_id,
            "states": [status["pipelineState"] for status in reporter.sent],
        }
        if reporter is not None
        else None
    )
    workflow.raise_from_status()
    return result


def _reporter(
    config: WorkflowConfig,
    environ: Mapping[str, str],
    name: str | None,
    run_id: str | None,
    airflow: AirflowConfig | None,
) -> tuple[IngestionPipelineReporter | None, OpenMetadataClient | None]:
    """The run's reporter and its client, or (None, None) when there is nothing to report to."""
    server = config.server
    if config.sink.type != "metadata-rest" or server is None:
        logger.info("the run is not reported to OpenMetadata: the sink is %s", config.sink.type)
        return None, None
    service = config.source.service_name
    name = name or _name_from_fqn(config.ingestion_pipeline_fqn, service) or environ.get("AIRFLOW_CTX_DAG_ID")
    if not name:
        logger.info("the run is not reported to OpenMetadata: no ingestion pipeline name (the DAG id) given")
        return None, None
    run = run_id or config.pipeline_run_id or airflow_run_id(environ, service) or str(uuid.uuid4())
    client = OpenMetadataClient(server, pool_size=1, timeout_s=REPORT_TIMEOUT_S, retries=REPORT_RETRIES)
    return IngestionPipelineReporter(client, config, name=name, run_id=run, airflow=airflow), client


def _name_from_fqn(fqn: str | None, service: str) -> str | None:
    """The name part of ``ingestionPipelineFQN`` (``<service>.<name>``), or the whole value without the prefix."""
    if not fqn:
        return None
    prefix = f"{quote_name(service)}."
    name = fqn[len(prefix) :] if fqn.startswith(prefix) else fqn
    return name[1:-1] if len(name) > 1 and name[0] == name[-1] == '"' else name
