"""Loading a workflow YAML (file, text or dict) into :class:`WorkflowConfig`, or one clear error.

What users get wrong is mostly mundane: a typo in a key, a tab in YAML, a missing token, a host with a
path. pydantic's default report is a multi-line table with internal names; here every problem becomes
``dotted.path.in.the.yaml: what is wrong. what to do`` with the YAML's own camelCase keys, and unknown
keys get a did-you-mean from the keys valid at that spot.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from core.config.envvars import expand_env
from core.config.models import (
    AUTH_TAGS,
    AzureAdSetup,
    DatabricksOAuth,
    PersonalAccessToken,
    WorkflowConfig,
    _auth_kind,
)
from core.errors import ConfigError

__all__ = [
    "MAX_CONFIG_BYTES",
    "config_error_from_validation",
    "load_workflow_config",
    "parse_workflow_config",
    "parse_yaml_text",
]

#: A workflow file is a few kilobytes; anything this large is a mistake (or an attack on the wizard).
MAX_CONFIG_BYTES = 1_000_000


def parse_yaml_text(text: str, source: str = "the YAML") -> Any:
    """Parse YAML safely (no Python object tags), reporting syntax errors with their line.

    Args:
        text: the YAML document, at most :data:`MAX_CONFIG_BYTES` characters.
        source: what the text is, for messages (a file name).

    Returns:
        The parsed document (a mapping for a workflow file; None for an empty one).

    Raises:
        ConfigError: on a syntax error, a too-large input or binary content.
    """
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source} is {len(text):,} bytes; a workflow file is at most {MAX_CONFIG_BYTES:,}")
    if "\x00" in text:
        raise ConfigError(f"{source} is binary, not YAML", hint="Upload the workflow .yaml file")
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = err.problem or err.context or "invalid YAML"
        start = err.context_mark
        if err.problem and err.context and start is not None and mark is not None and start.line != mark.line:
            problem += f" ({err.context} at line {start.line + 1})"  # e.g. where an unclosed quote opens
        raise ConfigError(
            f"{source} is not valid YAML{where}: {problem}", hint="Fix the YAML syntax there"
        ) from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source} is not valid YAML: {err}") from None


def load_workflow_config(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> WorkflowConfig:
    """Read, parse and validate a workflow YAML file.

    Args:
        path: the UTF-8 workflow file, at most :data:`MAX_CONFIG_BYTES` bytes.
        environ: where ``${NAME}`` references are resolved (``os.environ`` when None).

    Raises:
        ConfigError: file missing or unreadable, YAML syntax, or any invalid field.
    """
    file = Path(path)
    try:
        if file.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{file} is larger than {MAX_CONFIG_BYTES:,} bytes; is it the right file?")
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist", hint="Check the path given to -c") from None
    except IsADirectoryError:
        raise ConfigError(f"{file} is a directory", hint="Give the path of the workflow .yaml file") from None
    except OSError as err:
        raise ConfigError(f"cannot read {file}: {err.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not UTF-8 text", hint="Give the workflow .yaml file") from None
    data = parse_yaml_text(text, str(file))
    if not isinstance(data, Mapping):  # the same check as parse_workflow_config's, naming the file
        kind = "empty" if data is None else type(data).__name__
        raise ConfigError(
            f"{file} must be a mapping with source, sink and workflowConfig (got {kind})",
            hint="Give the path of the workflow YAML file to -c",
        )
    return parse_workflow_config(data, environ)


def parse_workflow_config(data: Any, environ: Mapping[str, str] | None = None) -> WorkflowConfig:
    """Validate an already-parsed workflow mapping (``Workflow.create(dict)`` uses this).

    Args:
        data: the parsed YAML; anything but a mapping is refused.
        environ: where ``${NAME}`` references are resolved (``os.environ`` when None).

    Raises:
        ConfigError: with the first problem as message and all of them in ``problems``.
    """
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else type(data).__name__
        raise ConfigError(
            f"the workflow config must be a mapping with source, sink and workflowConfig (got {kind})"
        )
    expanded = expand_env(dict(data), environ)
    try:
        return WorkflowConfig.model_validate(expanded)
    except ValidationError as err:
        raise config_error_from_validation(err, expanded) from None


# -- error formatting -------------------------------------------------------------------------------


def config_error_from_validation(
    err: ValidationError, data: Any, *, model: type[BaseModel] = WorkflowConfig, prefix: str = ""
) -> ConfigError:
    """One :class:`ConfigError` for every problem pydantic found, in the project's one-line form.

    Args:
        err: what ``model`` raised while validating ``data``.
        data: the input mapping (its keys give an unknown key's did-you-mean).
        model: the model that was validated (``WorkflowConfig``, ``DagOptions``...).
        prefix: put before every field path (``"dag"`` makes ``retries`` into ``dag.retries``).

    Returns:
        The error: the first problem as message and ``field`` (with ``(and N more problems)``), every
        ``(field, message)`` in ``problems``, and ``hint`` from the first problem when a validator raised
        an :class:`~core.errors.IngestionError` that carries one.
    """
    problems: list[tuple[str | None, str]] = []
    hints: dict[tuple[str | None, str], str | None] = {}
    for item in err.errors(include_url=False, include_input=False):
        loc = [part for part in item["loc"] if part not in AUTH_TAGS]
        dotted = _dotted([prefix, *loc] if prefix else loc)
        message = _message(item, loc, data, model)
        if (dotted, message) not in hints:
            cause = (item.get("ctx") or {}).get("error")
            hints[(dotted, message)] = getattr(cause, "hint", None)
            problems.append((dotted or None, message))
    # An unknown key usually explains the "missing" error next to it (a typo), so it goes first.
    problems.sort(key=lambda problem: not problem[1].startswith("unknown key"))
    field, message = problems[0]
    more = len(problems) - 1
    text = message + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
    return ConfigError(text, field=field, hint=hints[problems[0]], problems=problems)


def _dotted(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(item: Mapping[str, Any], loc: list[Any], data: Any, model: type[BaseModel]) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        valid = _valid_keys(loc[:-1], data, model)
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6) if valid else []
        if not close:
            close = [k for k in valid if k.lower() == key.lower()]
        hint = (
            f"; did you mean {close[0]!r}?"
            if close
            else (f"; valid keys here: {', '.join(sorted(valid))}" if valid and len(valid) <= 12 else "")
        )
        return f"unknown key {key!r}{hint}"
    if kind == "missing":
        return "is required"
    ctx = item.get("ctx") or {}
    if kind == "too_short" and ctx.get("field_type") == "Value":  # a secret: pydantic says "item"
        least = ctx.get("min_length", 1)
        return f"should have at least {least} character{'s' if least != 1 else ''}, not {ctx.get('actual_length', 0)}"
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message[:1].lower() + message[1:] if message[:2] != message[:2].upper() else message


def _valid_keys(parent_loc: list[Any], data: Any, root: type[BaseModel]) -> list[str]:
    """The YAML keys accepted at ``parent_loc``, found by walking the model classes from ``root``."""
    model: Any = root
    node = data
    for part in parent_loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            # list items have the list's item model; our config lists hold plain strings
            continue
        node = node.get(part) if isinstance(node, Mapping) else None
        model = _field_model(model, str(part), node)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [field.alias or name for name, field in model.model_fields.items()]
    return []


def _field_model(model: Any, key: str, node: Any) -> Any:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return _unwrap(field.annotation, node)
    return None


def _unwrap(annotation: Any, node: Any) -> Any:
    """The model class behind ``X | None``, ``Annotated[...]`` or the auth union."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0], node)
    if origin in (typing.Union, types.UnionType):
        members = [_unwrap(arg, node) for arg in typing.get_args(annotation) if arg is not type(None)]
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        auth = [m for m in models if m in (PersonalAccessToken, DatabricksOAuth, AzureAdSetup)]
        if auth:
            return _auth_model_for(node)
        return models[0] if models else None
    return annotation


def _auth_model_for(node: Any) -> type[BaseModel]:
    models: dict[str, type[BaseModel]] = {"oauth": DatabricksOAuth, "azure": AzureAdSetup}
    return models.get(_auth_kind(node) or "", PersonalAccessToken)
