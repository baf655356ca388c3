"""core.diff: which fields a PUT of the request would change on the Pipeline entity OpenMetadata holds.

The stored side is built by :func:`tests.engine.catalogue.pipeline_entity` with every property of
OpenMetadata's ``entity/data/pipeline.json`` present (checked against the schema here), so the diff is
shown to ignore what the server adds and what a bot's PUT keeps.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.diff import COMPARED_FIELDS, changed_fields, unchanged_reason
from core.mapping.pipeline import source_hash
from tests.engine.catalogue import OWNER, pipeline_entity
from tests.paths import SCHEMA_BASE
from tests.unit.test_mapping import _validator

HOST = "https://adb-1.azuredatabricks.net"


def request() -> dict[str, Any]:
    """A request with every field the mapping may send."""
    body: dict[str, Any] = {
        "name": "42",
        "displayName": "nightly_etl",
        "service": "svc",
        "sourceUrl": f"{HOST}/jobs/42",
        "description": "Loads the orders",
        "tasks": [
            {
                "name": "extract",
                "displayName": "extract",
                "taskType": "notebook_task",
                "downstreamTasks": ["load"],
                "sourceUrl": f"{HOST}/jobs/42/tasks/extract",
            },
            {
                "name": "load",
                "displayName": "load",
                "taskType": "sql_task",
                "downstreamTasks": [],
                "sourceUrl": f"{HOST}/jobs/42/tasks/load",
                "description": "into the warehouse",
            },
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
        "owners": [dict(OWNER)],
    }
    body["sourceHash"] = source_hash(body)  # type: ignore[arg-type]
    return body


def test_the_stored_entity_has_every_documented_property_and_follows_the_schema() -> None:
    schema = _validator(SCHEMA_BASE + "entity/data/pipeline.json").schema
    entity = pipeline_entity(request())
    documented = _validator(SCHEMA_BASE + "entity/data/pipeline.json")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in documented.iter_errors(entity)]
    assert not errors, errors
    resolved = documented.evolve(schema=schema)._resolver.lookup(SCHEMA_BASE + "entity/data/pipeline.json")
    properties = resolved.contents["properties"]
    task_properties = resolved.contents["definitions"]["task"]["properties"]
    assert set(entity) == set(properties)
    assert all(set(task) == set(task_properties) for task in entity["tasks"])


def test_a_request_against_its_own_stored_pipeline_changes_nothing() -> None:
    body = request()
    assert changed_fields(body, pipeline_entity(body)) == []  # type: ignore[arg-type]


def _changed(edit: Any) -> list[str]:
    """The fields that differ once ``edit`` changed the request after the stored pipeline was written."""
    body = request()
    stored = pipeline_entity(copy.deepcopy(body))
    edit(body)
    return changed_fields(body, stored)  # type: ignore[arg-type]


def _add_task(body: dict) -> None:
    body["tasks"].append({**body["tasks"][1], "name": "report", "displayName": "report"})


def _add_edge(body: dict) -> None:
    body["tasks"][0]["downstreamTasks"].append("report")
    _add_task(body)


EDITS: dict[str, tuple[Any, list[str]]] = {
    "a task added": (_add_task, ["tasks"]),
    "a task's kind": (lambda b: b["tasks"][0].update(taskType="python_wheel_task"), ["tasks"]),
    "a task's description": (lambda b: b["tasks"][1].update(description="elsewhere"), ["tasks"]),
    "a task's url": (lambda b: b["tasks"][0].update(sourceUrl=f"{HOST}/x"), ["tasks"]),
    "a dependency removed": (lambda b: b["tasks"][0].update(downstreamTasks=[]), ["edges"]),
    "a task and its dependency added": (_add_edge, ["tasks", "edges"]),
    "the cron": (lambda b: b.update(scheduleInterval="0 4 * * * (Europe/Berlin)"), ["schedule"]),
    "paused": (lambda b: b.update(state="Inactive"), ["schedule"]),
    "the schedule removed": (lambda b: (b.pop("scheduleInterval"), b.pop("state")), ["schedule"]),
    "a job tag": (lambda b: b["tags"][0].update(tagFQN="DatabricksTags.team:ml"), ["tags"]),
    "the owner": (lambda b: b.update(owners=[{"id": "another", "type": "user"}]), ["owners"]),
    "the description": (lambda b: b.update(description="Loads the refunds"), ["description"]),
    "the job renamed": (lambda b: b.update(displayName="nightly_etl_v2"), ["displayName"]),
    "the job url": (lambda b: b.update(sourceUrl=f"{HOST}/jobs/43"), ["sourceUrl"]),
    "max concurrent runs": (lambda b: b.update(concurrency=5), ["concurrency"]),
}


@pytest.mark.parametrize("what", sorted(EDITS))
def test_each_field_is_named_when_it_alone_changed(what: str) -> None:
    edit, fields = EDITS[what]
    assert _changed(edit) == fields


def test_every_compared_field_has_a_case() -> None:
    assert {field for _, fields in EDITS.values() for field in fields} == set(COMPARED_FIELDS)


@pytest.mark.parametrize(
    "left_out",
    ["description", "owners", "tags"],
)
def test_a_field_the_request_leaves_out_is_kept_by_openmetadata_so_is_no_change(left_out: str) -> None:
    # OpenMetadata keeps a stored description, owners and tags when a bot's PUT has none
    assert _changed(lambda b: b.pop(left_out)) == []


def test_a_task_description_the_request_leaves_out_is_no_change() -> None:
    assert _changed(lambda b: b["tasks"][1].pop("description")) == []


def test_tags_and_owners_added_in_openmetadata_are_no_change() -> None:
    body = request()
    stored = pipeline_entity(body)
    assert any(tag["tagFQN"] == "PII.Sensitive" for tag in stored["tags"])  # added in the UI
    assert changed_fields(body, stored) == []  # type: ignore[arg-type]


def test_why_nothing_differs_names_another_tool_when_the_hash_is_not_ours() -> None:
    body = request()
    assert "another tool" in unchanged_reason(pipeline_entity(body, source_hash=None))
    assert "another tool" in unchanged_reason(pipeline_entity(body, source_hash="0123456789abcdef"))
    assert "task order" in unchanged_reason(pipeline_entity(body))


def test_a_stored_pipeline_with_odd_shapes_does_not_break_the_diff() -> None:
    stored = {"tasks": "not a list", "tags": [None, 3], "owners": {"id": 1}}
    assert changed_fields(request(), stored) == list(COMPARED_FIELDS)  # type: ignore[arg-type]


_names = st.text("abcdefgh_", min_size=1, max_size=6)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """Requests as the mapping builds them: tasks with dependencies, optional schedule, tags, owners."""
    keys = draw(st.lists(_names, unique=True, max_size=6))
    tasks = []
    for key in keys:
        downstream = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
        task: dict[str, Any] = {"name": key, "displayName": key, "taskType": draw(_names)}
        task.update(downstreamTasks=downstream, sourceUrl=f"{HOST}/{key}")
        if draw(st.booleans()):
            task["description"] = draw(st.text(max_size=10))
        tasks.append(task)
    body: dict[str, Any] = {"name": draw(_names), "displayName": draw(st.text(max_size=10)), "service": "svc"}
    body.update(sourceUrl=f"{HOST}/jobs/1", tasks=tasks)
    optional = {
        "description": st.text(max_size=10),
        "scheduleInterval": st.sampled_from(["0 3 * * *", "continuous", "every 4 hours"]),
        "state": st.sampled_from(["Active", "Inactive"]),
        "concurrency": st.integers(1, 9),
        "tags": st.lists(_names.map(lambda n: {"tagFQN": f"DatabricksTags.{n}"}), max_size=3),
        "owners": st.lists(_names.map(lambda n: {"id": n, "type": "user"}), max_size=2),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


@settings(max_examples=150, deadline=None, derandomize=True)
@given(requests())
def test_property_the_diff_of_a_request_against_itself_is_empty(body: dict[str, Any]) -> None:
    assert changed_fields(body, pipeline_entity(copy.deepcopy(body))) == []  # type: ignore[arg-type]
    assert changed_fields(body, copy.deepcopy(body)) == []  # type: ignore[arg-type]
