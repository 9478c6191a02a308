"""Rows of results rendered as tables for the book's pages (no computation, no pandas).

A chapter passes a list of dicts and a column spec. :func:`markdown_table` returns Markdown text,
:func:`html_table` the same table as HTML, and :func:`show_table` displays both as one output: the
book (myst-nb renders ``text/markdown`` outputs as CommonMark, which has no tables), Jupyter and Colab
show the HTML; plain Python prints the Markdown.

In the book's build (:data:`CHAPTER_ENV` names the chapter being executed) each table also carries
its data as CSV: the raw values of its columns (full precision, not the page's rounding) ride in the
output's metadata (:data:`CSV_METADATA`) and the HTML gets a "download CSV" link to
``../csv/<chapter>/<NN>-<slug>.csv``, the file the build writes beside the page from that metadata
(:func:`csv_outputs`), so a reused executed notebook still has its CSVs. Outside a build (Jupyter,
Colab) there is no link and no CSV.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from numbers import Number

from repcap.common.formatting import formatted, missing
from repcap.errors import DomainError
from repcap.studies.findings import Column

__all__ = ["Column", "markdown_table", "html_table", "show_table", "csv_text", "csv_name",
           "csv_outputs", "CHAPTER_ENV", "CSV_METADATA"]

#: Set by the book's build to the stem of the chapter it executes (e.g. ``06_capacity``).
CHAPTER_ENV = "REPCAP_CHAPTER"
#: Key of an output's metadata that holds ``{"name": file name, "text": CSV}``.
CSV_METADATA = "repcap_csv"
# Tables shown so far in this kernel: numbers the CSV files in the chapter's reading order.
_SHOWN = itertools.count(1)


def _text(row: Mapping, key, fmt) -> str:
    """One cell: "–" for a missing value (None or NaN), whatever the format; else the value through
    ``fmt`` (a callable or a format spec) or ``str``."""
    value = key(row) if callable(key) else row.get(key)
    text = fmt(value) if callable(fmt) and not missing(value) else formatted(value, fmt or "")
    return str(text).replace("\n", " ")


def _cell(row: Mapping, key, fmt) -> str:
    return _text(row, key, fmt).replace("|", "\\|")


def _raw(row: Mapping, key, fmt) -> str:
    """One CSV cell: the value itself at full precision (``repr`` of a float round-trips), empty
    for a missing value; a value that is not a number or text (a list, a pair) as the page shows it."""
    value = key(row) if callable(key) else row.get(key)
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()  # numpy scalar
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (str, bool, int)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Number):
        return str(value)
    return _text(row, key, fmt)


def csv_text(rows: Iterable[Mapping], columns: Sequence[Column]) -> str:
    """The table as CSV: the column headers, then one line a row of raw values (see :func:`_raw`)."""
    cols = _check(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([str(h) for h, _, _ in cols])
    for row in rows:
        writer.writerow([_raw(row, key, fmt) for _, key, fmt in cols])
    return out.getvalue()


def csv_name(number: int, title: str) -> str:
    """``NN-slug.csv``: the table's place in its chapter and its title in lower-case ASCII words.

    >>> csv_name(3, "Table 1: Eq. 7 capacity (ε < 0.1)")
    '03-table-1-eq-7-capacity-0-1.csv'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-")
    return f"{number:02d}-{slug or 'table'}.csv"


def csv_outputs(notebook: Mapping) -> Iterator[tuple[str, str]]:
    """``(file name, CSV text)`` of every table an executed notebook (nbformat 4 JSON) shows."""
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            found = output.get("metadata", {}).get(CSV_METADATA)
            if found:
                yield found["name"], found["text"]


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
    except ImportError:
        print(text)
        return text
    page, metadata = html_table(rows, columns, title=title), {}
    chapter = os.environ.get(CHAPTER_ENV, "")
    if chapter:  # in the book's build: the data as CSV, and a link to the file the build writes
        name = csv_name(next(_SHOWN), title)
        metadata = {CSV_METADATA: {"name": name, "text": csv_text(rows, columns)}}
        href = html.escape(f"../csv/{chapter}/{name}")
        page += (f'<p class="repcap-csv"><a href="{href}" download="{html.escape(name)}">'
                 f"download CSV</a></p>")
    ipy_display({"text/html": page, "text/markdown": text, "text/plain": text}, raw=True,
                metadata=metadata)
    return text
