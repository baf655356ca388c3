"""An in-memory catalogue that stores pipelines as OpenMetadata does, for the dry-run diff's tests.

:func:`pipeline_entity` builds the ``Pipeline`` entity OpenMetadata would return for a request
(``GET /v1/pipelines/name/{fqn}?fields=tasks,tags,owners,scheduleInterval``), with **every** property of
``entity/data/pipeline.json`` and of its ``task`` definition present, including the extras a server adds
(ids, fully qualified names, hrefs, versions, followers, votes, a manual tag and an owner added in
OpenMetadata's UI). :class:`CatalogueSink` keeps such entities, lists them with their ``sourceHash`` (so a
rerun skips unchanged pipelines) and answers ``stored_pipeline`` with them.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

from core.sinks.base import Change, EntityRef
from tests.engine.fakes import MemorySink

__all__ = ["OWNER", "CatalogueSink", "pipeline_entity"]

#: a user the catalogue knows (``includeOwners`` finds it for ``ann@example.com``)
OWNER = {"id": "5f1c7a52-1f63-4a3e-9d55-2b4c7a0e6f11", "type": "user"}
_UI_OWNER = {
    "id": "0b2f4c3e-9a7d-4f61-8e25-6d1a3b9c7e40",
    "type": "user",
    "name": "bob",
    "fullyQualifiedName": "bob",
    "displayName": "Bob",
    "deleted": False,
    "href": "http://om/api/v1/users/0b2f4c3e-9a7d-4f61-8e25-6d1a3b9c7e40",
}
_UI_TAG = {"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}
_TIME = 1_795_000_000_000


def _id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _reference(ref: dict[str, Any], name: str) -> dict[str, Any]:
    """An owner as a GET returns it: the request's id and type plus the server's name, fqn and href."""
    return {**ref, "name": name, "fullyQualifiedName": name, "deleted": False, "href": f"http://om/{name}"}


def _tag(tag: dict[str, Any]) -> dict[str, Any]:
    return {**tag, "name": tag["tagFQN"].rsplit(".", 1)[-1], "description": "a tag", "style": {}}


def _task(task: dict[str, Any], fqn: str) -> dict[str, Any]:
    return {
        "name": task["name"],
        "displayName": task.get("displayName"),
        "fullyQualifiedName": f"{fqn}.{task['name']}",
        # a description added in OpenMetadata where the request has none (a PUT keeps it)
        "description": task.get("description") or "described in OpenMetadata",
        "sourceUrl": task.get("sourceUrl"),
        "downstreamTasks": list(task.get("downstreamTasks") or []),
        "taskType": task.get("taskType"),
        "taskSQL": "SELECT 1",
        "startDate": "2026-11-01T00:00:00Z",
        "endDate": "2026-11-02T00:00:00Z",
        "tags": [_UI_TAG],
        "owners": [_UI_OWNER],
    }


def pipeline_entity(request: dict[str, Any], *, source_hash: str | None = "from-request") -> dict[str, Any]:
    """The Pipeline entity OpenMetadata holds after a PUT of ``request``, every optional property present.

    ``source_hash``: ``"from-request"`` keeps the request's; None leaves it out (written by another tool).
    """
    fqn = f"{request['service']}.{request['name']}"
    pipeline_id = _id("pipeline", fqn)
    service_id = _id("service", request["service"])
    entity: dict[str, Any] = {
        "id": pipeline_id,
        "name": request["name"],
        "displayName": request.get("displayName"),
        "fullyQualifiedName": fqn,
        # a description added in OpenMetadata where the request has none (a bot's PUT keeps it)
        "description": request.get("description", "described in OpenMetadata"),
        "dataProducts": [],
        "dataContract": {"id": _id("contract", fqn), "type": "dataContract"},
        "version": 0.2,
        "updatedAt": _TIME,
        "updatedBy": "ingestion-bot",
        "impersonatedBy": "ingestion-bot",
        "sourceUrl": request.get("sourceUrl"),
        "concurrency": request.get("concurrency"),
        "pipelineLocation": "/Workspace/etl",
        "startDate": "2026-11-01T00:00:00Z",
        "endDate": "2026-11-30T00:00:00Z",
        "tasks": [_task(task, fqn) for task in request.get("tasks") or []],
        "pipelineStatus": {"timestamp": _TIME, "executionStatus": "Successful", "taskStatus": []},
        "state": request.get("state"),
        "followers": [_UI_OWNER],
        "tags": [*(_tag(tag) for tag in request.get("tags") or []), _UI_TAG],
        "href": f"http://om/api/v1/pipelines/{pipeline_id}",
        "owners": [_reference(ref, "ann") for ref in request.get("owners") or []] or [_UI_OWNER],
        "service": {"id": service_id, "type": "pipelineService", "name": request["service"]},
        "serviceType": "DatabricksPipeline",
        "usageSummary": {"dailyStats": {"count": 1}, "date": "2026-11-29"},
        "changeDescription": {
            "fieldsAdded": [],
            "fieldsUpdated": [],
            "fieldsDeleted": [],
            "previousVersion": 0.1,
        },
        "incrementalChangeDescription": {
            "fieldsAdded": [],
            "fieldsUpdated": [],
            "fieldsDeleted": [],
            "previousVersion": 0.1,
        },
        "deleted": False,
        "extension": {"team": "data"},
        "scheduleInterval": request.get("scheduleInterval"),
        "domains": [{"id": _id("domain", "sales"), "type": "domain", "name": "sales"}],
        "votes": {"upVotes": 1, "downVotes": 0, "upVoters": [], "downVoters": []},
        "lifeCycle": {"created": {"timestamp": _TIME}},
        "certification": {
            "tagLabel": {
                "tagFQN": "Certification.Gold",
                "source": "Classification",
                "labelType": "Manual",
                "state": "Confirmed",
            },
            "appliedDate": _TIME,
            "expiryDate": _TIME + 1,
        },
        "sourceHash": request.get("sourceHash") if source_hash == "from-request" else source_hash,
        "entityStatus": "Approved",
    }
    # OpenMetadata leaves unset attributes out of its JSON, as the request did
    return {key: value for key, value in entity.items() if value is not None}


class CatalogueSink(MemorySink):
    """A :class:`MemorySink` whose pipelines are stored as entities, listed with their ``sourceHash``.

    ``writes`` lists every write call (``put_pipeline:<name>``, ``put_statuses:<fqn>``, ``soft_delete:<name>``,
    ``put_lineage:<name>``, ``store_source_hash:<fqn>``); ``reads`` the ``stored_pipeline`` calls.
    """

    kind = "memory"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities: dict[str, dict[str, Any]] = {}
        self.writes: list[str] = []
        self.reads: list[str] = []

    def target(self) -> dict[str, str]:
        return {"kind": "openmetadata", "location": "http://om.example:8585/api"}

    def put_pipeline(self, request: dict) -> tuple[EntityRef, Change]:
        ref, _ = super().put_pipeline(request)
        change: Change = "updated" if request["name"] in self.entities else "created"
        self.entities[request["name"]] = pipeline_entity(copy.deepcopy(request))
        self.writes.append(f"put_pipeline:{request['name']}")
        return ref, change

    def put_statuses(self, fqn: str, statuses: list[dict]) -> int:
        if statuses:
            self.writes.append(f"put_statuses:{fqn}")
        return super().put_statuses(fqn, statuses)

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        self.writes.append(f"put_lineage:{pipeline.name}")
        super().put_lineage(source, target, pipeline)

    def store_source_hash(self, pipeline: EntityRef, source_hash: str) -> None:
        self.writes.append(f"store_source_hash:{pipeline.fqn}")

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        self.writes.append(f"soft_delete:{ref.name}")
        super().soft_delete_pipeline(ref)
        self.entities.pop(ref.name or "", None)

    def find_user(self, email: str) -> EntityRef | None:
        if email == "ann@example.com":
            return EntityRef(id=OWNER["id"], fqn="ann", type="user", name="ann")
        return None

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        for name, entity in list(self.entities.items()):
            yield EntityRef(
                id=entity["id"],
                fqn=entity["fullyQualifiedName"],
                type="pipeline",
                name=name,
                source_hash=entity.get("sourceHash"),
                display_name=entity.get("displayName"),
                latest_status=self._latest(entity["fullyQualifiedName"]) if with_status else None,
            )

    def _latest(self, fqn: str) -> dict[str, Any] | None:
        """The stored status with the greatest timestamp (``fields=pipelineStatus``)."""
        statuses = self.statuses.get(fqn) or []
        return max(statuses, key=lambda status: status["timestamp"]) if statuses else None

    def stored_pipeline(self, fqn: str) -> dict[str, Any] | None:
        self.reads.append(fqn)
        for entity in self.entities.values():
            if entity["fullyQualifiedName"] == fqn:
                return copy.deepcopy(entity)
        return None
