"""The request bodies sent to OpenMetadata, typed after OpenMetadata's own JSON schemas.

Each ``TypedDict`` is named after the schema it follows and lists only the properties this connector
sends (``NotRequired`` where the connector leaves the key out when it has no value); at run time they
are plain dicts, so the JSON sent is exactly what the mapping builds. Sources (openmetadata-spec, the
copies used by the tests are in ``tests/data/openmetadata-schemas/``):

- ``api/services/createPipelineService.json``: :class:`CreatePipelineServiceRequest`;
- ``api/data/createPipeline.json``: :class:`CreatePipelineRequest`;
- ``entity/data/pipeline.json``: :class:`Task`, :class:`PipelineStatus`, :class:`TaskStatus`,
  :class:`ExecutionError` (``executionError``);
- ``api/lineage/addLineage.json`` and ``type/entityLineage.json``: :class:`AddLineageRequest`,
  :class:`EntitiesEdge`, :class:`LineageDetails`;
- ``type/entityReference.json``: :class:`EntityReference`;
- ``api/classification/createClassification.json`` and ``createTag.json``:
  :class:`CreateClassificationRequest`, :class:`CreateTagRequest`;
- ``type/tagLabel.json``: :class:`TagLabel`.

Times are epoch milliseconds; enum-like strings are spelled as OpenMetadata spells them.
"""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import NotRequired, TypedDict

__all__ = [
    "AddLineageRequest",
    "CreateClassificationRequest",
    "CreatePipelineRequest",
    "CreatePipelineServiceRequest",
    "CreateTagRequest",
    "EntitiesEdge",
    "EntityReference",
    "ExecutionError",
    "LineageDetails",
    "PipelineConnection",
    "PipelineStatus",
    "StatusType",
    "TagLabel",
    "Task",
    "TaskStatus",
]

#: ``entity/data/pipeline.json#/definitions/statusType``.
StatusType = Literal["Successful", "Failed", "Pending", "Skipped"]


class EntityReference(TypedDict):
    """``type/entityReference.json``: a reference to an entity by id (e.g. an owner or a table)."""

    id: str
    type: str


class TagLabel(TypedDict):
    """``type/tagLabel.json``: a tag applied to an entity."""

    tagFQN: str
    source: Literal["Classification", "Glossary"]
    labelType: Literal["Manual", "Propagated", "Automated", "Derived", "Generated"]
    state: Literal["Suggested", "Confirmed"]


class PipelineConnection(TypedDict):
    """``entity/services/pipelineService.json#/definitions/pipelineConnection``: the stored connection."""

    config: dict[str, Any]


class CreatePipelineServiceRequest(TypedDict):
    """``api/services/createPipelineService.json``: the pipeline service (``PUT /v1/services/pipelineServices``)."""

    name: str
    serviceType: str
    description: NotRequired[str]
    #: left out unless ``storeServiceConnection`` (credentials are never stored)
    connection: NotRequired[PipelineConnection]


class Task(TypedDict):
    """``entity/data/pipeline.json#/definitions/task``: one task of a pipeline."""

    name: str
    displayName: str
    taskType: str
    #: names of the tasks that run after this one
    downstreamTasks: list[str]
    sourceUrl: str
    description: NotRequired[str]


class CreatePipelineRequest(TypedDict):
    """``api/data/createPipeline.json``: one pipeline (``PUT /v1/pipelines``)."""

    name: str
    displayName: str
    #: the pipeline service's name
    service: str
    sourceUrl: str
    tasks: list[Task]
    description: NotRequired[str]
    #: a cron expression, or a readable start mode (``every 4 hours``, ``continuous``)
    scheduleInterval: NotRequired[str]
    state: NotRequired[Literal["Active", "Inactive"]]
    concurrency: NotRequired[int]
    tags: NotRequired[list[TagLabel]]
    owners: NotRequired[list[EntityReference]]
    #: at most 32 characters; lets the next run skip an unchanged pipeline
    sourceHash: NotRequired[str]


class ExecutionError(TypedDict, total=False):
    """``entity/data/pipeline.json#/definitions/executionError``: why a run failed (OpenMetadata 1.13+)."""

    errorType: str
    errorMessage: str
    failedTask: str


class TaskStatus(TypedDict):
    """``entity/data/pipeline.json#/definitions/taskStatus``: one task's outcome in a run."""

    name: str
    executionStatus: StatusType
    startTime: NotRequired[int]
    endTime: NotRequired[int]
    logLink: NotRequired[str]
    #: the task run's id (OpenMetadata 1.13+)
    taskId: NotRequired[str]


class PipelineStatus(TypedDict):
    """``entity/data/pipeline.json#/definitions/pipelineStatus``: one run (``PUT .../status/bulk`` items)."""

    #: the run's start; OpenMetadata keys statuses by it
    timestamp: int
    executionStatus: StatusType
    taskStatus: NotRequired[list[TaskStatus]]
    # OpenMetadata 1.13+ only:
    endTime: NotRequired[int]
    executionId: NotRequired[str]
    parameters: NotRequired[dict[str, str]]
    error: NotRequired[ExecutionError]


class LineageDetails(TypedDict):
    """``type/entityLineage.json#/definitions/lineageDetails``: what made the edge."""

    pipeline: EntityReference
    source: str


class EntitiesEdge(TypedDict):
    """``type/entityLineage.json#/definitions/entitiesEdge``: one edge between two entities."""

    fromEntity: EntityReference
    toEntity: EntityReference
    lineageDetails: LineageDetails


class AddLineageRequest(TypedDict):
    """``api/lineage/addLineage.json``: one lineage edge (``PUT /v1/lineage``)."""

    edge: EntitiesEdge


class CreateClassificationRequest(TypedDict):
    """``api/classification/createClassification.json`` (``PUT /v1/classifications``)."""

    name: str
    description: str


class CreateTagRequest(TypedDict):
    """``api/classification/createTag.json`` (``PUT /v1/tags``)."""

    name: str
    description: str
    #: the classification's name
    classification: str
