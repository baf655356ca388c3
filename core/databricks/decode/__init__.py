"""Raw Databricks JSON to our records, leniently: nothing in one item can cost more than that item.

Why raw JSON and not databricks-sdk's dataclasses. The SDK's ``from_dict`` decodes *every* field of a job
or run, including the many this connector never reads (notifications, webhooks, clusters, health rules,
git sources...), and it trusts their shapes: one job whose ``webhook_notifications.on_failure`` holds a
list nested one level deeper than the model expects raises ``AttributeError`` while the page is decoded,
and everything listed after it is lost with it. It also turns an enum string it does not know (a value
newer than the SDK, an odd spelling) into ``None``, so the value Databricks sent is gone before anyone can
report it. So pages are read as raw JSON (``core.databricks.retry.pages``: the SDK still does the
transport, auth, retries and error mapping) and only the fields the mapping uses are read here, each
checked for its shape:

- a field we read that has the wrong shape is left out with a warning naming the field path
  (``job 42: settings.tags is a list, expected an object; ignored``): the item still maps;
- a field we never read costs nothing, whatever it holds;
- an item that truly cannot be mapped (no id, a task without a key, a run without a start time) raises
  :class:`DecodeError` naming the item and the field path; the caller reports it and goes on with the
  rest of the page;
- enum-like strings are kept as sent (the status mapping normalises them and quotes them in warnings).

Where the SDK's typed model still helps: its enums and dataclasses are the reference the drift tests
compare our tables with (task kinds, run states, trigger types, termination codes), so a new SDK that
knows a value we do not fails a test instead of mapping silently.

Shapes follow the Jobs API 2.2 and Pipelines API references (``jobs/list``, ``jobs/get``,
``jobs/runs/list``, ``jobs/runs/get``, ``pipelines``, ``pipelines/{id}/updates``).
"""

from __future__ import annotations

from core.databricks.decode.fields import as_int, item_id
from core.databricks.decode.jobs import decode_job
from core.databricks.decode.pages import PAGED_ARRAYS, merge_pages
from core.databricks.decode.pipelines import decode_dlt_pipeline, decode_dlt_update
from core.databricks.decode.runs import decode_run
from core.databricks.decode.tasks import TASK_KINDS
from core.databricks.decode.triggers import TRIGGER_KINDS
from core.errors import DecodeError  # defined with the other engine errors; importable from here too

__all__ = [
    "PAGED_ARRAYS",
    "TASK_KINDS",
    "TRIGGER_KINDS",
    "DecodeError",
    "as_int",
    "decode_dlt_pipeline",
    "decode_dlt_update",
    "decode_job",
    "decode_run",
    "item_id",
    "merge_pages",
]
