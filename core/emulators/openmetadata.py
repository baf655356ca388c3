"""A local emulator of the OpenMetadata (OM) REST API, faithful to the calls the engine makes.

Why it exists: no OpenMetadata server is reachable while the engine is built and tested, yet the engine must
be exercised over real HTTP against the server's real contract: status codes, error bodies, authentication,
versioning, paging, upsert semantics and the server-side validations that make real ingestion runs fail
(unknown JSON fields, ``Invalid task name``, bulk limits, missing tags, owners or lineage endpoints).

What it reproduces (OpenMetadata 1.x/2.x behaviour, from the JSON schemas and the server code):

- paths under ``/api/v1``; a request to ``/v1/...`` (a ``hostPort`` without ``/api``) gets a 404 that says so;
- bot JWT authentication (401 ``Not Authorized! Token not present`` / ``Expired token!`` / ``Invalid token``)
  and a read-only principal whose writes get 403;
- request validation driven by the JSON schemas (``additionalProperties: false`` -> Jackson's
  ``Unrecognized field``; ``required`` -> bean validation's ``[x must not be null]``; enums and types), with
  the allowed keys embedded below as constants so the product never needs the schema files at run time;
- create-or-update (PUT) semantics: 201 then 200, version 0.1 then +0.1 per change, no version change for
  an identical PUT, restore of soft-deleted entities, and the rules a *bot* PUT obeys on a real server (a
  non-empty description or display name is kept, owners are never removed, tags are merged);
- ``fields``-gated GET responses (``tasks``, ``owners``, ``tags`` ... only when requested), cursor paging,
  soft and hard delete, pipeline statuses keyed by timestamp, lineage edges keyed by (from, to).

State is kept in plain dicts (a 20,000-pipeline catalogue is fine). Stored dicts are never mutated in place
(every change stores a new dict), so the accessors can hand out shallow copies safely.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import hashlib
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from core.emulators.http import EmulatorServer, HttpError, Request, Response

__all__ = [
    "DEFAULT_JWT",
    "DEFAULT_VERSION",
    "EXPIRED_JWT",
    "READ_ONLY_JWT",
    "OpenMetadataEmulator",
    "build_openmetadata_emulator",
    "fqn_add",
    "quote_name",
    "split_fqn",
]

# ---------------------------------------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------------------------------------

DEFAULT_VERSION = "2.0.7"
API_PREFIX = "/api/v1"
BOT_NAME = "ingestion-bot"
READ_ONLY_BOT_NAME = "readonly-bot"
MAX_BULK_STATUSES = 1000
MAX_LIST_LIMIT = 1_000_000
DEFAULT_LIST_LIMIT = 10
MAX_LINEAGE_DEPTH = 3
RECEIVED_LOG_SIZE = 1000
# A fixed "build time" so /system/version is deterministic (2026-01-01T00:00:00Z).
_BUILD_TIMESTAMP_MS = 1_767_225_600_000

# The tokens look like real OM bot JWTs (RS256 header; payload with iss "open-metadata.org", sub, isBot,
# tokenType BOT; a 64-byte signature) but are fixed strings compared verbatim: the emulator checks no
# signature, and tests must be able to paste them into a workflow config.
_JWT_HEADER = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IkdiMzg5YS05Zjc2LWdkanMtYTkyai0wMjQyYms5NDM1NiJ9"
#: Header in which OpenMetadata reports what a PUT did: entityCreated, entityUpdated or entityNoChange.
CHANGE_HEADER = "X-OpenMetadata-Change"

DEFAULT_JWT = (
    _JWT_HEADER + ".eyJpc3MiOiJvcGVuLW1ldGFkYXRhLm9yZyIsInN1YiI6ImluZ2VzdGlvbi1ib3QiLCJyb2xlcyI6WyJJbmdlc3Rp"
    "b25Cb3RSb2xlIl0sImVtYWlsIjoiaW5nZXN0aW9uLWJvdEBvcGVuLW1ldGFkYXRhLm9yZyIsImlzQm90Ijp0cnVlLCJ0b2tlblR5cGUi"
    "OiJCT1QiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6bnVsbH0"
    ".Mj-C4O1F38SZsUu9QUQWUJB7fIkVq82EKPXw59mthJa5NqgwZxNgT5af2CygjsyP30Mh4emVArv379daUH6KIA"
)
"""Bot JWT of ``ingestion-bot`` (no expiry): full read/write access."""

READ_ONLY_JWT = (
    _JWT_HEADER + ".eyJpc3MiOiJvcGVuLW1ldGFkYXRhLm9yZyIsInN1YiI6InJlYWRvbmx5LWJvdCIsInJvbGVzIjpbIkRhdGFDb25z"
    "dW1lciJdLCJlbWFpbCI6InJlYWRvbmx5LWJvdEBvcGVuLW1ldGFkYXRhLm9yZyIsImlzQm90Ijp0cnVlLCJ0b2tlblR5cGUiOiJCT1Qi"
    "LCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6bnVsbH0"
    ".pfWyIaOZseMrXms6jfgX9idz3ZBmLlD1rTEbiOW6N-gVzbTFXb9Z0tNIVu82lCAJnoqGKL8A9Pd9AGq6accYsg"
)
"""Bot JWT of ``readonly-bot``: GETs succeed, every write gets 403."""

EXPIRED_JWT = (
    _JWT_HEADER + ".eyJpc3MiOiJvcGVuLW1ldGFkYXRhLm9yZyIsInN1YiI6ImluZ2VzdGlvbi1ib3QiLCJyb2xlcyI6WyJJbmdlc3Rp"
    "b25Cb3RSb2xlIl0sImVtYWlsIjoiaW5nZXN0aW9uLWJvdEBvcGVuLW1ldGFkYXRhLm9yZyIsImlzQm90Ijp0cnVlLCJ0b2tlblR5cGUi"
    "OiJCT1QiLCJpYXQiOjE3MzU2ODk2MDAsImV4cCI6MTczODM2ODAwMH0"
    ".egFIl6nOHEZYryhlMsaiHGKfvX3J5hzLHiauRvWLH8o6GMOqFbA8oO4Js_m4BifR2-ISryTtNLD6H_PGv-vOkg"
)
"""An ``ingestion-bot`` JWT whose ``exp`` lies in the past: every authenticated call gets 401."""

MSG_TOKEN_MISSING = "Not Authorized! Token not present"
MSG_TOKEN_EXPIRED = "Expired token!"
MSG_TOKEN_INVALID = "Invalid token"
MSG_READ_ONLY = "Principal: CatalogPrincipal{name='readonly-bot'} operations [EditAll] not allowed"
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

_WRITE_METHODS = frozenset({"PUT", "POST", "PATCH", "DELETE"})
#: the operations ``GET /v1/permissions/{resource}`` reports (a subset of OpenMetadata's MetadataOperation)
_PERMISSION_OPERATIONS = (
    "All", "Create", "Delete", "ViewAll", "ViewBasic", "EditAll", "EditDescription", "EditDisplayName",
    "EditLineage", "EditOwners", "EditStatus", "EditTags",
)  # fmt: skip
_INCLUDE_VALUES = ("non-deleted", "deleted", "all")

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
_PIPELINE_GATED_FIELDS = frozenset({
    "owners", "tasks", "pipelineStatus", "followers", "tags", "extension", "domains", "votes", "dataProducts",
    "usageSummary", "lifeCycle", "certification",
})  # fmt: skip
"""Fields a real server leaves out of a GET unless ``?fields=`` asks for them (relationships and the
pipeline-specific ``tasks``/``pipelineStatus``); plain stored attributes such as ``scheduleInterval`` are
always returned."""

_VOLATILE_KEYS = frozenset(
    {"version", "updatedAt", "updatedBy", "href", "changeDescription", "incrementalChangeDescription"}
)
"""Keys that change on every write and so are left out of change detection and snapshots."""
_NO_VERSION_KEYS = frozenset({"sourceHash"})
"""Stored but never a reason for a new version (OM records ``sourceHash`` with updateVersion=false)."""


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


def om_error(status: int, message: str, headers: dict[str, str] | None = None) -> HttpError:
    """An :class:`HttpError` with OpenMetadata's error body ``{"code": status, "message": ...}``."""
    return HttpError(status, {"code": status, "message": message}, headers)


