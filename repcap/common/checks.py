"""Argument checks of the formulas, written once, each with the message a user sees.

Every check takes a number or an array (the formulas are vectorised), returns float arrays, and
raises :class:`repcap.errors.DomainError` (also a ``ValueError``) naming the argument, the rule
and the value. :func:`scalar_or_array` turns a 0-d result back into a Python float.

Integer arguments of the computations (sizes, counts, steps) are checked by :func:`check_int`, with
the error class of the layer that calls it.

Two families of formula checks, because the domains differ: the laws (``repcap.laws``) take any d ≥ 1 and k ≥ 1
(:func:`check_d_eps`, :func:`check_k_d`); the geometry of line packings (``repcap.geometry``) needs
d ≥ 2 and k ≥ 2 (:func:`check_dimension`, :func:`check_count`, :func:`check_cos_bound`, ...).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from repcap.errors import DomainError


def scalar_or_array(arr):
    """A Python float for a 0-d result, the array itself otherwise."""
    return float(arr) if np.ndim(arr) == 0 else arr


def broadcast_pair(a, b, names: tuple[str, str] = ("k", "d")) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` broadcast against each other, as float arrays; a DomainError naming both
    when their shapes do not broadcast."""
    try:
        a_arr, b_arr = np.broadcast_arrays(a, b)
    except ValueError as exc:
        raise DomainError(f"{names[0]} and {names[1]} have shapes {np.shape(a)} and {np.shape(b)}, "
                          "which do not broadcast") from exc
    return np.asarray(a_arr, dtype=float), np.asarray(b_arr, dtype=float)


# --------------------------------------------------------------------------------------------
# the laws: d ≥ 1, k ≥ 1
# --------------------------------------------------------------------------------------------

