"""Connection tests of both sides, run from the wizard, and each side's last test kept with the ingestion.

An extra workspace's last test is kept too, under ``"workspace:<id>"``.

Why a kept test is judged on two things: a result is stale when a setting it read changed since
(:func:`~ui.services.config.databricks_fingerprint`). That fingerprint covers the secrets, so it is salted per
process and never written anywhere: a file holding it would let a secret be guessed offline. What the database
keeps instead (:class:`ui.store.KeptCheck`) is the result, its sentences redacted, and its *basis*: a digest of
the non-secret settings tested and of where each secret came from (typed, or the name of its environment
variable), never of a secret's value, then the same of each setting alone (to name the one that changed). So:

- in the same server process (a reload, a new tab), the salted fingerprint of each kept test is remembered in
  memory (:data:`_TESTED`, like the secrets themselves), and staleness is exactly what it was before the reload;
- after a restart, a kept test is current when its basis matches the settings now and none of its secrets was
  typed (a typed secret is gone with the old process; the one entered again cannot be compared with it), else
  it is shown stale, saying why.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import SecretStr

from core.check_steps import CheckStep
from core.config import WorkflowConfig, parse_workflow_config
from core.errors import ConfigError
from ui.services._shared import _PLACEHOLDER_SECRET
from ui.services.config import (
    build_config,
    databricks_fingerprint,
    setting_fingerprints,
    sink_fingerprint,
    sink_path,
    tested_settings,
    workflow_dict,
)
from ui.services.forms import normalized_host
from ui.services.warmup import load_engine
from ui.state import CheckResult, WizardState
from ui.store import KeptCheck, Store, StoreError, open_store
from ui.store.db import HOME_ENV

__all__ = ["check_connection", "forget_tests", "keep_tests", "restore_tests", "stale_reason"]

SIDES = ("databricks", "sink")
#: (ingestion id, side) -> (finished_at, salted fingerprint, stale reason, per-setting fingerprints) of the
#: newest test kept: this process's memory, never written
_TESTED: dict[tuple[str, str], tuple[float, str, str, dict[str, str]]] = {}
_TESTED_LOCK = threading.Lock()


def check_connection(state: WizardState, side: str, timeout_s: float) -> CheckResult:
    """Run the step-by-step test of ``side`` ("databricks" or "sink"), store and return it.

    A config that cannot even be built (a wrong field) becomes a single failed step naming the field,
    so the page renders the same list whatever went wrong.
    """
    load_engine()
    from core.checks import check_databricks, check_openmetadata

    fingerprint = databricks_fingerprint(state) if side == "databricks" else sink_fingerprint(state)
    try:
        if side == "databricks":
            steps = check_databricks(build_config(state, purpose="databricks"), timeout_s)
        elif state.sink.kind == "file":
            steps = [_check_file_sink(state.sink.filename, CheckStep)]
        else:
            steps = check_openmetadata(_sink_check_config(state), timeout_s)
    except ConfigError as err:
        steps = [
            CheckStep(
                "Databricks" if side == "databricks" else "OpenMetadata",
                "Settings complete",
                ok=False,
                error=err.message,
                hint=err.hint or "Fix the field, then test again",
                field=err.field,
            )
        ]
    result = CheckResult(steps=steps, fingerprint=fingerprint, timeout_s=timeout_s, finished_at=time.time())
    result.settings = setting_fingerprints(state, side)
    state.checks[side] = result
    if side == "sink":
        state.om_version = _server_version(steps)
    keep_tests(state, [side])
    return result


def _server_version(steps: list[Any]) -> str | None:
    return next((s.server_version for s in steps if s.ok and s.server_version), None)


def _sink_check_config(state: WizardState) -> WorkflowConfig:
    """A config for testing the sink alone.

    The Databricks side may not be filled in yet (step 5 can be tested before step 1), so its missing or
    wrong values are replaced by placeholders that are never contacted.
    """
    data = workflow_dict(state, placeholder=_PLACEHOLDER_SECRET)
    source = data["source"]
    source["serviceName"] = source["serviceName"] or "databricks_pipelines"
    connection = source["serviceConnection"]["config"]
    if normalized_host(connection["hostPort"])[0] is None:
        connection["hostPort"] = "https://placeholder.cloud.databricks.com"
    for key in ("httpPath", "connectionArguments"):
        connection.pop(key, None)
    source["sourceConfig"]["config"].pop("pipelineFilterPattern", None)
    return parse_workflow_config(data, environ={})


def _check_file_sink(filename: str, step_type: Any) -> Any:
    """The file sink's only precondition: its folder exists and is writable (``exports/`` is created)."""
    started = time.perf_counter()
    try:
        path = sink_path(filename, create=True)
    except OSError as err:
        path = sink_path(filename)
        step = step_type("File", "Folder writable", ok=False, field="sink.config.filename")
        step.error = f"the folder {path.parent} cannot be created ({err.strerror or type(err).__name__})"
        step.hint = f"Set {HOME_ENV} to a folder this user may write to, or give an absolute path"
        return step
    folder = path.parent
    step = step_type("File", "Folder writable")
    if not folder.is_dir():
        step.ok, step.error = False, f"the folder {folder} does not exist"
        step.hint, step.field = "Create it or choose another path", "sink.config.filename"
    elif not os.access(folder, os.W_OK):
        step.ok, step.error = False, f"the folder {folder} is not writable"
        step.hint, step.field = "Choose a folder this user may write to", "sink.config.filename"
    else:
        step.ok, step.detail = True, f"{path} can be written"
    step.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return step


