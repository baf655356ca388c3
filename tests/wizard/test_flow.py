"""The whole wizard in demo mode, driven by widget keys as a user would, step by step.

Expected numbers come from the demo workspace itself through the engine's own ``NameFilter``, so the
preview and the run are checked against an independent computation, not against the page's own text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace

import yaml
from streamlit.testing.v1 import AppTest

from core.config.models import FilterPattern
from core.emulators.openmetadata import DEFAULT_JWT
from core.filter_rules import rule_to_regex
from core.filters import NameFilter
from ui import services


def _expected_kept(include: str) -> tuple[int, int]:
    """(kept, total) over every job and DLT pipeline name of the demo workspace."""
    workspace = services.start_demo()["workspace"]
    names = [workspace.job_name(job_id) for job_id in workspace.job_ids()]
    names += [pipeline["name"] for pipeline in workspace.pipelines()]
    name_filter = NameFilter.from_pattern(FilterPattern(includes=[rule_to_regex("starts", include)]))
    return sum(name_filter.decide(name).kept for name in names), len(names)


def _metric(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


def _secrets() -> list[str]:
    return [services.start_demo()["databricks"].token, DEFAULT_JWT]


def test_demo_flow_from_empty_page_to_finished_run(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = new_app().run()

    # 1. Databricks: the demo fills the step; the token is stored, never echoed into the field.
    at.toggle(key="demo_toggle").set_value(True).run()
    assert at.text_input(key="dbx_host").value.startswith("http://127.0.0.1:")
    assert at.text_input(key="dbx_http_path").value == "/sql/1.0/warehouses/emulatorwh"
    assert at.text_input(key="dbx_token").value == ""
    assert h.find(at, r"Saved on the server only")

    # 2. Test connection: every step of both sides passes; the server version picks the dialect.
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    labels = {status.label: status.state for status in at.status}
    assert labels == {
        "Databricks: 5 of 5 checks passed": "complete",
        "OpenMetadata: 4 of 4 checks passed": "complete",
    }
    assert h.find(at, r"OpenMetadata \*\*2\.0\.7\*\* found: the YAML is written in the \*\*2\.x\*\* dialect")

    # 3. Filters: one include rule; the live preview counts what the engine's filter keeps.
    at.switch_page("app_pages/filters.py").run()
    at.button(key="filter_add_include").click().run()
    at.text_input(key="filter_value_1").input("etl").run()
    kept, total = _expected_kept("etl")
    assert 0 < kept < total
    h.wait_for(at, lambda a: h.find(a, rf"^### {kept} of {total} will be ingested$") is not None)
    table = at.dataframe[0].value
    assert len(table) == total and int(table["ingest"].sum()) == kept
    assert set(table.loc[table["ingest"], "why"]) == {"matched include #1 (etl)"}

    # 4. Options: switching owners off is kept across page switches.
    at.switch_page("app_pages/options.py").run()
    at.toggle(key="opt_owners").set_value(False).run()
    at.switch_page("app_pages/sink.py").run()
    at.switch_page("app_pages/options.py").run()
    assert at.toggle(key="opt_owners").value is False

    # 5. Sink: prefilled by the demo; tested like step 2.
    at.switch_page("app_pages/sink.py").run()
    assert at.text_input(key="om_host").value.endswith("/api")
    assert at.text_input(key="om_jwt").value == ""
    at.button(key="sink_test").click().run()
    assert {status.label for status in at.status} == {"OpenMetadata: 4 of 4 checks passed"}

    # 6. Schedule: a custom cron gets a plain-English sentence and the next five runs.
    at.switch_page("app_pages/schedule.py").run()
    at.radio(key="sched_preset").set_value("custom").run()
    at.text_input(key="sched_cron").input("30 4 * * 1-5").run()
    at.selectbox(key="sched_tz").set_value("Europe/Berlin").run()
    assert not at.error
    sentence = h.find(at, r"At 04:30 AM, Monday through Friday")
    assert sentence is not None
    runs = h.find(at, r"^Next runs: (.*)$")
    assert runs is not None and len(runs.group(1).split(" · ")) == 5
    assert all(re.search(r"(Mon|Tue|Wed|Thu|Fri) .* 04:30 CES?T", run) for run in runs.group(1).split(" · "))

    # 7. Review: YAML and DAG with references only; three downloads.
    at.switch_page("app_pages/review.py").run()
    assert not at.error, [e.value for e in at.error]
    workflow_yaml, dag = (code.value for code in at.code[:2])
    assert "${DATABRICKS_TOKEN}" in workflow_yaml and "${OPENMETADATA_JWT_TOKEN}" in workflow_yaml
    parsed = yaml.safe_load(workflow_yaml)
    assert parsed["source"]["sourceConfig"]["config"]["pipelineFilterPattern"] == {"includes": ["etl"]}
    assert parsed["source"]["sourceConfig"]["config"]["includeOwners"] is False
    assert "catchup=False" in dag and "30 4 * * 1-5" in dag
    page_text = "\n".join(h.texts(at))
    for secret in _secrets():
        assert secret not in page_text
    assert [button.label for button in at.get("download_button")] == [
        "Download YAML",
        "Download DAG",
        "Download all (.zip)",
    ]

    # 8. Run now: a dry run writes nothing; then a real run creates exactly what the preview kept.
    at.switch_page("app_pages/run.py").run()
    assert h.find(at, rf"The preview expects \*\*{kept} of {total}\*\* pipelines")
    # the demo catalogue is process-wide: another test's run may have filled it (empty it, as a user would)
    at.button(key="run_reset_demo").click().run()
    at.toggle(key="run_dry").set_value(True).run()
    catalogue = services.start_demo()["openmetadata"]
    before = catalogue.snapshot()
    at.button(key="run_start").click().run()
    h.wait_for(at, lambda a: h.find(a, r"Dry run finished: nothing was written") is not None)
    assert _metric(at, "Would create") == kept and _metric(at, "Failures") == 0
    assert catalogue.snapshot() == before, "a dry run must not write"

    at.button(key="run_reset_demo").click().run()
    at.toggle(key="run_dry").set_value(False).run()
    at.button(key="run_start").click().run()
    h.wait_for(at, lambda a: h.find(a, r"^Run finished\.") is not None)
    assert _metric(at, "Created") == kept
    assert _metric(at, "Failures") == 0
    assert h.find(at, rf"^Listed \*\*{total:,}\*\* pipelines, \*\*{kept:,}\*\* kept by the filters")

    # Nothing secret in the session: a dump of session_state shows masks only.
    dump = repr(at.session_state)
    assert "SecretStr('**********')" in dump
    for secret in _secrets():
        assert secret not in dump


def test_a_10000_job_workspace_never_freezes_the_page(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    """The filters page returns at once with the rows listed so far; Stop keeps them and says so.

    The third page of jobs is held until after Stop, so the listing provably cannot end first: a page that
    waited for it would never return (AppTest's run times out), and the stop lands mid-listing."""
    from pydantic import SecretStr

    from core.emulators.databricks import DatabricksEmulator
    from core.emulators.workspace import Workspace, WorkspaceSpec
    from ui.state import WizardState

    workspace = Workspace(WorkspaceSpec(jobs=10_000, tasks=3, runs=0, pipelines=0, seed=5))
    with DatabricksEmulator(workspace) as server:
        state = WizardState()
        state.databricks.host = server.url
        state.databricks.token = SecretStr(server.token)
        at = new_app()
        at.session_state["wizard"] = state
        at.run()
        with server.hold(r"/jobs/list$", method="GET", after=2):  # page 3 waits until Stop was clicked
            at.switch_page("app_pages/filters.py").run()  # returns although the listing cannot finish
            assert not at.exception, [e.value for e in at.exception]
            h.wait_for(
                at,
                lambda a: (
                    h.find(a, r"^### [1-9][\d,]* of [1-9][\d,]* listed so far will be ingested$") is not None
                ),
            )
            assert h.find(at, r"Listing the workspace… [\d,]+ so far")
            at.button(key="preview_stop").click().run()
        h.wait_for(at, lambda a: h.find(a, r"stopped early: the list is incomplete") is not None)
        listed = int(h.find(at, r"^### [\d,]+ of ([\d,]+) will be ingested$").group(1).replace(",", ""))
        assert 0 < listed < 10_000
