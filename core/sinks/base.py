"""What the engine needs from a sink, so ``metadata-rest``, ``file`` and ``console`` are interchangeable.

What an error from a sink means to the run (``core.errors``):

- :class:`~core.errors.SinkAuthError` (the JWT is refused, or the bot may not write) and
  :class:`~core.errors.SinkUnavailableError` (the server cannot be reached, or kept failing after the
  retries) abort the run: every further call would fail the same way. Nothing is deleted afterwards.
- :class:`~core.errors.SinkRejectedError` (the server refused one payload: 400/404/409/412/422) costs
  one pipeline: the engine records it and the run goes on.

Request bodies are typed after OpenMetadata's schemas (:mod:`core.openmetadata.payloads`); every sink
receives exactly what ``metadata-rest`` would send.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from core.openmetadata.payloads import CreatePipelineRequest, CreatePipelineServiceRequest, PipelineStatus

__all__ = ["Change", "EntityRef", "Sink"]

#: What writing one pipeline did: a server's answer (created, updated, unchanged), a dry run's guess
#: (would-create, would-update), or an offline sink's (written).
Change = Literal["created", "updated", "unchanged", "would-create", "would-update", "written"]


@dataclass(frozen=True)
class EntityRef:
    """A reference to an entity the sink knows (id for OpenMetadata; the fqn for offline sinks)."""

    id: str
    fqn: str
    #: OpenMetadata's entity type: ``pipelineService``, ``pipeline``, ``user``, ``table``
    type: str
    name: str | None = None
    #: the pipeline's stored ``sourceHash`` (listings only): equal to the new one means unchanged
    source_hash: str | None = None
    #: the pipeline's stored latest ``pipelineStatus`` (listings with ``with_status`` only; None when it
    #: has none): what lets a rerun skip the statuses OpenMetadata already holds
    latest_status: PipelineStatus | None = field(default=None, compare=False, hash=False, repr=False)
    #: the pipeline's ``displayName`` (listings only; None when the listing did not say)
    display_name: str | None = field(default=None, compare=False, hash=False, repr=False)
    #: for a table: ``(upstream table fqn, pipeline fqn)`` of each lineage edge into it that the catalogue
    #: holds (``find_table`` of metadata-rest only; empty: unknown, so every edge is written)
    lineage_from: frozenset[tuple[str, str]] = field(
        default=frozenset(), compare=False, hash=False, repr=False
    )


class Sink:
    """Base sink: where the engine writes, and what it may look up there.

    Offline sinks (file, console) override the writes and keep the lookups' defaults: no users and no
    tables are known, so owners are skipped and lineage is written by table name.

    Unless a method says otherwise it may raise SinkAuthError or SinkUnavailableError (abort the run)
    and, for a write, SinkRejectedError (that pipeline fails); see the module docstring.
    """

    kind = "base"
    #: whether lineage needs the target tables to exist in a catalogue (False: written by name)
    resolves_entities = True

    def server_version(self) -> str | None:
        """The catalogue's version (e.g. ``"2.0.7"``).

        Returns:
            The version string; None when there is no server (offline sinks).

        Raises:
            SinkAuthError, SinkUnavailableError: the server cannot be used: abort the run.
        """
        return None

    def target(self) -> dict[str, str]:
        """Where this sink writes, for the report: ``{"kind": ..., "location": ...}``.

        Returns:
            ``kind`` ``openmetadata`` (``location`` the server's URL, never credentials), ``file`` (the
            output's absolute path) or ``console`` (standard output); other sinks give their own kind.
        """
        return {"kind": self.kind, "location": ""}

    def stored_pipeline(self, fqn: str) -> dict[str, Any] | None:
        """The Pipeline entity the catalogue holds under ``fqn``, with its tasks, tags and owners.

        A dry run compares it with the request it would send (:mod:`core.diff`).

        Returns:
            The entity as the server returns it, or None when it holds none (offline sinks: never).

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: the server refused the read.
        """
        return None

    def ensure_service(self, request: CreatePipelineServiceRequest) -> EntityRef:
        """Make sure the pipeline service exists (created when missing; an existing one is kept as is).

        Args:
            request: the service to create when missing.

        Returns:
            A reference to the service.

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: the server refused the service: nothing can be written; aborts the
                run as well, since every pipeline belongs to it.
        """
        return EntityRef(id=request["name"], fqn=request["name"], type="pipelineService")

    def put_pipeline(self, request: CreatePipelineRequest) -> tuple[EntityRef, Change]:
        """Write (create or update) one pipeline.

        Args:
            request: the pipeline, its ``sourceHash`` set.

        Returns:
            A reference to the pipeline (its fqn is where statuses and lineage go) and what changed.

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: the server refused this pipeline: it fails, the run goes on.
        """
        raise NotImplementedError

    def put_statuses(self, fqn: str, statuses: list[PipelineStatus]) -> int:
        """Write the statuses of one pipeline (upserts keyed by ``timestamp``).

        Args:
            fqn: the pipeline's fully qualified name (from :meth:`put_pipeline`).
            statuses: one per run, each with a distinct ``timestamp``.

        Returns:
            How many statuses were written (or would have been).

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: the server refused them: that pipeline fails, the run goes on.
        """
        raise NotImplementedError

    def ensure_tags(self, classification: str, description: str, tags: dict[str, str]) -> None:
        """Make sure the classification and tags exist (upserts).

        Args:
            classification: the classification's name (e.g. ``DatabricksTags``).
            description: the classification's description.
            tags: ``{tag name: description}``.

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: a tag was refused: the pipeline that needed it fails.
        """

    def databricks_database_services(self) -> list[str]:
        """Database services where lineage tables are looked up when none are configured.

        Returns:
            Service names (empty when none, or offline).
        """
        return []

    def find_user(self, email: str) -> EntityRef | None:
        """The catalogue's user for an e-mail.

        Returns:
            A reference to the user, or None when the catalogue has none (the owner is then left out).
        """
        return None

    def find_table(self, fqn: str) -> EntityRef | None:
        """The catalogue's table for a fully qualified name (``service.catalog.schema.table``).

        Returns:
            A reference to the table, or None when the catalogue has none (the edge is then skipped).
        """
        return EntityRef(id=fqn, fqn=fqn, type="table")

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        """Write one table-to-table edge attributed to ``pipeline``.

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: the edge was refused: recorded as a lineage failure, the run goes on.
        """
        raise NotImplementedError

    def store_source_hash(self, pipeline: EntityRef, source_hash: str) -> None:
        """Store a new ``sourceHash`` on a pipeline the catalogue holds (see :mod:`core.mapping.fingerprint`).

        Offline sinks keep nothing to compare with next time, so the default does nothing.

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: refused: the next run checks that pipeline's edges again.
        """

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        """Pipelines the catalogue holds for the service, with their ``sourceHash``.

        Used to skip unchanged pipelines and statuses and, for ``markDeletedPipelines``, to find the
        stale ones.

        Args:
            service: the pipeline service's name.
            with_status: also read each pipeline's latest status (``EntityRef.latest_status``).

        Yields:
            One reference per non-deleted pipeline (``name`` set); none for offline sinks.
        """
        return iter(())

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        """Soft-delete one pipeline (recoverable in OpenMetadata's UI).

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: the delete was refused: recorded, the run goes on.
        """

    def close(self) -> None:
        """Flush and release resources (connections, files)."""
