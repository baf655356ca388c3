"""The request shapes the emulator checks, embedded from the OpenMetadata JSON schemas (no files at run time).

Each spec names the schema file it was copied from.
"""

from __future__ import annotations

import re

from core.emulators.openmetadata.constants import (
    LINEAGE_SOURCES,
    PIPELINE_SERVICE_TYPES,
    PIPELINE_STATES,
    PROVIDER_TYPES,
    STATUS_TYPES,
    TAG_LABEL_TYPES,
    TAG_SOURCES,
    TAG_STATES,
    TRANSFORMATION_TYPES,
)
from core.emulators.openmetadata.validation import (
    ObjectSpec,
    _any_object,
    _any_value,
    _boolean,
    _enum,
    _integer,
    _list_of,
    _string,
    _uuid_string,
)

_ENTITY_NAME = _string(1, 256, forbid="::")
_FQN = _string(1, 3072)
_OM = "org.openmetadata.schema"

ENTITY_REFERENCE = ObjectSpec(
    f"{_OM}.type.EntityReference",
    {
        "id": _uuid_string, "type": _string(), "name": _string(), "fullyQualifiedName": _string(),
        "description": _string(), "displayName": _string(), "deleted": _boolean, "inherited": _boolean,
        "href": _string(),
    },
    required=("id", "type"),
)  # fmt: skip
"""type/entityReference.json."""

TAG_LABEL = ObjectSpec(
    f"{_OM}.type.TagLabel",
    {
        "tagFQN": _string(), "name": _string(), "displayName": _string(), "description": _string(),
        "style": _any_object, "source": _enum("TagSource", TAG_SOURCES),
        "labelType": _enum("LabelType", TAG_LABEL_TYPES), "state": _enum("State", TAG_STATES),
        "href": _string(), "reason": _string(), "appliedAt": _string(), "appliedBy": _string(),
        "metadata": _any_object,
    },
    required=("tagFQN", "source", "labelType", "state"),
)  # fmt: skip
"""type/tagLabel.json."""

TASK = ObjectSpec(
    f"{_OM}.type.Task",
    {
        "name": _string(), "displayName": _string(), "fullyQualifiedName": _string(),
        "description": _string(), "sourceUrl": _string(), "downstreamTasks": _list_of(_string()),
        "taskType": _string(), "taskSQL": _string(), "startDate": _string(), "endDate": _string(),
        "tags": _list_of(TAG_LABEL), "owners": _list_of(ENTITY_REFERENCE),
    },
    required=("name",),
)  # fmt: skip
"""entity/data/pipeline.json#/definitions/task."""

CREATE_PIPELINE = ObjectSpec(
    f"{_OM}.api.data.CreatePipeline",
    {
        "name": _ENTITY_NAME, "displayName": _string(), "description": _string(),
        "dataProducts": _list_of(_FQN), "sourceUrl": _string(), "concurrency": _integer,
        "pipelineLocation": _string(), "startDate": _string(), "tasks": _list_of(TASK),
        "state": _enum("PipelineState", PIPELINE_STATES), "tags": _list_of(TAG_LABEL),
        "owners": _list_of(ENTITY_REFERENCE), "service": _FQN, "extension": _any_value,
        "scheduleInterval": _string(), "domains": _list_of(_string()), "lifeCycle": _any_object,
        "sourceHash": _string(1, 32),
    },
    required=("name", "service"),
)  # fmt: skip
"""api/data/createPipeline.json."""

PIPELINE_CONNECTION = ObjectSpec(f"{_OM}.type.PipelineConnection", {"config": _any_object})
"""entity/services/pipelineService.json#/definitions/pipelineConnection (the config itself is not checked)."""

CREATE_PIPELINE_SERVICE = ObjectSpec(
    f"{_OM}.api.services.CreatePipelineService",
    {
        "name": _ENTITY_NAME, "displayName": _string(), "description": _string(),
        "serviceType": _enum("PipelineServiceType", PIPELINE_SERVICE_TYPES),
        "connection": PIPELINE_CONNECTION,
        "tags": _list_of(TAG_LABEL), "owners": _list_of(ENTITY_REFERENCE), "scheduleInterval": _string(),
        "dataProducts": _list_of(_FQN), "domains": _list_of(_string()), "lifeCycle": _any_object,
        "ingestionRunner": ENTITY_REFERENCE,
    },
    required=("name", "serviceType"),
)  # fmt: skip
"""api/services/createPipelineService.json."""

TASK_STATUS = ObjectSpec(
    f"{_OM}.type.Status",
    {
        "name": _string(), "executionStatus": _enum("StatusType", STATUS_TYPES), "startTime": _integer,
        "endTime": _integer, "logLink": _string(), "taskId": _string(),
        "transformationType": _enum("TransformationType", TRANSFORMATION_TYPES),
        "transformationLogic": _string(), "inputs": _list_of(_any_object), "outputs": _list_of(_any_object),
        "metrics": _any_object,
    },
    required=("name", "executionStatus"),
)  # fmt: skip
"""entity/data/pipeline.json#/definitions/taskStatus."""

