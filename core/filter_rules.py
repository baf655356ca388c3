r"""Friendly filter rules ("starts with etl") to and from the regexes of ``pipelineFilterPattern``.

Why: OpenMetadata's users write ``customers.*`` expecting "contains" (#7391), ``*_tmp`` expecting a glob
(DataHub #10976), or ``prod`` not knowing it also keeps ``production``. The wizard offers OpenMetadata's
own operators (is exactly / starts with / ends with / contains / matches regex) and compiles them to the
regexes the engine and OpenMetadata apply with ``re.match(pattern, name, re.IGNORECASE)``. Because that
match is already anchored at the start, "starts with" needs no ``^`` and "contains" is ``.*value``.

The inverse (:func:`regex_to_rule`) turns the regexes of an imported YAML back into operators where the
regex is one of those shapes over a literal, and keeps anything else as "matches regex". Literals are
escaped minimally (only characters special outside a character class), so ``etl-daily`` stays readable
in the YAML instead of becoming ``etl\-daily``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "OPERATORS",
    "FilterRule",
    "Operator",
    "escape_literal",
    "regex_error",
    "regex_to_rule",
    "rule_to_regex",
    "unescape_literal",
]

Operator = Literal["exactly", "starts", "ends", "contains", "regex"]

#: Operator keys and the label the wizard shows, in OpenMetadata's UI order.
OPERATORS: dict[Operator, str] = {
    "exactly": "is exactly",
    "starts": "starts with",
    "ends": "ends with",
    "contains": "contains",
    "regex": "matches regex",
}

#: Characters with a meaning in a regex outside a character class (``-``, ``#`` and spaces have none).
_SPECIAL = frozenset(".^$*+?{}[]\\|()")


@dataclass(frozen=True)
class FilterRule:
    """One include or exclude rule as the user sees it: an operator and the text it applies to."""

    operator: Operator
    value: str

    @property
    def regex(self) -> str:
        """The pattern written to ``pipelineFilterPattern``."""
        return rule_to_regex(self.operator, self.value)


def escape_literal(text: str) -> str:
    """``text`` with only the regex-special characters backslash-escaped."""
    return "".join(f"\\{char}" if char in _SPECIAL else char for char in text)


def unescape_literal(pattern: str) -> str | None:
    r"""The literal text a pattern stands for, or None when it uses any regex feature.

    ``\.`` is a literal dot; ``\d`` (a class), an unescaped ``.`` or ``*`` are regex features.
    """
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if index + 1 >= len(pattern):
                return None
            following = pattern[index + 1]
            if following.isalnum() or following == "_":
                return None  # \d, \w, \b, \1 ...: a regex feature, not an escaped character
            out.append(following)
            index += 2
            continue
        if char in _SPECIAL:
            return None
        out.append(char)
        index += 1
    return "".join(out)


def rule_to_regex(operator: Operator, value: str) -> str:
    """Compile one friendly rule to its regex.

    Matching is ``re.match`` (anchored at the start, case-insensitive), so:
    ``exactly`` -> ``^v$``; ``starts`` -> ``v``; ``ends`` -> ``.*v$``; ``contains`` -> ``.*v``;
    ``regex`` -> the value unchanged.

    Args:
        operator: one of :data:`OPERATORS`.
        value: the text the rule applies to, taken literally except for ``regex``.

    Raises:
        ValueError: for an unknown operator.
    """
    if operator == "regex":
        return value
    literal = escape_literal(value)
    if operator == "exactly":
        return f"^{literal}$"
    if operator == "starts":
        return literal
    if operator == "ends":
        return f".*{literal}$"
    if operator == "contains":
        return f".*{literal}"
    raise ValueError(f"unknown filter operator {operator!r}; use one of {', '.join(OPERATORS)}")


def regex_to_rule(pattern: str) -> FilterRule:
    """The friendliest rule that means exactly ``pattern`` (used to prefill from an imported YAML).

    Recognises the shapes :func:`rule_to_regex` writes and the ones OpenMetadata's UI writes
    (``^v$``, ``^v``, ``.*v.*``); everything else stays a regex.
    """
    body = pattern
    if body.startswith("^"):
        body = body[1:]
        exact = _literal_before(body, "$")
        if exact:
            return FilterRule("exactly", exact)
    if body.startswith(".*"):
        rest = body[2:]
        ending = _literal_before(rest, "$")
        if ending:
            return FilterRule("ends", ending)
        contained = unescape_literal(_strip_suffix(rest, ".*"))
        if contained:
            return FilterRule("contains", contained)
    start = unescape_literal(_strip_suffix(body, ".*"))  # "etl.*" under re.match means the same as "etl"
    if start:
        return FilterRule("starts", start)
    return FilterRule("regex", pattern)


def _strip_suffix(text: str, suffix: str) -> str:
    """``text`` without a trailing ``suffix`` that is not backslash-escaped; ``text`` itself without one."""
    if text.endswith(suffix) and not text.endswith("\\" + suffix):
        return text[: -len(suffix)]
    return text


def _literal_before(text: str, suffix: str) -> str | None:
    """The literal before an unescaped trailing ``suffix``; None without the suffix or for a regex feature."""
    stripped = _strip_suffix(text, suffix)
    return unescape_literal(stripped) if stripped != text else None


def regex_error(pattern: str) -> str | None:
    """Why ``pattern`` does not compile as a Python regex (with the position), or None when it does."""
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as err:
        where = f" at position {err.pos + 1}" if err.pos is not None else ""
        return f"not a valid regular expression: {err.msg}{where}"
    return None
