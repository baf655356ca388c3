"""What the engine needs from a sink, so ``metadata-rest``, ``file`` and ``console`` are interchangeable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["Change", "EntityRef", "Sink"]

Change = Literal["created", "updated", "unchanged", "would-create", "would-update", "written"]


@dataclass(frozen=True)
class EntityRef:
    """A reference to an entity the sink knows (id for OpenMetadata; the fqn for offline sinks)."""

    id: str
    fqn: str
    type: str
    name: str | None = None
    source_hash: str | None = None


class Sink:
    """Base sink. Offline sinks (file, console) override the writes and keep the lookups' defaults:
    no users and no tables are known, so owners are skipped and lineage is written by table name."""

    kind = "base"
    #: whether lineage needs the target tables to exist in a catalogue (False: written by name)
    resolves_entities = True

    def server_version(self) -> str | None:
        """The catalogue's version, when there is a server."""
        return None

    def ensure_service(self, request: dict) -> EntityRef:
        """Make sure the pipeline service exists."""
        return EntityRef(id=request["name"], fqn=request["name"], type="pipelineService")

    def put_pipeline(self, request: dict) -> tuple[EntityRef, Change]:
        """Write one pipeline."""
        raise NotImplementedError

    def put_statuses(self, fqn: str, statuses: list[dict]) -> int:
        """Write the statuses of one pipeline; returns how many."""
        raise NotImplementedError

    def ensure_tags(self, classification: str, description: str, tags: dict[str, str]) -> None:
        """Make sure the classification and tags exist."""

    def databricks_database_services(self) -> list[str]:
        """Database services where lineage tables are looked up when none are configured."""
        return []

    def find_user(self, email: str) -> EntityRef | None:
        """The catalogue's user for an e-mail, if any."""
        return None

    def find_table(self, fqn: str) -> EntityRef | None:
        """The catalogue's table for a fully qualified name, if any."""
        return EntityRef(id=fqn, fqn=fqn, type="table")

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        """Write one table-to-table edge."""
        raise NotImplementedError

    def iter_service_pipelines(self, service: str) -> Iterator[EntityRef]:
        """Pipelines the catalogue holds for the service (for markDeletedPipelines)."""
        return iter(())

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        """Soft-delete one pipeline."""

    def close(self) -> None:
        """Flush and release resources."""
