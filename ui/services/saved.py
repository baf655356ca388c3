"""Saved ingestions: the wizard's settings as versioned JSON, autosaved, restored from ``?ingestion=``.

What is saved: every setting the user chose (steps 1 to 8, the extra workspaces, demo mode, the steps
visited), as JSON with a ``version``; a file written by a newer wizard loads what this one knows and notes
what it ignored. What is never saved: secrets. They stay in this server process's memory
(:data:`_VAULT`, by ingestion id, so a reload or a second tab of the same ingestion gets them back), or are
read from an environment variable whose *name* is saved. The settings record only *which* secrets were
set, so after a server restart the wizard can say exactly which ones to enter again.

The session is bound to one ingestion (``st.session_state[BOUND_KEY]``); the frame mirrors it into
``WizardState.ingestion_id`` on every rerun (demo mode and an import replace the state wholesale) and into
the URL. A new ingestion gets its id the first time a setting differs from a fresh wizard's, so opening
the wizard and leaving does not fill the start page with empty ingestions.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import fields
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import streamlit as st
from pydantic import SecretStr

from ui.fields import AUTH_LABELS, FIELD_LABELS
from ui.state import (
    STATE_KEY,
    DatabricksStep,
    ExtraWorkspace,
    FilterRuleState,
    FiltersStep,
    WizardState,
    get_state,
    reset_state,
)
from ui.store import Store, StoreError, open_store

__all__ = [
    "BOUND_KEY",
    "MERGED_KEY",
    "SETTINGS_VERSION",
    "attach",
    "autosave",
    "clear_vault",
    "delete_ingestion",
    "display_name",
    "duplicate_ingestion",
    "env_name_error",
    "from_settings",
    "listing",
    "live_run",
    "md",
    "merge_settings",
    "merged_from_elsewhere",
    "open_ingestion",
    "reenter_labels",
    "rename_ingestion",
    "resolve_env_secret",
    "save_status",
    "secret_label",
    "secret_paths",
    "start_new",
    "store_problem",
    "to_settings",
]

#: The settings JSON's format; bump it (and teach :func:`from_settings` the old one) when it changes.
SETTINGS_VERSION = 1
#: session key: the id of the ingestion this session edits (None: a new one, not saved yet)
BOUND_KEY = "saved_ingestion_id"
_NAME_KEY = "saved_ingestion_name"
_LAST_KEY = "saved_last_settings"
_SAVED_AT_KEY = "saved_at"
_ERROR_KEY = "saved_error"
_NOTES_KEY = "saved_notes"
_LINK_PROBLEM_KEY = "saved_link_problem"
_REVISION_KEY = "saved_revision"
#: (from the other tab, both changed) setting labels of the last merge, for the frame to show once
MERGED_KEY = "saved_merged"
#: set by the autosave when the ingestion this tab edited was deleted in another tab and was saved afresh:
#: the sentence saying so, shown once at the top after the rerun it asks for
RECREATED_KEY = "saved_recreated"
_QUERY = "ingestion"

#: secret attributes of each step (never serialised)
_DBX_SECRETS = ("token", "client_secret", "azure_client_secret")
_SINK_SECRETS = ("jwt",)
_SECRET_FIELD_IDS = {
    "databricks.token": "dbx_token",
    "databricks.client_secret": "dbx_client_secret",
    "databricks.azure_client_secret": "dbx_azure_client_secret",
    "sink.jwt": "om_jwt",
}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_VAULT: dict[str, dict[str, SecretStr]] = {}
_VAULT_LOCK = threading.Lock()


# -- secrets ---------------------------------------------------------------------------------------------


def _secret_holders(state: WizardState) -> list[tuple[str, Any, tuple[str, ...]]]:
    holders: list[tuple[str, Any, tuple[str, ...]]] = [
        ("databricks", state.databricks, _DBX_SECRETS),
        ("sink", state.sink, _SINK_SECRETS),
    ]
    for number, workspace in state.workspaces.items():
        holders.append((f"workspaces.{number}.databricks", workspace.databricks, _DBX_SECRETS))
    return holders


def secret_paths(state: WizardState) -> dict[str, SecretStr]:
    """Every secret set in ``state``, by its dotted path (``"databricks.token"``)."""
    found: dict[str, SecretStr] = {}
    for prefix, holder, names in _secret_holders(state):
        for name in names:
            value = getattr(holder, name)
            if isinstance(value, SecretStr):
                found[f"{prefix}.{name}"] = value
    return found


def _set_secret(state: WizardState, path: str, value: SecretStr | None) -> bool:
    *parents, attr = path.split(".")
    obj: Any = state
    try:
        for part in parents:
            obj = obj[int(part)] if isinstance(obj, dict) else getattr(obj, part)
    except (KeyError, ValueError, AttributeError):
        return False
    setattr(obj, attr, value)
    return True


def env_name_error(name: str) -> str | None:
    """Why ``name`` cannot be an environment variable's name, or None when it can."""
    if not _ENV_NAME.fullmatch(name):
        return "A variable name has letters, digits and underscores only, and does not start with a digit."
    if name not in os.environ:
        return (
            f"{name} is not set in the environment of the wizard's server: set it, then restart the wizard."
        )
    return None


