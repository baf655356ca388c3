"""Generation of job runs and task runs (Jobs API 2.2 ``runs/get`` shape) from a per-job run plan."""

from __future__ import annotations

import copy
import random
from typing import Any

from core.emulators.workspace.jobs import JobGenerator
from core.emulators.workspace.outcomes import (
    ACTIVE_SCENARIOS,
    FAILURE_CODES,
    OUTCOMES,
    TERMINAL_SCENARIOS,
    WEIGHTED_NAMES,
    WEIGHTED_WEIGHTS,
    draw_task_outcomes,
    legacy_state,
    run_status,
    run_timeline,
    run_trigger,
    with_earlier_attempts,
)
from core.emulators.workspace.spec import JOB_ID_BASE, RUN_ID_BASE, RUN_STRIDE_JOB, RUN_STRIDE_RUN, RunRef
from core.emulators.workspace.vocabulary import CLUSTER_KINDS, iso_date, new_cluster_id, removed_task


class RunGenerator(JobGenerator):
    """Builds a job's runs, newest first, with ids that decode back to (job, ordinal)."""

    def _runs_rng(self, index: int) -> random.Random:
        return random.Random(f"{self.spec.seed}:{index}:runs")

    def _run_plan(self, index: int, rng: random.Random) -> list[tuple[int, str]]:
        """(start_time, scenario) of each run, newest first: the cheap first draws of the run RNG.

        Active scenarios only ever hit the newest run (older runs of a job are over). Every state is
        forced onto a deterministic share of runs so a few dozen jobs cover all of them.
        """
        n = self.spec.runs
        if n == 0:
            return []
        window_s = self.spec.lookback_days_spread * 86_400
        offsets = sorted(rng.sample(range(900, window_s), min(n, window_s - 900)))
        active = index % 4 == 1
        if active:
            offsets[0] = rng.randint(30, 899)
        plan = []
        for ordinal, offset in enumerate(offsets):
            global_ordinal = index * n + ordinal
            if ordinal == 0 and active:
                scenario = ACTIVE_SCENARIOS[(index // 4) % len(ACTIVE_SCENARIOS)]
            elif global_ordinal % 7 == 3:
                scenario = TERMINAL_SCENARIOS[(global_ordinal // 7) % len(TERMINAL_SCENARIOS)]
            else:
                scenario = rng.choices(WEIGHTED_NAMES, weights=WEIGHTED_WEIGHTS)[0]
            plan.append((self.now_ms - offset * 1000 - rng.randrange(1000), scenario))
        return plan

    def _run_refs(self, index: int) -> list[RunRef]:
        plan = self._run_plan(index, self._runs_rng(index))
        job_id = JOB_ID_BASE + index
        return [
            RunRef(job_id, o, self._run_id(index, o), start, OUTCOMES[s].life)
            for o, (start, s) in enumerate(plan)
        ]

    def _run_id(self, index: int, ordinal: int) -> int:
        return RUN_ID_BASE + index * RUN_STRIDE_JOB + ordinal * RUN_STRIDE_RUN

    def _decode_run_id(self, run_id: Any) -> tuple[int, int] | None:
        try:
            offset = int(run_id) - RUN_ID_BASE
        except (TypeError, ValueError):
            return None
        index, rest = divmod(offset, RUN_STRIDE_JOB)
        ordinal, task_part = divmod(rest, RUN_STRIDE_RUN)
        if offset < 0 or task_part or not 0 <= index < self.spec.jobs or ordinal >= self.spec.runs:
            return None
        return index, ordinal

    def _build_runs(self, index: int) -> list[dict[str, Any]]:
        rng = self._runs_rng(index)
        plan = self._run_plan(index, rng)
        job = self._build_job(index)  # runs reference the tasks as they were, ignoring later removals
        return [
            self._build_run(rng, index, job, ordinal, start, scenario)
            for ordinal, (start, scenario) in enumerate(plan)
        ]

    def _build_run(
        self, rng: random.Random, index: int, job: dict[str, Any], ordinal: int, start: int, scenario: str
    ) -> dict[str, Any]:
        settings = job["settings"]
        tasks = copy.deepcopy(settings["tasks"])
        outcome = OUTCOMES[scenario]
        if (
            self.spec.stale_task_runs
            and index % 10 == 7
            and ordinal == self.spec.runs - 1
            and outcome.terminal
        ):
            tasks.append(removed_task(tasks))
        task_outcomes = draw_task_outcomes(rng, scenario, tasks)
        if scenario == "SUCCESS_WITH_FAILURES" and "FAILED" not in task_outcomes:
            scenario, outcome = "FAILED", OUTCOMES["FAILED"]  # degenerate one-task DAG
            task_outcomes = ["FAILED"] * len(tasks)
        run_id = self._run_id(index, ordinal)
        timeline = run_timeline(rng, tasks, task_outcomes, start, self.now_ms)
        task_runs = [
            self._task_run(rng, job["job_id"], run_id, i, t, task_outcomes[i], timeline[i])
            for i, t in enumerate(tasks)
        ]
        task_runs = with_earlier_attempts(
            random.Random(f"{self.spec.seed}:attempts:{run_id}"), task_runs, self._run_page_url, job["job_id"]
        )
        run: dict[str, Any] = {
            "job_id": job["job_id"],
            "run_id": run_id,
            "number_in_job": run_id,
            "original_attempt_run_id": run_id,
            "creator_user_name": job["creator_user_name"],
            "run_name": settings["name"],
            "run_type": "JOB_RUN",
            "trigger": run_trigger(rng, settings, scenario),
            "attempt_number": 0,
            "format": "MULTI_TASK",
            "start_time": start,
            "setup_duration": 0,
            "execution_duration": 0,
            "cleanup_duration": 0,
            "run_page_url": self._run_page_url(job["job_id"], run_id),
            "state": legacy_state(outcome, scenario),
            "status": run_status(outcome),
            "tasks": task_runs,
        }
        ends = [t.get("end_time", 0) for t in task_runs]
        if outcome.terminal:
            run["end_time"] = max([start, *ends]) + rng.randint(1000, 20000)
            run["end_time"] = min(run["end_time"], self.now_ms)
            run["run_duration"] = run["end_time"] - start
        else:
            run["end_time"] = 0
        run["queue_duration"] = (self.now_ms - start) if scenario == "QUEUED" else rng.choice((0, 0, 1200))
        if "job_clusters" in settings:
            run["job_clusters"] = copy.deepcopy(settings["job_clusters"])
        if "parameters" in settings:
            run["job_parameters"] = [
                {**p, "value": p["default"] or iso_date(start)} for p in settings["parameters"]
            ]
        if run["trigger"] == "PERIODIC" and "schedule" in settings:
            run["schedule"] = dict(settings["schedule"])
        return run

    def _task_run(
        self,
        rng: random.Random,
        job_id: int,
        run_id: int,
        position: int,
        task: dict[str, Any],
        outcome_key: str,
        times: tuple[int, int],
    ) -> dict[str, Any]:
        outcome = OUTCOMES[outcome_key]
        task_run_id = run_id + 1 + position
        start, end = times
        task_run = dict(task)
        task_run.update(
            run_id=task_run_id,
            attempt_number=task.get("max_retries", 0)
            if outcome_key == "FAILED" and rng.random() < 0.5
            else 0,
            start_time=start,
            end_time=end,
            setup_duration=0,
            execution_duration=max(0, end - start) if end else 0,
            cleanup_duration=0,
            run_page_url=self._run_page_url(job_id, task_run_id),
            state=legacy_state(outcome, outcome_key),
            status=run_status(outcome),
        )
        if end:
            task_run["run_duration"] = end - start
        if outcome_key == "FAILED":
            code, kind, message = rng.choice(FAILURE_CODES)
            task_run["state"]["state_message"] = message
            task_run["status"]["termination_details"] = {"code": code, "type": kind, "message": message}
        if start and any(k in task for k in CLUSTER_KINDS):
            task_run["cluster_instance"] = {
                "cluster_id": new_cluster_id(rng, start),
                "spark_context_id": str(rng.getrandbits(62)),
            }
        return task_run

    def _run_page_url(self, job_id: int, run_id: int) -> str:
        return f"{self.host}/?o={self.workspace_id}#job/{job_id}/run/{run_id}"
