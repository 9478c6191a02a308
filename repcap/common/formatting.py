"""Numbers written for readers: the paper's scientific notation, and counts beyond float range.

Every page, table and command of repcap writes large numbers the same way; the functions live here,
on the ground floor, so studies (their findings' text), the book and the command line share them.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["sci", "log10_sci"]


def sci(value: Any, digits: int = 3) -> str:
    """A number in the paper's style: ``3.99e7`` (no '+' and no leading zero in the exponent)."""
    if value is None:
        return "–"
    x = float(value)
    if math.isnan(x):
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
    if log10_value is None:
        return "–"
    lg = float(log10_value)
    if math.isnan(lg):
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
