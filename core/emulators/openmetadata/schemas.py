"""The request shapes the emulator checks, embedded from the OpenMetadata JSON schemas (no files at run time).

Each spec names the schema file it was copied from.
"""

from __future__ import annotations

import re

from core.emulators.openmetadata.constants import (
    INGESTION_PIPELINE_STATES,
    INGESTION_PIPELINE_TYPES,
    LINEAGE_SOURCES,
    LOG_LEVELS,
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
    any_object,
    any_value,
    boolean,
    enum_of,
    integer,
    list_of,
    number,
    string_of,
    uuid_string,
)

_ENTITY_NAME = string_of(1, 256, forbid="::")
_FQN = string_of(1, 3072)
_OM = "org.openmetadata.schema"

ENTITY_REFERENCE = ObjectSpec(
    f"{_OM}.type.EntityReference",
    {
        "id": uuid_string, "type": string_of(), "name": string_of(), "fullyQualifiedName": string_of(),
        "description": string_of(), "displayName": string_of(), "deleted": boolean, "inherited": boolean,
        "href": string_of(),
    },
    required=("id", "type"),
)  # fmt: skip
"""type/entityReference.json."""

TAG_LABEL = ObjectSpec(
    f"{_OM}.type.TagLabel",
    {
        "tagFQN": string_of(), "name": string_of(), "displayName": string_of(), "description": string_of(),
        "style": any_object, "source": enum_of("TagSource", TAG_SOURCES),
        "labelType": enum_of("LabelType", TAG_LABEL_TYPES), "state": enum_of("State", TAG_STATES),
        "href": string_of(), "reason": string_of(), "appliedAt": string_of(), "appliedBy": string_of(),
        "metadata": any_object,
    },
    required=("tagFQN", "source", "labelType", "state"),
)  # fmt: skip
"""type/tagLabel.json."""

TASK = ObjectSpec(
    f"{_OM}.type.Task",
    {
        "name": string_of(), "displayName": string_of(), "fullyQualifiedName": string_of(),
        "description": string_of(), "sourceUrl": string_of(), "downstreamTasks": list_of(string_of()),
        "taskType": string_of(), "taskSQL": string_of(), "startDate": string_of(), "endDate": string_of(),
        "tags": list_of(TAG_LABEL), "owners": list_of(ENTITY_REFERENCE),
    },
    required=("name",),
)  # fmt: skip
"""entity/data/pipeline.json#/definitions/task."""

CREATE_PIPELINE = ObjectSpec(
    f"{_OM}.api.data.CreatePipeline",
    {
        "name": _ENTITY_NAME, "displayName": string_of(), "description": string_of(),
        "dataProducts": list_of(_FQN), "sourceUrl": string_of(), "concurrency": integer,
        "pipelineLocation": string_of(), "startDate": string_of(), "tasks": list_of(TASK),
        "state": enum_of("PipelineState", PIPELINE_STATES), "tags": list_of(TAG_LABEL),
        "owners": list_of(ENTITY_REFERENCE), "service": _FQN, "extension": any_value,
        "scheduleInterval": string_of(), "domains": list_of(string_of()), "lifeCycle": any_object,
        "sourceHash": string_of(1, 32),
    },
    required=("name", "service"),
)  # fmt: skip
"""api/data/createPipeline.json."""

PIPELINE_CONNECTION = ObjectSpec(f"{_OM}.type.PipelineConnection", {"config": any_object})
"""entity/services/pipelineService.json#/definitions/pipelineConnection (the config itself is not checked)."""

CREATE_PIPELINE_SERVICE = ObjectSpec(
    f"{_OM}.api.services.CreatePipelineService",
    {
        "name": _ENTITY_NAME, "displayName": string_of(), "description": string_of(),
        "serviceType": enum_of("PipelineServiceType", PIPELINE_SERVICE_TYPES),
        "connection": PIPELINE_CONNECTION,
        "tags": list_of(TAG_LABEL), "owners": list_of(ENTITY_REFERENCE), "scheduleInterval": string_of(),
        "dataProducts": list_of(_FQN), "domains": list_of(string_of()), "lifeCycle": any_object,
        "ingestionRunner": ENTITY_REFERENCE,
    },
    required=("name", "serviceType"),
)  # fmt: skip
"""api/services/createPipelineService.json."""

