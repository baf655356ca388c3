"""``pipelineFilterPattern`` with exactly OpenMetadata's current semantics, plus the reason.

Verified against openmetadata-ingestion 2.0.7 (``metadata/utils/filters.py``): each pattern is applied
with ``re.match(pattern, name, re.IGNORECASE)`` — case-insensitive and anchored at the start only, so
``prod`` also keeps ``production``. A name is kept when it matches some include (or there are no
includes) AND matches no exclude: exclude wins. Older OpenMetadata releases let includes win and ignored
excludes; users were surprised (OpenMetadata #10192), which is why every decision here states its rule.

The filter is applied to the job's name (``settings.name``), not its id: the id becomes the OpenMetadata
entity name and the job name its displayName.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.config.models import FilterPattern, WorkflowConfig
from core.errors import InvalidPatternError

__all__ = ["FilterDecision", "NameFilter", "filter_for"]

FILTER_FIELD = "source.sourceConfig.config.pipelineFilterPattern"
CONNECTION_FILTER_FIELD = "source.serviceConnection.config.pipelineFilterPattern"


@dataclass(frozen=True)
class FilterDecision:
    """Whether one name is ingested, and the sentence explaining why."""

    name: str
    kept: bool
    reason: str


@dataclass
class NameFilter:
    """Compiled include/exclude patterns. Build with :meth:`from_pattern` to validate every regex."""

    includes: list[re.Pattern[str]] = field(default_factory=list)
    excludes: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def from_pattern(cls, pattern: FilterPattern | None, field_path: str = FILTER_FIELD) -> NameFilter:
        """Compile ``pattern``'s regexes (case-insensitive, applied with ``re.match`` as OpenMetadata does).

        Args:
            pattern: ``pipelineFilterPattern``; None keeps every name.
            field_path: where the pattern sits in the workflow YAML, for errors.

        Raises:
            InvalidPatternError: naming the list, the position and the pattern that does not compile.
        """
        if pattern is None:
            return cls()
        return cls(
            includes=_compile_all(pattern.includes, f"{field_path}.includes"),
            excludes=_compile_all(pattern.excludes, f"{field_path}.excludes"),
        )

    @property
    def is_empty(self) -> bool:
        """True when every name is kept."""
        return not self.includes and not self.excludes

    def decide(self, name: str) -> FilterDecision:
        """Apply the rule to ``name``. Includes and excludes are numbered from 1 in reasons."""
        excluded_by = _first_match(self.excludes, name)
        if excluded_by is not None:
            return FilterDecision(
                name, False, f"excluded by #{excluded_by + 1} ({self.excludes[excluded_by].pattern})"
            )
        if not self.includes:
            return FilterDecision(name, True, "no filter" if not self.excludes else "matched no exclude")
        included_by = _first_match(self.includes, name)
        if included_by is None:
            return FilterDecision(name, False, "no include matched")
        return FilterDecision(
            name, True, f"matched include #{included_by + 1} ({self.includes[included_by].pattern})"
        )


def _compile_all(patterns: list[str], field_path: str) -> list[re.Pattern[str]]:
    compiled = []
    for index, text in enumerate(patterns):
        try:
            compiled.append(re.compile(text, re.IGNORECASE))
        except re.error as err:
            raise InvalidPatternError(text, str(err), field=f"{field_path}[{index}]") from None
    return compiled


def _first_match(patterns: list[re.Pattern[str]], name: str) -> int | None:
    for index, pattern in enumerate(patterns):
        if pattern.match(name):
            return index
    return None


def filter_for(config: WorkflowConfig) -> NameFilter:
    """The filter in force: ``sourceConfig``'s pattern, else the connection's "default" pattern.

    OpenMetadata applies the sourceConfig pattern; the connection-level one is the default its UI copies
    into new ingestions, so it applies here only when sourceConfig has none. Errors name the right field.
    """
    options = config.source.options
    if options.pipeline_filter_pattern is not None:
        return NameFilter.from_pattern(options.pipeline_filter_pattern, FILTER_FIELD)
    return NameFilter.from_pattern(config.source.connection.pipeline_filter_pattern, CONNECTION_FILTER_FIELD)
