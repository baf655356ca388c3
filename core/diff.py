"""What a run would change on a pipeline: the request the engine built against the pipeline OpenMetadata holds.

A dry run asks this only for pipelines whose fingerprint (:mod:`core.mapping.fingerprint`) differs from the
stored one, so an unchanged rerun costs no extra call. The stored side is OpenMetadata's ``Pipeline``
entity (``entity/data/pipeline.json``) as ``GET /v1/pipelines/name/{fqn}?fields=tasks,tags,owners``
returns it: each field is compared by what this tool sends, not by the extras the server adds (ids,
fully qualified names, hrefs, versions).

Fields the request leaves out (or sends empty) are compared only where a PUT would change them: OpenMetadata
keeps a stored description, owners and tags when a bot's PUT has none (``EntityRepository.EntityUpdater``), so a
request without them changes nothing there; a missing schedule or source URL is a change (it is cleared).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.mapping import fingerprint
from core.openmetadata.payloads import CreatePipelineRequest

__all__ = ["COMPARED_FIELDS", "TAG_PREFIX", "changed_fields", "unchanged_reason"]

#: the fields a diff names, in the order it names them
COMPARED_FIELDS = (
    "tasks",
    "edges",
    "schedule",
    "tags",
    "owners",
    "description",
    "displayName",
    "sourceUrl",
    "concurrency",
)
#: the task keys compared besides the description (``downstreamTasks`` is the ``edges`` field)
_TASK_KEYS = ("name", "displayName", "taskType", "sourceUrl")
#: tags of this classification are the ones this tool writes (others were added in OpenMetadata)
TAG_PREFIX = "DatabricksTags."


def changed_fields(request: CreatePipelineRequest, stored: Mapping[str, Any]) -> list[str]:
    """The fields of :data:`COMPARED_FIELDS` a PUT of ``request`` would change on ``stored``.

    Args:
        request: the ``CreatePipelineRequest`` the engine built.
        stored: the Pipeline entity OpenMetadata holds (with ``tasks``, ``tags`` and ``owners``).

    Returns:
        The names of the fields that differ, in :data:`COMPARED_FIELDS` order; empty when none does.
    """
    body: Mapping[str, Any] = request
    differs = {
        "tasks": _tasks_differ(body.get("tasks"), stored.get("tasks")),
        "edges": _edges(body.get("tasks")) != _edges(stored.get("tasks")),
        "schedule": _schedule(body) != _schedule(stored),
        "tags": bool(body.get("tags")) and _tags(body.get("tags")) != _tags(stored.get("tags")),
        "owners": bool(body.get("owners")) and _ids(body.get("owners")) != _ids(stored.get("owners")),
        "description": bool(body.get("description")) and body.get("description") != stored.get("description"),
        "displayName": body.get("displayName") != stored.get("displayName"),
        "sourceUrl": body.get("sourceUrl") != stored.get("sourceUrl"),
        "concurrency": body.get("concurrency") != stored.get("concurrency"),
    }
    return [name for name in COMPARED_FIELDS if differs[name]]


def unchanged_reason(stored: Mapping[str, Any]) -> str:
    """Why a pipeline whose fingerprint differs still has no compared field that differs.

    Args:
        stored: the Pipeline entity OpenMetadata holds.

    Returns:
        One sentence: written by another tool (no ``sourceHash`` of this tool's shape), or a difference
        in what is not compared (task order, a field OpenMetadata does not return).
    """
    request_part, lineage_part = fingerprint.split(stored.get("sourceHash"))
    if request_part is None or lineage_part is None:
        return (
            "stored by another tool (no sourceHash of this tool); no compared field differs, a run would "
            "only store this tool's fingerprint"
        )
    return "no compared field differs (the stored fingerprint does: task order or a field not compared)"


def _tasks_differ(requested: Any, stored: Any) -> bool:
    """Whether the task lists differ in their compared keys, in order.

    A task description counts only where the request has one: OpenMetadata keeps a stored one otherwise.
    """
    new, old = list(_dicts(requested)), list(_dicts(stored))
    if [_task_row(task) for task in new] != [_task_row(task) for task in old]:
        return True
    descriptions = {str(task.get("name")): task.get("description") for task in old}
    return any(
        task.get("description") and task.get("description") != descriptions.get(str(task.get("name")))
        for task in new
    )


def _task_row(task: Mapping[str, Any]) -> tuple[Any, ...]:
    """A task's compared keys but its description."""
    return tuple(task.get(key) for key in _TASK_KEYS)


def _edges(tasks: Any) -> set[tuple[str, str]]:
    """The task graph as ``(task, downstream task)`` pairs."""
    return {
        (str(task.get("name")), str(downstream))
        for task in _dicts(tasks)
        for downstream in task.get("downstreamTasks") or []
    }


def _schedule(entity: Mapping[str, Any]) -> tuple[Any, Any]:
    """The start mode and whether it is paused (``scheduleInterval`` and ``state``)."""
    return entity.get("scheduleInterval"), entity.get("state")


def _tags(tags: Any) -> set[str]:
    """The tags this tool manages (:data:`TAG_PREFIX`): tags added in OpenMetadata stay on a PUT."""
    return {
        str(tag.get("tagFQN")) for tag in _dicts(tags) if str(tag.get("tagFQN", "")).startswith(TAG_PREFIX)
    }


def _ids(references: Any) -> set[str]:
    """The ids of a list of entity references."""
    return {str(reference.get("id")) for reference in _dicts(references)}


def _dicts(items: Any) -> Iterable[Mapping[str, Any]]:
    """The objects of a JSON list (anything else: none)."""
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping)]
