"""``PUT /v1/pipelines/bulk``: many CreatePipeline requests in one body, a ``BulkOperationResult`` back.

What the real server does (``PipelineResource.bulkCreateOrUpdate`` -> ``EntityResource.processBulkRequest``
-> ``BulkImportService.bulkCreateOrUpdateEntitiesSequential``; open-metadata/OpenMetadata main, seen
2026-11-29), and so the emulator:

- the body is a JSON list deserialised by Jackson as a whole: an unknown key or a value of the wrong type in
  any row is a 400 for the whole request (no row is written);
- each row is then checked on its own (bean validation, then the service, owners and tags it names); a row
  that fails is a ``failedRequest`` entry ``{request: <the row as sent>, message, status: 400}`` and costs
  only itself;
- the rows that pass are created or updated with the rules of a single PUT by a bot (the same
  ``EntityUpdater``); each is a ``successRequest`` entry ``{request: <its fullyQualifiedName>, status: 200}``.
  The answer does not say whether a row was created, updated or left unchanged (every success is 200, and
  there is no ``X-OpenMetadata-Change`` header), nor the entity's id;
- ``status`` is ``success``, ``partialSuccess`` or ``failure``; ``numberOfRowsProcessed`` / ``Passed`` /
  ``Failed`` count the rows; the HTTP status is 200 even when rows failed;
- ``?async=true`` answers 202 at once with ``numberOfRowsPassed: 0`` and only the rows that failed the
  checks; the outcome of the rest is never sent back (the emulator stores them before answering);
- no size limit on the list is declared (unlike ``status/bulk``'s 1000);
- servers older than :data:`~core.emulators.openmetadata.constants.BULK_PIPELINES_SINCE` answer 405.

One simplification: the read-only bot's bulk write is refused at the door with 403, like every write of
it; a real server answers 200 with each row failed ``403 Permission denied``. Clients see a refusal both ways.
"""

from __future__ import annotations

import re
from typing import Any

from core.emulators.http import HttpError, Request, Response
from core.emulators.openmetadata.constants import BULK_PIPELINES_SINCE, MSG_METHOD_NOT_ALLOWED
from core.emulators.openmetadata.errors import om_error
from core.emulators.openmetadata.pipelines import PipelineRoutes
from core.emulators.openmetadata.schemas import CREATE_PIPELINE
from core.emulators.openmetadata.validation import type_error

#: Bean validation's messages are in brackets (``[name must not be null]``); anything else a row's
#: validation raises is Jackson's (unknown key, wrong type), which fails the whole list.
_BEAN_MESSAGE = re.compile(r"^\[")


class BulkRoutes(PipelineRoutes):
    """``PUT /pipelines/bulk`` (see the module docstring)."""

    def _supports_bulk(self) -> bool:
        match = re.match(r"\s*v?(\d+)\.(\d+)", self.version)
        return match is None or (int(match.group(1)), int(match.group(2))) >= BULK_PIPELINES_SINCE

    def _put_pipelines_bulk(self, request: Request) -> Response:
        """Validate every row, store the good ones, answer a BulkOperationResult."""
        if not self._supports_bulk():
            raise om_error(405, MSG_METHOD_NOT_ALLOWED)
        body = self._body(request)
        if not isinstance(body, list):
            raise type_error("java.util.ArrayList", body, "createRequests")
        self._count_entities(len(body))
        checked, failed = self._check_rows(body)
        passed: list[dict[str, Any]] = []
        for row in checked:
            try:
                entity, _ = self._store_pipeline(row, create_only=False)
            except HttpError as err:
                failed.append(_failure(row, err))
                continue
            self._by_id[entity["id"]] = ("pipeline", entity["fullyQualifiedName"])
            passed.append({"request": entity["fullyQualifiedName"], "status": 200})
        self._principal.change = None  # a bulk answer carries no X-OpenMetadata-Change header
        self._counters["pipeline.bulk_requests"] += 1
        self._counters["pipeline.bulk_rows_failed"] += len(failed)
        if self._bool_param(request, "async"):
            return Response(202, _result(len(body), [], failed, accepted=True))
        return Response(200, _result(len(body), passed, failed))

    @staticmethod
    def _check_rows(body: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(rows that passed validation, failedRequest entries); a Jackson error fails the whole list."""
        checked: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        jackson: HttpError | None = None
        for index, row in enumerate(body):
            try:
                checked.append(CREATE_PIPELINE.validate(row, "" if isinstance(row, dict) else f"[{index}]"))
            except HttpError as err:
                if _BEAN_MESSAGE.match(_message(err)):
                    failed.append(_failure(row, err, status=400))
                elif jackson is None:
                    jackson = err
        if jackson is not None:
            raise jackson
        return checked, failed


def _message(err: HttpError) -> str:
    body = err.body if isinstance(err.body, dict) else {}
    return str(body.get("message", ""))


def _failure(row: Any, err: HttpError, status: int = 400) -> dict[str, Any]:
    """A failedRequest entry for a row refused before it was stored (the server answers 400 for these)."""
    return {"request": row, "message": _message(err), "status": status}


def _result(
    rows: int, passed: list[dict[str, Any]], failed: list[dict[str, Any]], *, accepted: bool = False
) -> dict[str, Any]:
    """A ``BulkOperationResult`` (type/api/bulkOperationResult.json) as the server serialises it."""
    if accepted:
        status = "partialSuccess" if failed else "success"
    elif not failed:
        status = "success"
    else:
        status = "partialSuccess" if passed else "failure"
    result: dict[str, Any] = {
        "status": status,
        "numberOfRowsProcessed": rows,
        "numberOfRowsPassed": len(passed),
        "numberOfRowsFailed": len(failed),
    }
    if not accepted and (passed or len(failed) < rows):  # some row reached the store
        result["successRequest"] = passed
    if failed:
        result["failedRequest"] = failed
    return result
