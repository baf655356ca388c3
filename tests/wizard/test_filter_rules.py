"""Friendly filter rules compile to regexes that mean what the operator says under OpenMetadata's
``re.match(IGNORECASE)``, and regexes from an imported YAML parse back into the same rules."""

from __future__ import annotations

import pytest

from core.config.models import FilterPattern
from core.filter_rules import (
    OPERATORS,
    FilterRule,
    escape_literal,
    regex_error,
    regex_to_rule,
    rule_to_regex,
    unescape_literal,
)
from core.filters import NameFilter

NAMES = [
    "etl_daily",
    "ETL_daily_v2",
    "nightly etl",
    "prod-sales.orders",
    "production",
    "sales (eu)",
    "a+b",
    "cost_$usd",
    "x",
    "hr_payroll_tmp",
]
VALUES = ["etl", "daily", "prod-sales.orders", "sales (eu)", "a+b", "$usd", "_tmp", "x", "ETL_DAILY"]

EXPECTED = {
    "exactly": lambda name, value: name.lower() == value.lower(),
    "starts": lambda name, value: name.lower().startswith(value.lower()),
    "ends": lambda name, value: name.lower().endswith(value.lower()),
    "contains": lambda name, value: value.lower() in name.lower(),
}


@pytest.mark.parametrize("operator", list(EXPECTED))
@pytest.mark.parametrize("value", VALUES)
def test_each_operator_keeps_exactly_the_names_it_describes(operator: str, value: str) -> None:
    """The compiled regex, applied by the engine's own NameFilter, agrees with plain string logic."""
    regex = rule_to_regex(operator, value)  # type: ignore[arg-type]
    name_filter = NameFilter.from_pattern(FilterPattern(includes=[regex]))
    for name in NAMES:
        assert name_filter.decide(name).kept == EXPECTED[operator](name, value), (
            operator,
            value,
            name,
            regex,
        )


@pytest.mark.parametrize(
    ("operator", "value", "regex"),
    [
        ("exactly", "etl_daily", "^etl_daily$"),
        ("starts", "etl", "etl"),
        ("ends", "_tmp", ".*_tmp$"),
        ("contains", "sales", ".*sales"),
        ("regex", r"etl_\d+", r"etl_\d+"),
        ("exactly", "prod-sales.orders", r"^prod-sales\.orders$"),
        ("contains", "a+b (x)", r".*a\+b \(x\)"),
    ],
)
def test_compiled_regexes_are_minimal_and_readable(operator: str, value: str, regex: str) -> None:
    """'-', spaces and '_' are not escaped, so the YAML stays readable; specials are."""
    assert rule_to_regex(operator, value) == regex  # type: ignore[arg-type]


@pytest.mark.parametrize("operator", [op for op in OPERATORS if op != "regex"])
@pytest.mark.parametrize("value", VALUES)
def test_round_trip_gives_back_the_same_rule(operator: str, value: str) -> None:
    rule = FilterRule(operator, value)  # type: ignore[arg-type]
    assert regex_to_rule(rule.regex) == rule


@pytest.mark.parametrize(
    ("pattern", "rule"),
    [
        ("^etl$", FilterRule("exactly", "etl")),
        ("^etl", FilterRule("starts", "etl")),
        ("etl.*", FilterRule("starts", "etl")),
        (".*sales.*", FilterRule("contains", "sales")),  # how OpenMetadata's UI writes "contains"
        (".*_tmp$", FilterRule("ends", "_tmp")),
        (r"etl_\d+", FilterRule("regex", r"etl_\d+")),
        ("(a|b)_job", FilterRule("regex", "(a|b)_job")),
        (".*", FilterRule("regex", ".*")),
        ("^$", FilterRule("regex", "^$")),
    ],
)
def test_imported_regexes_become_friendly_rules_where_they_can(pattern: str, rule: FilterRule) -> None:
    assert regex_to_rule(pattern) == rule


@pytest.mark.parametrize("pattern", ["^etl$", "etl", ".*x$", ".*sales.*", r"etl_\d+", "(a|b)_job", r"a\\$"])
def test_parsed_rule_means_the_same_as_the_pattern(pattern: str) -> None:
    """Whatever shape is recognised, the rule's regex keeps exactly the same names."""
    original = NameFilter.from_pattern(FilterPattern(includes=[pattern]))
    parsed = NameFilter.from_pattern(FilterPattern(includes=[regex_to_rule(pattern).regex]))
    names = [*NAMES, "etl", "a_job", "b_job_x", "a\\", "sales", "etl_12"]
    assert [original.decide(n).kept for n in names] == [parsed.decide(n).kept for n in names]


def test_escape_and_unescape_are_inverse() -> None:
    text = "a.b*c+d?e{f}g[h]i\\j|k(l)m^n$o-p q#r"
    assert unescape_literal(escape_literal(text)) == text
    assert unescape_literal(r"etl_\d") is None
    assert unescape_literal("etl.") is None
    assert unescape_literal("trailing\\") is None


def test_regex_error_names_the_problem_and_position() -> None:
    assert regex_error(r"etl_\d+") is None
    message = regex_error("etl_(daily")
    assert message is not None
    assert "missing )" in message and "position" in message


def test_unknown_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown filter operator"):
        rule_to_regex("glob", "*_tmp")  # type: ignore[arg-type]
