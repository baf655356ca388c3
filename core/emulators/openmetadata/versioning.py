"""Entity versioning: what counts as a change, the 0.1 version steps and tag-label merging on PUT."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

_VOLATILE_KEYS = frozenset(
    {"version", "updatedAt", "updatedBy", "href", "changeDescription", "incrementalChangeDescription"}
)
"""Keys that change on every write and so are left out of change detection and snapshots."""
NO_VERSION_KEYS = frozenset({"sourceHash"})
"""Stored but never a reason for a new version (OM records ``sourceHash`` with updateVersion=false)."""


def now_ms() -> int:
    """The wall clock in epoch milliseconds, the unit of OM's ``updatedAt``."""
    return int(time.time() * 1000)


def next_version(version: float) -> float:
    """Minor version bump (0.1 -> 0.2) without float drift."""
    return round(version + 0.1, 1)


def entity_content(entity: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The part of an entity that a change is measured on (volatile keys removed)."""
    skip = _VOLATILE_KEYS | ignore
    return {key: value for key, value in entity.items() if key not in skip}


def diff_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[str]]:
    """Top-level field names added, updated and deleted between two entity contents."""
    added = sorted(key for key in new if key not in old)
    deleted = sorted(key for key in old if key not in new)
    updated = sorted(key for key in new if key in old and old[key] != new[key])
    return {"fieldsAdded": added, "fieldsUpdated": updated, "fieldsDeleted": deleted}


def merge_tag_labels(existing: list[dict[str, Any]], incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``EntityUtil.mergeTags`` for PUT: keep every existing label, add new ones, sort by tagFQN."""
    merged = {label["tagFQN"]: label for label in existing}
    for label in incoming:
        merged.setdefault(label["tagFQN"], label)
    return [merged[key] for key in sorted(merged)]
