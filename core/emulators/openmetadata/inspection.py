"""What tests read back: copies of the catalogue, counters, the received log, snapshots and resets."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from core.emulators.openmetadata.schemas import CREATE_PIPELINE
from core.emulators.openmetadata.seeding import Seeding
from core.emulators.openmetadata.versioning import entity_content


class Inspection(Seeding):
    """Accessors for tests (copies taken under the lock), resets and snapshots."""

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        """Pipeline services by name."""
        with self._state:
            return dict(self._services)

    @property
    def pipelines(self) -> dict[str, dict[str, Any]]:
        """Pipelines by FQN, soft-deleted ones included (``deleted: True``)."""
        with self._state:
            return dict(self._pipelines)

    @property
    def statuses(self) -> dict[str, dict[int, dict[str, Any]]]:
        """Pipeline statuses: FQN -> {timestamp: PipelineStatus}."""
        with self._state:
            return {fqn: dict(by_ts) for fqn, by_ts in self._statuses.items()}

    @property
    def ingestion_pipelines(self) -> dict[str, dict[str, Any]]:
        """Ingestion pipelines by FQN (``service.name``)."""
        with self._state:
            return dict(self._ingestion_pipelines)

    def ingestion_runs(self, fqn: str) -> list[dict[str, Any]]:
        """Every status an ingestion pipeline's runs reported, in the order the runs were first reported.

        A run is one ``runId``: its latest status is kept (``running`` is replaced by how it ended).
        """
        with self._state:
            return list(self._ingestion_runs.get(fqn, {}).values())

    @property
    def ingestion_status_log(self) -> list[tuple[str, dict[str, Any]]]:
        """Every run status the server accepted, in order, as ``(ingestion pipeline FQN, status)``.

        Unlike :meth:`ingestion_runs`, a run's ``running`` status stays here after its final one replaced it.
        """
        with self._state:
            return list(self._ingestion_status_log)

    @property
    def lineage_edges(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Lineage edges: (from id, to id) -> {fromEntity, toEntity, lineageDetails}."""
        with self._state:
            return dict(self._edges)

    @property
    def classifications(self) -> dict[str, dict[str, Any]]:
        """Classifications (tag groups such as ``Tier`` or ``databricks``) by name."""
        with self._state:
            return dict(self._classifications)

    @property
    def tags(self) -> dict[str, dict[str, Any]]:
        """Tags by FQN (``Classification.Tag``)."""
        with self._state:
            return dict(self._tags)

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        """Users by name (the two bots included)."""
        with self._state:
            return dict(self._users)

    @property
    def tables(self) -> dict[str, dict[str, Any]]:
        """Tables by FQN (``service.database.schema.table``), the ends of lineage edges."""
        with self._state:
            return dict(self._tables)

    @property
    def counters(self) -> Counter[str]:
        """Write outcomes counted by kind, for tests that check what a run wrote.

        Keys: ``pipeline.created|updated|unchanged|restored|soft_deleted|hard_deleted``,
        ``status.upserted|new``, ``lineage.created|updated|unchanged``, ``service.*``, ``tag.*`` ...
        """
        with self._state:
            return Counter(self._counters)

    @property
    def received(self) -> list[tuple[str, str, int]]:
        """The last 1000 ``(method, path, status)`` answered by a route or a 404 (not injected faults)."""
        with self._state:
            return list(self._received)

    def reset_counters(self) -> None:
        """Forget call counts, write counters and the received log (the catalogue is kept)."""
        super().reset_counters()
        with self._state:
            self._counters.clear()
            self._received.clear()

    def reset(self) -> None:
        """Empty the catalogue, counters and faults but keep serving (restarting a server costs ~0.5 s)."""
        with self._state:
            stores: list[dict[Any, Any]] = [
                self._users, self._services, self._db_services, self._pipelines, self._statuses, self._tables,
                self._classifications, self._tags, self._edges, self._edges_from, self._edges_to,
                self._edges_by_pipeline, self._by_id, self._pipeline_index, self._ingestion_pipelines,
                self._ingestion_runs,
            ]  # fmt: skip
            for store in stores:
                store.clear()
            self._ingestion_status_log.clear()
            self._seed_bots()
        self.clear_faults()
        self.reset_counters()

    def snapshot(self) -> dict[str, Any]:
        """A deterministic, JSON-able dump of the catalogue without volatile fields.

        Two snapshots are equal exactly when a rerun changed nothing a user could see: entity content and
        versions, statuses, lineage edges (keyed by FQNs) and tags.
        """
        with self._state:
            return {
                "services": {name: entity_content(self._services[name]) for name in sorted(self._services)},
                "pipelines": {fqn: entity_content(self._pipelines[fqn]) for fqn in sorted(self._pipelines)},
                "statuses": {
                    fqn: [self._statuses[fqn][ts] for ts in sorted(self._statuses[fqn])]
                    for fqn in sorted(self._statuses)
                    if self._statuses[fqn]
                },
                "lineage": self._lineage_snapshot(),
                "classifications": {
                    n: entity_content(self._classifications[n]) for n in sorted(self._classifications)
                },
                "tags": {fqn: entity_content(self._tags[fqn]) for fqn in sorted(self._tags)},
            }

    def _lineage_snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for edge in self._edges.values():
            details = dict(edge.get("lineageDetails") or {})
            pipeline = details.pop("pipeline", None)
            if pipeline is not None:
                details["pipeline"] = pipeline["fullyQualifiedName"]
            key = f"{edge['fromEntity']['fullyQualifiedName']} -> {edge['toEntity']['fullyQualifiedName']}"
            out[key] = {
                "fromType": edge["fromEntity"]["type"],
                "toType": edge["toEntity"]["type"],
                "lineageDetails": details,
            }
        return {key: out[key] for key in sorted(out)}

    def create_request_for(self, fqn: str) -> dict[str, Any]:
        """The CreatePipeline request that would reproduce a stored pipeline (for contract tests)."""
        with self._state:
            entity = self._pipelines.get(fqn)
            if entity is None:
                raise KeyError(fqn)
            request = {
                key: copy.deepcopy(value)
                for key, value in entity.items()
                if key in CREATE_PIPELINE.fields
                and key not in {"service", "owners", "domains", "dataProducts"}
            }
            request["service"] = entity["service"]["fullyQualifiedName"]
            if entity.get("owners"):
                request["owners"] = [{"id": o["id"], "type": o["type"]} for o in entity["owners"]]
            return request