# -- the last test of each side, kept with the saved ingestion ------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """What one kept test was made of: the state its settings are read from, which settings, whose secrets."""

    #: the state as the test saw it (an extra workspace's view for a workspace)
    view: WizardState
    #: ``"databricks"`` or ``"sink"``: which settings (:data:`~ui.services.config.TESTED_SETTINGS`)
    kind: str
    #: the secrets' path prefix in ``secret_env`` (``"databricks"``, ``"workspaces.2.databricks"``)
    env_prefix: str


def _targets(state: WizardState) -> dict[str, _Target]:
    """Every test a state can hold, by the key it is kept under (``"databricks"``, ``"sink"``, ``"workspace:2"``)."""
    from ui.services.workspaces import workspace_view

    found = {side: _Target(state, side, side) for side in SIDES}
    for number, workspace in state.workspaces.items():
        view = workspace_view(state, workspace)
        found[f"workspace:{number}"] = _Target(view, "databricks", f"workspaces.{number}.databricks")
    return found


def _result(state: WizardState, key: str) -> CheckResult | None:
    if key.startswith("workspace:"):
        workspace = state.workspaces.get(int(key.partition(":")[2]))
        return None if workspace is None else workspace.check
    return state.checks.get(key)


def _put(state: WizardState, key: str, result: CheckResult) -> None:
    if key.startswith("workspace:"):
        state.workspaces[int(key.partition(":")[2])].check = result
    else:
        state.checks[key] = result
        if key == "sink":
            state.om_version = _server_version(result.steps)


def _fingerprint_now(target: _Target) -> str:
    return (
        databricks_fingerprint(target.view) if target.kind == "databricks" else sink_fingerprint(target.view)
    )


def _secrets(state: WizardState, target: _Target) -> dict[str, str]:
    """Each secret the test reads that is set: its name -> its environment variable ("" when typed)."""
    return {
        name: state.secret_env.get(f"{target.env_prefix}.{name}", "")
        for name, value in tested_settings(target.view, target.kind).items()
        if isinstance(value, SecretStr)
    }


def _parts(state: WizardState, target: _Target) -> dict[str, str]:
    """Each setting the test reads -> the text it is compared by.

    A non-secret by its value, a secret by where it came from (``<secret typed>``, ``<secret from $NAME>``),
    never by its value.
    """
    sources = _secrets(state, target)
    parts: dict[str, str] = {}
    for name, value in tested_settings(target.view, target.kind).items():
        if name in sources:
            value = f"<secret from ${sources[name]}>" if sources[name] else "<secret typed>"
        parts[name] = f"{name}={value!r}"
    return parts


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def _basis(state: WizardState, target: _Target) -> str:
    """Digest of what the test reads, each secret by where it came from (never its value)."""
    return _digest("\x00".join([target.kind, *_parts(state, target).values()]), 16)


