"""``DagOptions``: everything about the generated DAG that is not the workflow itself.

A frozen pydantic model that forbids unknown fields. Each value is checked by a validator that says, in
the user's terms, what is wrong (``'has space' must be 1-200 letters, digits, '_', '.' or '-'``), and
pydantic's errors go through the same formatter as the workflow YAML's
(:func:`core.config.loader.config_error_from_validation`): constructing a bad ``DagOptions`` raises one
:class:`~core.errors.ConfigError` whose ``field`` is ``dag.<name>`` and whose ``problems`` lists every
wrong field, so the wizard can show each at its input and the CLI prints one line.

The schedule and timezone are checked by :mod:`core.generate.schedule` (croniter, the IANA database),
whose hints (``Did you mean 'Europe/Berlin'?``) reach the error's ``hint``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, NoReturn
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.config.loader import config_error_from_validation
from core.generate.defaults import DEFAULT_DAG_ID, DEFAULT_OPENMETADATA_VERSION
from core.generate.schedule import resolve_schedule, validate_timezone

__all__ = ["DEFAULT_OPENMETADATA_VERSION", "DagOptions", "Engine", "SecretsFrom", "is_openmetadata_release"]

Engine = Literal["core", "openmetadata"]
SecretsFrom = Literal["env", "variable", "connection", "inline"]

#: the largest retry count and number of minutes accepted
_MAX_WHOLE = 100_000

_DAG_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_RELEASE = re.compile(r"^\d+\.\d+\.\d+(\.\d+)?$")
_YAML_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.ya?ml$")
#: an absolute POSIX path without whitespace or quotes (it is written into the DAG and given to pip)
_ABSOLUTE_PATH = re.compile(r"^/[^\s\"'\\]{0,999}$")
_WHEELHOUSE_URL = re.compile(r"^https?://[^\s\"'\\]{1,1000}$")


def is_openmetadata_release(text: str) -> bool:
    """True for a release number ``openmetadata-ingestion`` is published under (``2.0.7``, ``2.0.7.0``).

    Args:
        text: what the user typed or the connection test found.

    Returns:
        Whether ``DagOptions.openmetadata_version`` accepts it.
    """
    return bool(_RELEASE.match(text))


class DagOptions(BaseModel):
    """Everything about the generated DAG that is not the workflow itself.

    ``schedule`` also takes a preset name (``daily``, ``on demand``...) and ``@daily``-style aliases, and
    is stored as the five cron fields (``None``: on demand); ``timezone`` is stored as its canonical IANA
    name; ``email`` entries are stripped and blank ones dropped.

    Raises:
        ConfigError: on construction, for any wrong value: ``field="dag.<name>"`` of the first, every
            one in ``problems``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    dag_id: str = DEFAULT_DAG_ID
    #: cron expression, or None: runs only when triggered
    schedule: str | None = "0 2 * * *"
    timezone: str = "UTC"
    #: default: today in ``timezone``, written into the file as a fixed date (never ``days_ago``)
    start_date: date | None = None
    owner: str = "data-platform"
    retries: int = 2
    retry_delay_minutes: int = 5
    execution_timeout_minutes: int = 120
    email: list[str] = Field(default_factory=list)
    email_on_failure: bool = False
    email_on_retry: bool = False
    tags: list[str] = Field(default_factory=lambda: ["openmetadata", "databricks"])
    engine: Engine = "core"
    secrets: SecretsFrom = "env"
    #: OpenMetadata server version: the ``openmetadata-ingestion`` release the virtualenv installs
    openmetadata_version: str = DEFAULT_OPENMETADATA_VERSION
    #: the workflow YAML's file name, next to the DAG file; default ``<dag_id>.yaml``
    yaml_filename: str | None = None
    #: an interpreter on the workers that has the engine installed: the task runs it
    #: (``ExternalPythonOperator``) instead of creating a virtualenv; ``core`` engine only
    python: str | None = None
    #: a folder (absolute path on the workers) or URL of wheels: the task's virtualenv installs from it
    #: alone (``pip --no-index --find-links``), for workers without access to a package index
    wheelhouse: str | None = None
    #: minutes after a run is queued: if it has not finished by then, e-mail ``email`` (a deadline alert,
    #: Airflow 3.1+; older versions load the DAG without it). None: no alert
    deadline_minutes: int | None = None
    #: ``core`` engine: report each run to the service's ingestion pipeline named after the DAG (the
    #: Ingestions tab in OpenMetadata; :func:`core.ingestion_run.run_ingestion`). False: nothing reported
    report_runs: bool = True

    def __init__(self, **data: Any) -> None:
        """Validate ``data`` (the fields above, by name).

        Raises:
            ConfigError: ``field="dag.<name>"``, one line; every wrong field in ``problems``.
        """
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise config_error_from_validation(err, data, model=DagOptions, prefix="dag") from None

    # -- one validator per field, in field order (errors are reported in this order) ------------------

    @field_validator("dag_id", mode="before")
    @classmethod
    def _dag_id(cls, value: Any) -> Any:
        if not (isinstance(value, str) and _DAG_ID.match(value) and len(value) <= 200):
            raise ValueError(f"{value!r} must be 1-200 letters, digits, '_', '.' or '-'")
        return value

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> str | None:
        return resolve_schedule(value)  # ConfigError (a ValueError) with the field's hint

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> str:
        return validate_timezone(value)

    @field_validator("start_date", mode="before")
    @classmethod
    def _start_date(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise ValueError("must be a date (the DAG starts at midnight of it in its timezone)")
        return value

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, value: Any) -> Any:
        if not (isinstance(value, str) and value.strip()):
            raise ValueError("is empty")
        return value

    @field_validator("retries", "retry_delay_minutes", mode="before")
    @classmethod
    def _from_zero(cls, value: Any) -> Any:
        return _whole_number(value, 0)

    @field_validator("deadline_minutes", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> Any:
        return None if value is None else _whole_number(value, 1)

    @field_validator("execution_timeout_minutes", mode="before")
    @classmethod
    def _from_one(cls, value: Any) -> Any:
        return _whole_number(value, 1)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value  # pydantic's own "should be a valid list"
        addresses = [item.strip() if isinstance(item, str) else item for item in value]
        addresses = [item for item in addresses if item != ""]
        for address in addresses:
            if not (isinstance(address, str) and _EMAIL.match(address)):
                raise ValueError(f"{address!r} is not an e-mail address")
        return addresses

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        for tag in value if isinstance(value, list) else []:
            if not (isinstance(tag, str) and tag.strip() and len(tag) <= 100):
                raise ValueError(f"{tag!r}: each tag must be 1-100 characters")
        return value

    @field_validator("report_runs", mode="before")
    @classmethod
    def _report_runs(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} must be true or false")
        return value

    @field_validator("engine", mode="before")
    @classmethod
    def _engine(cls, value: Any) -> Any:
        if value not in ("core", "openmetadata"):
            raise ValueError(f"{value!r} must be core or openmetadata")
        return value

    @field_validator("secrets", mode="before")
    @classmethod
    def _secrets(cls, value: Any) -> Any:
        if value not in ("env", "variable", "connection", "inline"):
            raise ValueError(f"{value!r} must be env, variable, connection or inline")
        return value

    @field_validator("openmetadata_version", mode="before")
    @classmethod
    def _openmetadata_version(cls, value: Any) -> Any:
        if not (isinstance(value, str) and is_openmetadata_release(value)):
            raise ValueError(f"{value!r} must be a release number such as {DEFAULT_OPENMETADATA_VERSION}")
        return value

    @field_validator("yaml_filename", mode="before")
    @classmethod
    def _yaml_filename(cls, value: Any) -> Any:
        if value is not None and not (isinstance(value, str) and _YAML_NAME.match(value)):
            raise ValueError(f"{value!r} must be a file name ending in .yaml, without folders")
        return value

    @field_validator("python", mode="before")
    @classmethod
    def _python(cls, value: Any) -> Any:
        if value is not None and not (isinstance(value, str) and _ABSOLUTE_PATH.match(value)):
            raise ValueError(f"{value!r} must be the absolute path of a Python interpreter on the workers")
        return value

    @field_validator("wheelhouse", mode="before")
    @classmethod
    def _wheelhouse(cls, value: Any) -> Any:
        if value is not None and not (
            isinstance(value, str) and (_ABSOLUTE_PATH.match(value) or _WHEELHOUSE_URL.match(value))
        ):
            raise ValueError(f"{value!r} must be an absolute folder path on the workers, or an http(s) URL")
        return value

    @model_validator(mode="after")
    def _python_runs_the_core_engine(self) -> DagOptions:
        if self.python is None:
            return self
        if self.engine != "core":
            _raise_at("python", self.python, "applies to the core engine only")
        if self.wheelhouse is not None:
            _raise_at("wheelhouse", self.wheelhouse, "is for the task's own virtualenv: not used with python")
        return self

    @model_validator(mode="after")
    def _deadline_alert_to_send_to(self) -> DagOptions:
        if self.deadline_minutes is not None and not self.email:
            _raise_at("email", self.email, "give at least one address to send the deadline alert to")
        return self

    @model_validator(mode="after")
    def _email_to_send_to(self) -> DagOptions:
        if self.email or not (self.email_on_failure or self.email_on_retry):
            return self
        _raise_at("email", self.email, "give at least one address to send failure or retry e-mails to")

    # -- derived values ---------------------------------------------------------------------------------

    @property
    def yaml_name(self) -> str:
        """The workflow YAML's file name: ``yaml_filename`` or ``<dag_id>.yaml``."""
        return self.yaml_filename or f"{self.dag_id}.yaml"

    @property
    def dag_filename(self) -> str:
        """``<dag_id>.py``."""
        return f"{self.dag_id}.py"

    def resolved_start_date(self) -> date:
        """``start_date``, or today's date in ``timezone``.

        Returns:
            The date whose midnight (in ``timezone``) is the DAG's ``start_date``.
        """
        return self.start_date or datetime.now(ZoneInfo(self.timezone)).date()


def _raise_at(name: str, value: Any, message: str) -> NoReturn:
    """Raise a ``ValidationError`` at the field ``name`` (a model validator's own would name the model)."""
    error = PydanticCustomError("value_error", message)
    raise ValidationError.from_exception_data(
        DagOptions.__name__, [InitErrorDetails(type=error, loc=(name,), input=value)]
    )


def _whole_number(value: Any, low: int) -> Any:
    """``value`` when it is an ``int`` (not a ``bool``) from ``low`` to :data:`_MAX_WHOLE`."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= _MAX_WHOLE:
        raise ValueError(f"{value!r} must be a whole number from {low} to {_MAX_WHOLE}")
    return value
