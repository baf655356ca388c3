"""Hypothesis strategies: Databricks JSON from the SDK's own data model, and raw JSON mutations of it.

1. SDK model. Jobs, runs, DLT pipelines and updates are built as ``databricks.sdk.service`` dataclasses
   (``BaseJob``/``JobSettings``/``Task``/``TaskDependency``, ``BaseRun``/``RunTask``/``RunState``/
   ``RunStatus``/``RepairHistoryItem``, ``TriggerSettings``, ``Continuous``, ``CronSchedule``,
   ``PipelineStateInfo``, ``UpdateInfo``) and turned into JSON with their own ``as_dict()``:

   - ``sdk_any(cls)``: ``st.from_type`` over the whole model, no constraint at all;
   - ``job_dicts()`` / ``run_dicts()``: constrained for well-formedness where the API guarantees it
     (unique task keys, ``depends_on`` naming existing keys, positive epoch-ms times, unique task run
     ids), with arbitrary names (unicode, dots, empty) and, when asked, state strings respelled or
     unknown (case, whitespace, separators, ``CANCELLED``, ``TIMED_OUT``), attempts of a task key
     repeated with any ``attempt_number`` and repair, in any list order, and triggers of each kind
     with and without pause.

2. Raw JSON mutations: ``retyped(base)`` changes one kind of shape at many places at once (numbers as
   text, lists unwrapped or nested, objects in a list, text as numbers, nulls); ``mutated(base)`` applies 1-3 random edits at random paths of a document:
   replace a value by one of another JSON type (list, nested list, object, text, number, boolean,
   null), delete a key (or a list element), add unknown keys, nest a list one level deeper, unwrap a
   list to its first element, send a number as text (its digits, or digits of any script).

The SDK's ``as_dict()`` needs enum members where the model has enums, so odd and unknown state
strings are written into the JSON after ``as_dict()``, where a server would put them.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import typing
from typing import Any

from databricks.sdk.service import jobs, pipelines
from hypothesis import strategies as st

from core.databricks.decode import TASK_KINDS
from tests.properties.fakes import DAY_MS, NOW_MS

# -- basic values ---------------------------------------------------------------------------------------

#: Names as users type them: any unicode, dots, empty, whitespace.
NAMES = st.one_of(
    st.text(max_size=16),
    st.sampled_from(
        ["", " ", ".", "a.b.c", "etl.daily.v2", "ünïcødé", "名前", "job\tname", "🚀 launch", "NaN"]
    ),
)

#: Task keys a job can really have: anything, as long as it is not blank (unicode and dots included).
TASK_KEYS = st.one_of(
    st.text(min_size=1, max_size=10).filter(lambda key: key.strip() != ""),
    st.sampled_from(["ingest", "a.b", "Transform", "step-1", "名前", "x y"]),
)

#: Epoch milliseconds within 10 days before "now" (the lookback in these tests is 7 days).
EPOCH_MS = st.integers(NOW_MS - 10 * DAY_MS, NOW_MS)

#: A number sent as text in any script: decimal digits (``"٣"``) and other digit characters (``"²"``).
NUMERIC_TEXT = st.tuples(
    st.sampled_from(["", "-", " "]),
    st.one_of(
        st.text(st.characters(categories=["Nd"]), min_size=1, max_size=3),
        st.text(st.characters(categories=["No"]), min_size=1, max_size=3),
        st.sampled_from(
            ["²", "①", "٣", "१२", "¹⁰", "\uff11\uff12", "\U0001d7d9"]
        ),  # fullwidth 12, double-struck 1
    ),
).map("".join)

#: Any JSON value (what a server might put anywhere), small.
JSON_LEAVES = st.one_of(
    NUMERIC_TEXT,
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # Python's json (and so the SDK) accepts NaN and Infinity
    st.text(max_size=8),
    st.sampled_from(["", "0", "-1", "12345", "TERMINATED", "true", "null"]),
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=6), children, max_size=3),
    ),
    max_leaves=8,
)

# -- state strings ----------------------------------------------------------------------------------------

#: British spellings and underscores seen in the wild for the documented values.
_SPELLINGS = {"CANCELED": "CANCELLED", "TIMEDOUT": "TIMED_OUT", "USER_CANCELED": "USER_CANCELLED"}


@st.composite
def respelled(draw: st.DrawFn, value: str) -> str:
    """``value`` as a server or a proxy might spell it: case, whitespace, separators, British spelling."""
    text = draw(st.sampled_from([value, _SPELLINGS.get(value, value)]))
    text = draw(
        st.sampled_from(
            [
                text,
                text.lower(),
                text.title(),
                text.replace("_", " "),
                text.replace("_", "-"),
                text.replace("_", ""),
            ]
        )
    )
    return draw(st.sampled_from(["", " ", "  ", "\t", "\n"])) + text + draw(st.sampled_from(["", " ", "\n"]))


#: Values no Databricks release documents (a newer enum value, garbage).
UNKNOWN_STATES = st.one_of(
    st.sampled_from(["", " ", "DONE", "SUCCEEDED", "TERMINATED_WITH_ERRORS", "COMPLETED", "42", "null"]),
    st.text(max_size=8),
)


def states(enum: type[Any], *, odd: bool) -> st.SearchStrategy[str]:
    """Values of an SDK enum as sent: exact, or (``odd``) respelled or unknown."""
    exact = st.sampled_from([member.value for member in enum])
    if not odd:
        return exact
    return st.one_of(exact, exact.flatmap(respelled), UNKNOWN_STATES)


def sdk_any(cls: type[Any]) -> st.SearchStrategy[dict]:
    """Any instance of an SDK dataclass, as its JSON (``as_dict()``): the model unconstrained."""
    return st.from_type(cls).map(lambda obj: obj.as_dict())


# -- jobs -------------------------------------------------------------------------------------------------

_TASK_HINTS = typing.get_type_hints(jobs.Task)
#: task kind field -> its SDK class, for the kinds both our table and the installed SDK know
KIND_CLASSES: dict[str, type[Any]] = {
    kind: typing.get_args(_TASK_HINTS[kind])[0] for kind in TASK_KINDS if kind in _TASK_HINTS
}


def _kind_payload(kind: str) -> st.SearchStrategy[Any]:
    cls = KIND_CLASSES[kind]
    if kind == "for_each_task":  # the nested Task would otherwise fill every field of the model
        return st.builds(cls, inputs=st.text(max_size=6), task=st.builds(jobs.Task, task_key=TASK_KEYS))
    return st.builds(cls)


#: task kind -> a strategy for its SDK payload (only required fields: ``st.builds``)
KIND_PAYLOADS = {kind: _kind_payload(kind) for kind in KIND_CLASSES}
_KINDS = st.lists(st.sampled_from(sorted(KIND_CLASSES)), unique=True, min_size=0, max_size=2)
_TAGS = st.none() | st.dictionaries(NAMES, NAMES, max_size=3)
_CONCURRENCY = st.none() | st.integers(1, 1000)
_OPT_NAMES_J = st.none() | NAMES
_OPT_EPOCH = st.none() | EPOCH_MS
_JOB_IDS = st.integers(1, 2**53)
_CREATOR = st.none() | st.sampled_from(["ana@example.com", "sp-1234", ""])


QUARTZ = st.one_of(
    st.sampled_from(
        [
            "0 0 3 * * ?",
            "0 15 10 ? * MON-FRI",
            "0 0/30 * * * ?",
            "0 0 12 1 * ?",
            "0 0 6 ? * 2",
            "0 0 0 L * ?",
            "30 0 1 * * ? 2030",
        ]
    ),
    st.text(min_size=1, max_size=12).filter(lambda text: text.strip() != ""),
)
PAUSE = st.one_of(st.none(), st.sampled_from(list(jobs.PauseStatus)))
TRIGGER_CONFIGS: dict[str, st.SearchStrategy[Any]] = {
    "file_arrival": st.builds(jobs.FileArrivalTriggerConfiguration),
    "table_update": st.builds(jobs.TableUpdateTriggerConfiguration),
    "periodic": st.builds(jobs.PeriodicTriggerConfiguration, interval=st.integers(1, 48)),
    "job_completion": st.from_type(jobs.JobCompletionTriggerConfiguration),
    "model": st.builds(jobs.ModelTriggerConfiguration),
    "sql_condition": st.builds(jobs.SqlConditionConfiguration),
}
assert set(TRIGGER_CONFIGS) == {f.name for f in dataclasses.fields(jobs.TriggerSettings)} - {"pause_status"}


@st.composite
def start_settings(draw: st.DrawFn) -> dict[str, Any]:
    """How a job starts (SDK objects as JobSettings kwargs): by hand, a schedule, a trigger, continuous."""
    how = draw(st.sampled_from(["trigger", "schedule", "continuous", "manual"]))
    if how == "schedule":
        return {
            "schedule": jobs.CronSchedule(
                quartz_cron_expression=draw(QUARTZ),
                timezone_id=draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", ""])),
                pause_status=draw(PAUSE),
            )
        }
    if how == "trigger":
        kind = draw(st.sampled_from(sorted(TRIGGER_CONFIGS)))
        return {
            "trigger": jobs.TriggerSettings(pause_status=draw(PAUSE), **{kind: draw(TRIGGER_CONFIGS[kind])})
        }
    if how == "continuous":
        return {"continuous": jobs.Continuous(pause_status=draw(PAUSE))}
    return {}


@st.composite
def job_dicts(draw: st.DrawFn, job_id: int | None = None, max_tasks: int = 6) -> dict[str, Any]:
    """A well-formed job as ``jobs/list`` (with ``expand_tasks``) sends it, built from the SDK model."""
    keys = draw(st.lists(TASK_KEYS, unique=True, max_size=max_tasks))
    tasks = []
    for key in keys:
        others = [other for other in keys if other != key]
        upstream = draw(st.lists(st.sampled_from(others), unique=True, max_size=3)) if others else []
        # usually one kind; sometimes none (unknown_task) or two (the documented order decides)
        kinds = draw(_KINDS)
        tasks.append(
            jobs.Task(
                task_key=key,
                depends_on=[jobs.TaskDependency(task_key=name) for name in upstream] or None,
                description=draw(_OPT_NAMES_J),
                **{kind: draw(KIND_PAYLOADS[kind]) for kind in kinds},
            )
        )
    settings = jobs.JobSettings(
        name=draw(NAMES),
        description=draw(_OPT_NAMES_J),
        tasks=tasks or None,
        tags=draw(_TAGS),
        max_concurrent_runs=draw(_CONCURRENCY),
        **draw(start_settings()),
    )
    job = jobs.BaseJob(
        job_id=job_id if job_id is not None else draw(_JOB_IDS),
        created_time=draw(_OPT_EPOCH),
        creator_user_name=draw(_CREATOR),
        settings=settings,
    )
    return job.as_dict()


# -- runs -------------------------------------------------------------------------------------------------


_LIFE = st.sampled_from(list(jobs.RunLifeCycleState))
_RESULT = st.none() | st.sampled_from(list(jobs.RunResultState))
_OPT_NAMES = st.none() | NAMES
_STATUS = st.builds(
    jobs.RunStatus,
    state=st.none() | st.sampled_from(list(jobs.RunLifecycleStateV2State)),
    termination_details=st.none()
    | st.builds(
        jobs.TerminationDetails,
        code=st.none() | st.sampled_from(list(jobs.TerminationCodeCode)),
        type=st.none() | st.sampled_from(list(jobs.TerminationTypeType)),
        message=_OPT_NAMES,
    ),
)
_ODD_LIFE = states(jobs.RunLifeCycleState, odd=True)
_ODD_RESULT = states(jobs.RunResultState, odd=True)
_IDS = st.integers(1, 2**53)
_OFFSET = st.integers(0, DAY_MS)
_ATTEMPT = st.none() | st.integers(0, 3)
_PARAMETERS = st.none() | st.lists(st.builds(jobs.JobParameter, name=NAMES, value=_OPT_NAMES), max_size=2)


@st.composite
def _run_state(draw: st.DrawFn, odd: bool) -> tuple[jobs.RunState, jobs.RunStatus | None, dict[str, str]]:
    """A RunState (and maybe a RunStatus) from SDK enums, plus JSON overrides for odd/unknown strings."""
    state = jobs.RunState(
        life_cycle_state=draw(_LIFE), result_state=draw(_RESULT), state_message=draw(_OPT_NAMES)
    )
    status = draw(_STATUS) if draw(st.booleans()) else None
    overrides: dict[str, str] = {}
    if odd:
        if draw(st.booleans()):
            overrides["life_cycle_state"] = draw(_ODD_LIFE)
        if draw(st.booleans()):
            overrides["result_state"] = draw(_ODD_RESULT)
    return state, status, overrides


def _apply_states(body: dict[str, Any], overrides: dict[str, str]) -> None:
    if overrides:
        body.setdefault("state", {}).update(overrides)


def _fresh(draw: st.DrawFn, used: set[int]) -> int:
    value = draw(_IDS)
    while value in used:
        value += 1
    used.add(value)
    return value


@st.composite
def run_dicts(
    draw: st.DrawFn,
    task_keys: list[str],
    *,
    job_id: int = 1,
    odd_states: bool = True,
    max_attempts: int = 3,
    start: int | None = None,
) -> dict[str, Any]:
    """A run as ``jobs/runs/list`` (with ``expand_tasks``) sends it, built from the SDK model.

    Each chosen task key gets 1..``max_attempts`` attempts (retries and repairs), with unique task run
    ids, any ``attempt_number``, any start; when there are repairs, ``repair_history`` lists each attempt
    in exactly one entry (ORIGINAL first). The task list is shuffled. A key the job no longer has
    (``removed_task``) may appear too.
    """
    start = draw(EPOCH_MS) if start is None else start
    ended = draw(st.booleans())
    state, status, overrides = draw(_run_state(odd_states))
    keys = draw(
        st.lists(st.sampled_from([*task_keys, "removed_task"]), unique=True, max_size=len(task_keys) + 1)
    )
    repairs = draw(st.integers(0, 2))
    attempts: list[tuple[jobs.RunTask, int, dict[str, str]]] = []
    used: set[int] = set()
    for key in keys:
        for _ in range(draw(st.integers(1, max_attempts))):
            task_run_id = _fresh(draw, used)
            task_start = start + draw(_OFFSET) if draw(st.booleans()) else None
            task_state, task_status, task_overrides = draw(_run_state(odd_states))
            task = jobs.RunTask(
                task_key=key,
                run_id=task_run_id,
                attempt_number=draw(_ATTEMPT),
                start_time=task_start,
                end_time=(task_start or start) + draw(_OFFSET) if draw(st.booleans()) else None,
                state=task_state,
                status=task_status,
                run_page_url=f"https://example/run/{task_run_id}" if draw(st.booleans()) else None,
            )
            attempts.append((task, draw(st.integers(0, repairs)), task_overrides))
    history = None
    if repairs:
        history = [
            jobs.RepairHistoryItem(
                id=None if rank == 0 else _fresh(draw, used),
                type=jobs.RepairHistoryItemType.ORIGINAL if rank == 0 else jobs.RepairHistoryItemType.REPAIR,
                task_run_ids=[task.run_id for task, task_rank, _ in attempts if task_rank == rank] or None,
            )
            for rank in range(repairs + 1)
        ]
    order = draw(st.permutations(range(len(attempts))))
    run = jobs.BaseRun(
        run_id=_fresh(draw, used),
        job_id=job_id,
        start_time=start,
        end_time=start + draw(_OFFSET) if ended else None,
        state=state,
        status=status,
        run_page_url=f"https://example/jobs/{job_id}/runs" if draw(st.booleans()) else None,
        tasks=[attempts[index][0] for index in order] or None,
        repair_history=history,
        job_parameters=draw(_PARAMETERS),
    )
    body = run.as_dict()
    _apply_states(body, overrides)
    for position, index in enumerate(order):
        _apply_states(body["tasks"][position], attempts[index][2])
    return body


# -- DLT --------------------------------------------------------------------------------------------------


@st.composite
def dlt_update_dicts(
    draw: st.DrawFn, pipeline_id: str = "p", created: int | None = None, iso: bool = True
) -> dict[str, Any]:
    """An update as ``pipelines/{id}/updates`` sends it, state maybe respelled or unknown, and (``iso``)
    ``creation_time`` maybe as an ISO 8601 string (which the decoder also reads)."""
    update = pipelines.UpdateInfo(
        update_id=draw(st.uuids().map(str)),
        pipeline_id=pipeline_id,
        creation_time=draw(EPOCH_MS) if created is None else created,
        state=draw(st.none() | st.sampled_from(list(pipelines.UpdateInfoState))),
    )
    body = update.as_dict()
    if draw(st.booleans()):
        body["state"] = draw(states(pipelines.UpdateInfoState, odd=True))
    if iso and draw(st.booleans()):
        body["creation_time"] = draw(_ISO_TIMES)
    return body


_ISO_TIMES = st.one_of(
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda at: at.isoformat()),
    st.datetimes(timezones=st.just(datetime.timezone.utc)).map(
        lambda at: at.isoformat().replace("+00:00", "Z")
    ),
)


@st.composite
def dlt_pipeline_dicts(draw: st.DrawFn, pipeline_id: str) -> dict[str, Any]:
    """A pipeline as the ``pipelines`` listing (``statuses[]``) sends it."""
    info = pipelines.PipelineStateInfo(
        pipeline_id=pipeline_id,
        name=draw(st.none() | NAMES),
        creator_user_name=draw(st.none() | st.just("ana@example.com")),
        state=draw(st.none() | st.sampled_from(list(pipelines.PipelineState))),
    )
    return info.as_dict()


# -- raw JSON mutations -----------------------------------------------------------------------------------

Path = tuple[Any, ...]


def _paths(value: Any, path: Path = ()) -> list[Path]:
    """Every path into a JSON document, the root included."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*path, index)))
    return found


