"""The wizard's database without Streamlit: migrations, the refusals that leave a file untouched, concurrency,
the run history contract, and the settings' JSON (what is saved, what is never saved)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from ui.history import MemoryRunHistory, RunRecord
from ui.services.saved import SETTINGS_VERSION, from_settings, to_settings
from ui.state import ExtraWorkspace, FiltersStep, WizardState
from ui.store import (
    SCHEMA_VERSION,
    Store,
    StoreError,
    close_stores,
    connect,
    database_path,
    open_store,
    run_history,
)


def _store() -> Store:
    store = open_store()
    assert isinstance(store, Store), store
    return store


def _version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def test_a_fresh_directory_gets_a_database_at_the_current_schema_in_wal_mode(data_home: Path) -> None:
    store = _store()
    assert store.path == data_home / "wizard.sqlite3" == database_path()
    assert _version(store.path) == SCHEMA_VERSION
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert open_store() is store  # one store per process and path


def test_a_version_1_file_is_upgraded_and_keeps_its_ingestions(data_home: Path) -> None:
    path = data_home / "wizard.sqlite3"
    old = connect(path, migrate_to=1)
    old.execute(
        "INSERT INTO ingestions VALUES ('abc', 'old one', 1.0, 2.0, ?, 1)",
        (json.dumps({"version": 1, "databricks": {"host": "adb-1.azuredatabricks.net"}}),),
    )
    old.close()
    assert _version(path) == 1
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'runs'").fetchone() is None

    store = _store()
    assert _version(path) == SCHEMA_VERSION == 4
    saved = store.get_ingestion("abc")
    assert saved is not None and saved.name == "old one" and saved.revision == 0
    store.runs.record(RunRecord("r1", "abc", 10.0, "run", outcome="ok", finished_at=12.0))
    assert [run.run_id for run in store.runs.list_runs("abc")] == ["r1"]


def test_a_damaged_file_is_refused_in_one_sentence_and_left_byte_identical(data_home: Path) -> None:
    data_home.mkdir()
    path = data_home / "wizard.sqlite3"
    garbage = b"this is not a database at all\n" * 200
    path.write_bytes(garbage)
    error = open_store()
    assert isinstance(error, StoreError)
    message = str(error)
    assert message.startswith(f"The database {path} is damaged") and message.count("\n") == 0
    assert "nothing is saved in this session" in message
    assert path.read_bytes() == garbage


def test_a_file_from_a_newer_wizard_is_refused_and_never_migrated_down(data_home: Path) -> None:
    data_home.mkdir()
    path = data_home / "wizard.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE future (x)")
        db.execute("PRAGMA user_version = 99")
    before = path.read_bytes()
    error = open_store()
    assert isinstance(error, StoreError)
    assert (
        f"written by a newer version of this wizard (schema 99, this one knows up to {SCHEMA_VERSION})"
        in str(error)
    )
    assert path.read_bytes() == before
    assert _version(path) == 99


def test_a_data_directory_that_cannot_be_created_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv("DBX_PIPELINE_HOME", str(blocker / "home"))
    error = open_store()
    assert isinstance(error, StoreError)
    assert str(error).startswith(f"The data directory {blocker / 'home'} cannot be created (")
    assert "set DBX_PIPELINE_HOME to a writable directory" in str(error)
    assert blocker.read_text() == "in the way"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only directory")
def test_a_read_only_directory_is_one_sentence_and_the_file_is_untouched(data_home: Path) -> None:
    store = _store()
    store.create_ingestion("kept", "{}", 1)
    close_stores()
    for extra in data_home.glob("wizard.sqlite3-*"):
        extra.unlink()
    path = data_home / "wizard.sqlite3"
    before = path.read_bytes()
    data_home.chmod(0o500)
    try:
        error = open_store()
        assert isinstance(error, StoreError), error
        assert path.read_bytes() == before
    finally:
        data_home.chmod(0o700)


def test_threads_and_a_second_process_connection_write_at_once_and_nothing_is_lost(data_home: Path) -> None:
    store = _store()
    other = Store(store.path, connect(store.path))  # what a second wizard process holds
    errors: list[BaseException] = []

    def write(target: Store, worker: int) -> None:
        try:
            for number in range(15):
                saved = target.create_ingestion(f"w{worker}-{number}", "{}", 1)
                target.update_settings(saved.id, json.dumps({"n": number}), 1)
                target.runs.record(RunRecord(f"{worker}-{number}", saved.id, float(number), "run"))
        except BaseException as err:  # noqa: BLE001 -- collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(store if n % 2 else other, n)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    assert errors == []
    assert len(store.list_ingestions()) == 90
    assert len(store.runs.latest_by_ingestion()) == 90


def test_the_run_history_meets_the_contract_of_the_memory_one(data_home: Path) -> None:
    store = _store()
    ing, other = store.create_ingestion("", "{}", 1).id, store.create_ingestion("", "{}", 1).id
    for history in (store.runs, MemoryRunHistory()):
        older = RunRecord("a", ing, 100.0, "dry-run", outcome="failed", finished_at=130.5,
                          counts={"created": 2, "failed": 1}, report={"created": 2}, error=None, log="line 1\n")  # fmt: skip
        newer = RunRecord("b", ing, 200.0, "run", log="started\n")
        history.record(older)
        history.record(newer)
        history.record(RunRecord("c", other, 300.0, "run"))
        listed = history.list_runs(ing)
        assert [run.run_id for run in listed] == ["b", "a"]
        assert all(run.log == "" for run in listed)
        assert history.list_runs(ing, limit=1)[0].run_id == "b"
        whole = history.get("a")
        assert whole == older and whole is not None and whole.duration_s == 30.5
        newer.outcome, newer.finished_at = "stopped", 210.0
        history.record(newer)  # replaced, not duplicated
        assert [(run.run_id, run.outcome) for run in history.list_runs(ing)] == [
            ("b", "stopped"),
            ("a", "failed"),
        ]
        assert history.get("missing") is None
    assert store.runs.latest_by_ingestion()[ing].run_id == "b"


@pytest.mark.parametrize("damage", ["corrupt", "newer", "newer-wal"])
def test_the_read_only_check_creates_nothing_next_to_a_refused_file(data_home: Path, damage: str) -> None:
    data_home.mkdir()
    path = data_home / "wizard.sqlite3"
    if damage == "corrupt":
        path.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    else:
        with sqlite3.connect(path) as db:
            if damage == "newer-wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE t (x)")
            db.execute("PRAGMA user_version = 99")
        db.close()
    before = sorted(p.name for p in data_home.iterdir()), path.read_bytes()
    assert isinstance(open_store(), StoreError)
    assert (
        (sorted(p.name for p in data_home.iterdir()), path.read_bytes())
        == before
        == (["wizard.sqlite3"], before[1])
    )


def test_an_empty_file_is_used_as_a_new_database_and_says_so(data_home: Path) -> None:
    data_home.mkdir()
    (data_home / "wizard.sqlite3").write_bytes(b"")
    store = _store()
    assert (
        store.notice
        and "was an empty file (0 bytes" in store.notice
        and "used as a new database" in store.notice
    )
    assert store.create_ingestion("", "{}", 1) and _version(store.path) == SCHEMA_VERSION


def test_a_run_of_a_missing_ingestion_is_never_recorded_but_an_unsaved_one_s_is(data_home: Path) -> None:
    store = _store()
    kept = store.create_ingestion("", "{}", 1)
    store.runs.record(RunRecord("r1", kept.id, 1.0, "run"))
    store.runs.record(RunRecord("r2", "deleted", 1.0, "run", outcome="ok", finished_at=2.0))
    store.runs.record(RunRecord("r3", "session:abc", 1.0, "run"))
    assert store.runs.get("r1") is not None and store.runs.get("r3") is not None
    assert store.runs.get("r2") is None and "deleted" not in store.runs.latest_by_ingestion()


def test_rename_duplicate_and_delete_with_its_runs(data_home: Path) -> None:
    store = _store()
    first = store.create_ingestion("", '{"version": 1}', 1)
    store.runs.record(RunRecord("r", first.id, 1.0, "run"))
    assert len(first.id) == 8 and first.id.replace("-", "").replace("_", "").isalnum()
    assert store.rename(first.id, "Nightly prod")
    copy = store.duplicate(first.id, "Copy of Nightly prod")
    assert copy is not None and copy.id != first.id and copy.settings == first.settings
    assert store.runs.list_runs(copy.id) == []
    assert store.delete(first.id)
    assert store.get_ingestion(first.id) is None and store.runs.list_runs(first.id) == []
    assert not store.rename(first.id, "gone") and not store.delete(first.id)
    assert [saved.name for saved in store.list_ingestions()] == ["Copy of Nightly prod"]


def _full_state() -> WizardState:
    state = WizardState(demo=True, dry_run=True, dialect="1.x", imported_from="prod.yaml")
    state.visited = {"databricks", "options"}
    dbx = state.databricks
    dbx.host, dbx.auth, dbx.client_id, dbx.http_path = (
        "adb-1.azuredatabricks.net",
        "oauth",
        "cid",
        "/sql/1.0/warehouses/x",
    )
    dbx.token, dbx.client_secret = SecretStr("dapi-SECRET-TOKEN"), SecretStr("oauth-SECRET")
    dbx.timeout_s, dbx.connection_args, dbx.service_name = 45, "a: 1", "prod_dbx"
    state.filters.add("include", "starts", "etl_")
    state.filters.add("exclude", "regex", r".*_tmp$")
    state.options.include_tags, state.options.lookback_days, state.options.db_service_names = False, 7, ["uc"]
    state.sink.om_host, state.sink.jwt, state.sink.verify_ssl = (
        "https://om.example.com/api",
        SecretStr("eyJ.SECRET.JWT"),
        "validate",
    )
    state.schedule.preset, state.schedule.custom_cron, state.schedule.timezone = (
        "custom",
        "30 4 * * 1-5",
        "Europe/Paris",
    )
    state.schedule.start_date, state.schedule.retries, state.schedule.dag_id = date(2026, 1, 2), 4, "my_dag"
    extra = ExtraWorkspace(id=3, filters=FiltersStep())
    extra.databricks.host, extra.databricks.service_name = "dbc-2.cloud.databricks.com", "second"
    extra.databricks.token = SecretStr("dapi-SECOND-SECRET")
    extra.filters.add("include", "contains", "sales")  # type: ignore[union-attr]
    state.workspaces[3] = extra
    state.next_workspace_id = 4
    state.secret_env = {"sink.jwt": "OM_JWT"}
    return state  # fmt: skip


def test_settings_round_trip_every_value_and_never_a_secret() -> None:
    state = _full_state()
    text = json.dumps(to_settings(state))
    for secret in ("dapi-SECRET-TOKEN", "oauth-SECRET", "eyJ.SECRET.JWT", "dapi-SECOND-SECRET"):
        assert secret not in text
    restored, notes, secrets_set = from_settings(json.loads(text))
    assert notes == []
    assert secrets_set == [
        "databricks.client_secret",
        "databricks.token",
        "sink.jwt",
        "workspaces.3.databricks.token",
    ]
    assert to_settings(restored) == {**to_settings(state), "secrets_set": []}
    assert restored.databricks.token is None and restored.sink.jwt is None
    assert restored.schedule.start_date == date(2026, 1, 2)
    assert (
        restored.workspaces[3].filters is not None
        and restored.workspaces[3].filters.rules[0].value == "sales"
    )
    assert restored.filters.next_id == 3 and restored.visited == {"databricks", "options"}


def test_settings_from_a_newer_version_load_what_is_known_and_note_the_rest() -> None:
    data = to_settings(_full_state())
    data["version"] = SETTINGS_VERSION + 1
    data["databricks"]["warp_drive"] = True
    data["telemetry"] = {"on": True}
    data["options"]["lookback_days"] = "seven"  # a type this version cannot take
    data["databricks"]["auth"] = "kerberos"
    restored, notes, _ = from_settings(data)
    assert restored.databricks.host == "adb-1.azuredatabricks.net" and restored.options.lookback_days == 1
    assert restored.databricks.auth == "pat"
    assert any("newer version of the wizard (settings format 2" in note for note in notes)
    assert "Ignored databricks.warp_drive: not a setting of this version of the wizard." in notes
    assert "Ignored telemetry: not a setting of this version of the wizard." in notes
    assert "Ignored options.lookback_days: not a valid value." in notes
    assert from_settings("nonsense")[1] == ["The saved settings were not readable: defaults used."]


def test_a_directory_without_write_permission_is_one_sentence_before_any_file_is_made(
    data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_home.mkdir()
    monkeypatch.setattr("ui.store.db.os.access", lambda path, mode: False)  # what a non-root user meets
    error = open_store()
    assert isinstance(error, StoreError)
    assert str(error) == (
        f"The data directory {data_home} is not writable: the wizard works, but nothing is saved in this session: "
        "a reload or a new tab starts from empty settings and cannot reach a run started here, so keep this tab "
        "open."
    )
    assert list(data_home.iterdir()) == []


def test_runs_go_to_the_database_or_to_memory_when_it_cannot_be_used(
    data_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_history() is _store().runs
    (tmp_path / "blocked").write_text("")
    monkeypatch.setenv("DBX_PIPELINE_HOME", str(tmp_path / "blocked" / "home"))
    fallback = run_history()
    assert isinstance(fallback, MemoryRunHistory) and run_history() is fallback
