"""``DagOptions`` as a pydantic model: frozen, no unknown fields, every problem reported in one ConfigError.

The per-field messages are checked in test_dag.py (``test_invalid_options_name_their_field``).
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.errors import ConfigError
from core.generate.options import DEFAULT_OPENMETADATA_VERSION, DagOptions, is_openmetadata_release


def test_options_are_frozen() -> None:
    options = DagOptions()
    with pytest.raises(ValidationError, match="frozen"):
        options.retries = 5  # type: ignore[misc]
    assert options.retries == 2


def test_an_unknown_option_is_named_with_a_did_you_mean() -> None:
    with pytest.raises(ConfigError) as caught:
        DagOptions(dag_idd="x")
    assert caught.value.field == "dag.dag_idd"
    assert caught.value.message == "unknown key 'dag_idd'; did you mean 'dag_id'?"


def test_every_wrong_field_is_in_problems_and_the_first_is_the_message() -> None:
    with pytest.raises(ConfigError) as caught:
        DagOptions(dag_id="has space", retries=-1, engine="docker")
    error = caught.value
    assert [field for field, _ in error.problems] == ["dag.dag_id", "dag.retries", "dag.engine"]
    assert error.field == "dag.dag_id"
    assert error.message == "'has space' must be 1-200 letters, digits, '_', '.' or '-' (and 2 more problems)"
    assert error.problems[1] == ("dag.retries", "-1 must be a whole number from 0 to 100000")
    assert error.one_line().startswith("dag.dag_id: 'has space' must be")
    assert "\n" not in error.one_line()


def test_the_schedule_modules_hints_reach_the_error() -> None:
    with pytest.raises(ConfigError) as caught:
        DagOptions(timezone="Europe/Berln")
    assert (caught.value.field, caught.value.hint) == ("dag.timezone", "Did you mean 'Europe/Berlin'?")
    assert caught.value.one_line() == (
        "dag.timezone: unknown timezone 'Europe/Berln'. Did you mean 'Europe/Berlin'?"
    )
    with pytest.raises(ConfigError) as caught:
        DagOptions(schedule="0 2 * *")
    assert caught.value.field == "dag.schedule"
    assert caught.value.hint is not None and caught.value.hint.startswith("Use five fields")


def test_email_addresses_are_stripped_and_needed_for_alerts() -> None:
    assert DagOptions(email=[" a@example.com ", "", " "]).email == ["a@example.com"]
    with pytest.raises(ConfigError) as caught:
        DagOptions(email=[" "], email_on_retry=True)
    assert caught.value.field == "dag.email"
    assert caught.value.message == "give at least one address to send failure or retry e-mails to"


def test_release_numbers() -> None:
    assert is_openmetadata_release(DEFAULT_OPENMETADATA_VERSION)
    assert is_openmetadata_release("1.9.12.1")
    assert not is_openmetadata_release("2.0")
    assert not is_openmetadata_release("latest")
