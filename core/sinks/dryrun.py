"""A dry run as a sink: everything is read from the real catalogue, nothing is written to it.

:class:`DryRunSink` wraps the run's real sink. Reads (the server version, the service's pipelines, users,
tables, database services) go to the wrapped sink, so a dry run meets the same credentials, lookups and
failures as a real run. Writes are not sent; each answers what a real run would have done, so the report
can say *would create* / *would update* (the engine skips unchanged pipelines before writing).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from core.openmetadata.fqn import pipeline_fqn
from core.openmetadata.payloads import CreatePipelineRequest, CreatePipelineServiceRequest, PipelineStatus
from core.sinks.base import Change, EntityRef, Sink

__all__ = ["DryRunSink"]


class DryRunSink(Sink):
    """Reads through ``inner``; writes nothing and says what would have been written (see :class:`Sink`)."""

    def __init__(self, inner: Sink) -> None:
        """Wrap ``inner`` (closed when this sink is)."""
        self.inner = inner
        self.kind = inner.kind
        self.resolves_entities = inner.resolves_entities
        self._lock = threading.Lock()
        #: names of the pipelines the catalogue holds, as listed through :meth:`iter_service_pipelines`
        self._listed: set[str] = set()

    @property
    def table_lookups(self) -> int:
        """Table lookups the wrapped sink made (for the report)."""
        return int(getattr(self.inner, "table_lookups", 0))

    # -- reads: the wrapped sink ------------------------------------------------------------------------

    def server_version(self) -> str | None:
        """The wrapped sink's :meth:`Sink.server_version`."""
        return self.inner.server_version()

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        """The wrapped sink's listing; the names are remembered to tell a create from an update."""
        for ref in self.inner.iter_service_pipelines(service, with_status=with_status):
            with self._lock:
                self._listed.add(ref.name or "")
            yield ref

    def target(self) -> dict[str, str]:
        """The wrapped sink's :meth:`Sink.target`: where a real run would write."""
        return self.inner.target()

    def stored_pipeline(self, fqn: str) -> dict[str, Any] | None:
        """The wrapped sink's :meth:`Sink.stored_pipeline` (a read: the diff of a would-change)."""
        return self.inner.stored_pipeline(fqn)

    def databricks_database_services(self) -> list[str]:
        """The wrapped sink's :meth:`Sink.databricks_database_services`."""
        return self.inner.databricks_database_services()

    def find_user(self, email: str) -> EntityRef | None:
        """The wrapped sink's :meth:`Sink.find_user`."""
        return self.inner.find_user(email)

    def find_table(self, fqn: str) -> EntityRef | None:
        """The wrapped sink's :meth:`Sink.find_table`."""
        return self.inner.find_table(fqn)

    # -- writes: not sent -----------------------------------------------------------------------------

    def ensure_service(self, request: CreatePipelineServiceRequest) -> EntityRef:
        """A placeholder reference to the service (neither read nor created)."""
        return EntityRef(id="dry-run", fqn=request["name"], type="pipelineService")

    def put_pipeline(self, request: CreatePipelineRequest) -> tuple[EntityRef, Change]:
        """Not sent: says what a write would do.

        Returns:
            A placeholder reference, and ``would-update`` when the pipeline was among those
            :meth:`iter_service_pipelines` listed, else ``would-create``.
        """
        fqn = pipeline_fqn(request)
        with self._lock:
            change: Change = "would-update" if request["name"] in self._listed else "would-create"
        return EntityRef(id=f"dry-run:{fqn}", fqn=fqn, type="pipeline"), change

    def put_statuses(self, fqn: str, statuses: list[PipelineStatus]) -> int:
        """Not sent; returns how many would have been."""
        return len(statuses)

    def ensure_tags(self, classification: str, description: str, tags: dict[str, str]) -> None:
        """Not sent."""

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        """Not sent."""

    def store_source_hash(self, pipeline: EntityRef, source_hash: str) -> None:
        """Not sent."""

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        """Not sent."""

    def close(self) -> None:
        """Close the wrapped sink."""
        self.inner.close()
