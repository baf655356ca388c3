"""Lineage: edges keyed by (from id, to id), ``PUT /lineage`` and the lineage graph reads.

Behaviour from OpenMetadata's ``LineageRepository`` (column checks, pipeline edges, depth limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.emulators.http import Request, Response
from core.emulators.openmetadata.constants import MAX_LINEAGE_DEPTH
from core.emulators.openmetadata.errors import bad_request, entity_not_found, om_error
from core.emulators.openmetadata.schemas import ADD_LINEAGE
from core.emulators.openmetadata.store import EntityStore


class LineageRoutes(EntityStore):
    """Lineage edges: storage, ``PUT /lineage``, ``GET /lineage/{entity}/...``."""

    def _entity_by_ref(self, ref: Mapping[str, Any]) -> dict[str, Any]:
        """The stored table or pipeline a lineage reference points to, or a 404."""
        found = self._by_id.get(ref["id"].lower())
        if found is None or found[0] != ref["type"] or found[0] not in {"table", "pipeline"}:
            raise entity_not_found(ref["type"], ref["id"])
        entity = (self._tables if found[0] == "table" else self._pipelines)[found[1]]
        if entity.get("deleted"):
            raise entity_not_found(ref["type"], ref["id"])
        return entity

    def _put_lineage(self, request: Request) -> Response:
        body = ADD_LINEAGE.validate(self._body(request))
        edge = body["edge"]
        source = self._entity_by_ref(edge["fromEntity"])
        target = self._entity_by_ref(edge["toEntity"])
        details = self._lineage_details(edge.get("lineageDetails") or {}, source, target)
        description = edge.get("description") or body.get("description")
        if description:
            details.setdefault("description", description)
        stored = {
            "fromEntity": self._ref(source, edge["fromEntity"]["type"]),
            "toEntity": self._ref(target, edge["toEntity"]["type"]),
            "lineageDetails": details,
        }
        self._store_edge(stored)
        return Response(200, None)

    def _lineage_details(
        self, raw: Mapping[str, Any], source: Mapping[str, Any], target: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Normalise lineageDetails: resolve the pipeline reference, default the source, check columns."""
        details = {key: value for key, value in raw.items() if value is not None}
        details.setdefault("source", "Manual")
        details.setdefault("columnsLineage", [])
        if "pipeline" in details:
            if details["pipeline"]["type"] != "pipeline":
                raise bad_request(
                    f"Lineage pipeline must be of type pipeline, got {details['pipeline']['type']}"
                )
            details["pipeline"] = self._ref(self._entity_by_ref(details["pipeline"]), "pipeline")
        for column_lineage in details["columnsLineage"]:
            for column in column_lineage.get("fromColumns") or []:
                self._check_column(source, column)
            if column_lineage.get("toColumn"):
                self._check_column(target, column_lineage["toColumn"])
        return details

    @staticmethod
    def _check_column(table: Mapping[str, Any], column_fqn: str) -> None:
        """A column of a table with known columns must exist (LineageRepository.validateChildren)."""
        columns = table.get("columns")
        if columns is None:
            return
        if column_fqn not in {column["fullyQualifiedName"] for column in columns}:
            raise bad_request(f"Invalid fully qualified column name {column_fqn}")

    def _store_edge(self, edge: dict[str, Any]) -> None:
        key = (edge["fromEntity"]["id"], edge["toEntity"]["id"])
        existing = self._edges.get(key)
        if existing == edge:
            self._counters["lineage.unchanged"] += 1
            return
        if existing is not None:
            self._unindex_edge(key, existing)
        self._counters["lineage.updated" if existing is not None else "lineage.created"] += 1
        self._edges[key] = edge
        self._edges_from.setdefault(key[0], set()).add(key)
        self._edges_to.setdefault(key[1], set()).add(key)
        pipeline = edge["lineageDetails"].get("pipeline")
        if pipeline is not None:
            self._edges_by_pipeline.setdefault(pipeline["id"], set()).add(key)

    def _unindex_edge(self, key: tuple[str, str], edge: Mapping[str, Any]) -> None:
        self._edges_from.get(key[0], set()).discard(key)
        self._edges_to.get(key[1], set()).discard(key)
        pipeline = edge["lineageDetails"].get("pipeline")
        if pipeline is not None:
            self._edges_by_pipeline.get(pipeline["id"], set()).discard(key)

    def _delete_lineage(self, request: Request) -> Response:
        """``DELETE /v1/lineage/{fromEntity}/{fromId}/{toEntity}/{toId}``: one edge, as a UI user deletes it.

        As ``LineageResource.deleteLineage``; 404 when there is no such edge.
        """
        key = (self._path_param(request, "from_id").lower(), self._path_param(request, "to_id").lower())
        edge = self._edges.pop(key, None)
        if edge is None:
            raise entity_not_found("lineage edge", f"{key[0]} -> {key[1]}")
        self._unindex_edge(key, edge)
        self._counters["lineage.deleted"] += 1
        return Response(200, None)

    def _drop_edges_of(self, entity_id: str) -> None:
        """Remove every edge that touches an entity or that it carries as the edge's pipeline."""
        keys = (
            set(self._edges_from.pop(entity_id, set()))
            | set(self._edges_to.pop(entity_id, set()))
            | set(self._edges_by_pipeline.pop(entity_id, set()))
        )
        for key in keys:
            edge = self._edges.pop(key, None)
            if edge is not None:
                self._unindex_edge(key, edge)

    def _lineage_entity(self, entity_type: str, fqn: str) -> dict[str, Any]:
        store = {"table": self._tables, "pipeline": self._pipelines}.get(entity_type)
        if store is None:
            raise om_error(404, f"Entity type {entity_type} not found")
        entity = store.get(fqn)
        if entity is None or entity.get("deleted"):
            raise entity_not_found(entity_type, fqn)
        return entity

    def _get_lineage_by_name(self, request: Request) -> dict[str, Any]:
        entity_type = self._path_param(request, "entity")
        entity = self._lineage_entity(entity_type, self._path_param(request, "fqn"))
        return self._lineage_graph(request, entity, entity_type)

    def _get_lineage_by_id(self, request: Request) -> dict[str, Any]:
        entity_type = self._path_param(request, "entity")
        key = self._lookup_id(request, entity_type)
        return self._lineage_graph(request, self._lineage_entity(entity_type, key), entity_type)

    def _lineage_graph(self, request: Request, entity: Mapping[str, Any], entity_type: str) -> dict[str, Any]:
        """EntityLineage: nodes and edges up to the requested depths (default 1, max 3).

        For a pipeline, the edges it carries (``lineageDetails.pipeline``) count as both its upstream and its
        downstream, as on a real server, besides edges that have the pipeline itself as an end.
        """
        up = self._int_param(request, "upstreamDepth", 1, 0, MAX_LINEAGE_DEPTH)
        down = self._int_param(request, "downstreamDepth", 1, 0, MAX_LINEAGE_DEPTH)
        assert up is not None and down is not None
        carried = self._edges_by_pipeline.get(entity["id"], set()) if entity_type == "pipeline" else set()
        upstream = self._walk(entity["id"], up, self._edges_to, 0) | (carried if up else set())
        downstream = self._walk(entity["id"], down, self._edges_from, 1) | (carried if down else set())
        node_ids = {end for key in upstream | downstream for end in key} - {entity["id"]}
        return {
            "entity": self._ref(entity, entity_type),
            "nodes": [self._node_ref(node_id) for node_id in sorted(node_ids)],
            "upstreamEdges": [self._edge_view(key) for key in sorted(upstream)],
            "downstreamEdges": [self._edge_view(key) for key in sorted(downstream)],
        }

    @staticmethod
    def _walk(
        start: str, depth: int, index: Mapping[str, set[tuple[str, str]]], next_end: int
    ) -> set[tuple[str, str]]:
        """Breadth-first edge collection from ``start``, ``depth`` hops deep.

        ``index`` maps an id to the edges to follow, ``next_end`` picks the end of each edge to continue
        from (0 = from-entity for upstream, 1 = to-entity for downstream).
        """
        found: set[tuple[str, str]] = set()
        frontier = {start}
        for _ in range(depth):
            step = {key for node in frontier for key in index.get(node, set())} - found
            found |= step
            frontier = {key[next_end] for key in step}
        return found

    def _node_ref(self, entity_id: str) -> dict[str, Any]:
        entity_type, key = self._by_id[entity_id]
        entity = (self._tables if entity_type == "table" else self._pipelines)[key]
        return self._ref(entity, entity_type)

    def _edge_view(self, key: tuple[str, str]) -> dict[str, Any]:
        edge = self._edges[key]
        return {"fromEntity": key[0], "toEntity": key[1], "lineageDetails": edge["lineageDetails"]}

    # -- classifications and tags -----------------------------------------------------------------------
