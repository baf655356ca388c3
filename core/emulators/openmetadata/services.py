"""Routes for pipeline services (create-or-update, read, list) and database services (read, list)."""

from __future__ import annotations

from typing import Any

from core.emulators.http import Request, Response
from core.emulators.openmetadata.errors import entity_not_found
from core.emulators.openmetadata.names import quote_name, split_fqn
from core.emulators.openmetadata.schemas import CREATE_PIPELINE_SERVICE
from core.emulators.openmetadata.store import EntityStore


class ServiceRoutes(EntityStore):
    """``/services/pipelineServices`` and ``/services/databaseServices``."""

    def _put_service(self, request: Request) -> Response:
        return self._write_service(request, create_only=False)

    def _post_service(self, request: Request) -> Response:
        return self._write_service(request, create_only=True)

    def _write_service(self, request: Request, *, create_only: bool) -> Response:
        body = CREATE_PIPELINE_SERVICE.validate(self._body(request))
        self._reject_domains(body)
        name = body["name"]
        if create_only:
            self._refuse_existing("service", self._services, name)
        service_id = self._new_id("pipelineService", name)
        candidate: dict[str, Any] = {
            "id": service_id,
            "name": name,
            "fullyQualifiedName": quote_name(name),
            "serviceType": body["serviceType"],
            "href": self._href("services/pipelineServices", service_id),
            "owners": self._resolve_owners(body.get("owners")),
            "tags": self._resolve_tags(body.get("tags")),
            "deleted": False,
        }
        for key in (
            "displayName",
            "description",
            "connection",
            "scheduleInterval",
            "lifeCycle",
            "ingestionRunner",
        ):
            if body.get(key) is not None:
                candidate[key] = body[key]
        entity, status = self._upsert("service", self._services, name, candidate)
        self._by_id[service_id] = ("pipelineService", name)
        return Response(status, entity)

    def _service_by_fqn(self, fqn: str) -> dict[str, Any]:
        parts = split_fqn(fqn)
        service = self._services.get(parts[0]) if len(parts) == 1 else None
        if service is None or service.get("deleted"):
            raise entity_not_found("pipelineService", fqn)
        return service

    def _get_service(self, request: Request) -> dict[str, Any]:
        return self._service_by_fqn(self._path_param(request, "name"))

    def _get_service_by_id(self, request: Request) -> dict[str, Any]:
        return self._services[self._lookup_id(request, "pipelineService")]

    def _list_services(self, request: Request) -> dict[str, Any]:
        return self._list_response(request, sorted(self._services), self._services)

    def _get_db_service(self, request: Request) -> dict[str, Any]:
        name = self._path_param(request, "name")
        parts = split_fqn(name)
        service = self._db_services.get(parts[0]) if len(parts) == 1 else None
        if service is None:
            raise entity_not_found("databaseService", name)
        return service

    def _list_db_services(self, request: Request) -> dict[str, Any]:
        return self._list_response(request, sorted(self._db_services), self._db_services)
