"""Ingestion pipeline routes: the entity OpenMetadata's Ingestions tab lists, and the status of each run.

What a real server does, from its code (open-metadata/OpenMetadata, ``IngestionPipelineRepository`` and
``IngestionPipelineResource``, https://github.com/open-metadata/OpenMetadata, read 2026-11-29) and the
1.13 JSON schemas (``createIngestionPipeline.json``, ``ingestionPipeline.json``, ``status.json``):

- ``PUT /v1/services/ingestionPipelines`` creates or updates (201, then 200); ``POST`` only creates. The
  entity's FQN is ``FullyQualifiedName.add(service FQN, name)``; ``service`` is a reference by id that must
  name an existing service (else 404 ``<type> instance for <id> not found``).
- ``PUT /v1/services/ingestionPipelines/{fqn}/pipelineStatus`` (``addPipelineStatus``) stores a run's status
  in the entity's time series: a status with the ``runId`` of a stored one replaces it, any other is added.
  The answer is ``201`` with a ``ChangeEvent`` (``ENTITY_FIELDS_CHANGED``, field ``pipelineStatus``).
- ``GET .../{fqn}/pipelineStatus?startTs=&endTs=`` lists the statuses whose ``timestamp`` is within the
  bounds, newest first (``getResultsFromAndToTimestamps``, ``OrderBy.DESC``), as ``{data, paging}``;
  ``GET .../{fqn}/pipelineStatus/{runId}`` is one run's status (what ``ometa.get_pipeline_status`` reads).
- The time series files a status under its ``timestamp``: the table's ``timestamp`` column is generated
  from the JSON and ``NOT NULL``, so a status without one fails in the database (a 500 here).
"""

from __future__ import annotations

import itertools
from typing import Any

from core.emulators.http import Request, Response
from core.emulators.openmetadata.constants import CHANGE_HEADER, INGESTION_PIPELINE_FIELDS
from core.emulators.openmetadata.errors import bad_request, entity_not_found, om_error
from core.emulators.openmetadata.names import fqn_add
from core.emulators.openmetadata.schemas import CREATE_INGESTION_PIPELINE, INGESTION_PIPELINE_STATUS
from core.emulators.openmetadata.services import ServiceRoutes
from core.emulators.openmetadata.versioning import now_ms

_ENTITY = "ingestionPipeline"
_COLLECTION = "services/ingestionPipelines"
#: entity types a ``service`` reference may name that the emulator stores
_SERVICE_TYPES = ("pipelineService", "databaseService")
#: the defaults the schema gives the entity's own flags (``ingestionPipeline.json``)
_ENTITY_DEFAULTS = {"loggerLevel": "INFO", "raiseOnError": True, "deployed": False, "enabled": True}
_OPTIONAL_KEYS = (
    "displayName",
    "description",
    "loggerLevel",
    "raiseOnError",
    "provider",
    "enableStreamableLogs",
)


