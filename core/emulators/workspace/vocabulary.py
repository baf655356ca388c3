"""The vocabulary jobs are drawn from (names, task kinds, schedules, compute) and small shared helpers."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

DOMAINS = ("sales", "finance", "marketing", "supply", "hr", "risk", "product")
FREQS = ("daily", "hourly", "weekly", "monthly")
MODELS = ("churn", "ltv", "fraud", "forecast", "recsys")
LAYERS = ("staging", "marts", "snapshots", "seeds")
ENTITIES = ("orders", "customers", "invoices", "events", "clicks", "payments", "shipments", "products")
AGGREGATES = ("daily", "by_region", "summary", "kpis")
REFERENCE_TABLES = ("main.reference.calendar", "main.reference.country_codes", "main.reference.fx_rates")
_TEAMS = ("data-platform", "analytics", "ml", "finance", "growth")
_TIMEZONES = ("Europe/Berlin", "UTC", "America/New_York", "Asia/Kolkata", "America/Los_Angeles")
_CRONS = (
    "0 0 3 * * ?",
    "0 30 1 * * ?",
    "0 0 */4 * * ?",
    "0 15 6 ? * MON-FRI",
    "0 0 0 1 * ?",
    "0 0 8 ? * SUN",
    "0 */30 * * * ?",
)
WAREHOUSE_IDS = ("3f2a1b4c5d6e7f80", "a1b2c3d4e5f60718")

KINDS = (
    "notebook_task",
    "spark_python_task",
    "pipeline_task",
    "sql_task",
    "dbt_task",
    "python_wheel_task",
    "spark_jar_task",
    "run_job_task",
    "condition_task",
    "for_each_task",
)
STEMS = {
    "notebook_task": ("ingest", "clean", "enrich", "load"),
    "spark_python_task": ("transform", "aggregate", "dedupe"),
    "pipeline_task": ("refresh_dlt",),
    "sql_task": ("publish_sql", "refresh_views"),
    "dbt_task": ("dbt_build",),
    "python_wheel_task": ("score_model", "train_model"),
    "spark_jar_task": ("compact_tables",),
    "run_job_task": ("trigger_downstream",),
    "condition_task": ("check_gate", "has_new_data"),
    "for_each_task": ("per_region", "fan_out"),
}
CLUSTER_KINDS = frozenset({"notebook_task", "spark_python_task", "python_wheel_task", "spark_jar_task"})
_REMOVED_TASK_KEY = "legacy_export"


def iso_time(ms: int) -> str:
    """Epoch ms as the ISO-8601 UTC string Databricks uses (``2024-01-01T03:00:00.000Z``)."""
    stamp = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms % 1000:03d}Z"


def iso_date(ms: int) -> str:
    """Epoch ms as the UTC calendar date ``YYYY-MM-DD`` (``event_date`` of ``system.access.table_lineage``)."""
    return dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc).strftime("%Y-%m-%d")


def uuid4_from(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (128 bits), so ids repeat for a given seed."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_cluster_id(rng: random.Random, ms: int) -> str:
    """A job cluster id in Databricks' ``MMDD-HHMMSS-xxxxxxxx`` look, dated by ``ms`` (epoch ms, UTC).

    The middle part is 24 random bits in hex, not a time: only the shape matters to a client.
    """
    day = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc).strftime("%m%d")
    return f"{day}-{rng.getrandbits(24):06x}-{rng.choice(('abcd', 'pq7x', 'zz01'))}{rng.randrange(1000):03d}"


def draw_name(rng: random.Random, index: int) -> str:
    """The job name; always the first draws of the job's RNG so names are cheap to compute alone."""
    n = f"{index:04d}"
    style = rng.choices(range(7), weights=(22, 12, 14, 14, 12, 4, 6))[0]
    if style == 0:
        return f"etl-{rng.choice(DOMAINS)}-{rng.choice(FREQS)}-{n}"
    if style == 1:
        return f"ml-train-{rng.choice(MODELS)}-{n}"
    if style == 2:
        return f"report_{rng.choice(DOMAINS)}_{rng.choice(FREQS)}_{n}"
    if style == 3:
        return f"Ingest {rng.choice(ENTITIES).title()} {n}"
    if style == 4:
        return f"dbt-{rng.choice(LAYERS)}-{n}"
    if style == 5:
        return f"tmp-scratch-{n}"
    return f"{rng.choice(DOMAINS).upper()}_Backfill_{n}"


def descendants(tasks: list[dict[str, Any]], root: int) -> set[int]:
    """Positions of every task that transitively depends on ``tasks[root]`` (list order is topological)."""
    position = {t["task_key"]: i for i, t in enumerate(tasks)}
    found = {root}
    for i in range(root + 1, len(tasks)):
        if any(position.get(d["task_key"]) in found for d in tasks[i].get("depends_on", ())):
            found.add(i)
    found.discard(root)
    return found


