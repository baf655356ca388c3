"""Bad input gets one message at its field, never a traceback; secrets never come back to the page."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from ui.state import WizardState


def _errors(at: AppTest) -> list[str]:
    return [str(error.value) for error in at.error]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://adb-1.azuredatabricks.net/some/path", "has a path '/some/path'"),
        ("ftp://adb-1.azuredatabricks.net", "has scheme 'ftp'"),
        ("adb_1!.net", "has an invalid host name"),
        ("https://user:pw@adb-1.net", "must not contain a user name or password"),
    ],
)
def test_bad_host_gets_one_message_at_the_field(
    new_app: Callable[[], AppTest], value: str, message: str
) -> None:
    at = new_app().run()
    at.text_input(key="dbx_host").input(value).run()
    assert not at.exception
    errors = _errors(at)
    assert len(errors) == 1 and message in errors[0]
    assert "pw" not in errors[0].replace("password", "")


def test_host_is_normalised_and_shown(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    at = new_app().run()
    at.text_input(key="dbx_host").input("adb-123.4.azuredatabricks.net?o=123#job/5").run()
    assert not at.error
    assert h.find(at, r"Connects to `https://adb-123\.4\.azuredatabricks\.net`")


def test_malformed_http_path_is_flagged(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    at = new_app().run()
    at.text_input(key="dbx_http_path").input("/sql/warehouses/abc").run()
    errors = _errors(at)
    assert len(errors) == 1 and "must look like /sql/1.0/warehouses/<warehouse-id>" in errors[0]
    at.text_input(key="dbx_http_path").input("/sql/1.0/warehouses/abc123").run()
    assert not at.error
    assert h.find(at, r"SQL warehouse `abc123`")


def test_connection_arguments_must_be_a_mapping(new_app: Callable[[], AppTest]) -> None:
    at = new_app().run()
    at.text_area(key="dbx_conn_args").input("- just\n- a list").run()
    assert any("must be a mapping" in error for error in _errors(at))


def test_invalid_regex_is_flagged_at_its_rule(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    at = new_app().run()
    at.switch_page("app_pages/filters.py").run()
    at.button(key="filter_add_exclude").click().run()
    at.selectbox(key="filter_op_1").set_value("regex").run()
    at.text_input(key="filter_value_1").input("etl_(daily").run()
    errors = _errors(at)
    assert errors == ["Not a valid regular expression: missing ), unterminated subpattern at position 5."]
    assert h.find(at, r"left out of the preview until they are fixed")
    # The same text as a literal "starts with" is valid: it is escaped.
    at.selectbox(key="filter_op_1").set_value("starts").run()
    assert not at.error
    assert h.find(at, r"Written to the YAML as `etl_\\\(daily`")


def test_an_empty_rule_is_marked_but_blocks_nothing_a_broken_one_blocks_the_run_and_the_export() -> None:
    """The rule's own message says an empty rule is ignored, and every export skips it: so Run now and the
    downloads must not refuse it (a review saw "A filter rule needs fixing" for an empty rule)."""
    from ui import services
    from ui.services.runs import run_problems

    state = WizardState()
    services.apply_demo(state)
    state.filters.add("include", "starts", "")
    (empty,) = state.filters.rules
    assert "an empty rule is ignored" in services.filter_rule_errors(state)[empty.id]
    assert "filter_rules" not in run_problems(state) and "filter_rules" not in services.field_errors(state)
    assert (
        services.workflow_dict(state)["source"]["sourceConfig"]["config"].get("pipelineFilterPattern") is None
    )
    state.filters.add("exclude", "regex", "etl_(daily")
    assert run_problems(state)["filter_rules"] == "A filter rule needs fixing (see the rule)."


def test_rule_statement_is_stated_plainly(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    at = new_app().run()
    at.switch_page("app_pages/filters.py").run()
    rule = h.find(at, r"How filters decide.*")
    assert rule is not None
    for phrase in ("at least one include", "and no exclude", "beginning", "ignores case"):
        assert phrase in rule.group(0)


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("61 * * * *", "minute field '61' is out of range 0-59"),
        ("0 2 * *", "has 4 fields; a cron expression has 5"),
        ("0 2 31 2 *", "never matches a real date"),
    ],
)
def test_bad_cron_is_flagged_at_the_field(new_app: Callable[[], AppTest], cron: str, message: str) -> None:
    at = new_app().run()
    at.switch_page("app_pages/schedule.py").run()
    at.radio(key="sched_preset").set_value("custom").run()
    at.text_input(key="sched_cron").input(cron).run()
    errors = _errors(at)
    assert len(errors) == 1 and message.lower() in errors[0].lower(), errors


def test_bad_yaml_upload_names_the_line(new_app: Callable[[], AppTest]) -> None:
    at = new_app().run()
    text = b"source:\n  type: databrickspipeline\n  serviceName: [unclosed\nsink: {}\n"
    at.file_uploader(key="import_file").set_value(("workflow.yaml", text, "application/x-yaml")).run()
    errors = _errors(at)
    assert len(errors) == 1 and "line 4" in errors[0] and "workflow.yaml is not valid YAML" in errors[0], (
        errors
    )


def test_binary_upload_is_refused(new_app: Callable[[], AppTest]) -> None:
    at = new_app().run()
    data = b"PK\x03\x04\x00\x00\x08\x00binary\xff\xfe"
    at.file_uploader(key="import_file").set_value(("workflow.yaml", data, "application/x-yaml")).run()
    errors = _errors(at)
    assert errors == ["workflow.yaml is a binary file, not YAML. Upload the workflow .yaml file."]


def test_import_prefills_every_step(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    """An OpenMetadata 1.x file: classic token and http_path in connectionArguments."""
    workflow = {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "prod_databricks",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": "adb-42.1.azuredatabricks.net:443",
                    "token": "dapi0123456789abcdef0123456789abcdef",
                    "connectionArguments": {"http_path": "/sql/1.0/warehouses/wh42"},
                }
            },
            "sourceConfig": {
                "config": {
                    "type": "PipelineMetadata",
                    "includeOwners": False,
                    "statusLookbackDays": 5,
                    "pipelineFilterPattern": {
                        "includes": ["^etl_daily$", ".*sales.*"],
                        "excludes": [r"tmp_\d+"],
                    },
                    "lineageInformation": {"dbServiceNames": ["uc_prod"]},
                }
            },
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "openMetadataServerConfig": {
                "hostPort": "https://om.example.com/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "${OM_JWT}"},
            }
        },
    }
    at = new_app().run()
    data = yaml.safe_dump(workflow).encode()
    at.file_uploader(key="import_file").set_value(("prod.yaml", data, "application/x-yaml")).run()
    assert h.find(at, r"Imported prod\.yaml: every step is prefilled")
    assert h.find(at, r"The JWT comes from \$\{OM_JWT\} in the file")
    assert at.text_input(key="dbx_service_name").value == "prod_databricks"
    assert at.text_input(key="dbx_host").value == "adb-42.1.azuredatabricks.net:443"
    assert at.text_input(key="dbx_http_path").value == "/sql/1.0/warehouses/wh42"
    assert at.text_input(key="dbx_token").value == ""  # stored server-side, never shown
    state: WizardState = at.session_state["wizard"]
    assert state.databricks.token is not None and state.sink.jwt is None

    at.switch_page("app_pages/filters.py").run()
    assert [at.selectbox(key=f"filter_op_{i}").value for i in (1, 2, 3)] == ["exactly", "contains", "regex"]
    assert [at.text_input(key=f"filter_value_{i}").value for i in (1, 2, 3)] == [
        "etl_daily",
        "sales",
        r"tmp_\d+",
    ]
    at.switch_page("app_pages/options.py").run()
    assert at.toggle(key="opt_owners").value is False
    assert at.number_input(key="opt_lookback").value == 5
    assert at.text_input(key="opt_db_services").value == "uc_prod"
    at.switch_page("app_pages/sink.py").run()
    assert at.text_input(key="om_host").value == "https://om.example.com/api"
    assert "dapi0123456789abcdef" not in repr(at.session_state)


def test_a_typed_secret_is_stored_and_the_field_emptied(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    """'Never echoed back': after Enter the field is empty and says the value is saved."""
    at = new_app().run()
    secret = "dapi-typed-by-hand-0123456789"
    at.text_input(key="dbx_token").input(secret).run()
    assert at.text_input(key="dbx_token").value == ""
    assert at.text_input(key="dbx_token").placeholder == "saved — leave empty to keep"
    state: WizardState = at.session_state["wizard"]
    assert state.databricks.token is not None and state.databricks.token.get_secret_value() == secret
    assert secret not in repr(at.session_state)
    assert secret not in "\n".join(h.texts(at))
    # Leaving it empty keeps it; "Forget" removes it.
    at.text_input(key="dbx_service_name").input("other").run()
    assert at.session_state["wizard"].databricks.token.get_secret_value() == secret
    at.button(key="dbx_token_forget").click().run()
    assert at.session_state["wizard"].databricks.token is None


def test_values_survive_page_switches(new_app: Callable[[], AppTest]) -> None:
    at = new_app().run()
    at.text_input(key="dbx_host").input("adb-9.azuredatabricks.net").run()
    at.switch_page("app_pages/schedule.py").run()
    at.text_input(key="dag_id").input("my_dag").run()
    at.switch_page("app_pages/databricks.py").run()
    assert at.text_input(key="dbx_host").value == "adb-9.azuredatabricks.net"
    at.switch_page("app_pages/schedule.py").run()
    assert at.text_input(key="dag_id").value == "my_dag"


def test_failed_connection_test_says_what_to_do(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    """A refused port fails the first step with a hint and a link to the field; later steps are skipped."""
    at = new_app().run()
    at.text_input(key="dbx_host").input("http://127.0.0.1:9").run()
    at.text_input(key="dbx_token").input("dapi-wrong-token-000000").run()
    at.switch_page("app_pages/test_connection.py").run()
    at.number_input(key="test_timeout").set_value(3).run()
    at.button(key="test_run").click().run()
    assert not at.exception
    assert [status.label for status in at.status] == ["Databricks: 0 of 3 checks passed"]
    assert at.status[0].state == "error"
    assert any("cannot connect to 127.0.0.1:9" in error for error in _errors(at))
    assert h.find(at, r"Check the host and port")
    assert h.find(at, r"didn't run")
    assert [link.label for link in at.get("page_link") if "Fix it" in link.label] == [
        "Fix it in step 1: Workspace host"
    ]
    assert [b.label for b in at.button if b.key and b.key.startswith("test_retry")] == [
        "Try again",
        "Try again with 9 s",
    ]