PIPELINE_STATUS = ObjectSpec(
    f"{_OM}.entity.data.PipelineStatus",
    {
        "timestamp": _integer, "executionStatus": _enum("StatusType", STATUS_TYPES),
        "taskStatus": _list_of(TASK_STATUS), "executionId": _string(), "endTime": _integer,
        "version": _string(), "parameters": _any_object, "executedBy": ENTITY_REFERENCE,
        "inputs": _list_of(_any_object), "outputs": _list_of(_any_object), "metrics": _any_object,
        "error": _any_object,
    },
    required=("timestamp", "executionStatus"),
)  # fmt: skip
"""entity/data/pipeline.json#/definitions/pipelineStatus."""

TASK_STATUS_BEFORE_1_13 = ObjectSpec(
    TASK_STATUS.java_class,
    {key: TASK_STATUS.fields[key] for key in ("name", "executionStatus", "startTime", "endTime", "logLink")},
    required=TASK_STATUS.required,
)
PIPELINE_STATUS_BEFORE_1_13 = ObjectSpec(
    PIPELINE_STATUS.java_class,
    {
        "timestamp": _integer,
        "executionStatus": _enum("StatusType", STATUS_TYPES),
        "taskStatus": _list_of(TASK_STATUS_BEFORE_1_13),
    },
    required=PIPELINE_STATUS.required,
)
"""The shape of servers before 1.13: no ``executionId``, ``endTime``, ``parameters``, ``error`` or task
``taskId`` (the issue tracker's account of the 1.13 schema change); unknown keys are rejected like any
closed class."""


def status_spec(version: str) -> ObjectSpec:
    """The ``PipelineStatus`` shape a server of ``version`` accepts."""
    match = re.match(r"\s*v?(\d+)\.(\d+)", version)
    if match is not None and (int(match.group(1)), int(match.group(2))) < (1, 13):
        return PIPELINE_STATUS_BEFORE_1_13
    return PIPELINE_STATUS


CREATE_CLASSIFICATION = ObjectSpec(
    f"{_OM}.api.classification.CreateClassification",
    {
        "name": _ENTITY_NAME, "displayName": _string(), "description": _string(),
        "provider": _enum("ProviderType", PROVIDER_TYPES), "mutuallyExclusive": _boolean,
        "domains": _list_of(_string()), "owners": _list_of(ENTITY_REFERENCE),
        "reviewers": _list_of(ENTITY_REFERENCE), "autoClassificationConfig": _any_object,
    },
    required=("name", "description"),
)  # fmt: skip
"""api/classification/createClassification.json."""

CREATE_TAG = ObjectSpec(
    f"{_OM}.api.classification.CreateTag",
    {
        "classification": _ENTITY_NAME, "parent": _FQN, "name": _ENTITY_NAME, "displayName": _string(),
        "description": _string(), "style": _any_object, "associatedTags": _list_of(_string()),
        "provider": _enum("ProviderType", PROVIDER_TYPES), "mutuallyExclusive": _boolean,
        "owners": _list_of(ENTITY_REFERENCE), "domains": _list_of(_string()),
        "reviewers": _list_of(ENTITY_REFERENCE), "autoClassificationEnabled": _boolean,
        "autoClassificationPriority": _integer, "recognizers": _list_of(_any_object),
    },
    required=("name", "description"),
)  # fmt: skip
"""api/classification/createTag.json."""

COLUMN_LINEAGE = ObjectSpec(
    f"{_OM}.type.ColumnLineage",
    {"fromColumns": _list_of(_FQN), "toColumn": _FQN, "function": _string()},
    closed=False,
)
LINEAGE_DETAILS = ObjectSpec(
    f"{_OM}.type.LineageDetails",
    {
        "sqlQuery": _string(), "columnsLineage": _list_of(COLUMN_LINEAGE), "pipeline": ENTITY_REFERENCE,
        "description": _string(), "source": _enum("Source", LINEAGE_SOURCES), "createdAt": _integer,
        "createdBy": _string(), "updatedAt": _integer, "updatedBy": _string(), "assetEdges": _integer,
    },
    closed=False,
)  # fmt: skip
ENTITIES_EDGE = ObjectSpec(
    f"{_OM}.type.EntitiesEdge",
    {
        "fromEntity": ENTITY_REFERENCE, "toEntity": ENTITY_REFERENCE, "description": _string(),
        "lineageDetails": LINEAGE_DETAILS,
    },
    required=("fromEntity", "toEntity"),
)  # fmt: skip
ADD_LINEAGE = ObjectSpec(
    f"{_OM}.api.lineage.AddLineage", {"description": _string(), "edge": ENTITIES_EDGE}, required=("edge",)
)
"""api/lineage/addLineage.json (edge: type/entityLineage.json#/definitions/entitiesEdge)."""
