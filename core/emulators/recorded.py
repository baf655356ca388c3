"""A Databricks workspace read from a JSON file: API responses served exactly as written down.

Why: the generated :class:`core.emulators.workspace.Workspace` produces data from this project's own
assumptions, so it can never show the engine a shape nobody here thought of. A recorded workspace holds
items written from the *documented* API reference (every optional field present), shapes taken from real
workspaces and bug reports, or deliberately malformed items, and the emulator serves them unchanged:

    DatabricksEmulator(RecordedWorkspace.load("tests/data/databricks/notifications-and-triggers.json"))
    dbx-pipeline emulate databricks --recorded tests/data/databricks/notifications-and-triggers.json

Nothing in an item is validated or normalised: a job whose ``settings.tags`` is a list, a run without
``start_time`` or a pipeline without ``pipeline_id`` reaches the client as written, because surviving such
items is what the engine is tested for. Only the file's top-level layout is checked. The emulator keeps
its real semantics on top: ``jobs/list`` pages (and strips ``settings.tasks``/``job_clusters`` without
``expand_tasks``), Jobs API 2.2 pages ``tasks``, ``job_clusters``, ``parameters``, ``job_parameters``,
``repair_history``... at 100 elements in ``jobs/get`` and ``jobs/runs/get`` (and flags ``has_more`` in
listings), ``runs/list`` filters by ``job_id``, ``start_time_from``/``start_time_to``,
``active_only``/``completed_only`` and answers newest first, ``pipelines`` pages by ``pipeline_id``.

File format (one JSON object; every key but ``jobs`` optional)::

    {"description": "what this file covers",
     "source": "which reference page or shape it follows",
     "now_ms": 1795000900000,           # a fixed clock for lookback windows (tests pass it to the engine)
     "workspace_id": "1234567890123456", # what /.well-known/databricks-config reports (links get ?o=)
     "jobs": [ <jobs/get response objects: job_id, creator_user_name, created_time, settings{...}> ],
     "runs": {"<job_id>": [ <runs/get response objects, tasks included> ]},
     "pipelines": [ <GET /api/2.0/pipelines list items (statuses[])> ],
     "updates": {"<pipeline_id>": [ <pipelines/{id}/updates items> ]},
     "lineage": [ {"entity_type": "JOB", "entity_id": "1",
                   "source_table_full_name": "main.raw.orders", "target_table_full_name": "main.silver.orders",
                   "event_time": "2026-11-17T10:00:00.000Z"} ]}

Where the emulator's own routing needs a field, its absence is tolerated:

- a job without a usable ``job_id`` (or with one already taken) is served only in ``jobs/list``; ``jobs/get``
  can never reach it;
- runs are found by ``run_id`` for ``runs/get``; one without a usable ``start_time`` sorts as the newest
  and passes every ``start_time_from`` filter (so the client sees it and must cope); one with neither
  ``state.life_cycle_state`` nor ``status.state`` matches neither ``active_only`` nor ``completed_only``;
- updates are served newest first by ``creation_time`` (epoch ms or ISO text); unreadable times first;
- a pipeline without ``pipeline_id`` is served only in the listing.

Lineage rows are rows of ``system.access.table_lineage`` (answered through the SQL Statement Execution
API), not API items: ``entity_type`` defaults to ``JOB`` and ``event_time`` to the time the file was
loaded, so rows without a time are always inside the engine's lookback window.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.databricks.decode import as_int
from core.emulators.workspace import RunRef

__all__ = ["RecordedWorkspace"]

#: ``start_time`` given to the :class:`RunRef` of a run whose start cannot be read: newer than any real run.
UNKNOWN_START = 2**62
_DEFAULT_USER = "ingest@example.com"


def _epoch_ms(value: object) -> int | None:
    """Epoch ms from a number, a numeric string or ISO-8601 text (``2024-01-01T03:00:00.000Z``)."""
    number = as_int(value)
    if number is not None:
        return number
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return int(parsed.timestamp() * 1000)
    return None


def _iso(ms: int) -> str:
    stamp = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms % 1000:03d}Z"


def _get(item: object, *keys: str) -> object:
    """``item[k1][k2]...`` or None as soon as a level is not an object."""
    for key in keys:
        if not isinstance(item, dict):
            return None
        item = item.get(key)
    return item


def _life_cycle_state(run: object) -> str | None:
    """The legacy ``state.life_cycle_state``, else the newer ``status.state`` (for the list filters)."""
    for value in (_get(run, "state", "life_cycle_state"), _get(run, "status", "state")):
        if isinstance(value, str):
            return value.strip().upper()
    return None


class RecordedWorkspace:
    """The workspace interface :class:`~core.emulators.databricks.DatabricksEmulator` uses, over recorded JSON.

    Every accessor returns deep copies, so the emulator may slice and strip what it serves.

    Raises:
        ValueError: from :meth:`load` or the constructor, when the file's top-level layout is wrong
            (never for the content of an item).
    """

    def __init__(self, data: dict[str, Any], *, name: str = "recorded workspace") -> None:
        """Index a recorded workspace's jobs by routing key.

        Args:
            data: the parsed file (layout in the module docstring).
            name: what error messages call it, e.g. the file's path.

        Raises:
            ValueError: the top level is no object, a section has the wrong type, or ``now_ms`` is not
                epoch milliseconds.
        """
        if not isinstance(data, dict):
            raise ValueError(f"{name}: expected a JSON object at the top level")
        self.name = name
        self.description = str(data.get("description") or "")
        self.source = str(data.get("source") or "")
        self._jobs: list[Any] = _list_of(data, "jobs", name)
        self._runs: dict[str, list[Any]] = _map_of_lists(data, "runs", name)
        self._pipelines: list[Any] = _list_of(data, "pipelines", name)
        self._updates: dict[str, list[Any]] = _map_of_lists(data, "updates", name)
        self._lineage: list[Any] = _list_of(data, "lineage", name)
        now_ms = data.get("now_ms")
        fixed_ms = as_int(now_ms)
        if now_ms is not None and fixed_ms is None:
            raise ValueError(f"{name}: now_ms must be epoch milliseconds, got {now_ms!r}")
        self.loaded_ms = int(time.time() * 1000)
        #: the file's fixed clock (``now_ms``), else the time the file was loaded
        self.now_ms: int = fixed_ms if fixed_ms is not None else self.loaded_ms
        workspace_id = data.get("workspace_id")
        self.workspace_id: str | None = None if workspace_id in (None, "") else str(workspace_id)
        self._bound_host: str | None = None
        self._lock = threading.Lock()
        self._deleted: set[int | str] = set()
        self._removed_tasks: dict[int | str, set[str]] = {}
        self._keys: list[int | str] = []  # one routing key per recorded job, in file order
        self._index: dict[int | str, int] = {}
        for position, job in enumerate(self._jobs):
            job_id = as_int(_get(job, "job_id"))
            key: int | str = (
                job_id if job_id is not None and job_id not in self._index else f"recorded#{position}"
            )
            self._keys.append(key)
            self._index[key] = position

    @classmethod
    def load(cls, path: str | Path) -> RecordedWorkspace:
        """Read a recorded workspace file (format in the module docstring).

        Raises:
            ValueError: when the file is not JSON or its top-level layout is wrong.
            OSError: when it cannot be read.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON ({err})") from None
        return cls(data, name=str(path))

    # -- identity -----------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The emulator's URL once bound (recorded items keep the links they were recorded with)."""
        return self._bound_host or "https://recorded.cloud.databricks.com"

    def bind_host(self, url: str) -> None:
        """Remember the emulator's URL; recorded items are not rewritten."""
        self._bound_host = url.rstrip("/")

    def user_emails(self) -> list[str]:
        """Distinct creators and run-as users that look like e-mails, in file order (never empty)."""
        seen: dict[str, None] = {}
        for item in [*self._jobs, *self._pipelines]:
            for key in ("creator_user_name", "run_as_user_name"):
                value = _get(item, key)
                if isinstance(value, str) and "@" in value:
                    seen.setdefault(value.strip(), None)
        return list(seen) or [_DEFAULT_USER]

    # -- jobs ---------------------------------------------------------------------------------------

    @property
    def job_count(self) -> int:
        """Recorded jobs not deleted."""
        with self._lock:
            return len(self._keys) - len(self._deleted)

    def job_ids(self) -> Iterator[int | str]:
        """Routing keys of the jobs in file order: the ``job_id``, or ``recorded#<n>`` for one without."""
        with self._lock:
            deleted = frozenset(self._deleted)
        return iter([key for key in self._keys if key not in deleted])

    def _job(self, job_id: object) -> tuple[int | str, Any] | None:
        recorded = isinstance(job_id, str) and job_id.startswith("recorded#")
        key: int | str | None = job_id if isinstance(job_id, str) and recorded else as_int(job_id)
        if key is None or key not in self._index:
            return None
        with self._lock:
            if key in self._deleted:
                return None
        return key, self._jobs[self._index[key]]

    def job_name(self, job_id: object) -> str | None:
        """``settings.name`` when it is text."""
        found = self._job(job_id)
        name = _get(found[1], "settings", "name") if found else None
        return name if isinstance(name, str) else None

    def job_by_id(self, job_id: object, with_tasks: bool = True) -> Any:
        """A copy of the recorded job (tasks kept: the emulator strips them without ``expand_tasks``)."""
        found = self._job(job_id)
        if found is None:
            return None
        key, job = found
        job = copy.deepcopy(job)
        with self._lock:
            removed = frozenset(self._removed_tasks.get(key, ()))
        tasks = _get(job, "settings", "tasks")
        if removed and isinstance(tasks, list):
            job["settings"]["tasks"] = [t for t in tasks if _get(t, "task_key") not in removed]
        return job

    def delete_job(self, job_id: object) -> None:
        """Delete a job: ``jobs/get`` then answers "does not exist" and its runs are gone."""
        found = self._job(job_id)
        if found is not None:
            with self._lock:
                self._deleted.add(found[0])

    def remove_task(self, job_id: object, task_key: str) -> None:
        """Remove a task from the job's settings; recorded runs keep mentioning it."""
        found = self._job(job_id)
        if found is not None:
            with self._lock:
                self._removed_tasks.setdefault(found[0], set()).add(task_key)

    # -- runs ---------------------------------------------------------------------------------------

    def _runs_of(self, job_id: object) -> list[Any]:
        found = self._job(job_id)
        if found is None:
            return []
        return self._runs.get(str(found[0]), [])

    def runs(self, job_id: object) -> list[Any]:
        """Copies of a job's recorded runs in file order (a :class:`RunRef`'s ``ordinal`` indexes this)."""
        return copy.deepcopy(self._runs_of(job_id))

    def run_refs(self, job_id: int | None = None) -> list[RunRef]:
        """References to the runs of one job (or of every job), newest first."""
        keys = list(self.job_ids()) if job_id is None else [job_id]
        refs: list[RunRef] = []
        for key in keys:
            found = self._job(key)
            if found is None:
                continue
            for ordinal, run in enumerate(self._runs.get(str(found[0]), [])):
                start = as_int(_get(run, "start_time"))
                refs.append(
                    RunRef(
                        job_id=found[0],
                        ordinal=ordinal,
                        run_id=as_int(_get(run, "run_id")) or -1,
                        start_time=start if start is not None and start > 0 else UNKNOWN_START,
                        life_cycle_state=_life_cycle_state(run),
                    )
                )
        refs.sort(key=lambda ref: (-ref.start_time, -ref.run_id))  # stable: file order breaks ties
        return refs

    def run_by_id(self, run_id: object) -> Any:
        """A copy of the first recorded run of a live job with this ``run_id``, or None."""
        wanted = as_int(run_id)
        if wanted is None:
            return None
        for key in self.job_ids():
            for run in self._runs.get(str(key), []):
                if as_int(_get(run, "run_id")) == wanted:
                    return copy.deepcopy(run)
        return None

    # -- pipelines ----------------------------------------------------------------------------------

    def pipeline_ids(self) -> list[str]:
        """The ``pipeline_id`` of every recorded pipeline that has one, in file order."""
        return [
            str(pid) for pid in (_get(p, "pipeline_id") for p in self._pipelines) if pid not in (None, "")
        ]

    def pipelines(self) -> list[Any]:
        """Copies of the recorded listing items (the emulator sorts and pages them)."""
        return copy.deepcopy(self._pipelines)

    def pipeline(self, pipeline_id: str) -> Any:
        """The recorded listing item of this pipeline (there is no separate detail view), or None."""
        for item in self._pipelines:
            pid = _get(item, "pipeline_id")
            if pid not in (None, "") and str(pid) == pipeline_id:
                return copy.deepcopy(item)
        return None

    def pipeline_updates(self, pipeline_id: str) -> list[Any] | None:
        """Copies of the pipeline's updates, newest first; None for a pipeline not recorded."""
        if pipeline_id not in self.pipeline_ids():
            return None
        updates = list(self._updates.get(pipeline_id, []))

        def newest_first(update: Any) -> int:
            created = _epoch_ms(_get(update, "creation_time"))
            return -(created if created is not None else UNKNOWN_START)

        return copy.deepcopy(sorted(updates, key=newest_first))

    # -- lineage ------------------------------------------------------------------------------------

    def _lineage_rows(self) -> list[dict[str, Any]]:
        rows = []
        for raw in self._lineage:
            if not isinstance(raw, dict):
                continue
            row = dict(raw)
            row["entity_type"] = str(row.get("entity_type") or "JOB")
            row["entity_id"] = str(row.get("entity_id") or "")
            row.setdefault("source_table_full_name", None)
            row.setdefault("target_table_full_name", None)
            seen = _epoch_ms(row.get("event_time"))
            row["event_time"] = _iso(seen if seen is not None else self.loaded_ms)
            row.setdefault("event_date", row["event_time"][:10])
            rows.append(row)
        return rows

    def lineage_rows(self, job_or_pipeline_ids: Iterable[str], since_date: str) -> list[dict[str, Any]]:
        """Recorded ``system.access.table_lineage`` rows of these entities with ``event_date >= since_date``."""
        wanted = {str(entity) for entity in job_or_pipeline_ids}
        return [
            row
            for row in self._lineage_rows()
            if row["entity_id"] in wanted and str(row["event_date"]) >= since_date
        ]

    def table_full_names(self) -> Iterator[str]:
        """Every distinct table named in the lineage rows (for seeding an OpenMetadata emulator)."""
        seen: dict[str, None] = {}
        for row in self._lineage_rows():
            for key in ("source_table_full_name", "target_table_full_name"):
                if isinstance(row[key], str) and row[key]:
                    seen.setdefault(row[key], None)
        return iter(list(seen))


def _list_of(data: dict[str, Any], key: str, name: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{name}: {key} must be a list")
    return value


def _map_of_lists(data: dict[str, Any], key: str, name: str) -> dict[str, list[Any]]:
    value = data.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise ValueError(f'{name}: {key} must be an object of lists ({{"<id>": [...]}})')
    return {str(k): v for k, v in value.items()}
