"""Constants of the OpenMetadata emulator: limits, fixed messages and the enumerations of the JSON schemas.

Sources: the OpenMetadata JSON schemas (``openmetadata-spec``) and server code, as named beside each value.
"""

from __future__ import annotations

DEFAULT_VERSION = "2.0.7"
"""What ``/system/version`` reports by default: the openmetadata-ingestion release the engine is built against."""
API_PREFIX = "/api/v1"
BOT_NAME = "ingestion-bot"
"""OpenMetadata's default ingestion bot."""
READ_ONLY_BOT_NAME = "readonly-bot"
"""The emulator's own read-only principal (a bot without ``EditAll``)."""
MAX_BULK_STATUSES = 1000
"""The emulator's cap on one ``status/bulk`` request (not checked against the server code)."""
MAX_LIST_LIMIT = 1_000_000
DEFAULT_LIST_LIMIT = 10
"""``limit`` of OM's list resources: ``@DefaultValue("10") @Min(0) @Max(1000000)`` on the JAX-RS parameter,
whose messages ``must be greater than or equal to`` / ``less than or equal to`` the emulator copies."""
MAX_LINEAGE_DEPTH = 3
"""The largest ``upstreamDepth``/``downstreamDepth`` the emulator serves (not checked against the server)."""
RECEIVED_LOG_SIZE = 1000
"""How many ``(method, path, status)`` entries :attr:`OpenMetadataEmulator.received` keeps."""
# A fixed "build time" so /system/version is deterministic (2026-01-01T00:00:00Z).
BUILD_TIMESTAMP_MS = 1_767_225_600_000

#: Header in which OpenMetadata reports what a PUT did: entityCreated, entityUpdated or entityNoChange.
CHANGE_HEADER = "X-OpenMetadata-Change"

MSG_NOT_FOUND = "HTTP 404 Not Found"
MSG_METHOD_NOT_ALLOWED = "HTTP 405 Method Not Allowed"
MSG_MISSING_API_PREFIX = (
    "HTTP 404 Not Found: OpenMetadata serves its REST API under /api/v1, not /v1 "
    "(hostPort must end with /api, e.g. http://localhost:8585/api)"
)
MSG_BULK_TOO_LARGE = f"Bulk size exceeds {MAX_BULK_STATUSES}"
MSG_DUPLICATE_STATUS = (
    "ERROR: ON CONFLICT DO UPDATE command cannot affect row a second time. Hint: Ensure that no rows "
    "proposed for insertion within the same command have duplicate constrained values "
    "(duplicate timestamp {ts})"
)

#: the operations ``GET /v1/permissions/{resource}`` reports (a subset of OpenMetadata's MetadataOperation)
PERMISSION_OPERATIONS = (
    "All", "Create", "Delete", "ViewAll", "ViewBasic", "EditAll", "EditDescription", "EditDisplayName",
    "EditLineage", "EditOwners", "EditStatus", "EditTags",
)  # fmt: skip
INCLUDE_VALUES = ("non-deleted", "deleted", "all")

# Enumerations, copied from the OpenMetadata JSON schemas.
PIPELINE_SERVICE_TYPES = (
    "Airflow", "GluePipeline", "KinesisFirehose", "Airbyte", "Fivetran", "Flink", "Dagster", "Nifi",
    "DomoPipeline", "CustomPipeline", "DatabricksPipeline", "Spline", "Spark", "OpenLineage", "KafkaConnect",
    "DBTCloud", "Matillion", "Stitch", "DataFactory", "Wherescape", "SSIS", "Snowplow", "Mulesoft",
    "MicrosoftFabricPipeline",
)  # fmt: skip
"""entity/services/pipelineService.json#/definitions/pipelineServiceType."""
STATUS_TYPES = ("Successful", "Failed", "Pending", "Skipped")
"""entity/data/pipeline.json#/definitions/statusType."""
PIPELINE_STATES = ("Active", "Inactive")
TAG_SOURCES = ("Classification", "Glossary")
TAG_LABEL_TYPES = ("Manual", "Propagated", "Automated", "Derived", "Generated")
TAG_STATES = ("Suggested", "Confirmed")
PROVIDER_TYPES = ("system", "user", "automation")
TRANSFORMATION_TYPES = ("filter", "aggregate", "join", "pivot", "custom", "extract", "load")
LINEAGE_SOURCES = (
    "Manual", "ViewLineage", "QueryLineage", "PipelineLineage", "DashboardLineage", "DbtLineage",
    "SparkLineage", "OpenLineage", "ExternalTableLineage", "CrossDatabaseLineage", "ChildAssets",
)  # fmt: skip
"""type/entityLineage.json#/definitions/lineageDetails/properties/source."""

PIPELINE_FIELDS = frozenset({
    "owners", "tasks", "pipelineStatus", "followers", "tags", "extension", "scheduleInterval", "domains",
    "sourceHash", "lifeCycle", "votes", "dataProducts", "usageSummary", "certification",
})  # fmt: skip
"""Values ``?fields=`` accepts for pipelines."""
PIPELINE_GATED_FIELDS = frozenset({
    "owners", "tasks", "pipelineStatus", "followers", "tags", "extension", "domains", "votes", "dataProducts",
    "usageSummary", "lifeCycle", "certification",
})  # fmt: skip
"""Fields a real server leaves out of a GET unless ``?fields=`` asks for them (relationships and the
pipeline-specific ``tasks``/``pipelineStatus``); plain stored attributes such as ``scheduleInterval`` are
always returned."""

BULK_PIPELINES_SINCE = (1, 11)
"""The first release line with ``PUT /v1/pipelines/bulk`` (``bulkCreateOrUpdatePipelines`` in PipelineResource,
answered by ``EntityResource.processBulkRequest``). It came with open-metadata/OpenMetadata PR #24262 "Bulk
update APIs for Data Assets", merged 2025-11-10 (https://github.com/open-metadata/OpenMetadata/pull/24262,
seen 2026-11-29); 1.11 is the first minor line released after it. Older servers route ``PUT /pipelines/bulk``
to the ``/{id}`` template, which has no PUT: JAX-RS answers 405."""

INGESTION_PIPELINE_TYPES = (
    "metadata", "usage", "lineage", "profiler", "autoClassification", "TestSuite", "dataInsight",
    "elasticSearchReindex", "dbt", "application",
)  # fmt: skip
"""entity/services/ingestionPipelines/ingestionPipeline.json#/definitions/pipelineType."""
INGESTION_PIPELINE_STATES = ("queued", "success", "failed", "running", "partialSuccess", "stopped")
"""entity/services/ingestionPipelines/ingestionPipeline.json#/definitions/pipelineStatus/properties/pipelineState."""
LOG_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
"""metadataIngestion/workflow.json#/definitions/logLevels."""
INGESTION_PIPELINE_FIELDS = frozenset({"owners", "pipelineStatuses", "followers", "domains"})
"""Values ``?fields=`` accepts for ingestion pipelines (IngestionPipelineResource.FIELDS, less the ones the
emulator has no store for); ``pipelineStatuses`` adds the latest run status to the answer."""