def is_leaf(tasks: list[dict[str, Any]], i: int) -> bool:
    """Whether no task of the job depends on ``tasks[i]`` (by ``depends_on[].task_key``)."""
    key = tasks[i]["task_key"]
    return not any(d["task_key"] == key for t in tasks for d in t.get("depends_on", ()))


# -- job-generation helpers ---------------------------------------------------------------------------


def draw_description(rng: random.Random, name: str) -> str | None:
    """A job description: absent (25 %), empty (10 %) or one sentence naming the job, an entity and a team."""
    roll = rng.random()
    if roll < 0.25:
        return None
    if roll < 0.35:
        return ""
    return f"{name}: loads and publishes {rng.choice(ENTITIES)} for the {rng.choice(_TEAMS)} team."


def draw_tags(rng: random.Random) -> dict[str, str] | None:
    """Job tags: absent (25 %), else ``team`` and ``env``, and sometimes a value-less ``pii`` tag."""
    if rng.random() < 0.25:
        return None
    tags = {"team": rng.choice(_TEAMS), "env": rng.choice(("prod", "prod", "dev"))}
    if rng.random() < 0.2:
        tags["pii"] = ""
    return tags


def draw_schedule_or_trigger(rng: random.Random) -> dict[str, Any]:
    """Mostly a cron schedule (some paused), some event triggers, some manual-only jobs."""
    roll = rng.random()
    if roll < 0.62:
        return {
            "schedule": {
                "quartz_cron_expression": rng.choice(_CRONS),
                "timezone_id": rng.choice(_TIMEZONES),
                "pause_status": "PAUSED" if rng.random() < 0.2 else "UNPAUSED",
            }
        }
    if roll < 0.70:
        return {
            "trigger": {
                "pause_status": "UNPAUSED",
                "file_arrival": {"url": f"s3://acme-landing/{rng.choice(ENTITIES)}/"},
            }
        }
    if roll < 0.75:
        return {
            "trigger": {
                "pause_status": "UNPAUSED",
                "periodic": {"interval": rng.choice((1, 4)), "unit": "HOURS"},
            }
        }
    return {}


def draw_depends_on(rng: random.Random, earlier: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """1-2 parents among the few previous tasks, so big jobs form a long, narrow DAG."""
    window = range(max(0, k - 5), k)
    parents = sorted(rng.sample(window, min(len(window), 1 if k == 1 else rng.choice((1, 1, 2)))))
    deps = []
    for parent in parents:
        dep: dict[str, Any] = {"task_key": earlier[parent]["task_key"]}
        if "condition_task" in earlier[parent]:
            dep["outcome"] = "true"
        deps.append(dep)
    return deps


def draw_compute(rng: random.Random) -> dict[str, Any]:
    """A task's compute: the job cluster ``main`` (80 %) or an existing all-purpose cluster."""
    if rng.random() < 0.8:
        return {"job_cluster_key": "main"}
    return {"existing_cluster_id": f"0312-{rng.getrandbits(24):06x}-shared01"}


def job_cluster(rng: random.Random) -> dict[str, Any]:
    """The job's one ``job_clusters[]`` entry, key ``main``, with a drawn ``new_cluster`` spec."""
    return {
        "job_cluster_key": "main",
        "new_cluster": {
            "spark_version": rng.choice(("15.4.x-scala2.12", "14.3.x-scala2.12")),
            "node_type_id": rng.choice(("i3.xlarge", "m5d.large")),
            "num_workers": rng.choice((1, 2, 4, 8)),
            "data_security_mode": "USER_ISOLATION",
        },
    }


def drop_tasks(settings: dict[str, Any], removed: frozenset[str]) -> None:
    """Remove tasks and every ``depends_on`` edge to them, as the Jobs UI would on save."""
    kept = [t for t in settings["tasks"] if t["task_key"] not in removed]
    for task in kept:
        if "depends_on" in task:
            task["depends_on"] = [d for d in task["depends_on"] if d["task_key"] not in removed]
            if not task["depends_on"]:
                del task["depends_on"]
    settings["tasks"] = kept


def removed_task(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """A task that the job's settings no longer contain but that an old run still reports."""
    return {
        "task_key": _REMOVED_TASK_KEY,
        "depends_on": [{"task_key": tasks[0]["task_key"]}],
        "notebook_task": {"notebook_path": "/Shared/legacy/export_to_sftp", "source": "WORKSPACE"},
        "job_cluster_key": "main",
    }
