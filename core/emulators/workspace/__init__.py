"""A deterministic, generated Databricks workspace of any size, computed on demand.

Why generated on demand: benchmarks need workspaces of 20,000 jobs and more, and tests need small ones
that start instantly. Nothing per job is stored. Every job, its tasks, its runs and its lineage rows are
recomputed from ``(seed, job index)`` with a private ``random.Random(f"{seed}:{index}...")`` whenever
they are asked for, so building a huge workspace costs nothing until it is listed, and the same seed
always gives byte-identical JSON. Only the mutations used by fault tests (deleted jobs, removed tasks)
are kept, in two small overrides.

Why so much variety: the engine maps every documented run state, every task kind and every naming
style onto OpenMetadata. A workspace that only ever produced ``TERMINATED/SUCCESS`` runs of
``notebook_task`` jobs would leave most of that mapping untested. Coverage of every run state is
guaranteed (not left to chance) once the workspace holds a few dozen jobs.

The JSON follows the Jobs API 2.2 / Pipelines API shapes described in
``/work/shared/briefs/databricks-api.md``; only enum values the SDK knows are emitted.

Layout: ``spec`` (the knobs, ids), ``vocabulary`` (what names, tasks and schedules are drawn from),
``outcomes`` (run states and how they unfold), ``base`` (shared state), one generator per concern
(``jobs``, ``runs``, ``dlt``, ``lineage``) and ``model`` (the public :class:`Workspace`).
"""

from core.emulators.workspace.model import Workspace
from core.emulators.workspace.spec import (
    ACTIVE_LIFE_CYCLE_STATES,
    COMPLETED_LIFE_CYCLE_STATES,
    JOB_ID_BASE,
    USER_POOL,
    RunRef,
    WorkspaceSpec,
)

__all__ = [
    "ACTIVE_LIFE_CYCLE_STATES",
    "COMPLETED_LIFE_CYCLE_STATES",
    "JOB_ID_BASE",
    "USER_POOL",
    "RunRef",
    "Workspace",
    "WorkspaceSpec",
]