def resolve_env_secret(state: WizardState, path: str) -> bool:
    """Fill the secret at ``path`` from its environment variable (``state.secret_env``); False if unset."""
    name = state.secret_env.get(path, "")
    value = os.environ.get(name, "") if name else ""
    if not value:
        return False
    return _set_secret(state, path, SecretStr(value))


#: session key: (ingestion id, path -> secret) as this tab last exchanged them with :data:`_VAULT`
_SYNCED_KEY = "_secrets_synced"


def _secret_value(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _remember(ingestion_id: str, state: WizardState) -> None:
    """Exchange secrets with the server's memory, path by path, as two tabs of one ingestion expect.

    A secret this tab changed (typed, even to the value it held, or cleared) since its last exchange goes in: the
    newest edit wins. One it did not change but another tab did comes out, into this tab's state (a secret is
    never rendered, so the page only says one is stored). Before, every rerun wrote all of this tab's secrets back: merely opening a step
    in a tab silently undid a token typed in another.
    """
    synced_id, last = st.session_state.get(_SYNCED_KEY) or (None, {})
    # the first exchange for this ingestion: what this tab holds is its edit
    synced: dict[str, SecretStr] = dict(last) if synced_id == ingestion_id else {}
    mine = secret_paths(state)
    with _VAULT_LOCK:
        vault = _VAULT.setdefault(ingestion_id, {})
        for path in sorted(set(mine) | set(synced) | set(vault)):
            here, there = mine.get(path), vault.get(path)
            # changed here: another object than the one last exchanged (typing makes a new SecretStr, even of
            # the value this tab held before: typed again, it is still this tab's newest edit)
            if here is not synced.get(path):
                if here is None:
                    vault.pop(path, None)
                else:
                    vault[path] = here
            elif _secret_value(there) != _secret_value(here):
                _set_secret(state, path, there)
        st.session_state[_SYNCED_KEY] = (ingestion_id, dict(secret_paths(state)))


def _recall(ingestion_id: str, state: WizardState) -> None:
    with _VAULT_LOCK:
        kept = dict(_VAULT.get(ingestion_id, {}))
    for path, value in kept.items():
        _set_secret(state, path, value)
    st.session_state[_SYNCED_KEY] = (ingestion_id, dict(secret_paths(state)))


def clear_vault() -> None:
    """Forget every secret kept in memory, and the tests' fingerprints (what a server restart does; tests)."""
    from ui.services.checks import forget_tests

    with _VAULT_LOCK:
        _VAULT.clear()
    forget_tests()


def secret_label(state: WizardState, path: str) -> str:
    """The field label and step of a secret path, as the re-enter banner names it."""
    field_id = _SECRET_FIELD_IDS.get(path)
    if field_id:
        step = 1 if field_id.startswith("dbx_") else 5
        return f"{FIELD_LABELS[field_id]} (step {step})"
    parts = path.split(".")
    workspace = state.workspaces.get(int(parts[1])) if len(parts) > 3 and parts[1].isdigit() else None
    label = FIELD_LABELS.get(_SECRET_FIELD_IDS.get(f"databricks.{parts[-1]}", ""), parts[-1])
    service = workspace.databricks.service_name if workspace else ""
    return f"{label} of workspace {service or parts[1]} (step 7)"


def reenter_labels(state: WizardState) -> list[str]:
    """Labels of the secrets to enter again after a server restart (empty when none)."""
    present = secret_paths(state)
    return [secret_label(state, path) for path in state.secrets_to_reenter if path not in present]


# -- settings <-> JSON -----------------------------------------------------------------------------------


def _plain(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in fields(obj):
        if item.name in skip:
            continue
        value = getattr(obj, item.name)
        out[item.name] = value.isoformat() if isinstance(value, date) else value
    return out


def _filters(filters: FiltersStep) -> dict[str, Any]:
    return {"rules": [_plain(rule) for rule in filters.rules], "next_id": filters.next_id}


def to_settings(state: WizardState) -> dict[str, Any]:
    """Every non-secret setting of ``state`` as JSON-ready data (see the module docstring)."""
    return {
        "version": SETTINGS_VERSION,
        "demo": state.demo,
        "dry_run": state.dry_run,
        "test_timeout_s": state.test_timeout_s,
        "dialect": state.dialect,
        "imported_from": state.imported_from,
        "visited": sorted(state.visited),
        "databricks": _plain(state.databricks, _DBX_SECRETS),
        "filters": _filters(state.filters),
        "options": _plain(state.options),
        "sink": _plain(state.sink, _SINK_SECRETS),
        "schedule": _plain(state.schedule),
        "workspaces": [
            {
                "id": workspace.id,
                "databricks": _plain(workspace.databricks, _DBX_SECRETS),
                "filters": None if workspace.filters is None else _filters(workspace.filters),
            }
            for workspace in state.workspaces.values()
        ],
        "next_workspace_id": state.next_workspace_id,
        "secret_env": dict(sorted(state.secret_env.items())),
        "secrets_set": sorted(secret_paths(state)),
    }


def settings_text(state: WizardState) -> str:
    """The saved form of ``state``: canonical JSON of :func:`to_settings` (never a secret)."""
    return json.dumps(to_settings(state), sort_keys=True, separators=(",", ":"))


def _valid(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return False


def _load_into(obj: Any, data: Any, where: str, notes: list[str], skip: tuple[str, ...] = ()) -> None:
    """Copy the known, well-typed keys of ``data`` onto the dataclass ``obj``; note the others."""
    if not isinstance(data, dict):
        notes.append(f"{where}: not readable, defaults used.")
        return
    known = {item.name for item in fields(obj)} - set(skip)
    for key, value in data.items():
        if key not in known:
            notes.append(f"Ignored {where}.{key}: not a setting of this version of the wizard.")
            continue
        default = getattr(obj, key)
        if isinstance(default, date):
            try:
                setattr(obj, key, date.fromisoformat(str(value)))
            except ValueError:
                notes.append(f"Ignored {where}.{key}: not a date.")
        elif _valid(default, value):
            setattr(obj, key, list(value) if isinstance(value, list) else value)
        else:
            notes.append(f"Ignored {where}.{key}: not a valid value.")


def _load_databricks(data: Any, where: str, notes: list[str], target: DatabricksStep) -> DatabricksStep:
    _load_into(target, data, where, notes, _DBX_SECRETS)
    if target.auth not in AUTH_LABELS:
        notes.append(f"Ignored {where}.auth: unknown kind.")
        target.auth = "pat"
    return target


def _load_filters(data: Any, where: str, notes: list[str]) -> FiltersStep:
    filters = FiltersStep()
    if not isinstance(data, dict):
        return filters
    from core.filter_rules import OPERATORS

    for raw in data.get("rules") or []:
        rule = FilterRuleState(id=0, kind="include")
        _load_into(rule, raw, f"{where}.rules", notes)
        if rule.kind in ("include", "exclude") and rule.operator in OPERATORS and rule.id > 0:
            filters.rules.append(rule)
        else:
            notes.append(f"Ignored a rule of {where}: not a valid rule.")
    top = max((rule.id for rule in filters.rules), default=0) + 1
    next_id = data.get("next_id")
    filters.next_id = max(top, next_id if isinstance(next_id, int) and not isinstance(next_id, bool) else 1)
    return filters


def _load_workspaces(state: WizardState, data: Any, notes: list[str]) -> None:
    for raw in data if isinstance(data, list) else []:
        number = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or number in state.workspaces:
            notes.append("Ignored an added workspace: not readable.")
            continue
        workspace = ExtraWorkspace(id=number)
        where = f"workspaces.{number}"
        _load_databricks(raw.get("databricks"), f"{where}.databricks", notes, workspace.databricks)
        if raw.get("filters") is not None:
            workspace.filters = _load_filters(raw["filters"], f"{where}.filters", notes)
        state.workspaces[number] = workspace
    top = max(state.workspaces, default=1) + 1
    state.next_workspace_id = max(top, state.next_workspace_id)


_TOP_LEVEL = {
    "version", "demo", "dry_run", "dialect", "imported_from", "visited", "databricks", "filters", "options",
    "sink", "schedule", "workspaces", "next_workspace_id", "secret_env", "secrets_set", "test_timeout_s",
}  # fmt: skip


def _load_flags(state: WizardState, data: dict[str, Any], notes: list[str]) -> None:
    for key in ("demo", "dry_run"):
        if isinstance(data.get(key), bool):
            setattr(state, key, data[key])
    if data.get("dialect") in ("1.x", "2.x"):
        state.dialect = data["dialect"]
    if isinstance(data.get("imported_from"), str):
        state.imported_from = data["imported_from"]
    visited = data.get("visited")
    if isinstance(visited, list):
        state.visited = {step for step in visited if isinstance(step, str)}
    timeout = data.get("test_timeout_s")
    if isinstance(timeout, int) and not isinstance(timeout, bool) and 2 <= timeout <= 600:
        state.test_timeout_s = timeout
    next_workspace = data.get("next_workspace_id")
    if isinstance(next_workspace, int) and not isinstance(next_workspace, bool):
        state.next_workspace_id = next_workspace
    env = data.get("secret_env")
    if isinstance(env, dict):
        state.secret_env = {
            str(path): str(name) for path, name in env.items() if _ENV_NAME.fullmatch(str(name))
        }
    for key in sorted(set(data) - _TOP_LEVEL):
        notes.append(f"Ignored {key}: not a setting of this version of the wizard.")


def from_settings(data: Any) -> tuple[WizardState, list[str], list[str]]:
    """A fresh :class:`WizardState` from saved settings, without secrets.

    Args:
        data: what :func:`to_settings` returned (parsed JSON), possibly from another version.

    Returns:
        The state, the notes on what was ignored (one sentence each), and the paths of the secrets that
        were set when the settings were saved.
    """
    state, notes = WizardState(), []
    if not isinstance(data, dict):
        return state, ["The saved settings were not readable: defaults used."], []
    version = data.get("version")
    if isinstance(version, int) and version > SETTINGS_VERSION:
        notes.append(
            f"Saved by a newer version of the wizard (settings format {version}, this one reads "
            f"{SETTINGS_VERSION}): settings it does not know were ignored."
        )
    _load_flags(state, data, notes)
    _load_databricks(data.get("databricks"), "databricks", notes, state.databricks)
    state.filters = _load_filters(data.get("filters"), "filters", notes)
    _load_into(state.options, data.get("options", {}), "options", notes)
    _load_into(state.sink, data.get("sink", {}), "sink", notes, _SINK_SECRETS)
    if state.sink.kind not in ("openmetadata", "file"):
        notes.append("Ignored sink.kind: unknown kind.")
        state.sink.kind = "openmetadata"
    _load_into(state.schedule, data.get("schedule", {}), "schedule", notes)
    _load_workspaces(state, data.get("workspaces"), notes)
    secrets_set = [path for path in data.get("secrets_set") or [] if isinstance(path, str)]
    return state, notes, secrets_set


def _changed(state: WizardState) -> bool:
    """True when a setting differs from a fresh wizard's (visiting steps alone is no change)."""
    mine, fresh = to_settings(state), to_settings(WizardState())
    mine.pop("visited")
    fresh.pop("visited")
    return mine != fresh


# -- names and the start page's listing -------------------------------------------------------------------


#: what a demo ingestion is called and where it reads from (its emulators' ports change with each server)
DEMO_NAME, DEMO_HOST = "Demo workspace", "demo emulator"
#: markdown that inline user text could trigger: emphasis, code, links, math, tables, HTML, entities, colour
#: and icon directives (``:red[x]``, ``:material/x:``) and emoji (``:smile:``); an underscore inside a word
#: (``prod_dbx``) is plain text already
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]{}$~<>|&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
#: block markdown at the start of a text: a heading, a quote, a list item, a rule
_MARKDOWN_LEADING = re.compile(r"^(\d*)([#>+=-]|(?<=\d)[.)])")
#: a colon that opens an emoji (``:smile:``), an icon (``:material/x:``) or a directive (``:red[x]``)
_SHORTCODE_COLON = re.compile(r":(?=[\w+/-]+(?::|\\\[))")
#: a word Streamlit's markdown would make a link even when its punctuation is escaped: a URL (``x://``),
#: ``www.`` or an e-mail address
_AUTOLINKED = re.compile(r"\S*(?:://|www\.|@)\S*", re.IGNORECASE)


def _code_span(word: str) -> str:
    """``word`` as a code span, whatever backticks it holds (its fence is longer than any run inside)."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", word)), default=0) + 1)
    pad = " " if word.startswith("`") or word.endswith("`") else ""
    return f"{fence}{pad}{word}{pad}{fence}"


def _escaped(text: str) -> str:
    # a colon that could open an emoji, an icon or a directive as a character reference (a backslash-escaped
    # one still does); a port's colon stays as it is
    flat = _MARKDOWN_SPECIAL.sub(lambda found: "\\" + found.group(0), text)
    return _SHORTCODE_COLON.sub("&#58;", flat)


def md(text: str) -> str:
    """``text`` (a name, a host: anything a user typed) safe inside Streamlit markdown: shown as typed.

    Markdown punctuation is escaped, so ``**bold**``, ``$math$``, ``:red[x]``, ``[a](url)``, ``:smile:`` and
    ``:material/x:`` show literally; a URL or an e-mail address (which Streamlit links even when escaped)
    shows as a code span. Every part copies back from the page as the text typed. Line breaks become spaces.
    """
    flat = " ".join(str(text).split())
    parts, at = [], 0
    for found in _AUTOLINKED.finditer(flat):
        parts += [_escaped(flat[at : found.start()]), _code_span(found.group(0))]
        at = found.end()
    parts.append(_escaped(flat[at:]))
    return _MARKDOWN_LEADING.sub(lambda found: f"{found.group(1)}\\{found.group(2)}", "".join(parts))


def _auto_name(settings: dict[str, Any]) -> str:
    if settings.get("demo") is True:
        return DEMO_NAME
    dbx = settings.get("databricks")
    dbx = dbx if isinstance(dbx, dict) else {}
    service, host = str(dbx.get("service_name") or ""), str(dbx.get("host") or "")
    host = re.sub(r"^https?://", "", host.strip()).rstrip("/")
    if service and host:
        return f"{service} on {host}"
    return service or host or "Untitled ingestion"


def display_name(name: str, settings: str | dict[str, Any]) -> str:
    """The name the user gave, or one made of the service name and the host."""
    if name.strip():
        return name.strip()
    try:
        data = json.loads(settings) if isinstance(settings, str) else settings
    except ValueError:
        data = {}
    return _auto_name(data if isinstance(data, dict) else {})


def _when(epoch: float | None, verb: str = "") -> str:
    from ui.components import made_when

    return "" if epoch is None else made_when(epoch, verb=verb)


def _sink_text(sink: Any, *, demo: bool) -> str:
    if not isinstance(sink, dict):
        return ""
    if sink.get("kind") == "file":
        return f"File {sink.get('filename', '')}"
    return f"OpenMetadata {DEMO_HOST if demo else sink.get('om_host', '')}"


def listing(store: Store) -> list[dict[str, str]]:
    """The start page's rows: id, name, host, sink, last modified, last run (newest first)."""
    from ui.services.runs import _orphaned  # the history's rule: a running record no live run owns

    latest = {key: _orphaned(run) for key, run in store.runs.latest_by_ingestion().items()}
    rows: list[dict[str, str]] = []
    for saved in store.list_ingestions():
        try:
            data = json.loads(saved.settings)
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        dbx = data.get("databricks")
        dbx = dbx if isinstance(dbx, dict) else {}
        run = latest.get(saved.id)
        rows.append(
            {
                "id": saved.id,
                "name": display_name(saved.name, data),
                "given_name": saved.name,
                "host": DEMO_HOST if data.get("demo") is True else str(dbx.get("host", "")),
                "sink": _sink_text(data.get("sink"), demo=data.get("demo") is True),
                "modified": _when(saved.updated_at),
                "last_run": f"{run.outcome} · {run.mode} · {_when(run.started_at, 'started')}"
                if run
                else "never run",
                "demo": "yes" if data.get("demo") else "",
            }
        )
    return rows


# -- the session's binding -------------------------------------------------------------------------------


def store_problem() -> str | None:
    """The sentence saying why nothing is saved (the database cannot be used), or None."""
    store = open_store()
    return str(store) if isinstance(store, StoreError) else None


def _bind(ingestion_id: str | None, name: str = "") -> None:
    if ingestion_id:  # this tab edits an ingestion now: the link it came by no longer matters
        st.session_state.pop(_LINK_PROBLEM_KEY, None)
    st.session_state[BOUND_KEY] = ingestion_id
    st.session_state[_NAME_KEY] = name
    state = get_state()
    state.ingestion_id, state.ingestion_name = ingestion_id, name
    if ingestion_id:
        st.query_params[_QUERY] = ingestion_id
    elif _QUERY in st.query_params:
        del st.query_params[_QUERY]


def _gone(url: str) -> bool:
    """True for an address on 127.0.0.1 (the demo's emulators) where nothing listens any more (an earlier server's).

    One local connection attempt (refused at once when the port is closed). An emulator the user started and
    pointed step 1 at keeps its address while it runs: a second tab or a reload no longer swaps it for the demo's.
    """
    import socket

    text = url.strip()
    parts = urlsplit(text if "//" in text else f"//{text}")  # with or without a scheme
    if parts.hostname != "127.0.0.1":
        return False
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return True
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


def _refresh_demo(state: WizardState) -> None:
    """Point a demo ingestion at this process's emulators (their ports change with each server).

    Only what a restart made stale is replaced: an address on 127.0.0.1 where nothing listens any more (an
    emulator of an earlier server) and a secret no longer in memory get the demo's own. A host or a secret the user entered
    instead (kept in this server's memory) stays: a reload keeps what was typed.
    """
    from ui.services.demo import apply_demo

    current = WizardState()
    apply_demo(current)
    dbx, sink = state.databricks, state.sink
    if _gone(dbx.host):
        dbx.host = current.databricks.host
    if not any(isinstance(getattr(dbx, name), SecretStr) for name in _DBX_SECRETS):
        dbx.token, dbx.auth, dbx.http_path = current.databricks.token, "pat", current.databricks.http_path
    if _gone(sink.om_host):
        sink.om_host = current.sink.om_host
    if sink.jwt is None:
        sink.jwt = current.sink.jwt


def open_ingestion(ingestion_id: str) -> str | None:
    """Load a saved ingestion into this session (its secrets from memory or the environment).

    Returns:
        None when it opened, else the sentence saying why not (no such id, no database).
    """
    store = open_store()
    if isinstance(store, StoreError):
        return str(store)
    saved = store.get_ingestion(ingestion_id)
    if saved is None:
        shown = ingestion_id if len(ingestion_id) <= 40 else ingestion_id[:40] + "…"
        return f"There is no saved ingestion {shown!r} (it was deleted, or the link is mistyped): nothing was opened."
    try:
        data = json.loads(saved.settings)
    except ValueError:
        data = None
    state, notes, secrets_set = from_settings(data)
    from ui import services

    services.stop_jobs(get_state())
    _recall(saved.id, state)
    for path in state.secret_env:
        resolve_env_secret(state, path)
    if state.demo:
        _refresh_demo(state)
    present = secret_paths(state)
    state.secrets_to_reenter = [path for path in secrets_set if path not in present]
    services.restore_tests(store, state, saved.id)
    st.session_state[STATE_KEY] = state
    _reseed()
    _bind(saved.id, saved.name)
    st.session_state[_LAST_KEY] = settings_text(state)
    st.session_state[_REVISION_KEY] = saved.revision
    st.session_state[_NOTES_KEY] = notes
    st.session_state.pop(_ERROR_KEY, None)
    return None


def _reseed() -> None:
    from ui.components import reseed_widgets

    reseed_widgets()
    for key in ("demo_toggle", "import_result"):
        st.session_state.pop(key, None)


def start_new() -> None:
    """Leave the current ingestion (it stays saved) and start a new, empty one in this session."""
    from ui import services

    services.stop_jobs(get_state())
    reset_state()
    _reseed()
    _bind(None)
    st.session_state.pop(_LINK_PROBLEM_KEY, None)
    st.session_state[_LAST_KEY] = None
    st.session_state[_NOTES_KEY] = []
    st.session_state.pop(_ERROR_KEY, None)


def attach() -> WizardState:
    """Run first on every rerun: restore ``?ingestion=`` in a new session, keep state and URL bound.

    Returns:
        The session's state, with ``ingestion_id`` and ``ingestion_name`` set from the binding.
    """
    if BOUND_KEY not in st.session_state:  # the first run of this browser tab (or a reload)
        st.session_state[BOUND_KEY] = None
        wanted = st.query_params.get(_QUERY)
        if wanted:
            problem = open_ingestion(wanted)
            if problem:
                _bind(None)
                if problem != store_problem():  # a broken database has a banner of its own
                    st.session_state[_LINK_PROBLEM_KEY] = problem
    state = get_state()
    bound = st.session_state.get(BOUND_KEY)
    state.ingestion_id = bound
    state.ingestion_name = str(st.session_state.get(_NAME_KEY) or "")
    if bound and st.query_params.get(_QUERY) != bound:
        st.query_params[_QUERY] = bound  # a page switch drops the query string
    return state


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    """Settings flattened to their leaves: ``{"databricks.host": ...}`` (a list, e.g. the rules, is one leaf)."""
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _unflatten(leaves: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in leaves.items():
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def merge_settings(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Three-way merge of settings, leaf by leaf: theirs, plus every leaf this tab changed since ``base``.

    Args:
        base: the settings this tab last loaded or saved.
        mine: this tab's settings now.
        theirs: what another tab saved meanwhile.

    Returns:
        The merged settings; the leaves taken from theirs (changed elsewhere only); the leaves both tabs
        changed to different values (mine kept).
    """
    old, new, other = _leaves(base), _leaves(mine), _leaves(theirs)
    merged = dict(other)
    both: list[str] = []
    for path in sorted(set(new) | set(old)):
        if new.get(path) == old.get(path):
            continue
        if path in other and other.get(path) != old.get(path) and other.get(path) != new.get(path):
            both.append(path)
        if path in new:
            merged[path] = new[path]
        else:
            merged.pop(path, None)
    ignored = {"version", "secrets_set", "visited"}
    taken = [
        path
        for path in sorted(set(other) | set(old))
        if path not in ignored
        and other.get(path) != old.get(path)
        and merged.get(path) == other.get(path)
        and new.get(path) != other.get(path)
    ]
    return _unflatten(merged), taken, both


_SETTING_ATTRS = (
    "demo", "dry_run", "dialect", "imported_from", "visited", "databricks", "filters", "options", "sink",
    "schedule", "workspaces", "next_workspace_id", "secret_env",
)  # fmt: skip


def _adopt(state: WizardState, merged: dict[str, Any]) -> None:
    """Put the merged settings into this session's state in place (its tests, preview and run stay)."""
    loaded, _, _ = from_settings(merged)
    mine = secret_paths(state)
    for attr in _SETTING_ATTRS:
        setattr(state, attr, getattr(loaded, attr))
    if state.ingestion_id:
        _recall(state.ingestion_id, state)  # secrets the other tab entered (a workspace it added)
    for path, value in mine.items():
        _set_secret(state, path, value)
    _reseed()


def _setting_label(path: str) -> str:
    group, _, rest = path.replace("_", " ").partition(".")
    return f"{group.capitalize()}: {rest.replace('.', ' ')}" if rest else group.capitalize()


def _merge_and_save(store: Store, bound: str, state: WizardState, current: Any) -> str | None:
    """Another tab saved ``current`` over our revision: merge, save over it, show the merged values.

    Returns:
        The settings saved; None when the ingestion was deleted meanwhile (the caller saves it afresh).
    """
    for _ in range(5):  # another tab may save again between our read and our write
        try:
            base = json.loads(st.session_state.get(_LAST_KEY) or "{}")
            theirs = json.loads(current.settings)
        except ValueError:
            base, theirs = {}, {}
        merged, taken, both = merge_settings(
            base, to_settings(state), theirs if isinstance(theirs, dict) else {}
        )
        _adopt(state, merged)
        text = settings_text(state)
        result = store.save_settings(bound, text, SETTINGS_VERSION, current.revision)
        if result is None:
            return None
        if isinstance(result, int):
            st.session_state[_REVISION_KEY] = result
            st.session_state[MERGED_KEY] = (
                [_setting_label(p) for p in taken],
                [_setting_label(p) for p in both],
            )
            return text
        st.session_state[_LAST_KEY] = current.settings
        current = result
    raise StoreError("Another tab keeps saving this ingestion: your change is kept in this tab only for now.")


def _save_bound(store: Store, bound: str, state: WizardState, text: str) -> str | None:
    """Save over the revision this tab last saw, merging another tab's changes.

    Returns:
        The settings saved (merged ones after a merge); None when the ingestion was deleted meanwhile.
    """
    revision = st.session_state.get(_REVISION_KEY)
    if not isinstance(revision, int):  # bound before revisions existed in this session: take the row's
        row = store.get_ingestion(bound)
        if row is None:
            return None
        revision = row.revision
    result = store.save_settings(bound, text, SETTINGS_VERSION, revision)
    if isinstance(result, int):
        st.session_state[_REVISION_KEY] = result
        return text
    if result is None:
        return None
    return _merge_and_save(store, bound, state, result)


def autosave(state: WizardState) -> None:
    """Run last on every rerun: save the settings when they changed, keep the secrets in memory.

    Cheap when nothing changed: one serialisation and a string comparison. A tab saves only over the
    revision it last loaded or saved: when another tab of the same ingestion saved meanwhile, the two are
    merged (:func:`merge_settings`) and this session shows the merged values. A write failure is kept as a
    sentence for the sidebar (:func:`save_status`); it never raises.
    """
    store = open_store()
    if isinstance(store, StoreError):
        return
    bound = st.session_state.get(BOUND_KEY)
    if bound:
        _remember(bound, state)
    text = settings_text(state)
    last = st.session_state.get(_LAST_KEY)
    if text == last:
        _keep_tests(state)
        return
    if bound and isinstance(last, str) and _visited_only(last, text):
        _save_visited(store, bound, text)
        return
    try:
        saved_text = _save_bound(store, bound, state, text) if bound else None
        if bound and saved_text is not None:
            text = saved_text
            _remember(bound, state)
        elif bound or _changed(state):  # new, or deleted in another tab meanwhile: saved afresh
            created = store.create_ingestion(state.ingestion_name if bound else "", text, SETTINGS_VERSION)
            _bind(created.id, state.ingestion_name if bound else "")
            if bound:  # never silently: the id in the address changes, the original is gone
                name = display_name(state.ingestion_name, to_settings(state))
                st.session_state[RECREATED_KEY] = (
                    f"This ingestion was deleted in another tab; your changes are saved as a new ingestion "
                    f"**{md(name)}**."
                )
            st.session_state[_REVISION_KEY] = created.revision
            _remember(created.id, state)
        else:
            return
    except StoreError as err:
        st.session_state[_ERROR_KEY] = str(err)
        return
    st.session_state[_LAST_KEY] = text
    st.session_state[_SAVED_AT_KEY] = time.time()
    st.session_state.pop(_ERROR_KEY, None)
    _keep_tests(state)


def _visited_only(before: str, after: str) -> bool:
    """True when two saved settings differ only in which steps were visited (no modification)."""
    try:
        old, new = json.loads(before), json.loads(after)
    except ValueError:
        return False
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    old.pop("visited", None)
    new.pop("visited", None)
    return bool(old == new)


def _save_visited(store: Store, bound: str, text: str) -> None:
    """Save which steps were visited without bumping the revision or "last modified" (opening a step is no edit).

    Skipped when another tab saved meanwhile: this tab's next real change merges as usual and saves them.
    """
    revision = st.session_state.get(_REVISION_KEY)
    if isinstance(revision, int):
        try:
            store.save_settings(bound, text, SETTINGS_VERSION, revision, touch=False)
        except StoreError:
            return  # only the sidebar's progress after a reload: a real change reports an unwritable database
    st.session_state[_LAST_KEY] = text  # the merge ignores the visited steps: the base is the same


def _keep_tests(state: WizardState) -> None:
    """Keep the connection tests not kept yet (one made before the ingestion had an id): cheap when none."""
    if state.ingestion_id and (state.checks or any(ws.check for ws in state.workspaces.values())):
        from ui.services.checks import keep_tests

        keep_tests(state)


def merged_from_elsewhere() -> tuple[list[str], list[str]] | None:
    """Once after a merge: (settings taken from another tab, settings both changed, this tab's kept)."""
    found = st.session_state.pop(MERGED_KEY, None)
    return found if isinstance(found, tuple) else None


def recreated_news() -> str | None:
    """Once after the autosave saved afresh an ingestion deleted in another tab: the sentence saying so."""
    found = st.session_state.pop(RECREATED_KEY, None)
    return str(found) if found else None


def save_status() -> tuple[str, str]:
    """(kind, sentence) for the sidebar: ``saved``, ``unsaved`` (not yet changed), ``error``."""
    problem = store_problem()
    if problem:
        return "error", problem
    error = st.session_state.get(_ERROR_KEY)
    if error:
        return "error", str(error)
    bound = st.session_state.get(BOUND_KEY)
    if not bound:
        return "unsaved", "Saved automatically as soon as you change a setting."
    saved_at = st.session_state.get(_SAVED_AT_KEY)
    when = f" {_when(saved_at)}" if saved_at else ""
    return "saved", f"Saved automatically{when}; secrets are kept in this server's memory only."


def link_problem() -> str | None:
    """Why the ingestion the URL named (``?ingestion=``) did not open, until this tab edits one; else None."""
    problem = st.session_state.get(_LINK_PROBLEM_KEY)
    return str(problem) if problem else None


def notes() -> list[str]:
    """Notes from opening the ingestion (settings ignored, an id not found)."""
    return list(st.session_state.get(_NOTES_KEY) or [])


# -- actions of the start page ---------------------------------------------------------------------------


def rename_ingestion(ingestion_id: str, name: str) -> str | None:
    """Rename a saved ingestion; the sentence saying why not, or None."""
    store = open_store()
    if isinstance(store, StoreError):
        return str(store)
    name = name.strip()
    if len(name) > 120:
        return "A name has at most 120 characters."
    try:
        found = store.rename(ingestion_id, name)
    except StoreError as err:
        return str(err)
    if not found:
        return "That ingestion no longer exists."
    if st.session_state.get(BOUND_KEY) == ingestion_id:
        get_state().ingestion_name = name
        st.session_state[_NAME_KEY] = name
    return None


def duplicate_ingestion(ingestion_id: str) -> str | None:
    """Copy a saved ingestion (its settings, and its secrets kept in memory); why not, or None."""
    store = open_store()
    if isinstance(store, StoreError):
        return str(store)
    original = store.get_ingestion(ingestion_id)
    if original is None:
        return "That ingestion no longer exists."
    try:
        copy = store.duplicate(
            ingestion_id, f"Copy of {display_name(original.name, original.settings)}"[:120]
        )
    except StoreError as err:
        return str(err)
    if copy is not None:
        with _VAULT_LOCK:
            if ingestion_id in _VAULT:
                _VAULT[copy.id] = dict(_VAULT[ingestion_id])
    return None


def live_run(ingestion_id: str) -> Any:
    """The run of this saved ingestion going now (from any tab), or None."""
    from ui.services.runs import RUNS

    job = RUNS.get(ingestion_id)
    return None if job is None or job.done else job


def delete_ingestion(ingestion_id: str) -> str | None:
    """Delete a saved ingestion, its runs and its secrets in memory, stopping its live run; why not, or None.

    The run is stopped and forgotten first; its end, recorded after the delete, is dropped by the store (a
    run is never recorded for an ingestion that no longer exists).
    """
    store = open_store()
    if isinstance(store, StoreError):
        return str(store)
    from ui import services
    from ui.services.runs import RUNS

    RUNS.forget(ingestion_id)  # stops it when it goes: nobody could reach it once its ingestion is gone
    try:
        store.delete(ingestion_id)
    except StoreError as err:
        return str(err)
    with _VAULT_LOCK:
        _VAULT.pop(ingestion_id, None)
    services.forget_tests(ingestion_id)
    if st.session_state.get(BOUND_KEY) == ingestion_id:
        start_new()
    return None
