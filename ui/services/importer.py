"""Importing an existing workflow YAML into every step of the wizard."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from pydantic import SecretStr

from core.config import MAX_CONFIG_BYTES, parse_workflow_config, parse_yaml_text
from core.errors import ConfigError
from core.filter_rules import regex_to_rule
from ui.services._shared import _IMPORT_PLACEHOLDER
from ui.state import WizardState


@dataclass
class ImportResult:
    """What an import did: an error (with its line when YAML syntax) or the notes about what was filled."""

    ok: bool
    message: str
    notes: list[str] = field(default_factory=list)


class _ReferenceEnv(Mapping[str, str]):
    """Resolves every ``${VAR}`` to a placeholder: validation must not read the server's environment."""

    def __getitem__(self, key: str) -> str:
        return _IMPORT_PLACEHOLDER

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def import_workflow(state: WizardState, data: bytes, filename: str) -> ImportResult:
    """Prefill every step from an existing workflow YAML (OpenMetadata 1.x or 2.x dialect).

    The file is size-limited, must be UTF-8 text, is parsed with the safe loader, and is validated with
    ``${VAR}`` references resolved to placeholders. Secrets written in the file are kept server-side; a
    secret given as ``${VAR}`` must be entered in the form (its value is not in the file).

    Args:
        state: the session's wizard state, overwritten step by step when the file is usable.
        data: the uploaded file's bytes (at most :data:`core.config.MAX_CONFIG_BYTES`).
        filename: the uploaded file's name, for messages.

    Returns:
        ``ok`` False with a one-line message when nothing was imported; else ``ok`` True with notes on
        what the model rejects and which secrets must be entered.
    """
    if len(data) > MAX_CONFIG_BYTES:
        return ImportResult(
            False, f"{filename} is {len(data):,} bytes; a workflow file is at most {MAX_CONFIG_BYTES:,}."
        )
    if b"\x00" in data:
        return ImportResult(False, f"{filename} is a binary file, not YAML. Upload the workflow .yaml file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ImportResult(False, f"{filename} is not UTF-8 text. Upload the workflow .yaml file.")
    try:
        raw = parse_yaml_text(text, filename)
    except ConfigError as err:
        return ImportResult(False, err.one_line())
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), dict):
        return ImportResult(False, f"{filename} has no 'source' section; is it a workflow YAML?")
    notes: list[str] = []
    try:
        parse_workflow_config(raw, environ=_ReferenceEnv())
    except ConfigError as err:
        for path, message in err.problems[:10]:
            notes.append(f"{path or 'the file'}: {message}")
    _apply_import(state, raw, notes)
    state.imported_from = filename
    state.import_notes = notes
    return ImportResult(True, f"Imported {filename}: every step is prefilled.", notes)


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str:
    return "" if value is None else str(value)


#: An environment reference the config loader resolves (``${DATABRICKS_TOKEN}``): kept as a reference.
_ENV_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
#: Words a documentation example puts where a secret goes, compared without case, spaces or punctuation.
_PLACEHOLDER_WORDS = frozenset(
    {
        "token", "secret", "password", "jwt", "jwttoken", "apitoken", "accesstoken", "pat", "changeme",
        "replaceme", "placeholder", "todo", "tbd", "none", "null", "redacted", "example", "dummy", "secretvalue",
        "clientsecret", "bottoken", "botjwt", "botjwttoken", "databrickstoken", "yourtoken", "mytoken",
    }
)  # fmt: skip
_PLACEHOLDER_SHAPES = (
    re.compile(r"^<[^<>]*>$"),  # <databricks token>
    re.compile(r"^\{[^{}]*\}$"),  # {bot_jwt_token}
    re.compile(r"^\[[^\[\]]*\]$"),  # [your token]
    re.compile(r"\$\{(?![A-Za-z_][A-Za-z0-9_]*\})"),  # ${...}, ${bot jwt}: not a variable the loader resolves
    re.compile(r"^[x*.#?_-]+$", re.IGNORECASE),  # xxx, ****, ...
    re.compile(r"x{6,}", re.IGNORECASE),  # dapiXXXXXXXXXXXX
    re.compile(r"^(your|my|insert|enter|paste|put)[\s_-]", re.IGNORECASE),  # your-token-here, paste_jwt
    re.compile(r"[\s_-]here$", re.IGNORECASE),  # token-here
)
#: The sentence at a secret's field when the imported file held a placeholder instead of the secret.
PLACEHOLDER_MESSAGE = (
    "The imported file has {shown} here, which looks like a placeholder from the docs: paste the real "
    "{what} or give an environment variable."
)


