"""The ``metadata-rest`` sink: pipelines, statuses, tags and lineage written through OpenMetadata's REST API.

Only the writes and lookups live here; the transport (one pooled session, retries, the shared rate gate,
errors classified by what the run should do) is :class:`~core.openmetadata.client.OpenMetadataClient`.
Differences from OpenMetadata's own sink: statuses go in bulk chunks of at most 1000 (the server rejects
larger ones), an existing service is never overwritten, and user and table lookups are cached per run.
A dry run wraps this sink in :class:`~core.sinks.dryrun.DryRunSink`; this class always writes.

Pipelines go in bulk (``PUT /v1/pipelines/bulk``, OpenMetadata 1.11+) when ``sink.config.bulk_sink_batch_size``
is set above 1 (see :data:`DEFAULT_BATCH_SIZE` for why it is not the default) and the server has it: the
engine's workers call :meth:`OpenMetadataSink.put_pipeline` one pipeline each, and a group commit
(:class:`~core.sinks.batching.GroupCommit`) sends the calls that meet as one body of at most
``sink.config.bulk_sink_batch_size`` pipelines (a lone call goes alone, as a single PUT). Whether the server
has the endpoint is known from its version, else from the first bulk answer: a 404 or 405 turns bulk off
for the rest of the run. The ``BulkOperationResult`` is mapped back row by row: a refused row fails only its
pipeline, with the same message a single PUT would give; a row the server failed (5xx) or did not mention
is sent again alone; a whole list refused (one row with a key the server does not know fails Jackson's
parsing of the list) is sent again row by row. The answer says neither the pipelines' ids nor whether a
row was created or updated: a pipeline this run listed before writing counts as updated, any other as
created (a soft-deleted one restored counts as created), and ids are looked up only when lineage needs
them (one paged listing of the service, 1 call per 1,000 pipelines).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from typing_extensions import Unpack

from core.config.models import OpenMetadataServerConfig
from core.errors import SinkRejectedError
from core.openmetadata.client import ClientOptions, OpenMetadataClient
from core.openmetadata.fqn import pipeline_fqn, quote_name
from core.openmetadata.payloads import (
    AddLineageRequest,
    CreateClassificationRequest,
    CreatePipelineRequest,
    CreatePipelineServiceRequest,
    CreateTagRequest,
    PipelineStatus,
)
from core.openmetadata.versions import supports_bulk_pipelines
from core.ratelimit import RateGate
from core.secrets import redact
from core.sinks.base import Change, EntityRef, Sink
from core.sinks.batching import GroupCommit

__all__ = ["DEFAULT_BATCH_SIZE", "STATUS_CHUNK", "STORED_FIELDS", "OpenMetadataSink", "public_url"]

logger = logging.getLogger(__name__)
#: Pipelines per bulk request when ``sink.config.bulk_sink_batch_size`` is not set: 1, one PUT each (no
#: bulk). Chosen by ``bench`` (2,000 jobs x 3 tasks x 5 runs, 16 workers, 50 ms a request): against an
#: OpenMetadata that serves requests in parallel, single PUTs finish first: 57.5 s against 62.1 s with
#: batches of up to 16 at no cost per entity, 68.0 s against 80.4 s at 10 ms per entity (measured
#: 2026-11-29), because a worker waits for the batch in flight and a batch of N pays N entities' time in
#: one request. Bulk saves requests (2,000 pipeline PUTs -> ~430, 13,565 -> 11,946 calls in all): set ``bulk_sink_batch_size`` (e.g. 16) for a server that is limited
#: by requests (a rate-limiting proxy, a busy shared server). A batch never holds more pipelines than the
#: engine has workers (each worker waits for its own row).
DEFAULT_BATCH_SIZE = 1
_BULK_PATH = "/pipelines/bulk"
#: Bulk requests in flight at once. More means less waiting for a batch to leave but smaller batches:
#: measured with ``bench`` (1,000 jobs, 16 workers, 50 ms, 10 ms per entity) 1, 2 and 4 in flight took
#: 41.6, 40.6 and 38.3 s and made 6,067, 6,375 and 6,955 OpenMetadata calls; bulk is for saving calls, so 1.
MAX_BULK_IN_FLIGHT = 1
#: What one pipeline's write returns: its reference and what changed, or the error it alone failed with.
_Outcome = tuple[EntityRef, Change] | Exception

#: the fields a dry run reads to compare a stored pipeline with the request (:meth:`OpenMetadataSink.stored_pipeline`)
STORED_FIELDS = "tasks,tags,owners,scheduleInterval"
STATUS_CHUNK = 1000  # the server validates at most this many statuses per bulk request
_CHANGE_HEADER = "X-OpenMetadata-Change"
_CHANGES: dict[str, Change] = {
    "entityCreated": "created",
    "entityUpdated": "updated",
    "entityFieldsChanged": "updated",
    "entityNoChange": "unchanged",
}


class OpenMetadataSink(Sink):
    """Writes pipelines, statuses, tags and lineage to an OpenMetadata server (see :class:`Sink`)."""

    kind = "metadata-rest"

    def __init__(
        self,
        server: OpenMetadataServerConfig,
        *,
        client: OpenMetadataClient | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **options: Unpack[ClientOptions],
    ) -> None:
        """A sink for ``server``.

        Args:
            server: the validated ``workflowConfig.openMetadataServerConfig``.
            client: an open client to write through (the connection checks share theirs); when None, one is
                opened with ``options``.
            batch_size: the most pipelines one bulk request holds; 1 writes each with its own PUT.
            **options: :class:`~core.openmetadata.client.OpenMetadataClient`'s keyword arguments
                (``pool_size``, ``timeout_s``, ``retries``, ``gate``), ignored when ``client`` is given.
        """
        self.server = server
        self.client = client or OpenMetadataClient(server, **options)
        self.table_lookups = 0
        self._lock = threading.Lock()
        self._user_cache: dict[str, EntityRef | None] = {}
        self._table_cache: dict[str, EntityRef | None] = {}
        #: whether the server has PUT /pipelines/bulk: None until its version or a first answer says
        self.bulk: bool | None = None if batch_size > 1 else False
        self._batches: GroupCommit[CreatePipelineRequest, tuple[EntityRef, Change]] = GroupCommit(
            self._put_batch, max_batch=batch_size, max_in_flight=MAX_BULK_IN_FLIGHT
        )
        self._ids_lock = threading.Lock()
        #: pipeline fqn -> id, from listings, single PUTs and lookups (bulk answers carry no ids)
        self._ids: dict[str, str] = {}
        #: fqns of the pipelines a listing showed (a bulk write of one of them is an update)
        self._listed: set[str] = set()
        self._service_name: str | None = None
        self._relisted = False
        self._relist_lock = threading.Lock()

    @property
    def gate(self) -> RateGate:
        """The rate gate the client's requests wait at."""
        return self.client.gate

    def server_version(self) -> str:
        """The server's version string (``GET /v1/system/version``); see OpenMetadataClient.server_version.

        A server older than 1.11 has no bulk endpoint: its pipelines then go one PUT each, unprobed.
        """
        version = self.client.server_version()
        if self.bulk is None and supports_bulk_pipelines(version) is False:
            self.bulk = False
        return version

    @property
    def batch_sizes(self) -> list[int]:
        """Sizes of the pipeline batches sent so far (a batch of 1 is a single PUT)."""
        return list(self._batches.batch_sizes)

    def target(self) -> dict[str, str]:
        """``openmetadata`` at the server's URL (``hostPort`` without user, password, query or fragment)."""
        return {"kind": "openmetadata", "location": public_url(self.server.host_port)}

    # -- service --------------------------------------------------------------------------------------

    def ensure_service(self, request: CreatePipelineServiceRequest) -> EntityRef:
        """Get the pipeline service, creating it when missing (an existing one is not overwritten)."""
        name = request["name"]
        self._service_name = name
        found = self.client.get_optional(
            f"/services/pipelineServices/name/{quote(name, safe='')}", "reading the service"
        )
        if found is None:
            found = self.client.call(
                "PUT", "/services/pipelineServices", f"creating service {name}", body=request
            )
        return EntityRef(id=found["id"], fqn=found.get("fullyQualifiedName", name), type="pipelineService")

    # -- pipelines ------------------------------------------------------------------------------------

    def put_pipeline(self, request: CreatePipelineRequest) -> tuple[EntityRef, Change]:
        """Create or update one pipeline: in the next bulk batch, or alone (see the module docstring).

        Raises:
            SinkRejectedError: this pipeline was refused (alone, or as its row of a bulk answer).
            SinkAuthError, SinkUnavailableError: abort the run.
        """
        if self.bulk is False:
            return self._put_single(request)
        return self._batches.submit(request)

    def _put_single(self, request: CreatePipelineRequest) -> tuple[EntityRef, Change]:
        """One ``PUT /v1/pipelines``; the change comes from the server's ``X-OpenMetadata-Change``."""
        fqn = pipeline_fqn(request)
        response = self.client.request("PUT", "/pipelines", body=request)
        body = self.client.json_from(response, _what(request))
        change = _CHANGES.get(response.headers.get(_CHANGE_HEADER, ""))
        if change is None:
            change = "created" if response.status_code == 201 else "updated"
        ref = EntityRef(id=body["id"], fqn=body.get("fullyQualifiedName", fqn), type="pipeline")
        with self._ids_lock:
            self._ids[ref.fqn] = ref.id
        return ref, change

    def _each_alone(self, requests: list[CreatePipelineRequest]) -> list[_Outcome]:
        return [self._single_outcome(request) for request in requests]

    def _single_outcome(self, request: CreatePipelineRequest) -> _Outcome:
        try:
            return self._put_single(request)
        except Exception as err:  # noqa: BLE001 -- handed to this pipeline's caller, which raises it
            return err

    def _put_batch(self, requests: list[CreatePipelineRequest]) -> list[_Outcome]:
        """One batch from the group commit: a bulk PUT, or single PUTs when bulk cannot be used."""
        if len(requests) == 1 or self.bulk is False:
            return self._each_alone(requests)
        response = self.client.request("PUT", _BULK_PATH, body=requests, params={"async": "false"})
        if response.status_code in (404, 405):
            logger.info("OpenMetadata has no %s (%s): one PUT per pipeline", _BULK_PATH, response.status_code)
            self.bulk = False
            return self._each_alone(requests)
        if response.status_code in (400, 409, 412, 422):
            # the list as a whole was refused (a key the server does not know fails Jackson's parsing of
            # the whole list): each pipeline alone, so only the bad one fails, with its own message
            return self._each_alone(requests)
        body = self.client.json_from(response, f"writing {len(requests)} pipelines in bulk")
        self.bulk = True
        return self._bulk_outcomes(requests, body if isinstance(body, dict) else {})

    def _bulk_outcomes(self, requests: list[CreatePipelineRequest], body: dict[str, Any]) -> list[_Outcome]:
        """Each request's outcome from a ``BulkOperationResult`` (rows matched by fully qualified name)."""
        index = _RowIndex(requests)
        outcomes: list[_Outcome | None] = [None] * len(requests)
        for row in body.get("successRequest") or []:
            at = index.find(row)
            if at is not None:
                outcomes[at] = self._bulk_success(requests[at])
        for row in body.get("failedRequest") or []:
            at = index.find(row)
            if at is not None:
                outcomes[at] = self._row_error(requests[at], row)
        # a row the answer does not mention (or one the server failed) is sent again alone
        return [
            self._single_outcome(requests[at]) if outcome is None else outcome
            for at, outcome in enumerate(outcomes)
        ]

    def _bulk_success(self, request: CreatePipelineRequest) -> tuple[EntityRef, Change]:
        fqn = pipeline_fqn(request)
        with self._ids_lock:
            change: Change = "updated" if fqn in self._listed else "created"
            return EntityRef(id=self._ids.get(fqn, ""), fqn=fqn, type="pipeline"), change

    def _row_error(self, request: CreatePipelineRequest, row: Any) -> _Outcome | None:
        """A failed row's error (what a single PUT's answer would raise); None: send it again alone."""
        status = row.get("status") if isinstance(row, dict) else None
        if not isinstance(status, int) or status >= 500:
            return None  # the server failed (a database error): worth one more try, alone and with retries
        message = redact(str(row.get("message") or "")[:300])
        return self.client.error_for(status, message, _what(request))

    def put_statuses(self, fqn: str, statuses: list[PipelineStatus]) -> int:
        """Upsert statuses (keyed by timestamp on the server) in bulk chunks of at most 1000."""
        if not statuses:
            return 0
        path = f"/pipelines/{quote(fqn, safe='')}/status/bulk"
        for start in range(0, len(statuses), STATUS_CHUNK):
            chunk = statuses[start : start + STATUS_CHUNK]
            self.client.call("PUT", path, f"statuses of {fqn}", body=chunk)
        return len(statuses)

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        """Every non-deleted pipeline of ``service`` (paged, 1000 a page), with its ``sourceHash``.

        Their ids and names are remembered: a bulk write of a listed pipeline is an update, and lineage
        finds the pipeline's id here. With ``with_status`` the listing asks for ``fields=pipelineStatus``:
        the server adds each pipeline's latest status (the one with the greatest timestamp;
        ``PipelineRepository``'s ``fetchAndSetPipelineStatuses``, open-metadata/OpenMetadata main, seen
        2026-11-29) to the same pages, so it costs no extra request.
        """
        self._service_name = self._service_name or service
        after: str | None = None
        while True:
            params: dict[str, str | int] = {"service": service, "limit": 1000, "include": "non-deleted"}
            if with_status:
                params["fields"] = "pipelineStatus"
            if after:
                params["after"] = after
            page = (
                self.client.call("GET", "/pipelines", f"listing pipelines of {service}", params=params) or {}
            )
            for entity in page.get("data", []):
                with self._ids_lock:
                    self._ids[entity["fullyQualifiedName"]] = entity["id"]
                    self._listed.add(entity["fullyQualifiedName"])
                yield EntityRef(
                    id=entity["id"],
                    fqn=entity["fullyQualifiedName"],
                    type="pipeline",
                    name=entity["name"],
                    source_hash=entity.get("sourceHash"),
                    display_name=entity.get("displayName"),
                    latest_status=entity.get("pipelineStatus") if with_status else None,
                )
            after = (page.get("paging") or {}).get("after")
            if not after:
                return

    def stored_pipeline(self, fqn: str) -> dict[str, Any] | None:
        """``GET /v1/pipelines/name/{fqn}?fields=tasks,tags,owners,scheduleInterval`` (None on a 404).

        ``tasks``, ``tags`` and ``owners`` are left out of a GET unless asked for (``PipelineResource.FIELDS``,
        ``PipelineRepository.clearFields``; entity/data/pipeline.json); ``scheduleInterval`` is one of the
        fields a pipeline GET accepts and is asked for so the schedule is compared whatever the server's
        default view holds.
        """
        found = self.client.get_optional(
            f"/pipelines/name/{quote(fqn, safe='')}",
            f"reading pipeline {fqn}",
            params={"fields": STORED_FIELDS},
        )
        return found if isinstance(found, dict) else None

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        """Soft-delete (recoverable in the UI) one pipeline."""
        params = {"hardDelete": "false", "recursive": "true"}
        self.client.call("DELETE", f"/pipelines/{ref.id}", f"deleting {ref.fqn}", params=params)

    # -- tags, users, tables, lineage ----------------------------------------------------------------------

    def ensure_tags(self, classification: str, description: str, tags: dict[str, str]) -> None:
        """Create the classification and each tag ``{name: description}`` (upserts)."""
        if not tags:
            return
        request: CreateClassificationRequest = {"name": classification, "description": description}
        self.client.call("PUT", "/classifications", f"classification {classification}", body=request)
        for name, tag_description in tags.items():
            tag: CreateTagRequest = {
                "name": name,
                "description": tag_description,
                "classification": classification,
            }
            self.client.call("PUT", "/tags", f"tag {classification}.{name}", body=tag)

    def databricks_database_services(self) -> list[str]:
        """Names of the Databricks / Unity Catalog database services, where lineage tables live."""
        response = self.client.request("GET", "/services/databaseServices", params={"limit": 1000})
        if response.status_code == 404:
            return []
        page = self.client.json_from(response, "listing database services") or {}
        wanted = {"databricks", "unitycatalog"}
        return [s["name"] for s in page.get("data", []) if str(s.get("serviceType", "")).lower() in wanted]

    def find_user(self, email: str) -> EntityRef | None:
        """The OpenMetadata user with this e-mail (looked up by its name part), cached per run."""
        key = email.lower()
        with self._lock:
            if key in self._user_cache:
                return self._user_cache[key]
        name = key.split("@", 1)[0]
        found = self.client.get_optional(f"/users/name/{quote(name, safe='')}", f"looking up user {name}")
        ref = None
        if found and (not found.get("email") or str(found["email"]).lower() == key):
            ref = EntityRef(id=found["id"], fqn=found.get("fullyQualifiedName", name), type="user", name=name)
        with self._lock:
            self._user_cache[key] = ref
        return ref

    def find_table(self, fqn: str) -> EntityRef | None:
        """The table with this fully qualified name and the edges into it, cached per run (misses too).

        One ``GET /v1/lineage/table/name/{fqn}?upstreamDepth=1&downstreamDepth=0``: the same one call a
        ``GET /v1/tables/name/{fqn}`` costs, a 404 for a missing or deleted table alike
        (``LineageRepository.getByName``, Include.NON_DELETED), and it also answers which edges into the
        table OpenMetadata already holds, read from its database (``getUpstreamLineage``: each edge's
        ``fromEntity`` id and ``lineageDetails.pipeline``; open-metadata/OpenMetadata main, seen
        2026-11-29). The engine skips those edges (``EntityRef.lineage_from``).
        """
        with self._lock:
            if fqn in self._table_cache:
                return self._table_cache[fqn]
        with self._lock:
            self.table_lookups += 1
        found = self.client.get_optional(
            f"/lineage/table/name/{quote(fqn, safe='')}",
            f"looking up table {fqn}",
            params={"upstreamDepth": 1, "downstreamDepth": 0},
        )
        ref = _table_ref(found, fqn) if found else None
        with self._lock:
            self._table_cache[fqn] = ref
        return ref

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        """Add one table-to-table edge attributed to ``pipeline``."""
        body: AddLineageRequest = {
            "edge": {
                "fromEntity": {"id": source.id, "type": source.type},
                "toEntity": {"id": target.id, "type": target.type},
                "lineageDetails": {
                    "pipeline": {"id": self._pipeline_id(pipeline), "type": "pipeline"},
                    "source": "PipelineLineage",
                },
            }
        }
        self.client.call("PUT", "/lineage", f"lineage {source.fqn} -> {target.fqn}", body=body)

    def store_source_hash(self, pipeline: EntityRef, source_hash: str) -> None:
        """``PATCH /v1/pipelines/{id}`` with a JSON Patch that sets ``sourceHash`` (no new version).

        Raises:
            SinkAuthError, SinkUnavailableError: abort the run.
            SinkRejectedError: refused, or the pipeline is not in OpenMetadata.
        """
        patch = [{"op": "add", "path": "/sourceHash", "value": source_hash}]
        self.client.call(
            "PATCH",
            f"/pipelines/{self._pipeline_id(pipeline)}",
            f"pipeline {pipeline.fqn}",
            body=patch,
            content_type="application/json-patch+json",
        )

    def _pipeline_id(self, pipeline: EntityRef) -> str:
        """The id of a pipeline written in bulk (bulk answers carry none).

        The first unknown id lists the service once (1 call per 1,000 pipelines, after every pipeline of
        the run was written); one still unknown is looked up by name.

        Raises:
            SinkRejectedError: the pipeline is not in OpenMetadata.
        """
        if pipeline.id:
            return pipeline.id
        with self._relist_lock:  # the workers that need an id wait for the one listing
            with self._ids_lock:
                found = self._ids.get(pipeline.fqn)
            if found is None and not self._relisted:
                self._relisted = True
                for _ in self.iter_service_pipelines(self._service_name or pipeline.fqn.split(".", 1)[0]):
                    pass
                with self._ids_lock:
                    found = self._ids.get(pipeline.fqn)
        if found is not None:
            return found
        entity = self.client.get_optional(
            f"/pipelines/name/{quote(pipeline.fqn, safe='')}", f"looking up pipeline {pipeline.fqn}"
        )
        if not entity:
            raise SinkRejectedError(
                f"pipeline {pipeline.fqn} is not in OpenMetadata: its lineage cannot be written"
            )
        with self._ids_lock:
            self._ids[pipeline.fqn] = str(entity["id"])
        return str(entity["id"])

    def close(self) -> None:
        """Release pooled connections."""
        self.client.close()


