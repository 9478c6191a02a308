"""repcap.book.tables: Markdown tables and the paper's number style."""

from __future__ import annotations

import math

import pytest

from repcap.errors import DomainError
from repcap.book.tables import markdown_table, show_table
from repcap.common.formatting import log10_sci, sci


def test_sci_matches_the_papers_style():
    assert sci(3.99e7) == "3.99e7"
    assert sci(39944630.0) == "3.99e7"
    assert sci(8.15e15) == "8.15e15"
    assert sci(0.0645, 2) == "6.5e-2"
    assert sci(None) == sci(float("nan")) == "–"
    assert sci(math.inf) == "∞" and sci(0.0) == "0"


def test_log10_sci_without_overflow():
    assert log10_sci(math.log10(3.99e7)) == "3.99e7"
    assert log10_sci(224.7) == "5.01e224"
    assert log10_sci(9.99999) == "1.00e10"  # rounding carries into the next decade
    assert log10_sci(float("inf")) == "∞" and log10_sci(None) == "–"
    # a capacity of 10^(1.94e19) from a fit on a few cells: no meaningless 20-digit exponent
    assert log10_sci(1.9446553e19) == "10^(1.94e19)" and log10_sci(999999.0) == "1.00e999999"


def test_markdown_table_formats_and_escapes():
    rows = [{"name": "a|b", "x": 1.23456, "y": None}, {"name": "c", "x": float("nan"), "y": 2e9}]
    text = markdown_table(rows, [("model", "name", ""), ("x", "x", ".2f"), ("y", "y", sci),
                                 ("twice", lambda r: 2 * (r["y"] or 0), ".0f")])
    lines = text.splitlines()
    assert lines[0] == "| model | x | y | twice |"
    assert lines[1] == "|---|---|---|---|"
    assert lines[2] == "| a\\|b | 1.23 | – | 0 |"
    assert lines[3] == "| c | – | 2.00e9 | 4000000000 |"
    header = markdown_table(rows[:1], [("max |cos|", "x", ".1f"), ("name", "name", "")]).splitlines()
    assert header[0] == "| max \\|cos\\| | name |"  # a pipe in a header does not split the column
    assert header[2] == "| 1.2 | a\\|b |"
    with pytest.raises(DomainError):
        markdown_table(rows, [])
    with pytest.raises(DomainError):
        markdown_table(rows, [("only two", "x")])


def test_show_table_uses_given_display(capsys):
    seen = []
    text = show_table([{"a": 1}], [("A", "a", "d")], title="T", display=seen.append)
    assert seen == [text] and text.startswith("**T**\n\n| A |")
    show_table([{"a": 1}], [("A", "a", "d")])  # no IPython kernel: printed
    assert "| 1 |" in capsys.readouterr().out


def test_html_table_escapes_and_captions():
    from repcap.book.tables import html_table

    text = html_table([{"a": "<b>&", "x": 1.5}], [("A<", "a", ""), ("x", "x", ".1f")], title="T & U")
    assert text.startswith('<div class="repcap-table-wrap" style="overflow-x: auto')
    assert '<table class="table repcap-table"><caption><strong>T &amp; U</strong></caption>' in text
    assert "<th>A&lt;</th>" in text and "<td>&lt;b&gt;&amp;</td>" in text and "<td>1.5</td>" in text
    assert text.count("<tr>") == 2


def _run_in_kernel(monkeypatch, chapter, rows, columns, title):
    """show_table as a kernel runs it: IPython present, the build's chapter set or not."""
    from IPython.core.interactiveshell import InteractiveShell

    import repcap.book.tables as T

    published = []
    shell = InteractiveShell.instance()
    monkeypatch.setattr(shell.display_pub, "publish",
                        lambda data, metadata=None, **kw: published.append((data, metadata or {})))
    if chapter:
        monkeypatch.setenv(T.CHAPTER_ENV, chapter)
    else:
        monkeypatch.delenv(T.CHAPTER_ENV, raising=False)
    try:
        T.show_table(rows, columns, title=title)
    finally:
        InteractiveShell.clear_instance()
    (data, metadata), = published
    return data, metadata


def test_show_table_in_a_build_carries_its_csv_and_links_it(monkeypatch):
    import csv
    import io
    import itertools

    import numpy as np

    import repcap.book.tables as T

    monkeypatch.setattr(T, "_SHOWN", itertools.count(7))
    third = 1 / 3
    rows = [{"name": "a,b", "x": third, "k": np.int64(5), "pair": (1, 2), "none": None},
            {"name": "c", "x": float("nan"), "k": 2 ** 70, "pair": None, "none": np.float64(0.1)}]
    columns = [("model", "name", ""), ("x (|cos|)", "x", ".2f"), ("k", "k", sci),
               ("pair", "pair", lambda p: f"{p[0]}–{p[1]}"), ("twice k", lambda r: 2 * r["k"], ""),
               ("none", "none", ".1f")]
    data, metadata = _run_in_kernel(monkeypatch, "06_capacity", rows, columns, "Table 1: Eq. 7 (ε < 0.1)")
    found = metadata[T.CSV_METADATA]
    assert found["name"] == "07-table-1-eq-7-0-1.csv"
    assert f'<a href="../csv/06_capacity/{found["name"]}"' in data["text/html"]
    assert "download CSV" in data["text/html"] and "<td>0.33</td>" in data["text/html"]
    table = list(csv.reader(io.StringIO(found["text"])))
    assert table[0] == ["model", "x (|cos|)", "k", "pair", "twice k", "none"]
    # raw values at full precision, not the page's rounding; a pair as the page writes it
    assert table[1] == ["a,b", repr(third), "5", "1–2", "10", ""]
    assert float(table[1][1]) == third
    assert table[2] == ["c", "", str(2 ** 70), "", str(2 ** 71), "0.1"]
    notebook = {"cells": [{"outputs": [{"metadata": metadata}, {"data": {}}]}, {"source": ""}]}
    assert list(T.csv_outputs(notebook)) == [(found["name"], found["text"])]


def test_show_table_outside_a_build_has_no_csv(monkeypatch):
    data, metadata = _run_in_kernel(monkeypatch, "", [{"a": 1}], [("A", "a", "d")], "T")
    assert "csv" not in data["text/html"].lower() and not metadata
