"""Run by an Airflow virtualenv's python: the next runs Airflow schedules for each generated DAG, as JSON.

``python probe_next_runs.py CASES.json OUT.json``. CASES.json is a list of ``{"id", "folder", "after",
"earliest", "count"}``: ``folder`` holds one generated DAG, ``after`` and ``earliest`` are UTC ISO times.
Each DAG is loaded with DagBag and its own timetable (on 3.x the scheduler's form of it, as
``coerce_to_core_timetable`` makes it) is asked, through ``next_dagrun_info`` (``next_dagrun_info_v2`` where
it exists), for its runs one after the other, from ``earliest`` with catch-up (the DAG's own
``catchup=False`` would start from the real current time); the first ``count`` with ``run_after`` later than
``after`` are reported, in UTC. ``earliest`` lies before ``after`` so a data-interval timetable (2.x), whose
first run ends the first interval starting at or after ``earliest``, reaches the first run after ``after``.
No database is needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MAX_STEPS = 20_000


def core_timetable(dag):
    """The timetable the scheduler uses: on 3.x the DAG holds the Task SDK's, turned into core's here."""
    try:
        from airflow.serialization.encoders import coerce_to_core_timetable
    except ImportError:  # 2.x: the DAG's timetable is core's
        return dag.timetable
    return coerce_to_core_timetable(dag.timetable)


def runs(timetable, *, after, earliest, count: int) -> list[str]:
    from airflow.timetables.base import TimeRestriction

    restriction = TimeRestriction(earliest=earliest, latest=None, catchup=True)
    found: list[str] = []
    info = None
    for _ in range(MAX_STEPS):
        if hasattr(timetable, "next_dagrun_info_v2"):
            info = timetable.next_dagrun_info_v2(last_dagrun_info=info, restriction=restriction)
        else:
            last = info.data_interval if info is not None else None
            info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            break
        if info.run_after > after:
            found.append(info.run_after.in_timezone("UTC").isoformat())
            if len(found) == count:
                break
    return found


def main() -> None:
    cases_path, out = Path(sys.argv[1]), Path(sys.argv[2])
    import airflow
    import pendulum

    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag

    report = {"airflow": airflow.__version__, "cases": {}}
    for case in json.loads(cases_path.read_text()):
        bag = DagBag(dag_folder=case["folder"])
        entry = {"import_errors": {str(k): v for k, v in bag.import_errors.items()}}
        if len(bag.dags) == 1:
            (dag,) = bag.dags.values()
            timetable = core_timetable(dag)
            zone = getattr(timetable, "_timezone", None)
            entry.update(
                timetable=type(timetable).__name__,
                expression=getattr(timetable, "_expression", None),
                timezone=str(getattr(zone, "name", zone)),
                runs=runs(
                    timetable,
                    after=pendulum.parse(case["after"]),
                    earliest=pendulum.parse(case["earliest"]),
                    count=case["count"],
                ),
            )
        report["cases"][case["id"]] = entry
    out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
