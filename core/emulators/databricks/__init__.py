"""A local emulator of the Databricks REST API, faithful enough for the real ``databricks-sdk``.

Why: no real workspace is reachable from tests, benchmarks or demos, and mocking the SDK would skip
exactly what breaks in production: paging tokens, the Jobs 2.2 100-element array paging, error bodies
the SDK maps to exception classes, retries on 429, OAuth discovery, and the asynchronous SQL Statement
Execution API. This server answers those over real HTTP with the shapes in
``/work/shared/briefs/databricks-api.md``; the data comes from a generated :class:`Workspace`, or from a
:class:`core.emulators.recorded.RecordedWorkspace` (items written down by hand, served unchanged).

Served (Jobs paths under both ``/api/2.2`` and ``/api/2.1``; 2.1 does not page task arrays):

- ``GET /.well-known/databricks-config`` (no auth) and OAuth M2M: ``GET /oidc/.well-known/
  oauth-authorization-server`` and ``POST /oidc/v1/token`` (client credentials, HTTP Basic or form);
- ``jobs/list``, ``jobs/get``, ``jobs/runs/list``, ``jobs/runs/get``;
- ``/api/2.0/pipelines``, ``/pipelines/{id}``, ``/pipelines/{id}/updates[/{update_id}]``;
- ``/api/2.0/preview/scim/v2/Me``;
- ``/api/2.0/sql/statements`` (execute, get, result chunks, cancel) understanding ``SELECT 1`` and the
  engine's query on ``system.access.table_lineage``.

Layout: ``protocol`` (error bodies, page tokens, parameters), ``sql`` (the SQL understood), ``base`` (shared
state), one route mixin per API (``oauth``, ``jobs``, ``pipelines``, ``statements``) and ``server`` (the
route table and authorisation).
"""

from core.emulators.databricks.server import DatabricksEmulator, build_databricks_emulator

__all__ = ["DatabricksEmulator", "build_databricks_emulator"]
