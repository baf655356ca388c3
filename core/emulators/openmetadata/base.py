"""State and request helpers shared by the OpenMetadata emulator's route mixins."""

from __future__ import annotations

import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from core.emulators.http import EmulatorServer, HttpError, Request
from core.emulators.openmetadata.auth import DEFAULT_JWT, EXPIRED_JWT, READ_ONLY_JWT
from core.emulators.openmetadata.constants import (
    API_PREFIX,
    BOT_NAME,
    BUILD_TIMESTAMP_MS,
    DEFAULT_LIST_LIMIT,
    DEFAULT_VERSION,
    INCLUDE_VALUES,
    MAX_LIST_LIMIT,
    READ_ONLY_BOT_NAME,
    RECEIVED_LOG_SIZE,
)
from core.emulators.openmetadata.errors import bad_request, entity_not_found
from core.emulators.openmetadata.names import page_keys, quote_name


class OpenMetadataBase(EmulatorServer):
    """The catalogue's state (plain dicts under one lock) and the helpers every route handler uses.

    Constructor arguments: see :class:`core.emulators.openmetadata.OpenMetadataEmulator`. Subclasses add
    their routes in :meth:`_register_routes`, which the constructor calls last.
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
        cost_ms_per_request: float = 0.0,
        cost_ms_per_entity: float = 0.0,
    ) -> None:
        """An empty catalogue (but for the two bots), then the routes.

        The arguments are described on :class:`~core.emulators.openmetadata.OpenMetadataEmulator`.
        """
        super().__init__(port=port, latency_ms=latency_ms, seed=seed)
        self.jwt = jwt
        self.read_only_jwt = read_only_jwt
        self.expired_jwt = expired_jwt
        self.version = version
        self.require_api_prefix = require_api_prefix
        self.bot_put_preserves_user_edits = bot_put_preserves_user_edits
        #: server work per request and per entity written (off by default); see :meth:`_server_cost_s`
        self.cost_ms_per_request = cost_ms_per_request
        self.cost_ms_per_entity = cost_ms_per_entity
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
        #: ingestion pipelines by FQN, and each one's runs: FQN -> {runId: status}
        self._ingestion_pipelines: dict[str, dict[str, Any]] = {}
        self._ingestion_runs: dict[str, dict[str, dict[str, Any]]] = {}
        #: every run status accepted, in order: (ingestion pipeline FQN, status)
        self._ingestion_status_log: list[tuple[str, dict[str, Any]]] = []
        self._edges_from: dict[str, set[tuple[str, str]]] = {}
        self._edges_to: dict[str, set[tuple[str, str]]] = {}
        self._edges_by_pipeline: dict[str, set[tuple[str, str]]] = {}
        self._by_id: dict[str, tuple[str, str]] = {}
        self._pipeline_index: dict[tuple[str | None, str], list[str]] = {}
        self._counters: Counter[str] = Counter()
        self._received: deque[tuple[str, str, int]] = deque(maxlen=RECEIVED_LOG_SIZE)
        self._seed_bots()
        self._register_routes()

    # -- the cost model ---------------------------------------------------------------------------------

    def _count_entities(self, count: int) -> None:
        """Say how many entities (or status rows) the current request writes (for the cost model)."""
        self._principal.entities = count

    def _server_cost_s(self, method: str) -> float:
        """Seconds of server work the current request costs: ``per request + entities x per entity``.

        A single PUT or POST writes one entity; a bulk body says how many rows it holds through
        :meth:`_count_entities` (``PUT /pipelines/bulk``: the pipelines; ``PUT .../status/bulk``: the
        statuses); a GET writes none. Both costs are 0 unless given: there is no published figure for an
        OpenMetadata server's time per entity (it depends on its database and search index), so the
        numbers are the caller's model, and ``bench`` prints the model it ran under.
        """
        entities = getattr(self._principal, "entities", None)
        if entities is None:
            entities = 1 if method in {"PUT", "POST", "PATCH", "DELETE"} else 0
        return (self.cost_ms_per_request + entities * self.cost_ms_per_entity) / 1000.0

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
        """Register the API's routes (the final class does; the base serves none)."""

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
            raise bad_request(message) from err
        if body is None:
            raise bad_request("[request body must not be null]")
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
            raise bad_request(f"[query param {name} must be a number]") from err
        if value < low:
            raise bad_request(f"[query param {name} must be greater than or equal to {low}]")
        if value > high:
            raise bad_request(f"[query param {name} must be less than or equal to {high}]")
        return value

    @classmethod
    def _time_range(cls, request: Request) -> tuple[int, int]:
        """``startTs`` and ``endTs`` (epoch ms), both required, as the time-series list endpoints take them."""
        start = cls._int_param(request, "startTs", None, 0, 2**63 - 1)
        end = cls._int_param(request, "endTs", None, 0, 2**63 - 1)
        for name, value in (("startTs", start), ("endTs", end)):
            if value is None:
                raise bad_request(f"[query param {name} must not be null]")
        assert start is not None and end is not None
        return start, end

    @staticmethod
    def _include_param(request: Request) -> str:
        include = request.query.get("include") or "non-deleted"
        if include not in INCLUDE_VALUES:
            raise bad_request(f"[query param include must be one of {', '.join(INCLUDE_VALUES)}]")
        return include

    @staticmethod
    def _bool_param(request: Request, name: str) -> bool:
        return (request.query.get(name) or "false").lower() == "true"

    @staticmethod
    def _visible(entity: Mapping[str, Any], include: str) -> bool:
        deleted = bool(entity.get("deleted"))
        return include == "all" or (include == "deleted") == deleted

    def _lookup_id(self, request: Request, entity_type: str) -> str:
        """The storage key of the entity whose id is in the path, or a 404."""
        entity_id = self._path_param(request, "id").lower()
        found = self._by_id.get(entity_id)
        if found is None or found[0] != entity_type:
            raise entity_not_found(entity_type, entity_id)
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
        chosen, paging = page_keys(keys, limit, request.query.get("before"), request.query.get("after"))
        data = [render(store[key]) if render else store[key] for key in chosen]
        return {"data": data, "paging": paging}

    # -- the two bots every server has ----------------------------------------------------------------

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
            "updatedAt": BUILD_TIMESTAMP_MS,
            "updatedBy": "admin",
            "href": self._href("users", user_id),
            "deleted": False,
        }
        if display_name:
            user["displayName"] = display_name
        self._users[name] = user
        self._by_id[user_id] = ("user", name)
        return user