def _not_found(entity_type: str, key: str) -> HttpError:
    """OM's ``CatalogExceptionMessage.entityNotFound``: ``<type> instance for <key> not found``."""
    return om_error(404, f"{entity_type} instance for {key} not found")


def _bad_request(message: str) -> HttpError:
    return om_error(400, message)


# ---------------------------------------------------------------------------------------------------------
# Schema-driven validation (the allowed keys are embedded so the product needs no schema files)
# ---------------------------------------------------------------------------------------------------------

Validator = Callable[[Any, str], None]
"""Checks one JSON value; ``path`` names it in messages (``tasks[0].name``). Raises a 400 on failure."""


def _json_kind(value: Any) -> str:
    """The name Jackson gives a JSON token kind in its type-mismatch messages."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Floating-point"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


def _type_error(java_type: str, value: Any, path: str) -> HttpError:
    return _bad_request(
        f"Cannot deserialize value of type `{java_type}` from {_json_kind(value)} value "
        f'(through reference chain: "{path}")'
    )


def _string(min_len: int | None = None, max_len: int | None = None, forbid: str | None = None) -> Validator:
    """A JSON string, optionally bounded like the schema's minLength/maxLength/pattern."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise _type_error("java.lang.String", value, path)
        if (min_len is not None and len(value) < min_len) or (max_len is not None and len(value) > max_len):
            raise _bad_request(f"[{path} size must be between {min_len or 0} and {max_len or 2147483647}]")
        if forbid is not None and forbid in value:
            raise _bad_request(f'[{path} must match "^((?!{forbid}).)*$"]')

    return check


