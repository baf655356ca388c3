"""Generation of ``system.access.table_lineage`` rows for jobs and pipelines."""

from __future__ import annotations

import random
from typing import Any

from core.emulators.workspace.dlt import PipelineGenerator
from core.emulators.workspace.spec import DAY_MS, JOB_ID_BASE
from core.emulators.workspace.vocabulary import AGGREGATES, ENTITIES, REFERENCE_TABLES, iso_date, iso_time


class LineageGenerator(PipelineGenerator):
    """Builds table lineage rows per job or pipeline."""

    def _entity_lineage(self, entity_id: str) -> list[dict[str, Any]]:
        if entity_id in self._pipeline_index:
            return self._pipeline_lineage(self._pipeline_index[entity_id])
        try:
            index = int(entity_id) - JOB_ID_BASE
        except ValueError:
            return []
        return self._job_lineage(index) if 0 <= index < self.spec.jobs else []

    def _lineage_rng(self, index: int) -> random.Random:
        return random.Random(f"{self.spec.seed}:{index}:lineage")

    def _job_entity(self, index: int) -> str:
        return self._lineage_rng(index).choice(ENTITIES)

    def _job_lineage(self, index: int) -> list[dict[str, Any]]:
        """1-3 read/write edges per job, some pure reads, some reading another job's output."""
        rng = self._lineage_rng(index)
        entity = rng.choice(ENTITIES)
        n = f"{index:04d}"
        silver = f"main.silver.{entity}_{n}"
        edges: list[tuple[str, str | None]] = [(f"main.bronze.raw_{entity}_{n}", silver)]
        gold = f"main.gold.{entity}_{rng.choice(AGGREGATES)}_{n}"
        if rng.random() < 0.5:
            edges.append((silver, gold))
        if rng.random() < 0.3:
            edges.append((rng.choice(REFERENCE_TABLES), None))
        if index > 0 and rng.random() < 0.2 and len(edges) < 3:
            other = rng.randrange(index)
            edges.append((f"main.silver.{self._job_entity(other)}_{other:04d}", gold))
        return self._lineage_events(rng, "JOB", str(JOB_ID_BASE + index), edges)

    def _pipeline_lineage(self, p: int) -> list[dict[str, Any]]:
        rng = random.Random(f"{self.spec.seed}:pipeline:{p}:lineage")
        entity = rng.choice(ENTITIES)
        _, base = self._pipeline_base(p)
        schema = f"main.{base['_domain']}_dlt"
        n = f"{p + 1:04d}"
        edges: list[tuple[str, str | None]] = [
            (f"main.landing.{entity}_raw_{n}", f"{schema}.{entity}_bronze_{n}"),
            (f"{schema}.{entity}_bronze_{n}", f"{schema}.{entity}_silver_{n}"),
        ]
        if rng.random() < 0.6:
            edges.append((f"{schema}.{entity}_silver_{n}", f"{schema}.{entity}_gold_{n}"))
        return self._lineage_events(rng, "PIPELINE", self._pipeline_ids[p], edges)

    def _lineage_events(
        self, rng: random.Random, entity_type: str, entity_id: str, edges: list[tuple[str, str | None]]
    ) -> list[dict[str, Any]]:
        """1-3 events per edge over the last two weeks, so ``since_date`` and ``max()`` matter."""
        rows = []
        window_ms = max(14, self.spec.lookback_days_spread) * DAY_MS
        for source, target in edges:
            for _ in range(rng.randint(1, 3)):
                at = self.now_ms - rng.randrange(window_ms)
                rows.append(
                    {
                        "entity_type": entity_type,
                        "entity_id": entity_id,
                        "source_table_full_name": source,
                        "target_table_full_name": target,
                        "source_type": "TABLE",
                        "target_type": "TABLE" if target else None,
                        "event_time": iso_time(at),
                        "event_date": iso_date(at),
                    }
                )
        return rows
