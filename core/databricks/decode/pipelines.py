"""Lakeflow Declarative (DLT) pipelines and their updates, from the Pipelines API JSON."""

from __future__ import annotations

from datetime import datetime

from core.databricks.decode.fields import _Reader, _require_mapping, as_int, item_id
from core.databricks.records import JobRecord, RunRecord

__all__ = ["decode_dlt_pipeline", "decode_dlt_update"]


def decode_dlt_pipeline(raw: object) -> JobRecord:
    """One Lakeflow Declarative Pipeline from the ``pipelines`` listing (``statuses[]``).

    Raises:
        DecodeError: when it has no ``pipeline_id``.
    """
    item = item_id(raw, "pipeline_id")
    data = _require_mapping(raw, "DLT pipeline", item)
    reader = _Reader("DLT pipeline", item)
    if item is None:
        raise reader.fail("pipeline_id", "is missing")
    name = reader.text(data, "name", "name")
    return JobRecord(
        id=item,
        name=name if name and name.strip() else item,
        kind="dlt",
        creator=reader.text(data, "creator_user_name", "creator_user_name"),
        warnings=tuple(reader.warnings),
    )


def decode_dlt_update(raw: object) -> RunRecord:
    """One update from ``pipelines/{id}/updates`` (``creation_time`` in epoch ms, or an ISO string).

    Raises:
        DecodeError: when it has no usable ``creation_time``.
    """
    item = item_id(raw, "update_id")
    data = _require_mapping(raw, "DLT update", item)
    reader = _Reader("DLT update", item)
    created = as_int(data.get("creation_time"))
    if created is None and isinstance(data.get("creation_time"), str):
        try:
            created = int(
                datetime.fromisoformat(data["creation_time"].replace("Z", "+00:00")).timestamp() * 1000
            )
        except ValueError:
            created = None
    if not created or created <= 0:
        raise reader.fail("creation_time", "is missing or not a time")
    return RunRecord(
        run_id=item or str(created),
        start_ms=created,
        end_ms=None,
        life_cycle_state=reader.text(data, "state", "state"),
        result_state=None,
        warnings=tuple(reader.warnings),
    )
