"""The ingestion run: list -> filter -> (per pipeline, overlapped) write pipeline + statuses -> lineage -> deletes.

Shape, and why:
- The job listing streams page by page on the calling thread; nothing holds the workspace in memory.
- Per-pipeline work (completing a >100-task job, owners, the pipeline PUT, the runs listing, the status
  PUT) is network-bound, so it runs in a bounded thread pool. At most ``2 x workers`` pipelines are in
  flight, and results are consumed in listing order, so the report is the same as a sequential run's.
- One pipeline failing (a rejected PUT, a runs listing that errors) is recorded and the run goes on.
  Credentials refused, a server gone, or a listing that breaks part-way stop the run. Which error does
  what where is one table, :data:`core.errors.FAILURE_POLICY`, read here through ``outcome_of``.
- The engine reads a :class:`core.source.JobSource` (and a :class:`core.source.LineageSource`), never a
  client: any source of jobs and runs plugs in.
- ``markDeletedPipelines`` runs only after a complete, uninterrupted listing: a truncated listing must
  never look like a smaller workspace.
- A rerun sends only what OpenMetadata does not hold yet: an unchanged pipeline (same ``sourceHash``) is
  not PUT, a status the stored latest status proves stored is not sent
  (:func:`core.mapping.status.already_stored`), and a lineage edge the target table's lookup shows held
  for the same pipeline is not sent. ``overrideMetadata`` sends everything again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

from core.config.models import WorkflowConfig
from core.databricks.records import JobRecord, RunRecord
from core.diff import changed_fields, unchanged_reason
from core.errors import IngestionError, ItemError, Outcome, Place, RunInterrupted, as_reported, outcome_of
from core.filters import filter_for
from core.lineage_phase import LineagePhase
from core.mapping import fingerprint
from core.mapping.pipeline import (
    TAG_CLASSIFICATION,
    dangling_dependencies,
    pipeline_request,
    tag_name,
)
from core.mapping.service import service_request
from core.mapping.status import already_stored, run_to_status, supports_run_detail
from core.openmetadata.fqn import pipeline_fqn
from core.openmetadata.payloads import CreatePipelineRequest, EntityReference, PipelineStatus
from core.openmetadata.versions import version_warning
from core.overlap import ordered_map
from core.report import Failure, PipelineOutcome, ProgressEvent, RunReport
from core.sinks.base import EntityRef, Sink
from core.source import JobSource, JobSummary, LineageSource, RestStatuses, StatusSource, StoredStatus

__all__ = ["DEFAULT_WORKERS", "IngestionEngine", "service_request"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_WORKERS = 16
#: ``on_event`` gets an "ingesting" event every 50 pipelines, and at least this often while they flow
_EVENT_EVERY_S = 0.5
DAY_MS = 86_400_000
#: the engine's progress phases -> the places of the failure policy ("ingesting" is the listing with
#: pipelines in flight: an error a pipeline did not absorb reaches the run from there)
_PLACES = {
    "starting": Place.SETUP,
    "connecting": Place.SETUP,
    "listing": Place.LISTING,
    "ingesting": Place.LISTING,
    "lineage": Place.LINEAGE,
    "cleanup": Place.CLEANUP,
}


@dataclass
class _Outcome:
    """What one pipeline's worker produced."""

    job: JobRecord
    ref: EntityRef | None = None
    error: IngestionError | None = None
    warnings: list[str] = field(default_factory=list)
    #: what the write did (``created``, ``would-update``...; None: nothing was written)
    change: str | None = None
    #: a would-change's fields (:func:`core.diff.changed_fields`) and, when none differs, why it is one
    fields: tuple[str, ...] = ()
    reason: str | None = None
    #: the fqn the pipeline has, or would have, in OpenMetadata
    fqn: str | None = None


#: a sink's answer -> the report's per-pipeline outcome (a file is written anew each run: created)
_OUTCOME_OF = {
    "created": "created",
    "updated": "updated",
    "unchanged": "unchanged",
    "written": "created",
    "would-create": "would-create",
    "would-update": "would-change",
}


