"""Pipelines API routes: list (with ``filter``), get, updates list and get."""

from __future__ import annotations

import re
from typing import Any

from core.emulators.databricks.base import DatabricksBase
from core.emulators.databricks.protocol import (
    api_error,
    decode_token,
    encode_token,
    int_param,
    invalid_parameter,
)
from core.emulators.http import Request


class PipelineRoutes(DatabricksBase):
    """``/api/2.0/pipelines`` and their updates."""

    def _pipelines_list(self, request: Request) -> dict[str, Any]:
        limit = int_param(request, "max_results", 25)
        if not 1 <= limit <= 100:
            raise invalid_parameter(f"max_results must be between 1 and 100, got {limit}")
        offset = decode_token("pipelines", request.query.get("page_token"))
        statuses = _filter_pipelines(self.workspace.pipelines(), request.query.get("filter"))
        order = (request.query.get("order_by") or "id asc").strip().lower()
        if order not in ("id asc", "id desc"):
            raise invalid_parameter(f"Invalid order_by: {order}. Only 'id asc' and 'id desc' are supported")
        statuses.sort(key=_pipeline_sort_key, reverse=order == "id desc")
        body: dict[str, Any] = {}
        if statuses[offset : offset + limit]:
            body["statuses"] = statuses[offset : offset + limit]
        if offset + limit < len(statuses):
            body["next_page_token"] = encode_token("pipelines", offset + limit)
        return body

    def _pipeline_or_404(self, pipeline_id: str) -> dict[str, Any]:
        pipeline = self.workspace.pipeline(pipeline_id)
        if pipeline is None:
            raise api_error(
                404, "RESOURCE_DOES_NOT_EXIST", f"The specified pipeline {pipeline_id} was not found."
            )
        return pipeline

    def _pipeline_get(self, request: Request) -> dict[str, Any]:
        return self._pipeline_or_404(request.path_group(1))

    def _updates_list(self, request: Request) -> dict[str, Any]:
        pipeline_id = request.path_group(1)
        self._pipeline_or_404(pipeline_id)
        updates = self.workspace.pipeline_updates(pipeline_id) or []
        limit = int_param(request, "max_results", 25)
        if not 1 <= limit <= 100:
            raise invalid_parameter(f"max_results must be between 1 and 100, got {limit}")
        until = request.query.get("until_update_id")
        if until:
            ids = [u.get("update_id") if isinstance(u, dict) else None for u in updates]
            updates = updates[ids.index(until) :] if until in ids else []
        offset = decode_token(f"updates:{pipeline_id}", request.query.get("page_token"))
        body: dict[str, Any] = {}
        if updates[offset : offset + limit]:
            body["updates"] = updates[offset : offset + limit]
        if offset + limit < len(updates):
            body["next_page_token"] = encode_token(f"updates:{pipeline_id}", offset + limit)
        if offset > 0:
            body["prev_page_token"] = encode_token(f"updates:{pipeline_id}", max(0, offset - limit))
        return body

    def _update_get(self, request: Request) -> dict[str, Any]:
        pipeline_id, update_id = request.path_group(1), request.path_group(2)
        self._pipeline_or_404(pipeline_id)
        for update in self.workspace.pipeline_updates(pipeline_id) or []:
            if isinstance(update, dict) and update.get("update_id") == update_id:
                return {"update": update}
        raise api_error(404, "RESOURCE_DOES_NOT_EXIST", f"The specified update {update_id} was not found.")


def _pipeline_sort_key(status: Any) -> str:
    """``id asc`` order; a recorded item without a usable ``pipeline_id`` sorts first."""
    pipeline_id = status.get("pipeline_id") if isinstance(status, dict) else None
    return str(pipeline_id) if pipeline_id is not None else ""


def _pipeline_name(status: Any) -> str:
    name = status.get("name") if isinstance(status, dict) else None
    return name if isinstance(name, str) else ""


def _filter_pipelines(statuses: list[dict[str, Any]], expression: str | None) -> list[dict[str, Any]]:
    """The two documented filters: ``name LIKE '%x%'`` and ``notebook='<path>'`` (no composites)."""
    if not expression:
        return statuses
    like = re.fullmatch(r"\s*name\s+like\s+'((?:[^']|'')*)'\s*", expression, re.IGNORECASE)
    if like:
        pattern = re.escape(like.group(1).replace("''", "'")).replace("%", ".*").replace("_", ".")
        return [s for s in statuses if re.fullmatch(pattern, _pipeline_name(s), re.IGNORECASE | re.DOTALL)]
    if re.fullmatch(r"\s*notebook\s*=\s*'[^']*'\s*", expression, re.IGNORECASE):
        return []  # library paths are only in the detail view; real filtering is server-side
    raise invalid_parameter(f"Invalid filter: {expression}")
