"""Generation of Lakeflow (DLT) pipelines and their updates (Pipelines API shapes)."""

from __future__ import annotations

import random
from typing import Any

from core.emulators.workspace.base import WorkspaceBase
from core.emulators.workspace.spec import DAY_MS, USER_POOL
from core.emulators.workspace.vocabulary import DOMAINS, iso_time, new_cluster_id, uuid4_from


class PipelineGenerator(WorkspaceBase):
    """Builds pipelines, their state and updates from ``(seed, pipeline index)``."""

    def _pipeline_rng(self, p: int) -> random.Random:
        return random.Random(f"{self.spec.seed}:pipeline:{p}:detail")

    def _pipeline_base(self, p: int) -> tuple[random.Random, dict[str, Any]]:
        rng = self._pipeline_rng(p)
        domain = rng.choice(DOMAINS)
        layer = rng.choice(("bronze", "silver", "gold"))
        creator = rng.choice(USER_POOL)
        base = {
            "pipeline_id": self._pipeline_ids[p],
            "name": f"dlt-{domain}-{layer}-{p + 1:04d}",
            "creator_user_name": creator,
            "run_as_user_name": creator,
            "_domain": domain,
            "_layer": layer,
            "_serverless": rng.random() < 0.6,
        }
        return rng, base

    def _pipeline_updates(self, p: int) -> list[dict[str, Any]]:
        """Updates newest first; the newest may still be running, older ones are finished."""
        rng = random.Random(f"{self.spec.seed}:pipeline:{p}:updates")
        count = rng.randint(4, 10)
        window_s = max(self.spec.lookback_days_spread, 7) * 86_400
        offsets = sorted(rng.sample(range(600, window_s), count))
        active_states = (
            "RUNNING",
            "WAITING_FOR_RESOURCES",
            "INITIALIZING",
            "SETTING_UP_TABLES",
            "QUEUED",
            "CREATED",
            "STOPPING",
            "RESETTING",
        )
        updates = []
        for i, offset in enumerate(offsets):
            if i == 0 and p % 3 == 1:
                state = active_states[(p // 3) % len(active_states)]
                offset = rng.randint(30, 599)
            else:
                state = rng.choices(("COMPLETED", "FAILED", "CANCELED"), weights=(80, 14, 6))[0]
            updates.append(
                {
                    "pipeline_id": self._pipeline_ids[p],
                    "update_id": uuid4_from(rng),
                    "state": state,
                    "cause": rng.choice(
                        (
                            "JOB_TASK",
                            "JOB_TASK",
                            "API_CALL",
                            "USER_ACTION",
                            "RETRY_ON_FAILURE",
                            "SCHEMA_CHANGE",
                            "SERVICE_UPGRADE",
                            "INFRASTRUCTURE_MAINTENANCE",
                        )
                    ),
                    "creation_time": self.now_ms - offset * 1000,
                    "full_refresh": rng.random() < 0.1,
                    "validate_only": False,
                }
            )
        return updates

    def _pipeline_state_info(self, p: int) -> dict[str, Any]:
        _, base = self._pipeline_base(p)
        updates = self._pipeline_updates(p)
        newest = updates[0]["state"]
        state = {
            "COMPLETED": "IDLE",
            "CANCELED": "IDLE",
            "FAILED": "FAILED",
            "QUEUED": "STARTING",
            "CREATED": "STARTING",
            "WAITING_FOR_RESOURCES": "DEPLOYING",
            "INITIALIZING": "DEPLOYING",
            "SETTING_UP_TABLES": "RUNNING",
            "RUNNING": "RUNNING",
            "STOPPING": "STOPPING",
            "RESETTING": "RESETTING",
        }[newest]
        if state == "FAILED" and p % 5 == 4:
            state = "RECOVERING"
        finished = [u for u in updates if u["state"] in ("COMPLETED", "FAILED", "CANCELED")]
        health = "UNHEALTHY" if finished and finished[0]["state"] == "FAILED" else "HEALTHY"
        info = {k: v for k, v in base.items() if not k.startswith("_")}
        info.update(
            state=state,
            health=health,
            latest_updates=[
                {
                    "update_id": u["update_id"],
                    "state": u["state"],
                    "creation_time": iso_time(u["creation_time"]),
                }
                for u in updates[:3]
            ],
        )
        if not base["_serverless"] and state in ("RUNNING", "DEPLOYING", "STOPPING", "RESETTING"):
            info["cluster_id"] = new_cluster_id(random.Random(info["pipeline_id"]), self.now_ms)
        return info

    def _pipeline_detail(self, p: int) -> dict[str, Any]:
        rng, base = self._pipeline_base(p)
        detail = self._pipeline_state_info(p)
        domain, layer = base["_domain"], base["_layer"]
        legacy_hive = rng.random() < 0.15
        spec: dict[str, Any] = {
            "id": detail["pipeline_id"],
            "name": detail["name"],
            "continuous": rng.random() < 0.1,
            "development": rng.random() < 0.2,
            "serverless": base["_serverless"],
            "photon": True,
            "channel": rng.choice(("CURRENT", "CURRENT", "PREVIEW")),
            "edition": rng.choice(("ADVANCED", "PRO", "CORE")),
            "configuration": {
                "source_path": f"s3://acme-landing/{domain}/",
                "pipelines.trigger.interval": "1 hour",
            },
            "libraries": [
                {"notebook": {"path": f"/Repos/{base['creator_user_name']}/dlt/{domain}_{layer}"}},
                {"file": {"path": f"/Workspace/Shared/dlt/{domain}/expectations.sql"}},
            ],
        }
        if legacy_hive:
            spec.update(target=f"{domain}_{layer}", storage=f"dbfs:/pipelines/{detail['pipeline_id']}")
        else:
            spec.update(catalog="main", schema=f"{domain}_dlt")
        if not base["_serverless"]:
            spec["clusters"] = [{"label": "default", "num_workers": rng.choice((1, 2, 4))}]
        detail.update(
            spec=spec,
            run_as={"user_name": base["run_as_user_name"]},
            last_modified=self.now_ms - rng.randint(1, 60) * DAY_MS,
            cause="JOB_TASK",
        )
        return detail
