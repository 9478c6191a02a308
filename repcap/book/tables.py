"""Rows of results rendered as tables for the book's pages (no computation, no pandas).

A chapter passes a list of dicts and a column spec. :func:`markdown_table` returns Markdown text,
:func:`html_table` the same table as HTML, and :func:`show_table` displays both as one output: the
book (myst-nb renders ``text/markdown`` outputs as CommonMark, which has no tables), Jupyter and Colab
show the HTML; plain Python prints the Markdown.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence

from repcap.common.formatting import formatted, missing
from repcap.errors import DomainError
from repcap.studies.findings import Column

__all__ = ["Column", "markdown_table", "html_table", "show_table"]


def _text(row: Mapping, key, fmt) -> str:
    """One cell: "–" for a missing value (None or NaN), whatever the format; else the value through
    ``fmt`` (a callable or a format spec) or ``str``."""
    value = key(row) if callable(key) else row.get(key)
    text = fmt(value) if callable(fmt) and not missing(value) else formatted(value, fmt or "")
    return str(text).replace("\n", " ")


def _cell(row: Mapping, key, fmt) -> str:
    return _text(row, key, fmt).replace("|", "\\|")


def _check(columns: Sequence[Column]) -> list:
    cols = list(columns)
    if not cols:
        raise DomainError("a table needs at least one column")
    for col in cols:
        if not isinstance(col, tuple) or len(col) != 3:
            raise DomainError(f"each column must be (header, key, fmt), got {col!r}")
    return cols


def markdown_table(rows: Iterable[Mapping], columns: Sequence[Column]) -> str:
    """Markdown for ``rows`` with ``columns`` = [(header, key, fmt), ...].

    ``key`` is a dict key or a callable taking the row; ``fmt`` is a format spec (``".4f"``), a
    callable taking the value (e.g. :func:`sci`) or ``""``. None and NaN print as "–".
    """
    cols = _check(columns)
    # A "|" in a header (e.g. "max |cos|") would split the column: escape it as in the cells.
    lines = ["| " + " | ".join(str(h).replace("|", "\\|") for h, _, _ in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row, key, fmt) for _, key, fmt in cols) + " |")
    return "\n".join(lines)


def html_table(rows: Iterable[Mapping], columns: Sequence[Column], *, title: str = "") -> str:
    """The table of :func:`markdown_table` as an HTML ``<table>`` (cells escaped; ``title`` as its caption)."""
    cols = _check(columns)
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h, _, _ in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_text(row, key, fmt))}</td>" for _, key, fmt in cols)
                   + "</tr>" for row in rows)
    caption = f"<caption><strong>{html.escape(title)}</strong></caption>" if title else ""
    # Wide tables scroll inside their own box instead of spilling out of the page's text column.
    return (f'<div class="repcap-table-wrap" style="overflow-x: auto; font-size: 0.85em">'
            f'<table class="table repcap-table">{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def show_table(rows: Iterable[Mapping], columns: Sequence[Column], *, title: str = "",
               display: Callable[[str], None] | None = None) -> str:
    """Display a table (HTML and Markdown in one output under IPython, Markdown printed otherwise).

    Returns the Markdown text; ``display``, when given, receives it instead of IPython.
    """
    rows = list(rows)
    text = markdown_table(rows, columns)
    if title:
        text = f"**{title}**\n\n{text}"
    if display is not None:
        display(text)
        return text
    try:
        from IPython import get_ipython
        from IPython.display import display as ipy_display

        if get_ipython() is None:
            raise ImportError
        ipy_display({"text/html": html_table(rows, columns, title=title), "text/markdown": text,
                     "text/plain": text}, raw=True)
    except ImportError:
        print(text)
    return text
