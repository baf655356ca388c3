"""The run's lineage phase: table-to-table edges of the kept pipelines, written once each.

The edges come from a :class:`~core.source.LineageSource`, grouped per pipeline. A pipeline whose edge set
is the one its stored ``sourceHash`` vouches for costs nothing (:mod:`core.mapping.fingerprint`); for the
others both tables are looked up in the catalogue (cached by the sink), an edge OpenMetadata already
holds for the same pipeline is not sent again, and the pipelines overlap on the run's pool. What a failure costs is
:data:`core.errors.FAILURE_POLICY`'s ``lineage`` and ``edge`` columns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from core.config.models import WorkflowConfig
from core.errors import Outcome, Place, RunInterrupted, as_reported, outcome_of
from core.mapping import fingerprint
from core.report import RunReport
from core.sinks.base import EntityRef, Sink
from core.source import LineageEdge, LineageSource

__all__ = ["LineagePhase"]


class LineagePhase:
    """One run's lineage phase; build it with the engine's parts, then :meth:`run` once."""

    def __init__(
        self,
        *,
        config: WorkflowConfig,
        sink: Sink,
        report: RunReport,
        lineage: LineageSource | None,
        ordered: Callable[[Callable[[Any], Any], Iterator[Any]], Iterator[Any]],
        stop: threading.Event,
        now_ms: int,
    ) -> None:
        """Share the engine's sink, report, pool and stop flag.

        Args:
            config: the validated workflow (``httpPath``, the lineage options).
            sink: where edges go and tables are looked up.
            report: the run's report (counts, warnings, failures).
            lineage: where edges come from, or None when lineage is not read.
            ordered: the engine's bounded, in-order map over its worker pool.
            stop: set when the run is asked to stop.
            now_ms: the run's "now" (epoch ms): which pipelines are due for a check of their edges.
        """
        self.config = config
        self.options = config.source.options
        self.sink = sink
        self.report = report
        self.lineage = lineage
        self.ordered = ordered
        self.stop = stop
        self.now_ms = now_ms
        #: whether the lineage source gave every edge (a source that broke part-way stores no fingerprint)
        self._complete_source = True

    def run(self, kept: dict[str, EntityRef]) -> None:
        """Read the kept pipelines' lineage and write each edge OpenMetadata does not hold yet.

        Args:
            kept: job or pipeline id -> its pipeline in the catalogue, for every pipeline this run kept.

        Raises:
            Exception: what the failure policy lets neither one edge nor the lineage phase absorb.
        """
        if not kept:
            return
        if self.lineage is None:
            if self.config.source.connection.http_path is None:
                self.report.warn(
                    "lineage skipped: set httpPath to a SQL warehouse to read Unity Catalog lineage"
                )
            return
        services = self._lineage_services()
        if self.sink.resolves_entities and not services:
            self.report.warn(
                "lineage skipped: no database service to find tables in; set "
                "sourceConfig.config.lineageInformation.dbServiceNames"
            )
            return
        try:
            self._write_edges(self.lineage, services, kept)
        finally:  # a stopped run's report still says how many tables it looked up
            self.report.table_lookups = getattr(self.sink, "table_lookups", 0)
        if self.report.lineage_skipped:
            self.report.warn(
                f"{self.report.lineage_skipped} lineage edges skipped: their tables are not in OpenMetadata "
                f"(looked in {', '.join(services) or 'no service'})"
            )

    def _write_edges(self, lineage: LineageSource, services: list[str], kept: dict[str, EntityRef]) -> None:
        """Read the kept pipelines' edges, then write each pipeline's on the pool; failures go to the report.

        The edges are grouped per pipeline (a few per pipeline: the whole set is small next to the
        workspace) so that a pipeline whose edge set is the one its ``sourceHash`` says OpenMetadata
        holds costs nothing at all: no table lookup, no write (:mod:`core.mapping.fingerprint`).
        """
        by_pipeline, broke = self._grouped(lineage, kept)

        def write(item: tuple[str, list[LineageEdge]]) -> list[str]:
            """One pipeline's edges on a worker; returns the failures (``"<entity id>: <reason>"``)."""
            if self.stop.is_set():
                return []
            return self._write_pipeline_edges(services, item[1], kept[item[0]])

        try:
            for failures in self.ordered(write, iter(by_pipeline.items())):
                if self.stop.is_set():
                    raise RunInterrupted("the run was stopped")
                for failure in failures:
                    entity_id, _, reason = failure.partition(": ")
                    self.report.fail(entity_id, None, reason, phase="lineage")
            if broke is not None:
                raise broke
        except Exception as err:
            if outcome_of(err, Place.LINEAGE) is not Outcome.ENDS_PHASE:
                raise
            self.report.fail(None, None, f"lineage: {as_reported(err).one_line()}", phase="lineage")

    def _grouped(
        self, lineage: LineageSource, kept: dict[str, EntityRef]
    ) -> tuple[dict[str, list[LineageEdge]], Exception | None]:
        """The kept pipelines' edges per pipeline, and the error that ended the phase's reading, if one did.

        An error that ends only the lineage phase leaves the edges read before it to be written (and no
        fingerprint stored, as the sets may be partial); any other error stops the run here.
        """
        by_pipeline: dict[str, list[LineageEdge]] = {}
        try:
            for edge in self._once(edge for edge in lineage.edges(list(kept)) if edge.entity_id in kept):
                by_pipeline.setdefault(edge.entity_id, []).append(edge)
        except Exception as err:
            if outcome_of(err, Place.LINEAGE) is not Outcome.ENDS_PHASE:
                raise
            self._complete_source = False
            return by_pipeline, err
        return by_pipeline, None

    def _write_pipeline_edges(
        self, services: list[str], edges: list[LineageEdge], pipeline: EntityRef
    ) -> list[str]:
        """A pipeline's edges: skipped whole when its stored fingerprint matches, else each checked.

        A pipeline due for its weekly check (:func:`core.mapping.fingerprint.recheck_due`) is checked
        even when its fingerprint matches. When every edge ended held or written, the pipeline's ``sourceHash`` gets the new lineage part
        (one PATCH, only when it changed), so the next run skips them. An edge skipped for a missing
        table or refused leaves the fingerprint as it was: the next run checks them all again.

        Returns:
            The failures of single edges (``"<entity id>: <reason>"``).

        Raises:
            Exception: an error the failure policy does not let one edge absorb (to the lineage phase).
        """
        request_part, stored = fingerprint.split(pipeline.source_hash)
        tracked = self.sink.resolves_entities and request_part is not None and self._complete_source
        digest = fingerprint.lineage_fingerprint((e.source_table, e.target_table) for e in edges)
        due = fingerprint.recheck_due(pipeline.fqn, self.now_ms)
        if tracked and stored == digest and not self.options.override_metadata and not due:
            self.report.count("lineage_stored", len(edges))
            return []
        failures: list[str] = []
        complete = True
        for edge in edges:
            if self.stop.is_set():
                return failures
            held, failure = self._write_edge(services, edge, pipeline)
            complete = complete and held
            if failure:
                failures.append(failure)
        if tracked and complete and stored != digest and request_part is not None:
            self._store_fingerprint(pipeline, fingerprint.compose(request_part, digest))
        return failures

    def _store_fingerprint(self, pipeline: EntityRef, source_hash: str) -> None:
        """Store the new ``sourceHash``; refused, it costs only a warning (the next run checks again)."""
        try:
            self.sink.store_source_hash(pipeline, source_hash)
        except Exception as err:
            if outcome_of(err, Place.EDGE) is not Outcome.COSTS_ONE:
                raise
            self.report.warn(
                f"pipeline {pipeline.fqn}: its lineage fingerprint was not stored, so the next run checks "
                f"its edges again: {as_reported(err).one_line()}"
            )

    def _once(self, edges: Iterator[LineageEdge]) -> Iterator[LineageEdge]:
        """Each edge (its two tables and its pipeline) once per run, whatever the source repeats.

        OpenMetadata keeps one edge per pair of tables and ``PUT /v1/lineage`` is an upsert, so a repeat
        would cost a call and change nothing.
        """
        seen: set[LineageEdge] = set()
        for edge in edges:
            if edge in seen:
                self.report.count("lineage_repeated")
                continue
            seen.add(edge)
            yield edge

    def _write_edge(
        self, services: list[str], edge: LineageEdge, pipeline: EntityRef
    ) -> tuple[bool, str | None]:
        """Resolve both tables (cached) and write one edge.

        Returns:
            (whether the catalogue now holds the edge, ``"<entity id>: <reason>"`` when it failed alone).
            Not held and no failure: a table is not in the catalogue, so the edge was skipped.

        Raises:
            Exception: an error the failure policy does not let one edge absorb (to the lineage phase).
        """
        target = self._table(services, edge.target_table)
        if target is None:
            self.report.count("lineage_skipped")
            return False, None
        # one database service: the source's fqn is known without looking it up (a rerun's usual case)
        if len(services) == 1 and self._held(target, f"{services[0]}.{edge.source_table}", pipeline):
            return True, None
        source = self._table(services, edge.source_table)
        if source is None:
            self.report.count("lineage_skipped")
            return False, None
        if self._held(target, source.fqn, pipeline):
            return True, None
        try:
            self.sink.put_lineage(source, target, pipeline)
        except Exception as err:
            if outcome_of(err, Place.EDGE) is not Outcome.COSTS_ONE:
                raise  # to the lineage phase's handler in _write_edges
            return False, f"{edge.entity_id}: {as_reported(err).one_line()}"
        self.report.count("lineage_edges")
        return True, None

    def _held(self, target: EntityRef, source_fqn: str, pipeline: EntityRef) -> bool:
        """Whether OpenMetadata holds the edge ``source_fqn -> target`` for ``pipeline`` (then it is counted).

        ``target.lineage_from`` is what the table's lookup read (empty where the sink cannot tell);
        ``overrideMetadata`` writes every edge again.
        """
        if self.options.override_metadata or (source_fqn, pipeline.fqn) not in target.lineage_from:
            return False
        self.report.count("lineage_stored")
        return True

    def _lineage_services(self) -> list[str]:
        info = self.options.lineage_information
        if info and info.db_service_names:
            return list(info.db_service_names)
        return self.sink.databricks_database_services()

    def _table(self, services: list[str], name: str) -> EntityRef | None:
        if not self.sink.resolves_entities:
            return self.sink.find_table(f"{services[0]}.{name}" if services else name)
        for service in services:
            ref = self.sink.find_table(f"{service}.{name}")
            if ref is not None:
                return ref
        return None