def _integer(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error("java.lang.Long", value, path)


def _number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error("java.lang.Double", value, path)


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _type_error("java.lang.Boolean", value, path)


def _any_object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise _type_error("java.lang.Object", value, path)


def _any_value(value: Any, path: str) -> None:
    """Accept anything (``extension`` has no declared type)."""


def _uuid_string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise _type_error("java.util.UUID", value, path)
    try:
        uuid.UUID(value)
    except ValueError as err:
        raise _bad_request(
            f'Cannot deserialize value of type `java.util.UUID` from String "{value}": UUID has to be '
            f'represented by standard 36-char representation (through reference chain: "{path}")'
        ) from err


def _enum(java_name: str, values: tuple[str, ...]) -> Validator:
    """A string restricted to ``values``; Jackson reports a miss as a failed enum construction."""
    allowed = frozenset(values)

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise _type_error(java_name, value, path)
        if value not in allowed:
            raise _bad_request(
                f"Cannot construct instance of `{java_name}`, problem: {value} "
                f'(through reference chain: "{path}"; allowed: {", ".join(values)})'
            )

    return check


def _list_of(item: Validator) -> Validator:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _type_error("java.util.ArrayList", value, path)
        for index, element in enumerate(value):
            if element is None:
                continue
            item(element, f"{path}[{index}]")

    return check


@dataclass(frozen=True)
class ObjectSpec:
    """The embedded form of one JSON-schema object: its Java class, keys, required keys and closedness.

    ``closed`` mirrors ``"additionalProperties": false``: OM deserialises with Jackson, which rejects an
    unknown key of such a class with ``Unrecognized field "x" (class ...), not marked as ignorable``. Classes
    generated without that flag collect unknown keys instead, so ``closed=False`` accepts them.
    """

    java_class: str
    fields: Mapping[str, Validator]
    required: tuple[str, ...] = ()
    closed: bool = True

    def validate(self, value: Any, path: str = "") -> dict[str, Any]:
        """Check ``value`` in Jackson's order (unknown keys and types first, then bean validation)."""
        if not isinstance(value, dict):
            raise _type_error(self.java_class, value, path or self.java_class.rsplit(".", 1)[-1])
        prefix = f"{path}." if path else ""
        for key, item in value.items():
            checker = self.fields.get(key)
            if checker is None:
                if self.closed:
                    raise _bad_request(
                        f'Unrecognized field "{key}" (class {self.java_class}), not marked as ignorable'
                    )
                continue
            if item is not None:
                checker(item, f"{prefix}{key}")
        for key in self.required:
            if value.get(key) is None:
                raise _bad_request(f"[{prefix}{key} must not be null]")
        return value

    def __call__(self, value: Any, path: str) -> None:
        self.validate(value, path)


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


# ---------------------------------------------------------------------------------------------------------
# Fully qualified names and cursors
# ---------------------------------------------------------------------------------------------------------


def quote_name(name: str) -> str:
    """Quote one FQN part the way OM does: wrap it in double quotes when it contains a dot."""
    if '"' not in name and "." in name:
        return f'"{name}"'
    return name


def fqn_add(parent: str, name: str) -> str:
    """``FullyQualifiedName.add``: append a quoted child name to a parent FQN."""
    return f"{parent}.{quote_name(name)}"


def split_fqn(fqn: str) -> list[str]:
    """Split an FQN on dots outside double quotes, unquoting the parts (``a."b.c"`` -> ``["a", "b.c"]``)."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in fqn:
        if char == '"':
            in_quotes = not in_quotes
        elif char == "." and not in_quotes:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode_cursor(cursor: str, param: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise _bad_request(f"Invalid cursor in query param {param}: {cursor}") from err


def _page(
    keys: list[str], limit: int, before: str | None, after: str | None
) -> tuple[list[str], dict[str, Any]]:
    """Cursor paging over sorted ``keys``: OM's ``{"before", "after", "total"}`` paging block."""
    total = len(keys)
    if before is not None:
        end = bisect.bisect_left(keys, _decode_cursor(before, "before"))
        start = max(0, end - limit)
    else:
        start = bisect.bisect_right(keys, _decode_cursor(after, "after")) if after is not None else 0
        end = min(total, start + limit)
    chosen = keys[start:end]
    paging: dict[str, Any] = {"total": total}
    if chosen and start > 0:
        paging["before"] = _encode_cursor(chosen[0])
    if chosen and end < total:
        paging["after"] = _encode_cursor(chosen[-1])
    return chosen, paging


def _now_ms() -> int:
    return int(time.time() * 1000)


def _next_version(version: float) -> float:
    """Minor version bump (0.1 -> 0.2) without float drift."""
    return round(version + 0.1, 1)


def _content(entity: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The part of an entity that a change is measured on (volatile keys removed)."""
    skip = _VOLATILE_KEYS | ignore
    return {key: value for key, value in entity.items() if key not in skip}


def _diff_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[str]]:
    """Top-level field names added, updated and deleted between two entity contents."""
    added = sorted(key for key in new if key not in old)
    deleted = sorted(key for key in old if key not in new)
    updated = sorted(key for key in new if key in old and old[key] != new[key])
    return {"fieldsAdded": added, "fieldsUpdated": updated, "fieldsDeleted": deleted}


def _merge_tag_labels(existing: list[dict[str, Any]], incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``EntityUtil.mergeTags`` for PUT: keep every existing label, add new ones, sort by tagFQN."""
    merged = {label["tagFQN"]: label for label in existing}
    for label in incoming:
        merged.setdefault(label["tagFQN"], label)
    return [merged[key] for key in sorted(merged)]


class WorkspaceLike(Protocol):
    """What :meth:`OpenMetadataEmulator.seed_from_workspace` needs from the Databricks workspace emulator."""

    def table_full_names(self) -> Iterable[str]: ...

    def user_emails(self) -> Iterable[str]: ...


# ---------------------------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------------------------


class OpenMetadataEmulator(EmulatorServer):
    """A threaded OpenMetadata REST API on 127.0.0.1 (clients use ``hostPort: <url>/api``).

    Args:
        jwt: the bot token accepted for reads and writes.
        read_only_jwt: a token that may read but gets 403 on writes (``None`` disables it).
        expired_jwt: a token answered with 401 ``Expired token!`` (``None`` disables it).
        version: what ``GET /api/v1/system/version`` reports (the engine checks major.minor).
        port, latency_ms, seed: see :class:`EmulatorServer`; ``seed`` also varies the entity ids.
        require_api_prefix: when ``False``, ``/v1/...`` is served like ``/api/v1/...`` instead of a 404.
        bot_put_preserves_user_edits: apply a real server's rules for a PUT by a bot (keep a non-empty
            description/displayName, never remove owners, merge tags). ``False`` makes PUT a plain replace.
    """

    server_name = "openmetadata"

    def __init__(
        self,
        *,
        jwt: str = DEFAULT_JWT,
        read_only_jwt: str | None = READ_ONLY_JWT,
        expired_jwt: str | None = EXPIRED_JWT,
        version: str = DEFAULT_VERSION,
        port: int = 0,
        latency_ms: float = 0.0,
        seed: int = 0,
        require_api_prefix: bool = True,
        bot_put_preserves_user_edits: bool = True,
    ) -> None:
        super().__init__(port=port, latency_ms=latency_ms, seed=seed)
        self.jwt = jwt
        self.read_only_jwt = read_only_jwt
        self.expired_jwt = expired_jwt
        self.version = version
        self.require_api_prefix = require_api_prefix
        self.bot_put_preserves_user_edits = bot_put_preserves_user_edits
        self._state = threading.RLock()
        self._id_namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"openmetadata-emulator:{seed}")
        self._principal = threading.local()
        self._users: dict[str, dict[str, Any]] = {}
        self._services: dict[str, dict[str, Any]] = {}
        self._db_services: dict[str, dict[str, Any]] = {}
        self._pipelines: dict[str, dict[str, Any]] = {}
        self._statuses: dict[str, dict[int, dict[str, Any]]] = {}
        self._tables: dict[str, dict[str, Any]] = {}
        self._classifications: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, dict[str, Any]] = {}
        self._edges: dict[tuple[str, str], dict[str, Any]] = {}
        self._edges_from: dict[str, set[tuple[str, str]]] = {}
        self._edges_to: dict[str, set[tuple[str, str]]] = {}
        self._edges_by_pipeline: dict[str, set[tuple[str, str]]] = {}
        self._by_id: dict[str, tuple[str, str]] = {}
        self._pipeline_index: dict[tuple[str | None, str], list[str]] = {}
        self._counters: Counter[str] = Counter()
        self._received: deque[tuple[str, str, int]] = deque(maxlen=RECEIVED_LOG_SIZE)
        self._seed_bots()
        self._register_routes()

    # -- identity ---------------------------------------------------------------------------------------

    def _new_id(self, entity_type: str, key: str) -> str:
        """A deterministic id (uuid5 of type and name), so reruns and fresh emulators agree on ids."""
        return str(uuid.uuid5(self._id_namespace, f"{entity_type}:{key}"))

    def _href(self, collection: str, entity_id: str) -> str:
        base = f"http://127.0.0.1:{self.port}" if self._httpd is not None else "http://localhost:8585"
        return f"{base}{API_PREFIX}/{collection}/{entity_id}"

    @staticmethod
    def _ref(entity: Mapping[str, Any], entity_type: str) -> dict[str, Any]:
        """An EntityReference to a stored entity."""
        ref = {
            "id": entity["id"],
            "type": entity_type,
            "name": entity["name"],
            "fullyQualifiedName": entity["fullyQualifiedName"],
            "deleted": bool(entity.get("deleted", False)),
        }
        if entity.get("displayName"):
            ref["displayName"] = entity["displayName"]
        return ref

    def _current_principal(self) -> str:
        return getattr(self._principal, "name", BOT_NAME)

    # -- routing ----------------------------------------------------------------------------------------

    def _add_api_route(self, method: str, pattern: str, handler: Callable[[Request], Any], name: str) -> None:
        """Register a handler that runs under the state lock (handlers are short; latency is outside)."""

        def locked(request: Request) -> Any:
            with self._state:
                return handler(request)

        self.add_route(method, API_PREFIX + pattern, locked, name)

    def _register_routes(self) -> None:
        uid = r"(?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
        routes: list[tuple[str, str, Callable[[Request], Any], str]] = [
            ("GET", r"/system/version", self._get_version, "GET system/version"),
            ("GET", r"/users/loggedInUser", self._get_logged_in_user, "GET users/loggedInUser"),
            ("GET", r"/users/name/(?P<name>.+)", self._get_user_by_name, "GET users/name"),
            ("GET", rf"/users/{uid}", self._get_user_by_id, "GET users/id"),
            ("GET", r"/users", self._list_users, "GET users"),
            ("PUT", r"/services/pipelineServices", self._put_service, "PUT services/pipelineServices"),
            ("POST", r"/services/pipelineServices", self._post_service, "POST services/pipelineServices"),
            (
                "GET",
                r"/services/pipelineServices/name/(?P<name>.+)",
                self._get_service,
                "GET pipelineServices/name",
            ),
            ("GET", rf"/services/pipelineServices/{uid}", self._get_service_by_id, "GET pipelineServices/id"),
            ("GET", r"/services/pipelineServices", self._list_services, "GET pipelineServices"),
            (
                "GET",
                r"/services/databaseServices/name/(?P<name>.+)",
                self._get_db_service,
                "GET databaseServices/name",
            ),
            ("GET", r"/services/databaseServices", self._list_db_services, "GET databaseServices"),
            ("PUT", r"/pipelines", self._put_pipeline, "PUT pipelines"),
            ("POST", r"/pipelines", self._post_pipeline, "POST pipelines"),
            ("GET", r"/pipelines", self._list_pipelines, "GET pipelines"),
            (
                "PUT",
                r"/pipelines/(?P<fqn>.+)/status/bulk",
                self._put_status_bulk,
                "PUT pipelines/status/bulk",
            ),
            ("PUT", r"/pipelines/(?P<fqn>.+)/status", self._put_status, "PUT pipelines/status"),
            ("GET", r"/pipelines/name/(?P<fqn>.+)", self._get_pipeline_by_name, "GET pipelines/name"),
            ("GET", rf"/pipelines/{uid}", self._get_pipeline_by_id, "GET pipelines/id"),
            ("GET", r"/pipelines/(?P<fqn>.+)/status", self._list_statuses, "GET pipelines/status"),
            (
                "DELETE",
                r"/pipelines/name/(?P<fqn>.+)",
                self._delete_pipeline_by_name,
                "DELETE pipelines/name",
            ),
            ("DELETE", rf"/pipelines/{uid}", self._delete_pipeline_by_id, "DELETE pipelines/id"),
            ("GET", r"/tables/name/(?P<fqn>.+)", self._get_table_by_name, "GET tables/name"),
            ("GET", rf"/tables/{uid}", self._get_table_by_id, "GET tables/id"),
            ("PUT", r"/lineage", self._put_lineage, "PUT lineage"),
            (
                "GET",
                r"/lineage/(?P<entity>[^/]+)/name/(?P<fqn>.+)",
                self._get_lineage_by_name,
                "GET lineage/name",
            ),
            ("GET", rf"/lineage/(?P<entity>[^/]+)/{uid}", self._get_lineage_by_id, "GET lineage/id"),
            ("PUT", r"/classifications", self._put_classification, "PUT classifications"),
            (
                "GET",
                r"/classifications/name/(?P<name>.+)",
                self._get_classification,
                "GET classifications/name",
            ),
            ("PUT", r"/tags", self._put_tag, "PUT tags"),
            ("GET", r"/tags/name/(?P<fqn>.+)", self._get_tag, "GET tags/name"),
            ("GET", r"/permissions/(?P<resource>[^/]+)", self._get_permissions, "GET permissions"),
        ]
        for method, pattern, handler, name in routes:
            self._add_api_route(method, pattern, handler, name)

    # -- dispatch, auth, 404 ----------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Handle the ``/v1`` prefix, record the request, turn a handler crash into a 500 (not a reset)."""
        if request.path == "/v1" or request.path.startswith("/v1/"):
            if self.require_api_prefix:
                response = Response(404, {"code": 404, "message": MSG_MISSING_API_PREFIX})
                self._record(request, response)
                return response
            request.path = "/api" + request.path
        self._principal.change = None
        try:
            response = super().dispatch(request)
        except Exception as err:  # a bug in a handler must still produce an HTTP answer
            response = Response(500, {"code": 500, "message": f"{type(err).__name__}: {err}"})
        change = getattr(self._principal, "change", None)
        if change and response.status < 300:
            # Real servers say what a PUT did in this header (RestUtil.CHANGE_CUSTOM_HEADER).
            response.headers.setdefault(CHANGE_HEADER, change)
        self._record(request, response)
        return response

    def _record(self, request: Request, response: Response) -> None:
        with self._state:
            self._received.append((request.method, request.path, response.status))

    def authorize(self, request: Request) -> None:
        """Bearer-JWT check like OM's JwtFilter; ``/system/version`` is public, as on real servers."""
        if request.path == f"{API_PREFIX}/system/version":
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise om_error(401, MSG_TOKEN_MISSING)
        if self.expired_jwt is not None and token == self.expired_jwt:
            raise om_error(401, MSG_TOKEN_EXPIRED)
        if token == self.jwt:
            self._principal.name = BOT_NAME
            return
        if self.read_only_jwt is not None and token == self.read_only_jwt:
            if request.method in _WRITE_METHODS:
                raise om_error(403, MSG_READ_ONLY)
            self._principal.name = READ_ONLY_BOT_NAME
            return
        raise om_error(401, MSG_TOKEN_INVALID)

    def not_found(self, request: Request) -> Response:
        """JAX-RS answers: 405 when the path exists for another method, else a bare 404."""
        for route in self.routes:
            if route.method != request.method and route.pattern.fullmatch(request.path):
                return Response(405, {"code": 405, "message": MSG_METHOD_NOT_ALLOWED})
        return Response(404, {"code": 404, "message": MSG_NOT_FOUND})

    # -- request helpers --------------------------------------------------------------------------------

    @staticmethod
    def _body(request: Request) -> Any:
        """The JSON body, with OM's error shape for malformed or missing bodies.

        The body is parsed for this request alone, so handlers store its values without copying them.
        """
        try:
            body = request.json()
        except HttpError as err:
            message = (
                err.body.get("message", "Malformed JSON") if isinstance(err.body, dict) else "Malformed JSON"
            )
            raise _bad_request(message) from err
        if body is None:
            raise _bad_request("[request body must not be null]")
        return body

    @staticmethod
    def _path_param(request: Request, name: str) -> str:
        """A path parameter, URL-decoded (clients percent-encode FQNs with quotes and dots)."""
        assert request.match is not None
        return unquote(request.match.group(name))

    @staticmethod
    def _int_param(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
        raw = request.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as err:
            raise _bad_request(f"[query param {name} must be a number]") from err
        if value < low:
            raise _bad_request(f"[query param {name} must be greater than or equal to {low}]")
        if value > high:
            raise _bad_request(f"[query param {name} must be less than or equal to {high}]")
        return value

    @staticmethod
    def _include_param(request: Request) -> str:
        include = request.query.get("include") or "non-deleted"
        if include not in _INCLUDE_VALUES:
            raise _bad_request(f"[query param include must be one of {', '.join(_INCLUDE_VALUES)}]")
        return include

    @staticmethod
    def _bool_param(request: Request, name: str) -> bool:
        return (request.query.get(name) or "false").lower() == "true"

    @staticmethod
    def _visible(entity: Mapping[str, Any], include: str) -> bool:
        deleted = bool(entity.get("deleted"))
        return include == "all" or (include == "deleted") == deleted

    # -- seeding (Python side) --------------------------------------------------------------------------

    def _seed_bots(self) -> None:
        for name in (BOT_NAME, READ_ONLY_BOT_NAME):
            self._store_user(name, f"{name}@open-metadata.org", display_name=name, is_bot=True)

    def _store_user(self, name: str, email: str, *, display_name: str | None, is_bot: bool) -> dict[str, Any]:
        user_id = self._new_id("user", name)
        user: dict[str, Any] = {
            "id": user_id,
            "name": name,
            "fullyQualifiedName": quote_name(name),
            "email": email,
            "isBot": is_bot,
            "isAdmin": False,
            "version": 0.1,
            "updatedAt": _BUILD_TIMESTAMP_MS,
            "updatedBy": "admin",
            "href": self._href("users", user_id),
            "deleted": False,
        }
        if display_name:
            user["displayName"] = display_name
        self._users[name] = user
        self._by_id[user_id] = ("user", name)
        return user

    def add_user(self, name: str, email: str, display_name: str | None = None) -> dict[str, Any]:
        """Create (or replace) a human user; the engine finds ``alice@x`` by name ``alice`` plus the email."""
        with self._state:
            return copy.deepcopy(self._store_user(name, email, display_name=display_name, is_bot=False))

    def add_table(
        self, fqn: str, columns: Iterable[str] | None = None, *, service_type: str = "UnityCatalog"
    ) -> dict[str, Any]:
        """Create a table ``service.database.schema.table`` (a lineage endpoint).

        ``columns`` lists column names; when given, column lineage naming other columns of this table is
        rejected like a real server does. When ``None`` the table's columns are unknown and not checked.
        The database service is created on first use so ``/services/databaseServices`` lists it.
        """
        parts = split_fqn(fqn)
        if len(parts) != 4 or not all(parts):
            raise ValueError(f"table FQN must be service.database.schema.table, got {fqn!r}")
        with self._state:
            return copy.deepcopy(self._store_table(parts, columns, service_type))

    def _store_table(
        self, parts: list[str], columns: Iterable[str] | None, service_type: str
    ) -> dict[str, Any]:
        service = self._db_service(parts[0], service_type)
        database_fqn = fqn_add(service["fullyQualifiedName"], parts[1])
        schema_fqn = fqn_add(database_fqn, parts[2])
        fqn = fqn_add(schema_fqn, parts[3])
        table_id = self._new_id("table", fqn)
        table: dict[str, Any] = {
            "id": table_id,
            "name": parts[3],
            "fullyQualifiedName": fqn,
            "tableType": "Regular",
            "database": self._plain_ref("database", parts[1], database_fqn),
            "databaseSchema": self._plain_ref("databaseSchema", parts[2], schema_fqn),
            "service": self._ref(service, "databaseService"),
            "serviceType": service["serviceType"],
            "version": 0.1,
            "updatedAt": _BUILD_TIMESTAMP_MS,
            "updatedBy": "admin",
            "href": self._href("tables", table_id),
            "deleted": False,
        }
        if columns is not None:
            table["columns"] = [
                {"name": col, "dataType": "STRING", "fullyQualifiedName": fqn_add(fqn, col)}
                for col in columns
            ]
        self._tables[fqn] = table
        self._by_id[table_id] = ("table", fqn)
        return table

    def _plain_ref(self, entity_type: str, name: str, fqn: str) -> dict[str, Any]:
        return {
            "id": self._new_id(entity_type, fqn),
            "type": entity_type,
            "name": name,
            "fullyQualifiedName": fqn,
        }

    def _db_service(self, name: str, service_type: str) -> dict[str, Any]:
        service = self._db_services.get(name)
        if service is None:
            service_id = self._new_id("databaseService", name)
            service = {
                "id": service_id,
                "name": name,
                "fullyQualifiedName": quote_name(name),
                "serviceType": service_type,
                "version": 0.1,
                "href": self._href("services/databaseServices", service_id),
                "deleted": False,
            }
            self._db_services[name] = service
        return service

    def add_tag(self, fqn: str, description: str = "", *, mutually_exclusive: bool = False) -> dict[str, Any]:
        """Create ``Classification.Tag`` (and its classification) without HTTP, for test set-up."""
        parts = split_fqn(fqn)
        if len(parts) != 2:
            raise ValueError(f"tag FQN must be Classification.Tag, got {fqn!r}")
        with self._state:
            if parts[0] not in self._classifications:
                body = {"name": parts[0], "description": description, "mutuallyExclusive": mutually_exclusive}
                self._upsert_classification(body)
            tag, _ = self._upsert_tag(
                {"name": parts[1], "description": description, "classification": parts[0]}
            )
            return copy.deepcopy(tag)

    def seed_from_workspace(
        self, workspace: WorkspaceLike, db_service: str = "unity_catalog"
    ) -> dict[str, int]:
        """Mirror a Databricks workspace into the catalogue: its tables, and most of its users.

        Users whose email starts with ``dave`` or ``svc-`` are left out on purpose, so some job creators are
        unknown to OM and the engine's "owner not found" path gets exercised.
        """
        tables = 0
        users = 0
        for name in workspace.table_full_names():
            self.add_table(f"{db_service}.{name}")
            tables += 1
        for email in workspace.user_emails():
            if email.startswith(("dave", "svc-")):
                continue
            self.add_user(email.split("@")[0], email)
            users += 1
        return {"tables": tables, "users": users}

    # -- accessors for tests (copies taken under the lock) ----------------------------------------------

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        """Pipeline services by name."""
        with self._state:
            return dict(self._services)

    @property
    def pipelines(self) -> dict[str, dict[str, Any]]:
        """Pipelines by FQN, soft-deleted ones included (``deleted: True``)."""
        with self._state:
            return dict(self._pipelines)

    @property
    def statuses(self) -> dict[str, dict[int, dict[str, Any]]]:
        """Pipeline statuses: FQN -> {timestamp: PipelineStatus}."""
        with self._state:
            return {fqn: dict(by_ts) for fqn, by_ts in self._statuses.items()}

    @property
    def lineage_edges(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Lineage edges: (from id, to id) -> {fromEntity, toEntity, lineageDetails}."""
        with self._state:
            return dict(self._edges)

    @property
    def classifications(self) -> dict[str, dict[str, Any]]:
        with self._state:
            return dict(self._classifications)

    @property
    def tags(self) -> dict[str, dict[str, Any]]:
        """Tags by FQN (``Classification.Tag``)."""
        with self._state:
            return dict(self._tags)

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        """Users by name (the two bots included)."""
        with self._state:
            return dict(self._users)

    @property
    def tables(self) -> dict[str, dict[str, Any]]:
        with self._state:
            return dict(self._tables)

    @property
    def counters(self) -> Counter[str]:
        """Write outcomes: ``pipeline.created|updated|unchanged|restored|soft_deleted|hard_deleted``,
        ``status.upserted|new``, ``lineage.created|updated|unchanged``, ``service.*``, ``tag.*`` ..."""
        with self._state:
            return Counter(self._counters)

    @property
    def received(self) -> list[tuple[str, str, int]]:
        """The last 1000 ``(method, path, status)`` answered by a route or a 404 (not injected faults)."""
        with self._state:
            return list(self._received)

    def reset_counters(self) -> None:
        """Forget call counts, write counters and the received log (the catalogue is kept)."""
        super().reset_counters()
        with self._state:
            self._counters.clear()
            self._received.clear()

    def reset(self) -> None:
        """Empty the catalogue, counters and faults but keep serving (restarting a server costs ~0.5 s)."""
        with self._state:
            stores: list[dict[Any, Any]] = [
                self._users, self._services, self._db_services, self._pipelines, self._statuses, self._tables,
                self._classifications, self._tags, self._edges, self._edges_from, self._edges_to,
                self._edges_by_pipeline, self._by_id, self._pipeline_index,
            ]  # fmt: skip
            for store in stores:
                store.clear()
            self._seed_bots()
        self.clear_faults()
        self.reset_counters()

    def snapshot(self) -> dict[str, Any]:
        """A deterministic, JSON-able dump of the catalogue without volatile fields.

        Two snapshots are equal exactly when a rerun changed nothing a user could see: entity content and
        versions, statuses, lineage edges (keyed by FQNs) and tags.
        """
        with self._state:
            return {
                "services": {name: _content(self._services[name]) for name in sorted(self._services)},
                "pipelines": {fqn: _content(self._pipelines[fqn]) for fqn in sorted(self._pipelines)},
                "statuses": {
                    fqn: [self._statuses[fqn][ts] for ts in sorted(self._statuses[fqn])]
                    for fqn in sorted(self._statuses)
                    if self._statuses[fqn]
                },
                "lineage": self._lineage_snapshot(),
                "classifications": {
                    n: _content(self._classifications[n]) for n in sorted(self._classifications)
                },
                "tags": {fqn: _content(self._tags[fqn]) for fqn in sorted(self._tags)},
            }

    def _lineage_snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for edge in self._edges.values():
            details = dict(edge.get("lineageDetails") or {})
            pipeline = details.pop("pipeline", None)
            if pipeline is not None:
                details["pipeline"] = pipeline["fullyQualifiedName"]
            key = f"{edge['fromEntity']['fullyQualifiedName']} -> {edge['toEntity']['fullyQualifiedName']}"
            out[key] = {
                "fromType": edge["fromEntity"]["type"],
                "toType": edge["toEntity"]["type"],
                "lineageDetails": details,
            }
        return {key: out[key] for key in sorted(out)}

    def create_request_for(self, fqn: str) -> dict[str, Any]:
        """The CreatePipeline request that would reproduce a stored pipeline (for contract tests)."""
        with self._state:
            entity = self._pipelines.get(fqn)
            if entity is None:
                raise KeyError(fqn)
            request = {
                key: copy.deepcopy(value)
                for key, value in entity.items()
                if key in CREATE_PIPELINE.fields
                and key not in {"service", "owners", "domains", "dataProducts"}
            }
            request["service"] = entity["service"]["fullyQualifiedName"]
            if entity.get("owners"):
                request["owners"] = [{"id": o["id"], "type": o["type"]} for o in entity["owners"]]
            return request

    # -- system and users -------------------------------------------------------------------------------

    def _get_version(self, request: Request) -> dict[str, Any]:
        revision = hashlib.sha1(f"openmetadata-{self.version}".encode()).hexdigest()
        return {"version": self.version, "revision": revision, "timestamp": _BUILD_TIMESTAMP_MS}

    def _get_permissions(self, request: Request) -> dict[str, Any]:
        """``GET /v1/permissions/{resource}``: the caller's ``ResourcePermission`` on a resource type.

        The ingestion bot may do everything; the read-only bot may only view (``notAllow`` otherwise).
        """
        read_only = self._current_principal() == READ_ONLY_BOT_NAME
        permissions = [
            {
                "operation": operation,
                "access": "allow" if not read_only or operation.startswith("View") else "notAllow",
            }
            for operation in _PERMISSION_OPERATIONS
        ]
        return {"resource": self._path_param(request, "resource"), "permissions": permissions}

    def _get_logged_in_user(self, request: Request) -> dict[str, Any]:
        return self._users[self._current_principal()]

    def _get_user_by_name(self, request: Request) -> dict[str, Any]:
        name = self._path_param(request, "name")
        user = self._users.get(name)
        if user is None:
            raise _not_found("user", name)
        return user

    def _get_user_by_id(self, request: Request) -> dict[str, Any]:
        return self._users[self._lookup_id(request, "user")]

    def _list_users(self, request: Request) -> dict[str, Any]:
        is_bot = request.query.get("isBot")
        names = sorted(
            name
            for name, user in self._users.items()
            if is_bot is None or str(user["isBot"]).lower() == is_bot.lower()
        )
        return self._list_response(request, names, self._users)

    def _lookup_id(self, request: Request, entity_type: str) -> str:
        """The storage key of the entity whose id is in the path, or a 404."""
        entity_id = self._path_param(request, "id").lower()
        found = self._by_id.get(entity_id)
        if found is None or found[0] != entity_type:
            raise _not_found(entity_type, entity_id)
        return found[1]

    def _list_response(
        self,
        request: Request,
        keys: list[str],
        store: Mapping[str, dict[str, Any]],
        render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        limit = self._int_param(request, "limit", DEFAULT_LIST_LIMIT, 0, MAX_LIST_LIMIT)
        assert limit is not None
        chosen, paging = _page(keys, limit, request.query.get("before"), request.query.get("after"))
        data = [render(store[key]) if render else store[key] for key in chosen]
        return {"data": data, "paging": paging}

    # -- owners and tags --------------------------------------------------------------------------------

    def _resolve_owners(self, refs: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """Turn ``[{id, type}]`` into full references; a missing user or any team is a 404 like OM's."""
        owners = []
        for ref in refs or []:
            if ref["type"] not in {"user", "team"}:
                raise _bad_request(f"Entity type {ref['type']} can not be an owner")
            found = self._by_id.get(ref["id"].lower())
            if found is None or found[0] != ref["type"]:
                raise _not_found(ref["type"], ref["id"])
            user = self._users[found[1]]
            owners.append(self._ref(user, "user"))
        return owners

    def _resolve_tags(self, labels: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """Check every label names an existing tag and normalise it; enforce mutually exclusive groups."""
        resolved: dict[str, dict[str, Any]] = {}
        for label in labels or []:
            fqn = label["tagFQN"]
            if label["source"] == "Glossary":
                raise _not_found("glossaryTerm", fqn)
            tag = self._tags.get(fqn)
            if tag is None:
                raise _not_found("tag", fqn)
            resolved[fqn] = {
                "tagFQN": fqn,
                "name": tag["name"],
                "description": tag.get("description", ""),
                "source": label["source"],
                "labelType": label["labelType"],
                "state": label["state"],
            }
        self._check_mutually_exclusive(list(resolved))
        return [resolved[key] for key in sorted(resolved)]

    def _check_mutually_exclusive(self, tag_fqns: list[str]) -> None:
        seen: dict[str, str] = {}
        for fqn in tag_fqns:
            classification = split_fqn(fqn)[0]
            if not self._classifications.get(classification, {}).get("mutuallyExclusive"):
                continue
            if classification in seen:
                raise _bad_request(
                    f"Tag labels {seen[classification]} and {fqn} are mutually exclusive and can't be "
                    "assigned together"
                )
            seen[classification] = fqn

    @staticmethod
    def _reject_domains(body: Mapping[str, Any]) -> None:
        """The emulator has no domains or data products, so naming one is a 404, as it would be on OM."""
        for domain in body.get("domains") or []:
            raise _not_found("domain", domain)
        for product in body.get("dataProducts") or []:
            raise _not_found("dataProduct", product)

    # -- create-or-update core --------------------------------------------------------------------------

    def _apply_bot_put_rules(self, original: Mapping[str, Any], updated: dict[str, Any]) -> dict[str, Any]:
        """EntityRepository.EntityUpdater for a PUT by a bot: what the server keeps from the original."""
        if not self.bot_put_preserves_user_edits:
            return updated
        merged = dict(updated)
        for key in ("description", "displayName"):
            if original.get(key):
                merged[key] = original[key]
        if not merged.get("owners") and original.get("owners"):
            merged["owners"] = original["owners"]
        if "tags" in original or "tags" in merged:
            merged["tags"] = _merge_tag_labels(original.get("tags") or [], merged.get("tags") or [])
        if "extension" in original:
            merged["extension"] = original["extension"]
        else:
            merged.pop("extension", None)
        return merged

    def _upsert(
        self,
        kind: str,
        store: dict[str, dict[str, Any]],
        key: str,
        candidate: dict[str, Any],
        merge: Callable[[Mapping[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
    ) -> tuple[dict[str, Any], int]:
        """Store ``candidate`` under ``key`` with OM's versioning; return (stored entity, HTTP status).

        New -> 201, version 0.1. Existing -> 200; the version moves by 0.1 only when content changed (a
        restore of a soft-deleted entity is a change). ``sourceHash`` is stored without a version bump.
        """
        original = store.get(key)
        if original is None:
            entity = {
                **candidate,
                "version": 0.1,
                "updatedAt": _now_ms(),
                "updatedBy": self._current_principal(),
            }
            store[key] = entity
            self._counters[f"{kind}.created"] += 1
            self._principal.change = "entityCreated"
            return entity, 201
        merged = (merge or self._apply_bot_put_rules)(original, {**candidate, "deleted": False})
        old = _content(original, _NO_VERSION_KEYS)
        new = _content(merged, _NO_VERSION_KEYS)
        if old == new:
            if original.get("sourceHash") != merged.get("sourceHash"):
                store[key] = self._with_source_hash(original, merged.get("sourceHash"))
            self._counters[f"{kind}.unchanged"] += 1
            self._principal.change = "entityNoChange"
            return store[key], 200
        change = {**_diff_fields(old, new), "previousVersion": original["version"]}
        entity = {
            **merged,
            "version": _next_version(original["version"]),
            "updatedAt": _now_ms(),
            "updatedBy": self._current_principal(),
            "changeDescription": change,
        }
        store[key] = entity
        self._counters[f"{kind}.updated"] += 1
        self._principal.change = "entityUpdated"
        if original.get("deleted"):
            self._counters[f"{kind}.restored"] += 1
        return entity, 200

    @staticmethod
    def _with_source_hash(entity: Mapping[str, Any], source_hash: str | None) -> dict[str, Any]:
        """A copy of ``entity`` carrying a new ``sourceHash`` (or none), with no version change."""
        updated = {key: value for key, value in entity.items() if key != "sourceHash"}
        if source_hash is not None:
            updated["sourceHash"] = source_hash
        return updated

    def _refuse_existing(self, kind: str, store: Mapping[str, dict[str, Any]], key: str) -> None:
        """POST is create-only: an existing entity is a 409, as on a real server."""
        if key in store:
            self._counters[f"{kind}.conflict"] += 1
            raise om_error(409, "Entity already exists")

    # -- pipeline services ------------------------------------------------------------------------------

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
            raise _not_found("pipelineService", fqn)
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
            raise _not_found("databaseService", name)
        return service

    def _list_db_services(self, request: Request) -> dict[str, Any]:
        return self._list_response(request, sorted(self._db_services), self._db_services)

    # -- pipelines --------------------------------------------------------------------------------------

    def _put_pipeline(self, request: Request) -> Response:
        return self._write_pipeline(request, create_only=False)

    def _post_pipeline(self, request: Request) -> Response:
        return self._write_pipeline(request, create_only=True)

    def _write_pipeline(self, request: Request, *, create_only: bool) -> Response:
        """CreatePipeline: validate against the contract and the catalogue, then create or update."""
        body = CREATE_PIPELINE.validate(self._body(request))
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
        return Response(status, entity)

    def _check_task_graph(self, tasks: list[dict[str, Any]]) -> None:
        """Task names must be unique and every ``downstreamTasks`` entry must name a task of this pipeline."""
        names: set[str] = set()
        for task in tasks:
            if task["name"] in names:
                raise _bad_request(f"Duplicate task name {task['name']}")
            names.add(task["name"])
        for task in tasks:
            for downstream in task.get("downstreamTasks") or []:
                if downstream not in names:
                    raise _bad_request(
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
        """Entity-level bot rules plus PipelineUpdater's: a stored non-empty task description is kept and
        task tags are merged; the task list itself is replaced (the client's list is the truth)."""
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
                task["tags"] = _merge_tag_labels(stored.get("tags") or [], task.get("tags") or [])
            tasks.append(task)
        merged["tasks"] = tasks
        return merged

    def _latest_status(self, fqn: str) -> dict[str, Any] | None:
        by_ts = self._statuses.get(fqn)
        if not by_ts:
            return None
        return by_ts[max(by_ts)]

    def _render_pipeline(self, entity: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
        """A GET view: gated fields only when asked for, ``pipelineStatus`` computed from stored statuses."""
        view = {
            key: value for key, value in entity.items() if key not in _PIPELINE_GATED_FIELDS or key in fields
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
            raise _bad_request(f"Invalid field name {unknown[0]}")
        return fields

    def _find_pipeline(self, fqn: str, include: str, key: str | None = None) -> dict[str, Any]:
        entity = self._pipelines.get(fqn)
        if entity is None or not self._visible(entity, include):
            raise _not_found("pipeline", key or fqn)
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
        """Soft delete (``deleted: true``, version +0.1) or, with ``hardDelete=true``, removal with its
        statuses and the lineage edges it carries or touches."""
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
            "version": _next_version(entity["version"]),
            "updatedAt": _now_ms(),
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

    # -- pipeline statuses ------------------------------------------------------------------------------

    def _live_pipeline(self, request: Request) -> dict[str, Any]:
        return self._find_pipeline(self._path_param(request, "fqn"), "non-deleted")

    def _put_status(self, request: Request) -> dict[str, Any]:
        pipeline = self._live_pipeline(request)
        status = status_spec(self.version).validate(self._body(request))
        self._check_status_tasks(pipeline, [status])
        self._store_statuses(pipeline["fullyQualifiedName"], [status])
        return {**pipeline, "pipelineStatus": status}

    def _put_status_bulk(self, request: Request) -> dict[str, Any]:
        pipeline = self._live_pipeline(request)
        body = self._body(request)
        if not isinstance(body, list):
            raise _type_error("java.util.ArrayList", body, "pipelineStatuses")
        if len(body) > MAX_BULK_STATUSES:
            raise _bad_request(MSG_BULK_TOO_LARGE)
        statuses = [
            status_spec(self.version).validate(item, f"pipelineStatuses[{index}]")
            for index, item in enumerate(body)
        ]
        if not statuses:
            return pipeline
        self._check_status_tasks(pipeline, statuses)
        timestamps = Counter(status["timestamp"] for status in statuses)
        duplicate = next((ts for ts, count in timestamps.items() if count > 1), None)
        if duplicate is not None:
            # Postgres' bulk upsert cannot touch one row twice in one statement (OpenMetadata issue #30459).
            raise om_error(500, MSG_DUPLICATE_STATUS.format(ts=duplicate))
        self._store_statuses(pipeline["fullyQualifiedName"], statuses)
        latest = max(statuses, key=lambda status: status["timestamp"])
        return {**pipeline, "pipelineStatus": latest}

    @staticmethod
    def _check_status_tasks(pipeline: Mapping[str, Any], statuses: list[dict[str, Any]]) -> None:
        """PipelineRepository.validateTask: every taskStatus must name a task of the pipeline."""
        task_names = {task["name"] for task in pipeline.get("tasks") or []}
        for status in statuses:
            for task_status in status.get("taskStatus") or []:
                if task_status["name"] not in task_names:
                    raise _bad_request(f"Invalid task name {task_status['name']}")

    def _store_statuses(self, fqn: str, statuses: list[dict[str, Any]]) -> None:
        by_ts = self._statuses.setdefault(fqn, {})
        for status in statuses:
            if status["timestamp"] not in by_ts:
                self._counters["status.new"] += 1
            by_ts[status["timestamp"]] = status
            self._counters["status.upserted"] += 1

    def _list_statuses(self, request: Request) -> dict[str, Any]:
        """Statuses with ``startTs <= timestamp <= endTs``, newest first; optional limit with cursors."""
        fqn = self._path_param(request, "fqn")
        self._find_pipeline(fqn, "non-deleted")
        start = self._int_param(request, "startTs", None, 0, 2**63 - 1)
        end = self._int_param(request, "endTs", None, 0, 2**63 - 1)
        for name, value in (("startTs", start), ("endTs", end)):
            if value is None:
                raise _bad_request(f"[query param {name} must not be null]")
        assert start is not None and end is not None
        wanted = set((request.query.get("status") or "").split(",")) - {""}
        stamps = sorted(
            (ts for ts, st in self._statuses.get(fqn, {}).items()
             if start <= ts <= end and (not wanted or st["executionStatus"] in wanted)),
            reverse=True,
        )  # fmt: skip
        total = len(stamps)
        stamps = self._status_window(request, stamps)
        data = [self._statuses[fqn][ts] for ts in stamps]
        paging: dict[str, Any] = {"total": total}
        if request.query.get("limit") and data:
            paging["before"] = _encode_cursor(str(stamps[0]))
            paging["after"] = _encode_cursor(str(stamps[-1]))
        return {"data": data, "paging": paging}

    def _status_window(self, request: Request, stamps: list[int]) -> list[int]:
        """Cursor semantics of PipelineRepository.getPipelineStatuses (descending order)."""
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            stamps = [ts for ts in stamps if ts > self._cursor_int(before, "before")]
        elif after:
            stamps = [ts for ts in stamps if ts < self._cursor_int(after, "after")]
        limit = self._int_param(request, "limit", None, 0, MAX_LIST_LIMIT)
        return stamps[:limit] if limit else stamps

    @staticmethod
    def _cursor_int(cursor: str, param: str) -> int:
        try:
            return int(_decode_cursor(cursor, param))
        except ValueError as err:
            raise _bad_request(f"Invalid cursor in query param {param}: {cursor}") from err

    # -- tables -----------------------------------------------------------------------------------------

    def _get_table_by_name(self, request: Request) -> dict[str, Any]:
        fqn = self._path_param(request, "fqn")
        table = self._tables.get(fqn)
        if table is None:
            raise _not_found("table", fqn)
        return table

    def _get_table_by_id(self, request: Request) -> dict[str, Any]:
        return self._tables[self._lookup_id(request, "table")]

    # -- lineage ----------------------------------------------------------------------------------------

    def _entity_by_ref(self, ref: Mapping[str, Any]) -> dict[str, Any]:
        """The stored table or pipeline a lineage reference points to, or a 404."""
        found = self._by_id.get(ref["id"].lower())
        if found is None or found[0] != ref["type"] or found[0] not in {"table", "pipeline"}:
            raise _not_found(ref["type"], ref["id"])
        entity = (self._tables if found[0] == "table" else self._pipelines)[found[1]]
        if entity.get("deleted"):
            raise _not_found(ref["type"], ref["id"])
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
                raise _bad_request(
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
            raise _bad_request(f"Invalid fully qualified column name {column_fqn}")

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
            raise _not_found(entity_type, fqn)
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
        """Breadth-first edge collection: ``index`` maps an id to the edges to follow, ``next_end`` picks the
        end of each edge to continue from (0 = from-entity for upstream, 1 = to-entity for downstream)."""
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

    def _put_classification(self, request: Request) -> Response:
        body = CREATE_CLASSIFICATION.validate(self._body(request))
        self._reject_domains(body)
        entity, status = self._upsert_classification(body)
        return Response(status, entity)

    def _upsert_classification(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        name = body["name"]
        classification_id = self._new_id("classification", name)
        candidate: dict[str, Any] = {
            "id": classification_id,
            "name": name,
            "fullyQualifiedName": quote_name(name),
            "description": body["description"],
            "mutuallyExclusive": bool(body.get("mutuallyExclusive", False)),
            "provider": body.get("provider", "user"),
            "owners": self._resolve_owners(body.get("owners")),
            "href": self._href("classifications", classification_id),
            "deleted": False,
        }
        if body.get("displayName"):
            candidate["displayName"] = body["displayName"]
        entity, status = self._upsert("classification", self._classifications, name, candidate)
        self._by_id[classification_id] = ("classification", name)
        return entity, status

    def _get_classification(self, request: Request) -> dict[str, Any]:
        name = self._path_param(request, "name")
        entity = self._classifications.get(split_fqn(name)[0])
        if entity is None:
            raise _not_found("classification", name)
        return entity

    def _put_tag(self, request: Request) -> Response:
        body = CREATE_TAG.validate(self._body(request))
        self._reject_domains(body)
        entity, status = self._upsert_tag(body)
        return Response(status, entity)

    def _upsert_tag(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        """A tag under its parent tag (``parent``) or at the root of its ``classification``."""
        parent = None
        if body.get("parent"):
            parent = self._tags.get(body["parent"])
            if parent is None:
                raise _not_found("tag", body["parent"])
            classification_name = parent["classification"]["name"]
        elif body.get("classification"):
            classification_name = body["classification"]
        else:
            raise _bad_request("[classification must not be null]")
        classification = self._classifications.get(classification_name)
        if classification is None:
            raise _not_found("classification", classification_name)
        parent_fqn = parent["fullyQualifiedName"] if parent else classification["fullyQualifiedName"]
        fqn = fqn_add(parent_fqn, body["name"])
        tag_id = self._new_id("tag", fqn)
        candidate: dict[str, Any] = {
            "id": tag_id,
            "name": body["name"],
            "fullyQualifiedName": fqn,
            "description": body["description"],
            "classification": self._ref(classification, "classification"),
            "mutuallyExclusive": bool(body.get("mutuallyExclusive", False)),
            "provider": body.get("provider", "user"),
            "deprecated": False,
            "disabled": False,
            "owners": self._resolve_owners(body.get("owners")),
            "href": self._href("tags", tag_id),
            "deleted": False,
        }
        if parent is not None:
            candidate["parent"] = self._ref(parent, "tag")
        for key in ("displayName", "style", "associatedTags"):
            if body.get(key):
                candidate[key] = body[key]
        entity, status = self._upsert("tag", self._tags, fqn, candidate)
        self._by_id[tag_id] = ("tag", fqn)
        return entity, status

    def _get_tag(self, request: Request) -> dict[str, Any]:
        fqn = self._path_param(request, "fqn")
        tag = self._tags.get(fqn)
        if tag is None:
            raise _not_found("tag", fqn)
        return tag


def build_openmetadata_emulator(
    *, port: int = 0, latency_ms: float = 0.0, seed: int = 0, version: str = DEFAULT_VERSION
) -> OpenMetadataEmulator:
    """The emulator as ``dbx-pipeline emulate`` starts it: default tokens, ``/api`` prefix required."""
    return OpenMetadataEmulator(port=port, latency_ms=latency_ms, seed=seed, version=version)
