"""No error sentence names the same thing twice ("refused the credentials while checking the credentials")."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import Unauthenticated

from core.databricks.errors import translate
from core.errors import while_doing


@pytest.mark.parametrize(
    ("head", "what", "sentence"),
    [
        (
            "Databricks refused the credentials",
            "checking the credentials",
            "Databricks refused the credentials",
        ),
        ("OpenMetadata refused the JWT", "checking the JWT", "OpenMetadata refused the JWT"),
        (
            "Databricks refused the credentials",
            "listing jobs",
            "Databricks refused the credentials while listing jobs",
        ),
        ("Databricks failed", "reading run 42", "Databricks failed while reading run 42"),
    ],
)
def test_while_doing_drops_a_clause_that_only_repeats_the_head(head: str, what: str, sentence: str) -> None:
    assert while_doing(head, what) == sentence


def test_refused_credentials_at_the_credentials_step_are_said_once() -> None:
    err = translate(Unauthenticated("Invalid access token."), "checking the credentials")
    assert err.message == "Databricks refused the credentials: Invalid access token."
    assert err.message.count("credentials") == 1
