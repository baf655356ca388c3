"""The ``metadata-rest`` sink: pipelines, statuses, tags and lineage written through OpenMetadata's REST API.

Only the writes and lookups live here; the transport (one pooled session, retries, the shared rate gate,
errors classified by what the run should do) is :class:`~core.openmetadata.client.OpenMetadataClient`.
Differences from OpenMetadata's own sink: statuses go in bulk chunks of at most 1000 (the server rejects
larger ones), an existing service is never overwritten, and user and table lookups are cached per run.
A dry run wraps this sink in :class:`~core.sinks.dryrun.DryRunSink`; this class always writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from typing_extensions import Unpack

from core.config.models import OpenMetadataServerConfig
from core.openmetadata.client import ClientOptions, OpenMetadataClient
from core.openmetadata.fqn import pipeline_fqn
from core.openmetadata.payloads import (
    AddLineageRequest,
    CreateClassificationRequest,
    CreatePipelineRequest,
    CreatePipelineServiceRequest,
    CreateTagRequest,
    PipelineStatus,
)
from core.ratelimit import RateGate
from core.sinks.base import Change, EntityRef, Sink

__all__ = ["STATUS_CHUNK", "OpenMetadataSink"]

STATUS_CHUNK = 1000  # the server validates at most this many statuses per bulk request
_CHANGE_HEADER = "X-OpenMetadata-Change"
_CHANGES: dict[str, Change] = {
    "entityCreated": "created",
    "entityUpdated": "updated",
    "entityFieldsChanged": "updated",
    "entityNoChange": "unchanged",
}


class OpenMetadataSink(Sink):
    """Writes pipelines, statuses, tags and lineage to an OpenMetadata server (see :class:`Sink`)."""

    kind = "metadata-rest"

    def __init__(
        self,
        server: OpenMetadataServerConfig,
        *,
        client: OpenMetadataClient | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """A sink for ``server``.

        Args:
            server: the validated ``workflowConfig.openMetadataServerConfig``.
            client: an open client to write through (the connection checks share theirs); when None, one is
                opened with ``options``.
            **options: :class:`~core.openmetadata.client.OpenMetadataClient`'s keyword arguments
                (``pool_size``, ``timeout_s``, ``retries``, ``gate``), ignored when ``client`` is given.
        """
        self.server = server
        self.client = client or OpenMetadataClient(server, **options)
        self.table_lookups = 0
        self._lock = threading.Lock()
        self._user_cache: dict[str, EntityRef | None] = {}
        self._table_cache: dict[str, EntityRef | None] = {}

    @property
    def gate(self) -> RateGate:
        """The rate gate the client's requests wait at."""
        return self.client.gate

    def server_version(self) -> str:
        """The server's version string (``GET /v1/system/version``); see OpenMetadataClient.server_version."""
        return self.client.server_version()

    # -- service --------------------------------------------------------------------------------------

    def ensure_service(self, request: CreatePipelineServiceRequest) -> EntityRef:
        """Get the pipeline service, creating it when missing (an existing one is not overwritten)."""
        name = request["name"]
        found = self.client.get_optional(
            f"/services/pipelineServices/name/{quote(name, safe='')}", "reading the service"
        )
        if found is None:
            found = self.client.call(
                "PUT", "/services/pipelineServices", f"creating service {name}", body=request
            )
        return EntityRef(id=found["id"], fqn=found.get("fullyQualifiedName", name), type="pipelineService")

    # -- pipelines ------------------------------------------------------------------------------------

    def put_pipeline(self, request: CreatePipelineRequest) -> tuple[EntityRef, Change]:
        """Create or update one pipeline; the change comes from the server's ``X-OpenMetadata-Change``."""
        fqn = pipeline_fqn(request)
        response = self.client.request("PUT", "/pipelines", body=request)
        body = self.client.json_from(
            response, f"pipeline {request['name']} ({request.get('displayName', '')})"
        )
        change = _CHANGES.get(response.headers.get(_CHANGE_HEADER, ""))
        if change is None:
            change = "created" if response.status_code == 201 else "updated"
        return EntityRef(id=body["id"], fqn=body.get("fullyQualifiedName", fqn), type="pipeline"), change

    def put_statuses(self, fqn: str, statuses: list[PipelineStatus]) -> int:
        """Upsert statuses (keyed by timestamp on the server) in bulk chunks of at most 1000."""
        if not statuses:
            return 0
        path = f"/pipelines/{quote(fqn, safe='')}/status/bulk"
        for start in range(0, len(statuses), STATUS_CHUNK):
            chunk = statuses[start : start + STATUS_CHUNK]
            self.client.call("PUT", path, f"statuses of {fqn}", body=chunk)
        return len(statuses)

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        """Every non-deleted pipeline of ``service`` (paged, 1000 a page), with its ``sourceHash``.

        With ``with_status`` the listing asks for ``fields=pipelineStatus``: the server adds each
        pipeline's latest status (the one with the greatest timestamp; ``PipelineRepository``'s
        ``fetchAndSetPipelineStatuses``, open-metadata/OpenMetadata main, seen 2026-11-29) to the same
        pages, so it costs no extra request.
        """
        after: str | None = None
        while True:
            params: dict[str, str | int] = {"service": service, "limit": 1000, "include": "non-deleted"}
            if with_status:
                params["fields"] = "pipelineStatus"
            if after:
                params["after"] = after
            page = (
                self.client.call("GET", "/pipelines", f"listing pipelines of {service}", params=params) or {}
            )
            for entity in page.get("data", []):
                yield EntityRef(
                    id=entity["id"],
                    fqn=entity["fullyQualifiedName"],
                    type="pipeline",
                    name=entity["name"],
                    source_hash=entity.get("sourceHash"),
                    latest_status=entity.get("pipelineStatus") if with_status else None,
                )
            after = (page.get("paging") or {}).get("after")
            if not after:
                return

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        """Soft-delete (recoverable in the UI) one pipeline."""
        params = {"hardDelete": "false", "recursive": "true"}
        self.client.call("DELETE", f"/pipelines/{ref.id}", f"deleting {ref.fqn}", params=params)

    # -- tags, users, tables, lineage ----------------------------------------------------------------------

    def ensure_tags(self, classification: str, description: str, tags: dict[str, str]) -> None:
        """Create the classification and each tag ``{name: description}`` (upserts)."""
        if not tags:
            return
        request: CreateClassificationRequest = {"name": classification, "description": description}
        self.client.call("PUT", "/classifications", f"classification {classification}", body=request)
        for name, tag_description in tags.items():
            tag: CreateTagRequest = {
                "name": name,
                "description": tag_description,
                "classification": classification,
            }
            self.client.call("PUT", "/tags", f"tag {classification}.{name}", body=tag)

    def databricks_database_services(self) -> list[str]:
        """Names of the Databricks / Unity Catalog database services, where lineage tables live."""
        response = self.client.request("GET", "/services/databaseServices", params={"limit": 1000})
        if response.status_code == 404:
            return []
        page = self.client.json_from(response, "listing database services") or {}
        wanted = {"databricks", "unitycatalog"}
        return [s["name"] for s in page.get("data", []) if str(s.get("serviceType", "")).lower() in wanted]

    def find_user(self, email: str) -> EntityRef | None:
        """The OpenMetadata user with this e-mail (looked up by its name part), cached per run."""
        key = email.lower()
        with self._lock:
            if key in self._user_cache:
                return self._user_cache[key]
        name = key.split("@", 1)[0]
        found = self.client.get_optional(f"/users/name/{quote(name, safe='')}", f"looking up user {name}")
        ref = None
        if found and (not found.get("email") or str(found["email"]).lower() == key):
            ref = EntityRef(id=found["id"], fqn=found.get("fullyQualifiedName", name), type="user", name=name)
        with self._lock:
            self._user_cache[key] = ref
        return ref

    def find_table(self, fqn: str) -> EntityRef | None:
        """The table with this fully qualified name and the edges into it, cached per run (misses too).

        One ``GET /v1/lineage/table/name/{fqn}?upstreamDepth=1&downstreamDepth=0``: the same one call a
        ``GET /v1/tables/name/{fqn}`` costs, a 404 for a missing or deleted table alike
        (``LineageRepository.getByName``, Include.NON_DELETED), and it also answers which edges into the
        table OpenMetadata already holds, read from its database (``getUpstreamLineage``: each edge's
        ``fromEntity`` id and ``lineageDetails.pipeline``; open-metadata/OpenMetadata main, seen
        2026-11-29). The engine skips those edges (``EntityRef.lineage_from``).
        """
        with self._lock:
            if fqn in self._table_cache:
                return self._table_cache[fqn]
        with self._lock:
            self.table_lookups += 1
        found = self.client.get_optional(
            f"/lineage/table/name/{quote(fqn, safe='')}",
            f"looking up table {fqn}",
            params={"upstreamDepth": 1, "downstreamDepth": 0},
        )
        ref = _table_ref(found, fqn) if found else None
        with self._lock:
            self._table_cache[fqn] = ref
        return ref

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        """Add one table-to-table edge attributed to ``pipeline``."""
        body: AddLineageRequest = {
            "edge": {
                "fromEntity": {"id": source.id, "type": source.type},
                "toEntity": {"id": target.id, "type": target.type},
                "lineageDetails": {
                    "pipeline": {"id": pipeline.id, "type": "pipeline"},
                    "source": "PipelineLineage",
                },
            }
        }
        self.client.call("PUT", "/lineage", f"lineage {source.fqn} -> {target.fqn}", body=body)

    def close(self) -> None:
        """Release pooled connections."""
        self.client.close()


def _table_ref(lineage: dict[str, Any], fqn: str) -> EntityRef | None:
    """The table of an ``EntityLineage`` answer, with ``(from fqn, pipeline fqn)`` of each edge into it.

    Edges name their ends by id; ``nodes`` holds the references, fully qualified names included.
    """
    entity = lineage.get("entity") or {}
    if not entity.get("id"):
        return None
    names = {node.get("id"): node.get("fullyQualifiedName") for node in lineage.get("nodes") or []}
    held = set()
    for edge in lineage.get("upstreamEdges") or []:
        source = names.get(edge.get("fromEntity"))
        pipeline = (edge.get("lineageDetails") or {}).get("pipeline") or {}
        if edge.get("toEntity") == entity["id"] and source and pipeline.get("fullyQualifiedName"):
            held.add((str(source), str(pipeline["fullyQualifiedName"])))
    return EntityRef(
        id=entity["id"],
        fqn=entity.get("fullyQualifiedName", fqn),
        type="table",
        lineage_from=frozenset(held),
    )