class IngestionPipelineRoutes(ServiceRoutes):
    """``/services/ingestionPipelines``: create-or-update, reads, listing, and the runs' statuses."""

    _unkeyed_runs = itertools.count(1)

    # -- the entity -------------------------------------------------------------------------------------

    def _put_ingestion_pipeline(self, request: Request) -> Response:
        return self._write_ingestion_pipeline(request, create_only=False)

    def _post_ingestion_pipeline(self, request: Request) -> Response:
        return self._write_ingestion_pipeline(request, create_only=True)

    def _write_ingestion_pipeline(self, request: Request, *, create_only: bool) -> Response:
        body = CREATE_INGESTION_PIPELINE.validate(self._body(request))
        self._reject_domains(body)
        service = self._service_for_reference(body["service"])
        fqn = fqn_add(service["fullyQualifiedName"], body["name"])
        store = self._ingestion_pipelines
        if create_only:
            self._refuse_existing(_ENTITY, store, fqn)
        entity_id = self._new_id(_ENTITY, fqn)
        candidate: dict[str, Any] = {
            **_ENTITY_DEFAULTS,
            "id": entity_id,
            "name": body["name"],
            "fullyQualifiedName": fqn,
            "pipelineType": body["pipelineType"],
            "sourceConfig": body["sourceConfig"],
            "airflowConfig": body["airflowConfig"],
            "service": self._ref(service, body["service"]["type"]),
            "owners": self._resolve_owners(body.get("owners")),
            "href": self._href(_COLLECTION, entity_id),
            "deleted": False,
        }
        for key in _OPTIONAL_KEYS:
            if body.get(key) is not None:
                candidate[key] = body[key]
        entity, status = self._upsert(_ENTITY, store, fqn, candidate)
        self._by_id[entity_id] = (_ENTITY, fqn)
        return Response(status, entity)

    def _service_for_reference(self, ref: dict[str, Any]) -> dict[str, Any]:
        """``Entity.getEntityReference(service, NON_DELETED)``: the referenced service, or a 404."""
        found = self._by_id.get(ref["id"].lower())
        if ref["type"] not in _SERVICE_TYPES or found is None or found[0] != ref["type"]:
            raise entity_not_found(ref["type"], ref["id"])
        store = self._services if ref["type"] == "pipelineService" else self._db_services
        service = store[found[1]]
        if service.get("deleted"):
            raise entity_not_found(ref["type"], ref["id"])
        return service

    def _ingestion_pipeline(self, fqn: str) -> dict[str, Any]:
        entity = self._ingestion_pipelines.get(fqn)
        if entity is None or entity.get("deleted"):
            raise entity_not_found(_ENTITY, fqn)
        return entity

    def _render_ingestion_pipeline(self, entity: dict[str, Any], request: Request) -> dict[str, Any]:
        """The entity as a GET answers it: ``fields=pipelineStatuses`` adds the latest run's status."""
        fields = {name.strip() for name in (request.query.get("fields") or "").split(",") if name.strip()}
        unknown = sorted(fields - INGESTION_PIPELINE_FIELDS)
        if unknown:
            raise bad_request(f"Invalid field name {unknown[0]}")
        if "pipelineStatuses" not in fields:
            return entity
        runs = self._ingestion_runs.get(entity["fullyQualifiedName"], {})
        latest = max(runs.values(), key=lambda run: run["timestamp"], default=None)
        return {**entity, "pipelineStatuses": latest} if latest is not None else entity

    def _get_ingestion_pipeline_by_name(self, request: Request) -> dict[str, Any]:
        entity = self._ingestion_pipeline(self._path_param(request, "fqn"))
        return self._render_ingestion_pipeline(entity, request)

    def _get_ingestion_pipeline_by_id(self, request: Request) -> dict[str, Any]:
        entity = self._ingestion_pipeline(self._lookup_id(request, _ENTITY))
        return self._render_ingestion_pipeline(entity, request)

    def _list_ingestion_pipelines(self, request: Request) -> dict[str, Any]:
        """Listing, optionally of one ``service`` (its FQN) and one ``pipelineType``."""
        store = self._ingestion_pipelines
        service = request.query.get("service")
        pipeline_type = request.query.get("pipelineType")
        keys = sorted(
            fqn for fqn, entity in store.items()
            if not entity.get("deleted")
            and (service is None or entity["service"]["fullyQualifiedName"] == service)
            and (pipeline_type is None or entity["pipelineType"] == pipeline_type)
        )  # fmt: skip
        return self._list_response(request, keys, store)

    # -- the runs ---------------------------------------------------------------------------------------

    def _put_ingestion_status(self, request: Request) -> Response:
        """``addPipelineStatus``: replace the run with this ``runId``, or add it; 201 and a ChangeEvent."""
        entity = self._ingestion_pipeline(self._path_param(request, "fqn"))
        status = INGESTION_PIPELINE_STATUS.validate(self._body(request), "pipelineStatus")
        if status.get("timestamp") is None:
            raise om_error(500, 'Column "timestamp" cannot be null')
        fqn = entity["fullyQualifiedName"]
        runs = self._ingestion_runs.setdefault(fqn, {})
        run_id = status.get("runId") or f"<no runId {next(self._unkeyed_runs)}>"
        previous = runs.get(run_id)
        runs[run_id] = status
        self._ingestion_status_log.append((fqn, status))
        self._counters["ingestionStatus.updated" if previous else "ingestionStatus.created"] += 1
        event = {
            "eventType": "entityFieldsChanged",
            "entityType": _ENTITY,
            "entityId": entity["id"],
            "entityFullyQualifiedName": fqn,
            "userName": self._current_principal(),
            "timestamp": now_ms(),
            "currentVersion": entity["version"],
            "previousVersion": entity["version"],
            "changeDescription": {
                "fieldsAdded": [],
                "fieldsUpdated": [{"name": "pipelineStatus", "newValue": status, "oldValue": previous}],
                "fieldsDeleted": [],
                "previousVersion": entity["version"],
            },
        }
        return Response(201, event, {CHANGE_HEADER: "entityFieldsChanged"})

    def _list_ingestion_statuses(self, request: Request) -> dict[str, Any]:
        """Statuses with ``startTs <= timestamp <= endTs``, newest first."""
        entity = self._ingestion_pipeline(self._path_param(request, "fqn"))
        start, end = self._time_range(request)
        runs = self._ingestion_runs.get(entity["fullyQualifiedName"], {}).values()
        data = sorted(
            (run for run in runs if start <= run["timestamp"] <= end), key=lambda run: -run["timestamp"]
        )
        return {"data": data, "paging": {"before": str(start), "after": str(end), "total": len(data)}}

    def _get_ingestion_status(self, request: Request) -> Any:
        """``getPipelineStatus``: one run's status by ``runId`` (an empty answer when there is none)."""
        entity = self._ingestion_pipeline(self._path_param(request, "fqn"))
        run = self._ingestion_runs.get(entity["fullyQualifiedName"], {}).get(self._path_param(request, "run"))
        return run if run is not None else Response(204, None)
