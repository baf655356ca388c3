"""A name (anything a user typed) shows as the literal text typed, everywhere it shows.

``saved.md`` escapes markdown, turns a colon that could open an emoji or an icon into a character reference
and puts a word Streamlit would link even when escaped (a URL, ``www.``, an e-mail address) in a code span,
so the page shows, and copies back, the text typed. What Chromium renders is checked by
tests/browser/test_polish_browser.py; here, the markdown itself and every place a name is drawn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ui.services.saved import md
from ui.store import Store, open_store

NAMES = [
    "https://example.com/x",
    "www.example.com",
    "WWW.EXAMPLE.COM",
    "ops@example.com",
    "mailto:a@b.c",
    "**x**",
    "[a](b)",
    ":smile:",
    ":+1:",
    ":smile::heart:",
    "a:100:b",
    ":material/home:",
    ":red[x]",
    "$x$",
    "a_b_",
    "_x_",
    "# heading",
    "1. one",
    "- item",
    "> quote",
    "| a | b |",
    "<b>x</b>",
    "`code`",
    "``",
    "~~s~~",
    "a\\*b",
    "x &amp; y",
    "{curly}",
    "host:8443",
    "prod_dbx on adb-1.net",
    "Copy of see http://a.b/`x` and c@d.ef",
    "`a@b.c`",
]
#: a word the GFM autolink extension would link: a protocol, www. or an e-mail address
_LINKABLE = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.|[\w.+-]+@[\w-]+\.)")


def _spans(markdown: str) -> list[tuple[bool, str]]:
    """(is a code span, its text): CommonMark's code spans, a fence of n backticks closed by n backticks."""
    parts: list[tuple[bool, str]] = []
    at = 0
    for found in re.finditer(r"(?<![`\\])(`+)(.+?)(?<!`)\1(?!`)", markdown):
        parts += [(False, markdown[at : found.start()]), (True, found.group(2))]
        at = found.end()
    return [*parts, (False, markdown[at:])]


def _shown(markdown: str) -> str:
    """What a markdown renderer shows for ``md``'s output: escapes undone, references decoded, spans opened."""
    out = []
    for code, text in _spans(markdown):
        if code:
            out.append(text[1:-1] if text.startswith(" ") and text.endswith(" ") and text.strip() else text)
        else:
            # one pass, as the parser reads it: an escaped "&" starts no character reference
            out.append(re.sub(r"\\(.)|&#(\d+);", lambda m: m.group(1) or chr(int(m.group(2))), text))
    return "".join(out)


@pytest.mark.parametrize("name", NAMES)
def test_md_shows_the_text_typed_and_nothing_markdown_would_act_on(name: str) -> None:
    escaped = md(name)
    assert _shown(escaped) == name
    for code, text in _spans(escaped):
        if code:
            continue
        assert not _LINKABLE.search(text), f"a link outside a code span: {escaped!r}"
        assert not re.search(
            r"(?<!\\)[*`\[\]$~<>|&]|(?<![\\\w])_|(?<!\\)_(?!\w)", text.replace("&#58;", "")
        ), escaped
        assert not re.search(r":[\w+/-]+(?::|\\\[)", text), (
            f"an emoji, icon or directive could open: {escaped!r}"
        )
    assert not re.match(r"\d*[#>+=-]|\d+[.)]", escaped), f"block markdown at the start: {escaped!r}"


def test_md_leaves_plain_names_and_ports_readable() -> None:
    assert (
        md("prod_dbx on adb-1234.7.azuredatabricks.net:443")
        == "prod_dbx on adb-1234.7.azuredatabricks.net:443"
    )
    assert md("  Nightly\n sales  ") == "Nightly sales"


LINKY = "see https://example.com/x **bold** ops@example.com :smile:"


def test_every_place_an_ingestion_name_shows_uses_md(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    """The start page's row, its delete question and result, the sidebar and Start over's question."""
    store = open_store()
    assert isinstance(store, Store)
    saved = store.create_ingestion(LINKY, '{"version": 1, "databricks": {"host": "adb-1.net"}}', 1)
    safe = md(LINKY)
    assert "`https://example.com/x`" in safe and "`ops@example.com`" in safe
    at = new_app().run()
    assert [m.value for m in at.markdown if m.value.startswith("**")] == [f"**{safe}**"]
    at.button(key=f"start_delete_{saved.id}").click().run()
    assert h.find(at, r"^Delete " + re.escape(safe) + " and its run history")
    at.button(key=f"start_delete_no_{saved.id}").click().run()
    at.button(key=f"start_open_{saved.id}").click().run()
    assert any(m.value == f":material/bookmark: **{safe}**" for m in at.sidebar.markdown)
    at.sidebar.button[0].click().run()  # Start over
    assert any(w.value.startswith(f"Start a new ingestion? {safe} stays saved") for w in at.sidebar.warning)
    at.switch_page("app_pages/start.py").run()
    at.button(key=f"start_delete_{saved.id}").click().run()
    at.button(key=f"start_delete_yes_{saved.id}").click().run()
    assert h.find(at, r"^Deleted " + re.escape(safe) + " and its run history\\.$")
    shown = " ".join(h.texts(at))
    assert LINKY not in shown  # the raw name, which Streamlit would link and embolden, is never drawn


def test_the_previews_heading_shows_the_search_as_typed() -> None:
    from ui.services.preview import PreviewView, shown_heading

    view = PreviewView(
        rows=[], kept=3, total=5, listing=False, error=None, elapsed_s=0.1, first_row_s=None, shown=2
    )
    search = "**x** https://e.vil"
    assert shown_heading(view, search=search) == f"2 of 5 pipelines matching '{md(search)}'"