class IngestionEngine:
    """One run of the ingestion. Create, then :meth:`run` once."""

    def __init__(
        self,
        config: WorkflowConfig,
        source: JobSource,
        sink: Sink,
        *,
        lineage: LineageSource | None = None,
        workers: int = DEFAULT_WORKERS,
        on_event: Callable[[ProgressEvent], None] | None = None,
        now_ms: int | None = None,
        dry_run: bool = False,
        statuses: StatusSource | None = None,
    ) -> None:
        """Prepare one run; nothing is read or written until :meth:`run`.

        Args:
            config: the validated workflow.
            source: where jobs, runs and DLT pipelines come from (see :class:`core.source.JobSource`).
            sink: where they go; a dry run's sink is a :class:`core.sinks.dryrun.DryRunSink`.
            lineage: where table lineage comes from, or None to skip it.
            workers: pipelines processed at once (at least 1; at most ``2 x workers`` in flight).
            on_event: called on the calling thread at each phase, and every 50 pipelines or 0.5 s while
                pipelines are written.
            now_ms: "now" in epoch milliseconds, for the status lookback window (tests pin it).
            dry_run: marks the report as a dry run (markDeletedPipelines is skipped).
            statuses: where each pipeline's runs come from (default: ``source``, job by job).
        """
        self.config = config
        self.options = config.source.options
        self.source = source
        self.sink = sink
        self.lineage = lineage
        self.statuses: StatusSource = statuses if statuses is not None else RestStatuses(source)
        self.workers = max(1, workers)
        self.on_event = on_event
        self.now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        self.name_filter = filter_for(config)
        self.report = RunReport(service=config.source.service_name, dry_run=dry_run)
        self._stop = threading.Event()
        self._tags_lock = threading.Lock()
        self._stopped_lock = threading.Lock()
        #: id(error) -> (error, job, whether its write was made) for an error one pipeline's work raised
        #: that stops the run
        self._stopped_by: dict[int, tuple[BaseException, JobRecord, bool]] = {}
        self._known_tags: set[str] = set()
        self._service: EntityRef | None = None
        #: the service's pipelines in the catalogue before this run (name -> ref with sourceHash)
        self._existing: dict[str, EntityRef] = {}
        #: listing order of each pipeline in flight (job or pipeline id -> its place), for the report
        self._order: dict[str, int] = {}
        self._order_lock = threading.Lock()
        self._listed_count = 0
        #: catalogued pipelines the filter dropped this run: id -> (name, kind, the filter's reason)
        self._filtered: dict[str, tuple[str, str, str]] = {}
        self._phase = "starting"
        self._processed = 0
        self._last_event = 0.0
        #: whether statuses carry endTime, executionId, parameters and error (OpenMetadata 1.13+)
        self._run_detail = True

    # -- control ------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the run to stop at the next pipeline boundary (thread-safe; from a signal handler too)."""
        self._stop.set()

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise RunInterrupted("the run was stopped")

    def _emit(self, phase: str, message: str | None = None) -> None:
        self._phase = phase
        if self.on_event is None:
            return
        self._last_event = time.monotonic()
        report = self.report
        self.on_event(
            ProgressEvent(
                phase=phase,
                listed=report.listed,
                processed=self._processed,
                kept=report.kept,
                failures=len(report.failures),
                elapsed_s=report.duration_s,
                message=message,
            )
        )

    # -- the run ------------------------------------------------------------------------------------

    def run(self) -> RunReport:
        """Do the whole ingestion and return the report; never raises.

        Per-pipeline failures are in ``report.failures``; a problem that stopped the run (credentials
        refused, a listing that broke part-way, an internal error) is also in ``report.fatal``, and an
        interruption sets ``report.interrupted``. In every case the report is complete enough to print.
        """
        report = self.report
        seen: set[str] = set()
        kept_ids: dict[str, EntityRef] = {}
        try:
            self._check_stop()  # stopped before it started (SIGTERM while connecting): write nothing
            report.target = self.sink.target()
            self._emit("connecting")
            report.server_version = self.sink.server_version()
            self._run_detail = supports_run_detail(report.server_version)
            if report.server_version is not None:
                unsupported = version_warning(report.server_version)
                if unsupported:
                    report.warn(unsupported)
            unused_path = self.config.http_path_warning()
            if unused_path:
                report.warn(unused_path)
            self._service = self.sink.ensure_service(service_request(self.config))
            self._load_existing()
            self._emit("listing")
            for outcome in self._ordered(self._process, self._kept_with_statuses(seen)):
                self._record(outcome, kept_ids)
            report.listing_complete = True
            for note in self.statuses.warnings():
                report.warn(note)
            if self.options.include_lineage:
                self._emit("lineage")
                self._lineage(kept_ids)
            self._emit("cleanup")
            self._mark_deleted(seen)
        except (Exception, KeyboardInterrupt) as err:  # noqa: BLE001 -- a bug too: a printed report, never a traceback
            self._end(err)
        finally:
            report.finished_at = time.time()
            self._emit("done")
        return report

    def _end(self, err: Exception | KeyboardInterrupt) -> None:
        """The run ends on ``err``: interrupted, or aborted (any error no place absorbed stops the run)."""
        report = self.report
        if outcome_of(err, _PLACES.get(self._phase, Place.SETUP)) is Outcome.INTERRUPTS:
            self._stop.set()
            report.interrupted = True
            report.delete_skipped = report.delete_skipped or "the run was interrupted"
            return
        if isinstance(err, IngestionError):
            report.fatal = err
        else:
            logger.debug("internal error in phase %s", self._phase, exc_info=True)
            report.fatal = ItemError(f"internal error while {self._phase}: {type(err).__name__}: {err}")
        stopped_by = self._stopped_by.get(id(err))
        if stopped_by is not None:  # raised by one pipeline's work: the failure names that pipeline
            _, job, written = stopped_by
            reason = report.fatal.one_line()
            failure = Failure(job.id, job.name, reason, phase="pipeline")
            # a write it made is already listed with its count; else its row says it failed
            report.settle(None if written else self._row(job, "failed", reason=reason), failure=failure)
        else:
            report.fail(None, None, report.fatal.one_line(), phase=self._phase)
        if not report.listing_complete:
            report.delete_skipped = "the listing did not complete"
        elif self.options.mark_deleted_pipelines and not report.dry_run:
            # stopped in lineage or cleanup: the deletes did not (all) happen, and the report says so
            report.delete_skipped = report.delete_skipped or f"the run stopped during {self._phase}"

    def _load_existing(self) -> None:
        """One paged listing of the service's pipelines (1 call per 1,000).

        The hashes let unchanged pipelines skip their PUT, and the names are what markDeletedPipelines
        compares against.
        """
        self._existing = {
            ref.name or "": ref
            for ref in self.sink.iter_service_pipelines(self.report.service, with_status=self._skip_statuses)
        }

    @property
    def _skip_statuses(self) -> bool:
        """Whether statuses OpenMetadata already holds are skipped (see :func:`already_stored`).

        ``overrideMetadata`` sends every status again, as it rewrites every pipeline: the way to backfill
        after raising ``statusLookbackDays`` (the rule assumes earlier runs read the same window).
        """
        return self.options.status_lookback_days > 0 and not self.options.override_metadata

    # -- listing and filtering ---------------------------------------------------------------------------

    def _kept_with_statuses(self, seen: set[str]) -> Iterator[JobSummary]:
        """The kept jobs, then the kept DLT pipelines.

        The jobs go through the status source's stream (it may read their runs in batches); the DLT
        pipelines' updates are read one by one. The jobs' stream ends with the job listing, so its last
        batch goes on before the DLT listing is even asked for.
        """
        jobs = self._kept_pipelines(seen, self.source.iter_job_summaries(with_tasks=True))
        yield from self.statuses.stream(jobs, self._since_ms(), self.now_ms, stop=self._stop)
        yield from self._kept_pipelines(seen, self.source.iter_dlt_pipelines())

    def _kept_pipelines(self, seen: set[str], listing: Iterator[JobSummary]) -> Iterator[JobSummary]:
        """The items of ``listing`` (jobs, or DLT pipelines) the filter keeps.

        ``seen`` collects what markDeletedPipelines must keep: every pipeline the filter keeps, and
        every item that could not be decoded (it exists in the workspace, we just cannot read it). As in
        OpenMetadata's own connector, a pipeline the filter now excludes is not seen, so an earlier copy
        of it in the catalogue is soft-deleted.
        """
        for summary in listing:
            self._check_stop()
            job = summary.record
            self.report.count("listed")
            self._listed_count += 1
            decision = self.name_filter.decide(job.name)
            if not decision.kept:
                self.report.filtered_out(job.name, decision.reason)
                if job.id in self._existing:  # a delete of it says which rule dropped it
                    self._filtered[job.id] = (job.name, job.kind, decision.reason)
                continue
            seen.add(job.id)
            with self._order_lock:
                self._order[job.id] = self._listed_count
            if summary.problem is not None:
                reason = summary.problem.one_line()
                failure = Failure(job.id, job.name if job.name != job.id else None, reason)
                self.report.settle(self._row(job, "failed", reason=reason), failure=failure)
                continue
            self.report.count("kept")
            yield summary

    def _ordered(self, work: Callable[[T], R], items: Iterator[T]) -> Iterator[R]:
        """``work`` over ``items`` on the run's pool (see :func:`core.overlap.ordered_map`)."""
        return ordered_map(work, items, workers=self.workers)

    # -- per pipeline (runs on a worker) -------------------------------------------------------------------

    def _process(self, summary: JobSummary) -> _Outcome:
        """One pipeline's work; its outcome is recorded here, on the worker, as its write is counted.

        Recording it where the write happens (not where the ordered results are consumed, which stops
        early on Stop or on an error) keeps the per-pipeline list and the counters equal however the run
        ends; the report sorts the list into listing order.
        """
        outcome = _Outcome(summary.record)
        if self._stop.is_set():
            self._settle(outcome)  # stopped before its work: not touched
            return outcome
        try:
            self._write(summary, outcome)
        except Exception as err:
            if outcome_of(err, Place.PIPELINE) is not Outcome.COSTS_ONE:
                with self._stopped_lock:  # the report names the pipeline whose work stopped the run
                    self._stopped_by[id(err)] = (err, outcome.job, outcome.change is not None)
                if outcome.change is not None:  # what it wrote before is counted and listed
                    self._settle(outcome)
                raise  # e.g. credentials refused: every other pipeline would fail the same way
            if not isinstance(err, IngestionError):  # a bug costs one pipeline; the report names it
                logger.exception("unexpected error on %s %s", outcome.job.kind, outcome.job.id)
            outcome.error = as_reported(err)
        self._settle(outcome)
        return outcome

    def _write(self, summary: JobSummary, outcome: _Outcome) -> None:
        """Complete the job, write the pipeline (or say what would change) and its statuses into ``outcome``."""
        job = summary.record
        if not summary.complete:
            full = self.source.get_job(job.id)
            if full is None:
                outcome.warnings.append(
                    f"job {job.id} ({job.name}) was deleted while it was being read; skipped"
                )
                return
            job = outcome.job = full
        outcome.warnings.extend(job.warnings)
        outcome.warnings.extend(dangling_dependencies(job))
        request = self._request(job)
        known = self._existing.get(job.id)
        stored_request, stored_lineage = fingerprint.split(known.source_hash if known else None)
        request_part = fingerprint.request_fingerprint(request)
        # the lineage part stays as stored: the lineage phase changes it once it has checked the edges
        request["sourceHash"] = fingerprint.compose(request_part, stored_lineage)
        outcome.fqn = known.fqn if known is not None else None  # a failed create has none
        if known is not None and stored_request == request_part and not self.options.override_metadata:
            ref, change = known, "unchanged"  # the server holds exactly this: no PUT needed
        else:
            ref, change = self.sink.put_pipeline(request)  # a dry run's sink: would-create/-update
        outcome.ref = replace(ref, source_hash=request["sourceHash"])
        outcome.change, outcome.fqn = change, ref.fqn or pipeline_fqn(request)
        if change == "would-update" and known is not None:
            self._diff(outcome, request, known.fqn, same=stored_request == request_part)
        if self.options.status_lookback_days > 0:
            stored = known.latest_status if known is not None and self._skip_statuses else None
            self._statuses(job, ref, outcome.warnings, stored, unchanged=change == "unchanged")

    def _diff(self, outcome: _Outcome, request: CreatePipelineRequest, fqn: str, *, same: bool) -> None:
        """A would-change's fields: the request against the pipeline OpenMetadata holds (one GET).

        Only pipelines whose fingerprint differs are read, so an unchanged rerun costs no extra call;
        ``same``: the fingerprint is the stored one (only overrideMetadata sends it again): nothing is read.
        """
        if same:
            outcome.reason = "overrideMetadata sends every pipeline again; its fingerprint is unchanged"
            return
        stored = self.sink.stored_pipeline(fqn)
        if stored is None:
            outcome.reason = "OpenMetadata did not return the stored pipeline to compare with"
            return
        outcome.fields = tuple(changed_fields(request, stored))
        if not outcome.fields:
            outcome.reason = unchanged_reason(stored)

    def _place(self, job_id: str) -> int:
        """The pipeline's place in the listing, taken once (its row is recorded once)."""
        with self._order_lock:
            return self._order.pop(job_id, self._listed_count)

    def _row(
        self,
        job: JobRecord,
        outcome: str,
        *,
        fqn: str | None = None,
        fields: tuple[str, ...] = (),
        reason: str | None = None,
        order: int | None = None,
    ) -> PipelineOutcome:
        """One pipeline's row in the report, at its place in the listing."""
        return PipelineOutcome(
            pipeline=job.id,
            name=job.name,
            kind=job.kind,
            fqn=fqn,
            outcome=outcome,
            fields=fields,
            reason=reason,
            order=order if order is not None else self._place(job.id),
        )

    def _settle(self, outcome: _Outcome) -> None:
        """Count what one pipeline's work wrote and list its row, in one step (:meth:`RunReport.settle`).

        A write is listed with what it did; a failure after it (its statuses) is in its reason and in the
        failures. Work that wrote nothing and failed is a ``failed`` row; work that never started
        (stopped, or the job was deleted while read) is not listed.
        """
        job = outcome.job
        order = self._place(job.id)
        failed = outcome.error.one_line() if outcome.error is not None else None
        failure = Failure(job.id, job.name, failed) if failed is not None else None
        if outcome.change is None:
            if failure is not None:
                row = self._row(job, "failed", fqn=outcome.fqn, reason=failed, order=order)
                self.report.settle(row, failure=failure)
            return
        reason = outcome.reason
        if failed is not None:
            reason = f"{reason}; then failed: {failed}" if reason else f"then failed: {failed}"
        kind = _OUTCOME_OF.get(outcome.change, outcome.change)
        row = self._row(job, kind, fqn=outcome.fqn, fields=outcome.fields, reason=reason, order=order)
        self.report.settle(row, change=outcome.change, failure=failure)

    def _request(self, job: JobRecord) -> CreatePipelineRequest:
        urls = (
            (self.source.dlt_url, None) if job.kind == "dlt" else (self.source.job_url, self.source.task_url)
        )
        owners = self._owners(job)
        if self.options.include_tags and job.tags:
            self._ensure_tags(job.tags)
        return pipeline_request(
            job,
            self.config.source.service_name,
            job_url=urls[0],
            task_url=urls[1] or (lambda _job, _task: ""),
            include_tags=self.options.include_tags,
            owners=owners,
        )

    def _owners(self, job: JobRecord) -> list[EntityReference] | None:
        if not self.options.include_owners or not job.creator or "@" not in job.creator:
            return None
        user = self.sink.find_user(job.creator)
        if user is None:
            return None
        self.report.count("owners")
        return [{"id": user.id, "type": "user"}]

    def _ensure_tags(self, tags: dict[str, str]) -> None:
        names = {tag_name(key, value) for key, value in tags.items()}
        with self._tags_lock:
            missing = {name: f"Databricks job tag {name}" for name in names if name not in self._known_tags}
            if missing:
                self.sink.ensure_tags(TAG_CLASSIFICATION, "Tags of Databricks jobs (key:value).", missing)
                self._known_tags.update(missing)
                self.report.count("tags", len(missing))

    def _since_ms(self) -> int:
        """The start of the status lookback window (epoch ms)."""
        return self.now_ms - self.options.status_lookback_days * DAY_MS

    def _statuses(
        self,
        job: JobRecord,
        ref: EntityRef,
        warnings: list[str],
        stored: PipelineStatus | None,
        unchanged: bool,
    ) -> None:
        """Map the pipeline's runs in the lookback window and write those OpenMetadata does not hold yet.

        ``stored`` is the pipeline's stored latest status (None: nothing is skipped). Statuses are
        written oldest first, so a status stored at ``t`` means every older one was written too: a run
        that started and ended before ``t`` is neither mapped nor reported again, and the source may give
        it without its REST-only detail. If the status at ``t`` turns out not to be this mapping's
        (:func:`_trusted`), every run is sent again, read in full. ``unchanged``: the pipeline is as
        stored; when it changed (a task removed changes what a status may name), the source is not told
        what is stored, so the run at ``t`` is read in full and judged by this mapping.
        """
        since = self._since_ms()
        mark = _stored_mark(stored)
        if stored is None or mark is None:
            self._send(ref, self._mapped_runs(job, self.statuses.runs(job, since, warnings), warnings), None)
            return
        said: list[str] = []  # the source's problems and the mapping's warnings, in the order they came
        ended: list[RunRecord] = []
        told = mark if unchanged else None
        runs = _set_apart(self.statuses.runs(job, since, said, told), mark.timestamp_ms, ended)
        fresh = self._mapped_runs(job, runs, said)
        if _trusted(fresh, stored):
            warnings.extend(said)
            # one status per start time (OpenMetadata keys them so): a duplicate was never sent either
            already = {run.start_ms for run in ended} - {run.start_ms for run, _ in fresh}
            self._send(ref, fresh, stored, already=len(already))
            return
        # written by another tool or an earlier mapping: send the whole window again
        if any(run.detail_omitted for run in ended):
            self._send(ref, self._mapped_runs(job, self.statuses.runs(job, since, warnings), warnings), None)
            return
        warnings.extend(said)
        self._send(ref, fresh + self._mapped_runs(job, ended, warnings), None)

    def _send(
        self,
        ref: EntityRef,
        mapped_runs: list[tuple[RunRecord, PipelineStatus]],
        stored: PipelineStatus | None,
        already: int = 0,
    ) -> None:
        """Write the statuses ``stored`` does not prove stored, oldest first; ``already`` were set apart."""
        bodies = [
            body
            for run, body in mapped_runs
            if not (run.detail_omitted and stored is not None) and not already_stored(run, body, stored)
        ]
        bodies.sort(key=lambda body: body["timestamp"])
        self.report.count("statuses_skipped", already + len(mapped_runs) - len(bodies))
        self.report.count("statuses", self.sink.put_statuses(ref.fqn, bodies))

    def _mapped_runs(
        self, job: JobRecord, runs: Iterable[RunRecord], warnings: list[str]
    ) -> list[tuple[RunRecord, PipelineStatus]]:
        """Each run with its status body; duplicates by start time and trimmed tasks become warnings."""
        task_names = {task.key for task in job.tasks}
        mapped_runs: list[tuple[RunRecord, PipelineStatus]] = []
        timestamps: set[int] = set()
        trimmed: set[str] = set()
        for run in runs:
            warnings.extend(f"job {job.id}: {warning}" for warning in run.warnings)
            if run.start_ms in timestamps:  # OpenMetadata keys statuses by timestamp (#30459)
                warnings.append(
                    f"job {job.id}: run {run.run_id} starts at the same millisecond as another; kept one"
                )
                continue
            timestamps.add(run.start_ms)
            mapped = run_to_status(run, task_names, dlt=job.kind == "dlt", detail=self._run_detail)
            trimmed.update(mapped.trimmed_tasks)
            warnings.extend(f"job {job.id}: {state}" for state in mapped.unknown_states)
            mapped_runs.append((run, mapped.body))
        if trimmed:
            warnings.append(
                f"job {job.id} ({job.name}): runs mention tasks the job no longer has "
                f"({', '.join(sorted(trimmed))}); those task statuses were left out"
            )
        return mapped_runs

    def _record(self, outcome: _Outcome, kept_ids: dict[str, EntityRef]) -> None:
        """Consume one pipeline's result in listing order: its warnings, its ref for lineage, progress.

        Its row and counts were recorded by its worker (:meth:`_settle`).
        """
        self._processed += 1
        for warning in outcome.warnings:  # recorded here, in listing order, not from the workers
            self.report.warn(warning)
        if outcome.ref is not None:
            kept_ids[outcome.job.id] = outcome.ref
        if self._processed % 50 == 0 or time.monotonic() - self._last_event >= _EVENT_EVERY_S:
            self._emit("ingesting")

    # -- lineage ------------------------------------------------------------------------------------

    def _lineage(self, kept: dict[str, EntityRef]) -> None:
        """The lineage phase over the pipelines this run kept (see :class:`core.lineage_phase.LineagePhase`)."""
        LineagePhase(
            config=self.config,
            sink=self.sink,
            report=self.report,
            lineage=self.lineage,
            ordered=self._ordered,
            stop=self._stop,
            now_ms=self.now_ms,
        ).run(kept)

    # -- deletes ------------------------------------------------------------------------------------

    def _mark_deleted(self, seen: set[str]) -> None:
        """Soft-delete the service's pipelines this run did not keep (a dry run: says which it would).

        Only after a complete, uninterrupted listing, and only with markDeletedPipelines; each delete's
        outcome says why: gone from the workspace, or filtered out by which rule.
        """
        report = self.report
        if not self.options.mark_deleted_pipelines:
            if report.dry_run:
                report.delete_skipped = "markDeletedPipelines is off"
            return
        if not report.listing_complete or self._stop.is_set():
            report.delete_skipped = "the listing did not complete"
            return
        if report.dry_run:  # nothing was written: the listing at the start is still the catalogue
            for ref in self._existing.values():
                if (ref.name or "") not in seen:
                    self._deleted(ref, "would-delete", counter="would_delete")
            return
        stale = [
            ref for ref in self.sink.iter_service_pipelines(report.service) if (ref.name or "") not in seen
        ]
        for ref in stale:
            self._check_stop()
            self._soft_delete(ref)

    def _soft_delete(self, ref: EntityRef) -> None:
        """Soft-delete one pipeline; a failure that costs only it is recorded with its row."""
        try:
            self.sink.soft_delete_pipeline(ref)
        except Exception as err:
            if outcome_of(err, Place.DELETE) is not Outcome.COSTS_ONE:
                raise
            self._deleted(ref, "failed", as_reported(err).one_line())
        else:
            self._deleted(ref, "deleted", counter="deleted")

    def _deleted(
        self, ref: EntityRef, outcome: str, failure: str | None = None, *, counter: str | None = None
    ) -> None:
        """Record a (would-be) delete with its count or failure, with why: filtered out, or gone from the workspace."""
        pipeline_id = ref.name or ""
        filtered = self._filtered.get(pipeline_id)
        if filtered is not None:
            name, kind, why = filtered[0], filtered[1], f"filtered out: {filtered[2]}"
        else:
            name = ref.display_name or pipeline_id
            kind = "job" if pipeline_id.isdigit() else "dlt"  # job ids are numbers, DLT pipeline ids UUIDs
            why = "gone from the workspace"
        row = PipelineOutcome(
            pipeline=pipeline_id,
            name=name,
            kind=kind,
            fqn=ref.fqn,
            outcome=outcome,
            reason=f"{why}; the delete failed: {failure}" if failure else why,
            order=self._listed_count + 1,
        )
        failed = Failure(ref.name, None, failure, phase="cleanup") if failure else None
        self.report.settle(row, counter=counter, failure=failed)


