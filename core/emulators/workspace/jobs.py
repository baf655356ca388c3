"""Generation of jobs and their tasks (Jobs API 2.2 ``jobs/get`` shape), one private RNG per job."""

from __future__ import annotations

import random
from typing import Any

from core.emulators.workspace.base import WorkspaceBase
from core.emulators.workspace.spec import DAY_MS, JOB_ID_BASE, USER_POOL
from core.emulators.workspace.vocabulary import (
    CLUSTER_KINDS,
    ENTITIES,
    FREQS,
    KINDS,
    LAYERS,
    MODELS,
    STEMS,
    WAREHOUSE_IDS,
    draw_compute,
    draw_depends_on,
    draw_description,
    draw_name,
    draw_schedule_or_trigger,
    draw_tags,
    job_cluster,
    uuid4_from,
)


class JobGenerator(WorkspaceBase):
    """Builds a job's settings and tasks from ``(seed, index)``."""

    def _task_count(self, rng: random.Random, index: int) -> int:
        if index >= self.spec.jobs - self.spec.big_jobs:
            return rng.randint(120, 150)
        return max(1, self.spec.tasks + rng.choice((-1, 0, 0, 1)))

    def _build_job(self, index: int, with_tasks: bool = True) -> dict[str, Any]:
        """The job with all tasks (or none) and without overrides, purely from ``(seed, index)``.

        Everything but the tasks is drawn first, so a listing without ``expand_tasks`` can skip the
        task generation (most of the cost) and still agree with the full job on every other field.
        """
        rng = self._job_rng(index)
        name = draw_name(rng, index)
        creator = rng.choice(USER_POOL)
        job_id = JOB_ID_BASE + index
        settings: dict[str, Any] = {"name": name}
        description = draw_description(rng, name)
        if description is not None:
            settings["description"] = description
        tags = draw_tags(rng)
        if tags is not None:
            settings["tags"] = tags
        settings.update(
            format="MULTI_TASK",
            max_concurrent_runs=rng.choice((1, 1, 1, 2, 5)),
            timeout_seconds=rng.choice((0, 0, 3600, 7200, 14400)),
            email_notifications={"on_failure": [creator]} if rng.random() < 0.5 else {},
            queue={"enabled": True},
            edit_mode=rng.choice(("EDITABLE", "EDITABLE", "UI_LOCKED")),
        )
        settings.update(draw_schedule_or_trigger(rng))
        run_as_sp = uuid4_from(rng) if creator.startswith("svc-") or rng.random() < 0.15 else None
        settings["run_as"] = {"service_principal_name": run_as_sp} if run_as_sp else {"user_name": creator}
        if rng.random() < 0.4:
            settings["parameters"] = [{"name": "env", "default": "prod"}, {"name": "run_date", "default": ""}]
        created = self.now_ms - rng.randint(30, 900) * DAY_MS - rng.randrange(DAY_MS)
        job = {
            "job_id": job_id,
            "creator_user_name": creator,
            "run_as_user_name": run_as_sp or creator,
            "created_time": created,
            "settings": settings,
        }
        if not with_tasks:
            return job
        tasks = self._build_tasks(rng, index, name, creator)
        if any(
            t.get("job_cluster_key") == "main"
            or t.get("for_each_task", {}).get("task", {}).get("job_cluster_key") == "main"
            for t in tasks
        ):
            settings["job_clusters"] = [job_cluster(rng)]
        settings["tasks"] = tasks
        return job

    def _build_tasks(
        self, rng: random.Random, index: int, job_name: str, creator: str
    ) -> list[dict[str, Any]]:
        count = self._task_count(rng, index)
        tasks: list[dict[str, Any]] = []
        for k in range(count):
            kind = KINDS[(index + k) % len(KINDS)]
            kind = self._usable_kind(kind)
            task: dict[str, Any] = {"task_key": f"{rng.choice(STEMS[kind])}_{k + 1}"}
            if k:
                task["depends_on"] = draw_depends_on(rng, tasks, k)
                if len(task["depends_on"]) > 1 and rng.random() < 0.3:
                    task["run_if"] = rng.choice(("ALL_DONE", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED"))
            if rng.random() < 0.3:
                task["description"] = f"{task['task_key'].replace('_', ' ').capitalize()} step of {job_name}"
            task.update(self._task_payload(rng, kind, index, job_name, creator))
            if kind in CLUSTER_KINDS:
                task.update(draw_compute(rng))
            if rng.random() < 0.2:
                task.update(max_retries=rng.choice((1, 2, 3)), min_retry_interval_millis=60000)
            if rng.random() < 0.15:
                task["timeout_seconds"] = rng.choice((1800, 3600))
            if len(tasks) > 1 and rng.random() < 0.02:
                task["disabled"] = True
            tasks.append(task)
        return tasks

    def _usable_kind(self, kind: str) -> str:
        """Fall back to a notebook where the workspace cannot back the kind (no pipelines / one job)."""
        if kind == "pipeline_task" and not self._pipeline_ids:
            return "notebook_task"
        if kind == "run_job_task" and self.spec.jobs < 2:
            return "notebook_task"
        return kind

    def _task_payload(  # noqa: C901 -- one branch per Jobs task type (a dispatch table); split, each helper would hold one row
        self, rng: random.Random, kind: str, index: int, job_name: str, creator: str
    ) -> dict[str, Any]:
        """The one task-type object of a task, with realistic content (brief §2.2)."""
        slug = job_name.lower().replace(" ", "_")
        repo = f"/Repos/{creator}/{slug}"
        if kind == "notebook_task":
            return {
                "notebook_task": {
                    "notebook_path": f"{repo}/notebooks/{rng.choice(ENTITIES)}",
                    "source": "WORKSPACE",
                    "base_parameters": {"run_date": "{{job.start_time.iso_date}}"},
                }
            }
        if kind == "spark_python_task":
            return {
                "spark_python_task": {
                    "python_file": f"dbfs:/FileStore/jobs/{slug}/main.py",
                    "parameters": ["--date", "{{job.start_time.iso_date}}"],
                }
            }
        if kind == "pipeline_task":
            return {
                "pipeline_task": {
                    "pipeline_id": rng.choice(self._pipeline_ids),
                    "full_refresh": rng.random() < 0.1,
                }
            }
        if kind == "sql_task":
            if rng.random() < 0.5:
                sql: dict[str, Any] = {"query": {"query_id": uuid4_from(rng)}}
            else:
                sql = {"file": {"path": f"{repo}/sql/{rng.choice(ENTITIES)}.sql", "source": "WORKSPACE"}}
            return {"sql_task": {"warehouse_id": rng.choice(WAREHOUSE_IDS), **sql}}
        if kind == "dbt_task":
            return {
                "dbt_task": {
                    "commands": ["dbt deps", f"dbt build --select tag:{rng.choice(FREQS)}"],
                    "project_directory": f"{repo}/dbt",
                    "catalog": "main",
                    "schema": rng.choice(LAYERS),
                    "warehouse_id": rng.choice(WAREHOUSE_IDS),
                    "source": "WORKSPACE",
                }
            }
        if kind == "python_wheel_task":
            return {
                "python_wheel_task": {
                    "package_name": "acme_ml",
                    "entry_point": rng.choice(("train", "score")),
                    "named_parameters": {"model": rng.choice(MODELS)},
                },
                "libraries": [{"whl": "dbfs:/FileStore/wheels/acme_ml-1.4.2-py3-none-any.whl"}],
            }
        if kind == "spark_jar_task":
            return {
                "spark_jar_task": {
                    "main_class_name": "com.acme.maintenance.Compaction",
                    "parameters": ["--catalog", "main"],
                },
                "libraries": [{"jar": "dbfs:/FileStore/jars/maintenance-2.1.jar"}],
            }
        if kind == "run_job_task":
            target = rng.randrange(self.spec.jobs - 1)
            target += target >= index  # any other job
            return {
                "run_job_task": {"job_id": JOB_ID_BASE + target, "job_parameters": {"triggered_by": slug}}
            }
        if kind == "condition_task":
            return {
                "condition_task": {
                    "op": rng.choice(("EQUAL_TO", "NOT_EQUAL", "GREATER_THAN")),
                    "left": "{{job.parameters.env}}",
                    "right": "prod",
                }
            }
        inner = {
            "task_key": "per_item",
            "notebook_task": {
                "notebook_path": f"{repo}/notebooks/per_region",
                "base_parameters": {"region": "{{input}}"},
            },
            "job_cluster_key": "main",
        }
        return {
            "for_each_task": {
                "inputs": '["us", "eu", "apac"]',
                "concurrency": rng.choice((1, 2, 3)),
                "task": inner,
            }
        }
