"""The smaller faults of issue 14 ("The wizard remembers"), each reproduced through the wizard and fixed.

One test (or a few) per fault: stale and dated connection-test results, documentation placeholders on
import, the engine/host conflict at its field, the file sink's folder, one number format and readable
columns, the preview heading that counts what is shown, and Custom cron starting from the chosen preset.
The per-step timeout is tested with fake servers in ``tests/unit/test_check_timeouts.py``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

from ui import services
from ui.components import fmt_count, fmt_seconds, made_when
from ui.services.importer import is_placeholder
from ui.state import WizardState

PLACEHOLDER_SENTENCE = (
    "looks like a placeholder from the docs: paste the real {what} or give an environment variable."
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The wizard's data directory for this test only."""
    monkeypatch.setenv("DBX_PIPELINE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _demo(new_app: Callable[[], AppTest]) -> AppTest:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    return at


# -- 2. a test result says when it was made, and goes stale the moment a setting it used changes -----------


def test_made_when_is_relative_and_absolute() -> None:
    made = 1_700_000_000.0
    assert made_when(made, now=made + 5).startswith("tested just now (2023-11-1")
    assert made_when(made, now=made + 200).startswith("tested 3 min ago (")
    assert made_when(made, now=made + 3 * 3600).startswith("tested 3 h ago (")
    assert made_when(made, now=made + 5 * 86400).startswith("tested 5 days ago (")
    assert re.search(r"\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+\)$", made_when(made, now=made))


def test_a_test_result_shows_its_time_and_is_stale_as_soon_as_the_host_changes(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = _demo(new_app)
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    assert h.find(
        at, r"^:material/schedule: Databricks tested just now \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d .+\)$"
    )
    assert h.find(at, r"^:material/schedule: OpenMetadata tested just now")
    assert not [w for w in at.warning if "Stale" in w.value]
    at.switch_page("app_pages/databricks.py").run()
    at.number_input(key="dbx_timeout").set_value(at.number_input(key="dbx_timeout").value + 1).run()
    at.switch_page("app_pages/test_connection.py").run()
    stale = [w.value for w in at.warning if w.value.startswith("**Stale**")]
    assert len(stale) == 1 and stale[0].startswith("**Stale**: Databricks was tested just now (")
    assert "and the timeout has changed since, so this result may no longer hold" in stale[0]
    labels = [status.label for status in at.status]
    assert labels[0].endswith("(stale — test again)")
    assert "test again" not in labels[1]  # the sink did not change


# -- 3. the per-step timeout holds in the wizard, and a TLS failure is one sentence with its hint -----------


def test_a_tls_handshake_that_never_ends_fails_within_the_pages_timeout(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    from tests.unit.test_check_timeouts import FakeServer

    server = FakeServer("silent")
    try:
        at = new_app().run()
        at.text_input(key="dbx_host").input(f"https://127.0.0.1:{server.port}").run()
        at.text_input(key="dbx_token").input("dapi-not-a-real-token-0000").run()
        at.switch_page("app_pages/test_connection.py").run()
        at.number_input(key="test_timeout").set_value(2).run()
        at.button(key="test_run").click().run()
    finally:
        server.close()
    step = at.session_state["wizard"].checks["databricks"].steps[0]
    assert step.name == "Host reachable" and step.ok is False and step.duration_ms <= 3500
    assert [e.value for e in at.error] == [
        f"the server at 127.0.0.1:{server.port} did not complete a TLS handshake within 2 s"
    ]
    assert h.find(at, r"^:material/lightbulb: Is it https\? A proxy in between\?")
    assert not h.find(at, "HTTPSConnectionPool|urllib3|Traceback")


def test_an_untrusted_certificate_is_named_at_step_2_never_a_timeout(
    new_app: Callable[[], AppTest], h: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Field report: "completed a TLS handshake", then "Credentials accepted (5502 ms) - timed out"."""
    from tests.unit.test_check_certificates import SelfSignedServer

    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    server = SelfSignedServer(tmp_path)
    try:
        at = new_app().run()
        at.text_input(key="dbx_host").input(server.url).run()
        at.text_input(key="dbx_token").input("dapi-not-a-real-token-0000").run()
        at.switch_page("app_pages/test_connection.py").run()
        at.number_input(key="test_timeout").set_value(5).run()
        at.button(key="test_run").click().run()
    finally:
        server.close()
    step = at.session_state["wizard"].checks["databricks"].steps[0]
    assert step.name == "Host reachable" and step.ok is False
    assert [e.value for e in at.error] == [
        f"the server's certificate is not trusted: self-signed certificate (127.0.0.1:{server.port})"
    ]
    assert h.find(at, r"^:material/lightbulb: Give the CA bundle .* REQUESTS_CA_BUNDLE")
    assert not h.find(at, "timed out|HTTPSConnectionPool|urllib3|Traceback")


def test_the_per_step_timeout_is_kept_across_pages_a_reload_and_the_saved_settings(
    new_app: Callable[[], AppTest],
) -> None:
    """Field report: set to 5 on step 2, back from step 3 (or after F5) it was 20 again."""
    from ui.services.saved import from_settings, to_settings

    at = new_app().run()
    at.text_input(key="dbx_host").input("https://adb-1234567890123456.7.azuredatabricks.net").run()
    at.switch_page("app_pages/test_connection.py").run()
    assert at.number_input(key="test_timeout").value == 20
    at.number_input(key="test_timeout").set_value(5).run()
    state: WizardState = at.session_state["wizard"]
    assert state.test_timeout_s == 5
    at.switch_page("app_pages/options.py").run()
    at.switch_page("app_pages/test_connection.py").run()
    assert at.number_input(key="test_timeout").value == 5
    assert to_settings(state)["test_timeout_s"] == 5
    assert from_settings({"test_timeout_s": 5})[0].test_timeout_s == 5
    assert from_settings({"test_timeout_s": 0})[0].test_timeout_s == 20  # out of range: the default
    # a reload (a new session on ?ingestion=<id>) restores it from the database
    again = new_app()
    again.query_params["ingestion"] = str(at.query_params["ingestion"])
    again.run()
    again.switch_page("app_pages/test_connection.py").run()
    assert not again.exception
    assert again.number_input(key="test_timeout").value == 5


# -- 4. documentation placeholders in an imported YAML are refused at the field ---------------------------


@pytest.mark.parametrize(
    "value",
    ["<databricks token>", "{bot_jwt_token}", "${...}", "${bot jwt}", "xxx", "XXXXXXXX", "your-token-here",
     "dapiXXXXXXXXXXXXXXXX", "<YOUR_TOKEN>", "token", "changeme", "***", "paste_jwt_here"],
)  # fmt: skip
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    ["${DATABRICKS_TOKEN}", "dapi0123456789abcdef0123456789abcd",
     "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl", "s3cr3t-Value_42"],
)  # fmt: skip
def test_real_secrets_and_env_references_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def _workflow(token: str, jwt: str) -> bytes:
    return yaml.safe_dump(
        {
            "source": {
                "type": "databrickspipeline",
                "serviceName": "prod_databricks",
                "serviceConnection": {
                    "config": {
                        "type": "DatabricksPipeline",
                        "hostPort": "adb-1.azuredatabricks.net",
                        "authType": {"token": token},
                    }
                },
                "sourceConfig": {"config": {"type": "PipelineMetadata"}},
            },
            "sink": {"type": "metadata-rest", "config": {}},
            "workflowConfig": {
                "openMetadataServerConfig": {
                    "hostPort": "https://om.example.com/api",
                    "authProvider": "openmetadata",
                    "securityConfig": {"jwtToken": jwt},
                }
            },
        }
    ).encode()


def test_an_imported_placeholder_is_refused_with_a_sentence_at_its_field(
    new_app: Callable[[], AppTest],
) -> None:
    at = new_app().run()
    data = _workflow("<databricks token>", "{bot_jwt_token}")
    at.file_uploader(key="import_file").set_value(("workflow.yaml", data, "application/x-yaml")).run()
    state: WizardState = at.session_state["wizard"]
    assert state.databricks.token is None and state.sink.jwt is None
    assert [e.value for e in at.error] == [
        "The imported file has '<databricks token>' here, which " + PLACEHOLDER_SENTENCE.format(what="token")
    ]
    at.switch_page("app_pages/sink.py").run()
    assert [e.value for e in at.error] == [
        "The imported file has '{bot_jwt_token}' here, which " + PLACEHOLDER_SENTENCE.format(what="JWT")
    ]
    assert set(services.field_errors(state)) == {"dbx_token", "om_jwt"}  # the sidebar marks both steps
    # entering the real value clears the error
    at.text_input(key="om_jwt").input("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.sig").run()
    assert not at.error


def test_a_long_placeholder_is_never_echoed() -> None:
    """A value of a secret's length is not shown back, in case it is a real secret that looks odd."""
    state = WizardState()
    value = "dapi" + "x" * 32
    services.import_workflow(state, _workflow(value, "real-jwt-value-123"), "w.yaml")
    message = services.field_errors(state)["dbx_token"]
    assert message.startswith("The imported file has a value here, which looks like a placeholder")
    assert value not in message and all(value not in note for note in state.import_notes)


def test_a_real_env_reference_on_import_is_a_note_not_an_error() -> None:
    state = WizardState()
    result = services.import_workflow(state, _workflow("${DATABRICKS_TOKEN}", "real-jwt-value-123"), "w.yaml")
    assert result.ok
    assert (
        "The token comes from ${DATABRICKS_TOKEN} in the file: enter its value to test or run."
        in result.notes
    )
    assert "dbx_token" not in services.field_errors(state)
    assert state.sink.jwt is not None and state.sink.jwt.get_secret_value() == "real-jwt-value-123"


# -- 5. the engine/host conflict shows at the engine field as soon as both are set --------------------------


def test_the_openmetadata_engine_with_a_non_https_host_is_an_error_at_the_engine_field(
    new_app: Callable[[], AppTest],
) -> None:
    at = _demo(new_app)  # the demo workspace is http://127.0.0.1:<port>
    at.switch_page("app_pages/schedule.py").run()
    assert not at.error
    at.radio(key="dag_engine").set_value("openmetadata").run()
    (error,) = [e.value for e in at.error]
    host = at.session_state["wizard"].databricks.host
    assert error.startswith(
        "OpenMetadata's own connector always connects to https://<host>:443 and cannot reach"
    )
    assert host.rstrip("/") in error and "Choose this engine (dbx-pipeline)" in error
    at.radio(key="dag_engine").set_value("core").run()
    assert not at.error


def test_the_openmetadata_engine_with_a_package_of_the_other_dialect_is_an_error_at_its_version() -> None:
    state = WizardState()
    state.databricks.host = "adb-1.azuredatabricks.net"
    state.schedule.engine = "openmetadata"
    state.om_version = "1.6.2"  # the tested server writes the 1.x dialect
    state.schedule.openmetadata_version = "2.0.7"
    errors = services.field_errors(state)
    assert "dag_engine" not in errors
    assert errors["dag_om_version"].startswith("openmetadata-ingestion 2.0.7 reads the 2.x YAML dialect")
    state.schedule.openmetadata_version = "1.6.2"
    assert "dag_om_version" not in services.field_errors(state)


# -- 6. the file sink writes under the data directory, and the YAML keeps what was typed ------------------


def test_a_relative_file_sink_lands_in_the_data_directory_and_the_yaml_keeps_the_name(
    new_app: Callable[[], AppTest], h: SimpleNamespace, home: Path
) -> None:
    at = _demo(new_app)
    at.switch_page("app_pages/sink.py").run()
    at.radio(key="sink_kind").set_value("file").run()
    at.text_input(key="sink_filename").input("catalogue/out.jsonl").run()
    target = home / "exports" / "catalogue" / "out.jsonl"
    assert h.find(at, re.escape(f"Run now writes `{target}`. The exported YAML keeps `catalogue/out.jsonl`"))
    state: WizardState = at.session_state["wizard"]
    assert not (home / "exports").exists()
    result = services.check_connection(state, "sink", 5)
    assert result.ok and result.steps[0].detail == f"{target} can be written"
    exported = yaml.safe_load(services.export_files(state).files[services.export_files(state).yaml_name])
    assert exported["sink"]["config"]["filename"] == "catalogue/out.jsonl"
    job = services.start_run(state, dry_run=False)
    assert job.wait(120) and job.error is None
    assert [json.loads(line) for line in target.read_text().splitlines()]
    assert not Path("catalogue").exists()


def test_an_absolute_file_sink_path_is_used_as_typed(home: Path, tmp_path: Path) -> None:
    assert services.sink_path(str(tmp_path / "x.jsonl")) == tmp_path / "x.jsonl"
    assert services.sink_path("x.jsonl") == (home / "exports" / "x.jsonl").resolve()
    assert services.data_dir() == home


# -- 7. one number format, readable columns --------------------------------------------------------------


def test_counts_and_seconds_have_one_format() -> None:
    assert [fmt_count(v) for v in (0, 7, 12_345, 1_234_567, "1.x", True)] == [
        "0",
        "7",
        "12,345",
        "1,234,567",
        "1.x",
        "True",
    ]
    assert [fmt_seconds(s) for s in (0.004, 0.25, 3.0, 1234.56)] == ["< 0.1 s", "0.2 s", "3.0 s", "1,234.6 s"]


def _report(**overrides: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "created": 12_345, "updated": 3, "unchanged": 1_000, "statuses": 250_000, "lineageEdges": 9,
        "failures": [{"pipeline": "42", "name": "etl", "phase": "pipeline", "reason": "x" * 300}],
        "dryRun": False, "listed": 13_348, "kept": 13_348, "filtered": 0, "owners": 1_200, "tags": 0,
        "deleted": 0, "warningCount": 0, "warnings": [], "durationSeconds": 1234.56,
    }  # fmt: skip
    report.update(overrides)
    return report


def test_the_results_table_uses_thousands_separators_and_wide_reasons() -> None:
    script = f"import json\nfrom ui.components import render_report\nrender_report(json.loads({json.dumps(_report())!r}))"
    at = AppTest.from_string(script, default_timeout=30).run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["12,345", "3", "1,000", "250,000", "9", "1"]
    values = dict(zip(at.dataframe[0].value["what"], at.dataframe[0].value["value"], strict=True))
    assert values["Listed"] == "13,348" and values["Pipeline statuses"] == "250,000"
    assert values["Time"] == "1,234.6 s"
    failures = json.loads(at.dataframe[1].proto.columns)
    assert failures["reason"]["width"] == "large"


def test_the_preview_table_gives_names_and_reasons_room(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = _demo(new_app)
    at.switch_page("app_pages/filters.py").run()
    h.wait_for(at, lambda a: h.find(a, r"^### \d+ of \d+ will be ingested$") is not None)
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["name"]["width"] == "large" and columns["why"]["width"] == "large"
    assert all(columns[name].get("help") for name in ("name", "why", "tasks", "schedule"))


def test_check_durations_are_seconds_with_one_decimal(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = _demo(new_app)
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    rows = [t for t in h.texts(at) if t.startswith(":green[:material/check_circle:]")]
    assert rows and all(re.search(r"\*\* · (< 0\.1|[\d,]+\.\d) s  \n", row) for row in rows), rows


# -- 8. the preview heading counts what search and "Show" select ------------------------------------------


def test_the_preview_heading_counts_what_is_shown(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    at = _demo(new_app)
    at.switch_page("app_pages/filters.py").run()
    h.wait_for(at, lambda a: h.find(a, r"^### \d+ of \d+ will be ingested$") is not None)
    state: WizardState = at.session_state["wizard"]
    state.filters.add("include", "starts", "etl")
    at.text_input(key="preview_search").input("daily").run()
    at.segmented_control(key="preview_show").set_value("kept").run()
    view = services.decide_preview(state, search="daily", show="kept")
    shown = len(at.dataframe[0].value)
    assert shown == view.shown > 0
    assert h.find(at, rf"^### {shown} of {view.kept} kept pipelines matching 'daily'$")
    assert h.find(at, rf"^Overall, {view.kept} of {view.total} will be ingested\.$")
    at.segmented_control(key="preview_show").set_value("all").run()
    at.text_input(key="preview_search").input("").run()
    assert h.find(at, rf"^### {view.kept} of {view.total} will be ingested$")


# -- 9. Custom cron starts from the chosen preset, and can go back to it --------------------------------


def test_custom_cron_starts_from_the_preset_and_goes_back(new_app: Callable[[], AppTest]) -> None:
    at = new_app().run()
    at.switch_page("app_pages/schedule.py").run()
    at.radio(key="sched_preset").set_value("hourly").run()
    at.radio(key="sched_preset").set_value("custom").run()
    assert at.text_input(key="sched_cron").value == "0 * * * *"
    assert at.button(key="sched_back_to_preset").label == "Back to Hourly"
    at.button(key="sched_back_to_preset").click().run()
    assert at.radio(key="sched_preset").value == "hourly"
    assert at.session_state["wizard"].schedule.preset == "hourly"
    # a cron the user wrote is theirs: it survives going to a preset and back to custom
    at.radio(key="sched_preset").set_value("custom").run()
    at.text_input(key="sched_cron").input("15 3 * * 1-5").run()
    at.radio(key="sched_preset").set_value("weekly").run()
    at.radio(key="sched_preset").set_value("custom").run()
    assert at.text_input(key="sched_cron").value == "15 3 * * 1-5"
    assert at.button(key="sched_back_to_preset").label == "Back to Weekly"


def test_choose_preset_keeps_the_state_consistent() -> None:
    state = WizardState()
    state.databricks.token = SecretStr("unused")
    services.choose_preset(state, "monthly")
    services.choose_preset(state, "custom")
    assert (state.schedule.custom_cron, state.schedule.custom_from) == ("0 2 1 * *", "monthly")
    assert services.schedule_cron(state) == "0 2 1 * *"
    started = time.monotonic()
    services.choose_preset(state, "on demand")
    services.choose_preset(state, "custom")
    assert state.schedule.custom_cron == "0 2 1 * *" and state.schedule.custom_from == "on demand"
    assert time.monotonic() - started < 1