TASK_STATUS = ObjectSpec(
    f"{_OM}.type.Status",
    {
        "name": string_of(), "executionStatus": enum_of("StatusType", STATUS_TYPES), "startTime": integer,
        "endTime": integer, "logLink": string_of(), "taskId": string_of(),
        "transformationType": enum_of("TransformationType", TRANSFORMATION_TYPES),
        "transformationLogic": string_of(), "inputs": list_of(any_object), "outputs": list_of(any_object),
        "metrics": any_object,
    },
    required=("name", "executionStatus"),
)  # fmt: skip
"""entity/data/pipeline.json#/definitions/taskStatus."""

PIPELINE_STATUS = ObjectSpec(
    f"{_OM}.entity.data.PipelineStatus",
    {
        "timestamp": integer, "executionStatus": enum_of("StatusType", STATUS_TYPES),
        "taskStatus": list_of(TASK_STATUS), "executionId": string_of(), "endTime": integer,
        "version": string_of(), "parameters": any_object, "executedBy": ENTITY_REFERENCE,
        "inputs": list_of(any_object), "outputs": list_of(any_object), "metrics": any_object,
        "error": any_object,
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
        "timestamp": integer,
        "executionStatus": enum_of("StatusType", STATUS_TYPES),
        "taskStatus": list_of(TASK_STATUS_BEFORE_1_13),
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
        "name": _ENTITY_NAME, "displayName": string_of(), "description": string_of(),
        "provider": enum_of("ProviderType", PROVIDER_TYPES), "mutuallyExclusive": boolean,
        "domains": list_of(string_of()), "owners": list_of(ENTITY_REFERENCE),
        "reviewers": list_of(ENTITY_REFERENCE), "autoClassificationConfig": any_object,
    },
    required=("name", "description"),
)  # fmt: skip
"""api/classification/createClassification.json."""

CREATE_TAG = ObjectSpec(
    f"{_OM}.api.classification.CreateTag",
    {
        "classification": _ENTITY_NAME, "parent": _FQN, "name": _ENTITY_NAME, "displayName": string_of(),
        "description": string_of(), "style": any_object, "associatedTags": list_of(string_of()),
        "provider": enum_of("ProviderType", PROVIDER_TYPES), "mutuallyExclusive": boolean,
        "owners": list_of(ENTITY_REFERENCE), "domains": list_of(string_of()),
        "reviewers": list_of(ENTITY_REFERENCE), "autoClassificationEnabled": boolean,
        "autoClassificationPriority": integer, "recognizers": list_of(any_object),
    },
    required=("name", "description"),
)  # fmt: skip
"""api/classification/createTag.json."""

COLUMN_LINEAGE = ObjectSpec(
    f"{_OM}.type.ColumnLineage",
    {"fromColumns": list_of(_FQN), "toColumn": _FQN, "function": string_of()},
    closed=False,
)
LINEAGE_DETAILS = ObjectSpec(
    f"{_OM}.type.LineageDetails",
    {
        "sqlQuery": string_of(), "columnsLineage": list_of(COLUMN_LINEAGE), "pipeline": ENTITY_REFERENCE,
        "description": string_of(), "source": enum_of("Source", LINEAGE_SOURCES), "createdAt": integer,
        "createdBy": string_of(), "updatedAt": integer, "updatedBy": string_of(), "assetEdges": integer,
    },
    closed=False,
)  # fmt: skip
ENTITIES_EDGE = ObjectSpec(
    f"{_OM}.type.EntitiesEdge",
    {
        "fromEntity": ENTITY_REFERENCE, "toEntity": ENTITY_REFERENCE, "description": string_of(),
        "lineageDetails": LINEAGE_DETAILS,
    },
    required=("fromEntity", "toEntity"),
)  # fmt: skip
ADD_LINEAGE = ObjectSpec(
    f"{_OM}.api.lineage.AddLineage", {"description": string_of(), "edge": ENTITIES_EDGE}, required=("edge",)
)
"""api/lineage/addLineage.json (edge: type/entityLineage.json#/definitions/entitiesEdge)."""

