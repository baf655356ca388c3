"""``Workflow``: the entry point with the shape of OpenMetadata's documented API.

    workflow = Workflow.create(yaml.safe_load(text))
    workflow.execute()
    workflow.raise_from_status()
    workflow.print_status()
    workflow.stop()

so a DAG written for ``metadata.workflow.metadata.MetadataWorkflow`` runs this engine by changing the import.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any

from core.config import WorkflowConfig, parse_workflow_config
from core.databricks.client import build_workspace_client
from core.databricks.lineage import LineageReader
from core.databricks.source import DatabricksSource
from core.engine import DEFAULT_WORKERS, IngestionEngine
from core.errors import ConfigError, ConnectionCheckError, IngestionError, WorkflowExecutionError
from core.filters import filter_for
from core.report import ProgressEvent, RunReport
from core.secrets import install_log_redaction
from core.sinks import Sink, create_sink

__all__ = ["Workflow", "WorkflowExecutionError"]

logger = logging.getLogger(__name__)


class Workflow:
    """One configured ingestion. Build with :meth:`create`."""

    def __init__(
        self,
        config: WorkflowConfig,
        *,
        workers: int | None = None,
        dry_run: bool = False,
        on_event: Callable[[ProgressEvent], None] | None = None,
        log_level: str | None = None,
    ) -> None:
        """See :meth:`create`; ``log_level`` overrides ``workflowConfig.loggerLevel`` (DEBUG ... ERROR)."""
        self.config = config
        self.workers = workers or _configured_workers(config)
        self.dry_run = dry_run
        self.on_event = on_event
        self.report: RunReport | None = None
        self._engine: IngestionEngine | None = None
        self._sink: Sink | None = None
        self._stop_requested = False  # stop() may come before execute() has built the engine
        # Compile the filter now so an invalid regex fails at create(), not half-way through a run.
        filter_for(config)
        configure_logging(log_level or config.workflow_config.logger_level)

    @classmethod
    def create(cls, config: Mapping[str, Any] | WorkflowConfig, **kwargs: Any) -> Workflow:
        """Validate a workflow config (the parsed YAML) and return a ready workflow.

        Raises:
            ConfigError: with the dotted path of the first invalid field.
        """
        parsed = config if isinstance(config, WorkflowConfig) else parse_workflow_config(config)
        return cls(parsed, **kwargs)

    def execute(self) -> RunReport:
        """Run the ingestion. Failures are recorded in the report, not raised (see raise_from_status)."""
        connection = self.config.source.connection
        _preflight(self.config)
        client = build_workspace_client(connection, pool_size=max(4, self.workers * 2))
        source = DatabricksSource(client)
        lineage = None
        if self.config.source.options.include_lineage and connection.warehouse_id:
            lineage = LineageReader(
                client,
                connection.warehouse_id,
                lookback_days=connection.lineage_look_back_days,
                wait_budget_s=max(60.0, float(connection.connection_timeout) * 5),
            )
        self._sink = create_sink(self.config, workers=self.workers, dry_run=self.dry_run)
        self._engine = IngestionEngine(
            self.config,
            source,
            self._sink,
            lineage=lineage,
            workers=self.workers,
            on_event=self.on_event,
            dry_run=self.dry_run,
        )
        if self._stop_requested:  # SIGTERM arrived while the clients were being built
            self._engine.stop()
        try:
            self.report = self._engine.run()
        finally:
            self._sink.close()
        logger.info("ingestion finished: %s", self.report.summary_line())
        return self.report

    def stop(self) -> None:
        """Stop a running ingestion at the next pipeline boundary and release connections.

        Called before the run has started its engine (a SIGTERM while connecting), the run stops at
        its first boundary instead of going ahead.
        """
        self._stop_requested = True
        if self._engine is not None:
            self._engine.stop()
        if self._sink is not None:
            self._sink.close()

    def result_status(self) -> int:
        """0 when the run succeeded, 1 when it had failures or was interrupted (OpenMetadata's convention)."""
        return 0 if self.report is not None and self.report.ok else 1

    def raise_from_status(self, raise_warnings: bool = False) -> None:
        """Raise when the run failed (or, with ``raise_warnings``, when it had warnings)."""
        report = self.report
        if report is None:
            raise WorkflowExecutionError("the workflow has not been executed")
        if report.failures or report.interrupted:
            first = report.failures[0].reason if report.failures else "interrupted"
            raise WorkflowExecutionError(f"{len(report.failures)} failure(s); first: {first}")
        if raise_warnings and report.warning_count:
            raise WorkflowExecutionError(f"{report.warning_count} warning(s); first: {report.warnings[0]}")

    def print_status(self, stream: IO[str] | None = None) -> None:
        """Print the run summary."""
        out = stream or sys.stdout
        if self.report is None:
            print("The workflow has not been executed.", file=out)
            return
        print(self.report.render(), file=out)


def _configured_workers(config: WorkflowConfig) -> int:
    """``workflowConfig.config.workers``: a whole number of at least 1 (digits in quotes are fine).

    Raises:
        ConfigError: naming the field, for anything else (``0``, ``-2``, ``"many"``, ``1.5``).
    """
    raw = config.workflow_config.config.get("workers", DEFAULT_WORKERS)
    value = int(raw) if isinstance(raw, str) and raw.strip().isdigit() else raw
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"must be a whole number of at least 1, got {raw!r}",
            field="workflowConfig.config.workers",
            hint=f"Set the number of pipelines processed in parallel, e.g. workers: {DEFAULT_WORKERS}",
        )
    return value


def _preflight(config: WorkflowConfig) -> None:
    """Fail in seconds, with the field to fix, when a server cannot even be reached.

    Without this, databricks-sdk's constructor retries an unreachable host for its whole retry budget.
    """
    from core.checks import check_tcp

    timeout = min(10.0, float(config.source.connection.connection_timeout))
    try:
        check_tcp(config.source.connection.base_url, timeout, "source.serviceConnection.config.hostPort")
        if config.server is not None:
            check_tcp(config.server.host_port, timeout, "workflowConfig.openMetadataServerConfig.hostPort")
    except IngestionError as err:
        raise ConnectionCheckError(err.message, field=err.field, hint=err.hint) from None


def configure_logging(level: str) -> None:
    """Log lines of ``level`` and above (DEBUG, INFO, WARN, WARNING, ERROR) from the engine and its SDK.

    A process that already configured logging (Airflow, a notebook) keeps its handlers; only levels are
    set. Secrets are scrubbed from every record.
    """
    numeric = getattr(logging, "WARNING" if level == "WARN" else level, logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("core").setLevel(numeric)
    install_log_redaction()
