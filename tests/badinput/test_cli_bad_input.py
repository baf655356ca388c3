"""Bad input through the CLI, as one table: every case exits 2 with one line naming the field and what to do.

Each case breaks exactly one thing in an otherwise working workflow (or the command line itself) and runs
through ``core.cli.main`` for every command it is meaningful for. The outcome asserted for each:

- exit code 2 (argparse's ``SystemExit(2)`` counts: that is the console script's exit code);
- exactly one line saying what is wrong: the one line on stderr when the input is rejected before any
  work; for ``test-connection`` the one ``[FAIL]`` step; for an ``ingest`` that a server stopped once
  started (credentials refused, a server that is not what the YAML says), the report's one ``FAILED``
  line. That line names the field (dotted YAML path, CLI flag, the file or the YAML line) and contains
  what to do;
- no ``Traceback`` and none of the secret values involved anywhere in stdout or stderr.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.cli import main
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT, EXPIRED_JWT, READ_ONLY_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec

PAT = "dapi0badc0ffee0badc0ffee0badc0ffee00"  # the emulator's token: dapi + 32 hex
WRONG_PAT = "dapi0123456789abcdef0123456789abcdef"
CLIENT_ID = "badinput-sp"
CLIENT_SECRET = "dose-oauth-secret-badinput-7f3a9c"
WRONG_SECRET = "dose-wrong-secret-badinput-0000"
UNKNOWN_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb21lb25lLWVsc2UifQ.c2lnbmF0dXJlLW9mLW5vYm9keQ"
SECRETS = (PAT, WRONG_PAT, CLIENT_SECRET, WRONG_SECRET, DEFAULT_JWT, EXPIRED_JWT, READ_ONLY_JWT, UNKNOWN_JWT)

CONN = "source.serviceConnection.config"
OPTS = "source.sourceConfig.config"
SERVER = "workflowConfig.openMetadataServerConfig"


@dataclass(frozen=True)
class Env:
    """What a case may refer to: the running emulators, a temp dir and a port nobody listens on."""

    databricks: DatabricksEmulator
    openmetadata: OpenMetadataEmulator
    tmp: Path
    closed_port: int


Value = Any  # a literal, or a callable(Env) -> literal
Mutation = Callable[[dict, Env], None]


def _resolve(value: Value, env: Env) -> Any:
    return value(env) if callable(value) else value


def at(path: str, value: Value) -> Mutation:
    """Set the dotted ``path`` (created as needed) to ``value``."""

    def mutate(config: dict, env: Env) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = _resolve(value, env)

    return mutate


def drop(path: str) -> Mutation:
    """Remove the dotted ``path``."""

    def mutate(config: dict, env: Env) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def rename(path: str, new_key: str) -> Mutation:
    """Rename the last key of ``path`` (a typo in a key)."""

    def mutate(config: dict, env: Env) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        node[new_key] = node.pop(last)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(config: dict, env: Env) -> None:
        for mutation in mutations:
            mutation(config, env)

    return mutate


@dataclass(frozen=True)
class Case:
    """One bad input. ``mutate`` changes a working config, ``raw`` is the whole file instead (text or
    bytes; a callable gets the temp dir and returns the path to give to ``-c``)."""

    id: str
    category: str
    field: str  # what the line must name
    todo: str  # what the line must say to do (case-insensitive substring)
    mutate: Mutation | None = None
    raw: str | bytes | Callable[[Path], Path] | None = None
    commands: tuple[str, ...] = ("ingest", "test-connection")
    args: dict[str, tuple[str, ...]] = field(default_factory=dict)  # extra CLI args per command
    argv: Callable[[str, str], list[str]] | None = None  # the whole argv, from (command, path)


def _huge(tmp: Path) -> Path:
    path = tmp / "huge.yaml"
    path.write_text("source:\n" + "  # padding\n" * 120_000)
    return path


def _directory(tmp: Path) -> Path:
    (tmp / "a-directory.yaml").mkdir()
    return tmp / "a-directory.yaml"


def _missing(tmp: Path) -> Path:
    return tmp / "no-such-workflow.yaml"


CASES: list[Case] = [
    # -- YAML syntax: the line is named ----------------------------------------------------------------
    Case("yaml-unclosed-bracket", "yaml", "line 4", "fix the yaml",
         raw="source:\n  type: databrickspipeline\n  serviceName: [unclosed\nsink: {}\n"),
    Case("yaml-tab-indentation", "yaml", "line 2", "fix the yaml", raw="source:\n\ttype: databrickspipeline\n"),
    Case("yaml-mapping-in-value", "yaml", "line 2", "fix the yaml",
         raw="source:\n  serviceName: a: b\n"),
    Case("yaml-unterminated-quote", "yaml", "quoted scalar at line 2", "fix the yaml",
         raw='source:\n  serviceName: "abc\nsink: {}\n'),
    Case("yaml-python-tag", "yaml", "line 1", "fix the yaml",
         raw='source: !!python/object/apply:os.system ["echo pwned"]\n'),
    # -- unknown keys at every depth, with a did-you-mean ---------------------------------------------------
    Case("unknown-key-top", "unknown-key", "sourc", "did you mean 'source'", mutate=rename("source", "sourc")),
    Case("unknown-key-source", "unknown-key", "source.serviceNme", "did you mean 'serviceName'",
         mutate=rename("source.serviceName", "serviceNme")),
    Case("unknown-key-connection", "unknown-key", f"{CONN}.connectionTimout", "did you mean 'connectionTimeout'",
         mutate=rename(f"{CONN}.connectionTimeout", "connectionTimout")),
    Case("unknown-key-auth", "unknown-key", f"{CONN}.authType.tokn", "did you mean 'token'",
         mutate=rename(f"{CONN}.authType.token", "tokn")),
    Case("unknown-key-options", "unknown-key", f"{OPTS}.statusLookbackDay", "did you mean 'statusLookbackDays'",
         mutate=rename(f"{OPTS}.statusLookbackDays", "statusLookbackDay")),
    Case("unknown-key-lineage", "unknown-key", f"{OPTS}.lineageInformation.dbServiceName",
         "did you mean 'dbServiceNames'", mutate=rename(f"{OPTS}.lineageInformation.dbServiceNames", "dbServiceName")),
    Case("unknown-key-security", "unknown-key", f"{SERVER}.securityConfig.jwt", "valid keys here: jwtToken",
         mutate=rename(f"{SERVER}.securityConfig.jwtToken", "jwt")),
    Case("unknown-key-sink", "unknown-key", "sink.config.fileName", "did you mean 'filename'",
         mutate=both(at("sink", {"type": "file", "config": {"fileName": "out.jsonl"}}))),
    # -- wrong types ------------------------------------------------------------------------------------
    Case("type-timeout-text", "type", f"{CONN}.connectionTimeout", "valid number",
         mutate=at(f"{CONN}.connectionTimeout", "fast")),
    Case("type-lookback-text", "type", f"{OPTS}.statusLookbackDays", "valid integer",
         mutate=at(f"{OPTS}.statusLookbackDays", "seven")),
    Case("type-bool", "type", f"{OPTS}.includeLineage", "valid boolean", mutate=at(f"{OPTS}.includeLineage", "maybe")),
    Case("type-includes-string", "type", f"{OPTS}.pipelineFilterPattern.includes", "valid list",
         mutate=at(f"{OPTS}.pipelineFilterPattern", {"includes": "etl"})),
    Case("type-auth-string", "type", f"{CONN}.authType", "{token: ...}", mutate=at(f"{CONN}.authType", WRONG_PAT)),
    Case("type-service-name-number", "type", "source.serviceName", "valid string", mutate=at("source.serviceName", 123)),
    Case("type-source-list", "type", "source", "valid dictionary", mutate=at("source", ["a", "b"])),
    Case("type-logger-level", "type", "workflowConfig.loggerLevel", "'DEBUG'",
         mutate=at("workflowConfig.loggerLevel", "LOUD")),
    Case("type-sink-type", "type", "sink.type", "'metadata-rest'", mutate=at("sink.type", "metadata-restt")),
    Case("type-source-type", "type", "source.type", "'databrickspipeline'", mutate=at("source.type", "databricks")),
    Case("type-verify-ssl", "type", f"{SERVER}.verifySSL", "'validate'", mutate=at(f"{SERVER}.verifySSL", "yes")),
    Case("type-workers-text", "type", "workflowConfig.config.workers", "e.g. workers: 16",
         mutate=at("workflowConfig.config", {"workers": "many"}), commands=("ingest",)),
    Case("type-workers-zero", "type", "workflowConfig.config.workers", "e.g. workers: 16",
         mutate=at("workflowConfig.config", {"workers": 0}), commands=("ingest",)),
    # -- missing required fields ------------------------------------------------------------------------
    Case("missing-source", "missing", "source", "required", mutate=drop("source")),
    Case("missing-service-name", "missing", "source.serviceName", "required", mutate=drop("source.serviceName")),
    Case("missing-host", "missing", f"{CONN}.hostPort", "required", mutate=drop(f"{CONN}.hostPort")),
    Case("missing-credentials", "missing", CONN, "add authType", mutate=drop(f"{CONN}.authType")),
    Case("missing-server-config", "missing", SERVER, "securityConfig.jwtToken",
         mutate=drop("workflowConfig.openMetadataServerConfig")),
    Case("missing-jwt", "missing", SERVER, "needs securityConfig.jwtToken", mutate=drop(f"{SERVER}.securityConfig")),
    Case("missing-file-sink-name", "missing", "sink", "filename:", mutate=at("sink", {"type": "file", "config": {}})),
    Case("empty-token", "missing", f"{CONN}.authType.token", "at least 1 character",
         mutate=at(f"{CONN}.authType.token", "")),
    Case("empty-jwt", "missing", f"{SERVER}.securityConfig.jwtToken", "at least 1 character",
         mutate=at(f"{SERVER}.securityConfig.jwtToken", "")),
    Case("token-and-auth-type-differ", "missing", CONN, "not both", mutate=at(f"{CONN}.token", WRONG_PAT)),
    # -- invalid regular expressions (ingest and preview compile the filters) ----------------------------------
    Case("regex-unclosed-group", "regex", f"{OPTS}.pipelineFilterPattern.includes[0]", "fix the pattern",
         mutate=at(f"{OPTS}.pipelineFilterPattern", {"includes": ["(etl"]}), commands=("ingest", "preview")),
    Case("regex-nothing-to-repeat", "regex", f"{OPTS}.pipelineFilterPattern.excludes[1]", "fix the pattern",
         mutate=at(f"{OPTS}.pipelineFilterPattern", {"excludes": ["tmp-.*", "*hr"]}), commands=("ingest", "preview")),
    Case("regex-connection-level", "regex", f"{CONN}.pipelineFilterPattern.includes[0]", "fix the pattern",
         mutate=at(f"{CONN}.pipelineFilterPattern", {"includes": ["[a-"]}), commands=("ingest", "preview")),
    # -- hosts: schemes, ports, paths -------------------------------------------------------------------
    Case("host-bad-scheme", "host", f"{CONN}.hostPort", "use https://", mutate=at(f"{CONN}.hostPort", "ftp://x.example.com")),
    Case("host-port-too-big", "host", f"{CONN}.hostPort", "port from 1 to 65535",
         mutate=at(f"{CONN}.hostPort", "https://adb-1.azuredatabricks.net:99999")),
    Case("host-port-not-a-number", "host", f"{CONN}.hostPort", "port from 1 to 65535",
         mutate=at(f"{CONN}.hostPort", "adb-1.azuredatabricks.net:https")),
    Case("host-with-path", "host", f"{CONN}.hostPort", "give only the workspace address",
         mutate=at(f"{CONN}.hostPort", "https://adb-1.azuredatabricks.net/api/2.2/jobs")),
    Case("host-with-password", "host", f"{CONN}.hostPort", "put credentials in their own fields",
         mutate=at(f"{CONN}.hostPort", f"https://user:{WRONG_SECRET}@adb-1.azuredatabricks.net")),
    Case("host-empty", "host", f"{CONN}.hostPort", "give the server address", mutate=at(f"{CONN}.hostPort", "")),
    Case("host-with-space", "host", f"{CONN}.hostPort", "use a name like", mutate=at(f"{CONN}.hostPort", "my workspace")),
    Case("om-bad-scheme", "host", f"{SERVER}.hostPort", "use https://", mutate=at(f"{SERVER}.hostPort", "ws://om:8585/api")),
    Case("om-port-zero", "host", f"{SERVER}.hostPort", "port from 1 to 65535",
         mutate=at(f"{SERVER}.hostPort", "http://om.example.com:0/api")),
    Case("om-url-without-api", "host", f"{SERVER}.hostPort", "must end with /api",
         mutate=at(f"{SERVER}.hostPort", lambda env: env.openmetadata.url)),
    # -- servers that cannot be reached, or are not what the YAML says ------------------------------------------
    Case("unreachable-databricks", "reach", f"{CONN}.hostPort", "check the host and port",
         mutate=at(f"{CONN}.hostPort", lambda env: f"http://127.0.0.1:{env.closed_port}")),
    Case("unreachable-openmetadata", "reach", f"{SERVER}.hostPort", "check the host and port",
         mutate=at(f"{SERVER}.hostPort", lambda env: f"http://127.0.0.1:{env.closed_port}/api")),
    Case("dns-failure-databricks", "reach", f"{CONN}.hostPort", "check the spelling",
         mutate=at(f"{CONN}.hostPort", "https://dbx-workspace.invalid")),
    Case("dns-failure-openmetadata", "reach", f"{SERVER}.hostPort", "check the spelling",
         mutate=at(f"{SERVER}.hostPort", "http://openmetadata.invalid:8585/api")),
    Case("openmetadata-url-is-databricks", "reach", f"{SERVER}.hostPort", "api root",
         mutate=at(f"{SERVER}.hostPort", lambda env: f"{env.databricks.url}/api")),
    Case("databricks-host-is-openmetadata", "reach", f"{CONN}.hostPort", "use the workspace url",
         mutate=at(f"{CONN}.hostPort", lambda env: env.openmetadata.url)),
    Case("unknown-sql-warehouse", "reach", f"{CONN}.httpPath", "copy httppath",
         mutate=at(f"{CONN}.httpPath", "/sql/1.0/warehouses/nosuchwarehouse"), commands=("test-connection",)),
    # -- credentials ------------------------------------------------------------------------------------
    Case("wrong-databricks-token", "credentials", f"{CONN}.authType", "check the token",
         mutate=at(f"{CONN}.authType", {"token": WRONG_PAT})),
    Case("wrong-oauth-secret", "credentials", f"{CONN}.authType", "clientsecret",
         mutate=at(f"{CONN}.authType", {"clientId": CLIENT_ID, "clientSecret": WRONG_SECRET})),
    Case("wrong-oauth-client-id", "credentials", f"{CONN}.authType", "clientid",
         mutate=at(f"{CONN}.authType", {"clientId": "not-the-principal", "clientSecret": CLIENT_SECRET})),
    Case("expired-jwt", "credentials", f"{SERVER}.securityConfig.jwtToken", "fresh token",
         mutate=at(f"{SERVER}.securityConfig.jwtToken", EXPIRED_JWT)),
    Case("unknown-jwt", "credentials", f"{SERVER}.securityConfig.jwtToken", "fresh token",
         mutate=at(f"{SERVER}.securityConfig.jwtToken", UNKNOWN_JWT)),
    Case("read-only-jwt", "credentials", f"{SERVER}.securityConfig.jwtToken", "ingestion-bot",
         mutate=at(f"{SERVER}.securityConfig.jwtToken", READ_ONLY_JWT)),
    # -- HTTP paths -------------------------------------------------------------------------------------
    Case("http-path-malformed", "http-path", f"{CONN}.httpPath", "/sql/1.0/warehouses/",
         mutate=at(f"{CONN}.httpPath", "/sql/warehouses/abc")),
    Case("http-path-cluster", "http-path", f"{CONN}.httpPath", "sql warehouse path",
         mutate=at(f"{CONN}.httpPath", "/sql/protocolv1/o/1234567890/0123-456789-abcdefgh")),
    Case("http-path-legacy-malformed", "http-path", "connectionArguments.http_path", "/sql/1.0/warehouses/",
         mutate=both(drop(f"{CONN}.httpPath"), at(f"{CONN}.connectionArguments", {"http_path": "warehouse-7"}))),
    # -- numbers out of range ------------------------------------------------------------------------------
    Case("negative-status-lookback", "range", f"{OPTS}.statusLookbackDays", "greater than or equal to 0",
         mutate=at(f"{OPTS}.statusLookbackDays", -1)),
    Case("lineage-lookback-zero", "range", f"{CONN}.lineageLookBackDays", "greater than or equal to 1",
         mutate=at(f"{CONN}.lineageLookBackDays", 0)),
    Case("lineage-lookback-too-long", "range", f"{CONN}.lineageLookBackDays", "less than or equal to 365",
         mutate=at(f"{CONN}.lineageLookBackDays", 1000)),
    Case("connection-timeout-zero", "range", f"{CONN}.connectionTimeout", "greater than 0",
         mutate=at(f"{CONN}.connectionTimeout", 0)),
    Case("connection-timeout-negative", "range", f"{CONN}.connectionTimeout", "greater than 0",
         mutate=at(f"{CONN}.connectionTimeout", -5)),
    # -- environment variables ---------------------------------------------------------------------------
    Case("env-unset-token", "env", f"{CONN}.authType.token", "export DBX_BADINPUT_UNSET_TOKEN",
         mutate=at(f"{CONN}.authType.token", "${DBX_BADINPUT_UNSET_TOKEN}")),
    Case("env-unset-host", "env", f"{SERVER}.hostPort", "export DBX_BADINPUT_UNSET_HOST",
         mutate=at(f"{SERVER}.hostPort", "http://${DBX_BADINPUT_UNSET_HOST}:8585/api")),
    # -- the file itself ----------------------------------------------------------------------------------
    Case("file-huge", "file", "huge.yaml", "right file", raw=_huge),
    Case("file-binary", "file", "workflow.yaml", "give the workflow .yaml file",
         raw=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd"),
    Case("file-nul-bytes", "file", "workflow.yaml", "workflow .yaml file", raw=b"source:\x00\x00\n"),
    Case("file-empty", "file", "workflow.yaml", "give the path of the workflow yaml", raw=""),
    Case("file-directory", "file", "a-directory.yaml", "give the path", raw=_directory),
    Case("file-missing", "file", "no-such-workflow.yaml", "check the path given to -c", raw=_missing),
    Case("file-list", "file", "workflow.yaml", "source, sink and workflowconfig", raw="- source: {}\n- sink: {}\n"),
    Case("file-scalar", "file", "workflow.yaml", "source, sink and workflowconfig", raw="just a sentence\n"),
    # -- command-line flags ------------------------------------------------------------------------------
    Case("flag-workers-zero", "flag", "--workers", "at least 1", commands=("ingest",), args={"ingest": ("--workers", "0")}),
    Case("flag-workers-negative", "flag", "--workers", "at least 1", commands=("ingest",),
         args={"ingest": ("--workers", "-3")}),
    Case("flag-workers-text", "flag", "--workers", "--help", commands=("ingest",), args={"ingest": ("--workers", "many")}),
    Case("flag-timeout-zero", "flag", "--timeout", "e.g. --timeout 20", commands=("test-connection",),
         args={"test-connection": ("--timeout", "0")}),
    Case("flag-timeout-negative", "flag", "--timeout", "e.g. --timeout 20", commands=("test-connection",),
         args={"test-connection": ("--timeout", "-1")}),
    Case("flag-timeout-text", "flag", "--timeout", "--help", commands=("test-connection",),
         args={"test-connection": ("--timeout", "soon")}),
    Case("flag-unknown", "flag", "--frobnicate", "--help", commands=("ingest", "test-connection", "preview"),
         args={c: ("--frobnicate",) for c in ("ingest", "test-connection", "preview")}),
    Case("flag-config-missing", "flag", "-c/--config", "--help", commands=("ingest", "test-connection", "preview"),
         argv=lambda command, _path: [command]),
    Case("flag-unknown-command", "flag", "argument command", "--help", commands=("ingestt",),
         argv=lambda command, path: [command, "-c", path]),
]  # fmt: skip

REQUIRED_CATEGORIES = {
    "yaml", "unknown-key", "type", "missing", "regex", "host", "reach", "credentials", "http-path", "range",
    "env", "file", "flag",
}  # fmt: skip


def _free_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on exit: nothing listens there


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[DatabricksEmulator, OpenMetadataEmulator]]:
    workspace = Workspace(WorkspaceSpec(jobs=10, tasks=2, runs=2, pipelines=1, seed=11))
    databricks = DatabricksEmulator(workspace, token=PAT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with databricks, OpenMetadataEmulator() as openmetadata:
        openmetadata.seed_from_workspace(workspace)
        yield databricks, openmetadata


def _config_path(case: Case, env: Env, config_for: Any) -> Path:
    if case.raw is not None:
        if callable(case.raw):
            return case.raw(env.tmp)
        path = env.tmp / "workflow.yaml"
        if isinstance(case.raw, bytes):
            path.write_bytes(case.raw)
        else:
            path.write_text(case.raw)
        return path
    config = config_for(
        env.databricks, env.openmetadata, connection={"authType": {"token": PAT}, "connectionTimeout": 5}
    )
    if case.mutate is not None:
        case.mutate(config, env)
    path = env.tmp / "workflow.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    started = time.monotonic()
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse: the console script exits with this code
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err, time.monotonic() - started


def _the_line(command: str, out: str, err: str) -> str:
    """The one line that must explain the problem (see the module docstring)."""
    err_lines = [line for line in err.splitlines() if line.strip()]
    if err_lines:
        assert len(err_lines) == 1, f"more than one line on stderr:\n{err}"
        assert err_lines[0].startswith("dbx-pipeline: "), err_lines[0]
        return err_lines[0]
    marker = "[FAIL]" if command == "test-connection" else "FAILED"
    lines = [line for line in out.splitlines() if line.startswith(marker)]
    assert len(lines) == 1, f"expected exactly one {marker} line:\n{out}"
    return lines[0]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_exits_2_with_one_line_naming_the_field(
    case: Case,
    servers: tuple[DatabricksEmulator, OpenMetadataEmulator],
    config_for: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBX_BADINPUT_UNSET_TOKEN", raising=False)
    monkeypatch.delenv("DBX_BADINPUT_UNSET_HOST", raising=False)
    databricks, openmetadata = servers
    env = Env(databricks, openmetadata, tmp_path, _free_closed_port())
    path = str(_config_path(case, env, config_for))
    for command in case.commands:
        argv = case.argv(command, path) if case.argv else [command, "-c", path, *case.args.get(command, ())]
        code, out, err, seconds = _run(argv, capsys)
        where = f"{case.id} / {command}\nstdout:\n{out}\nstderr:\n{err}"
        assert code == 2, where
        assert "Traceback" not in out + err, where
        for secret in SECRETS:
            assert secret not in out + err, f"a secret was printed: {where}"
        line = _the_line(command, out, err)
        assert case.field in line, f"the line does not name {case.field!r}: {line}"
        assert case.todo.lower() in line.lower(), f"the line does not say {case.todo!r}: {line}"
        assert seconds < 20, f"{case.id} / {command} took {seconds:.1f} s: bad input must fail fast"


def test_the_table_covers_every_category_with_at_least_45_cases() -> None:
    ids = [case.id for case in CASES]
    assert len(CASES) >= 45, len(CASES)
    assert len(set(ids)) == len(ids), "case ids must be unique"
    assert {case.category for case in CASES} >= REQUIRED_CATEGORIES
    runs = sum(len(case.commands) for case in CASES)
    print(f"bad inputs tried: {len(CASES)} cases, {runs} CLI runs")
