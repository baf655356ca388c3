"""Routes for the server version, test connection definitions, permissions, users and tables (read-only)."""

from __future__ import annotations

import hashlib
from typing import Any

from core.emulators.http import Request
from core.emulators.openmetadata.constants import (
    BUILD_TIMESTAMP_MS,
    PERMISSION_OPERATIONS,
    READ_ONLY_BOT_NAME,
)
from core.emulators.openmetadata.errors import entity_not_found
from core.emulators.openmetadata.store import EntityStore

#: The server's seed data for the one service type served: ``json/data/testConnections/pipeline/
#: databrickspipeline.json`` of openmetadata-spec 1.13 (the file the server loads at start), with the ``name``
#: under which ``TestConnectionDefinitionRepository`` stores it: ``<serviceType>.testConnectionDefinition``,
#: the FQN openmetadata-ingestion's ``test_connection_steps`` asks for before every workflow.
TEST_CONNECTION_DEFINITIONS: dict[str, dict[str, Any]] = {
    "DatabricksPipeline.testConnectionDefinition": {
        "id": "6f0b8a2c-44c5-4a0e-9d4f-2d0b5e1c7a11",
        "name": "DatabricksPipeline.testConnectionDefinition",
        "fullyQualifiedName": "DatabricksPipeline.testConnectionDefinition",
        "displayName": "DatabricksPipeline Test Connection",
        "description": "This Test Connection validates the access against the server and basic metadata "
        "extraction of pipelines.",
        "steps": [
            {
                "name": "GetPipelines",
                "description": "List all the pipelines available to the user",
                "errorMessage": "Failed to fetch pipelines, please validate the credentials or validate if "
                "user has access to fetch pipelines",
                "shortCircuit": True,
                "mandatory": True,
            }
        ],
        "version": 0.1,
        "deleted": False,
    }
}


class SystemRoutes(EntityStore):
    """``/system/version``, ``/permissions``, ``/users`` and ``/tables`` reads."""

    def _get_version(self, request: Request) -> dict[str, Any]:
        revision = hashlib.sha1(f"openmetadata-{self.version}".encode()).hexdigest()
        return {"version": self.version, "revision": revision, "timestamp": BUILD_TIMESTAMP_MS}

    def _get_test_connection_definition(self, request: Request) -> dict[str, Any]:
        """``GET /v1/services/testConnectionDefinitions/name/{fqn}`` (404 for a service type not served)."""
        fqn = self._path_param(request, "fqn")
        definition = TEST_CONNECTION_DEFINITIONS.get(fqn)
        if definition is None:
            raise entity_not_found("testConnectionDefinition", fqn)
        return definition

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
            for operation in PERMISSION_OPERATIONS
        ]
        return {"resource": self._path_param(request, "resource"), "permissions": permissions}

    def _get_logged_in_user(self, request: Request) -> dict[str, Any]:
        return self._users[self._current_principal()]

    def _get_user_by_name(self, request: Request) -> dict[str, Any]:
        name = self._path_param(request, "name")
        user = self._users.get(name)
        if user is None:
            raise entity_not_found("user", name)
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

    # -- tables -----------------------------------------------------------------------------------------

    def _get_table_by_name(self, request: Request) -> dict[str, Any]:
        fqn = self._path_param(request, "fqn")
        table = self._tables.get(fqn)
        if table is None:
            raise entity_not_found("table", fqn)
        return table

    def _get_table_by_id(self, request: Request) -> dict[str, Any]:
        return self._tables[self._lookup_id(request, "table")]