def _setting_digests(state: WizardState, target: _Target) -> str:
    """``name:digest`` of each setting the test reads (a secret's by where it came from): tells which changed."""
    return ",".join(f"{name}:{_digest(part, 8)}" for name, part in _parts(state, target).items())


#: how a stale test names a setting that changed since
_SETTING_LABELS = {
    "host": "the host", "auth": "the authentication method", "token": "the token", "client_id": "the client ID",
    "client_secret": "the client secret", "azure_client_id": "the Azure client ID",
    "azure_client_secret": "the Azure client secret", "azure_tenant_id": "the Azure tenant ID",
    "http_path": "the HTTP path", "timeout_s": "the timeout", "connection_args": "the connection arguments",
    "kind": "the kind of sink", "om_host": "the OpenMetadata URL", "jwt": "the bot JWT",
    "verify_ssl": "the SSL verification", "ca_certificate": "the CA certificate", "filename": "the output file",
}  # fmt: skip


def _redacted(state: WizardState, step: Any) -> dict[str, Any]:
    """A step as JSON-ready data, every secret of ``state`` and anything credential-like masked."""
    from core.secrets import MASK, redact
    from ui.services.saved import secret_paths

    values = sorted((s.get_secret_value() for s in secret_paths(state).values()), key=len, reverse=True)
    data = asdict(step)
    for key, text in data.items():
        if isinstance(text, str) and key not in ("side", "name"):
            for value in values:
                if value:
                    text = text.replace(value, MASK)
            data[key] = redact(text)
    return data


def keep_tests(state: WizardState, keys: list[str] | None = None) -> None:
    """Save each test newer than the one kept, when the ingestion is saved (never raises).

    Called when a test finishes and by the autosave (a test made before the ingestion had an id, or an extra
    workspace's, is kept at the end of the same rerun). A tab's older result never replaces a newer one
    another tab kept.

    Args:
        state: the session's state.
        keys: only these tests (``"databricks"``, ``"sink"``, ``"workspace:2"``); None for every one.
    """
    ingestion_id = state.ingestion_id
    if not ingestion_id:
        return
    store = open_store()
    if isinstance(store, StoreError):
        return
    for key, target in _targets(state).items():
        result = _result(state, key)
        with _TESTED_LOCK:
            known = _TESTED.get((ingestion_id, key))
        if (
            result is None
            or (keys is not None and key not in keys)
            or (known and known[0] >= result.finished_at)
        ):
            continue
        typed = "" in _secrets(state, target).values()
        steps = [_redacted(state, step) for step in result.steps]
        basis = ("typed:" if typed else "") + _basis(state, target) + ";" + _setting_digests(state, target)
        try:
            store.save_check(ingestion_id, KeptCheck(key, result.finished_at, result.timeout_s, basis, steps))
        except StoreError:
            continue  # the settings' own save reports an unwritable database; the result stays in this tab
        with _TESTED_LOCK:
            _TESTED[(ingestion_id, key)] = (
                result.finished_at,
                result.fingerprint,
                result.stale_reason,
                dict(result.settings),
            )


_TYPED_BEFORE = (
    "it used a secret typed before the wizard's server restarted: secrets are never saved, so the one in use "
    "now cannot be compared with it"
)


def _changed_since(names: list[str]) -> str:
    """The sentence naming the settings ``names`` (at least one): "the host and the token have changed since"."""
    labels = [_SETTING_LABELS.get(name, name.replace("_", " ")) for name in names]
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"{joined} {'has' if len(labels) == 1 else 'have'} changed since"