def _get(doc: Any, path: Path) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "dict"


#: Keys ``core/databricks/decode/`` reads (and their containers), where a wrong shape matters most.
READ_KEYS = frozenset(
    {
        *("job_id", "settings", "name", "description", "creator_user_name", "tags", "tasks", "task_key"),
        *("depends_on", "schedule", "quartz_cron_expression", "timezone_id", "pause_status", "trigger"),
        *("continuous", "max_concurrent_runs", "created_time", "has_more", "pipeline_task", "pipeline_id"),
        *("run_id", "start_time", "end_time", "state", "status", "life_cycle_state", "result_state"),
        *("state_message", "termination_details", "code", "type", "message", "run_page_url"),
        *("attempt_number", "repair_history", "task_run_ids", "job_parameters", "value", "default"),
        *("update_id", "creation_time", "interval", "unit", "url", "table_names", "jobs", "securable_name"),
        *TASK_KINDS,
    }
)

OTHER_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "list": st.lists(JSON_LEAVES, max_size=3),
    "nested list": st.lists(st.lists(JSON_LEAVES, max_size=2), min_size=1, max_size=2),
    "dict": st.dictionaries(st.text(max_size=6), JSON_LEAVES, max_size=3),
    "string": st.one_of(st.text(max_size=8), NUMERIC_TEXT, st.sampled_from(["", "12", "RUNNING", "x.y"])),
    "number": st.one_of(st.integers(), st.floats(), st.sampled_from([0, -1, 2**63, 1.5])),
    "bool": st.booleans(),
    "null": st.none(),
}