def is_placeholder(value: str) -> bool:
    """True when ``value`` is a documentation placeholder, not a secret (``<databricks token>``, ``xxx``...).

    ``${NAME}`` references the config loader resolves are not placeholders (see :func:`_secret_from`).
    """
    text = value.strip()
    if _ENV_REFERENCE.fullmatch(text):
        return False
    if re.sub(r"[^a-z0-9]", "", text.lower()) in _PLACEHOLDER_WORDS:
        return True
    return any(shape.search(text) for shape in _PLACEHOLDER_SHAPES)


def _secret_from(
    value: Any, label: str, notes: list[str], field_id: str = "", problems: dict[str, str] | None = None
) -> SecretStr | None:
    """The secret at ``field_id`` as found in the file, or None.

    A value is kept; a ``${VAR}`` reference leaves a note (its value is not in the file); a documentation
    placeholder is refused with a sentence for the field in ``problems``.
    """
    if value is None or value == "":
        return None
    text = str(value)
    if is_placeholder(text):
        # a short placeholder is echoed so the user sees which one; a long value never is (a secret, if wrong)
        shown = repr(text) if len(text) <= 24 else "a value"
        # as the label writes it: "token", "client secret", "JWT", "Azure client secret"
        what = label.removeprefix("The ")
        message = PLACEHOLDER_MESSAGE.format(shown=shown, what=what)
        if problems is not None and field_id:
            problems[field_id] = message
        notes.append(f"{label}: {message}")
        return None
    if "${" in text:
        notes.append(f"{label} comes from {text} in the file: enter its value to test or run.")
        return None
    return SecretStr(text)


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a YAML mapping, else an empty one (a malformed section fills nothing)."""
    return value if isinstance(value, dict) else {}


def _apply_import(state: WizardState, raw: dict[str, Any], notes: list[str]) -> None:
    """Fill every step of ``state`` from the parsed workflow YAML ``raw`` (either dialect).

    Args:
        state: the session's wizard state; every step is overwritten, the test results are cleared.
        raw: the YAML document as parsed by :func:`core.config.parse_yaml_text`.
        notes: receives one sentence per secret given as ``${VAR}`` (its value is not in the file).
    """
    connection = _mapping(_dig(raw, "source", "serviceConnection", "config"))
    options = _mapping(_dig(raw, "source", "sourceConfig", "config"))
    state.secret_problems.clear()
    _apply_databricks(state, raw, connection, notes)
    _apply_filters(state, options, connection)
    _apply_options(state, options)
    _apply_sink(state, raw, notes)


def _apply_databricks(
    state: WizardState, raw: dict[str, Any], connection: dict[str, Any], notes: list[str]
) -> None:
    """Step 1 from ``source.serviceName`` and ``source.serviceConnection.config`` (``connection``)."""
    dbx = state.databricks
    dbx.service_name = _text(_dig(raw, "source", "serviceName")) or dbx.service_name
    dbx.host = _text(connection.get("hostPort"))
    _apply_auth(state, connection, notes)
    args = dict(connection.get("connectionArguments") or {})
    legacy_path = args.pop("http_path", None) or args.pop("httpPath", None)
    dbx.http_path = _text(connection.get("httpPath") or legacy_path)
    dbx.connection_args = yaml.safe_dump(args, sort_keys=False).strip() if args else ""
    if isinstance(connection.get("connectionTimeout"), (int, float)):
        dbx.timeout_s = int(connection["connectionTimeout"])


def _apply_auth(state: WizardState, connection: dict[str, Any], notes: list[str]) -> None:
    """The auth kind and its fields: ``authType`` (2.x dialect), else the 1.x top-level ``token``.

    The kind is read from which keys are present: Azure AD (``azureClient*``/``azureTenantId``), then
    OAuth M2M (``clientId``/``clientSecret``), else a personal access token.
    """
    dbx = state.databricks
    auth = _mapping(connection.get("authType"))
    if {"azureClientId", "azureClientSecret", "azureTenantId"} & set(auth):
        dbx.auth = "azure"
        dbx.azure_client_id = _text(auth.get("azureClientId"))
        dbx.azure_tenant_id = _text(auth.get("azureTenantId"))
        dbx.azure_client_secret = _secret_from(
            auth.get("azureClientSecret"),
            "The Azure client secret",
            notes,
            "dbx_azure_client_secret",
            state.secret_problems,
        )
    elif {"clientId", "clientSecret"} & set(auth):
        dbx.auth = "oauth"
        dbx.client_id = _text(auth.get("clientId"))
        dbx.client_secret = _secret_from(
            auth.get("clientSecret"), "The client secret", notes, "dbx_client_secret", state.secret_problems
        )
    else:
        dbx.auth = "pat"
        dbx.token = _secret_from(
            auth.get("token", connection.get("token")), "The token", notes, "dbx_token", state.secret_problems
        )


def _apply_filters(state: WizardState, options: dict[str, Any], connection: dict[str, Any]) -> None:
    """Step 3: each regex of ``pipelineFilterPattern`` as the friendliest rule that means it.

    The pattern is read from ``sourceConfig.config`` (where OpenMetadata puts it), else from the connection.
    """
    pattern = _mapping(options.get("pipelineFilterPattern") or connection.get("pipelineFilterPattern"))
    state.filters.rules.clear()
    kinds: tuple[Literal["include", "exclude"], ...] = ("include", "exclude")
    for kind in kinds:
        for regex in pattern.get(f"{kind}s") or []:
            rule = regex_to_rule(str(regex))
            state.filters.add(kind, rule.operator, rule.value)


def _apply_options(state: WizardState, options: dict[str, Any]) -> None:
    """Step 4 from ``sourceConfig.config``: values of the wrong type are left at the form's default."""
    opts = state.options
    for attr, key in (
        ("include_lineage", "includeLineage"),
        ("include_tags", "includeTags"),
        ("include_owners", "includeOwners"),
        ("mark_deleted", "markDeletedPipelines"),
        ("override_metadata", "overrideMetadata"),
    ):
        if isinstance(options.get(key), bool):
            setattr(opts, attr, options[key])
    if isinstance(options.get("statusLookbackDays"), int):
        opts.lookback_days = options["statusLookbackDays"]
    names = _dig(options, "lineageInformation", "dbServiceNames")
    opts.db_service_names = [str(n) for n in names] if isinstance(names, list) else []


def _apply_sink(state: WizardState, raw: dict[str, Any], notes: list[str]) -> None:
    """Step 5 from ``sink`` and ``workflowConfig.openMetadataServerConfig``; clears the test results."""
    sink_type = _text(_dig(raw, "sink", "type")) or "metadata-rest"
    server = _mapping(_dig(raw, "workflowConfig", "openMetadataServerConfig"))
    if sink_type == "file":
        state.sink.kind = "file"
        state.sink.filename = _text(_dig(raw, "sink", "config", "filename")) or state.sink.filename
    else:
        state.sink.kind = "openmetadata"
    if server:
        state.sink.om_host = _text(server.get("hostPort")) or state.sink.om_host
        state.sink.jwt = _secret_from(
            _dig(server, "securityConfig", "jwtToken"), "The JWT", notes, "om_jwt", state.secret_problems
        )
        if server.get("verifySSL") in ("no-ssl", "ignore", "validate"):
            state.sink.verify_ssl = server["verifySSL"]
        state.sink.ca_certificate = _text(_dig(server, "sslConfig", "caCertificate"))
    state.checks.clear()
