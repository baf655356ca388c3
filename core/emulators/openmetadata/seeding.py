"""Seeding the catalogue from Python (no HTTP): users, tables, tags, or a whole workspace's tables and users."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Protocol

from core.emulators.openmetadata.constants import BUILD_TIMESTAMP_MS
from core.emulators.openmetadata.names import fqn_add, quote_name, split_fqn
from core.emulators.openmetadata.tags import TagRoutes


class WorkspaceLike(Protocol):
    """What :meth:`OpenMetadataEmulator.seed_from_workspace` needs from the Databricks workspace emulator."""

    def table_full_names(self) -> Iterable[str]:
        """Unity Catalog names ``catalog.schema.table`` of the workspace's tables."""
        ...

    def user_emails(self) -> Iterable[str]:
        """E-mails of the workspace's job owners and run-as users."""
        ...


class Seeding(TagRoutes):
    """Test and demo set-up that needs no HTTP round trip."""

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
            "updatedAt": BUILD_TIMESTAMP_MS,
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
