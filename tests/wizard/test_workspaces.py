"""The review step's "Add another workspace to this DAG", driven through AppTest as a user would.

The zip is read from what the download button really serves: AppTest keeps download data in an in-memory
media store, which :func:`served` captures. Expectations come from the generator's own contract
(``plan_workspaces``: one ``<dag_id>.<service>.yaml`` per workspace, secrets suffixed with the service, a DAG
mapped with ``.expand(``), not from the page's text.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from core.config import parse_workflow_config
from core.emulators.openmetadata import DEFAULT_JWT
from core.generate.bundle import render_bundle
from ui import services
from ui.state import WizardState

DAG_ID = "demo_databricks_to_openmetadata"
SECOND = "finance_databricks"
SECOND_TOKEN = "dapi-second-workspace-secret-0123456789"


def _demo_token() -> str:
    return str(services.start_demo()["databricks"].token)


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MemoryMediaFileStorage]]:
    """Every in-memory media store AppTest creates (one per run), so a download's bytes can be read."""
    import streamlit.testing.v1.app_test as app_test

    stores: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, endpoint: str) -> None:
            super().__init__(endpoint)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)
    yield stores


def served(at: AppTest, stores: list[MemoryMediaFileStorage], key: str) -> bytes:
    """The bytes the download button ``key`` serves, from the last run's media store."""
    button = next(element for element in at.get("download_button") if element.proto.id.endswith(key))
    filename = button.proto.url.rsplit("/", 1)[-1]
    return bytes(stores[-1].get_file(filename).content)