def _numeric_pair(a, b, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` as float arrays, neither holding NaN."""
    try:
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DomainError(f"{names[0]} and {names[1]} must be numbers or numeric arrays ({exc})") from exc
    if np.isnan(a).any() or np.isnan(b).any():
        raise DomainError(f"{names[0]} or {names[1]} contains NaN; pass finite values")
    return a, b


def check_d_eps(d, eps) -> tuple[np.ndarray, np.ndarray]:
    """``(d, eps)`` of a capacity, broadcast: d finite and ≥ 1 (d_model), eps in [0, 1] (a bound
    on |cos|), neither NaN."""
    d, eps = _numeric_pair(d, eps, ("d", "eps"))
    if (~np.isfinite(d)).any() or (d < 1).any():
        shown = float(d) if d.ndim == 0 else f"values in [{d.min()}, {d.max()}]"
        raise DomainError(f"d (d_model) must be a finite number ≥ 1, got {shown}")
    if (eps < 0).any() or (eps > 1).any():
        shown = float(eps) if eps.ndim == 0 else f"values in [{eps.min()}, {eps.max()}]"
        raise DomainError(f"eps is a bound on |cos| and must lie in [0, 1], got {shown}")
    return broadcast_pair(d, eps, names=("d", "eps"))


def check_k_d(k, d) -> tuple[np.ndarray, np.ndarray]:
    """``(k, d)`` of a law, broadcast: k ≥ 1 vectors in R^d with d > 0, neither NaN."""
    k, d = _numeric_pair(k, d, ("k", "d"))
    if (k < 1).any() or (d <= 0).any():
        raise DomainError("k must be ≥ 1 and d > 0 (k vectors in R^d)")
    return broadcast_pair(k, d, names=("k", "d"))


# --------------------------------------------------------------------------------------------
# the geometry of line packings: d ≥ 2, k ≥ 2
# --------------------------------------------------------------------------------------------

def as_float_array(value, name: str) -> np.ndarray:
    """``value`` as a float array; a DomainError when it is not numeric or holds NaN."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DomainError(f"{name} must be a number or an array of numbers, got {value!r}") from exc
    if np.isnan(arr).any():
        raise DomainError(f"{name} contains NaN; pass finite values")
    return arr


def describe_values(arr: np.ndarray) -> str:
    """``'3.0'`` for one value, ``'an array with range [lo, hi]'`` for several (for messages)."""
    flat = np.ravel(arr)
    return repr(float(flat[0])) if flat.size == 1 else f"an array with range [{flat.min()}, {flat.max()}]"


#: The largest dimension the explicit line sets are listed for (and the ``capacity`` and
#: ``construct`` commands answer for): 2^20 = 1,048,576, 64 times the widest transformers
#: (d_model 16,384). Past it the dual-BCH codes of length 2^m − 1 ≤ d number tens of thousands of
#: (m, e) pairs (2^(m/2) values of e each), listing them takes minutes, and their counts 2^(m·e)
#: outgrow the 4,300 digits Python will print.
MAX_DIMENSION = 2 ** 20


def check_whole_dimension(d, name: str = "--d") -> int:
    """A dimension given on the command line as an ``int``: a whole number from 1 to
    :data:`MAX_DIMENSION` (``7.5`` is refused, not rounded), else a one-line DomainError."""
    value = float(as_float_array(d, name))
    if not np.isfinite(value) or value < 1 or not value.is_integer():
        raise DomainError(f"{name} is a dimension and must be a whole number ≥ 1, got {d!r}")
    if value > MAX_DIMENSION:
        raise DomainError(f"{name} {value:.6g} is beyond the largest dimension repcap answers for, "
                          f"{MAX_DIMENSION:,} (2^20, 64 times the widest transformers); pass a "
                          "smaller one")
    return int(value)


def check_dimension(d, name: str = "d") -> np.ndarray:
    """A dimension: finite and at least 2."""
    arr = as_float_array(d, name)
    if (~np.isfinite(arr)).any() or (arr < 2).any():
        raise DomainError(f"{name} (the dimension) must be finite and at least 2, got {describe_values(arr)}")
    return arr


def check_count(k, name: str = "k") -> np.ndarray:
    """A number of vectors: at least 2 (infinity allowed: a limit)."""
    arr = as_float_array(k, name)
    if (arr < 2).any():
        raise DomainError(f"{name} (the number of vectors) must be at least 2, got {describe_values(arr)}")
    return arr


def check_cos_bound(x, name: str) -> np.ndarray:
    """A bound on |cos|: in [0, 1]."""
    arr = as_float_array(x, name)
    if (arr < 0).any() or (arr > 1).any():
        raise DomainError(f"{name} is a bound on |cos| and must lie in [0, 1], got {describe_values(arr)}")
    return arr


def check_probability(q, name: str = "q") -> np.ndarray:
    """A probability level: strictly between 0 and 1."""
    arr = as_float_array(q, name)
    if (arr <= 0).any() or (arr >= 1).any():
        raise DomainError(f"{name} is a probability level and must lie strictly between 0 and 1, "
                          f"got {describe_values(arr)}")
    return arr


def check_int(name: str, value: Any, minimum: int = 1, *, error: type[Exception] = DomainError,
              integral_floats: bool = True) -> int:
    """``value`` as an ``int`` ≥ ``minimum``, else ``error`` with a one-line message naming ``name``.

    Bools and non-integral numbers are refused; a float with an integral value (``7.0``, what a
    YAML or JSON file often holds) is accepted unless ``integral_floats`` is False.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        result = int(value)
    elif integral_floats and isinstance(value, float) and value.is_integer():
        result = int(value)
    else:
        raise error(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    if result < minimum:
        raise error(f"{name} must be ≥ {minimum}, got {result}")
    return result


def check_replicates(name: str, value: Any, *, error: type[Exception] = DomainError) -> int:
    """A number of bootstrap replicates: 0 (no interval) or an integer ≥ 2 (one replicate has no
    spread), else ``error``."""
    if value == 0 and not isinstance(value, bool):
        return 0
    try:
        return check_int(name, value, 2, error=error, integral_floats=False)
    except error:
        raise error(f"{name} must be 0 (none) or an integer ≥ 2, got {value!r}") from None
