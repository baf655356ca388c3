"""Jobs API 2.2 paging inside one object: the continuation arrays of ``jobs/get`` and ``jobs/runs/get``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["PAGED_ARRAYS", "merge_pages"]

#: Arrays that Jobs API 2.2 pages at 100 elements in ``jobs/get`` and ``jobs/runs/get``.
PAGED_ARRAYS = (
    "tasks",
    "job_clusters",
    "parameters",
    "environments",
    "job_parameters",
    "repair_history",
    "iterations",
)


def merge_pages(first: dict[str, Any], page: Mapping[str, Any]) -> None:
    """Append the continuation arrays of a 2.2 ``jobs/get`` / ``runs/get`` page to ``first``.

    Arrays may sit at the top (runs) or under ``settings`` (jobs); later pages carry only the arrays
    that continue, and an array of the wrong shape is left as it was.

    Args:
        first: the first page's JSON, extended in place.
        page: a later page's JSON (the one fetched with ``page_token``).
    """
    for container_key in (None, "settings"):
        target = first if container_key is None else first.get(container_key)
        source = page if container_key is None else page.get(container_key)
        if not isinstance(target, dict) or not isinstance(source, Mapping):
            continue
        for key in PAGED_ARRAYS:
            more = source.get(key)
            if isinstance(more, list) and more:
                existing = target.get(key)
                target[key] = [*existing, *more] if isinstance(existing, list) else list(more)
