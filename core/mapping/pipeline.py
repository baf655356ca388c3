"""A job (or DLT pipeline) record to OpenMetadata's ``CreatePipelineRequest``.

Choices, each correcting OpenMetadata's own connector:
- ``taskType`` is the task's kind (``notebook_task``, ``pipeline_task``...), not the job's format;
- ``downstreamTasks`` is the true inverse of ``depends_on`` (the official connector copies the upstream
  keys, so the DAG is drawn backwards);
- every task gets its own ``sourceUrl``;
- ``scheduleInterval`` keeps the timezone and pause state; a paused schedule also sets ``state: Inactive``;
- jobs started by a trigger or running continuously get a readable start mode as ``scheduleInterval``
  (``every 4 hours``, ``on file arrival in s3://landing/``, ``continuous``) and ``state`` from the
  trigger's or continuous setting's pause status.
"""

from __future__ import annotations

from collections.abc import Callable

from core.databricks.records import JobRecord, TaskRecord
from core.errors import MappingError
from core.mapping import fingerprint
from core.mapping.schedule import start_mode
from core.openmetadata.payloads import CreatePipelineRequest, EntityReference, TagLabel, Task

__all__ = [
    "TAG_CLASSIFICATION",
    "dangling_dependencies",
    "downstream_map",
    "pipeline_request",
    "source_hash",
    "tag_name",
]

#: The OpenMetadata classification that Databricks job tags are written under.
TAG_CLASSIFICATION = "DatabricksTags"

_MAX_NAME = 256


def downstream_map(tasks: tuple[TaskRecord, ...]) -> dict[str, list[str]]:
    """For each task key, the keys of tasks that depend on it, in definition order."""
    downstream: dict[str, list[str]] = {task.key: [] for task in tasks}
    for task in tasks:
        for upstream in task.depends_on:
            if upstream in downstream and task.key not in downstream[upstream]:
                downstream[upstream].append(task.key)
    return downstream


def dangling_dependencies(job: JobRecord) -> list[str]:
    """One warning per ``depends_on`` entry naming a task key the job does not have (that edge is left out).

    Only meaningful for a complete job (all its tasks read), never for a >100-task listing page.
    """
    keys = {task.key for task in job.tasks}
    return [
        f"job {job.id} ({job.name}): task {task.key!r} depends on {upstream!r}, which the job does not "
        "have; that edge was left out"
        for task in job.tasks
        for upstream in task.depends_on
        if upstream not in keys
    ]


def tag_name(key: str, value: str) -> str:
    """One OpenMetadata tag name for a Databricks ``key: value`` tag (``key`` alone when empty).

    Dots would split the tag's fully qualified name, so they become underscores.
    """
    text = f"{key}:{value}" if value else key
    return text.replace(".", "_")[:_MAX_NAME]


def pipeline_request(
    job: JobRecord,
    service: str,
    *,
    job_url: Callable[[str], str],
    task_url: Callable[[str, str], str],
    include_tags: bool = True,
    owners: list[EntityReference] | None = None,
) -> CreatePipelineRequest:
    """The ``PUT /v1/pipelines`` body for ``job``.

    Raises:
        MappingError: when the job cannot be represented (duplicate task keys, empty id).
    """
    if not job.id:
        raise MappingError(f"{job.kind} {job.name!r} has no id")
    keys = [task.key for task in job.tasks]
    if len(set(keys)) != len(keys):
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        raise MappingError(f"job {job.id} ({job.name}) has duplicate task keys: {', '.join(duplicates)}")
    downstream = downstream_map(job.tasks)
    tasks: list[Task] = []
    for task in job.tasks:
        body: Task = {
            "name": task.key,
            "displayName": task.key,
            "taskType": task.kind,
            "downstreamTasks": downstream[task.key],
            "sourceUrl": task_url(job.id, task.key),
        }
        if task.description:
            body["description"] = task.description
        tasks.append(body)
    request: CreatePipelineRequest = {
        "name": job.id,
        "displayName": job.name,
        "service": service,
        "sourceUrl": job_url(job.id),
        "tasks": tasks,
    }
    if job.description:
        request["description"] = job.description
    mode = start_mode(job.schedule, job.trigger, job.triggers)
    if mode is not None:
        request["scheduleInterval"], paused = mode
        request["state"] = "Inactive" if paused else "Active"
    if job.max_concurrent_runs:
        request["concurrency"] = job.max_concurrent_runs
    if include_tags and job.tags:
        tags: list[TagLabel] = [
            {
                "tagFQN": f"{TAG_CLASSIFICATION}.{tag_name(key, value)}",
                "source": "Classification",
                "labelType": "Automated",
                "state": "Confirmed",
            }
            for key, value in sorted(job.tags.items())
        ]
        request["tags"] = tags
    if owners:
        request["owners"] = owners
    return request


def source_hash(request: CreatePipelineRequest) -> str:
    """The 32-character ``sourceHash`` of a request whose lineage is not known to be held yet.

    See :mod:`core.mapping.fingerprint`: the request's fingerprint, then :data:`~core.mapping.fingerprint.NO_LINEAGE`.
    """
    return fingerprint.compose(fingerprint.request_fingerprint(request), None)
