"""Job records to ``CreatePipelineRequest`` bodies, and Quartz schedules to cron.

Every request built here is also validated against OpenMetadata's own JSON schema
(``api/data/createPipeline.json``): ``../shared``'s reference copy, or the one vendored in tests/data.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from core.databricks.records import JobRecord, ScheduleRecord, TaskRecord
from core.errors import ItemError, MappingError
from core.mapping.pipeline import TAG_CLASSIFICATION, downstream_map, pipeline_request, tag_name
from core.mapping.schedule import quartz_to_cron, schedule_interval
from tests.paths import SCHEMA_BASE, schema_root

SCHEMA_ROOT = schema_root()
HOST = "https://adb-1234567890123456.7.azuredatabricks.net"
SERVICE = "dbx_prod"


# -- OpenMetadata JSON schema validation ---------------------------------------------------------------


@cache
def _validator(ref: str) -> Any:
    """A Draft 7 validator for ``ref`` (a URI under SCHEMA_BASE) resolving every relative $ref from files."""
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT7

    by_lower_path = {str(p.relative_to(SCHEMA_ROOT)).lower(): p for p in SCHEMA_ROOT.rglob("*.json")}

    def retrieve(uri: str) -> Resource:
        if not uri.startswith(SCHEMA_BASE):
            raise NoSuchResource(ref=uri)
        relative = uri[len(SCHEMA_BASE) :]
        path = SCHEMA_ROOT / relative
        if not path.is_file():
            path = by_lower_path.get(relative.lower(), path)
        if not path.is_file():
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT7)

    registry: Registry = Registry(retrieve=retrieve)
    return Draft7Validator({"$ref": ref}, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def assert_valid_create_pipeline(body: dict) -> None:
    validator = _validator(SCHEMA_BASE + "api/data/createPipeline.json")
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_schema_validator_rejects_a_bad_request() -> None:
    """The validator really checks nested $refs (tasks, tags, state), so passing means something."""
    validator = _validator(SCHEMA_BASE + "api/data/createPipeline.json")
    good = {"name": "1", "service": SERVICE, "tasks": [{"name": "a", "downstreamTasks": ["b"]}]}
    assert validator.is_valid(good)
    assert not validator.is_valid({"name": "1"})  # service is required
    assert not validator.is_valid({**good, "tasks": [{"name": "a", "upstreamTasks": []}]})
    assert not validator.is_valid({**good, "state": "Paused"})
    assert not validator.is_valid({**good, "tags": [{"tagFQN": "X.y", "source": "Classification"}]})
    assert not validator.is_valid({**good, "name": "a::b"})
    assert not validator.is_valid({**good, "owners": [{"type": "user"}]})


# -- pipeline_request ---------------------------------------------------------------------------------


def job_url(job_id: str) -> str:
    return f"{HOST}/jobs/{job_id}?o=42"


def task_url(job_id: str, key: str) -> str:
    return f"{HOST}/jobs/{job_id}/tasks/{key}?o=42"


def request(job: JobRecord, **kwargs: Any) -> dict:
    body = pipeline_request(job, SERVICE, job_url=job_url, task_url=task_url, **kwargs)
    assert_valid_create_pipeline(body)
    return body


DIAMOND = (
    TaskRecord("a", "notebook_task"),
    TaskRecord("b", "spark_python_task", depends_on=("a",)),
    TaskRecord("c", "pipeline_task", depends_on=("a",), pipeline_id="p-1"),
    TaskRecord("d", "sql_task", description="publish", depends_on=("b", "c")),
)


def test_full_request_for_a_simple_job() -> None:
    job = JobRecord(
        id="123",
        name="Nightly ETL",
        description="Loads the warehouse",
        tasks=(TaskRecord("ingest", "notebook_task", description="raw -> bronze"),),
        schedule=ScheduleRecord("0 0 3 * * ?", "Europe/Berlin"),
        max_concurrent_runs=2,
        tags={"team": "data"},
    )
    assert request(job) == {
        "name": "123",
        "displayName": "Nightly ETL",
        "description": "Loads the warehouse",
        "service": SERVICE,
        "sourceUrl": f"{HOST}/jobs/123?o=42",
        "tasks": [
            {
                "name": "ingest",
                "displayName": "ingest",
                "description": "raw -> bronze",
                "taskType": "notebook_task",
                "downstreamTasks": [],
                "sourceUrl": f"{HOST}/jobs/123/tasks/ingest?o=42",
            }
        ],
        "scheduleInterval": "0 3 * * * (Europe/Berlin)",
        "state": "Active",
        "concurrency": 2,
        "tags": [
            {
                "tagFQN": "DatabricksTags.team:data",
                "source": "Classification",
                "labelType": "Automated",
                "state": "Confirmed",
            }
        ],
    }


def test_minimal_job_has_only_required_and_known_keys() -> None:
    body = request(JobRecord(id="7", name="bare"))
    assert body == {
        "name": "7",
        "displayName": "bare",
        "service": SERVICE,
        "sourceUrl": f"{HOST}/jobs/7?o=42",
        "tasks": [],
    }


def test_diamond_dag_downstream_is_the_true_inverse_of_depends_on() -> None:
    body = request(JobRecord(id="9", name="diamond", tasks=DIAMOND))
    downstream = {task["name"]: task["downstreamTasks"] for task in body["tasks"]}
    # (OpenMetadata's own connector would give d=[b, c], b=[a], c=[a]: the upstream keys)
    assert downstream == {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}


def test_downstream_map_inverts_every_edge_exactly_once() -> None:
    tasks = (
        TaskRecord("x", "notebook_task"),
        TaskRecord("y", "notebook_task", depends_on=("x", "x", "ghost")),
        TaskRecord("z", "notebook_task", depends_on=("y", "x")),
    )
    result = downstream_map(tasks)
    assert result == {"x": ["y", "z"], "y": ["z"], "z": []}
    edges = {(up, task.key) for task in tasks for up in task.depends_on if up in result}
    assert edges == {(up, down) for up, downs in result.items() for down in downs}


def test_task_type_is_the_task_kind_and_each_task_has_its_own_url() -> None:
    body = request(JobRecord(id="9", name="diamond", tasks=DIAMOND))
    assert [t["taskType"] for t in body["tasks"]] == [
        "notebook_task",
        "spark_python_task",
        "pipeline_task",
        "sql_task",
    ]
    urls = [t["sourceUrl"] for t in body["tasks"]]
    assert urls == [f"{HOST}/jobs/9/tasks/{key}?o=42" for key in "abcd"]
    assert len(set(urls)) == 4
    assert body["sourceUrl"] == f"{HOST}/jobs/9?o=42"
    assert [t.get("description") for t in body["tasks"]] == [None, None, None, "publish"]


def test_urls_come_from_the_callables() -> None:
    calls: list[tuple[str, ...]] = []

    def my_job_url(job_id: str) -> str:
        calls.append((job_id,))
        return f"https://example.test/j/{job_id}"

    def my_task_url(job_id: str, key: str) -> str:
        calls.append((job_id, key))
        return f"https://example.test/j/{job_id}/t/{key}"

    job = JobRecord(id="55", name="n", tasks=DIAMOND[:2])
    body = pipeline_request(job, SERVICE, job_url=my_job_url, task_url=my_task_url)
    assert body["sourceUrl"] == "https://example.test/j/55"
    assert [t["sourceUrl"] for t in body["tasks"]] == [
        "https://example.test/j/55/t/a",
        "https://example.test/j/55/t/b",
    ]
    assert sorted(calls) == [("55",), ("55", "a"), ("55", "b")]


def test_duplicate_task_keys_raise_mapping_error() -> None:
    job = JobRecord(
        id="77",
        name="dupes",
        tasks=(
            TaskRecord("a", "notebook_task"),
            TaskRecord("b", "notebook_task"),
            TaskRecord("a", "sql_task"),
        ),
    )
    with pytest.raises(MappingError) as info:
        pipeline_request(job, SERVICE, job_url=job_url, task_url=task_url)
    assert isinstance(info.value, ItemError) and info.value.fatal is False
    assert "job 77 (dupes) has duplicate task keys: a" in str(info.value)


def test_empty_id_raises_mapping_error() -> None:
    with pytest.raises(MappingError, match="'no id here' has no id"):
        pipeline_request(JobRecord(id="", name="no id here"), SERVICE, job_url=job_url, task_url=task_url)


def test_dlt_pipeline_request() -> None:
    body = request(JobRecord(id="0f1e2d3c-aaaa-bbbb-cccc-1234567890ab", name="bronze_dlt", kind="dlt"))
    assert body["name"] == "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
    assert body["displayName"] == "bronze_dlt"
    assert body["tasks"] == []


# -- tags and owners ----------------------------------------------------------------------------------

TAGS = {"team.name": "data.eng", "cost-center": "42", "pii": "", "a": "b"}


def test_tags_become_automated_classification_labels() -> None:
    body = request(JobRecord(id="1", name="t", tags=TAGS), include_tags=True)
    assert [tag["tagFQN"] for tag in body["tags"]] == [
        "DatabricksTags.a:b",
        "DatabricksTags.cost-center:42",
        "DatabricksTags.pii",
        "DatabricksTags.team_name:data_eng",
    ]
    for tag in body["tags"]:
        assert tag["tagFQN"].startswith(f"{TAG_CLASSIFICATION}.")
        assert tag["tagFQN"].count(".") == 1  # sanitised: the tag name never splits the FQN
        assert {k: v for k, v in tag.items() if k != "tagFQN"} == {
            "source": "Classification",
            "labelType": "Automated",
            "state": "Confirmed",
        }


def test_tags_omitted_unless_include_tags() -> None:
    assert "tags" not in request(JobRecord(id="1", name="t", tags=TAGS), include_tags=False)
    assert "tags" not in request(JobRecord(id="1", name="t"), include_tags=True)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("env", "prod", "env:prod"),
        ("env", "", "env"),
        ("a.b.c", "x.y", "a_b_c:x_y"),
        ("k" * 300, "v", "k" * 256),
    ],
    ids=["key-value", "key-only", "dots", "truncated"],
)
def test_tag_name(key: str, value: str, expected: str) -> None:
    assert tag_name(key, value) == expected


def test_owners_are_passed_through() -> None:
    owners = [{"id": "6b9d3f4e-1c2a-4e5f-8a7b-9c0d1e2f3a4b", "type": "user", "name": "alice"}]
    body = request(JobRecord(id="1", name="t", creator="alice@example.com"), owners=owners)
    assert body["owners"] == owners
    assert "owners" not in request(JobRecord(id="1", name="t"), owners=[])
    assert "owners" not in request(JobRecord(id="1", name="t"), owners=None)


# -- schedule in the request --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "interval", "state"),
    [
        (ScheduleRecord("0 0 3 * * ?", "Europe/Berlin"), "0 3 * * * (Europe/Berlin)", "Active"),
        (ScheduleRecord("0 0 3 * * ?", "UTC", paused=True), "0 3 * * * (UTC, paused)", "Inactive"),
        (ScheduleRecord("0 0 3 L * ?", "America/New_York"), "0 0 3 L * ? (America/New_York)", "Active"),
        (
            ScheduleRecord("30 15 10 ? * 2", "Asia/Tokyo", paused=True),
            "30 15 10 ? * 2 (Asia/Tokyo, paused)",
            "Inactive",
        ),
        (None, None, None),
    ],
    ids=["active", "paused", "quartz-only-kept", "quartz-only-paused", "unscheduled"],
)
def test_schedule_interval_and_state(
    schedule: ScheduleRecord | None, interval: str | None, state: str | None
) -> None:
    body = request(JobRecord(id="1", name="s", schedule=schedule))
    assert body.get("scheduleInterval") == interval
    assert body.get("state") == state
    assert ("state" in body) is (schedule is not None)


# -- Quartz -> cron -----------------------------------------------------------------------------------

QUARTZ_TO_CRON = [
    ("0 0 3 * * ?", "0 3 * * *"),
    ("0 15 10 ? * MON-FRI", "15 10 * * MON-FRI"),
    ("0 0 9 ? * WED", "0 9 * * WED"),
    ("0 0 9 ? * MON,WED,FRI", "0 9 * * MON,WED,FRI"),
    ("0 0 8 ? JAN-MAR SUN", "0 8 * JAN-MAR SUN"),
    # numeric day-of-week: Quartz 1..7 = SUN..SAT, cron 0..6 = SUN..SAT
    ("0 0 12 ? * 1", "0 12 * * 0"),
    ("0 0 12 ? * 7", "0 12 * * 6"),
    ("0 0 12 ? * 2-6", "0 12 * * 1-5"),
    ("0 0 12 ? * 1,4,7", "0 12 * * 0,3,6"),
    ("0 0 12 ? * 1-7", "0 12 * * 0-6"),
    # steps
    ("0 0/5 * * * ?", "*/5 * * * *"),
    ("0 */5 * * * ?", "*/5 * * * *"),
    ("0 10/15 * * * ?", "10-59/15 * * * *"),
    ("0 0 0/2 * * ?", "0 */2 * * *"),
    ("0 0 3/6 * * ?", "0 3-23/6 * * *"),
    ("0 30 6 1/2 * ?", "30 6 */2 * *"),
    ("0 0 6 5/10 * ?", "0 6 5-31/10 * *"),
    ("0 0 6 ? 1/3 *", "0 6 * */3 *"),
    ("0 0 6 ? 2/3 *", "0 6 * 2-12/3 *"),
    # plain fields
    ("0 0 8 15 * ?", "0 8 15 * *"),
    ("0 5,35 * * * ?", "5,35 * * * *"),
    ("00 0 3 * * ?", "0 3 * * *"),
    ("0 0 3 * * ? *", "0 3 * * *"),
    ("  0 0 3 * * ?  ", "0 3 * * *"),
    # no standard-cron equivalent
    ("30 0 3 * * ?", None),
    ("*/10 * * * * ?", None),
    ("0 0 3 L * ?", None),
    ("0 0 3 l * ?", None),
    ("0 0 3 L-2 * ?", None),
    ("0 0 3 15W * ?", None),
    ("0 0 3 LW * ?", None),
    ("0 0 3 ? * 6L", None),
    ("0 0 3 ? * 6#3", None),
    ("0 0 3 * * ? 2027", None),
    ("0 0 3 ? * 1/2", None),
    ("0 0 3 ? * 0", None),
    ("0 0 3 ? * 8", None),
    ("0 3 * * *", None),
    ("", None),
]


@pytest.mark.parametrize(
    ("quartz", "cron"), QUARTZ_TO_CRON, ids=[q.strip() or "empty" for q, _ in QUARTZ_TO_CRON]
)
def test_quartz_to_cron(quartz: str, cron: str | None) -> None:
    assert quartz_to_cron(quartz) == cron
    if cron is not None:
        assert len(cron.split()) == 5 and "?" not in cron


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (ScheduleRecord("0 0 3 * * ?", "Europe/Berlin"), "0 3 * * * (Europe/Berlin)"),
        (ScheduleRecord("0 15 10 ? * MON-FRI"), "15 10 * * MON-FRI (UTC)"),
        (ScheduleRecord("0 0/5 * * * ?", "UTC", paused=True), "*/5 * * * * (UTC, paused)"),
        (ScheduleRecord("30 0 3 * * ?", "UTC"), "30 0 3 * * ? (UTC)"),
        (
            ScheduleRecord("0 0 3 ? * 6#3", "Europe/Paris", paused=True),
            "0 0 3 ? * 6#3 (Europe/Paris, paused)",
        ),
        (ScheduleRecord("0 0 3 * * ? 2027", "UTC"), "0 0 3 * * ? 2027 (UTC)"),
        (None, None),
    ],
    ids=["converted-tz", "default-utc", "paused", "seconds-raw", "hash-raw-paused", "year-raw", "none"],
)
def test_schedule_interval_text(schedule: ScheduleRecord | None, expected: str | None) -> None:
    assert schedule_interval(schedule) == expected
