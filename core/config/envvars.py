"""``${ENV_VAR}`` expansion inside a parsed workflow config.

OpenMetadata's ``metadata ingest`` runs ``os.path.expandvars`` over the whole file text. We expand
after parsing instead, for three reasons: an undefined variable can be reported with the dotted path of
the field that needs it; a value containing YAML-special characters cannot corrupt the document; and only
the braced form ``${NAME}`` is expanded, so a regex such as ``^etl-.*$`` in a filter is never touched.
``${NAME:-default}`` gives a fallback, as in the shell.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from core.errors import ConfigError

__all__ = ["expand_env"]

_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def expand_env(value: Any, environ: Mapping[str, str] | None = None, path: str = "") -> Any:
    """A copy of ``value`` (dicts, lists, strings) with every ``${NAME}`` replaced from ``environ``.

    ``${NAME:-default}`` falls back to ``default`` when ``NAME`` is unset; other values are kept as they are.

    Args:
        value: the parsed YAML (a mapping, a list, a scalar), walked recursively.
        environ: where variables are read (``os.environ`` when None; the wizard passes placeholders).
        path: the dotted field path of ``value`` (``source.serviceConnection.config.token``), for errors.

    Returns:
        The same shape as ``value`` with every reference in a string replaced.

    Raises:
        ConfigError: naming the field and the variable when a variable without default is unset.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {
            key: expand_env(item, env, f"{path}.{key}" if path else str(key)) for key, item in value.items()
        }
    if isinstance(value, list):
        return [expand_env(item, env, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _expand_string(value, env, path)
    return value


def _expand_string(text: str, env: Mapping[str, str], path: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name in env:
            return env[name]
        if match.group("default") is not None:
            return match.group("default")
        raise ConfigError(
            f"environment variable {name} is not set",
            field=path or None,
            hint=f"Export {name} before running, or write the value in the file",
        )

    return _REFERENCE.sub(replace, text)
