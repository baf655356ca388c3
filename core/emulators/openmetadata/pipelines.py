"""Pipeline routes: CreatePipeline (PUT/POST), JSON Patch, reads with ``fields``, listing, soft and hard delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.emulators.http import Request, Response
from core.emulators.openmetadata.constants import PIPELINE_FIELDS, PIPELINE_GATED_FIELDS
from core.emulators.openmetadata.errors import bad_request, entity_not_found, om_error
from core.emulators.openmetadata.lineage import LineageRoutes
from core.emulators.openmetadata.names import fqn_add, split_fqn
from core.emulators.openmetadata.schemas import CREATE_PIPELINE
from core.emulators.openmetadata.services import ServiceRoutes
from core.emulators.openmetadata.versioning import merge_tag_labels, next_version, now_ms


class PipelineRoutes(LineageRoutes, ServiceRoutes):
    """``/pipelines``: create-or-update, get by name or id, list, delete."""

    def _put_pipeline(self, request: Request) -> Response:
        return self._write_pipeline(request, create_only=False)

    def _post_pipeline(self, request: Request) -> Response:
        return self._write_pipeline(request, create_only=True)

    def _write_pipeline(self, request: Request, *, create_only: bool) -> Response:
        """CreatePipeline: validate against the contract and the catalogue, then create or update."""
        entity, status = self._store_pipeline(CREATE_PIPELINE.validate(self._body(request)), create_only)
        return Response(status, entity)

    def _store_pipeline(self, body: Mapping[str, Any], create_only: bool) -> tuple[dict[str, Any], int]:
        """A validated CreatePipeline checked against the catalogue, then stored: (entity, 201 or 200)."""
        service = self._service_by_fqn(body["service"])
        fqn = fqn_add(service["fullyQualifiedName"], body["name"])
        if create_only:
            self._refuse_existing("pipeline", self._pipelines, fqn)
        self._check_task_graph(body.get("tasks") or [])
        self._reject_domains(body)
        candidate = self._pipeline_candidate(body, service, fqn)
        existed = fqn in self._pipelines
        was_deleted = existed and self._pipelines[fqn].get("deleted")
        entity, status = self._upsert("pipeline", self._pipelines, fqn, candidate, self._merge_pipeline)
        self._by_id[entity["id"]] = ("pipeline", fqn)
        if not existed or was_deleted:
            self._pipeline_index.clear()
        return entity, status

    def _patch_pipeline(self, request: Request) -> dict[str, Any]:
        """``PATCH /v1/pipelines/{id}``: a JSON Patch (RFC 6902), as ``PipelineResource.patch`` takes it.

        The resource consumes ``application/json-patch+json`` only (any other type is a 415 from JAX-RS).
        ``PipelineUpdater`` records a ``sourceHash`` change (``recordChange("sourceHash", ...)``;
        open-metadata/OpenMetadata ``PipelineRepository``, seen 2026-11-29) and, as on a PUT, the hash
        alone moves no version. The emulator applies ``add`` / ``replace`` / ``remove`` on ``/sourceHash``,
        the one path the engine patches; any other path is refused with a 400 that says so.
        """
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/json-patch+json":
            raise om_error(415, f"HTTP 415 Unsupported Media Type: {content_type or 'none'}")
        fqn = self._lookup_id(request, "pipeline")
        operations = self._body(request)
        if not isinstance(operations, list):
            raise bad_request("a JSON Patch is a list of operations")
        entity = self._pipelines[fqn]
        for operation in operations:
            if not isinstance(operation, dict) or operation.get("path") != "/sourceHash":
                raise bad_request(f"the emulator patches /sourceHash only, not {operation!r}")
            op = operation.get("op")
            if op in ("add", "replace"):
                value = operation.get("value")
                if not isinstance(value, str) or not 1 <= len(value) <= 32:
                    raise bad_request("sourceHash: a string of 1 to 32 characters")
                entity = self._with_source_hash(entity, value)
            elif op == "remove":
                entity = self._with_source_hash(entity, None)
            else:
                raise bad_request(f"unsupported JSON Patch operation {op!r}")
        self._pipelines[fqn] = entity
        self._counters["pipeline.patched"] += 1
        return self._render_pipeline(entity, frozenset())

    def _check_task_graph(self, tasks: list[dict[str, Any]]) -> None:
        """Task names must be unique and every ``downstreamTasks`` entry must name a task of this pipeline."""
        names: set[str] = set()
        for task in tasks:
            if task["name"] in names:
                raise bad_request(f"Duplicate task name {task['name']}")
            names.add(task["name"])
        for task in tasks:
            for downstream in task.get("downstreamTasks") or []:
                if downstream not in names:
                    raise bad_request(
                        f"Invalid downstream task name {downstream} in task {task['name']}: "
                        "not a task of this pipeline"
                    )

    def _pipeline_candidate(
        self, body: Mapping[str, Any], service: Mapping[str, Any], fqn: str
    ) -> dict[str, Any]:
        """The Pipeline entity a CreatePipeline request describes (before versioning)."""
        pipeline_id = self._new_id("pipeline", fqn)
        entity: dict[str, Any] = {
            "id": pipeline_id,
            "name": body["name"],
            "fullyQualifiedName": fqn,
            "href": self._href("pipelines", pipeline_id),
            "service": self._ref(service, "pipelineService"),
            "serviceType": service["serviceType"],
            "tasks": [self._task_entity(task, fqn) for task in body.get("tasks") or []],
            "tags": self._resolve_tags(body.get("tags")),
            "owners": self._resolve_owners(body.get("owners")),
            "followers": [],
            "deleted": False,
        }
        passthrough = (
            "displayName", "description", "sourceUrl", "concurrency", "pipelineLocation", "startDate",
            "state", "scheduleInterval", "extension", "lifeCycle", "sourceHash",
        )  # fmt: skip
        for key in passthrough:
            if body.get(key) is not None:
                entity[key] = body[key]
        return entity

    def _task_entity(self, task: Mapping[str, Any], pipeline_fqn: str) -> dict[str, Any]:
        entity: dict[str, Any] = {
            key: value
            for key, value in task.items()
            if value is not None and key not in {"tags", "owners", "fullyQualifiedName"}
        }
        entity["fullyQualifiedName"] = fqn_add(pipeline_fqn, task["name"])
        entity["tags"] = self._resolve_tags(task.get("tags"))
        owners = self._resolve_owners(task.get("owners"))
        if owners:
            entity["owners"] = owners
        return entity

    def _merge_pipeline(self, original: Mapping[str, Any], updated: dict[str, Any]) -> dict[str, Any]:
        """The stored pipeline after a PUT by the ingestion bot.

        Entity-level bot rules plus PipelineUpdater's: a stored non-empty task description is kept and
        task tags are merged; the task list itself is replaced (the client's list is the truth).
        """
        merged = self._apply_bot_put_rules(original, updated)
        if not self.bot_put_preserves_user_edits:
            return merged
        stored_tasks = {task["name"]: task for task in original.get("tasks") or []}
        tasks = []
        for task in merged.get("tasks") or []:
            stored = stored_tasks.get(task["name"])
            if stored is not None:
                task = dict(task)
                if stored.get("description"):
                    task["description"] = stored["description"]
                task["tags"] = merge_tag_labels(stored.get("tags") or [], task.get("tags") or [])
            tasks.append(task)
        merged["tasks"] = tasks
        return merged

    def _latest_status(self, fqn: str) -> dict[str, Any] | None:
        """The stored status with the greatest timestamp, its task statuses sorted by ``startTime``.

        As ``PipelineRepository.getPipelineStatus`` serves ``fields=pipelineStatus`` on a GET and on
        every listed pipeline (``ORDER BY timestamp DESC LIMIT 1``, then ``taskStatus`` sorted by start
        time, missing ones last; open-metadata/OpenMetadata main, seen 2026-11-29).
        """
        by_ts = self._statuses.get(fqn)
        if not by_ts:
            return None
        latest = by_ts[max(by_ts)]
        tasks = latest.get("taskStatus")
        if not tasks:
            return latest
        ordered = sorted(tasks, key=lambda task: (task.get("startTime") is None, task.get("startTime") or 0))
        return {**latest, "taskStatus": ordered}

    def _render_pipeline(self, entity: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
        """A GET view: gated fields only when asked for, ``pipelineStatus`` computed from stored statuses."""
        view = {
            key: value for key, value in entity.items() if key not in PIPELINE_GATED_FIELDS or key in fields
        }
        if "pipelineStatus" in fields:
            latest = self._latest_status(entity["fullyQualifiedName"])
            if latest is not None:
                view["pipelineStatus"] = latest
        return view

    @staticmethod
    def _fields_param(request: Request) -> frozenset[str]:
        raw = request.query.get("fields") or ""
        if raw.strip() == "*":
            return PIPELINE_FIELDS
        fields = frozenset(part.strip() for part in raw.split(",") if part.strip())
        unknown = sorted(fields - PIPELINE_FIELDS)
        if unknown:
            raise bad_request(f"Invalid field name {unknown[0]}")
        return fields

    def _find_pipeline(self, fqn: str, include: str, key: str | None = None) -> dict[str, Any]:
        entity = self._pipelines.get(fqn)
        if entity is None or not self._visible(entity, include):
            raise entity_not_found("pipeline", key or fqn)
        return entity

    def _get_pipeline_by_name(self, request: Request) -> dict[str, Any]:
        fqn = self._path_param(request, "fqn")
        entity = self._find_pipeline(fqn, self._include_param(request))
        return self._render_pipeline(entity, self._fields_param(request))

    def _get_pipeline_by_id(self, request: Request) -> dict[str, Any]:
        fqn = self._lookup_id(request, "pipeline")
        entity = self._find_pipeline(fqn, self._include_param(request), key=self._path_param(request, "id"))
        return self._render_pipeline(entity, self._fields_param(request))

    def _pipeline_keys(self, service: str | None, include: str) -> list[str]:
        """Sorted FQNs for a (service, include) listing; cached until a pipeline appears or disappears."""
        cache_key = (service, include)
        keys = self._pipeline_index.get(cache_key)
        if keys is None:
            keys = sorted(
                fqn
                for fqn, entity in self._pipelines.items()
                if self._visible(entity, include)
                and (service is None or entity["service"]["name"] == service)
            )
            self._pipeline_index[cache_key] = keys
        return keys

    def _list_pipelines(self, request: Request) -> dict[str, Any]:
        fields = self._fields_param(request)
        service = request.query.get("service") or None
        if service is not None:
            parts = split_fqn(service)
            service = parts[0] if len(parts) == 1 else service
        keys = self._pipeline_keys(service, self._include_param(request))
        return self._list_response(request, keys, self._pipelines, lambda e: self._render_pipeline(e, fields))

    def _delete_pipeline_by_id(self, request: Request) -> dict[str, Any]:
        fqn = self._lookup_id(request, "pipeline")
        return self._delete_pipeline(request, fqn, self._path_param(request, "id"))

    def _delete_pipeline_by_name(self, request: Request) -> dict[str, Any]:
        fqn = self._path_param(request, "fqn")
        return self._delete_pipeline(request, fqn, fqn)

    def _delete_pipeline(self, request: Request, fqn: str, key: str) -> dict[str, Any]:
        """Soft delete (``deleted: true``, version +0.1), or hard delete with ``hardDelete=true``.

        A hard delete removes the pipeline with its statuses and the lineage edges it carries or touches.
        """
        hard = self._bool_param(request, "hardDelete")
        entity = self._find_pipeline(fqn, "all" if hard else "non-deleted", key)
        self._pipeline_index.clear()
        if hard:
            del self._pipelines[fqn]
            self._by_id.pop(entity["id"], None)
            self._statuses.pop(fqn, None)
            self._drop_edges_of(entity["id"])
            self._counters["pipeline.hard_deleted"] += 1
            return {**entity, "deleted": True}
        deleted = {
            **entity,
            "deleted": True,
            "version": next_version(entity["version"]),
            "updatedAt": now_ms(),
            "updatedBy": self._current_principal(),
            "changeDescription": {
                "fieldsAdded": [],
                "fieldsUpdated": ["deleted"],
                "fieldsDeleted": [],
                "previousVersion": entity["version"],
            },
        }
        self._pipelines[fqn] = deleted
        self._counters["pipeline.soft_deleted"] += 1
        return deleted