def _why_stale(state: WizardState, target: _Target, basis: str) -> str | None:
    """Why a test kept from an earlier server is stale now ("" for "a setting changed"), or None when current.

    ``basis`` is what :func:`keep_tests` saved: ``[typed:]<digest>[;name:digest,...]`` (a row of an older
    wizard has no per-setting digests: its reason names no setting).
    """
    typed = basis.startswith("typed:")
    whole, _, listed = basis.removeprefix("typed:").partition(";")
    if not typed and whole == _basis(state, target):
        return None  # the same settings, its secrets read from the same environment variables: current
    if not listed:
        return _TYPED_BEFORE if typed and whole == _basis(state, target) else ""
    then = dict(item.partition(":")[::2] for item in listed.split(","))
    now = dict(item.partition(":")[::2] for item in _setting_digests(state, target).split(","))
    changed, retyped = [], False
    for name, digest in now.items():
        if then.get(name) == digest:
            continue
        unset, typed_now = (_digest(f"{name}={value!r}", 8) for value in (None, "<secret typed>"))
        if then.get(name) == typed_now and digest in (unset, typed_now):
            retyped = True  # typed then, and gone with that server or typed again: cannot be compared
        else:
            changed.append(name)
    if typed and not retyped and not changed:
        retyped = True
    if (
        changed and state.demo
    ):  # the demo's emulators listen elsewhere with each server; its secrets are its own
        retyped = False
    reasons = []
    if changed:
        reasons.append(_changed_since(changed))
    if retyped:
        reasons.append(_TYPED_BEFORE)
    return ", and ".join(reasons)


def stale_reason(state: WizardState, key: str) -> str:
    """Why the test held under ``key`` (``"databricks"``, ``"sink"``, ``"workspace:2"``) is stale, for its page.

    Its own reason when it has one (kept from before a restart); else the settings changed since it ran, by
    name ("the host has changed since"), compared by their in-memory fingerprints; "" when that is unknown.
    """
    result = _result(state, key)
    target = _targets(state).get(key)
    if result is None or target is None:
        return ""
    if result.stale_reason or not result.settings:
        return result.stale_reason
    now = setting_fingerprints(target.view, target.kind)
    changed = [name for name, value in now.items() if result.settings.get(name) != value]
    return _changed_since(changed) if changed else ""


def _restored(state: WizardState, target: _Target, ingestion_id: str, kept: KeptCheck) -> CheckResult:
    """A kept test as this session's result, with the fingerprint that makes it current or stale."""
    names = set(CheckStep.__dataclass_fields__)
    steps = [CheckStep(**{k: v for k, v in step.items() if k in names}) for step in kept.steps]
    result = CheckResult(steps, f"kept:{kept.basis}", kept.timeout_s, kept.finished_at)
    with _TESTED_LOCK:
        known = _TESTED.get((ingestion_id, kept.side))
    if known is not None and known[0] == kept.finished_at:  # known to this process: compared as before
        result.fingerprint, result.stale_reason, result.settings = known[1], known[2], dict(known[3])
        return result
    why = _why_stale(state, target, kept.basis)
    if why is None:
        result.fingerprint = _fingerprint_now(target)
    else:
        result.stale_reason = why
    return result


def restore_tests(store: Store, state: WizardState, ingestion_id: str) -> None:
    """Put the ingestion's kept tests into ``state`` (opening it: a reload, a new tab, the start page's Open).

    A test of an extra workspace removed since is left out.
    """
    try:
        kept = store.checks(ingestion_id)
    except Exception:  # noqa: BLE001 -- a test that cannot be read is only not shown again
        return
    for key, target in _targets(state).items():
        if key not in kept:
            continue
        try:
            result = _restored(state, target, ingestion_id, kept[key])
        except (TypeError, ValueError):
            continue  # a row of another version of the wizard that this one cannot read
        _put(state, key, result)
        with _TESTED_LOCK:
            _TESTED.setdefault(
                (ingestion_id, key),
                (result.finished_at, result.fingerprint, result.stale_reason, dict(result.settings)),
            )


def forget_tests(ingestion_id: str | None = None) -> None:
    """Forget the fingerprints kept in memory: of one deleted ingestion, or all (what a restart does)."""
    with _TESTED_LOCK:
        for key in [key for key in _TESTED if ingestion_id is None or key[0] == ingestion_id]:
            del _TESTED[key]
