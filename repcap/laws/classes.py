r"""The paper's class rule for the accepted deviation ε = µ + 2σ: the one place it is written.

Guha (2026, §2.5, Fig. 5, Appendix D) sorts models into two classes by their ε:

* **Class 1** (not near-orthogonal; the paper calls its capacity "indeterminate"): ε > 0.2;
* **Class 2** (strictly near-orthogonal; a finite capacity is reported): ε < 0.1.

The paper reports no model in between; this module names that gap (``"between"``) instead of forcing
a model into a class. The author's code prints a capacity exactly for Class 2 (ε < 0.1), which
:func:`repcap.laws.capacity_class` words as "determinate".
"""

from __future__ import annotations

import math

import numpy as np

from repcap.errors import DomainError

__all__ = ["CLASS1_ABOVE", "CLASS2_BELOW", "CLASS1", "CLASS2", "BETWEEN", "UNDECIDED", "LABELS",
           "classify", "classify_interval", "in_class2"]

#: Class 1 starts strictly above this ε.
CLASS1_ABOVE = 0.2
#: Class 2 lies strictly below this ε.
CLASS2_BELOW = 0.1
CLASS1, CLASS2, BETWEEN = "Class 1", "Class 2", "between"
LABELS = (CLASS1, CLASS2, BETWEEN)
#: The class of an ε whose confidence interval straddles a threshold: the data do not decide it.
UNDECIDED = "undecided"


def classify(eps: float) -> str:
    r"""The paper's class of a model with accepted deviation ``eps``.

    .. math::

        \operatorname{class}(\varepsilon) = \begin{cases}
            \text{"Class 1"} & \varepsilon > 0.2 \\
            \text{"Class 2"} & \varepsilon < 0.1 \\
            \text{"between"} & 0.1 \le \varepsilon \le 0.2
        \end{cases}

    Both thresholds are strict, as in the paper (ε = 0.2 and ε = 0.1 are "between").
    Raises :class:`~repcap.errors.DomainError` for a non-finite or non-numeric ``eps``.

    Examples
    --------
    >>> classify(0.0645)   # Llama 2 7B, the paper's Table 1
    'Class 2'
    >>> classify(0.99918)  # Gemma 7B
    'Class 1'
    >>> classify(0.15)
    'between'
    """
    try:
        value = float(eps)
    except (TypeError, ValueError) as exc:
        raise DomainError(f"classify: eps must be a number, got {eps!r}") from exc
    if not math.isfinite(value):
        raise DomainError(f"classify: eps must be finite, got {value}; compute it from a "
                          "matrix without NaN/Inf rows")
    if value > CLASS1_ABOVE:
        return CLASS1
    if in_class2(value):
        return CLASS2
    return BETWEEN


def classify_interval(eps: float, low: float | None = None, high: float | None = None) -> str:
    r"""The paper's class of ``eps`` as far as its confidence interval ``[low, high]`` decides it.

    .. math::

        \operatorname{class}(\varepsilon; [\ell, h]) = \begin{cases}
            \operatorname{class}(\varepsilon) & \text{if } \operatorname{class}(\ell)
                = \operatorname{class}(\varepsilon) = \operatorname{class}(h) \\
            \text{"undecided"} & \text{otherwise (the interval straddles 0.1 or 0.2)}
        \end{cases}

    Without an interval (``low``/``high`` None or NaN) this is :func:`classify` (eps): a point
    estimate is read at face value, as the paper reads its Table 1. The point estimate itself is
    part of the test because a percentile interval need not contain it.

    Examples
    --------
    >>> classify_interval(0.20136, 0.19851, 0.20479)   # all-MiniLM-L6-v2, chapter 2's bootstrap
    'undecided'
    >>> classify_interval(0.41530, 0.41461, 0.41655)   # gemma-3-270m
    'Class 1'
    >>> classify_interval(0.20136)                     # no interval: the point's class
    'Class 1'
    """
    point = classify(eps)
    ends = [x for x in (low, high) if x is not None and not math.isnan(float(x))]
    if len(ends) < 2:
        return point
    return point if all(classify(x) == point for x in ends) else UNDECIDED


def in_class2(eps):
    """:func:`classify` (eps) == "Class 2", element by element: ``eps < 0.1`` for a number (a bool)
    or an array (a bool array). Raises :class:`~repcap.errors.DomainError` for NaN.

    Examples
    --------
    >>> in_class2(0.0645)
    True
    >>> in_class2([0.0645, 0.1, 0.99918]).tolist()
    [True, False, False]
    """
    arr = np.asarray(eps, dtype=float)
    if np.isnan(arr).any():
        raise DomainError("eps contains NaN; cannot classify")
    out = arr < CLASS2_BELOW
    return bool(out) if out.ndim == 0 else out
