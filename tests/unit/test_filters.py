"""pipelineFilterPattern: OpenMetadata 2.0.7's rule (re.match, IGNORECASE, exclude wins) plus a reason."""

from __future__ import annotations

import random
import re
import string
from typing import Any

import pytest

from core.config import FilterPattern, parse_workflow_config
from core.errors import ConfigError, InvalidPatternError
from core.filters import FILTER_FIELD, FilterDecision, NameFilter

FILTER_TABLE = [
    # (includes, excludes, name, kept, reason)
    pytest.param([], [], "anything", True, "no filter", id="no-filter"),
    pytest.param([], [], "", True, "no filter", id="no-filter-empty-name"),
    pytest.param(
        ["sales"], [], "SALES_daily", True, "matched include #1 (sales)", id="include-case-insensitive"
    ),
    pytest.param(
        ["SALES"], [], "sales_daily", True, "matched include #1 (SALES)", id="include-upper-pattern"
    ),
    pytest.param(
        ["prod"], [], "production", True, "matched include #1 (prod)", id="anchored-at-start-prefix"
    ),
    pytest.param(["prod"], [], "my-prod", False, "no include matched", id="anchored-at-start-not-inside"),
    pytest.param([".*prod"], [], "my-prod-job", True, "matched include #1 (.*prod)", id="dot-star-anywhere"),
    pytest.param(["^etl$"], [], "etl", True, "matched include #1 (^etl$)", id="dollar-exact"),
    pytest.param(["^etl$"], [], "etl_daily", False, "no include matched", id="dollar-anchors-end"),
    pytest.param(["etl"], [], "etl_daily", True, "matched include #1 (etl)", id="no-dollar-prefix-ok"),
    pytest.param(
        ["etl"], ["etl_tmp"], "etl_tmp_1", False, "excluded by #1 (etl_tmp)", id="exclude-wins-over-include"
    ),
    pytest.param(["etl"], ["tmp"], "etl_tmp", True, "matched include #1 (etl)", id="exclude-also-anchored"),
    pytest.param(["etl"], [".*tmp"], "etl_tmp", False, "excluded by #1 (.*tmp)", id="exclude-anywhere"),
    pytest.param(["sales", "etl"], [], "etl_orders", True, "matched include #2 (etl)", id="second-include"),
    pytest.param(
        ["sales", "etl", "e"], [], "etl_orders", True, "matched include #2 (etl)", id="first-matching-include"
    ),
    pytest.param(["sales", "etl"], [], "hr_payroll", False, "no include matched", id="no-include-matched"),
    pytest.param([], ["tmp", "test"], "TEST_job", False, "excluded by #2 (test)", id="second-exclude"),
    pytest.param([], ["tmp", "test"], "daily", True, "matched no exclude", id="only-excludes-kept"),
    pytest.param([], ["tmp"], "tmp_job", False, "excluded by #1 (tmp)", id="only-excludes-dropped"),
    pytest.param(["a.b"], [], "AxB", True, "matched include #1 (a.b)", id="dot-is-regex"),
    pytest.param([r"a\.b"], [], "AxB", False, "no include matched", id="escaped-dot"),
    pytest.param(
        ["Ölpreis"], [], "ölpreis_daily", True, "matched include #1 (Ölpreis)", id="unicode-casefold"
    ),
]


@pytest.mark.parametrize(("includes", "excludes", "name", "kept", "reason"), FILTER_TABLE)
def test_filter_table(includes: list[str], excludes: list[str], name: str, kept: bool, reason: str) -> None:
    name_filter = NameFilter.from_pattern(FilterPattern(includes=includes, excludes=excludes))
    decision = name_filter.decide(name)
    assert decision == FilterDecision(name, kept, reason)
    assert name_filter.is_empty is (not includes and not excludes)


def test_none_pattern_keeps_everything() -> None:
    name_filter = NameFilter.from_pattern(None)
    assert name_filter.is_empty
    assert name_filter.decide("x") == FilterDecision("x", True, "no filter")


def test_patterns_are_compiled_case_insensitive() -> None:
    name_filter = NameFilter.from_pattern(FilterPattern(includes=["abc"], excludes=["xyz"]))
    assert all(pattern.flags & re.IGNORECASE for pattern in name_filter.includes + name_filter.excludes)


