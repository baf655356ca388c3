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
from core.engine import DEFAULT_WORKERS, IngestionEngine
from core.errors import ConfigError, WorkflowExecutionError
from core.factory import create_source, create_statuses, preflight
from core.filters import filter_for
from core.report import ProgressEvent, RunReport
from core.secrets import install_log_redaction
from core.sinks import Sink, create_sink
from core.source import JobSource, LineageSource

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
        source: JobSource | None = None,
        lineage: LineageSource | None = None,
        sink: Sink | None = None,
    ) -> None:
        """See :meth:`create`; ``log_level`` overrides ``workflowConfig.loggerLevel`` (DEBUG ... ERROR)."""
        self.config = config
        self.workers = workers or _configured_workers(config)
        self.dry_run = dry_run
        self.on_event = on_event
        self.report: RunReport | None = None
        self._engine: IngestionEngine | None = None
        self._given_source = source
        self._given_lineage = lineage
        self._given_sink = sink
        self._sink: Sink | None = None
        self._stop_requested = False  # stop() may come before execute() has built the engine
        # Compile the filter now so an invalid regex fails at create(), not half-way through a run.
        filter_for(config)
        configure_logging(log_level or config.workflow_config.logger_level)

    @classmethod
    def create(cls, config: Mapping[str, Any] | WorkflowConfig, **kwargs: Any) -> Workflow:
        """Validate a workflow config (the parsed YAML) and return a ready workflow.

        Args:
            config: the parsed YAML (OpenMetadata's workflow format), or an already validated config.
            **kwargs: ``workers`` (parallel pipelines; default ``workflowConfig.config.workers``, else 16),
                ``dry_run``, ``on_event`` (progress callback), ``log_level``, and the run's ends:
                ``source`` (a :class:`core.source.JobSource`), ``lineage`` (a
                :class:`core.source.LineageSource`, read only with ``source``) and ``sink`` (a
                :class:`core.sinks.Sink`). What is not given is built from the config when the run
                starts (:func:`core.factory.create_source`, :func:`core.sinks.create_sink`); what is given
                is the caller's to close.

        Raises:
            ConfigError: with the dotted path of the first invalid field.
        """
        parsed = config if isinstance(config, WorkflowConfig) else parse_workflow_config(config)
        return cls(parsed, **kwargs)

    def execute(self) -> RunReport:
        """Run the ingestion. Failures are recorded in the report, not raised (see raise_from_status).

        Raises:
            ConnectionCheckError: a server to be built from the config cannot be reached (nothing ran).
            SourceError: the workspace client refused the settings before the run started.
        """
        source, lineage, sink = self._given_source, self._given_lineage, self._given_sink
        if source is None or sink is None:  # both hosts are checked before anything is built
            preflight(self.config, source=source is None, sink=sink is None)
        statuses, note = None, None
        if source is None:
            built = create_source(self.config, workers=self.workers, preflight_check=False)
            source, lineage = built.source, built.lineage
            statuses, note = create_statuses(self.config, built)
        self._sink = sink or create_sink(self.config, workers=self.workers, dry_run=self.dry_run)
        self._engine = IngestionEngine(
            self.config,
            source,
            self._sink,
            lineage=lineage,
            workers=self.workers,
            on_event=self.on_event,
            dry_run=self.dry_run,
            statuses=statuses,
        )
        if note:
            self._engine.report.warn(note)
        if self._stop_requested:  # SIGTERM arrived while the clients were being built
            self._engine.stop()
        try:
            self.report = self._engine.run()
        finally:
            if self._given_sink is None:
                self._sink.close()
        logger.info("ingestion finished: %s", self.report.summary_line())
        return self.report

    @property
    def live_report(self) -> RunReport | None:
        """The report as it fills while :meth:`execute` runs (the object it returns); None before the engine is built.

        Read from another thread (the wizard checkpoints a run's progress from one), it is a snapshot in the
        making: its counters and per-pipeline list agree (:meth:`RunReport.settle`), later writes are missing.
        """
        return self._engine.report if self._engine is not None else self.report

    def stop(self) -> None:
        """Stop a running ingestion at the next pipeline boundary and release connections.

        Called before the run has started its engine (a SIGTERM while connecting), the run stops at
        its first boundary instead of going ahead.
        """
        self._stop_requested = True
        if self._engine is not None:
            self._engine.stop()
        if self._sink is not None and self._given_sink is None:
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
