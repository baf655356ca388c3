"""What a run did, in numbers and reasons: what the CLI prints, the wizard renders and tests assert on."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from core.secrets import redact

__all__ = ["OUTCOMES", "Failure", "PipelineOutcome", "ProgressEvent", "RunReport"]

_MAX_LISTED_NAMES = 2000
_MAX_WARNINGS = 500
#: the most per-pipeline outcomes a report keeps (the rest are counted in ``pipelinesOmitted``)
MAX_PIPELINE_OUTCOMES = 50_000
#: what can happen to one pipeline: a real run's outcomes, then a dry run's
OUTCOMES = (
    "created",
    "updated",
    "unchanged",
    "failed",
    "deleted",
    "would-create",
    "would-change",
    "would-delete",
)
#: lines of each group the text diff lists before "... and N more"
_DIFF_LINES = 20


@dataclass(frozen=True)
class Failure:
    """One pipeline (or a whole phase, with ``pipeline`` None) that failed, and why."""

    pipeline: str | None
    name: str | None
    reason: str
    phase: str = "pipeline"


@dataclass(frozen=True)
class PipelineOutcome:
    """What the run did (or, dry, would do) to one pipeline.

    ``order`` is the pipeline's place in the listing (deletes come after every listed pipeline); the
    report lists outcomes by it, whatever order the workers finished in.
    """

    pipeline: str
    name: str
    kind: str
    fqn: str | None
    outcome: str
    fields: tuple[str, ...] = ()
    reason: str | None = None
    order: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``pipelines`` entries (see :meth:`RunReport.as_dict`)."""
        return {
            "pipeline": self.pipeline,
            "name": self.name,
            "kind": self.kind,
            "fqn": self.fqn,
            "outcome": self.outcome,
            "fields": list(self.fields),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ProgressEvent:
    """Sent to ``on_event`` while a run goes: which phase, how far, how fast."""

    phase: str
    listed: int
    processed: int
    kept: int
    failures: int
    elapsed_s: float
    message: str | None = None

    @property
    def rate(self) -> float:
        """Pipelines processed per second so far."""
        return self.processed / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class RunReport:
    """Counters and reasons for one run. Thread-safe increments through :meth:`count`."""

    service: str = ""
    server_version: str | None = None
    dry_run: bool = False
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    listed: int = 0
    kept: int = 0
    filtered: int = 0
    filter_reasons: Counter[str] = field(default_factory=Counter)
    filtered_names: list[tuple[str, str]] = field(default_factory=list)
    changes: Counter[str] = field(default_factory=Counter)
    statuses: int = 0
    #: statuses OpenMetadata already held (see :func:`core.mapping.status.already_stored`): not sent
    statuses_skipped: int = 0
    lineage_edges: int = 0
    #: lineage edges met again in this run (same tables and pipeline): sent once
    lineage_repeated: int = 0
    #: lineage edges OpenMetadata already held for the same pipeline: not sent
    lineage_stored: int = 0
    lineage_skipped: int = 0
    table_lookups: int = 0
    owners: int = 0
    tags: int = 0
    deleted: int = 0
    delete_skipped: str | None = None
    listing_complete: bool = False
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    failures: list[Failure] = field(default_factory=list)
    #: one outcome per pipeline the run touched (at most :data:`MAX_PIPELINE_OUTCOMES`)
    outcomes: list[PipelineOutcome] = field(default_factory=list)
    #: outcomes left out of ``outcomes`` past the bound
    outcomes_omitted: int = 0
    #: a dry run: pipelines markDeletedPipelines would soft-delete
    would_delete: int = 0
    #: where the run writes: ``{"kind": "openmetadata"|"file"|"console", "location": URL or absolute path}``
    target: dict[str, str] | None = None
    #: the error that stopped the run early, if one did (not serialised; the CLI maps it to an exit code)
    fatal: Exception | None = field(default=None, repr=False, compare=False)
    #: reentrant: as_dict() holds it while it reads (another thread's checkpoint), and reads through methods that take it
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    # -- updates ------------------------------------------------------------------------------------

    def count(self, name: str, amount: int = 1) -> None:
        """Add to one of the integer counters (thread-safe).

        Args:
            name: the counter's attribute (``"listed"``, ``"kept"``, ``"owners"``, ``"tags"``...).
            amount: how much to add.
        """
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def change(self, kind: str) -> None:
        """Record a pipeline write outcome: created, updated, unchanged, would-create, would-update, written."""
        with self._lock:
            self.changes[kind] += 1

    def filtered_out(self, name: str, reason: str) -> None:
        """Record a pipeline the filter dropped (all are counted, the first names are kept).

        Args:
            name: the job or DLT pipeline name.
            reason: the filter's decision, e.g. ``excluded by ".*_tmp"``; counted per reason.
        """
        with self._lock:
            self.filtered += 1
            self.filter_reasons[reason] += 1
            if len(self.filtered_names) < _MAX_LISTED_NAMES:
                self.filtered_names.append((name, reason))

    def pipeline(self, outcome: PipelineOutcome) -> None:
        """Record what happened to one pipeline (the first :data:`MAX_PIPELINE_OUTCOMES` are kept, all counted).

        Args:
            outcome: the pipeline and its outcome; its reason is redacted here.
        """
        self.settle(outcome)

    def settle(
        self,
        outcome: PipelineOutcome | None,
        *,
        change: str | None = None,
        counter: str | None = None,
        failure: Failure | None = None,
    ) -> None:
        """Record one pipeline's outcome together with what it counts, under one lock.

        The per-pipeline list and the counters change in the same step, so whenever the run stops (at
        the end, on Stop, on an error) they agree: every write counted has its row, and every row its count.

        Args:
            outcome: the pipeline's row (None: nothing to list, e.g. stopped before its work).
            change: the write it counts in :attr:`changes` (``created``, ``would-update``...).
            counter: an integer counter it adds one to (``deleted``, ``would_delete``).
            failure: the failure it records (its reason is redacted here).
        """
        if outcome is not None and outcome.reason is not None:
            outcome = replace(outcome, reason=redact(outcome.reason))
        if failure is not None:
            failure = replace(failure, reason=redact(failure.reason))
        with self._lock:
            if change is not None:
                self.changes[change] += 1
            if counter is not None:
                setattr(self, counter, getattr(self, counter) + 1)
            if failure is not None:
                self.failures.append(failure)
            if outcome is None:
                return
            if len(self.outcomes) < MAX_PIPELINE_OUTCOMES:
                self.outcomes.append(outcome)
            else:
                self.outcomes_omitted += 1

    def pipelines(self) -> list[PipelineOutcome]:
        """The recorded outcomes in listing order, deletes last."""
        with self._lock:
            return sorted(self.outcomes, key=lambda outcome: outcome.order)

    def warn(self, message: str) -> None:
        """Record a warning (the first 500 are kept verbatim, all are counted)."""
        with self._lock:
            self.warning_count += 1
            if len(self.warnings) < _MAX_WARNINGS:
                self.warnings.append(redact(message))

    def fail(self, pipeline: str | None, name: str | None, reason: str, phase: str = "pipeline") -> None:
        """Record a failure; the run goes on unless the caller decides otherwise.

        Args:
            pipeline: the Databricks job or pipeline id, or None for a whole phase.
            name: its name when it differs from the id, else None.
            reason: one line saying why (redacted here before it is kept).
            phase: ``"pipeline"``, ``"lineage"``, or the run phase a fatal error stopped.
        """
        with self._lock:
            self.failures.append(Failure(pipeline, name, redact(reason), phase))

    # -- reading ------------------------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        """Seconds from start to finish (or to now while running)."""
        return (self.finished_at or time.time()) - self.started_at

    @property
    def written(self) -> int:
        """Pipelines the sink answered for (created, updated, unchanged, or written to a file); never a dry run's."""
        return sum(count for kind, count in self.changes.items() if not kind.startswith("would-"))

    @property
    def skipped(self) -> int:
        """Writes left out because OpenMetadata already held them.

        Unchanged pipelines, stored statuses, stored lineage edges and edges met again in this run.
        """
        return self.changes["unchanged"] + self.statuses_skipped + self.lineage_stored + self.lineage_repeated

    @property
    def ok(self) -> bool:
        """True when the run finished with no failure."""
        return not self.failures and not self.interrupted

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary (for ``--json``, the wizard and tests).

        Safe while the run goes (the wizard checkpoints from another thread): it is read under the lock every
        write takes, so its counters, lists and per-pipeline rows are one consistent snapshot.
        """
        with self._lock:
            return self._as_dict()

    def _as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "serverVersion": self.server_version,
            "dryRun": self.dry_run,
            "durationSeconds": round(self.duration_s, 3),
            "listed": self.listed,
            "kept": self.kept,
            "filtered": self.filtered,
            "filterReasons": dict(self.filter_reasons),
            "created": self.changes["created"],
            "updated": self.changes["updated"],
            "unchanged": self.changes["unchanged"],
            "wouldCreate": self.changes["would-create"],
            "wouldUpdate": self.changes["would-update"],
            "written": self.written,
            "statuses": self.statuses,
            "statusesSkipped": self.statuses_skipped,
            "lineageEdges": self.lineage_edges,
            "lineageRepeated": self.lineage_repeated,
            "lineageStored": self.lineage_stored,
            "skipped": self.skipped,
            "lineageSkipped": self.lineage_skipped,
            "tableLookups": self.table_lookups,
            "owners": self.owners,
            "tags": self.tags,
            "deleted": self.deleted,
            "wouldDelete": self.would_delete,
            "deleteSkipped": self.delete_skipped,
            "listingComplete": self.listing_complete,
            "interrupted": self.interrupted,
            # what stopped the run, as one line (None when it ran to the end): the README's "fatal"
            "fatal": _one_line(self.fatal) if self.fatal is not None else None,
            "warningCount": self.warning_count,
            "warnings": list(self.warnings),
            "failures": [
                {"pipeline": f.pipeline, "name": f.name, "reason": f.reason, "phase": f.phase}
                for f in self.failures
            ],
            "ok": self.ok,
            "target": dict(self.target) if self.target is not None else None,
            "pipelines": [outcome.as_dict() for outcome in self.pipelines()],
            "pipelinesOmitted": self.outcomes_omitted,
        }

    def summary_line(self) -> str:
        """One line for a log: what was written, failed and how long it took."""
        changes = ", ".join(f"{count} {kind}" for kind, count in sorted(self.changes.items()) if count)
        state = "interrupted" if self.interrupted else ("ok" if self.ok else "failed")
        return (
            f"{state}: {self.listed} listed, {self.kept} kept ({changes or 'nothing written'}), "
            f"{self.statuses} statuses ({self.statuses_skipped} already stored), {self.lineage_edges} lineage edges, {self.deleted} soft-deleted, "
            f"{self.warning_count} warnings, {len(self.failures)} failures in {self.duration_s:.1f} s"
        )

    def _skipped_line(self) -> str:
        parts = [
            f"{self.changes['unchanged']} unchanged pipelines",
            f"{self.statuses_skipped} stored statuses",
        ]
        if self.lineage_stored or self.lineage_edges:
            parts.append(f"{self.lineage_stored} stored lineage edges")
        if self.lineage_repeated:
            parts.append(f"{self.lineage_repeated} repeated lineage edges")
        return f"{self.skipped} ({', '.join(parts)})"

    def render(self, *, verbose: bool = False) -> str:
        """A human-readable summary, as printed by ``print_status()``; a dry run's ends with its diff.

        Args:
            verbose: a dry run's diff also lists the unchanged pipelines (else only their count).
        """
        rows = self._rows()
        width = max(len(label) for label, _ in rows)
        lines = [f"{label:<{width}}  {value}" for label, value in rows]
        for reason, count in self.filter_reasons.most_common(5):
            lines.append(f"  filtered: {count} x {reason}")
        if self.delete_skipped:
            lines.append(f"markDeletedPipelines skipped: {self.delete_skipped}")
        if self.interrupted:
            lines.append("The run was interrupted before it finished.")
        for warning in self.warnings[:10]:
            lines.append(f"warning: {warning}")
        if self.warning_count > 10:
            lines.append(f"... and {self.warning_count - 10} more warnings")
        for failure in self.failures[:20]:
            who = f"{failure.pipeline} ({failure.name})" if failure.pipeline else failure.phase
            lines.append(f"FAILED {who}: {failure.reason}")
        if len(self.failures) > 20:
            lines.append(f"... and {len(self.failures) - 20} more failures")
        if self.dry_run:
            lines.append("")
            lines.append(self.render_diff(verbose=verbose))
        return "\n".join(lines)

    def _rows(self) -> list[tuple[str, object]]:
        """The summary's label/value rows (a dry run's say what would be written)."""
        rows: list[tuple[str, object]] = [
            ("Service", self.service),
            ("OpenMetadata version", self.server_version or "-"),
            *([("Written to", _where(self.target))] if self.target and not self.dry_run else []),
            ("Listed", self.listed),
            ("Kept by filter", self.kept),
            ("Filtered out", self.filtered),
            ("Created", self.changes["created"]),
            ("Updated", self.changes["updated"]),
            ("Unchanged", self.changes["unchanged"]),
            *([("Written", self.changes["written"])] if self.changes["written"] else []),
            ("Statuses", self.statuses),
            ("Statuses skipped", self.statuses_skipped),
            ("Lineage edges", self.lineage_edges),
            ("Edges skipped", self.lineage_stored),
            ("Owners set", self.owners),
            ("Soft-deleted", self.deleted),
            ("Skipped in all", self._skipped_line()),
            ("Warnings", self.warning_count),
            ("Failures", len(self.failures)),
            ("Time", f"{self.duration_s:.2f} s"),
        ]
        if not self.dry_run:
            return rows
        dry = {
            "Created": ("Would create", self.changes["would-create"]),
            "Updated": ("Would change", self.changes["would-update"]),
            "Statuses": ("Statuses (would write)", self.statuses),
            "Lineage edges": ("Lineage edges (would write)", self.lineage_edges),
            "Owners set": ("Owners (would set)", self.owners),
            "Soft-deleted": ("Would soft-delete", self.would_delete),
        }
        rows = [dry.get(label, (label, value)) for label, value in rows]
        rows.insert(1, ("Mode", "dry run: nothing written"))
        if self.target:
            rows.insert(3, ("Would write to", _where(self.target)))
        return rows

    def render_diff(self, *, verbose: bool = False, limit: int = _DIFF_LINES) -> str:
        """What a dry run would change, per pipeline, grouped; long groups end with "... and N more".

        Args:
            verbose: list the unchanged pipelines too (else only their count).
            limit: the most lines per group (``--json`` has them all).

        Returns:
            The groups Would create, Would change (with the fields), Would delete (with why), Unchanged,
            then how many statuses and lineage edges would be written.
        """
        groups: dict[str, list[PipelineOutcome]] = {kind: [] for kind in OUTCOMES}
        for outcome in self.pipelines():
            groups[outcome.outcome].append(outcome)
        lines: list[str] = []
        for kind, title in (("would-create", "Would create"), ("would-change", "Would change")):
            lines.extend(_group(title, groups[kind], limit))
        if self.delete_skipped and not groups["would-delete"]:
            lines.append(f"Would delete: not evaluated ({self.delete_skipped})")
        else:
            lines.extend(_group("Would delete", groups["would-delete"], limit))
        unchanged = groups["unchanged"]
        if verbose:
            lines.extend(_group("Unchanged", unchanged, limit))
        else:
            lines.append(f"Unchanged: {len(unchanged)} (-v lists them)" if unchanged else "Unchanged: 0")
        if self.outcomes_omitted:
            lines.append(f"... and {self.outcomes_omitted} more pipelines not listed in this report")
        lines.append(
            f"Would write {self.statuses} statuses and {self.lineage_edges} lineage edges "
            f"({self.statuses_skipped} statuses and {self.lineage_stored} edges already stored)."
        )
        return "\n".join(lines)


def _group(title: str, outcomes: list[PipelineOutcome], limit: int) -> list[str]:
    """One group of the diff: a title with its count, then a line per pipeline (at most ``limit``)."""
    lines = [f"{title} ({len(outcomes)}):" if outcomes else f"{title}: none"]
    for outcome in outcomes[:limit]:
        label = outcome.pipeline if outcome.name == outcome.pipeline else f"{outcome.pipeline} {outcome.name}"
        detail = ", ".join(outcome.fields) or outcome.reason
        lines.append(f"  {label}: {detail}" if detail else f"  {label}")
    if len(outcomes) > limit:
        lines.append(f"  ... and {len(outcomes) - limit} more (--json lists them all)")
    return lines


def _where(target: dict[str, str]) -> str:
    """The target as one phrase: ``OpenMetadata at URL``, ``file PATH``, ``standard output``."""
    kind, location = target.get("kind"), target.get("location", "")
    if kind == "openmetadata":
        return f"OpenMetadata at {location}"
    if kind == "file":
        return f"file {location}"
    return location or str(kind)


def _one_line(error: Exception) -> str:
    """``error`` as the one line the CLI prints (``field: message. hint``), for any exception."""
    one_line = getattr(error, "one_line", None)
    return str(one_line()) if callable(one_line) else redact(f"{type(error).__name__}: {error}")