@pytest.mark.parametrize(
    ("pattern", "field_suffix", "bad"),
    [
        (FilterPattern(includes=["ok", "etl_(unclosed"]), ".includes[1]", "etl_(unclosed"),
        (FilterPattern(excludes=["*tmp"]), ".excludes[0]", "*tmp"),
        (FilterPattern(includes=["a"], excludes=["b", "c", "[z-a]"]), ".excludes[2]", "[z-a]"),
    ],
    ids=["include-1", "exclude-0", "exclude-2"],
)
def test_invalid_regex_names_list_position_and_pattern(
    pattern: FilterPattern, field_suffix: str, bad: str
) -> None:
    with pytest.raises(InvalidPatternError) as info:
        NameFilter.from_pattern(pattern)
    err = info.value
    assert isinstance(err, ConfigError)
    assert err.field == FILTER_FIELD + field_suffix
    assert err.field.endswith(field_suffix)
    assert err.pattern == bad
    assert repr(bad) in err.message
    assert err.reason and err.reason in err.message
    line = err.one_line()
    assert "\n" not in line and line.startswith(f"{FILTER_FIELD}{field_suffix}: ")


def test_invalid_regex_with_custom_field_path() -> None:
    with pytest.raises(InvalidPatternError) as info:
        NameFilter.from_pattern(
            FilterPattern(includes=["("]), "source.serviceConnection.config.pipelineFilterPattern"
        )
    assert info.value.field == "source.serviceConnection.config.pipelineFilterPattern.includes[0]"


def _workflow_config(pattern: dict[str, Any], where: str = "source.sourceConfig.config") -> dict[str, Any]:
    config: dict[str, Any] = {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "svc",
            "serviceConnection": {
                "config": {
                    "hostPort": "adb-1.azuredatabricks.net",
                    "authType": {"token": "dapi-filter-test-1"},
                }
            },
            "sourceConfig": {"config": {"type": "PipelineMetadata"}},
        },
        "sink": {"type": "console"},
    }
    node = config
    for key in where.split("."):
        node = node[key]
    node["pipelineFilterPattern"] = pattern
    return config


def test_invalid_regex_is_a_config_error_at_workflow_create() -> None:
    from core.workflow import Workflow

    # the model keeps patterns as text; the regex is compiled (and fails) when the workflow is created
    config = parse_workflow_config(_workflow_config({"includes": ["^etl", "prod_("]}))
    with pytest.raises(ConfigError) as info:
        Workflow.create(config)
    assert isinstance(info.value, InvalidPatternError)
    assert info.value.field == "source.sourceConfig.config.pipelineFilterPattern.includes[1]"
    assert "'prod_('" in info.value.one_line()

    with pytest.raises(ConfigError) as info_dict:
        Workflow.create(_workflow_config({"excludes": ["?bad"]}))
    assert info_dict.value.field == "source.sourceConfig.config.pipelineFilterPattern.excludes[0]"


def test_invalid_regex_in_connection_filter_names_the_connection_field() -> None:
    from core.workflow import Workflow

    with pytest.raises(ConfigError) as info:
        Workflow.create(_workflow_config({"includes": ["("]}, "source.serviceConnection.config"))
    assert info.value.field == "source.serviceConnection.config.pipelineFilterPattern.includes[0]"


# -- cross-check against an independent implementation of OpenMetadata 2.0.7's rule -------------------


def om_keeps(includes: list[str], excludes: list[str], name: str) -> bool:
    """openmetadata-ingestion 2.0.7 metadata/utils/filters.py, restated."""
    if includes and not any(re.match(p, name, re.IGNORECASE) for p in includes):
        return False
    return not any(re.match(p, name, re.IGNORECASE) for p in excludes)


PATTERN_SETS = [
    ([], []),
    (["etl"], []),
    ([], ["tmp"]),
    (["etl", "sales"], ["etl_tmp"]),
    ([".*prod"], ["^test"]),
    (["^etl$", "^ETL_[0-9]+$"], []),
    (["a", "b", "c"], ["ab", ".*z$"]),
    ([r"[a-m].*_daily"], [r".*\d{3}"]),
    (["PROD"], ["prod_old", ".*-"]),
    ([".*"], [".*x.*"]),
]


def _names(count: int) -> list[str]:
    rng = random.Random(20260707)
    prefixes = ["etl", "ETL", "sales", "prod", "test", "tmp", "a", "B", "my-prod", "Z", ""]
    alphabet = string.ascii_letters + string.digits + "_-"
    names = []
    for _ in range(count):
        tail = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        separator = rng.choice(["", "_", "-", " "])
        suffix = rng.choice(["", "_daily", "_tmp", "x", "123", "z"])
        names.append(rng.choice(prefixes) + separator + tail + suffix)
    return names


def test_cross_check_with_openmetadata_rule() -> None:
    names = _names(200)
    assert len(set(names)) > 150
    compared = kept_count = 0
    for includes, excludes in PATTERN_SETS:
        name_filter = NameFilter.from_pattern(FilterPattern(includes=includes, excludes=excludes))
        for name in names:
            expected = om_keeps(includes, excludes, name)
            decision = name_filter.decide(name)
            assert decision.kept is expected, (includes, excludes, name, decision.reason)
            compared += 1
            kept_count += expected
    assert compared == 2000
    # the generated data exercises both outcomes, not just one
    assert 200 < kept_count < 1800