_SOURCE_CONFIG = ObjectSpec(f"{_OM}.metadataIngestion.SourceConfig", {"config": any_object})
"""metadataIngestion/workflow.json#/definitions/sourceConfig: ``config`` is a ``oneOf``, an ``Object`` to
Jackson (the server checks no more of it than that it is an object)."""

AIRFLOW_CONFIG = ObjectSpec(
    f"{_OM}.entity.services.ingestionPipelines.AirflowConfig",
    {
        "pausePipeline": boolean, "concurrency": integer, "startDate": string_of(), "endDate": string_of(),
        "pipelineTimezone": string_of(), "retries": integer, "retryDelay": integer,
        "pipelineCatchup": boolean, "scheduleInterval": string_of(), "maxActiveRuns": integer,
        "workflowTimeout": integer, "workflowDefaultView": string_of(),
        "workflowDefaultViewOrientation": string_of(), "email": string_of(6, 127),
    },
)  # fmt: skip
"""entity/services/ingestionPipelines/ingestionPipeline.json#/definitions/airflowConfig."""

CREATE_INGESTION_PIPELINE = ObjectSpec(
    f"{_OM}.api.services.ingestionPipelines.CreateIngestionPipeline",
    {
        "name": _ENTITY_NAME, "displayName": string_of(), "description": string_of(),
        "pipelineType": enum_of("PipelineType", INGESTION_PIPELINE_TYPES), "sourceConfig": _SOURCE_CONFIG,
        "airflowConfig": AIRFLOW_CONFIG, "loggerLevel": enum_of("LogLevels", LOG_LEVELS),
        "raiseOnError": boolean, "service": ENTITY_REFERENCE, "owners": list_of(ENTITY_REFERENCE),
        "provider": enum_of("ProviderType", PROVIDER_TYPES), "domains": list_of(string_of()),
        "processingEngine": ENTITY_REFERENCE, "enableStreamableLogs": boolean,
    },
    required=("name", "service", "pipelineType", "sourceConfig", "airflowConfig"),
)  # fmt: skip
"""api/services/ingestionPipelines/createIngestionPipeline.json."""

_STACK_TRACE_ERROR = ObjectSpec(
    f"{_OM}.entity.services.ingestionPipelines.StackTraceError",
    {"name": string_of(), "error": string_of(), "stackTrace": string_of()},
    required=("name", "error"),
)
STEP_SUMMARY = ObjectSpec(
    f"{_OM}.entity.services.ingestionPipelines.StepSummary",
    {
        "name": string_of(), "records": integer, "updated_records": integer, "warnings": integer,
        "errors": integer, "filtered": integer, "failures": list_of(_STACK_TRACE_ERROR),
        "progress": any_object, "operationMetrics": any_object, "sourceTimeMs": number,
        "sinkTimeMs": number,
    },
    required=("name",),
)  # fmt: skip
"""entity/services/ingestionPipelines/status.json#/definitions/stepSummary."""

INGESTION_PIPELINE_STATUS = ObjectSpec(
    f"{_OM}.entity.services.ingestionPipelines.PipelineStatus",
    {
        "runId": string_of(), "pipelineState": enum_of("PipelineStatusType", INGESTION_PIPELINE_STATES),
        "startDate": integer, "timestamp": integer, "endDate": integer, "status": list_of(STEP_SUMMARY),
        "config": any_object, "metadata": any_object,
    },
)  # fmt: skip
"""entity/services/ingestionPipelines/ingestionPipeline.json#/definitions/pipelineStatus (no key is
required by the schema; the server keys a run by ``runId`` and files it under ``timestamp``, see
:mod:`core.emulators.openmetadata.ingestion_pipelines`)."""
