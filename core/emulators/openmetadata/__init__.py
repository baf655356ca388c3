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
- ``PUT /pipelines/bulk`` (1.11+) answering a ``BulkOperationResult`` row by row (``bulk``), and an optional
  cost model: ``cost_ms_per_request`` plus ``cost_ms_per_entity`` for each entity a body writes;
- ingestion pipelines (``/services/ingestionPipelines``) and the status of each of their runs, keyed by
  ``runId`` (``ingestion_pipelines``), the way OpenMetadata's Ingestions tab reads them;
- ``fields``-gated GET responses (``tasks``, ``owners``, ``tags`` ... only when requested), cursor paging,
  soft and hard delete, pipeline statuses keyed by timestamp, lineage edges keyed by (from, to).

State is kept in plain dicts (a 20,000-pipeline catalogue is fine). Stored dicts are never mutated in place
(every change stores a new dict), so the accessors can hand out shallow copies safely.

Layout (one concern a module): ``constants`` and ``auth`` (fixed values and bot tokens), ``validation`` and
``schemas`` (request checks), ``names`` (FQNs, cursors), ``versioning`` (change detection), ``base`` (state,
request helpers, the cost model), ``store`` (create-or-update), one route module per resource (``system``,
``services``, ``pipelines``, ``bulk``, ``statuses``, ``lineage``, ``tags``,
``ingestion_pipelines``), ``seeding`` and ``inspection`` (the Python side for
tests), and ``server`` (the route table, auth, the ``/api`` prefix).
"""

from core.emulators.openmetadata.auth import DEFAULT_JWT, EXPIRED_JWT, READ_ONLY_JWT
from core.emulators.openmetadata.constants import CHANGE_HEADER, DEFAULT_VERSION
from core.emulators.openmetadata.names import fqn_add, quote_name, split_fqn
from core.emulators.openmetadata.server import OpenMetadataEmulator, build_openmetadata_emulator

__all__ = [
    "CHANGE_HEADER",
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
