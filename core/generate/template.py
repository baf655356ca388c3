"""Rendering the packaged templates of ``core/generate/templates/`` (the DAG file, the deploy README).

Jinja2 rather than ``string.Template``: the DAG differs by engine and secret source in a dozen places,
and with Jinja2 those stay ``{% if %}`` blocks inside the one file a reader opens, instead of fragments
assembled in Python. The environment is set up for generating source text, not HTML:

- no autoescaping (``<`` and ``&`` are written as they are);
- ``trim_blocks`` and ``lstrip_blocks``: a line holding only a ``{% ... %}`` tag leaves no trace;
- ``keep_trailing_newline``: a template's last newline is kept, so files end with one;
- ``StrictUndefined``: a misspelt name raises instead of rendering as an empty string.

Values written into Python code go through the ``py`` filter (a literal in the style ``ruff format``
writes) or, for a long text such as ``DOC_MD``, ``python_text``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jinja2

__all__ = ["TEMPLATE_PACKAGE", "python_literal", "python_text", "render_template"]

#: the package whose ``templates/`` folder holds the templates (shipped as package data)
TEMPLATE_PACKAGE = "core.generate"


def python_literal(value: object) -> str:
    """A Python literal in the style ``ruff format`` writes (double quotes).

    Args:
        value: a ``str``, ``bool``, ``int``, ``None`` or a ``list`` of those.

    Returns:
        The source text of the literal: ``"a"``, ``True``, ``3``, ``["a", "b"]``.
    """
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    return repr(value)


def python_text(text: str) -> str:
    """A string literal for a long text: triple-quoted when that is safe (readable), ``repr`` otherwise.

    Args:
        text: the text; the triple-quoted form adds a newline before the closing quotes.

    Returns:
        The source text of the literal.
    """
    if '"""' in text or "\\" in text or text.endswith('"'):
        return repr(text)
    return f'"""{text}\n"""'


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, "templates"),
        autoescape=False,  # source code and Markdown, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["py"] = python_literal
    environment.filters["python_text"] = python_text
    return environment


def render_template(name: str, **context: Any) -> str:
    """Render one template of ``core/generate/templates/``.

    Args:
        name: the template's file name, e.g. ``dag.py.jinja``.
        **context: the names the template uses (its header comment lists them).

    Returns:
        The rendered text.

    Raises:
        jinja2.TemplateNotFound: no such template in the package (a packaging bug).
        jinja2.UndefinedError: the template uses a name missing from ``context`` (a bug).
    """
    return _environment().get_template(name).render(**context)
