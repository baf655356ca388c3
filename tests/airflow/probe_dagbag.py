"""Run by an Airflow virtualenv's python: parse each DAG folder with DagBag and report as JSON.

``python probe_dagbag.py OUT.json FOLDER...``. No database is needed. Each folder is put on ``sys.path``
first, as Airflow does with the dags folder (2.x at start-up, 3.x for each bundle it parses), so a DAG of
the user's can import the user's own packages from it. Works on Airflow 2.x
(``airflow.models.dagbag``) and 3.x (``airflow.dag_processing.dagbag``, which no longer takes
``include_examples``: examples are switched off with AIRFLOW__CORE__LOAD_EXAMPLES=False).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def describe(dag) -> dict:
    timetable = dag.timetable
    expression = getattr(timetable, "expression", None) or getattr(timetable, "_expression", None)
    if not dag.tasks:  # a DAG of the user's, next to the bundle
        return {"tasks": [], "doc_md": dag.doc_md}
    task = dag.tasks[0]
    if type(task).__name__ == "MappedOperator":  # several workspaces: one task mapped over their YAMLs
        return describe_mapped(dag, task)
    return {
        "tasks": [t.task_id for t in dag.tasks],
        "task_type": type(task).__name__,
        "timetable": type(timetable).__name__,
        "expression": expression,
        "timezone": str(getattr(dag.timezone, "name", dag.timezone)),
        "catchup": dag.catchup,
        "start_date": dag.start_date.isoformat() if dag.start_date else None,
        "max_active_runs": dag.max_active_runs,
        "tags": sorted(dag.tags),
        "owner": task.owner,
        "retries": task.retries,
        "retry_delay_s": task.retry_delay.total_seconds(),
        "execution_timeout_s": task.execution_timeout.total_seconds() if task.execution_timeout else None,
        "email": list(task.email or []) if isinstance(task.email, list) else task.email,
        "email_on_failure": task.email_on_failure,
        "doc_md": dag.doc_md,
        "requirements": list(getattr(task, "requirements", []) or []),
        "system_site_packages": getattr(task, "system_site_packages", None),
        "pip_install_options": list(getattr(task, "pip_install_options", None) or []),
        "venv_cache_path": str(getattr(task, "venv_cache_path", None) or "") or None,
        "python": str(getattr(task, "python", "") or "") or None,
        "expect_airflow": getattr(task, "expect_airflow", None),
        "op_kwargs": {key: str(value) for key, value in (getattr(task, "op_kwargs", None) or {}).items()},
        "deadline": [
            f"{alert.interval.total_seconds():.0f}s {alert.callback.path.rsplit('.', 1)[-1]}"
            for alert in (
                dag.deadline
                if isinstance(getattr(dag, "deadline", None), list)
                else [dag.deadline]
                if getattr(dag, "deadline", None)
                else []
            )
        ],
        "outlets": [f"{type(outlet).__name__}:{outlet.uri}" for outlet in task.outlets],
        "on_failure_callback": [
            getattr(callback, "__name__", str(callback))
            for callback in (
                task.on_failure_callback
                if isinstance(task.on_failure_callback, list)
                else [task.on_failure_callback]
                if task.on_failure_callback
                else []
            )
        ],
    }


def describe_mapped(dag, task) -> dict:
    expand = task.expand_input.value
    callbacks = getattr(task, "on_failure_callback", None) or task.partial_kwargs.get("on_failure_callback")
    return {
        "tasks": [t.task_id for t in dag.tasks],
        "task_type": "MappedOperator",
        "operator_class": getattr(task.operator_class, "__name__", str(task.operator_class)),
        "expand_keys": sorted(expand),
        "map_over": [Path(kwargs["workflow_path"]).name for kwargs in expand["op_kwargs"]],
        "mapped_dag_ids": sorted({kwargs["dag_id"] for kwargs in expand["op_kwargs"]}),
        "requirements": [str(item) for item in task.partial_kwargs.get("requirements") or []],
        "outlets": [f"{type(outlet).__name__}:{outlet.uri}" for outlet in task.outlets],
        "on_failure_callback": [
            getattr(callback, "__name__", str(callback))
            for callback in (callbacks if isinstance(callbacks, list) else [callbacks] if callbacks else [])
        ],
        "doc_md": dag.doc_md,
    }


def main() -> None:
    out, folders = Path(sys.argv[1]), sys.argv[2:]
    started = time.perf_counter()
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag
    import airflow

    report = {"airflow": airflow.__version__, "import_s": time.perf_counter() - started, "folders": {}}
    for folder in folders:
        before = {name.partition(".")[0] for name in sys.modules}
        sys.path.append(folder)
        begin = time.perf_counter()
        bag = DagBag(dag_folder=folder)
        seconds = time.perf_counter() - begin
        sys.path.remove(folder)
        report["folders"][folder] = {
            "parse_s": seconds,
            # top-level packages first imported while parsing this folder (the DAG module itself included)
            "new_packages": sorted({name.partition(".")[0] for name in sys.modules} - before),
            "import_errors": {str(k): v for k, v in bag.import_errors.items()},
            "dags": {dag_id: describe(dag) for dag_id, dag in bag.dags.items()},
            # modules imported from this folder's own files (a user's packages next to the DAGs)
            "modules_from_folder": sorted(
                name
                for name, module in list(sys.modules.items())
                if str(getattr(module, "__file__", None) or "").startswith(str(Path(folder).resolve()) + "/")
            ),
        }
    out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