def _stored_mark(stored: PipelineStatus | None) -> StoredStatus | None:
    """What the status source may know of the stored latest status (None without a numeric timestamp)."""
    if stored is None:
        return None
    latest, end = stored.get("timestamp"), stored.get("endTime")
    if not isinstance(latest, int) or isinstance(latest, bool):
        return None
    end_ms = end if isinstance(end, int) and not isinstance(end, bool) else None
    return StoredStatus(latest, end_ms, stored.get("executionStatus") != "Pending")


def _set_apart(runs: Iterable[RunRecord], stored_ms: int, ended: list[RunRecord]) -> Iterator[RunRecord]:
    """``runs`` without those that started and ended before ``stored_ms``, which go to ``ended``.

    Those are stored in their final state (see :func:`core.mapping.status.already_stored`).
    """
    for run in runs:
        if run.start_ms < stored_ms and run.end_ms is not None and run.end_ms < stored_ms:
            ended.append(run)
        else:
            yield run


def _trusted(mapped_runs: list[tuple[RunRecord, PipelineStatus]], stored: PipelineStatus) -> bool:
    """Whether the stored statuses look written by this mapping, so older ones may be skipped.

    A stored latest status that had finished (not Pending) but differs from what its run maps to now was
    written by another tool or an earlier mapping (or the run was repaired since): its older neighbours
    may differ too, so none is skipped and the rerun rewrites the window.
    """
    if stored.get("executionStatus") == "Pending":
        return True
    for run, body in mapped_runs:
        if run.start_ms == stored.get("timestamp"):
            # detail_omitted: the source vouched it is the stored run, final and ending as stored
            return run.detail_omitted or already_stored(run, body, stored)
    return True
