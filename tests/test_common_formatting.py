"""repcap.common.formatting: the number styles shared by findings, tables and the command line
(``sci`` and ``log10_sci`` are tested with the tables, tests/test_book_tables.py)."""

from __future__ import annotations

import math

from repcap.book.tables import markdown_table
from repcap.common.formatting import factor, formatted, missing, range_median, signed_percent


def test_missing_values_are_written_as_a_dash():
    assert missing(None) and missing(math.nan) and not missing(0.0) and not missing("")
    assert formatted(None, ".3f") == formatted(math.nan, ".3f") == "–"
    assert formatted(0.12345, ".3f") == "0.123" and formatted(7) == "7"
    assert factor(None) == signed_percent(math.nan) == "–"


def test_signed_percent():
    assert signed_percent(0.013) == "+1.3 %" and signed_percent(-0.2) == "-20.0 %"
    assert signed_percent(0.0123, 2) == "+1.23 %"
    assert signed_percent(0.013, unit="") == "+1.3"  # under a header that says "%"


def test_factor_reads_alike_below_and_above_a_million():
    assert factor(825296.3) == "825,296" and factor(30.03) == "30"
    assert factor(2.3e9) == "10^9.4" and factor(1e6) == "10^6.0"


def test_range_median():
    assert range_median([2.5, 1.234567, 40.0]) == "1.23–40, median 2.5"
    assert range_median(iter([1.0, 3.0])) == "1–3, median 2"


def test_a_callable_format_never_sees_a_missing_value():
    rows = [{"x": None}, {"x": math.nan}, {"x": 0.5}]
    text = markdown_table(rows, [("x", "x", signed_percent), ("raw", "x", lambda v: f"{v:.1f}")])
    assert text.splitlines()[2:] == ["| – | – |", "| – | – |", "| +50.0 % | 0.5 |"]
