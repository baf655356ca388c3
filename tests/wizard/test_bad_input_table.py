"""The wizard half of the bad-input table: each bad value gets ONE message at its field, no traceback.

The CLI half is tests/badinput/test_cli_bad_input.py. Each case: the page, the widget, the bad value and
a fragment of the message that must appear (exactly one error on the page, never an exception).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from streamlit.testing.v1 import AppTest

from core.config.loader import MAX_CONFIG_BYTES


@dataclass(frozen=True)
class Case:
    id: str
    page: str | None  # None: the first page (Databricks)
    widget: str  # "text" | "area" | "regex" | "cron" | "upload"
    key: str
    value: str | bytes
    message: str


HOST, PATH, ARGS, OM = "dbx_host", "dbx_http_path", "dbx_conn_args", "om_host"
SINK_PAGE, FILTERS_PAGE, SCHEDULE_PAGE = "app_pages/sink.py", "app_pages/filters.py", "app_pages/schedule.py"

CASES = [
    # Databricks host: schemes, ports, paths, credentials in the URL, bad names
    Case("host-path", None, "text", HOST, "https://adb-1.azuredatabricks.net/some/path", "has a path"),
    Case("host-ftp", None, "text", HOST, "ftp://adb-1.azuredatabricks.net", "has scheme 'ftp'"),
    Case("host-file", None, "text", HOST, "file:///etc/passwd", "has scheme 'file'"),
    Case("host-chars", None, "text", HOST, "adb_1!.net", "invalid host name"),
    Case("host-userinfo", None, "text", HOST, "https://user:pw@adb-1.net", "user name or password"),
    Case("host-port-big", None, "text", HOST, "adb-1.net:99999", "invalid port"),
    Case("host-port-zero", None, "text", HOST, "adb-1.net:0", "port"),
    Case("host-port-text", None, "text", HOST, "adb-1.net:https", "invalid port"),
    Case("host-dash-start", None, "text", HOST, "-adb.net", "invalid host name"),
    Case("host-double-dot", None, "text", HOST, "adb..net", "invalid host name"),
    Case("host-space", None, "text", HOST, "adb 1.net", "invalid host name"),
    # HTTP path of the SQL warehouse
    Case("path-no-version", None, "text", PATH, "/sql/warehouses/abc", "/sql/1.0/warehouses/<warehouse-id>"),
    Case("path-cluster", None, "text", PATH, "sql/protocolv1/o/123/0123-abc", "SQL warehouse path"),
    Case("path-garbage", None, "text", PATH, "warehouse abc", "/sql/1.0/warehouses/<warehouse-id>"),
    Case("path-no-id", None, "text", PATH, "/sql/1.0/warehouses/", "/sql/1.0/warehouses/<warehouse-id>"),
    Case(
        "path-extra", None, "text", PATH, "/sql/1.0/warehouses/abc/def", "/sql/1.0/warehouses/<warehouse-id>"
    ),
    Case(
        "path-url",
        None,
        "text",
        PATH,
        "https://x/sql/1.0/warehouses/abc",
        "/sql/1.0/warehouses/<warehouse-id>",
    ),
    # connection arguments (YAML mapping)
    Case("args-list", None, "area", ARGS, "- just\n- a list", "must be a mapping"),
    Case("args-scalar", None, "area", ARGS, "just text", "must be a mapping"),
    Case("args-bad-yaml", None, "area", ARGS, "a: [unclosed", "line"),
    # OpenMetadata URL
    Case("om-no-api", SINK_PAGE, "text", OM, "http://localhost:8585", "must end with /api"),
    Case("om-ui-path", SINK_PAGE, "text", OM, "http://localhost:8585/ui", "must end with /api"),
    Case("om-ftp", SINK_PAGE, "text", OM, "ftp://localhost:8585/api", "has scheme 'ftp'"),
    Case("om-port", SINK_PAGE, "text", OM, "http://localhost:70000/api", "invalid port"),
    Case(
        "om-userinfo",
        SINK_PAGE,
        "text",
        OM,
        "http://admin:secret@localhost:8585/api",
        "user name or password",
    ),
    Case("om-host-chars", SINK_PAGE, "text", OM, "http://om$host:8585/api", "invalid host name"),
    # filter regexes
    Case(
        "regex-open-group",
        FILTERS_PAGE,
        "regex",
        "filter_value_1",
        "etl_(daily",
        "Not a valid regular expression",
    ),
    Case("regex-class", FILTERS_PAGE, "regex", "filter_value_1", "[a-", "Not a valid regular expression"),
    Case("regex-glob", FILTERS_PAGE, "regex", "filter_value_1", "*_tmp", "Not a valid regular expression"),
    Case("regex-range", FILTERS_PAGE, "regex", "filter_value_1", "a{2,1}", "Not a valid regular expression"),
    Case("regex-named", FILTERS_PAGE, "regex", "filter_value_1", "(?P<x", "Not a valid regular expression"),
    Case(
        "regex-backslash", FILTERS_PAGE, "regex", "filter_value_1", "etl\\", "Not a valid regular expression"
    ),
    Case(
        "regex-lookbehind",
        FILTERS_PAGE,
        "regex",
        "filter_value_1",
        "(?<=a+)b",
        "Not a valid regular expression",
    ),
    # cron schedules
    Case("cron-minute", SCHEDULE_PAGE, "cron", "sched_cron", "61 * * * *", "out of range"),
    Case("cron-hour", SCHEDULE_PAGE, "cron", "sched_cron", "0 25 * * *", "out of range"),
    Case("cron-dom", SCHEDULE_PAGE, "cron", "sched_cron", "0 0 32 * *", "out of range"),
    Case("cron-four-fields", SCHEDULE_PAGE, "cron", "sched_cron", "0 2 * *", "fields"),
    Case("cron-words", SCHEDULE_PAGE, "cron", "sched_cron", "every day", "fields"),
    Case("cron-never", SCHEDULE_PAGE, "cron", "sched_cron", "0 2 31 2 *", "never matches"),
    Case("cron-quartz", SCHEDULE_PAGE, "cron", "sched_cron", "0 0 3 * * ?", "fields"),
    # uploads
    Case(
        "upload-syntax",
        None,
        "upload",
        "import_file",
        b"source:\n  serviceName: [unclosed\nsink: {}\n",
        "line",
    ),
    Case("upload-binary", None, "upload", "import_file", b"PK\x03\x04\x00binary\xff", "binary"),
    Case("upload-not-utf8", None, "upload", "import_file", "source: caf\u00e9\n".encode("latin-1"), "UTF-8"),
    Case("upload-huge", None, "upload", "import_file", b"#" * (MAX_CONFIG_BYTES + 1), "at most"),
    Case("upload-list", None, "upload", "import_file", b"- a\n- b\n", "no 'source' section"),
    Case("upload-empty", None, "upload", "import_file", b"", "no 'source' section"),
    Case("upload-tab", None, "upload", "import_file", b"source:\n\ttype: x\n", "line"),
]


def test_the_table_has_at_least_40_cases() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_one_message_at_its_field(new_app: Callable[[], AppTest], case: Case) -> None:
    at = new_app().run()
    if case.page:
        at.switch_page(case.page).run()
    if case.widget == "text":
        at.text_input(key=case.key).input(case.value).run()
    elif case.widget == "area":
        at.text_area(key=case.key).input(case.value).run()
    elif case.widget == "regex":
        at.button(key="filter_add_include").click().run()
        at.selectbox(key="filter_op_1").set_value("regex").run()
        at.text_input(key=case.key).input(case.value).run()
    elif case.widget == "cron":
        at.radio(key="sched_preset").set_value("custom").run()
        at.text_input(key=case.key).input(case.value).run()
    else:
        at.file_uploader(key=case.key).set_value(("workflow.yaml", case.value, "application/x-yaml")).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [str(error.value) for error in at.error]
    assert len(errors) == 1, errors
    assert case.message.lower() in errors[0].lower(), errors[0]
    assert "Traceback" not in errors[0]
    assert "\n" not in errors[0].strip()