@st.composite
def mutation(draw: st.DrawFn, doc: Any) -> tuple[Any, str]:
    """One random edit of ``doc`` (a copy) at a random path; returns the result and what was done.

    Path, edit and new type are picked uniformly (a ``random.Random`` seeded by Hypothesis, so still reproducible: ``sampled_from`` would
    favour the first choice, the root); three edits in four target a key the decoder reads.
    """
    rnd = draw(st.randoms(use_true_random=True))
    doc = copy.deepcopy(doc)
    paths = _paths(doc)
    read = [path for path in paths if path and path[-1] in READ_KEYS]
    path = rnd.choice(read if read and rnd.random() < 0.75 else paths)
    target = _get(doc, path)
    ops = ["replace"]
    if path:
        ops.append("delete")
    if isinstance(target, dict):
        ops.append("add unknown keys")
    if isinstance(target, list):
        ops.append("nest list")
        if target:
            ops.append("unwrap list")
    if _json_type(target) == "number":
        ops.append("number as text")
    op = rnd.choice(ops)
    if op == "replace":
        kind = rnd.choice([kind for kind in OTHER_VALUES if kind != _json_type(target)])
        new: Any = draw(OTHER_VALUES[kind])
        what = f"{list(path)} -> {kind}"
    elif op == "delete":
        parent = _get(doc, path[:-1])
        del parent[path[-1]]
        return doc, f"deleted {list(path)}"
    elif op == "add unknown keys":
        extra = draw(st.dictionaries(UNKNOWN_KEYS, JSON, min_size=1, max_size=3))
        new = {**target, **extra}
        what = f"{list(path)} + unknown keys"
    elif op == "nest list":
        new = [target]
        what = f"{list(path)} nested one level deeper"
    elif op == "unwrap list":
        new = target[0]
        what = f"{list(path)} unwrapped to its first element"
    else:
        new = str(target) if rnd.random() < 0.5 else draw(NUMERIC_TEXT)
        what = f"{list(path)} sent as text {new!r}"
    if not path:
        return new, what
    _get(doc, path[:-1])[path[-1]] = new
    return doc, what