def _review(new_app: Callable[[], AppTest]) -> AppTest:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    at.switch_page("app_pages/review.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _add(at: AppTest, service: str = SECOND, *, token: str | None = SECOND_TOKEN) -> int:
    state: WizardState = at.session_state["wizard"]
    workspace_id = state.next_workspace_id
    at.button(key="review_add_workspace").click().run()
    at.text_input(key=f"review_ws{workspace_id}_service_name").input(service).run()
    at.text_input(key=f"review_ws{workspace_id}_host").input(state.databricks.host).run()
    if token is not None:
        at.text_input(key=f"review_ws{workspace_id}_token").input(token).run()
    return workspace_id


def _errors(at: AppTest) -> list[str]:
    return [str(error.value) for error in at.error]


def test_an_added_workspace_puts_two_yamls_and_a_mapped_dag_in_the_zip(
    new_app: Callable[[], AppTest], media: list[MemoryMediaFileStorage], h: SimpleNamespace
) -> None:
    at = _review(new_app)
    _add(at)
    assert not at.exception and not _errors(at), _errors(at)
    assert [button.label for button in at.get("download_button")] == [
        "Download DAG",
        "Download all (.zip)",
        f"Download {DAG_ID}.demo_databricks.yaml",
        f"Download {DAG_ID}.{SECOND}.yaml",
    ]

    archive = zipfile.ZipFile(io.BytesIO(served(at, media, "review_download_zip")))
    texts = {name: archive.read(name).decode() for name in archive.namelist() if not name.endswith(".whl")}
    yamls = sorted(name for name in texts if name.endswith(".yaml"))
    assert yamls == [f"{DAG_ID}.demo_databricks.yaml", f"{DAG_ID}.{SECOND}.yaml"]
    assert set(texts) == {*yamls, f"{DAG_ID}.py", "README.md"}
    dag = texts[f"{DAG_ID}.py"]
    compile(dag, "dag.py", "exec")
    assert ".expand(" in dag and all(name in dag for name in yamls)

    # Each YAML is its own workspace and service, with its own secret names; values never written.
    second = texts[f"{DAG_ID}.{SECOND}.yaml"]
    assert "${DATABRICKS_TOKEN_FINANCE_DATABRICKS}" in second
    assert "${OPENMETADATA_JWT_TOKEN_FINANCE_DATABRICKS}" in second
    env = {
        "DATABRICKS_TOKEN_FINANCE_DATABRICKS": "t",
        "OPENMETADATA_JWT_TOKEN_FINANCE_DATABRICKS": "j",
    }
    config = parse_workflow_config(yaml.safe_load(second), environ=env)
    assert config.source.service_name == SECOND
    for secret in (SECOND_TOKEN, _demo_token(), DEFAULT_JWT):
        assert all(secret not in text for text in texts.values())

    # The page shows the same files, each workspace's secrets under its own names.
    codes = [str(code.value) for code in at.code]
    assert codes[1] == second.rstrip("\n")
    where = list(at.dataframe[0].value["where"])
    assert "DATABRICKS_TOKEN_FINANCE_DATABRICKS" in where and "DATABRICKS_TOKEN_DEMO_DATABRICKS" in where


def test_without_extra_workspaces_the_files_are_the_one_workspace_bundle(
    new_app: Callable[[], AppTest], media: list[MemoryMediaFileStorage]
) -> None:
    at = _review(new_app)
    state: WizardState = at.session_state["wizard"]
    expected = render_bundle(
        services.build_config(state, for_export=True),
        services.dag_options(state),
        dialect=services.current_dialect(state),
    )
    archive = zipfile.ZipFile(io.BytesIO(served(at, media, "review_download_zip")))
    texts = {name: archive.read(name).decode() for name in archive.namelist() if not name.endswith(".whl")}
    assert texts == expected
    assert served(at, media, "review_download_yaml").decode() == expected[f"{DAG_ID}.yaml"]
    assert ".expand(" not in expected[f"{DAG_ID}.py"]


def test_a_duplicate_service_is_refused_at_the_workspace(new_app: Callable[[], AppTest]) -> None:
    at = _review(new_app)
    workspace_id = _add(at, "demo_databricks")
    assert _errors(at) == [
        "Two workflows ingest into the service 'demo_databricks': each workspace needs its own service. "
        "Give each workspace's workflow its own serviceName."
    ]
    assert not at.get("download_button"), "nothing to download while a workspace is refused"
    assert "Fix the workspaces marked above" in at.warning[0].value
    # Fixed at the field, the files come back.
    at.text_input(key=f"review_ws{workspace_id}_service_name").input("other").run()
    assert not _errors(at)
    assert at.get("download_button")


def test_a_missing_host_is_required_and_a_missing_token_blocks_nothing(
    new_app: Callable[[], AppTest],
) -> None:
    at = _review(new_app)
    workspace_id = _add(at, token=None)
    assert not _errors(at)
    assert any("needed to test this workspace" in str(c.value) for c in at.caption)
    at.text_input(key=f"review_ws{workspace_id}_host").input("").run()
    assert _errors(at) == ["Required."]
    at.text_input(key=f"review_ws{workspace_id}_host").input("not a host!").run()
    assert len(_errors(at)) == 1 and _errors(at)[0].startswith("The host ")


def test_removing_a_workspace_asks_first(new_app: Callable[[], AppTest]) -> None:
    at = _review(new_app)
    workspace_id = _add(at)
    state: WizardState = at.session_state["wizard"]
    at.button(key=f"review_ws{workspace_id}_remove").click().run()
    assert workspace_id in state.workspaces, "one click does not remove"
    assert f"Remove **{SECOND}** from this DAG?" in at.warning[0].value
    at.button(key=f"review_ws{workspace_id}_remove_no").click().run()
    assert workspace_id in state.workspaces and not at.warning
    at.button(key=f"review_ws{workspace_id}_remove").click().run()
    at.button(key=f"review_ws{workspace_id}_remove_yes").click().run()
    assert state.workspaces == {}
    assert at.get("download_button")[0].label == "Download YAML"


def test_an_added_workspace_is_tested_like_step_2(new_app: Callable[[], AppTest]) -> None:
    at = _review(new_app)
    workspace_id = _add(at, token=_demo_token())
    state: WizardState = at.session_state["wizard"]
    at.text_input(key=f"review_ws{workspace_id}_http_path").input(state.databricks.http_path).run()
    at.button(key=f"review_ws{workspace_id}_test").click().run()
    assert {status.label: status.state for status in at.status} == {
        "Databricks: 5 of 5 checks passed": "complete"
    }
    # A wrong token fails the credentials step, and the result goes stale when the token changes.
    at.text_input(key=f"review_ws{workspace_id}_token").input(SECOND_TOKEN).run()
    assert [status.label for status in at.status] == ["Databricks: 5 of 5 checks passed (stale — test again)"]
    assert any("and the token has changed since" in warning.value for warning in at.warning)
    at.button(key=f"review_ws{workspace_id}_test").click().run()
    (status,) = at.status
    assert status.state == "error"


def test_its_own_filters_start_as_a_copy_and_go_to_its_yaml_only(new_app: Callable[[], AppTest]) -> None:
    at = _review(new_app)
    state: WizardState = at.session_state["wizard"]
    state.filters.add("include", "starts", "etl")
    workspace_id = _add(at)
    at.toggle(key=f"review_ws{workspace_id}_own_filters").set_value(True).run()
    assert at.text_input(key=f"review_ws{workspace_id}_filter_value_1").value == "etl"
    at.text_input(key=f"review_ws{workspace_id}_filter_value_1").input("finance").run()
    assert not _errors(at)
    export = services.export_files(state)
    patterns = [
        yaml.safe_load(export.files[name])["source"]["sourceConfig"]["config"]["pipelineFilterPattern"]
        for name in export.yaml_names
    ]
    assert patterns == [{"includes": ["etl"]}, {"includes": ["finance"]}]


def test_no_secret_of_an_extra_workspace_in_the_page_or_the_session(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = _review(new_app)
    workspace_id = _add(at)
    assert at.text_input(key=f"review_ws{workspace_id}_token").value == ""
    page: list[Any] = [*h.texts(at), *(str(w.value) for w in at.text_input)]
    assert all(SECOND_TOKEN not in text for text in page)
    assert SECOND_TOKEN not in repr(at.session_state)
    state: WizardState = at.session_state["wizard"]
    assert state.workspaces[workspace_id].databricks.token is not None


def _state_with_second() -> WizardState:
    state = WizardState()
    services.apply_demo(state)
    workspace = services.add_workspace(state)
    workspace.databricks.service_name = SECOND
    workspace.databricks.host = state.databricks.host
    return state


def test_connection_mode_names_each_workspaces_connections() -> None:
    state = _state_with_second()
    state.schedule.secrets = "connection"
    export = services.export_files(state)
    assert [where for where, _ in export.secret_sources] == [
        "databricks_demo_databricks (password)",
        "openmetadata_demo_databricks (password)",
        f"databricks_{SECOND} (password)",
        f"openmetadata_{SECOND} (password)",
    ]
    assert export.secret_sources[2][1].endswith(f"({SECOND})")


def test_what_plan_workspaces_refuses_lands_at_the_workspace() -> None:
    state = _state_with_second()
    state.schedule.engine = "openmetadata"
    (workspace_id,) = state.workspaces
    assert services.workspace_problems(state) == {
        workspace_id: {
            "general": "One DAG for several workspaces needs the core engine. "
            "Generate one DAG per workspace for the openmetadata engine."
        }
    }
    state.schedule.engine = "core"
    third = services.add_workspace(state)
    third.databricks.service_name = "Finance-Databricks"  # the same file and secret names as the second
    third.databricks.host = state.databricks.host
    problems = services.workspace_problems(state)
    assert list(problems) == [third.id] and list(problems[third.id]) == ["service_name"]
    assert "give the same file and secret names" in problems[third.id]["service_name"]