def public_url(url: str) -> str:
    """``url`` without user, password, query or fragment: safe to print and to store in a report."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _what(request: CreatePipelineRequest) -> str:
    """How messages name a pipeline write: ``pipeline <name> (<display name>)``."""
    return f"pipeline {request['name']} ({request.get('displayName', '')})"


class _RowIndex:
    """Finds a bulk answer's row among the requests sent.

    A passed row names the pipeline's fqn; a row refused before it was stored carries the request as sent
    (its service and name give the fqn).
    """

    def __init__(self, requests: list[CreatePipelineRequest]) -> None:
        self._at: dict[str, int] = {}
        for at, request in enumerate(requests):
            self._at.setdefault(pipeline_fqn(request), at)
            self._at.setdefault(
                pipeline_fqn(request).casefold(), at
            )  # the server compares fqn hashes of lower case

    def find(self, row: Any) -> int | None:
        """The index of the request ``row`` answers, or None when it names none of them."""
        request = row.get("request") if isinstance(row, dict) else None
        if isinstance(request, dict):
            request = f"{request.get('service')}.{quote_name(str(request.get('name')))}"
        if not isinstance(request, str):
            return None
        at = self._at.get(request)
        return at if at is not None else self._at.get(request.casefold())


def _table_ref(lineage: dict[str, Any], fqn: str) -> EntityRef | None:
    """The table of an ``EntityLineage`` answer, with ``(from fqn, pipeline fqn)`` of each edge into it.

    Edges name their ends by id; ``nodes`` holds the references, fully qualified names included.
    """
    entity = lineage.get("entity") or {}
    if not entity.get("id"):
        return None
    names = {node.get("id"): node.get("fullyQualifiedName") for node in lineage.get("nodes") or []}
    held = set()
    for edge in lineage.get("upstreamEdges") or []:
        source = names.get(edge.get("fromEntity"))
        pipeline = (edge.get("lineageDetails") or {}).get("pipeline") or {}
        if edge.get("toEntity") == entity["id"] and source and pipeline.get("fullyQualifiedName"):
            held.add((str(source), str(pipeline["fullyQualifiedName"])))
    return EntityRef(
        id=entity["id"],
        fqn=entity.get("fullyQualifiedName", fqn),
        type="table",
        lineage_from=frozenset(held),
    )
