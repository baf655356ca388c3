"""Raw Databricks JSON to records: drift guards against the installed SDK, lenient shapes, attempts, triggers.

Inputs are written from the Jobs API 2.2 reference shapes (``jobs/get``, ``jobs/runs/get``), not from what
our emulator happens to send.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from databricks.sdk.service import jobs as sdk_jobs

from core.databricks.decode import (
    TASK_KINDS,
    TRIGGER_KINDS,
    DecodeError,
    decode_dlt_pipeline,
    decode_dlt_update,
    decode_job,
    decode_run,
    merge_pages,
)
from core.mapping.pipeline import dangling_dependencies, pipeline_request

# -- drift guards: the installed SDK must know nothing we do not map -----------------------------------------


def _task_kinds_of(model: type) -> set[str]:
    return {f.name for f in dataclasses.fields(model) if f.name.endswith("_task")}


@pytest.mark.parametrize("model", [sdk_jobs.Task, sdk_jobs.RunTask, sdk_jobs.SubmitTask])
def test_every_task_kind_the_sdk_knows_is_in_the_table(model: type) -> None:
    missing = sorted(_task_kinds_of(model) - set(TASK_KINDS))
    assert not missing, (
        f"task kinds of {model.__name__} missing from core/databricks/decode/tasks.py: {missing}"
    )


def test_task_kind_table_has_no_duplicates() -> None:
    assert len(TASK_KINDS) == len(set(TASK_KINDS))


def test_every_trigger_kind_the_sdk_knows_is_mapped() -> None:
    kinds = {f.name for f in dataclasses.fields(sdk_jobs.TriggerSettings)} - {"pause_status"}
    missing = sorted(kinds - set(TRIGGER_KINDS))
    assert not missing, (
        f"TriggerSettings fields without a start-mode text in core/databricks/decode/triggers.py: {missing}"
    )


def test_every_kind_of_the_triggers_list_the_sdk_knows_is_mapped() -> None:
    kinds = {f.name for f in dataclasses.fields(sdk_jobs.TriggerConfiguration)} - {"pause_status"}
    missing = sorted(kinds - set(TRIGGER_KINDS) - {"schedule", "continuous"})
    assert not missing, (
        f"TriggerConfiguration fields without a start-mode text in core/databricks/decode/triggers.py: {missing}"
    )


def test_the_multiple_triggers_list_maps_each_trigger_and_pauses_only_when_all_are() -> None:
    settings = {
        "name": "multi",
        "triggers": [
            {
                "schedule": {"quartz_cron_expression": "0 0 3 * * ?", "timezone_id": "Europe/Berlin"},
                "pause_status": "UNPAUSED",
            },
            {"file_arrival": {"url": "s3://landing/"}, "pause_status": "PAUSED"},
            {"periodic": {"interval": 2, "unit": "HOURS"}, "sql_condition": {"sql_query_id": "q"}},
            "not-an-object",
        ],
    }
    job, _ = decode_job({"job_id": 9, "settings": settings})
    request = pipeline_request(job, "svc", **_urls())
    assert request["scheduleInterval"] == (
        "0 3 * * * (Europe/Berlin); on file arrival in s3://landing/ (paused); every 2 hours"
    )
    assert request["state"] == "Active"
    assert job.warnings == ("job 9: settings.triggers[3] is text, expected an object; ignored",)
    paused = {"name": "p", "triggers": [{"continuous": {}, "pause_status": "PAUSED"}]}
    request = pipeline_request(decode_job({"job_id": 9, "settings": paused})[0], "svc", **_urls())
    assert (request["scheduleInterval"], request["state"]) == ("continuous (paused)", "Inactive")


def test_every_periodic_unit_the_sdk_knows_has_a_text() -> None:
    for unit in sdk_jobs.PeriodicTriggerConfigurationTimeUnit:
        job, _ = decode_job(
            {"job_id": 1, "settings": {"trigger": {"periodic": {"interval": 2, "unit": unit.value}}}}
        )
        assert job.trigger is not None and job.trigger.text.startswith("every 2 "), unit


@pytest.mark.parametrize("kind", TASK_KINDS)
def test_each_task_kind_becomes_the_task_type(kind: str) -> None:
    job, _ = decode_job({"job_id": 1, "settings": {"name": "j", "tasks": [{"task_key": "t", kind: {}}]}})
    assert job.tasks[0].kind == kind


def test_a_task_kind_newer_than_the_table_keeps_its_own_name() -> None:
    job, _ = decode_job({"job_id": 1, "settings": {"tasks": [{"task_key": "t", "quantum_task": {"q": 1}}]}})
    assert job.tasks[0].kind == "quantum_task"
    job, _ = decode_job({"job_id": 1, "settings": {"tasks": [{"task_key": "t"}]}})
    assert job.tasks[0].kind == "unknown_task"


# -- a job with every optional field present (Jobs API 2.2 jobs/get reference shape) ------------------------

FULL_JOB: dict[str, Any] = {
    "job_id": 11223344,
    "creator_user_name": "user.name@databricks.com",
    "run_as_user_name": "user.name@databricks.com",
    "created_time": 1601370337343,
    "has_more": False,
    "trigger_state": {"file_arrival": {"using_file_events": True}},
    "effective_budget_policy_id": "11111111-2222-3333-4444-555555555555",
    "settings": {
        "name": "A multitask job",
        "description": "This job contain multiple tasks that are required to produce the weekly shark sightings report.",
        "tags": {"cost-center": "engineering", "team": "jobs", "flag": ""},
        "format": "MULTI_TASK",
        "edit_mode": "UI_LOCKED",
        "max_concurrent_runs": 10,
        "timeout_seconds": 86400,
        "budget_policy_id": "550e8400-e29b-41d4-a716-446655440000",
        "performance_target": "PERFORMANCE_OPTIMIZED",
        "parent_path": "/Workspace/Users/user.name@databricks.com",
        "queue": {"enabled": True},
        "run_as": {"user_name": "user@databricks.com"},
        "deployment": {"kind": "BUNDLE", "metadata_file_path": "/bundle/.databricks/state/metadata.json"},
        "email_notifications": {
            "on_start": ["user.name@databricks.com"],
            "on_success": ["user.name@databricks.com"],
            "on_failure": ["user.name@databricks.com"],
            "on_duration_warning_threshold_exceeded": ["user.name@databricks.com"],
            "on_streaming_backlog_exceeded": ["user.name@databricks.com"],
            "no_alert_for_skipped_runs": False,
        },
        "webhook_notifications": {
            "on_start": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}],
            "on_success": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}],
            "on_failure": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}],
            "on_duration_warning_threshold_exceeded": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}],
            "on_streaming_backlog_exceeded": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}],
        },
        "notification_settings": {"no_alert_for_skipped_runs": False, "no_alert_for_canceled_runs": False},
        "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 10}]},
        "schedule": {
            "quartz_cron_expression": "20 30 * * * ?",
            "timezone_id": "Europe/London",
            "pause_status": "UNPAUSED",
        },
        "parameters": [{"name": "table", "default": "users"}],
        "git_source": {
            "git_url": "https://github.com/databricks/databricks-cli",
            "git_provider": "gitHub",
            "git_branch": "main",
            "git_snapshot": {"used_commit": "4506fdf41e9fa98090570a34df7a5bce163ff15f"},
        },
        "environments": [{"environment_key": "default", "spec": {"client": "1", "dependencies": ["pandas"]}}],
        "job_clusters": [
            {
                "job_cluster_key": "auto_scaling_cluster",
                "new_cluster": {
                    "spark_version": "7.3.x-scala2.12",
                    "node_type_id": "i3.xlarge",
                    "spark_conf": {"spark.speculation": True},
                    "aws_attributes": {"availability": "SPOT", "zone_id": "us-west-2a"},
                    "autoscale": {"min_workers": 2, "max_workers": 16},
                },
            }
        ],
        "tasks": [
            {
                "task_key": "Sessionize",
                "description": "Extracts session data from events",
                "existing_cluster_id": "0923-164208-meows279",
                "spark_jar_task": {
                    "main_class_name": "com.databricks.Sessionize",
                    "parameters": ["--data", "dbfs:/path/to/data.json"],
                },
                "libraries": [{"jar": "dbfs:/mnt/databricks/Sessionize.jar"}],
                "timeout_seconds": 86400,
                "max_retries": 3,
                "min_retry_interval_millis": 2000,
                "retry_on_timeout": False,
                "run_if": "ALL_SUCCESS",
                "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 10}]},
                "email_notifications": {"on_failure": ["user.name@databricks.com"]},
                "webhook_notifications": {"on_failure": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}]},
                "notification_settings": {"no_alert_for_skipped_runs": False, "alert_on_last_attempt": False},
            },
            {
                "task_key": "Orders_Ingest",
                "description": "Ingests order data",
                "job_cluster_key": "auto_scaling_cluster",
                "spark_jar_task": {
                    "main_class_name": "com.databricks.OrdersIngest",
                    "parameters": ["--data", "dbfs:/path/to/order-data.json"],
                },
                "libraries": [{"jar": "dbfs:/mnt/databricks/OrderIngest.jar"}],
                "max_retries": 3,
            },
            {
                "task_key": "Match",
                "description": "Matches orders with user sessions",
                "depends_on": [{"task_key": "Orders_Ingest"}, {"task_key": "Sessionize"}],
                "new_cluster": {
                    "spark_version": "7.3.x-scala2.12",
                    "node_type_id": "i3.xlarge",
                    "num_workers": 2,
                },
                "notebook_task": {
                    "notebook_path": "/Users/user.name@databricks.com/Match",
                    "source": "WORKSPACE",
                    "base_parameters": {"name": "John Doe", "age": "35"},
                },
            },
            {
                "task_key": "refresh_dlt",
                "depends_on": [{"task_key": "Match", "outcome": "true"}],
                "pipeline_task": {
                    "pipeline_id": "a12cd3e4-0ab1-1abc-1a2b-1a2bcd3e4fg5",
                    "full_refresh": False,
                },
            },
            {
                "task_key": "loop",
                "depends_on": [{"task_key": "refresh_dlt"}],
                "for_each_task": {
                    "inputs": "[1,2,3]",
                    "concurrency": 2,
                    "task": {"task_key": "loop_iteration", "notebook_task": {"notebook_path": "/x"}},
                },
            },
        ],
    },
}


def _urls() -> dict[str, Any]:
    return {
        "job_url": lambda j: f"https://h/jobs/{j}",
        "task_url": lambda j, t: f"https://h/jobs/{j}/tasks/{t}",
    }


def test_a_job_with_every_optional_field_maps_exactly() -> None:
    job, has_more = decode_job(copy.deepcopy(FULL_JOB))
    assert has_more is False
    assert job.warnings == ()
    assert (job.id, job.name, job.creator, job.max_concurrent_runs) == (
        "11223344",
        "A multitask job",
        "user.name@databricks.com",
        10,
    )
    assert job.tags == {"cost-center": "engineering", "team": "jobs", "flag": ""}
    assert [(t.key, t.kind, t.depends_on) for t in job.tasks] == [
        ("Sessionize", "spark_jar_task", ()),
        ("Orders_Ingest", "spark_jar_task", ()),
        ("Match", "notebook_task", ("Orders_Ingest", "Sessionize")),
        ("refresh_dlt", "pipeline_task", ("Match",)),
        ("loop", "for_each_task", ("refresh_dlt",)),
    ]
    assert job.tasks[3].pipeline_id == "a12cd3e4-0ab1-1abc-1a2b-1a2bcd3e4fg5"
    request = pipeline_request(job, "svc", **_urls())
    # seconds = 20 has no five-field cron equivalent, so the Quartz text is kept, with its zone
    assert (request["scheduleInterval"], request["state"]) == ("20 30 * * * ? (Europe/London)", "Active")
    assert {t["name"]: t["downstreamTasks"] for t in request["tasks"]} == {
        "Sessionize": ["Match"],
        "Orders_Ingest": ["Match"],
        "Match": ["refresh_dlt"],
        "refresh_dlt": ["loop"],
        "loop": [],
    }


# -- shapes we do not expect cost at most the field, or the item ----------------------------------------------


@pytest.mark.parametrize(
    "mutate",
    [
        # fields the mapping never reads: any shape costs nothing
        lambda j: j["settings"]["webhook_notifications"].update(
            on_failure=[[{"id": "nested-one-level-deeper"}]]
        ),
        lambda j: j["settings"]["email_notifications"].update(on_failure={"unexpected": "object"}),
        lambda j: j["settings"].update(health="not-an-object"),
        lambda j: j["settings"]["tasks"][0].update(libraries={"jar": "x"}),
        lambda j: j["settings"].update(job_clusters=[["odd"]]),
        lambda j: j.update(trigger_state=[1, 2, 3]),
        lambda j: j["settings"].update(brand_new_field={"a": [1, {"b": None}]}),
    ],
    ids=[
        "webhooks-nested",
        "emails-object",
        "health-text",
        "libraries-object",
        "clusters-nested",
        "trigger-state",
        "unknown",
    ],
)
def test_unread_fields_of_any_shape_cost_nothing(mutate: Any) -> None:
    raw = copy.deepcopy(FULL_JOB)
    mutate(raw)
    job, _ = decode_job(raw)
    assert job.warnings == ()
    assert job == decode_job(copy.deepcopy(FULL_JOB))[0]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda j: j["settings"].update(tags=["team:jobs"]), "settings.tags"),
        (lambda j: j["settings"].update(description={"text": "x"}), "settings.description"),
        (lambda j: j["settings"].update(schedule="0 0 * * *"), "settings.schedule"),
        (lambda j: j["settings"].update(max_concurrent_runs="many"), "settings.max_concurrent_runs"),
        (
            lambda j: j["settings"]["tasks"][2].update(depends_on=[{"outcome": "true"}]),
            "settings.tasks[2].depends_on[0]",
        ),
        (lambda j: j["settings"]["tasks"][3].update(pipeline_task=["x"]), "settings.tasks[3].pipeline_task"),
        (lambda j: j.update(creator_user_name=["a"]), "creator_user_name"),
    ],
)
def test_a_read_field_of_the_wrong_shape_is_left_out_with_a_warning_naming_it(mutate: Any, path: str) -> None:
    raw = copy.deepcopy(FULL_JOB)
    mutate(raw)
    job, _ = decode_job(raw)
    assert len(job.warnings) == 1
    assert job.warnings[0].startswith(f"job 11223344: {path} ")
    assert job.name == "A multitask job"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"settings": {"name": "no id"}}, "job_id"),
        ({"job_id": "abc", "settings": {}}, "job_id"),
        ({"job_id": 5, "settings": {"tasks": [{"notebook_task": {}}]}}, "settings.tasks[0].task_key"),
        ({"job_id": 5, "settings": {"tasks": ["t"]}}, "settings.tasks[0]"),
        (["not", "a", "job"], "(the item)"),
    ],
)
def test_an_item_that_cannot_be_mapped_names_its_id_and_the_field(raw: Any, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_job(raw)
    assert path in info.value.one_line()
    assert info.value.path == path


def test_numeric_strings_are_accepted_for_int64_fields() -> None:
    job, _ = decode_job({"job_id": "42", "created_time": "1601370337343", "settings": {"name": "n"}})
    assert (job.id, job.created_time_ms) == ("42", 1601370337343)


def test_a_job_without_a_name_gets_a_readable_one() -> None:
    assert decode_job({"job_id": 7, "settings": {}})[0].name == "Untitled job 7"
    assert decode_job({"job_id": 7})[0].name == "Untitled job 7"


def test_dangling_depends_on_is_reported() -> None:
    raw = {
        "job_id": 3,
        "settings": {
            "name": "d",
            "tasks": [
                {"task_key": "a"},
                {"task_key": "b", "depends_on": [{"task_key": "ghost"}, {"task_key": "a"}]},
            ],
        },
    }
    job, _ = decode_job(raw)
    (warning,) = dangling_dependencies(job)
    assert "'b' depends on 'ghost'" in warning
    request = pipeline_request(job, "svc", **_urls())
    assert {t["name"]: t["downstreamTasks"] for t in request["tasks"]} == {"a": ["b"], "b": []}


# -- triggers and continuous jobs ------------------------------------------------------------------------------

TRIGGERS = [
    ({"continuous": {"pause_status": "UNPAUSED"}}, "continuous", "Active"),
    ({"continuous": {"pause_status": "PAUSED"}}, "continuous (paused)", "Inactive"),
    ({"continuous": {}}, "continuous", "Active"),
    (
        {
            "trigger": {
                "pause_status": "PAUSED",
                "file_arrival": {"url": "s3://landing/orders/", "min_time_between_triggers_seconds": 60},
            }
        },
        "on file arrival in s3://landing/orders/ (paused)",
        "Inactive",
    ),
    (
        {"trigger": {"pause_status": "UNPAUSED", "periodic": {"interval": 4, "unit": "HOURS"}}},
        "every 4 hours",
        "Active",
    ),
    ({"trigger": {"periodic": {"interval": 1, "unit": "DAYS"}}}, "every 1 day", "Active"),
    ({"trigger": {"periodic": {"interval": 30, "unit": "MINUTES"}}}, "every 30 minutes", "Active"),
    (
        {
            "trigger": {
                "table_update": {
                    "table_names": ["main.raw.a", "main.raw.b", "main.raw.c", "main.raw.d"],
                    "condition": "ANY_UPDATED",
                }
            }
        },
        "on table update of main.raw.a, main.raw.b, main.raw.c +1 more",
        "Active",
    ),
    (
        {
            "trigger": {
                "job_completion": {"jobs": [{"workspace_id": "1", "job_id": "123"}], "if_status": "SUCCESS"}
            }
        },
        "on completion of job 123",
        "Active",
    ),
    (
        {"trigger": {"model": {"securable_name": "main.ml.churn", "condition": "MODEL_ALIAS_SET"}}},
        "on model update of main.ml.churn",
        "Active",
    ),
    (
        {"trigger": {"sql_condition": {"condition": "SELECT 1"}, "pause_status": "PAUSED"}},
        "on SQL condition (paused)",
        "Inactive",
    ),
    (
        {"trigger": {"pause_status": "PAUSED", "quantum_entanglement": {}}},
        "on trigger (quantum_entanglement) (paused)",
        "Inactive",
    ),
    (
        {
            "schedule": {
                "quartz_cron_expression": "0 0/15 * * * ?",
                "timezone_id": "Europe/Berlin",
                "pause_status": "PAUSED",
            }
        },
        "*/15 * * * * (Europe/Berlin, paused)",
        "Inactive",
    ),
]


@pytest.mark.parametrize(("settings", "interval", "state"), TRIGGERS)
def test_start_mode_and_pause_state(settings: dict[str, Any], interval: str, state: str) -> None:
    job, _ = decode_job({"job_id": 601, "settings": {"name": "n", **settings}})
    request = pipeline_request(job, "svc", **_urls())
    assert (request["scheduleInterval"], request["state"]) == (interval, state)


def test_a_manual_job_has_no_schedule_and_no_state() -> None:
    request = pipeline_request(decode_job({"job_id": 1, "settings": {"name": "m"}})[0], "svc", **_urls())
    assert "scheduleInterval" not in request
    assert "state" not in request


# -- runs: attempts, repairs, states as sent ----------------------------------------------------------------


def _task_run(key: str, run_id: int, attempt: int, start: int, result: str, **extra: Any) -> dict[str, Any]:
    return {
        "task_key": key,
        "run_id": run_id,
        "attempt_number": attempt,
        "start_time": start,
        "end_time": start + 1000,
        "state": {"life_cycle_state": "TERMINATED", "result_state": result, "state_message": ""},
        "run_page_url": f"https://h/runs/{run_id}",
        **extra,
    }


def test_retried_task_keeps_only_the_latest_attempt() -> None:
    run = decode_run(
        {
            "run_id": 9001,
            "start_time": 1795000000000,
            "end_time": 1795000600000,
            "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"},
            "tasks": [
                _task_run("extract", 9101, 0, 1795000000000, "FAILED"),
                _task_run("extract", 9102, 1, 1795000120000, "SUCCESS"),
                _task_run("load", 9103, 0, 1795000310000, "SUCCESS"),
            ],
        }
    )
    assert [(t.key, t.result_state, t.run_id, t.start_ms, t.url) for t in run.tasks] == [
        ("extract", "SUCCESS", "9102", 1795000120000, "https://h/runs/9102"),
        ("load", "SUCCESS", "9103", 1795000310000, "https://h/runs/9103"),
    ]


def test_attempts_listed_newest_first_still_keep_the_latest() -> None:
    run = decode_run(
        {
            "run_id": 1,
            "start_time": 1,
            "tasks": [
                _task_run("t", 3, 2, 300, "SUCCESS"),
                _task_run("t", 2, 1, 200, "FAILED"),
                _task_run("t", 1, 0, 100, "FAILED"),
            ],
        }
    )
    assert [(t.run_id, t.attempt) for t in run.tasks] == [("3", 2)]


def test_a_repair_wins_over_the_original_attempt_even_with_attempt_number_zero() -> None:
    run = decode_run(
        {
            "run_id": 500,
            "start_time": 1000,
            "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"},
            "repair_history": [
                {
                    "type": "ORIGINAL",
                    "id": 1,
                    "start_time": 1000,
                    "end_time": 2000,
                    "task_run_ids": [501, 502],
                },
                {
                    "type": "REPAIR",
                    "id": 734650698524280,
                    "start_time": 3000,
                    "end_time": 4000,
                    "task_run_ids": [503],
                },
            ],
            "tasks": [
                _task_run("a", 501, 0, 1000, "SUCCESS"),
                _task_run("b", 502, 0, 1500, "FAILED"),
                # the repair's task entry: a new task run id, attempt number back at 0, a clock that may lag
                _task_run("b", 503, 0, 1400, "SUCCESS"),
            ],
        }
    )
    assert [(t.key, t.run_id, t.result_state) for t in run.tasks] == [
        ("a", "501", "SUCCESS"),
        ("b", "503", "SUCCESS"),
    ]


def test_run_detail_fields_are_read() -> None:
    run = decode_run(
        {
            "job_id": 11,
            "run_id": 455644833,
            "creator_user_name": "user.name@databricks.com",
            "number_in_job": 455644833,
            "original_attempt_run_id": 455644833,
            "run_name": "A multitask job run",
            "run_type": "JOB_RUN",
            "trigger": "PERIODIC",
            "trigger_info": {"run_id": 0},
            "start_time": 1625060460483,
            "end_time": 1625060863413,
            "setup_duration": 0,
            "execution_duration": 0,
            "cleanup_duration": 0,
            "run_duration": 110183,
            "queue_duration": 1625060863413,
            "run_page_url": "https://my-workspace.cloud.databricks.com/#job/11/run/123",
            "state": {
                "life_cycle_state": "TERMINATED",
                "result_state": "FAILED",
                "state_message": "",
                "user_cancelled_or_timedout": False,
            },
            "status": {
                "state": "TERMINATED",
                "termination_details": {
                    "code": "RUN_EXECUTION_ERROR",
                    "type": "CLIENT_ERROR",
                    "message": "Task Match failed",
                },
                "queue_details": {"code": "ACTIVE_RUNS_LIMIT_REACHED", "message": "queued"},
            },
            "job_parameters": [
                {"name": "table", "default": "users", "value": "customers"},
                {"name": "env", "default": "prod"},
            ],
            "overriding_parameters": {"notebook_params": {"name": "john doe"}},
            "has_more": False,
        }
    )
    assert (run.run_id, run.start_ms, run.end_ms) == ("455644833", 1625060460483, 1625060863413)
    assert (run.termination_code, run.termination_type, run.termination_message) == (
        "RUN_EXECUTION_ERROR",
        "CLIENT_ERROR",
        "Task Match failed",
    )
    assert run.parameters == {"table": "customers", "env": "prod"}
    assert run.warnings == ()


def test_states_are_kept_as_sent_for_the_mapping_to_report() -> None:
    run = decode_run(
        {"run_id": 1, "start_time": 5, "state": {"life_cycle_state": " terminated", "result_state": "Succes"}}
    )
    assert (run.life_cycle_state, run.result_state) == (" terminated", "Succes")


def test_the_newer_status_object_stands_in_for_the_legacy_state() -> None:
    run = decode_run({"run_id": 1, "start_time": 5, "status": {"state": "WAITING"}})
    assert run.life_cycle_state == "WAITING"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"run_id": 1}, "start_time"),
        ({"run_id": 1, "start_time": 0}, "start_time"),
        ({"run_id": 1, "start_time": "soon"}, "start_time"),
    ],
)
def test_a_run_without_a_start_time_cannot_be_mapped(raw: dict[str, Any], path: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_run(raw)
    assert info.value.path == path
    assert "run 1" in info.value.one_line()


def test_a_broken_task_entry_costs_only_that_task_status() -> None:
    run = decode_run(
        {"run_id": 1, "start_time": 5, "tasks": ["x", {"run_id": 3}, _task_run("ok", 4, 0, 6, "SUCCESS")]}
    )
    assert [t.key for t in run.tasks] == ["ok"]
    assert len(run.warnings) == 2


# -- DLT --------------------------------------------------------------------------------------------------------


def test_dlt_pipeline_and_update_shapes() -> None:
    pipeline = decode_dlt_pipeline(
        {
            "pipeline_id": "a12cd3e4-0ab1-1abc-1a2b-1a2bcd3e4fg5",
            "name": "sales-dlt",
            "state": "IDLE",
            "health": "HEALTHY",
            "creator_user_name": "alice@example.com",
            "latest_updates": [
                {"update_id": "u-9", "state": "COMPLETED", "creation_time": "2024-01-01T03:00:00.000Z"}
            ],
        }
    )
    assert (pipeline.id, pipeline.name, pipeline.kind) == (
        "a12cd3e4-0ab1-1abc-1a2b-1a2bcd3e4fg5",
        "sales-dlt",
        "dlt",
    )
    update = decode_dlt_update(
        {"update_id": "u-9", "state": "COMPLETED", "creation_time": 1704078000000, "cause": "JOB_TASK"}
    )
    assert (update.run_id, update.start_ms, update.life_cycle_state) == ("u-9", 1704078000000, "COMPLETED")
    iso = decode_dlt_update(
        {"update_id": "u-9", "state": "COMPLETED", "creation_time": "2024-01-01T03:00:00.000Z"}
    )
    assert iso.start_ms == 1704078000000
    with pytest.raises(DecodeError):
        decode_dlt_pipeline({"name": "no id"})
    with pytest.raises(DecodeError):
        decode_dlt_update({"update_id": "u-1"})


# -- Jobs API 2.2 array paging ------------------------------------------------------------------------------


def test_merge_pages_appends_the_continuation_arrays() -> None:
    first = {
        "job_id": 1,
        "settings": {"tasks": [{"task_key": "a"}], "job_clusters": [{"job_cluster_key": "c"}]},
    }
    merge_pages(first, {"job_id": 1, "settings": {"tasks": [{"task_key": "b"}], "job_clusters": []}})
    merge_pages(first, {"settings": {"tasks": [{"task_key": "c"}]}})
    assert [t["task_key"] for t in first["settings"]["tasks"]] == ["a", "b", "c"]
    run = {"run_id": 1, "tasks": [{"task_key": "a"}]}
    merge_pages(run, {"tasks": [{"task_key": "b"}], "repair_history": [{"id": 1}]})
    assert [t["task_key"] for t in run["tasks"]] == ["a", "b"]
    assert run["repair_history"] == [{"id": 1}]