UNKNOWN_KEYS = st.text(min_size=1, max_size=6).map(lambda key: f"zz_{key}")


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[Any], max_edits: int = 3) -> Any:
    """A document from ``base`` with 1..``max_edits`` random edits."""
    doc = draw(base)
    for _ in range(draw(st.integers(1, max_edits))):
        doc, _what = draw(mutation(doc))
    return doc


#: Shape changes applied to every matching node at once (with some probability each): a field sent
#: with another type everywhere, as a different server version or a proxy might do.
RETYPINGS = ("number as text", "list unwrapped", "list nested", "object in a list", "text as number", "null")


@st.composite
def retyped(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> Any:
    """A document from ``base`` with one kind of shape change applied to each matching node with
    probability ``p`` (itself drawn): numbers sent as text (any script's digits), lists unwrapped to
    their first element or nested one level deeper, objects wrapped in a list, text sent as a number,
    values sent as null."""
    doc = draw(base)
    rnd = draw(st.randoms(use_true_random=True))
    how = rnd.choice(RETYPINGS)
    p = rnd.choice([0.1, 0.3, 0.6, 1.0])

    def change(value: Any) -> Any:
        kind = _json_type(value)
        if rnd.random() >= p:
            return value
        if how == "number as text" and kind == "number":
            return str(value) if rnd.random() < 0.5 else draw(NUMERIC_TEXT)
        if how == "list unwrapped" and kind == "list" and value:
            return value[0]
        if how == "list nested" and kind == "list":
            return [value]
        if how == "object in a list" and kind == "dict":
            return [value]
        if how == "text as number" and kind == "string":
            return draw(OTHER_VALUES["number"])
        if how == "null":
            return None
        return value

    def walk(value: Any, root: bool = False) -> Any:
        if isinstance(value, dict):
            value = {key: walk(child) for key, child in value.items()}
        elif isinstance(value, list):
            value = [walk(child) for child in value]
        return value if root else change(value)

    return walk(doc, root=True)
