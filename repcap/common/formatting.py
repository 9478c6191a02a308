"""Numbers written for readers: the paper's scientific notation, counts beyond float range, large
factors, signed percentages and the spread of a set of ratios.

Every page, table and command of repcap writes numbers the same way; the functions live here, on the
ground floor, so studies (their findings' text), the book and the command line share them. Each writes
a missing value (None or NaN) as "–", as the book's tables do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["missing", "formatted", "sci", "log10_sci", "factor", "signed_percent", "range_median"]


def missing(value: Any) -> bool:
    """Whether ``value`` is absent: None (a JSON null) or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> float | None:
    """``value`` as a float, or None when it is :func:`missing` (NaN of any float type too)."""
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def formatted(value: Any, spec: str = "") -> str:
    """``format(value, spec)``, or "–" when the value is :func:`missing`."""
    return "–" if missing(value) else format(value, spec)


def sci(value: Any, digits: int = 3) -> str:
    """A number in the paper's style: ``3.99e7`` (no '+' and no leading zero in the exponent)."""
    x = _number(value)
    if x is None:
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    mant, exp = f"{x:.{digits - 1}e}".split("e")
    return f"{mant}e{int(exp)}"


def log10_sci(log10_value: Any, digits: int = 3) -> str:
    """``10 ** log10_value`` written as :func:`sci` would, without overflow (e.g. ``2.04e224``).

    From an exponent of a million on, a float64 logarithm holds no digits of the mantissa and the
    exponent itself is too long to read: the value is written ``10^(9.45e6)``."""
    lg = _number(log10_value)
    if lg is None:
        return "–"
    if math.isinf(lg):
        return "∞" if lg > 0 else "0"
    if abs(lg) >= 1e6:
        return f"10^({sci(lg, digits)})"
    exp = math.floor(lg)
    mant = 10.0 ** (lg - exp)
    text = f"{mant:.{digits - 1}f}"
    if float(text) >= 10:  # rounding carried into the next decade
        exp += 1
        text = f"{mant / 10:.{digits - 1}f}"
    return f"{text}e{exp}"


def factor(value: Any) -> str:
    """A large factor or count: plain digits below a million (``825,296``), ``10^a.b`` from there
    (``10^9.4``), so that two factors of very different size read alike."""
    x = _number(value)
    if x is None:
        return "–"
    return f"{x:,.0f}" if x < 1e6 else f"10^{math.log10(x):.1f}"


def signed_percent(fraction: Any, digits: int = 1, *, unit: str = " %") -> str:
    """A relative difference as a signed percentage: ``0.013`` → ``"+1.3 %"``, ``-0.2`` →
    ``"-20.0 %"`` (``unit=""`` where a column header already says "%")."""
    x = _number(fraction)
    return "–" if x is None else f"{100 * x:+.{digits}f}{unit}"


def range_median(values: Iterable[float], digits: int = 3) -> str:
    """``"lo–hi, median m"`` of a set of ratios, each to ``digits`` significant figures."""
    v = np.asarray(list(values), dtype=float)
    return (f"{v.min():.{digits}g}–{v.max():.{digits}g}, "
            f"median {float(np.median(v)):.{digits}g}")
